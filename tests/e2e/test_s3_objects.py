"""S3 objects through boto3: put/get/head/delete/copy, ranges, conditions,
metadata, checksums, tagging and presigned URLs."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import pytest
import requests
from botocore.config import Config

from s3util import crc32c_b64, crc64nvme_b64, expect, s3

BUCKET = "objects-bucket"


@pytest.fixture
def c(server):
    client = s3(server)
    client.create_bucket(Bucket=BUCKET)
    return client


def test_put_get_head_metadata(c):
    body = b"hello, stratus"
    r = c.put_object(
        Bucket=BUCKET,
        Key="dir/file.txt",
        Body=body,
        ContentType="text/plain",
        CacheControl="max-age=60",
        ContentDisposition="attachment",
        ContentLanguage="en",
        Metadata={"Color": "blue", "n": "1"},
        StorageClass="STANDARD_IA",
        WebsiteRedirectLocation="/elsewhere",
    )
    assert r["ETag"] == '"%s"' % hashlib.md5(body).hexdigest()
    g = c.get_object(Bucket=BUCKET, Key="dir/file.txt")
    assert g["Body"].read() == body
    assert g["ContentType"] == "text/plain"
    assert g["CacheControl"] == "max-age=60"
    assert g["ContentDisposition"] == "attachment"
    assert g["ContentLanguage"] == "en"
    assert g["Metadata"] == {"color": "blue", "n": "1"}
    assert g["StorageClass"] == "STANDARD_IA"
    assert g["WebsiteRedirectLocation"] == "/elsewhere"
    assert g["ETag"] == r["ETag"]
    h = c.head_object(Bucket=BUCKET, Key="dir/file.txt")
    assert h["ContentLength"] == len(body)
    assert h["ETag"] == r["ETag"]
    assert h["AcceptRanges"] == "bytes"
    g = c.get_object(Bucket=BUCKET, Key="dir/file.txt", ResponseContentType="application/json")
    assert g["ContentType"] == "application/json"


def test_default_content_type_and_empty_object(c):
    c.put_object(Bucket=BUCKET, Key="empty", Body=b"")
    g = c.get_object(Bucket=BUCKET, Key="empty")
    assert g["Body"].read() == b""
    assert g["ContentLength"] == 0
    assert g["ContentType"] == "binary/octet-stream"
    assert g["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    assert "StorageClass" not in g


def test_missing_objects(c):
    msg = expect("NoSuchKey", 404, c.get_object, Bucket=BUCKET, Key="nope")
    assert msg == "The specified key does not exist."
    expect("404", 404, c.head_object, Bucket=BUCKET, Key="nope")
    expect("NoSuchBucket", 404, c.get_object, Bucket="no-such-bucket-here", Key="k")
    expect("NoSuchBucket", 404, c.put_object, Bucket="no-such-bucket-here", Key="k", Body=b"x")


def test_ranges(c):
    c.put_object(Bucket=BUCKET, Key="r", Body=b"0123456789")
    cases = {"bytes=0-3": (b"0123", "bytes 0-3/10"), "bytes=7-": (b"789", "bytes 7-9/10"),
             "bytes=-2": (b"89", "bytes 8-9/10"), "bytes=5-100": (b"56789", "bytes 5-9/10")}
    for rng, (data, content_range) in cases.items():
        g = c.get_object(Bucket=BUCKET, Key="r", Range=rng)
        assert g["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert g["Body"].read() == data
        assert g["ContentRange"] == content_range
        assert g["ContentLength"] == len(data)
    h = c.head_object(Bucket=BUCKET, Key="r", Range="bytes=2-4")
    assert h["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert h["ContentRange"] == "bytes 2-4/10" and h["ContentLength"] == 3
    msg = expect("InvalidRange", 416, c.get_object, Bucket=BUCKET, Key="r", Range="bytes=10-20")
    assert msg == "The requested range is not satisfiable"


def test_conditional_reads(c):
    etag = c.put_object(Bucket=BUCKET, Key="cond", Body=b"v1")["ETag"]
    lm = c.head_object(Bucket=BUCKET, Key="cond")["LastModified"]
    assert c.get_object(Bucket=BUCKET, Key="cond", IfMatch=etag)["Body"].read() == b"v1"
    expect("PreconditionFailed", 412, c.get_object, Bucket=BUCKET, Key="cond", IfMatch='"0000"')
    expect("304", 304, c.get_object, Bucket=BUCKET, Key="cond", IfNoneMatch=etag)
    expect("304", 304, c.head_object, Bucket=BUCKET, Key="cond", IfModifiedSince=lm)
    assert c.get_object(Bucket=BUCKET, Key="cond", IfModifiedSince=lm - dt.timedelta(days=1))["Body"].read() == b"v1"
    expect("PreconditionFailed", 412, c.get_object, Bucket=BUCKET, Key="cond",
           IfUnmodifiedSince=lm - dt.timedelta(days=1))
    # If-Match true wins over a failing If-Unmodified-Since.
    assert c.get_object(Bucket=BUCKET, Key="cond", IfMatch=etag,
                        IfUnmodifiedSince=lm - dt.timedelta(days=1))["Body"].read() == b"v1"


def test_conditional_writes(c):
    c.put_object(Bucket=BUCKET, Key="once", Body=b"first", IfNoneMatch="*")
    msg = expect("PreconditionFailed", 412, c.put_object, Bucket=BUCKET, Key="once", Body=b"second", IfNoneMatch="*")
    assert msg == "At least one of the pre-conditions you specified did not hold"
    etag = c.head_object(Bucket=BUCKET, Key="once")["ETag"]
    expect("PreconditionFailed", 412, c.put_object, Bucket=BUCKET, Key="once", Body=b"x", IfMatch='"abc"')
    c.put_object(Bucket=BUCKET, Key="once", Body=b"third", IfMatch=etag)
    assert c.get_object(Bucket=BUCKET, Key="once")["Body"].read() == b"third"
    expect("NoSuchKey", 404, c.put_object, Bucket=BUCKET, Key="absent", Body=b"x", IfMatch=etag)


def test_content_md5(c):
    good = base64.b64encode(hashlib.md5(b"data").digest()).decode()
    c.put_object(Bucket=BUCKET, Key="md5", Body=b"data", ContentMD5=good)
    bad = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    msg = expect("BadDigest", 400, c.put_object, Bucket=BUCKET, Key="md5", Body=b"data", ContentMD5=bad)
    assert msg == "The Content-MD5 you specified did not match what we received."
    expect("InvalidDigest", 400, c.put_object, Bucket=BUCKET, Key="md5", Body=b"data", ContentMD5="not-base64")
    assert c.get_object(Bucket=BUCKET, Key="md5")["Body"].read() == b"data"


@pytest.mark.parametrize("algo", ["CRC32", "SHA1", "SHA256"])
def test_checksums_round_trip(c, algo):
    body = b"checksummed " * 1000
    r = c.put_object(Bucket=BUCKET, Key=f"cs-{algo}", Body=body, ChecksumAlgorithm=algo)
    value = r[f"Checksum{algo}"]
    assert value
    g = c.get_object(Bucket=BUCKET, Key=f"cs-{algo}", ChecksumMode="ENABLED")
    assert g["Body"].read() == body
    assert g[f"Checksum{algo}"] == value
    assert g["ChecksumType"] == "FULL_OBJECT"
    h = c.head_object(Bucket=BUCKET, Key=f"cs-{algo}", ChecksumMode="ENABLED")
    assert h[f"Checksum{algo}"] == value


@pytest.mark.parametrize("algo,fn", [("CRC32C", crc32c_b64), ("CRC64NVME", crc64nvme_b64)])
def test_crc_checksums_given_by_value(c, algo, fn):
    # botocore computes these only with awscrt; the value is sent as a header instead.
    body = b"checksummed " * 1000
    r = c.put_object(Bucket=BUCKET, Key=f"cs-{algo}", Body=body, **{f"Checksum{algo}": fn(body)})
    assert r[f"Checksum{algo}"] == fn(body)
    h = c.head_object(Bucket=BUCKET, Key=f"cs-{algo}", ChecksumMode="ENABLED")
    assert h[f"Checksum{algo}"] == fn(body)
    expect("BadDigest", 400, c.put_object, Bucket=BUCKET, Key="bad", Body=body, **{f"Checksum{algo}": fn(b"other")})


def test_sha256_checksum_matches_hashlib(c):
    body = b"no checksum asked"
    c.put_object(Bucket=BUCKET, Key="plain", Body=body, ChecksumAlgorithm="SHA256")
    h = c.head_object(Bucket=BUCKET, Key="plain", ChecksumMode="ENABLED")
    assert h["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()


def test_default_checksum_upload(c):
    # boto3 sends CRC32 by default (aws-chunked with a trailer over streams).
    c.upload_fileobj(__import__("io").BytesIO(b"z" * 70000), BUCKET, "default-cs")
    g = c.get_object(Bucket=BUCKET, Key="default-cs", ChecksumMode="ENABLED")
    assert g["Body"].read() == b"z" * 70000
    assert any(g.get(f"Checksum{a}") for a in ["CRC32", "CRC64NVME"])


def test_wrong_checksum_is_rejected(c):
    wrong = base64.b64encode(b"\x00\x00\x00\x00").decode()
    msg = expect("BadDigest", 400, c.put_object, Bucket=BUCKET, Key="bad-cs", Body=b"abc", ChecksumCRC32=wrong)
    assert "CRC32" in msg
    expect("NoSuchKey", 404, c.get_object, Bucket=BUCKET, Key="bad-cs")


def test_delete_and_delete_objects(c):
    for k in ["a", "b", "c"]:
        c.put_object(Bucket=BUCKET, Key=k, Body=k.encode())
    assert c.delete_object(Bucket=BUCKET, Key="a")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert c.delete_object(Bucket=BUCKET, Key="never-there")["ResponseMetadata"]["HTTPStatusCode"] == 204
    r = c.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "b"}, {"Key": "zz"}]})
    assert sorted(d["Key"] for d in r["Deleted"]) == ["b", "zz"]
    r = c.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "c"}], "Quiet": True})
    assert "Deleted" not in r or r["Deleted"] == []
    assert c.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0


def test_copy_object(c):
    c.put_object(Bucket=BUCKET, Key="src", Body=b"payload", ContentType="text/x-src",
                 Metadata={"a": "1"}, Tagging="t=1")
    c.create_bucket(Bucket="copy-target")
    r = c.copy_object(Bucket="copy-target", Key="dst", CopySource={"Bucket": BUCKET, "Key": "src"})
    assert r["CopyObjectResult"]["ETag"] == '"%s"' % hashlib.md5(b"payload").hexdigest()
    g = c.get_object(Bucket="copy-target", Key="dst")
    assert g["Body"].read() == b"payload"
    assert g["ContentType"] == "text/x-src" and g["Metadata"] == {"a": "1"}
    assert c.get_object_tagging(Bucket="copy-target", Key="dst")["TagSet"] == [{"Key": "t", "Value": "1"}]
    c.copy_object(Bucket=BUCKET, Key="src", CopySource=f"{BUCKET}/src", MetadataDirective="REPLACE",
                  Metadata={"b": "2"}, ContentType="text/plain")
    h = c.head_object(Bucket=BUCKET, Key="src")
    assert h["Metadata"] == {"b": "2"} and h["ContentType"] == "text/plain"
    msg = expect("InvalidRequest", 400, c.copy_object, Bucket=BUCKET, Key="src", CopySource=f"{BUCKET}/src")
    assert "copy an object to itself" in msg
    expect("PreconditionFailed", 412, c.copy_object, Bucket=BUCKET, Key="x", CopySource=f"{BUCKET}/src",
           CopySourceIfMatch='"nope"')
    expect("NoSuchKey", 404, c.copy_object, Bucket=BUCKET, Key="x", CopySource=f"{BUCKET}/missing")


def test_tagging(c):
    c.put_object(Bucket=BUCKET, Key="tagged", Body=b"x", Tagging="env=dev&team=a%20b")
    tags = c.get_object_tagging(Bucket=BUCKET, Key="tagged")["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("env", "dev"), ("team", "a b")]
    assert c.get_object(Bucket=BUCKET, Key="tagged")["TagCount"] == 2
    c.put_object_tagging(Bucket=BUCKET, Key="tagged", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    assert c.get_object_tagging(Bucket=BUCKET, Key="tagged")["TagSet"] == [{"Key": "k", "Value": "v"}]
    c.delete_object_tagging(Bucket=BUCKET, Key="tagged")
    assert c.get_object_tagging(Bucket=BUCKET, Key="tagged")["TagSet"] == []
    too_many = {"TagSet": [{"Key": f"k{i}", "Value": "v"} for i in range(11)]}
    expect("InvalidTag", 400, c.put_object_tagging, Bucket=BUCKET, Key="tagged", Tagging=too_many)


def test_invalid_storage_class(c):
    with pytest.raises(Exception):
        c.put_object(Bucket=BUCKET, Key="k", Body=b"x", StorageClass="NOT_A_CLASS")


@pytest.mark.parametrize("sig", ["s3v4", "s3"])
def test_presigned_urls(server_factory, sig):
    # A server of its own: other tests move the shared server's clock, which expires URLs.
    server = server_factory(["--ephemeral", "--test-mode"])
    s3(server).create_bucket(Bucket=BUCKET)
    signer = s3(server, signature_version=sig)
    put_url = signer.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "pre"}, ExpiresIn=300)
    r = requests.put(put_url, data=b"presigned body", timeout=10)
    assert r.status_code == 200, r.text
    get_url = signer.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "pre"}, ExpiresIn=300)
    r = requests.get(get_url, timeout=10)
    assert r.status_code == 200 and r.content == b"presigned body"
    # Moving the server's clock past the expiry refuses the URL.
    server.advance(301)
    r = requests.get(get_url, timeout=10)
    assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text and "expired" in r.text


@pytest.mark.parametrize("sig", ["s3", "s3v4"])
def test_browser_post_upload(server, c, sig):
    post = s3(server, signature_version=sig).generate_presigned_post(
        BUCKET, "uploads/${filename}", Fields={"Content-Type": "text/plain"},
        Conditions=[{"Content-Type": "text/plain"}, ["starts-with", "$key", "uploads/"],
                    ["content-length-range", 1, 1024]], ExpiresIn=300)
    r = requests.post(post["url"], data=post["fields"], files={"file": ("note.txt", b"posted from a form")}, timeout=10)
    assert r.status_code == 204, r.text
    g = c.get_object(Bucket=BUCKET, Key="uploads/note.txt")
    assert g["Body"].read() == b"posted from a form" and g["ContentType"] == "text/plain"
    # The policy's conditions still hold.
    r = requests.post(post["url"], data=post["fields"], files={"file": ("big.txt", b"x" * 2048)}, timeout=10)
    assert r.status_code == 400, r.text


def test_daily_storage_metrics_reach_cloudwatch(server, c):
    import time

    cw = server.client("cloudwatch")
    c.put_object(Bucket=BUCKET, Key="a", Body=b"x" * 1000)
    c.put_object(Bucket=BUCKET, Key="b", Body=b"y" * 24)
    c.put_object(Bucket=BUCKET, Key="cold", Body=b"z" * 100, StorageClass="STANDARD_IA")
    server.advance(86_400)  # a new day: the day's storage report

    def latest(name, storage_type):
        end = server.now()
        points = cw.get_metric_statistics(
            Namespace="AWS/S3", MetricName=name, StartTime=end - dt.timedelta(days=2), EndTime=end,
            Period=86_400, Statistics=["Average"],
            Dimensions=[{"Name": "BucketName", "Value": BUCKET}, {"Name": "StorageType", "Value": storage_type}],
        )["Datapoints"]
        return max(points, key=lambda p: p["Timestamp"])["Average"] if points else None

    deadline = time.time() + 5
    while latest("NumberOfObjects", "AllStorageTypes") != 3.0 and time.time() < deadline:
        time.sleep(0.1)
    assert latest("NumberOfObjects", "AllStorageTypes") == 3.0
    assert latest("BucketSizeBytes", "StandardStorage") == 1024.0
    assert latest("BucketSizeBytes", "StandardIAStorage") == 100.0


def test_objects_either_side_of_the_inline_size_survive_a_restart(server_factory):
    """Small objects keep their bytes in the metadata, larger ones in files:
    both read, range, copy (each way) and survive a restart byte for byte."""
    srv = server_factory()
    c = s3(srv)
    c.create_bucket(Bucket="sizes")
    bodies = {n: bytes((i * 7 + n) % 251 for i in range(n)) for n in (0, 1, 4095, 4096, 4097, 100_000)}
    for n, body in bodies.items():
        r = c.put_object(Bucket="sizes", Key=f"o/{n}", Body=body)
        assert r["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    for n, body in bodies.items():
        c.copy_object(Bucket="sizes", Key=f"copy/{n}", CopySource={"Bucket": "sizes", "Key": f"o/{n}"})
    up = c.create_multipart_upload(Bucket="sizes", Key="mp")["UploadId"]
    part = c.upload_part_copy(Bucket="sizes", Key="mp", UploadId=up, PartNumber=1,
                              CopySource={"Bucket": "sizes", "Key": "o/4096"}, CopySourceRange="bytes=10-1009")
    c.complete_multipart_upload(Bucket="sizes", Key="mp", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": part["CopyPartResult"]["ETag"]}]})
    srv.kill()
    srv.start()
    c = s3(srv)
    for n, body in bodies.items():
        for key in (f"o/{n}", f"copy/{n}"):
            g = c.get_object(Bucket="sizes", Key=key)
            assert g["Body"].read() == body, key
            assert g["ContentLength"] == n
        if n > 10:
            r = c.get_object(Bucket="sizes", Key=f"o/{n}", Range="bytes=3-9")
            assert r["Body"].read() == body[3:10]
            assert r["ContentRange"] == f"bytes 3-9/{n}"
            tail = c.get_object(Bucket="sizes", Key=f"o/{n}", Range="bytes=-5")["Body"].read()
            assert tail == body[-5:]
    assert c.get_object(Bucket="sizes", Key="mp")["Body"].read() == bodies[4096][10:1010]
    c.delete_object(Bucket="sizes", Key="o/4096")
    expect("NoSuchKey", 404, c.get_object, Bucket="sizes", Key="o/4096")
    assert c.get_object(Bucket="sizes", Key="copy/4096")["Body"].read() == bodies[4096]


def _dummy_signed(date: dt.datetime, payload: str) -> dict:
    """Headers of a SigV4-signed request; the default server accepts any
    signature, as for every service."""
    amz = date.strftime("%Y%m%dT%H%M%SZ")
    return {
        "Authorization": f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{amz[:8]}/us-east-1/s3/aws4_request, "
                         "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=00",
        "x-amz-content-sha256": payload,
        "x-amz-date": amz,
    }


def test_signed_request_checks_skew_length_and_payload_hash(server, c):
    url = f"{server.url}/{BUCKET}/raw"
    now = dt.datetime.now(dt.timezone.utc)
    r = requests.put(url, data=b"unsigned body", headers=_dummy_signed(now, "UNSIGNED-PAYLOAD"), timeout=10)
    assert r.status_code == 200, r.text
    r = requests.get(url, headers=_dummy_signed(now, hashlib.sha256(b"").hexdigest()), timeout=10)
    assert (r.status_code, r.content) == (200, b"unsigned body")

    old = now - dt.timedelta(minutes=20)
    r = requests.get(url, headers=_dummy_signed(old, "UNSIGNED-PAYLOAD"), timeout=10)
    assert r.status_code == 403
    assert "<Code>RequestTimeTooSkewed</Code>" in r.text
    assert "<MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds>" in r.text

    # A body streamed without Content-Length.
    r = requests.put(url, data=iter([b"a", b"b"]), headers=_dummy_signed(now, "UNSIGNED-PAYLOAD"), timeout=10)
    assert r.status_code == 411
    assert "<Code>MissingContentLength</Code>" in r.text

    # A signed payload hash the body does not match.
    r = requests.put(url, data=b"tampered", headers=_dummy_signed(now, hashlib.sha256(b"original").hexdigest()),
                     timeout=10)
    assert r.status_code == 400, r.text
    assert "<Code>XAmzContentSHA256Mismatch</Code>" in r.text
    assert c.get_object(Bucket=BUCKET, Key="raw")["Body"].read() == b"unsigned body"
