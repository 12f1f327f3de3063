"""S3 under --verify-signatures: requests signed with a key Stratus issued
are checked against its secret, in every way S3 accepts a signature."""

from __future__ import annotations

import io
import os

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from helpers import error_of
from test_s3_chunked import signed_chunked_put

BUCKET = "signed-bucket"


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    """A --verify-signatures server, a bucket, and an IAM user's key and secret."""
    from conftest import _module_server

    srv = _module_server(tmp_path_factory, "stratus-s3-verify", ["--ephemeral", "--verify-signatures"])
    iam = srv.client("iam")
    iam.create_user(UserName="uploader")
    key = iam.create_access_key(UserName="uploader")["AccessKey"]
    ak, sk = key["AccessKeyId"], key["SecretAccessKey"]
    client(srv, ak, sk).create_bucket(Bucket=BUCKET)
    yield srv, ak, sk
    try:
        srv.stop()
    finally:
        srv.kill()


def client(srv, ak, sk, sig="s3v4"):
    return boto3.session.Session().client(
        "s3", endpoint_url=srv.url, region_name="us-east-1",
        aws_access_key_id=ak, aws_secret_access_key=sk,
        config=Config(retries={"total_max_attempts": 1}, s3={"addressing_style": "path"}, signature_version=sig))


def refused(fn, *a, **kw):
    with pytest.raises(ClientError) as e:
        fn(*a, **kw)
    code, _, status = error_of(e.value)
    return code, status, e.value.response["Error"]


def test_put_object_right_and_wrong_secret(keyed):
    srv, ak, sk = keyed
    c = client(srv, ak, sk)
    c.put_object(Bucket=BUCKET, Key="right", Body=b"signed right")
    assert c.get_object(Bucket=BUCKET, Key="right")["Body"].read() == b"signed right"

    code, status, err = refused(client(srv, ak, "wrong" + sk).put_object, Bucket=BUCKET, Key="wrong", Body=b"x")
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    # S3 says what it signed, so a client can find its mistake.
    assert err["AWSAccessKeyId"] == ak
    assert err["StringToSign"].startswith("AWS4-HMAC-SHA256\n")
    assert err["CanonicalRequest"].startswith("PUT\n/signed-bucket/wrong\n")
    assert err["StringToSignBytes"].startswith("41 57 53 34")
    assert err["SignatureProvided"]
    assert "wrong" not in [o["Key"] for o in c.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def streaming(c):
    """boto3 streams uploads as aws-chunked with a checksum trailer
    (STREAMING-UNSIGNED-PAYLOAD-TRAILER) over HTTPS; over plain HTTP it signs
    the whole body instead. This asks for the trailer as HTTPS would."""
    seen = []

    def trailer(params, **_):
        alg = params.get("context", {}).get("checksum", {}).get("request_algorithm")
        if alg:
            alg["in"] = "trailer"

    def record(request, **_):
        seen.append(request.headers.get("X-Amz-Content-SHA256"))

    c.meta.events.register("before-call.s3.PutObject", trailer)
    c.meta.events.register("before-send.s3.PutObject", record)
    return seen


def test_streaming_upload_right_and_wrong_secret(keyed):
    srv, ak, sk = keyed
    data = os.urandom(3 * 1024 * 1024 + 17)
    c = client(srv, ak, sk)
    seen = streaming(c)
    c.upload_fileobj(io.BytesIO(data), BUCKET, "streamed")
    assert seen == [b"STREAMING-UNSIGNED-PAYLOAD-TRAILER"]
    assert c.get_object(Bucket=BUCKET, Key="streamed")["Body"].read() == data
    wrong = client(srv, ak, sk + "x")
    streaming(wrong)
    with pytest.raises(ClientError) as e:
        wrong.upload_fileobj(io.BytesIO(data), BUCKET, "streamed-wrong")
    assert error_of(e.value)[0] == "SignatureDoesNotMatch"
    keys = [o["Key"] for o in c.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert "streamed-wrong" not in keys


@pytest.mark.parametrize("with_trailer", [False, True])
def test_signed_chunks_are_checked(keyed, with_trailer):
    srv, ak, sk = keyed
    chunks = [os.urandom(64 * 1024), b"tail"]
    r = signed_chunked_put(srv, BUCKET, "chunked", chunks, with_trailer, access_key=ak, secret=sk)
    assert r.status_code == 200, r.text
    r = signed_chunked_put(srv, BUCKET, "chunked-wrong", chunks, with_trailer, access_key=ak, secret="nope")
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text
    # The request's signature is right, one chunk's is not: nothing is stored.
    r = signed_chunked_put(srv, BUCKET, "chunk-tampered", chunks, with_trailer, access_key=ak, secret=sk, bad_chunk=1)
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text, r.text
    keys = [o["Key"] for o in client(srv, ak, sk).list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert "chunked" in keys and "chunked-wrong" not in keys and "chunk-tampered" not in keys


@pytest.mark.parametrize("sig", ["s3v4", "s3"])
def test_presigned_get_right_and_wrong_secret(keyed, sig):
    srv, ak, sk = keyed
    client(srv, ak, sk).put_object(Bucket=BUCKET, Key="shared", Body=b"for a link")
    url = client(srv, ak, sk, sig).generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "shared"})
    r = requests.get(url, timeout=10)
    assert r.status_code == 200 and r.content == b"for a link"
    bad = client(srv, ak, "bad" + sk, sig).generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "shared"})
    r = requests.get(bad, timeout=10)
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text
    assert "<StringToSign>" in r.text and f"<AWSAccessKeyId>{ak}</AWSAccessKeyId>" in r.text


def test_sigv2_header_right_and_wrong_secret(keyed):
    srv, ak, sk = keyed
    client(srv, ak, sk, "s3").put_object(Bucket=BUCKET, Key="v2", Body=b"old style")
    assert client(srv, ak, sk, "s3").get_object(Bucket=BUCKET, Key="v2")["Body"].read() == b"old style"
    code, status, err = refused(client(srv, ak, sk[::-1], "s3").get_object, Bucket=BUCKET, Key="v2")
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    assert err["StringToSign"].startswith("GET\n") and err["StringToSign"].endswith("/signed-bucket/v2")


@pytest.mark.parametrize("sig", ["s3v4", "s3"])
def test_post_upload_right_and_wrong_secret(keyed, sig):
    srv, ak, sk = keyed
    post = client(srv, ak, sk, sig).generate_presigned_post(BUCKET, "posted/${filename}", ExpiresIn=300)
    r = requests.post(post["url"], data=post["fields"], files={"file": ("ok.txt", b"from a form")}, timeout=10)
    assert r.status_code == 204, r.text
    assert client(srv, ak, sk).get_object(Bucket=BUCKET, Key="posted/ok.txt")["Body"].read() == b"from a form"
    bad = client(srv, ak, "no" + sk, sig).generate_presigned_post(BUCKET, "posted/${filename}", ExpiresIn=300)
    r = requests.post(bad["url"], data=bad["fields"], files={"file": ("bad.txt", b"forged")}, timeout=10)
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text, r.text
    assert f"<StringToSign>{bad['fields']['policy']}</StringToSign>" in r.text
    keys = [o["Key"] for o in client(srv, ak, sk).list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert "posted/bad.txt" not in keys


def test_unknown_and_deleted_keys(keyed):
    srv, ak, sk = keyed
    code, status, _ = refused(client(srv, "AKIAZZZZZZZZZZZZZZZZ", "whatever").list_objects_v2, Bucket=BUCKET)
    assert (code, status) == ("InvalidAccessKeyId", 403)
    # Keys Stratus never issues in that shape are not checked, as elsewhere.
    assert client(srv, "test", "test").list_objects_v2(Bucket=BUCKET)["Name"] == BUCKET


def test_cli_cp_right_and_wrong_secret(keyed, tmp_path):
    from conftest import run_aws

    srv, ak, sk = keyed
    f = tmp_path / "note.txt"
    f.write_bytes(b"copied by the cli")
    up = run_aws(srv, "s3", "cp", str(f), f"s3://{BUCKET}/cli/note.txt", creds=(ak, sk), check=False)
    assert up.returncode == 0, up.stderr
    out = tmp_path / "back.txt"
    down = run_aws(srv, "s3", "cp", f"s3://{BUCKET}/cli/note.txt", str(out), creds=(ak, sk), check=False)
    assert down.returncode == 0, down.stderr
    assert out.read_bytes() == b"copied by the cli"
    proc = run_aws(srv, "s3", "cp", str(f), f"s3://{BUCKET}/cli/wrong.txt", creds=(ak, "x" + sk), check=False)
    assert proc.returncode != 0 and "SignatureDoesNotMatch" in proc.stderr
