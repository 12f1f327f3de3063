"""Versioning: version ids, delete markers, reads and deletes by version, listing."""

from __future__ import annotations

import pytest

from s3util import expect, s3

BUCKET = "versioned-bucket"


@pytest.fixture
def c(server):
    client = s3(server)
    client.create_bucket(Bucket=BUCKET)
    return client


def enable(c, status="Enabled"):
    c.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": status})


def test_versioning_status(c):
    assert "Status" not in c.get_bucket_versioning(Bucket=BUCKET)
    enable(c)
    assert c.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    enable(c, "Suspended")
    assert c.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Suspended"


def test_versions_and_delete_markers(c):
    c.put_object(Bucket=BUCKET, Key="doc", Body=b"before versioning")
    enable(c)
    v1 = c.put_object(Bucket=BUCKET, Key="doc", Body=b"one")["VersionId"]
    v2 = c.put_object(Bucket=BUCKET, Key="doc", Body=b"two")["VersionId"]
    assert v1 and v2 and v1 != v2
    assert c.get_object(Bucket=BUCKET, Key="doc")["Body"].read() == b"two"
    assert c.get_object(Bucket=BUCKET, Key="doc", VersionId=v1)["Body"].read() == b"one"
    assert c.get_object(Bucket=BUCKET, Key="doc", VersionId="null")["Body"].read() == b"before versioning"
    assert c.head_object(Bucket=BUCKET, Key="doc")["VersionId"] == v2

    d = c.delete_object(Bucket=BUCKET, Key="doc")
    assert d["DeleteMarker"] is True and d["VersionId"]
    marker = d["VersionId"]
    e = expect("NoSuchKey", 404, c.get_object, Bucket=BUCKET, Key="doc")
    assert e
    expect("MethodNotAllowed", 405, c.get_object, Bucket=BUCKET, Key="doc", VersionId=marker)
    assert c.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0

    r = c.list_object_versions(Bucket=BUCKET)
    assert [(v["VersionId"], v["IsLatest"]) for v in r["Versions"]] == [(v2, False), (v1, False), ("null", False)]
    assert [(m["VersionId"], m["IsLatest"]) for m in r["DeleteMarkers"]] == [(marker, True)]

    # Removing the marker brings the object back.
    c.delete_object(Bucket=BUCKET, Key="doc", VersionId=marker)
    assert c.get_object(Bucket=BUCKET, Key="doc")["Body"].read() == b"two"
    c.delete_object(Bucket=BUCKET, Key="doc", VersionId=v2)
    assert c.get_object(Bucket=BUCKET, Key="doc")["Body"].read() == b"one"
    expect("NoSuchVersion", 404, c.get_object, Bucket=BUCKET, Key="doc", VersionId=v2)


def test_suspended_writes_null_version(c):
    enable(c)
    v1 = c.put_object(Bucket=BUCKET, Key="k", Body=b"v1")["VersionId"]
    enable(c, "Suspended")
    r = c.put_object(Bucket=BUCKET, Key="k", Body=b"null-1")
    assert r.get("VersionId") in (None, "null")
    c.put_object(Bucket=BUCKET, Key="k", Body=b"null-2")
    versions = c.list_object_versions(Bucket=BUCKET)["Versions"]
    assert [v["VersionId"] for v in versions] == ["null", v1]
    assert c.get_object(Bucket=BUCKET, Key="k", VersionId="null")["Body"].read() == b"null-2"


def test_delete_objects_with_versions_and_bucket_not_empty(c):
    enable(c)
    v = c.put_object(Bucket=BUCKET, Key="x", Body=b"x")["VersionId"]
    r = c.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "x"}]})
    assert r["Deleted"][0]["DeleteMarker"] is True
    marker = r["Deleted"][0]["DeleteMarkerVersionId"]
    expect("BucketNotEmpty", 409, c.delete_bucket, Bucket=BUCKET)
    r = c.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "x", "VersionId": v}, {"Key": "x", "VersionId": marker}]})
    assert sorted(d["VersionId"] for d in r["Deleted"]) == sorted([v, marker])
    assert "Versions" not in c.list_object_versions(Bucket=BUCKET)
    c.delete_bucket(Bucket=BUCKET)


def test_list_versions_pagination(c):
    enable(c)
    ids = [c.put_object(Bucket=BUCKET, Key=k, Body=b"x")["VersionId"] for k in ["a", "a", "b"]]
    page = c.list_object_versions(Bucket=BUCKET, MaxKeys=2)
    assert page["IsTruncated"] is True
    assert [(v["Key"], v["VersionId"]) for v in page["Versions"]] == [("a", ids[1]), ("a", ids[0])]
    nxt = c.list_object_versions(Bucket=BUCKET, MaxKeys=2, KeyMarker=page["NextKeyMarker"],
                                 VersionIdMarker=page["NextVersionIdMarker"])
    assert [(v["Key"], v["VersionId"]) for v in nxt["Versions"]] == [("b", ids[2])]
    assert nxt["IsTruncated"] is False


def test_versions_survive_restart(server_factory):
    srv = server_factory()
    c = s3(srv)
    c.create_bucket(Bucket=BUCKET)
    c.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    v1 = c.put_object(Bucket=BUCKET, Key="k", Body=b"one")["VersionId"]
    c.put_object(Bucket=BUCKET, Key="k", Body=b"two")
    c.delete_object(Bucket=BUCKET, Key="k")
    srv.restart()
    c = s3(srv)
    assert c.get_object(Bucket=BUCKET, Key="k", VersionId=v1)["Body"].read() == b"one"
    r = c.list_object_versions(Bucket=BUCKET)
    assert len(r["Versions"]) == 2 and len(r["DeleteMarkers"]) == 1
