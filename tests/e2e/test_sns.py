"""SNS through boto3: topics, subscriptions, filter policies, fan-out to SQS
and to an http endpoint on loopback."""

from __future__ import annotations

import json
import queue
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests
from botocore.exceptions import ClientError

from helpers import DEFAULT_ACCOUNT, error_of


@pytest.fixture
def clients(server):
    server.reset()
    return server.client("sns"), server.client("sqs")


def queue_with_arn(sqs, name):
    url = sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"} if name.endswith(".fifo") else {})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def bodies(sqs, url, **kw):
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, **kw).get("Messages", [])
    return msgs


def test_topics_attributes_tags(clients):
    sns, _ = clients
    arn = sns.create_topic(Name="alarms", Tags=[{"Key": "env", "Value": "dev"}])["TopicArn"]
    assert arn == f"arn:aws:sns:us-east-1:{DEFAULT_ACCOUNT}:alarms"
    assert sns.create_topic(Name="alarms")["TopicArn"] == arn
    a = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert a["TopicArn"] == arn and a["Owner"] == DEFAULT_ACCOUNT
    assert a["SubscriptionsConfirmed"] == "0" and a["DisplayName"] == ""
    assert json.loads(a["Policy"])["Statement"][0]["Resource"] == arn
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="Alarms")
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"] == "Alarms"
    assert [t["TopicArn"] for t in sns.list_topics()["Topics"]] == [arn]
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "ops"}])
    sns.untag_resource(ResourceArn=arn, TagKeys=["env"])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ops"}]
    sns.put_data_protection_policy(ResourceArn=arn, DataProtectionPolicy=json.dumps({"Name": "p"}))
    assert json.loads(sns.get_data_protection_policy(ResourceArn=arn)["DataProtectionPolicy"]) == {"Name": "p"}
    sns.delete_topic(TopicArn=arn)
    sns.delete_topic(TopicArn=arn)
    with pytest.raises(sns.exceptions.NotFoundException) as e:
        sns.get_topic_attributes(TopicArn=arn)
    assert error_of(e.value) == ("NotFound", "Topic does not exist", 404)


def test_bad_input(clients):
    sns, _ = clients
    with pytest.raises(sns.exceptions.InvalidParameterException) as e:
        sns.create_topic(Name="bad name")
    assert error_of(e.value)[0] == "InvalidParameter"
    arn = sns.create_topic(Name="t")["TopicArn"]
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint="not-an-arn")
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=f"arn:aws:sqs:us-east-1:{DEFAULT_ACCOUNT}:q",
                      Attributes={"FilterPolicy": '{"a": "not-a-list"}'})
    with pytest.raises(sns.exceptions.InvalidParameterException) as e:
        sns.publish(TopicArn=arn, Message=json.dumps({"sqs": "x"}), MessageStructure="json")
    assert "No default entry" in error_of(e.value)[1]
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.publish(TopicArn=arn + "x", Message="m")
    with pytest.raises(ClientError) as e:
        sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[{"Id": "a", "Message": "1"}, {"Id": "a", "Message": "2"}])
    assert error_of(e.value)[0] == "BatchEntryIdsNotDistinct"


def test_fan_out_with_filter_policy_and_envelope(server, clients):
    sns, sqs = clients
    topic = sns.create_topic(Name="orders")["TopicArn"]
    all_url, all_arn = queue_with_arn(sqs, "all-orders")
    big_url, big_arn = queue_with_arn(sqs, "big-orders")
    raw_url, raw_arn = queue_with_arn(sqs, "raw-orders")
    s_all = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=all_arn)["SubscriptionArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=big_arn,
                  Attributes={"FilterPolicy": json.dumps({"total": [{"numeric": [">=", 100]}], "kind": [{"anything-but": "test"}]})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=raw_arn, Attributes={"RawMessageDelivery": "true"})
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsConfirmed"] == "3"

    small = sns.publish(TopicArn=topic, Message="small order", Subject="Order",
                        MessageAttributes={"total": {"DataType": "Number", "StringValue": "5"},
                                           "kind": {"DataType": "String", "StringValue": "real"}})
    sns.publish(TopicArn=topic, Message="big order",
                MessageAttributes={"total": {"DataType": "Number", "StringValue": "250"},
                                   "kind": {"DataType": "String", "StringValue": "real"}})

    got_all = bodies(sqs, all_url)
    assert len(got_all) == 2
    env = json.loads(got_all[0]["Body"]) if json.loads(got_all[0]["Body"])["Message"] == "small order" else json.loads(got_all[1]["Body"])
    assert env["Type"] == "Notification" and env["MessageId"] == small["MessageId"]
    assert env["TopicArn"] == topic and env["Subject"] == "Order" and env["Message"] == "small order"
    assert env["SignatureVersion"] == "1" and env["Signature"] and env["SigningCertURL"]
    assert s_all in env["UnsubscribeURL"]
    assert env["MessageAttributes"]["total"] == {"Type": "Number", "Value": "5"}
    assert env["Timestamp"].endswith("Z")
    assert list(env)[:5] == ["Type", "MessageId", "TopicArn", "Subject", "Message"]
    assert got_all[0]["Body"].startswith('{\n  "Type" : "Notification",\n')

    assert [json.loads(m["Body"])["Message"] for m in bodies(sqs, big_url)] == ["big order"]
    raw = bodies(sqs, raw_url, MessageAttributeNames=["All"])
    assert sorted(m["Body"] for m in raw) == ["big order", "small order"]
    assert raw[0]["MessageAttributes"]["kind"]["StringValue"] == "real"


def test_body_filter_policy_and_batch(clients):
    sns, sqs = clients
    topic = sns.create_topic(Name="events")["TopicArn"]
    url, arn = queue_with_arn(sqs, "eu-events")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={
        "RawMessageDelivery": "true", "FilterPolicyScope": "MessageBody",
        "FilterPolicy": json.dumps({"region": [{"prefix": "eu-"}], "$or": [{"level": ["high"]}, {"code": [{"exists": True}]}]}),
    })
    r = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "1", "Message": json.dumps({"region": "eu-west-1", "level": "high"})},
        {"Id": "2", "Message": json.dumps({"region": "us-east-1", "level": "high"})},
        {"Id": "3", "Message": json.dumps({"region": "eu-central-1", "code": 7})},
        {"Id": "4", "Message": json.dumps({"region": "eu-central-1", "level": "low"})},
    ])
    assert [s["Id"] for s in r["Successful"]] == ["1", "2", "3", "4"]
    got = sorted(json.loads(m["Body"])["region"] for m in bodies(sqs, url))
    assert got == ["eu-central-1", "eu-west-1"]


def test_fifo_topic_to_fifo_queue_keeps_order(clients):
    sns, sqs = clients
    topic = sns.create_topic(Name="ledger.fifo", Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    url, arn = queue_with_arn(sqs, "ledger.fifo")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    seqs = [sns.publish(TopicArn=topic, Message=f"entry-{i}", MessageGroupId="acct")["SequenceNumber"] for i in range(3)]
    assert seqs == sorted(seqs, key=int)
    dup = sns.publish(TopicArn=topic, Message="entry-0", MessageGroupId="acct")
    assert dup["SequenceNumber"] == seqs[0]
    assert [m["Body"] for m in bodies(sqs, url)] == ["entry-0", "entry-1", "entry-2"]
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.publish(TopicArn=topic, Message="x")


def test_subscriptions_list_attributes_unsubscribe(clients):
    sns, sqs = clients
    topic = sns.create_topic(Name="t2")["TopicArn"]
    _, arn = queue_with_arn(sqs, "q2")
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]
    assert sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"] == sub
    pending = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@example.com")["SubscriptionArn"]
    assert pending == "pending confirmation"
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert sorted(s["SubscriptionArn"] for s in listed) == sorted([sub, "PendingConfirmation"])
    assert len(sns.list_subscriptions()["Subscriptions"]) == 2
    a = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert (a["Protocol"], a["Endpoint"], a["PendingConfirmation"], a["RawMessageDelivery"]) == ("sqs", arn, "false", "false")
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue='{"k": ["v"]}')
    a = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert a["FilterPolicy"] == '{"k": ["v"]}' and a["FilterPolicyScope"] == "MessageAttributes"
    sns.unsubscribe(SubscriptionArn=sub)
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.get_subscription_attributes(SubscriptionArn=sub)


class _Hook(BaseHTTPRequestHandler):
    inbox: "queue.Queue" = queue.Queue()

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.inbox.put((dict(self.headers), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_http_subscription_confirmation_then_notification(clients):
    sns, _ = clients
    srv = HTTPServer(("127.0.0.1", 0), _Hook)
    inbox = queue.Queue()
    _Hook.inbox = inbox
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        endpoint = f"http://127.0.0.1:{srv.server_port}/hook"
        topic = sns.create_topic(Name="web")["TopicArn"]
        assert sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint)["SubscriptionArn"] == "pending confirmation"
        headers, body = inbox.get(timeout=10)
        msg = json.loads(body)
        assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
        assert msg["Type"] == "SubscriptionConfirmation" and msg["TopicArn"] == topic and msg["Token"]
        # Nothing is delivered before confirmation.
        sns.publish(TopicArn=topic, Message="too early")
        r = requests.get(msg["SubscribeURL"], timeout=10)
        assert r.status_code == 200, r.text
        assert "ConfirmSubscriptionResult" in r.text
        [sub] = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        assert sub["SubscriptionArn"].startswith(topic + ":")
        sns.publish(TopicArn=topic, Message="hello web", Subject="Hi")
        headers, body = inbox.get(timeout=10)
        note = json.loads(body)
        assert headers["x-amz-sns-message-type"] == "Notification"
        assert (note["Message"], note["Subject"]) == ("hello web", "Hi")
        assert inbox.empty()
    finally:
        srv.shutdown()
        srv.server_close()


def test_cli_publish_to_queue(aws, clients):
    sns, sqs = clients
    topic = aws("sns", "create-topic", "--name", "cli-topic")["TopicArn"]
    url, arn = queue_with_arn(sqs, "cli-sink")
    aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint", arn)
    out = aws("sns", "publish", "--topic-arn", topic, "--message", "from the cli")
    [m] = bodies(sqs, url)
    assert json.loads(m["Body"])["MessageId"] == out["MessageId"]


def test_topics_and_subscriptions_survive_a_restart(server_factory):
    srv = server_factory()
    sns, sqs = srv.client("sns"), srv.client("sqs")
    topic = sns.create_topic(Name="kept", Tags=[{"Key": "k", "Value": "v"}])["TopicArn"]
    url, arn = queue_with_arn(sqs, "kept-q")
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                        Attributes={"RawMessageDelivery": "true", "FilterPolicy": '{"k": ["yes"]}'})["SubscriptionArn"]

    srv.restart()

    sns, sqs = srv.client("sns"), srv.client("sqs")
    assert [t["TopicArn"] for t in sns.list_topics()["Topics"]] == [topic]
    assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == [{"Key": "k", "Value": "v"}]
    assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["RawMessageDelivery"] == "true"
    sns.publish(TopicArn=topic, Message="filtered out", MessageAttributes={"k": {"DataType": "String", "StringValue": "no"}})
    sns.publish(TopicArn=topic, Message="delivered", MessageAttributes={"k": {"DataType": "String", "StringValue": "yes"}})
    assert [m["Body"] for m in bodies(sqs, url)] == ["delivered"]


def test_fifo_deduplication_survives_a_restart(server_factory):
    srv = server_factory(args=["--test-mode"])
    sns, sqs = srv.client("sns"), srv.client("sqs")
    explicit = sns.create_topic(Name="payments.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    hashed = sns.create_topic(Name="audit.fifo", Attributes={
        "FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    url, arn = queue_with_arn(sqs, "payments.fifo")
    for topic in (explicit, hashed):
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    first = sns.publish(TopicArn=explicit, Message="pay 10", MessageGroupId="acct-1", MessageDeduplicationId="pay-1")
    hashed_first = sns.publish(TopicArn=hashed, Message="audit entry", MessageGroupId="acct-1")

    srv.restart()

    sns, sqs = srv.client("sns"), srv.client("sqs")
    # Duplicates within five minutes are accepted, answered as the first
    # publish was, and delivered to no one.
    again = sns.publish(TopicArn=explicit, Message="pay 10 (retry)", MessageGroupId="acct-1",
                        MessageDeduplicationId="pay-1")
    assert (again["MessageId"], again["SequenceNumber"]) == (first["MessageId"], first["SequenceNumber"])
    hashed_again = sns.publish(TopicArn=hashed, Message="audit entry", MessageGroupId="acct-1")
    assert hashed_again["MessageId"] == hashed_first["MessageId"]
    # Sequence numbers keep growing across the restart.
    fresh = sns.publish(TopicArn=explicit, Message="pay 20", MessageGroupId="acct-1", MessageDeduplicationId="pay-2")
    assert int(fresh["SequenceNumber"]) > int(hashed_first["SequenceNumber"]) > int(first["SequenceNumber"])
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    assert [m["Body"] for m in got] == ["pay 10", "audit entry", "pay 20"]

    # Past the window the same id is a new message.
    srv.advance(301)
    later = sns.publish(TopicArn=explicit, Message="pay 10", MessageGroupId="acct-1", MessageDeduplicationId="pay-1")
    assert later["MessageId"] != first["MessageId"]


def test_email_and_sms_land_in_the_outbox(server, clients):
    sns, _ = clients
    topic = sns.create_topic(Name="mail")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@example.com")
    sns.subscribe(TopicArn=topic, Protocol="email-json", Endpoint="bot@example.com")
    inbox = server.get("/_stratus/sns/outbox", params={"endpoint": "ops@example.com"}).json()["messages"]
    [confirm] = inbox
    assert confirm["subject"] == "AWS Notification - Subscription Confirmation"
    link = next(w for w in confirm["body"].split() if "Action=ConfirmSubscription" in w)
    assert requests.get(link, timeout=10).status_code == 200
    sns.publish(TopicArn=topic, Message="disk full", Subject="Alarm")
    inbox = server.get("/_stratus/sns/outbox", params={"endpoint": "ops@example.com"}).json()["messages"]
    assert len(inbox) == 2
    assert inbox[1]["subject"] == "Alarm" and inbox[1]["body"].startswith("disk full\n\n--\n")
    # email-json was never confirmed, so it only got the confirmation.
    assert len(server.get("/_stratus/sns/outbox", params={"endpoint": "bot@example.com"}).json()["messages"]) == 1
    sns.publish(PhoneNumber="+15555550100", Message="code 1234")
    [sms] = server.get("/_stratus/sns/outbox", params={"protocol": "sms"}).json()["messages"]
    assert (sms["endpoint"], sms["body"]) == ("+15555550100", "code 1234")
    server.reset("sns")
    assert server.get("/_stratus/sns/outbox").json()["messages"] == []


def test_undeliverable_messages_go_to_the_subscription_dead_letter_queue(clients):
    sns, sqs = clients
    topic = sns.create_topic(Name="fragile")["TopicArn"]
    dlq_url, dlq_arn = queue_with_arn(sqs, "sns-dlq")
    gone_url, gone_arn = queue_with_arn(sqs, "gone")
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=gone_arn,
                  Attributes={"RawMessageDelivery": "true", "RedrivePolicy": redrive})
    with HTTPServer(("127.0.0.1", 0), _Hook) as closed:
        dead_port = closed.server_port  # closed again at once: nothing listens there
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=f"http://127.0.0.1:{dead_port}/x",
                  Attributes={"RedrivePolicy": redrive}, ReturnSubscriptionArn=True)
    pending = [s for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] if s["Protocol"] == "http"]
    assert pending[0]["SubscriptionArn"] == "PendingConfirmation"
    sqs.delete_queue(QueueUrl=gone_url)
    sns.publish(TopicArn=topic, Message="nobody home")
    [m] = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=5).get("Messages", [])
    assert m["Body"] == "nobody home"
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=dlq_arn, Attributes={"RedrivePolicy": '{"deadLetterTargetArn": "nope"}'})


def test_cidr_and_wildcard_filter_policies(clients):
    sns, sqs = clients
    topic = sns.create_topic(Name="access")["TopicArn"]
    inside_url, inside_arn = queue_with_arn(sqs, "from-office")
    match_url, match_arn = queue_with_arn(sqs, "ball-games")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inside_arn, Attributes={
        "RawMessageDelivery": "true", "FilterPolicy": json.dumps({"source_ip": [{"cidr": "10.0.0.0/24"}]})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=match_arn, Attributes={
        "RawMessageDelivery": "true", "FilterPolicyScope": "MessageBody",
        "FilterPolicy": json.dumps({"customer_interests": [{"wildcard": "*ball*"}]})})
    for ip in ["10.0.0.7", "10.0.1.7", "2001:db8::1"]:
        sns.publish(TopicArn=topic, Message=f"from {ip}",
                    MessageAttributes={"source_ip": {"DataType": "String", "StringValue": ip}})
    for interest in ["baseball", "rugby"]:
        sns.publish(TopicArn=topic, Message=json.dumps({"customer_interests": interest}))
    assert [m["Body"] for m in bodies(sqs, inside_url)] == ["from 10.0.0.7"]
    assert [json.loads(m["Body"])["customer_interests"] for m in bodies(sqs, match_url)] == ["baseball"]
    for policy, reason in [({"ip": [{"cidr": "10.0.0.0"}]}, "Malformed CIDR, one '/' required"),
                           ({"ip": [{"cidr": "10.0.0.300/24"}]}, "Nonstandard IP address: 10.0.0.300"),
                           ({"k": [{"wildcard": "a**b"}]}, "Consecutive wildcard characters at pos 3")]:
        with pytest.raises(sns.exceptions.InvalidParameterException) as e:
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=match_arn,
                          Attributes={"FilterPolicy": json.dumps(policy)})
        assert error_of(e.value)[:2] == ("InvalidParameter", f"Invalid parameter: FilterPolicy: {reason}")


def _verify_sns_signature(msg):
    """Checks a message's Signature as AWS tells subscribers to: against the
    certificate downloaded from SigningCertURL, over the documented string."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    if msg["Type"] == "Notification":
        names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    text = "".join(f"{n}\n{msg[n]}\n" for n in names if n in msg)
    r = requests.get(msg["SigningCertURL"], timeout=10)
    assert r.status_code == 200, r.text
    cert = x509.load_pem_x509_certificate(r.content)
    digest = hashes.SHA256() if msg["SignatureVersion"] == "2" else hashes.SHA1()
    import base64

    cert.public_key().verify(base64.b64decode(msg["Signature"]), text.encode(), padding.PKCS1v15(), digest)
    return cert


def test_http_subscriber_verifies_message_signatures(clients):
    from cryptography.exceptions import InvalidSignature

    sns, sqs = clients
    srv = HTTPServer(("127.0.0.1", 0), _Hook)
    inbox = queue.Queue()
    _Hook.inbox = inbox
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        endpoint = f"http://127.0.0.1:{srv.server_port}/signed"
        topic = sns.create_topic(Name="signed")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint)
        _, body = inbox.get(timeout=10)
        confirmation = json.loads(body)
        assert confirmation["SignatureVersion"] == "1"
        _verify_sns_signature(confirmation)
        requests.get(confirmation["SubscribeURL"], timeout=10)
        sns.publish(TopicArn=topic, Message="signed v1", Subject="S")
        _, body = inbox.get(timeout=10)
        v1 = json.loads(body)
        cert = _verify_sns_signature(v1)
        assert cert.subject.rfc4514_string() == "CN=sns.amazonaws.com"
        # A changed message no longer verifies.
        with pytest.raises(InvalidSignature):
            _verify_sns_signature(dict(v1, Message="tampered"))
        sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue="2")
        sns.publish(TopicArn=topic, Message="signed v2")
        _, body = inbox.get(timeout=10)
        v2 = json.loads(body)
        assert v2["SignatureVersion"] == "2" and "Subject" not in v2
        _verify_sns_signature(v2)
        assert v2["SigningCertURL"] == v1["SigningCertURL"]
    finally:
        srv.shutdown()
        srv.server_close()
    # The SQS envelope is signed the same way.
    url, arn = queue_with_arn(sqs, "signed-envelopes")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="in a queue")
    [m] = bodies(sqs, url)
    _verify_sns_signature(json.loads(m["Body"]))


def test_signing_certificate_survives_a_restart(server_factory):
    srv = server_factory()
    sns, sqs = srv.client("sns"), srv.client("sqs")
    topic = sns.create_topic(Name="t")["TopicArn"]
    url, arn = queue_with_arn(sqs, "q")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="before")
    [before] = bodies(sqs, url)
    srv.restart()
    sns, sqs = srv.client("sns"), srv.client("sqs")
    sns.publish(TopicArn=topic, Message="after")
    [after] = bodies(sqs, url)
    first, second = json.loads(before["Body"]), json.loads(after["Body"])
    assert first["SigningCertURL"] == second["SigningCertURL"]
    _verify_sns_signature(first)
    _verify_sns_signature(second)


def test_platform_applications_and_endpoints(server, clients):
    sns, _ = clients
    app = sns.create_platform_application(Name="phones", Platform="GCM",
                                          Attributes={"PlatformCredential": "server-key"})["PlatformApplicationArn"]
    assert app == f"arn:aws:sns:us-east-1:{DEFAULT_ACCOUNT}:app/GCM/phones"
    attrs = sns.get_platform_application_attributes(PlatformApplicationArn=app)["Attributes"]
    assert attrs["Enabled"] == "true" and "PlatformCredential" not in attrs
    sns.set_platform_application_attributes(PlatformApplicationArn=app, Attributes={"SuccessFeedbackSampleRate": "50"})
    assert sns.get_platform_application_attributes(PlatformApplicationArn=app)["Attributes"]["SuccessFeedbackSampleRate"] == "50"
    assert [a["PlatformApplicationArn"] for a in sns.list_platform_applications()["PlatformApplications"]] == [app]

    endpoint = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1", CustomUserData="alice")["EndpointArn"]
    assert endpoint.startswith(f"arn:aws:sns:us-east-1:{DEFAULT_ACCOUNT}:endpoint/GCM/phones/")
    # The same token again is the same endpoint; with other attributes it is refused.
    assert sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1", CustomUserData="alice")["EndpointArn"] == endpoint
    with pytest.raises(sns.exceptions.InvalidParameterException) as e:
        sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1", CustomUserData="bob")
    assert "already exists with the same Token, but different attributes" in error_of(e.value)[1]
    assert sns.get_endpoint_attributes(EndpointArn=endpoint)["Attributes"] == {
        "Token": "device-1", "CustomUserData": "alice", "Enabled": "true"}
    other = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-2")["EndpointArn"]
    listed = sns.list_endpoints_by_platform_application(PlatformApplicationArn=app)["Endpoints"]
    assert sorted(e["EndpointArn"] for e in listed) == sorted([endpoint, other])

    # Direct publishes and topic fan-out land in the outbox for the endpoint.
    mid = sns.publish(TargetArn=endpoint, Message=json.dumps({"default": "plain", "GCM": json.dumps({"data": {"n": 1}})}),
                      MessageStructure="json")["MessageId"]
    topic = sns.create_topic(Name="news")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="application", Endpoint=endpoint)
    sns.publish(TopicArn=topic, Message="breaking")
    pushed = server.get("/_stratus/sns/outbox", params={"protocol": "application", "endpoint": endpoint}).json()["messages"]
    assert [(p["message_id"], p["body"]) for p in pushed][0] == (mid, json.dumps({"data": {"n": 1}}))
    assert pushed[1]["body"] == "breaking" and pushed[1]["topic_arn"] == topic

    sns.set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Enabled": "false"})
    with pytest.raises(ClientError) as e:
        sns.publish(TargetArn=endpoint, Message="off")
    assert error_of(e.value)[:2] == ("EndpointDisabled", "Endpoint is disabled")
    sns.delete_endpoint(EndpointArn=endpoint)
    sns.delete_endpoint(EndpointArn=endpoint)
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.get_endpoint_attributes(EndpointArn=endpoint)
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.publish(TargetArn=endpoint, Message="gone")
    sns.delete_platform_application(PlatformApplicationArn=app)
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.get_endpoint_attributes(EndpointArn=other)
    assert sns.list_platform_applications()["PlatformApplications"] == []


def test_platform_endpoints_with_the_cli(aws, server, clients):
    app = aws("sns", "create-platform-application", "--name", "cli-app", "--platform", "APNS_SANDBOX",
              "--attributes", "PlatformCredential=key,PlatformPrincipal=cert")["PlatformApplicationArn"]
    endpoint = aws("sns", "create-platform-endpoint", "--platform-application-arn", app,
                   "--token", "abc123")["EndpointArn"]
    aws("sns", "publish", "--target-arn", endpoint, "--message", "hello phone")
    [pushed] = server.get("/_stratus/sns/outbox", params={"protocol": "application"}).json()["messages"]
    assert (pushed["endpoint"], pushed["body"]) == (endpoint, "hello phone")
