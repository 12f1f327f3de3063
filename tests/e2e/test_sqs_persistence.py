"""SQS state on disk: queues and messages survive restarts; an acknowledged
send is never lost and an acknowledged delete never comes back after kill -9."""

from __future__ import annotations

import threading


def _queue(srv, name="durable", **attrs):
    return srv.client("sqs").create_queue(QueueName=name, Attributes={k: str(v) for k, v in attrs.items()})["QueueUrl"]


def _drain(sqs, url):
    seen = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600).get("Messages", [])
        if not got:
            return seen
        seen.extend(got)


def test_queues_and_messages_survive_a_restart(server_factory):
    srv = server_factory()
    url = _queue(srv, VisibilityTimeout=77)
    sqs = srv.client("sqs")
    sqs.tag_queue(QueueUrl=url, Tags={"k": "v"})
    for i in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    [first] = sqs.receive_message(QueueUrl=url).get("Messages", [])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    [second] = sqs.receive_message(QueueUrl=url).get("Messages", [])

    srv.restart()

    sqs = srv.client("sqs")
    assert sqs.get_queue_url(QueueName="durable")["QueueUrl"] == url
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert a["VisibilityTimeout"] == "77"
    assert (a["ApproximateNumberOfMessages"], a["ApproximateNumberOfMessagesNotVisible"]) == ("3", "1")
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"k": "v"}
    # The in-flight message's receipt handle still works after the restart.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=second["ReceiptHandle"])
    bodies = sorted(m["Body"] for m in _drain(sqs, url))
    assert bodies == sorted({"m0", "m1", "m2", "m3", "m4"} - {first["Body"], second["Body"]})


def test_ephemeral_server_forgets_queues(server_factory):
    srv = server_factory(args=["--ephemeral"])
    _queue(srv, "fleeting")
    srv.restart()
    assert "QueueUrls" not in srv.client("sqs").list_queues()


def test_sigkill_loses_no_acknowledged_send_and_resurrects_no_delete(server_factory):
    srv = server_factory()
    url = _queue(srv, "stream")
    sqs = srv.client("sqs")
    # Some messages deleted before the crash must stay deleted.
    for i in range(20):
        sqs.send_message(QueueUrl=url, MessageBody=f"pre-{i}")
    deleted = set()
    for i, m in enumerate(_drain(sqs, url)):
        if i < 10:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            deleted.add(m["Body"])
        else:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)

    acked, stop, errors = [], threading.Event(), []

    def sender(n):
        client = srv.client("sqs")
        i = 0
        while not stop.is_set():
            body = f"t{n}-{i}"
            try:
                client.send_message(QueueUrl=url, MessageBody=body)
            except Exception as e:  # noqa: BLE001 - every call fails once the server is gone
                if not stop.is_set():
                    errors.append(e)
                return
            acked.append(body)
            i += 1

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    while len(acked) < 200 and not errors:
        threading.Event().wait(0.01)
    stop.set()
    srv.kill()
    for t in threads:
        t.join(timeout=20)
    assert not errors, f"sends failed before the kill: {errors[0]!r}"
    assert not any(t.is_alive() for t in threads)

    srv.start()
    sqs = srv.client("sqs")
    bodies = [m["Body"] for m in _drain(sqs, url)]
    assert len(bodies) == len(set(bodies)), "a message came back twice"
    assert not deleted & set(bodies), "a deleted message came back"
    missing = [b for b in acked if b not in set(bodies)]
    print(f"{len(acked)} sends acknowledged before SIGKILL, {len(missing)} lost")
    assert not missing, f"{len(missing)} acknowledged sends lost, e.g. {missing[:3]}"
    assert {f"pre-{i}" for i in range(20)} - deleted <= set(bodies)


def test_fifo_deduplication_survives_a_restart(server_factory):
    srv = server_factory(args=["--test-mode"])
    sqs = srv.client("sqs")
    url = _queue(srv, "orders.fifo", FifoQueue="true")
    first = sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d1")

    srv.restart()

    sqs = srv.client("sqs")
    again = sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d1")
    assert (again["MessageId"], again["SequenceNumber"]) == (first["MessageId"], first["SequenceNumber"])
    assert [m["MessageId"] for m in _drain(sqs, url)] == [first["MessageId"]]
    # Past the five-minute window the same id is a new message.
    srv.advance(301)
    later = sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d1")
    assert later["MessageId"] != first["MessageId"]


def test_receive_attempt_retried_after_a_restart_gets_the_same_messages(server_factory):
    srv = server_factory(args=["--test-mode"])
    sqs = srv.client("sqs")
    url = _queue(srv, "jobs.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"job-{i}", MessageGroupId=f"g{i % 2}")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60,
                                ReceiveRequestAttemptId="attempt-1")["Messages"]
    assert len(first) == 3

    srv.restart()

    sqs = srv.client("sqs")
    retried = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60,
                                  ReceiveRequestAttemptId="attempt-1")["Messages"]
    assert [(m["MessageId"], m["ReceiptHandle"]) for m in retried] == [
        (m["MessageId"], m["ReceiptHandle"]) for m in first]
    # Another attempt finds the groups in flight.
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                               ReceiveRequestAttemptId="attempt-2").get("Messages", []) == []
    # The handles work; once a message is gone the attempt no longer retries.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=retried[0]["ReceiptHandle"])
    srv.advance(61)
    after = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60,
                                ReceiveRequestAttemptId="attempt-1")["Messages"]
    assert sorted(m["Body"] for m in after) == ["job-1", "job-2"]
    assert {m["ReceiptHandle"] for m in after}.isdisjoint(m["ReceiptHandle"] for m in first)


def test_running_message_move_task_survives_a_restart(server_factory):
    import json
    import time

    srv = server_factory(args=["--test-mode"])
    sqs = srv.client("sqs")
    dlq = _queue(srv, "dead")
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    src = _queue(srv, "work", VisibilityTimeout=0,
                 RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"}))
    sqs.send_message_batch(QueueUrl=src, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(10)])
    assert len(sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10).get("Messages", [])) == 10
    assert sqs.receive_message(QueueUrl=src).get("Messages", []) == []
    handle = sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1)["TaskHandle"]

    srv.restart()

    sqs = srv.client("sqs")
    [task] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert (task["Status"], task["TaskHandle"]) == ("RUNNING", handle)
    assert 1 <= task["ApproximateNumberOfMessagesMoved"] < 10
    srv.advance(30)
    deadline = time.time() + 5
    while time.time() < deadline:
        [task] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
        if task["Status"] != "RUNNING":
            break
        time.sleep(0.05)
    assert (task["Status"], task["ApproximateNumberOfMessagesMoved"]) == ("COMPLETED", 10)
    assert sorted(m["Body"] for m in _drain(sqs, src)) == sorted(f"m{i}" for i in range(10))
