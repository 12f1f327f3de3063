"""S3 event notifications delivered to SQS queues, read back through boto3."""

from __future__ import annotations

import json

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
