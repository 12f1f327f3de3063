"""Signed aws-chunked uploads (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]),
as the Java and other SDKs send over plain HTTP, built by hand here."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import zlib

import pytest
import requests

from s3util import s3

EMPTY = hashlib.sha256(b"").hexdigest()


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signed_chunked_put(server, bucket: str, key: str, chunks: list[bytes], with_trailer: bool,
                       access_key: str = "test", secret: str = "test", bad_chunk: int | None = None) -> requests.Response:
    """Sends the upload signed with `secret`; `bad_chunk` gets a signature
    made with another secret, the request's own being right."""
    now = dt.datetime.now(dt.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    scope = f"{day}/us-east-1/s3/aws4_request"
    signing = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret}".encode(), day), "us-east-1"), "s3"), "aws4_request")
    wrong = _hmac(_hmac(_hmac(_hmac(b"AWS4not-the-secret", day), "us-east-1"), "s3"), "aws4_request")
    mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if with_trailer else "")
    data = b"".join(chunks)
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    trailer_text = f"x-amz-checksum-crc32:{crc}\r\n" if with_trailer else ""

    def body_length() -> int:
        n = sum(len(f"{len(c):x};chunk-signature=") + 64 + 2 + len(c) + 2 for c in chunks)
        n += len("0;chunk-signature=") + 64 + 2
        if with_trailer:
            n += len(trailer_text) + len("x-amz-trailer-signature:") + 64 + 2 + 2
        else:
            n += 2
        return n

    host = server.url.removeprefix("http://")
    headers = {
        "host": host,
        "x-amz-content-sha256": mode,
        "x-amz-date": amz_date,
        "x-amz-decoded-content-length": str(len(data)),
    }
    if with_trailer:
        headers["x-amz-trailer"] = "x-amz-checksum-crc32"
    names = sorted(headers)
    canonical = "\n".join([
        "PUT", f"/{bucket}/{key}", "",
        "".join(f"{n}:{headers[n]}\n" for n in names),
        ";".join(names), mode])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    prev = hmac.new(signing, sts.encode(), hashlib.sha256).hexdigest()
    auth = f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={';'.join(names)}, Signature={prev}"

    out = b""
    for i, c in enumerate(chunks + [b""]):
        sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev, EMPTY, hashlib.sha256(c).hexdigest()])
        prev = hmac.new(wrong if i == bad_chunk else signing, sts.encode(), hashlib.sha256).hexdigest()
        out += f"{len(c):x};chunk-signature={prev}\r\n".encode() + c + (b"\r\n" if c else b"")
    if with_trailer:
        canon = f"x-amz-checksum-crc32:{crc}\n"
        sts = "\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, prev, hashlib.sha256(canon.encode()).hexdigest()])
        tsig = hmac.new(signing, sts.encode(), hashlib.sha256).hexdigest()
        out += trailer_text.encode() + f"x-amz-trailer-signature:{tsig}\r\n\r\n".encode()
    else:
        out += b"\r\n"
    assert len(out) == body_length()
    send = {k: v for k, v in headers.items() if k != "host"}
    send.update({"Authorization": auth, "Content-Encoding": "aws-chunked", "Content-Length": str(len(out))})
    return requests.put(f"{server.url}/{bucket}/{key}", data=out, headers=send, timeout=30)


@pytest.mark.parametrize("with_trailer", [False, True])
def test_signed_chunked_upload(server, with_trailer):
    c = s3(server)
    c.create_bucket(Bucket="chunked-bucket")
    chunks = [os.urandom(64 * 1024), os.urandom(64 * 1024), b"tail bytes"]
    r = signed_chunked_put(server, "chunked-bucket", "obj", chunks, with_trailer)
    assert r.status_code == 200, r.text
    g = c.get_object(Bucket="chunked-bucket", Key="obj", ChecksumMode="ENABLED")
    assert g["Body"].read() == b"".join(chunks)
    assert g["ETag"] == '"%s"' % hashlib.md5(b"".join(chunks)).hexdigest()
    if with_trailer:
        assert g["ChecksumCRC32"] == base64.b64encode(zlib.crc32(b"".join(chunks)).to_bytes(4, "big")).decode()
