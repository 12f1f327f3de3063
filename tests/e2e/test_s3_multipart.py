"""Multipart uploads: parts, completion rules, ETags, listing, copy, abort."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from s3util import expect, s3

BUCKET = "multipart-bucket"
MIB = 1024 * 1024


@pytest.fixture
def c(server):
    client = s3(server)
    client.create_bucket(Bucket=BUCKET)
    return client


def multipart_etag(parts: list[bytes]) -> str:
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def test_complete_upload(c):
    parts = [os.urandom(5 * MIB), os.urandom(5 * MIB), b"tail"]
    up = c.create_multipart_upload(Bucket=BUCKET, Key="big.bin", ContentType="application/x-test",
                                   Metadata={"origin": "mp"})
    uid = up["UploadId"]
    done = []
    for i, data in enumerate(parts, 1):
        r = c.upload_part(Bucket=BUCKET, Key="big.bin", UploadId=uid, PartNumber=i, Body=data)
        assert r["ETag"] == '"%s"' % hashlib.md5(data).hexdigest()
        done.append({"PartNumber": i, "ETag": r["ETag"]})
    listed = c.list_parts(Bucket=BUCKET, Key="big.bin", UploadId=uid)
    assert [(p["PartNumber"], p["Size"]) for p in listed["Parts"]] == [(1, 5 * MIB), (2, 5 * MIB), (3, 4)]
    page = c.list_parts(Bucket=BUCKET, Key="big.bin", UploadId=uid, MaxParts=2)
    assert page["IsTruncated"] is True and page["NextPartNumberMarker"] == 2
    r = c.complete_multipart_upload(Bucket=BUCKET, Key="big.bin", UploadId=uid, MultipartUpload={"Parts": done})
    assert r["ETag"] == multipart_etag(parts)
    g = c.get_object(Bucket=BUCKET, Key="big.bin")
    assert g["Body"].read() == b"".join(parts)
    assert g["ContentType"] == "application/x-test" and g["Metadata"] == {"origin": "mp"}
    p2 = c.get_object(Bucket=BUCKET, Key="big.bin", PartNumber=2)
    assert p2["PartsCount"] == 3 and p2["Body"].read() == parts[1]
    expect("NoSuchUpload", 404, c.list_parts, Bucket=BUCKET, Key="big.bin", UploadId=uid)


def test_completion_errors(c):
    uid = c.create_multipart_upload(Bucket=BUCKET, Key="k")["UploadId"]
    small = c.upload_part(Bucket=BUCKET, Key="k", UploadId=uid, PartNumber=1, Body=b"small")["ETag"]
    second = c.upload_part(Bucket=BUCKET, Key="k", UploadId=uid, PartNumber=2, Body=b"also small")["ETag"]
    msg = expect("EntityTooSmall", 400, c.complete_multipart_upload, Bucket=BUCKET, Key="k", UploadId=uid,
                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": small}, {"PartNumber": 2, "ETag": second}]})
    assert msg == "Your proposed upload is smaller than the minimum allowed size"
    expect("InvalidPartOrder", 400, c.complete_multipart_upload, Bucket=BUCKET, Key="k", UploadId=uid,
           MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": second}, {"PartNumber": 1, "ETag": small}]})
    expect("InvalidPart", 400, c.complete_multipart_upload, Bucket=BUCKET, Key="k", UploadId=uid,
           MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"0123"'}]})
    expect("InvalidPart", 400, c.complete_multipart_upload, Bucket=BUCKET, Key="k", UploadId=uid,
           MultipartUpload={"Parts": [{"PartNumber": 7, "ETag": small}]})
    expect("InvalidArgument", 400, c.upload_part, Bucket=BUCKET, Key="k", UploadId=uid, PartNumber=10001, Body=b"x")
    # A single small part is a valid last part.
    r = c.complete_multipart_upload(Bucket=BUCKET, Key="k", UploadId=uid,
                                    MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": second}]})
    assert r["ETag"] == multipart_etag([b"also small"])
    assert c.get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"also small"


def test_abort_and_list_uploads(c):
    a = c.create_multipart_upload(Bucket=BUCKET, Key="dir/one")["UploadId"]
    b = c.create_multipart_upload(Bucket=BUCKET, Key="dir/two")["UploadId"]
    c.create_multipart_upload(Bucket=BUCKET, Key="top")
    r = c.list_multipart_uploads(Bucket=BUCKET)
    assert [u["Key"] for u in r["Uploads"]] == ["dir/one", "dir/two", "top"]
    r = c.list_multipart_uploads(Bucket=BUCKET, Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["dir/"]
    assert [u["Key"] for u in r["Uploads"]] == ["top"]
    r = c.list_multipart_uploads(Bucket=BUCKET, MaxUploads=1)
    assert r["IsTruncated"] is True and r["NextKeyMarker"] == "dir/one"
    c.abort_multipart_upload(Bucket=BUCKET, Key="dir/one", UploadId=a)
    expect("NoSuchUpload", 404, c.abort_multipart_upload, Bucket=BUCKET, Key="dir/one", UploadId=a)
    expect("NoSuchUpload", 404, c.upload_part, Bucket=BUCKET, Key="dir/one", UploadId=a, PartNumber=1, Body=b"x")
    assert [u["UploadId"] for u in c.list_multipart_uploads(Bucket=BUCKET, Prefix="dir/")["Uploads"]] == [b]


def test_upload_part_copy(c):
    src = os.urandom(6 * MIB)
    c.put_object(Bucket=BUCKET, Key="source", Body=src)
    uid = c.create_multipart_upload(Bucket=BUCKET, Key="assembled")["UploadId"]
    p1 = c.upload_part_copy(Bucket=BUCKET, Key="assembled", UploadId=uid, PartNumber=1,
                            CopySource={"Bucket": BUCKET, "Key": "source"})
    p2 = c.upload_part_copy(Bucket=BUCKET, Key="assembled", UploadId=uid, PartNumber=2,
                            CopySource={"Bucket": BUCKET, "Key": "source"}, CopySourceRange="bytes=0-9")
    assert p2["CopyPartResult"]["ETag"] == '"%s"' % hashlib.md5(src[:10]).hexdigest()
    expect("InvalidRange", 416, c.upload_part_copy, Bucket=BUCKET, Key="assembled", UploadId=uid, PartNumber=3,
           CopySource={"Bucket": BUCKET, "Key": "source"}, CopySourceRange=f"bytes=0-{6 * MIB}")
    c.complete_multipart_upload(Bucket=BUCKET, Key="assembled", UploadId=uid, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": p1["CopyPartResult"]["ETag"]},
        {"PartNumber": 2, "ETag": p2["CopyPartResult"]["ETag"]}]})
    assert c.get_object(Bucket=BUCKET, Key="assembled")["Body"].read() == src + src[:10]


def test_transfer_manager_round_trip_with_checksums(c):
    # upload_fileobj splits at 8 MiB and sends CRC32 checksums per part, as boto3 does by default.
    data = os.urandom(20 * MIB + 123)
    c.upload_fileobj(io.BytesIO(data), BUCKET, "managed.bin")
    h = c.head_object(Bucket=BUCKET, Key="managed.bin", ChecksumMode="ENABLED")
    assert h["ContentLength"] == len(data)
    assert h["ETag"].endswith('-3"')
    out = io.BytesIO()
    c.download_fileobj(BUCKET, "managed.bin", out)
    assert hashlib.sha256(out.getvalue()).digest() == hashlib.sha256(data).digest()


def test_composite_checksum(c):
    parts = [os.urandom(5 * MIB), b"end"]
    uid = c.create_multipart_upload(Bucket=BUCKET, Key="cs", ChecksumAlgorithm="SHA256")["UploadId"]
    done = []
    for i, d in enumerate(parts, 1):
        r = c.upload_part(Bucket=BUCKET, Key="cs", UploadId=uid, PartNumber=i, Body=d, ChecksumAlgorithm="SHA256")
        done.append({"PartNumber": i, "ETag": r["ETag"], "ChecksumSHA256": r["ChecksumSHA256"]})
    r = c.complete_multipart_upload(Bucket=BUCKET, Key="cs", UploadId=uid, MultipartUpload={"Parts": done})
    import base64
    expected = base64.b64encode(hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in parts)).digest()).decode()
    assert r["ChecksumSHA256"] == f"{expected}-2"
    assert r["ChecksumType"] == "COMPOSITE"
