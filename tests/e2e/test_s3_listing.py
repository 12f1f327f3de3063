"""ListObjects v1 and v2: order, prefixes, delimiters, pagination, URL encoding."""

from __future__ import annotations

import pytest

from s3util import expect, s3

BUCKET = "listing-bucket"
KEYS = ["a/1.txt", "a/2.txt", "a/b/3.txt", "b/4.txt", "c.txt", "d e+f.txt", "Zed", "é.txt"]


@pytest.fixture
def c(server):
    client = s3(server)
    client.create_bucket(Bucket=BUCKET)
    for k in KEYS:
        client.put_object(Bucket=BUCKET, Key=k, Body=k.encode())
    return client


def test_v2_order_and_fields(c):
    r = c.list_objects_v2(Bucket=BUCKET)
    assert [o["Key"] for o in r["Contents"]] == sorted(KEYS, key=lambda k: k.encode())
    assert r["KeyCount"] == len(KEYS) and r["IsTruncated"] is False
    first = r["Contents"][0]
    assert first["Size"] == len(first["Key"].encode()) and first["StorageClass"] == "STANDARD"
    assert "Owner" not in first
    assert "Owner" in c.list_objects_v2(Bucket=BUCKET, FetchOwner=True)["Contents"][0]


def test_v2_prefix_delimiter(c):
    r = c.list_objects_v2(Bucket=BUCKET, Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/", "b/"]
    assert [o["Key"] for o in r["Contents"]] == ["Zed", "c.txt", "d e+f.txt", "é.txt"]
    assert r["KeyCount"] == 6
    r = c.list_objects_v2(Bucket=BUCKET, Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in r["Contents"]] == ["a/1.txt", "a/2.txt"]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/b/"]
    assert c.list_objects_v2(Bucket=BUCKET, Prefix="nothing/")["KeyCount"] == 0


def test_v2_pagination(c):
    seen, token = [], None
    while True:
        kw = {"ContinuationToken": token} if token else {}
        r = c.list_objects_v2(Bucket=BUCKET, MaxKeys=3, Delimiter="/", **kw)
        seen += [o["Key"] for o in r.get("Contents", [])] + [p["Prefix"] for p in r.get("CommonPrefixes", [])]
        if not r["IsTruncated"]:
            break
        token = r["NextContinuationToken"]
    assert sorted(seen) == sorted(["a/", "b/", "Zed", "c.txt", "d e+f.txt", "é.txt"])
    assert len(seen) == len(set(seen))
    pages = list(c.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, PaginationConfig={"PageSize": 2}))
    assert len(pages) == 4
    assert [o["Key"] for p in pages for o in p["Contents"]] == sorted(KEYS, key=lambda k: k.encode())


def test_v2_start_after_and_max_keys_zero(c):
    r = c.list_objects_v2(Bucket=BUCKET, StartAfter="b/4.txt")
    assert [o["Key"] for o in r["Contents"]] == ["c.txt", "d e+f.txt", "é.txt"]
    assert r["StartAfter"] == "b/4.txt"
    r = c.list_objects_v2(Bucket=BUCKET, MaxKeys=0)
    assert r["KeyCount"] == 0 and "Contents" not in r


def test_url_encoding(c):
    # Asked for explicitly, the encoding reaches the caller as sent.
    r = c.list_objects_v2(Bucket=BUCKET, Prefix="d", EncodingType="url")
    assert [o["Key"] for o in r["Contents"]] == ["d%20e%2Bf.txt"]
    assert r["EncodingType"] == "url"
    r = c.list_objects(Bucket=BUCKET, Prefix="é", EncodingType="url")
    assert [o["Key"] for o in r["Contents"]] == ["%C3%A9.txt"]
    expect("InvalidArgument", 400, c.list_objects_v2, Bucket=BUCKET, EncodingType="base64")


def test_v1_markers(c):
    r = c.list_objects(Bucket=BUCKET, MaxKeys=2, Delimiter="/")
    assert [o["Key"] for o in r["Contents"]] == ["Zed"]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/"]
    assert r["IsTruncated"] is True and r["NextMarker"] == "a/"
    r = c.list_objects(Bucket=BUCKET, Marker="a/", Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["b/"]
    assert [o["Key"] for o in r["Contents"]] == ["c.txt", "d e+f.txt", "é.txt"]
    r = c.list_objects(Bucket=BUCKET, Marker="c.txt")
    assert [o["Key"] for o in r["Contents"]] == ["d e+f.txt", "é.txt"]
    r = c.list_objects(Bucket=BUCKET, MaxKeys=1)
    assert r["IsTruncated"] is True and "NextMarker" not in r


def test_listing_missing_bucket(c):
    expect("NoSuchBucket", 404, c.list_objects_v2, Bucket="missing-bucket-x")
