"""Bucket configurations: ACLs and ownership, CORS (with preflight), lifecycle
(applied on the clock), encryption, logging, notifications, replication."""

from __future__ import annotations

import time

import pytest
import requests

from s3util import expect, s3

BUCKET = "config-bucket"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


@pytest.fixture
def c(server):
    client = s3(server)
    client.create_bucket(Bucket=BUCKET)
    return client


def test_ownership_and_acls(c):
    oc = c.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]
    assert oc["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    acl = c.get_bucket_acl(Bucket=BUCKET)
    assert [g["Permission"] for g in acl["Grants"]] == ["FULL_CONTROL"]
    assert acl["Owner"]["ID"] == acl["Grants"][0]["Grantee"]["ID"]
    msg = expect("AccessControlListNotSupported", 400, c.put_bucket_acl, Bucket=BUCKET, ACL="public-read")
    assert msg == "The bucket does not allow ACLs"
    expect("AccessControlListNotSupported", 400, c.put_object, Bucket=BUCKET, Key="k", Body=b"x", ACL="public-read")
    c.put_object(Bucket=BUCKET, Key="k", Body=b"x", ACL="bucket-owner-full-control")
    expect("InvalidBucketAclWithObjectOwnership", 400, c.create_bucket, Bucket="acl-bucket-2", ACL="public-read")

    c.put_bucket_ownership_controls(Bucket=BUCKET, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    c.put_bucket_acl(Bucket=BUCKET, ACL="public-read")
    grants = c.get_bucket_acl(Bucket=BUCKET)["Grants"]
    assert {"Type": "Group", "URI": ALL_USERS} in [g["Grantee"] for g in grants]
    c.put_object(Bucket=BUCKET, Key="pub", Body=b"x", ACL="public-read")
    assert any(g["Grantee"].get("URI") == ALL_USERS for g in c.get_object_acl(Bucket=BUCKET, Key="pub")["Grants"])
    c.put_object_acl(Bucket=BUCKET, Key="pub", ACL="private")
    assert len(c.get_object_acl(Bucket=BUCKET, Key="pub")["Grants"]) == 1
    c.delete_bucket_ownership_controls(Bucket=BUCKET)
    expect("OwnershipControlsNotFoundError", 404, c.get_bucket_ownership_controls, Bucket=BUCKET)


def test_default_encryption(c):
    rule = c.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert c.put_object(Bucket=BUCKET, Key="k", Body=b"x")["ServerSideEncryption"] == "AES256"
    c.put_bucket_encryption(Bucket=BUCKET, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/x"},
         "BucketKeyEnabled": True}]})
    rule = c.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/x"}
    assert rule["BucketKeyEnabled"] is True
    c.delete_bucket_encryption(Bucket=BUCKET)
    rule = c.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_logging_notifications_replication(server, c):
    assert "LoggingEnabled" not in c.get_bucket_logging(Bucket=BUCKET)
    c.create_bucket(Bucket="log-target")
    c.put_bucket_logging(Bucket=BUCKET, BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "log-target", "TargetPrefix": "logs/"}})
    assert c.get_bucket_logging(Bucket=BUCKET)["LoggingEnabled"]["TargetPrefix"] == "logs/"
    expect("InvalidTargetBucketForLogging", 400, c.put_bucket_logging, Bucket=BUCKET, BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "no-such-target", "TargetPrefix": "x"}})

    queue = "arn:aws:sqs:us-east-1:000000000000:events"
    server.client("sqs").create_queue(QueueName="events")
    c.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={
        "QueueConfigurations": [{"Id": "q", "QueueArn": queue, "Events": ["s3:ObjectCreated:*"]}]})
    n = c.get_bucket_notification_configuration(Bucket=BUCKET)
    assert n["QueueConfigurations"][0]["QueueArn"] == queue
    assert n["QueueConfigurations"][0]["Events"] == ["s3:ObjectCreated:*"]

    repl = {"Role": "arn:aws:iam::000000000000:role/r", "Rules": [
        {"ID": "all", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": ""},
         "DeleteMarkerReplication": {"Status": "Disabled"},
         "Destination": {"Bucket": "arn:aws:s3:::log-target"}}]}
    expect("InvalidRequest", 400, c.put_bucket_replication, Bucket=BUCKET, ReplicationConfiguration=repl)
    c.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    c.put_bucket_replication(Bucket=BUCKET, ReplicationConfiguration=repl)
    got = c.get_bucket_replication(Bucket=BUCKET)["ReplicationConfiguration"]
    assert got["Role"] == repl["Role"] and got["Rules"][0]["ID"] == "all"
    c.delete_bucket_replication(Bucket=BUCKET)
    expect("ReplicationConfigurationNotFoundError", 404, c.get_bucket_replication, Bucket=BUCKET)


def test_cors(server, c):
    expect("NoSuchCORSConfiguration", 404, c.get_bucket_cors, Bucket=BUCKET)
    pre = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT",
           "Access-Control-Request-Headers": "content-type"}
    r = requests.options(f"{server.url}/{BUCKET}/file.txt", headers=pre, timeout=10)
    assert r.status_code == 403 and "CORS is not enabled" in r.text
    rules = [{"AllowedOrigins": ["https://*.example.com"], "AllowedMethods": ["GET", "PUT"],
              "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 300}]
    c.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRules": rules})
    assert c.get_bucket_cors(Bucket=BUCKET)["CORSRules"][0]["AllowedOrigins"] == ["https://*.example.com"]
    r = requests.options(f"{server.url}/{BUCKET}/file.txt", headers=pre, timeout=10)
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert r.headers["Access-Control-Allow-Methods"] == "GET, PUT"
    assert r.headers["Access-Control-Max-Age"] == "300"
    denied = dict(pre, Origin="https://evil.org")
    assert requests.options(f"{server.url}/{BUCKET}/file.txt", headers=denied, timeout=10).status_code == 403
    c.put_object(Bucket=BUCKET, Key="file.txt", Body=b"x")
    get = c.get_object(Bucket=BUCKET, Key="file.txt")  # warms nothing; CORS headers come on browser requests
    assert get["Body"].read() == b"x"
    port = server.url.rsplit(":", 1)[1]
    r = requests.get(f"{server.url}/file.txt", headers={"Host": f"{BUCKET}.s3.localhost:{port}",
                                                         "Origin": "https://app.example.com"}, timeout=10)
    assert r.headers.get("Access-Control-Allow-Origin") == "https://app.example.com"
    assert r.headers.get("Access-Control-Expose-Headers") == "ETag"
    c.delete_bucket_cors(Bucket=BUCKET)
    expect("NoSuchCORSConfiguration", 404, c.get_bucket_cors, Bucket=BUCKET)


def test_lifecycle_expires_on_the_clock(server_factory):
    server = server_factory(["--ephemeral", "--test-mode"])
    c = s3(server)
    c.create_bucket(Bucket=BUCKET)
    expect("NoSuchLifecycleConfiguration", 404, c.get_bucket_lifecycle_configuration, Bucket=BUCKET)
    c.put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={"Rules": [
        {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}},
        {"ID": "mpu", "Status": "Enabled", "Filter": {"Prefix": ""},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}}]})
    rules = c.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert [r["ID"] for r in rules] == ["tmp", "mpu"]
    c.put_object(Bucket=BUCKET, Key="tmp/a", Body=b"a")
    c.put_object(Bucket=BUCKET, Key="keep/b", Body=b"b")
    c.create_multipart_upload(Bucket=BUCKET, Key="pending")
    # S3 rounds each due time up to the next midnight UTC: three days covers both rules.
    server.advance(3 * 86400 + 60)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        keys = [o["Key"] for o in c.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
        if keys == ["keep/b"] and "Uploads" not in c.list_multipart_uploads(Bucket=BUCKET):
            break
        time.sleep(0.05)
    assert [o["Key"] for o in c.list_objects_v2(Bucket=BUCKET)["Contents"]] == ["keep/b"]
    assert "Uploads" not in c.list_multipart_uploads(Bucket=BUCKET)
    expect("InvalidArgument", 400, c.put_bucket_lifecycle_configuration, Bucket=BUCKET, LifecycleConfiguration={
        "Rules": [{"ID": "bad", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 0}}]})
    c.delete_bucket_lifecycle(Bucket=BUCKET)
    expect("NoSuchLifecycleConfiguration", 404, c.get_bucket_lifecycle_configuration, Bucket=BUCKET)


def test_bucket_tagging(c):
    expect("NoSuchTagSet", 404, c.get_bucket_tagging, Bucket=BUCKET)
    c.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [{"Key": "team", "Value": "web"}]})
    assert c.get_bucket_tagging(Bucket=BUCKET)["TagSet"] == [{"Key": "team", "Value": "web"}]
    c.delete_bucket_tagging(Bucket=BUCKET)
    expect("NoSuchTagSet", 404, c.get_bucket_tagging, Bucket=BUCKET)
