"""S3 buckets through boto3: create rules, head, list, delete, location, addressing."""

from __future__ import annotations

import pytest
import requests

from s3util import expect, s3


def test_create_head_list_delete(server):
    c = s3(server)
    r = c.create_bucket(Bucket="alpha-bucket")
    assert r["Location"] == "/alpha-bucket"
    c.create_bucket(Bucket="beta-bucket")
    assert c.head_bucket(Bucket="alpha-bucket")["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"
    names = [b["Name"] for b in c.list_buckets()["Buckets"]]
    assert names == ["alpha-bucket", "beta-bucket"]
    c.delete_bucket(Bucket="alpha-bucket")
    expect("404", 404, c.head_bucket, Bucket="alpha-bucket")
    expect("NoSuchBucket", 404, c.delete_bucket, Bucket="alpha-bucket")
    assert [b["Name"] for b in c.list_buckets()["Buckets"]] == ["beta-bucket"]


def test_list_buckets_prefix_and_pages(server):
    c = s3(server)
    for n in ["logs-a", "logs-b", "logs-c", "data-a"]:
        c.create_bucket(Bucket=n)
    r = c.list_buckets(Prefix="logs-", MaxBuckets=2)
    assert [b["Name"] for b in r["Buckets"]] == ["logs-a", "logs-b"]
    assert r["ContinuationToken"]
    r2 = c.list_buckets(Prefix="logs-", MaxBuckets=2, ContinuationToken=r["ContinuationToken"])
    assert [b["Name"] for b in r2["Buckets"]] == ["logs-c"]
    assert "ContinuationToken" not in r2
    assert all(b["BucketRegion"] == "us-east-1" for b in r["Buckets"])


@pytest.mark.parametrize(
    "name",
    ["ab", "UpperCase", "under_score", "-leading", "trailing-", "double..dot", "192.168.1.1", "xn--punycode", "a" * 64],
)
def test_invalid_bucket_names(server, name):
    c = s3(server)
    msg = expect("InvalidBucketName", 400, c.create_bucket, Bucket=name)
    assert msg == "The specified bucket is not valid."


def test_location_constraints(server):
    east = s3(server)
    west = s3(server, "eu-west-1")
    msg = expect("IllegalLocationConstraintException", 400, west.create_bucket, Bucket="no-constraint")
    assert "unspecified location constraint" in msg
    expect(
        "IllegalLocationConstraintException",
        400,
        west.create_bucket,
        Bucket="wrong-constraint",
        CreateBucketConfiguration={"LocationConstraint": "us-west-2"},
    )
    expect(
        "InvalidLocationConstraint",
        400,
        east.create_bucket,
        Bucket="explicit-east",
        CreateBucketConfiguration={"LocationConstraint": "us-east-1"},
    )
    west.create_bucket(Bucket="in-ireland", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert west.get_bucket_location(Bucket="in-ireland")["LocationConstraint"] == "eu-west-1"
    east.create_bucket(Bucket="in-virginia")
    assert east.get_bucket_location(Bucket="in-virginia")["LocationConstraint"] is None
    assert east.head_bucket(Bucket="in-ireland")["BucketRegion"] == "eu-west-1"


def test_already_owned_and_taken(server):
    east = s3(server)
    west = s3(server, "eu-west-1")
    east.create_bucket(Bucket="mine-east")
    # us-east-1 keeps its legacy answer: success for the owner.
    assert east.create_bucket(Bucket="mine-east")["ResponseMetadata"]["HTTPStatusCode"] == 200
    west.create_bucket(Bucket="mine-west", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    expect(
        "BucketAlreadyOwnedByYou",
        409,
        west.create_bucket,
        Bucket="mine-west",
        CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
    )
    other = s3(server, access_key="111122223333")
    expect("BucketAlreadyExists", 409, other.create_bucket, Bucket="mine-east")
    assert other.list_buckets()["Buckets"] == []
    expect("AccessDenied", 403, other.put_object, Bucket="mine-east", Key="k", Body=b"x")


def test_delete_non_empty_bucket(server):
    c = s3(server)
    c.create_bucket(Bucket="full-bucket")
    c.put_object(Bucket="full-bucket", Key="k", Body=b"x")
    msg = expect("BucketNotEmpty", 409, c.delete_bucket, Bucket="full-bucket")
    assert msg == "The bucket you tried to delete is not empty"
    c.delete_object(Bucket="full-bucket", Key="k")
    c.delete_bucket(Bucket="full-bucket")


def test_virtual_host_addressing(server):
    c = s3(server)
    c.create_bucket(Bucket="vhost-bucket")
    port = server.url.rsplit(":", 1)[1]
    for host in [f"vhost-bucket.s3.localhost:{port}", f"vhost-bucket.s3.us-east-1.localhost:{port}",
                 "vhost-bucket.s3.localhost.localstack.cloud", "vhost-bucket.s3.us-east-1.amazonaws.com"]:
        r = requests.put(f"{server.url}/page.txt", data=b"via " + host.encode(), headers={"Host": host}, timeout=10)
        assert r.status_code == 200, (host, r.text)
        r = requests.get(f"{server.url}/page.txt", headers={"Host": host}, timeout=10)
        assert r.content == b"via " + host.encode()
    r = requests.get(f"{server.url}/?list-type=2", headers={"Host": f"vhost-bucket.s3.localhost:{port}"}, timeout=10)
    assert "<Key>page.txt</Key>" in r.text
    r = requests.get(server.url + "/", headers={"Host": f"s3.localhost:{port}"}, timeout=10)
    assert "<Name>vhost-bucket</Name>" in r.text


def test_buckets_and_objects_survive_restart(server_factory):
    srv = server_factory()
    c = s3(srv)
    c.create_bucket(Bucket="durable-bucket")
    c.put_object(Bucket="durable-bucket", Key="a/b", Body=b"kept", Metadata={"m": "1"})
    srv.kill()
    srv.start()
    c = s3(srv)
    assert [b["Name"] for b in c.list_buckets()["Buckets"]] == ["durable-bucket"]
    g = c.get_object(Bucket="durable-bucket", Key="a/b")
    assert g["Body"].read() == b"kept"
    assert g["Metadata"] == {"m": "1"}
