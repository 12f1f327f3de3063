"""S3 event notifications delivered to SQS queues, read back through boto3."""

from __future__ import annotations

import json
import time

import requests

from s3util import expect, s3


def drain(sqs, url):
    """Every message now in the queue, as parsed JSON bodies."""
    out = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return out
        for m in got:
            out.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def setup(server, bucket, queue, events, rules=None):
    server.reset()
    c = s3(server)
    sqs = server.client("sqs")
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    c.create_bucket(Bucket=bucket)
    qc = {"Id": "to-queue", "QueueArn": arn, "Events": events}
    if rules:
        qc["Filter"] = {"Key": {"FilterRules": [{"Name": n, "Value": v} for n, v in rules]}}
    c.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [qc]})
    return c, sqs, url


def test_configuration_sends_test_event_then_object_events(server):
    c, sqs, url = setup(server, "uploads", "events", ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"])
    test = drain(sqs, url)
    assert [(m["Event"], m["Bucket"]) for m in test] == [("s3:TestEvent", "uploads")]

    put = c.put_object(Bucket="uploads", Key="dir/a b.txt", Body=b"hello")
    c.copy_object(Bucket="uploads", Key="copy.txt", CopySource={"Bucket": "uploads", "Key": "dir/a b.txt"})
    c.delete_object(Bucket="uploads", Key="copy.txt")
    records = [m["Records"][0] for m in drain(sqs, url)]
    assert [r["eventName"] for r in records] == ["ObjectCreated:Put", "ObjectCreated:Copy", "ObjectRemoved:Delete"]
    first = records[0]
    assert first["eventSource"] == "aws:s3"
    assert first["awsRegion"] == "us-east-1"
    assert first["s3"]["configurationId"] == "to-queue"
    assert first["s3"]["bucket"]["name"] == "uploads"
    assert first["s3"]["bucket"]["arn"] == "arn:aws:s3:::uploads"
    # Keys arrive form-encoded, as on AWS: spaces as '+', slashes kept.
    assert first["s3"]["object"]["key"] == "dir/a+b.txt"
    assert first["s3"]["object"]["size"] == 5
    assert first["s3"]["object"]["eTag"] == put["ETag"].strip('"')
    assert "size" not in records[2]["s3"]["object"]


def test_event_and_key_filters(server):
    c, sqs, url = setup(
        server, "photos", "thumbs", ["s3:ObjectCreated:Put"], rules=[("prefix", "images/"), ("suffix", ".jpg")]
    )
    drain(sqs, url)
    c.put_object(Bucket="photos", Key="images/cat.jpg", Body=b"x")
    c.put_object(Bucket="photos", Key="images/cat.png", Body=b"x")
    c.put_object(Bucket="photos", Key="docs/cat.jpg", Body=b"x")
    c.delete_object(Bucket="photos", Key="images/cat.jpg")
    keys = [m["Records"][0]["s3"]["object"]["key"] for m in drain(sqs, url)]
    assert keys == ["images/cat.jpg"]


def test_multipart_completion_and_delete_markers(server):
    c, sqs, url = setup(server, "big", "done", ["s3:ObjectCreated:CompleteMultipartUpload", "s3:ObjectRemoved:*"])
    drain(sqs, url)
    c.put_bucket_versioning(Bucket="big", VersioningConfiguration={"Status": "Enabled"})
    up = c.create_multipart_upload(Bucket="big", Key="blob")
    part = c.upload_part(Bucket="big", Key="blob", UploadId=up["UploadId"], PartNumber=1, Body=b"z" * 100)
    c.complete_multipart_upload(
        Bucket="big",
        Key="blob",
        UploadId=up["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    c.put_object(Bucket="big", Key="small", Body=b"not reported")
    c.delete_object(Bucket="big", Key="blob")
    records = [m["Records"][0] for m in drain(sqs, url)]
    assert [r["eventName"] for r in records] == [
        "ObjectCreated:CompleteMultipartUpload",
        "ObjectRemoved:DeleteMarkerCreated",
    ]
    assert records[0]["s3"]["object"]["size"] == 100
    assert records[0]["s3"]["object"]["versionId"]


def test_failed_requests_send_nothing(server):
    c, sqs, url = setup(server, "quiet", "none", ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"])
    drain(sqs, url)
    try:
        c.copy_object(Bucket="quiet", Key="x", CopySource={"Bucket": "quiet", "Key": "missing"})
    except c.exceptions.ClientError:
        pass
    else:
        raise AssertionError("copy of a missing key succeeded")
    assert drain(sqs, url) == []


def test_topic_destination_reaches_its_subscribers(server):
    server.reset()
    c = s3(server)
    sqs = server.client("sqs")
    sns = server.client("sns")
    topic = sns.create_topic(Name="uploads-topic")["TopicArn"]
    url = sqs.create_queue(QueueName="subscriber")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    c.create_bucket(Bucket="fanout")
    c.put_bucket_notification_configuration(
        Bucket="fanout",
        NotificationConfiguration={
            "TopicConfigurations": [{"Id": "to-topic", "TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    c.put_object(Bucket="fanout", Key="report.csv", Body=b"a,b")
    envelopes = drain(sqs, url)
    assert [e["Subject"] for e in envelopes] == ["Amazon S3 Notification"] * 2
    assert [e["TopicArn"] for e in envelopes] == [topic] * 2
    assert json.loads(envelopes[0]["Message"])["Event"] == "s3:TestEvent"
    record = json.loads(envelopes[1]["Message"])["Records"][0]
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["configurationId"] == "to-topic"
    assert record["s3"]["object"]["key"] == "report.csv"


def test_missing_destinations_are_refused(server):
    server.reset()
    c = s3(server)
    c.create_bucket(Bucket="strict")
    missing_queue = {
        "QueueConfigurations": [
            {"QueueArn": "arn:aws:sqs:us-east-1:000000000000:nope", "Events": ["s3:ObjectCreated:*"]}
        ]
    }
    msg = expect(
        "InvalidArgument",
        400,
        c.put_bucket_notification_configuration,
        Bucket="strict",
        NotificationConfiguration=missing_queue,
    )
    assert "Unable to validate the following destination configurations" in msg
    missing_topic = {
        "TopicConfigurations": [
            {"TopicArn": "arn:aws:sns:us-east-1:000000000000:nope", "Events": ["s3:ObjectCreated:*"]}
        ]
    }
    expect(
        "InvalidArgument",
        400,
        c.put_bucket_notification_configuration,
        Bucket="strict",
        NotificationConfiguration=missing_topic,
    )
    # Nothing was stored.
    assert "QueueConfigurations" not in c.get_bucket_notification_configuration(Bucket="strict")
    expect(
        "NoSuchBucket",
        404,
        c.put_bucket_notification_configuration,
        Bucket="absent",
        NotificationConfiguration=missing_queue,
    )


def test_delete_objects_reports_each_key(server):
    c, sqs, url = setup(server, "batch", "removed", ["s3:ObjectRemoved:*"])
    drain(sqs, url)
    for k in ["a.txt", "b.txt"]:
        c.put_object(Bucket="batch", Key=k, Body=b"x")
    c.delete_objects(Bucket="batch", Delete={"Objects": [{"Key": "a.txt"}, {"Key": "b.txt"}], "Quiet": True})
    records = [m["Records"][0] for m in drain(sqs, url)]
    assert sorted((r["eventName"], r["s3"]["object"]["key"]) for r in records) == [
        ("ObjectRemoved:Delete", "a.txt"), ("ObjectRemoved:Delete", "b.txt")]
    assert all(r["s3"]["object"]["sequencer"] for r in records)

    # In a versioned bucket a delete without a version leaves a marker; one
    # with a version removes that version for good.
    c.put_bucket_versioning(Bucket="batch", VersioningConfiguration={"Status": "Enabled"})
    v = c.put_object(Bucket="batch", Key="v.txt", Body=b"1")["VersionId"]
    c.put_object(Bucket="batch", Key="w.txt", Body=b"2")
    out = c.delete_objects(Bucket="batch", Delete={"Objects": [
        {"Key": "v.txt", "VersionId": v}, {"Key": "w.txt"}]})
    marker = next(d for d in out["Deleted"] if d["Key"] == "w.txt")["DeleteMarkerVersionId"]
    records = {r["s3"]["object"]["key"]: r for r in (m["Records"][0] for m in drain(sqs, url))}
    assert records["v.txt"]["eventName"] == "ObjectRemoved:Delete"
    assert records["v.txt"]["s3"]["object"]["versionId"] == v
    assert records["w.txt"]["eventName"] == "ObjectRemoved:DeleteMarkerCreated"
    assert records["w.txt"]["s3"]["object"]["versionId"] == marker


def test_cli_rm_recursive_reports_removals(server, aws):
    c, sqs, url = setup(server, "clirm", "removed", ["s3:ObjectRemoved:Delete"])
    drain(sqs, url)
    for k in ["docs/1.txt", "docs/2.txt", "docs/3.txt"]:
        c.put_object(Bucket="clirm", Key=k, Body=b"x")
    proc = aws("s3", "rm", "s3://clirm/docs/", "--recursive", check=False)
    assert proc.returncode == 0, proc.stderr
    keys = sorted(m["Records"][0]["s3"]["object"]["key"] for m in drain(sqs, url))
    assert keys == ["docs/1.txt", "docs/2.txt", "docs/3.txt"]


def test_browser_post_is_reported_as_post(server):
    c, sqs, url = setup(server, "forms", "created", ["s3:ObjectCreated:*"])
    drain(sqs, url)
    post = c.generate_presigned_post("forms", "in/${filename}", ExpiresIn=300)
    r = requests.post(post["url"], data=post["fields"], files={"file": ("hello.txt", b"form body")}, timeout=10)
    assert r.status_code == 204, r.text
    records = [m["Records"][0] for m in drain(sqs, url)]
    assert [(r["eventName"], r["s3"]["object"]["key"]) for r in records] == [("ObjectCreated:Post", "in/hello.txt")]
    assert records[0]["s3"]["object"]["size"] == len(b"form body")


def test_lifecycle_expiry_is_reported(server_factory):
    server = server_factory(["--ephemeral", "--test-mode"])
    c, sqs, url = setup(server, "aging", "expired", ["s3:LifecycleExpiration:*"])
    drain(sqs, url)
    c.put_bucket_lifecycle_configuration(Bucket="aging", LifecycleConfiguration={"Rules": [
        {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}}]})
    c.put_object(Bucket="aging", Key="tmp/a", Body=b"a")
    c.put_object(Bucket="aging", Key="keep/b", Body=b"b")
    c.delete_object(Bucket="aging", Key="keep/b")  # not a lifecycle event: not reported
    server.advance(2 * 86400 + 60)
    got = []
    deadline = time.monotonic() + 10
    while not got and time.monotonic() < deadline:
        got = drain(sqs, url)
        time.sleep(0.05)
    records = [m["Records"][0] for m in got]
    assert [(r["eventName"], r["s3"]["object"]["key"]) for r in records] == [("LifecycleExpiration:Delete", "tmp/a")]
    assert records[0]["userIdentity"]["principalId"] == "s3.amazonaws.com"

    # In a versioned bucket, expiring the current version leaves a marker.
    c.put_bucket_versioning(Bucket="aging", VersioningConfiguration={"Status": "Enabled"})
    c.put_object(Bucket="aging", Key="tmp/v", Body=b"v")
    server.advance(2 * 86400 + 60)
    got = []
    deadline = time.monotonic() + 10
    while not got and time.monotonic() < deadline:
        got = drain(sqs, url)
        time.sleep(0.05)
    assert [m["Records"][0]["eventName"] for m in got] == ["LifecycleExpiration:DeleteMarkerCreated"]
