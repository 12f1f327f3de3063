"""SQS over JSON 1.0 through boto3: queues, messages, FIFO, dead-letter queues."""

from __future__ import annotations

import hashlib
import json
import threading
import time

import pytest
from botocore.exceptions import ClientError

from helpers import DEFAULT_ACCOUNT, error_of, fresh_period


@pytest.fixture
def sqs(server):
    server.reset()
    return server.client("sqs")


def make_queue(sqs, name="jobs", **attrs):
    return sqs.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attrs.items()})["QueueUrl"]


def receive(sqs, url, **kw):
    return sqs.receive_message(QueueUrl=url, **kw).get("Messages", [])


def attrs_of(sqs, url, *names):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(names) or ["All"])["Attributes"]


# -- queues ------------------------------------------------------------------


def test_create_queue_url_and_default_attributes(server, sqs):
    url = make_queue(sqs)
    port = server.url.rsplit(":", 1)[1]
    assert url == f"http://sqs.us-east-1.localhost:{port}/{DEFAULT_ACCOUNT}/jobs"
    a = attrs_of(sqs, url)
    assert a["QueueArn"] == f"arn:aws:sqs:us-east-1:{DEFAULT_ACCOUNT}:jobs"
    assert a["VisibilityTimeout"] == "30"
    assert a["MaximumMessageSize"] == "1048576"
    assert a["MessageRetentionPeriod"] == "345600"
    assert a["DelaySeconds"] == "0"
    assert a["ReceiveMessageWaitTimeSeconds"] == "0"
    assert a["SqsManagedSseEnabled"] == "true"
    assert a["ApproximateNumberOfMessages"] == "0"
    assert int(a["CreatedTimestamp"]) == pytest.approx(server.now().timestamp(), abs=60)
    assert "FifoQueue" not in a and "RedrivePolicy" not in a
    assert attrs_of(sqs, url, "VisibilityTimeout") == {"VisibilityTimeout": "30"}
    with pytest.raises(ClientError) as e:
        attrs_of(sqs, url, "Bogus")
    assert error_of(e.value) == ("InvalidAttributeName", "Unknown Attribute Bogus.", 400)


def test_create_is_idempotent_but_refuses_different_attributes(sqs):
    url = make_queue(sqs, VisibilityTimeout=40)
    assert make_queue(sqs, VisibilityTimeout=40) == url
    assert make_queue(sqs) == url
    with pytest.raises(sqs.exceptions.QueueNameExists) as e:
        make_queue(sqs, VisibilityTimeout=41)
    code, msg, status = error_of(e.value)
    assert (code, status) == ("QueueAlreadyExists", 400)
    assert "VisibilityTimeout" in msg


@pytest.mark.parametrize(
    "name,value",
    [("VisibilityTimeout", 43201), ("DelaySeconds", 901), ("MaximumMessageSize", 1023),
     ("MaximumMessageSize", 1048577), ("MessageRetentionPeriod", 59), ("ReceiveMessageWaitTimeSeconds", 21)],
)
def test_attribute_ranges(sqs, name, value):
    with pytest.raises(ClientError) as e:
        make_queue(sqs, **{name: value})
    assert error_of(e.value) == ("InvalidAttributeValue", f"Invalid value for the parameter {name}.", 400)


def test_unknown_and_fifo_only_attributes(sqs):
    with pytest.raises(ClientError) as e:
        make_queue(sqs, ContentBasedDeduplication="true")
    assert error_of(e.value) == ("InvalidAttributeName", "Unknown Attribute ContentBasedDeduplication.", 400)
    url = make_queue(sqs)
    with pytest.raises(ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"QueueArn": "x"})
    assert error_of(e.value)[0] == "InvalidAttributeName"


def test_queue_names(sqs):
    for bad in ["has space", "x" * 81, "q.fifo"]:
        with pytest.raises(ClientError) as e:
            sqs.create_queue(QueueName=bad)
        assert error_of(e.value)[0] == "InvalidParameterValue", bad
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName="plain", Attributes={"FifoQueue": "true"})
    assert error_of(e.value)[0] == "InvalidParameterValue"


def test_missing_queue_errors_use_the_query_compatible_code(sqs):
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as e:
        sqs.get_queue_url(QueueName="nope")
    code, msg, status = error_of(e.value)
    assert code == "AWS.SimpleQueueService.NonExistentQueue"
    assert e.value.response["Error"]["QueryErrorCode"] == "QueueDoesNotExist"
    assert (msg, status) == ("The specified queue does not exist.", 400)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.send_message(QueueUrl=f"http://127.0.0.1:4566/{DEFAULT_ACCOUNT}/nope", MessageBody="x")


def test_get_queue_url_with_owner_and_any_host(server, sqs):
    url = make_queue(sqs, "owned")
    assert sqs.get_queue_url(QueueName="owned")["QueueUrl"] == url
    assert sqs.get_queue_url(QueueName="owned", QueueOwnerAWSAccountId=DEFAULT_ACCOUNT)["QueueUrl"] == url
    other = server.client("sqs", access_key="111122223333")
    with pytest.raises(other.exceptions.QueueDoesNotExist):
        other.get_queue_url(QueueName="owned")
    assert other.get_queue_url(QueueName="owned", QueueOwnerAWSAccountId=DEFAULT_ACCOUNT)["QueueUrl"] == url
    plain = f"http://127.0.0.1:4566/{DEFAULT_ACCOUNT}/owned"
    sqs.send_message(QueueUrl=plain, MessageBody="via plain url")
    assert receive(sqs, url)[0]["Body"] == "via plain url"


def test_list_queues_prefix_and_pagination(sqs):
    assert "QueueUrls" not in sqs.list_queues()
    for n in ["a1", "a2", "a3", "b1"]:
        make_queue(sqs, n)
    urls = sqs.list_queues()["QueueUrls"]
    assert sorted(u.rsplit("/", 1)[1] for u in urls) == ["a1", "a2", "a3", "b1"]
    assert [u.rsplit("/", 1)[1] for u in sqs.list_queues(QueueNamePrefix="a")["QueueUrls"]] == ["a1", "a2", "a3"]
    page = sqs.list_queues(QueueNamePrefix="a", MaxResults=2)
    assert len(page["QueueUrls"]) == 2 and page["NextToken"]
    rest = sqs.list_queues(QueueNamePrefix="a", MaxResults=2, NextToken=page["NextToken"])
    assert len(rest["QueueUrls"]) == 1 and "NextToken" not in rest
    names = [u.rsplit("/", 1)[1] for p in sqs.get_paginator("list_queues").paginate(PaginationConfig={"PageSize": 1}) for u in p.get("QueueUrls", [])]
    assert names == ["a1", "a2", "a3", "b1"]


def test_delete_queue_and_recreate_wait(server, sqs):
    url = make_queue(sqs, "gone")
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        attrs_of(sqs, url)
    with pytest.raises(ClientError) as e:
        make_queue(sqs, "gone")
    assert error_of(e.value)[0] == "AWS.SimpleQueueService.QueueDeletedRecently"
    server.advance(61)
    assert make_queue(sqs, "gone") == url


def test_purge_and_purge_in_progress(server, sqs):
    url = make_queue(sqs)
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    sqs.purge_queue(QueueUrl=url)
    assert receive(sqs, url) == []
    with pytest.raises(sqs.exceptions.PurgeQueueInProgress) as e:
        sqs.purge_queue(QueueUrl=url)
    code, msg, status = error_of(e.value)
    assert (code, status) == ("AWS.SimpleQueueService.PurgeQueueInProgress", 403)
    assert msg == "Only one PurgeQueue operation on jobs is allowed every 60 seconds."
    server.advance(61)
    sqs.purge_queue(QueueUrl=url)


def test_set_attributes_and_tags(sqs):
    url = make_queue(sqs, tags=None) if False else sqs.create_queue(QueueName="t", tags={"env": "dev"})["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "5", "DelaySeconds": "2"})
    a = attrs_of(sqs, url, "VisibilityTimeout", "DelaySeconds")
    assert a == {"VisibilityTimeout": "5", "DelaySeconds": "2"}
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "dev"}
    sqs.tag_queue(QueueUrl=url, Tags={"team": "core", "env": "prod"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "prod", "team": "core"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["env"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "core"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team"])
    assert "Tags" not in sqs.list_queue_tags(QueueUrl=url)


def test_permissions_are_stored_as_policy(sqs):
    url = make_queue(sqs)
    sqs.add_permission(QueueUrl=url, Label="send", AWSAccountIds=["111122223333"], Actions=["SendMessage"])
    policy = json.loads(attrs_of(sqs, url, "Policy")["Policy"])
    st = policy["Statement"][0]
    assert st["Sid"] == "send" and st["Action"] == "SQS:SendMessage"
    assert st["Principal"]["AWS"] == "arn:aws:iam::111122223333:root"
    with pytest.raises(ClientError) as e:
        sqs.add_permission(QueueUrl=url, Label="send", AWSAccountIds=["111122223333"], Actions=["SendMessage"])
    assert error_of(e.value)[0] == "InvalidParameterValue"
    sqs.remove_permission(QueueUrl=url, Label="send")
    assert "Policy" not in attrs_of(sqs, url)
    with pytest.raises(ClientError) as e:
        sqs.remove_permission(QueueUrl=url, Label="send")
    assert error_of(e.value)[0] == "InvalidParameterValue"


# -- messages ----------------------------------------------------------------


def test_send_receive_delete_with_digests(sqs):
    url = make_queue(sqs)
    r = sqs.send_message(
        QueueUrl=url,
        MessageBody="hello",
        MessageAttributes={"SellerName": {"DataType": "String", "StringValue": "Example Store"}},
    )
    assert r["MD5OfMessageBody"] == hashlib.md5(b"hello").hexdigest()
    assert r["MD5OfMessageAttributes"] == "cd28f3b68aeee4b2eac9c66f2f694b58"
    [m] = receive(sqs, url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"])
    assert m["MessageId"] == r["MessageId"] and m["Body"] == "hello"
    assert m["MD5OfBody"] == r["MD5OfMessageBody"]
    assert m["MessageAttributes"]["SellerName"]["StringValue"] == "Example Store"
    assert m["MD5OfMessageAttributes"] == "cd28f3b68aeee4b2eac9c66f2f694b58"
    assert m["Attributes"]["ApproximateReceiveCount"] == "1"
    assert m["Attributes"]["SenderId"]
    assert int(m["Attributes"]["SentTimestamp"]) <= int(m["Attributes"]["ApproximateFirstReceiveTimestamp"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert attrs_of(sqs, url, "All")["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_message_attribute_selection(sqs):
    url = make_queue(sqs)
    attrs = {n: {"DataType": "String", "StringValue": n} for n in ["foo.a", "foo.b", "bar", "num"]}
    attrs["num"] = {"DataType": "Number", "StringValue": "12"}
    attrs["bin"] = {"DataType": "Binary", "BinaryValue": b"\x00\x01"}
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attrs)
    [m] = receive(sqs, url, MessageAttributeNames=["foo.*", "bin"], VisibilityTimeout=0)
    assert sorted(m["MessageAttributes"]) == ["bin", "foo.a", "foo.b"]
    assert m["MessageAttributes"]["bin"]["BinaryValue"] == b"\x00\x01"
    [m] = receive(sqs, url, VisibilityTimeout=0)
    assert "MessageAttributes" not in m and "Attributes" not in m
    [m] = receive(sqs, url, MessageSystemAttributeNames=["ApproximateReceiveCount"], VisibilityTimeout=0)
    assert m["Attributes"] == {"ApproximateReceiveCount": "3"}
    # The deprecated AttributeNames takes message attribute names too, as on AWS.
    [m] = receive(sqs, url, AttributeNames=["ApproximateReceiveCount", "SentTimestamp"])
    assert sorted(m["Attributes"]) == ["ApproximateReceiveCount", "SentTimestamp"]


def test_bad_messages_get_aws_errors(sqs):
    url = make_queue(sqs, MaximumMessageSize=1024)
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1025)
    assert error_of(e.value)[0] == "InvalidParameterValue"
    assert "Message must be shorter than 1024 bytes" in error_of(e.value)[1]
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="bad \x01 char")
    assert error_of(e.value)[0] == "InvalidMessageContents"
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=901)
    assert error_of(e.value)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes={"n": {"DataType": "Number", "StringValue": "abc"}})
    assert error_of(e.value)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    assert error_of(e.value)[0] == "InvalidParameterValue"
    # Up to 1 MiB by default, body and attributes together.
    big = make_queue(sqs, "big")
    sqs.send_message(QueueUrl=big, MessageBody="y" * 1048576)
    [m] = receive(sqs, big)
    assert len(m["Body"]) == 1048576
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=big, MessageBody="y" * 1048576,
                         MessageAttributes={"a": {"DataType": "String", "StringValue": "1"}})
    assert "Message must be shorter than 1048576 bytes" in error_of(e.value)[1]
    r = sqs.send_message_batch(QueueUrl=big, Entries=[{"Id": str(i), "MessageBody": "z" * 100_000} for i in range(10)])
    assert len(r["Successful"]) == 10
    for n in [0, 11]:
        with pytest.raises(ClientError) as e:
            sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=n)
        assert error_of(e.value)[0] == "InvalidParameterValue"


def test_visibility_timeout_on_the_injected_clock(server, sqs):
    url = make_queue(sqs, VisibilityTimeout=30)
    sqs.send_message(QueueUrl=url, MessageBody="v")
    [m] = receive(sqs, url)
    assert receive(sqs, url) == []
    a = attrs_of(sqs, url)
    assert (a["ApproximateNumberOfMessages"], a["ApproximateNumberOfMessagesNotVisible"]) == ("0", "1")
    server.advance(31)
    [again] = receive(sqs, url, MessageSystemAttributeNames=["ApproximateReceiveCount"], VisibilityTimeout=100)
    assert again["MessageId"] == m["MessageId"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    assert again["ReceiptHandle"] != m["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"], VisibilityTimeout=0)
    [third] = receive(sqs, url)
    assert third["MessageId"] == m["MessageId"]


def test_delay_seconds_per_queue_and_message(server, sqs):
    url = make_queue(sqs, DelaySeconds=10)
    sqs.send_message(QueueUrl=url, MessageBody="queue-delayed")
    sqs.send_message(QueueUrl=url, MessageBody="now", DelaySeconds=0)
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=100)
    hold = {"MaxNumberOfMessages": 10, "VisibilityTimeout": 1000}
    assert [m["Body"] for m in receive(sqs, url, **hold)] == ["now"]
    assert attrs_of(sqs, url)["ApproximateNumberOfMessagesDelayed"] == "2"
    server.advance(11)
    assert [m["Body"] for m in receive(sqs, url, **hold)] == ["queue-delayed"]
    server.advance(90)
    assert [m["Body"] for m in receive(sqs, url, **hold)] == ["later"]


def test_long_poll_returns_when_a_message_arrives(server, sqs):
    url = make_queue(sqs)
    got = {}

    def poll():
        got["r"] = server.client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=20)

    t = threading.Thread(target=poll)
    t.start()
    time.sleep(0.3)
    assert t.is_alive(), "a long poll on an empty queue answered at once"
    sqs.send_message(QueueUrl=url, MessageBody="wake")
    t.join(timeout=10)
    assert not t.is_alive(), "the long poll did not return after a send"
    assert got["r"]["Messages"][0]["Body"] == "wake"


def test_long_poll_ends_when_the_clock_passes_the_wait(server, sqs):
    url = make_queue(sqs)
    got = {}
    t = threading.Thread(target=lambda: got.update(r=server.client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=20)))
    t.start()
    time.sleep(0.3)
    server.advance(21)
    t.join(timeout=10)
    assert not t.is_alive()
    assert "Messages" not in got["r"]


def test_receipt_handles(sqs):
    url = make_queue(sqs)
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid) as e:
        sqs.delete_message(QueueUrl=url, ReceiptHandle="garbage")
    code, msg, status = error_of(e.value)
    assert (code, status) == ("ReceiptHandleIsInvalid", 400)
    assert msg == 'The input receipt handle "garbage" is not a valid receipt handle.'
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [m] = receive(sqs, url)
    other = make_queue(sqs, "other")
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=other, ReceiptHandle=m["ReceiptHandle"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])  # already gone: still fine
    with pytest.raises(ClientError) as e:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=5)
    assert error_of(e.value)[0] == "InvalidParameterValue"


def test_batches(sqs):
    url = make_queue(sqs)
    r = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[{"Id": "a", "MessageBody": "one"}, {"Id": "b", "MessageBody": "two", "DelaySeconds": 1000}],
    )
    assert [s["Id"] for s in r["Successful"]] == ["a"]
    assert r["Successful"][0]["MD5OfMessageBody"] == hashlib.md5(b"one").hexdigest()
    assert r["Failed"][0]["Id"] == "b" and r["Failed"][0]["SenderFault"] is True
    assert r["Failed"][0]["Code"] == "InvalidParameterValue"
    cases = [
        ([], "AWS.SimpleQueueService.EmptyBatchRequest"),
        ([{"Id": str(i), "MessageBody": "x"} for i in range(11)], "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"),
        ([{"Id": "x", "MessageBody": "1"}, {"Id": "x", "MessageBody": "2"}], "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"),
        ([{"Id": "bad id!", "MessageBody": "1"}], "AWS.SimpleQueueService.InvalidBatchEntryId"),
        ([{"Id": "a", "MessageBody": "x" * 800000}, {"Id": "b", "MessageBody": "x" * 300000}], "AWS.SimpleQueueService.BatchRequestTooLong"),
    ]
    for entries, code in cases:
        with pytest.raises(ClientError) as e:
            sqs.send_message_batch(QueueUrl=url, Entries=entries)
        assert error_of(e.value)[0] == code
    [m] = receive(sqs, url)
    r = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[{"Id": "ok", "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 60},
                 {"Id": "bad", "ReceiptHandle": "nope", "VisibilityTimeout": 60}],
    )
    assert [s["Id"] for s in r["Successful"]] == ["ok"]
    assert r["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    r = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[{"Id": "ok", "ReceiptHandle": m["ReceiptHandle"]}, {"Id": "bad", "ReceiptHandle": "nope"}],
    )
    assert [s["Id"] for s in r["Successful"]] == ["ok"]
    assert r["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    assert attrs_of(sqs, url)["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_retention_expiry(server, sqs):
    url = make_queue(sqs, MessageRetentionPeriod=60)
    sqs.send_message(QueueUrl=url, MessageBody="old")
    server.advance(61)
    assert receive(sqs, url) == []
    assert attrs_of(sqs, url)["ApproximateNumberOfMessages"] == "0"


# -- FIFO --------------------------------------------------------------------


def test_fifo_groups_in_order_one_in_flight(sqs):
    url = make_queue(sqs, "orders.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    a = attrs_of(sqs, url)
    assert (a["FifoQueue"], a["DeduplicationScope"], a["FifoThroughputLimit"]) == ("true", "queue", "perQueue")
    seqs = []
    for i in range(3):
        seqs.append(sqs.send_message(QueueUrl=url, MessageBody=f"a{i}", MessageGroupId="A")["SequenceNumber"])
    sqs.send_message(QueueUrl=url, MessageBody="b0", MessageGroupId="B")
    assert seqs == sorted(seqs, key=int) and len(set(seqs)) == 3
    [first] = receive(sqs, url, MessageSystemAttributeNames=["All"])
    assert first["Body"] == "a0"
    assert first["Attributes"]["MessageGroupId"] == "A"
    assert first["Attributes"]["SequenceNumber"] == seqs[0]
    # Group A is closed while a0 is in flight; B is free.
    assert [m["Body"] for m in receive(sqs, url, MaxNumberOfMessages=10)] == ["b0"]
    assert receive(sqs, url) == []
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    assert [m["Body"] for m in receive(sqs, url, MaxNumberOfMessages=10)] == ["a1", "a2"]


def test_fifo_deduplication_window(server, sqs):
    url = make_queue(sqs, "dedup.fifo", FifoQueue="true")
    r1 = sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d1")
    r2 = sqs.send_message(QueueUrl=url, MessageBody="other", MessageGroupId="g", MessageDeduplicationId="d1")
    assert r1["MessageId"] == r2["MessageId"]
    assert attrs_of(sqs, url)["ApproximateNumberOfMessages"] == "1"
    server.advance(301)
    r3 = sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d1")
    assert r3["MessageId"] != r1["MessageId"]
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    assert error_of(e.value)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="z")
    assert error_of(e.value)[0] == "MissingParameter"
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="q", DelaySeconds=5)
    assert error_of(e.value)[0] == "InvalidParameterValue"


def test_fifo_expired_receipt_handle(server, sqs):
    url = make_queue(sqs, "exp.fifo", FifoQueue="true", ContentBasedDeduplication="true", VisibilityTimeout=5)
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    [m] = receive(sqs, url)
    server.advance(6)
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def test_high_throughput_fifo_settings(sqs):
    url = make_queue(sqs, "ht.fifo", FifoQueue="true", DeduplicationScope="messageGroup", FifoThroughputLimit="perMessageGroupId")
    a = attrs_of(sqs, url)
    assert (a["DeduplicationScope"], a["FifoThroughputLimit"]) == ("messageGroup", "perMessageGroupId")
    with pytest.raises(ClientError) as e:
        make_queue(sqs, "ht2.fifo", FifoQueue="true", FifoThroughputLimit="perMessageGroupId")
    assert error_of(e.value)[0] == "InvalidAttributeValue"


# -- dead-letter queues --------------------------------------------------------


def test_redrive_policy_moves_messages_and_move_task_returns_them(sqs):
    dlq = make_queue(sqs, "dlq")
    dlq_arn = attrs_of(sqs, dlq, "QueueArn")["QueueArn"]
    src = make_queue(sqs, "src", VisibilityTimeout=0, RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}))
    policy = json.loads(attrs_of(sqs, src, "RedrivePolicy")["RedrivePolicy"])
    assert policy == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [src]
    sqs.send_message(QueueUrl=src, MessageBody="poison")
    assert len(receive(sqs, src)) == 1
    assert len(receive(sqs, src)) == 1
    assert receive(sqs, src) == []
    [dead] = receive(sqs, dlq, MessageSystemAttributeNames=["All"], VisibilityTimeout=0)
    assert dead["Body"] == "poison"
    assert dead["Attributes"]["DeadLetterQueueSourceArn"] == attrs_of(sqs, src, "QueueArn")["QueueArn"]

    handle = sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]
    assert handle
    [task] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert task["Status"] == "COMPLETED" and task["ApproximateNumberOfMessagesMoved"] == 1
    assert [m["Body"] for m in receive(sqs, src)] == ["poison"]
    with pytest.raises(ClientError) as e:
        sqs.start_message_move_task(SourceArn=attrs_of(sqs, src, "QueueArn")["QueueArn"])
    assert error_of(e.value)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        sqs.cancel_message_move_task(TaskHandle="nope")
    assert error_of(e.value)[0] == "ResourceNotFoundException"


def _dead_letters(sqs, n, dlq_name="moves-dlq", src_name="moves-src"):
    """A source queue whose `n` messages have been redriven to its dead-letter queue."""
    dlq = make_queue(sqs, dlq_name)
    dlq_arn = attrs_of(sqs, dlq, "QueueArn")["QueueArn"]
    src = make_queue(sqs, src_name, VisibilityTimeout=0,
                     RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"}))
    sqs.send_message_batch(QueueUrl=src, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(n)])
    assert len(receive(sqs, src, MaxNumberOfMessages=10)) == n
    assert receive(sqs, src) == []
    assert attrs_of(sqs, dlq, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"] == str(n)
    return src, dlq, dlq_arn


def _wait_settled(sqs, dlq_arn):
    deadline = time.time() + 5
    while True:
        [task] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
        if task["Status"] != "RUNNING" or time.time() > deadline:
            return task
        time.sleep(0.05)


def test_move_task_with_a_rate_runs_on_the_clock_and_can_be_cancelled(server, sqs):
    src, dlq, dlq_arn = _dead_letters(sqs, 10)
    # One message a second: the first second's at once, the rest as the clock runs.
    handle = sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    [task] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert (task["Status"], task["TaskHandle"], task["ApproximateNumberOfMessagesToMove"],
            task["MaxNumberOfMessagesPerSecond"]) == ("RUNNING", handle, 10, 1)
    assert 1 <= task["ApproximateNumberOfMessagesMoved"] < 10
    with pytest.raises(ClientError) as e:
        sqs.start_message_move_task(SourceArn=dlq_arn)
    assert error_of(e.value)[0] == "InvalidParameterValue"
    moved = sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
    assert 1 <= moved < 10
    [task] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert task["Status"] == "CANCELLED" and "TaskHandle" not in task
    server.advance(30)
    # A cancelled task moves nothing more.
    assert attrs_of(sqs, dlq, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"] == str(10 - moved)
    with pytest.raises(ClientError) as e:
        sqs.cancel_message_move_task(TaskHandle=handle)
    assert error_of(e.value)[0] == "InvalidParameterValue"
    assert "Only tasks with status RUNNING can be cancelled" in error_of(e.value)[1]

    # A second task finishes the move once the clock has run long enough.
    sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1)
    server.advance(30)
    task = _wait_settled(sqs, dlq_arn)
    assert (task["Status"], task["ApproximateNumberOfMessagesMoved"]) == ("COMPLETED", 10 - moved)
    assert len(sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"]) == 2
    assert len(receive(sqs, src, MaxNumberOfMessages=10)) == 10


def test_move_task_cancelled_with_the_cli(aws, sqs):
    _, _, dlq_arn = _dead_letters(sqs, 10, "cli-dlq", "cli-src")
    handle = aws("sqs", "start-message-move-task", "--source-arn", dlq_arn,
                 "--max-number-of-messages-per-second", "1")["TaskHandle"]
    assert aws("sqs", "cancel-message-move-task", "--task-handle", handle)["ApproximateNumberOfMessagesMoved"] >= 1
    [task] = aws("sqs", "list-message-move-tasks", "--source-arn", dlq_arn)["Results"]
    assert task["Status"] == "CANCELLED"


def test_move_task_fails_for_messages_without_a_source(sqs):
    dlq = make_queue(sqs, "orphans-dlq")
    dlq_arn = attrs_of(sqs, dlq, "QueueArn")["QueueArn"]
    make_queue(sqs, "orphans-src", RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"}))
    sqs.send_message(QueueUrl=dlq, MessageBody="sent straight to the dead-letter queue")
    sqs.start_message_move_task(SourceArn=dlq_arn)
    [task] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert (task["Status"], task["FailureReason"], task["ApproximateNumberOfMessagesMoved"]) == (
        "FAILED", "CouldNotDetermineMessageSource", 0)
    with pytest.raises(ClientError) as e:
        sqs.cancel_message_move_task(TaskHandle="eyJ0YXNrSWQiOiJub3BlIn0=")
    assert error_of(e.value)[0] == "ResourceNotFoundException"


def test_fifo_receive_retried_with_the_same_attempt_id_gets_the_same_messages(server, sqs):
    url = make_queue(sqs, "attempts.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    for body in ["a", "b"]:
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
    first = receive(sqs, url, MaxNumberOfMessages=10, ReceiveRequestAttemptId="try-1")
    assert [m["Body"] for m in first] == ["a", "b"]
    again = receive(sqs, url, MaxNumberOfMessages=10, ReceiveRequestAttemptId="try-1")
    assert [(m["MessageId"], m["ReceiptHandle"]) for m in again] == [(m["MessageId"], m["ReceiptHandle"]) for m in first]
    # Another attempt id is a new receive: the group is in flight.
    assert receive(sqs, url, MaxNumberOfMessages=10, ReceiveRequestAttemptId="try-2") == []
    # The retry restarted the visibility timeout, and its handles delete.
    server.advance(20)
    assert receive(sqs, url, MaxNumberOfMessages=10, ReceiveRequestAttemptId="try-1") != []
    server.advance(20)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=again[0]["ReceiptHandle"])
    # Once a message of the attempt is deleted, the retry is a fresh receive.
    assert receive(sqs, url, MaxNumberOfMessages=10, ReceiveRequestAttemptId="try-1") == []
    server.advance(31)
    [b] = receive(sqs, url, MaxNumberOfMessages=10, ReceiveRequestAttemptId="try-1")
    assert b["Body"] == "b" and b["ReceiptHandle"] != again[1]["ReceiptHandle"]
    with pytest.raises(ClientError) as e:
        receive(sqs, url, ReceiveRequestAttemptId="x" * 129)
    assert error_of(e.value)[0] == "InvalidParameterValue"


def test_redrive_policy_validation(sqs):
    dlq = make_queue(sqs, "dlq2", RedriveAllowPolicy=json.dumps({"redrivePermission": "denyAll"}))
    arn = attrs_of(sqs, dlq, "QueueArn")["QueueArn"]
    for policy in ["not json", json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 0}),
                   json.dumps({"deadLetterTargetArn": arn + "x", "maxReceiveCount": 3}),
                   json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 3})]:
        with pytest.raises(ClientError) as e:
            make_queue(sqs, "src2", RedrivePolicy=policy)
        assert error_of(e.value)[0] == "InvalidParameterValue", policy


def test_queue_metrics_reach_cloudwatch_each_minute(server, sqs):
    import datetime

    cw = server.client("cloudwatch")
    url = make_queue(sqs, "metered")
    fresh_period(server)  # the activity falls in one minute
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody="x" * (10 * (n + 1)))
    got = receive(sqs, url, MaxNumberOfMessages=1)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    receive(sqs, make_queue(sqs, "idle"))
    server.advance(60)
    dims = [{"Name": "QueueName", "Value": "metered"}]

    def latest(name, stat="Sum"):
        end = server.now() + datetime.timedelta(seconds=1)
        points = cw.get_metric_statistics(Namespace="AWS/SQS", MetricName=name, Dimensions=dims,
                                          StartTime=end - datetime.timedelta(minutes=3), EndTime=end,
                                          Period=60, Statistics=[stat])["Datapoints"]
        return max(points, key=lambda p: p["Timestamp"])[stat] if points else None

    deadline = time.time() + 5
    while latest("NumberOfMessagesSent") != 3.0 and time.time() < deadline:
        time.sleep(0.1)
    assert latest("NumberOfMessagesSent") == 3.0
    assert latest("NumberOfMessagesReceived") == 1.0
    assert latest("NumberOfMessagesDeleted") == 1.0
    assert latest("SentMessageSize", "Average") == 20.0
    assert latest("ApproximateNumberOfMessagesVisible", "Maximum") == 2.0
    assert latest("ApproximateAgeOfOldestMessage", "Maximum") >= 60.0
    names = {m["MetricName"] for m in cw.list_metrics(Namespace="AWS/SQS", Dimensions=[
        {"Name": "QueueName", "Value": "idle"}])["Metrics"]}
    assert "NumberOfEmptyReceives" in names
