"""Deliveries between services under --enforce-iam: SNS reaches a queue only
when the queue's policy lets sns.amazonaws.com send for the topic, and S3
accepts a notification configuration only when each destination's policy
lets s3.amazonaws.com deliver for the bucket."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import run_aws
from helpers import DEFAULT_ACCOUNT

ACCOUNT = DEFAULT_ACCOUNT
REGION = "us-east-1"


@pytest.fixture
def enforced(server_factory):
    return server_factory(args=["--ephemeral", "--test-mode", "--enforce-iam"])


def queue(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def allow_service(service, action, resource, source_arn):
    """The statement AWS's guides attach to a queue or topic for a service."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": f"allow-{service.split('.')[0]}",
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": action,
            "Resource": resource,
            "Condition": {
                "ArnLike": {"aws:SourceArn": source_arn},
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
            },
        }],
    })


def received(sqs, url):
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    for m in msgs:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return [json.loads(m["Body"]) for m in msgs]


def test_sns_delivers_only_to_queues_whose_policy_allows_the_topic(enforced):
    sns, sqs = enforced.client("sns"), enforced.client("sqs")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    other_topic = sns.create_topic(Name="other")["TopicArn"]
    open_url, open_arn = queue(sqs, "open")
    closed_url, closed_arn = queue(sqs, "closed")
    wrong_url, wrong_arn = queue(sqs, "wrong-topic")
    sqs.set_queue_attributes(QueueUrl=open_url, Attributes={
        "Policy": allow_service("sns.amazonaws.com", "sqs:SendMessage", open_arn, topic)})
    sqs.set_queue_attributes(QueueUrl=wrong_url, Attributes={
        "Policy": allow_service("sns.amazonaws.com", "sqs:SendMessage", wrong_arn, other_topic)})
    for arn in (open_arn, closed_arn, wrong_arn):
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)

    mid = sns.publish(TopicArn=topic, Message="order 1")["MessageId"]

    [env] = received(sqs, open_url)
    assert (env["Type"], env["MessageId"], env["TopicArn"], env["Message"]) == ("Notification", mid, topic, "order 1")
    assert received(sqs, closed_url) == []
    assert received(sqs, wrong_url) == []

    # The policy the console writes (anyone, narrowed to the topic) works too.
    sqs.set_queue_attributes(QueueUrl=closed_url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "SQS:SendMessage", "Resource": closed_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
        }],
    })})
    sns.publish(TopicArn=topic, Message="order 2")
    assert [m["Message"] for m in received(sqs, closed_url)] == ["order 2"]
    assert [m["Message"] for m in received(sqs, open_url)] == ["order 2"]
    assert received(sqs, wrong_url) == []


def test_refused_delivery_goes_to_the_subscription_dead_letter_queue_if_it_allows(enforced):
    sns, sqs = enforced.client("sns"), enforced.client("sqs")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    _, closed_arn = queue(sqs, "no-policy")
    dlq_url, dlq_arn = queue(sqs, "alerts-dlq")
    sqs.set_queue_attributes(QueueUrl=dlq_url, Attributes={
        "Policy": allow_service("sns.amazonaws.com", "sqs:SendMessage", dlq_arn, topic)})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=closed_arn, Attributes={
        "RawMessageDelivery": "true", "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})
    sns.publish(TopicArn=topic, Message=json.dumps({"alarm": "cpu"}))
    assert received(sqs, dlq_url) == [{"alarm": "cpu"}]


def put_notifications(s3, bucket, **cfg):
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=cfg)


def refusal(exc_info):
    e = exc_info.value.response
    return e["ResponseMetadata"]["HTTPStatusCode"], e["Error"]


def test_s3_checks_queue_policy_when_notifications_are_configured(enforced):
    s3, sqs = enforced.client("s3"), enforced.client("sqs")
    s3.create_bucket(Bucket="uploads")
    url, arn = queue(sqs, "upload-events")
    config = {"QueueConfigurations": [{"Id": "new", "QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]}

    with pytest.raises(ClientError) as e:
        put_notifications(s3, "uploads", **config)
    status, error = refusal(e)
    assert status == 400
    assert error["Code"] == "InvalidArgument"
    assert error["Message"] == "Unable to validate the following destination configurations"
    assert error["ArgumentName1"] == arn
    assert error["ArgumentValue1"] == (
        "Permissions on the destination queue do not allow S3 to publish notifications from this bucket")
    # Nothing was stored, and the queue heard nothing.
    assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(Bucket="uploads")
    assert received(sqs, url) == []

    # A policy for another bucket is no better; the bucket's own is.
    sqs.set_queue_attributes(QueueUrl=url, Attributes={
        "Policy": allow_service("s3.amazonaws.com", "sqs:SendMessage", arn, "arn:aws:s3:::elsewhere")})
    with pytest.raises(ClientError):
        put_notifications(s3, "uploads", **config)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={
        "Policy": allow_service("s3.amazonaws.com", "sqs:SendMessage", arn, "arn:aws:s3:::uploads")})
    put_notifications(s3, "uploads", **config)
    assert [m["Event"] for m in received(sqs, url)] == ["s3:TestEvent"]
    s3.put_object(Bucket="uploads", Key="a.txt", Body=b"x")
    [event] = received(sqs, url)
    assert event["Records"][0]["s3"]["object"]["key"] == "a.txt"

    # Should the policy go, events are dropped, as S3's deliveries are refused.
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
    s3.put_object(Bucket="uploads", Key="b.txt", Body=b"x")
    assert received(sqs, url) == []


def test_s3_to_topic_needs_the_topic_policy_then_fans_out(enforced):
    s3, sns, sqs = enforced.client("s3"), enforced.client("sns"), enforced.client("sqs")
    s3.create_bucket(Bucket="photos")
    topic = sns.create_topic(Name="photo-events")["TopicArn"]
    url, arn = queue(sqs, "thumbnails")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={
        "Policy": allow_service("sns.amazonaws.com", "sqs:SendMessage", arn, topic)})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    missing = f"arn:aws:sqs:{REGION}:{ACCOUNT}:no-such-queue"
    config = {
        "TopicConfigurations": [{"Id": "t", "TopicArn": topic, "Events": ["s3:ObjectCreated:Put"]}],
        "QueueConfigurations": [{"Id": "q", "QueueArn": missing, "Events": ["s3:ObjectCreated:Put"]}],
    }
    # The default topic policy is for the account's principals, not S3.
    with pytest.raises(ClientError) as e:
        put_notifications(s3, "photos", **config)
    _, error = refusal(e)
    assert (error["ArgumentName1"], error["ArgumentValue1"]) == (missing, "The destination queue does not exist")
    assert (error["ArgumentName2"], error["ArgumentValue2"]) == (
        topic, "Permissions on the destination topic do not allow S3 to publish notifications from this bucket")

    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=allow_service(
        "s3.amazonaws.com", "SNS:Publish", topic, "arn:aws:s3:::photos"))
    del config["QueueConfigurations"]
    put_notifications(s3, "photos", **config)
    s3.put_object(Bucket="photos", Key="cat.jpg", Body=b"x")
    events = [m.get("Event") or m["Records"][0]["s3"]["object"]["key"] for m in received(sqs, url)]
    assert events == ["s3:TestEvent", "cat.jpg"]

    # From the command line, the refusal reads as AWS's does.
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue="")
    out = run_aws(enforced, "s3api", "put-bucket-notification-configuration", "--bucket", "photos",
                  "--notification-configuration", json.dumps(config), check=False)
    assert out.returncode != 0
    assert "(InvalidArgument)" in out.stderr
    assert "Unable to validate the following destination configurations" in out.stderr


def test_without_enforcement_deliveries_need_no_policy(server_factory):
    srv = server_factory(args=["--ephemeral"])
    s3, sns, sqs = srv.client("s3"), srv.client("sns"), srv.client("sqs")
    s3.create_bucket(Bucket="plain")
    topic = sns.create_topic(Name="plain")["TopicArn"]
    url, arn = queue(sqs, "plain")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    put_notifications(s3, "plain", TopicConfigurations=[{"TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}])
    assert [m["Event"] for m in received(sqs, url)] == ["s3:TestEvent"]
