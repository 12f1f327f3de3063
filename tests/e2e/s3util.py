"""Shared helpers for the S3 end-to-end tests."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from helpers import error_of


def s3(server, region="us-east-1", access_key="test", **cfg):
    return boto3.session.Session().client(
        "s3",
        endpoint_url=server.url,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1}, s3={"addressing_style": "path"}, **cfg),
    )


def expect(code, status, fn, *a, **kw):
    """Calls fn, asserting it fails with this error code and HTTP status; returns the message."""
    with pytest.raises(ClientError) as e:
        fn(*a, **kw)
    got_code, msg, got_status = error_of(e.value)
    assert (got_code, got_status) == (code, status), f"{got_code} {got_status}: {msg}"
    return msg


def _crc_table(poly: int, bits: int) -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c & ((1 << bits) - 1))
    return table


_CRC32C = _crc_table(0x82F63B78, 32)
_CRC64NVME = _crc_table(0x9A6C9329AC4BC9B5, 64)


def _crc(data: bytes, table: list[int], bits: int) -> bytes:
    mask = (1 << bits) - 1
    c = mask
    for b in data:
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return (c ^ mask).to_bytes(bits // 8, "big")


def crc32c_b64(data: bytes) -> str:
    """CRC32C as S3 reports it (base64 of the big-endian value); botocore needs awscrt for it."""
    import base64

    return base64.b64encode(_crc(data, _CRC32C, 32)).decode()


def crc64nvme_b64(data: bytes) -> str:
    import base64

    return base64.b64encode(_crc(data, _CRC64NVME, 64)).decode()
