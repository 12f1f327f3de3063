"""Every acknowledged write survives a SIGKILL that comes right after it, in
both fsync modes: SQS sends and deletes, DynamoDB items, S3 objects (and an
overwrite and a delete of them). The default `--fsync interval` acknowledges
once a write is in the kernel and makes it durable at the next checkpoint, so
a kill within that interval is what these tests aim at."""

from __future__ import annotations

import pytest

from conftest import ServerError, run_aws

MODES = {"interval": [], "always": ["--fsync", "always"]}


def _write_everything(srv):
    sqs, ddb, s3 = srv.client("sqs"), srv.client("dynamodb"), srv.client("s3")
    url = sqs.create_queue(QueueName="crash")["QueueUrl"]
    ddb.create_table(
        TableName="crash",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.get_waiter("table_exists").wait(TableName="crash")
    s3.create_bucket(Bucket="crash")

    for i in range(30):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=0)["Messages"]
    deleted = got[0]["Body"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])

    for i in range(30):
        ddb.put_item(TableName="crash", Item={"pk": {"S": f"k{i}"}, "n": {"N": str(i)}})
    ddb.delete_item(TableName="crash", Key={"pk": {"S": "k0"}})

    for i in range(20):
        s3.put_object(Bucket="crash", Key=f"obj/{i}", Body=f"body {i}".encode() * 100)
    s3.put_object(Bucket="crash", Key="obj/0", Body=b"second version")
    s3.delete_object(Bucket="crash", Key="obj/1")
    # The last acknowledgement: the kill follows at once.
    sqs.send_message(QueueUrl=url, MessageBody="last")
    return url, deleted


def _check_everything(srv, url, deleted):
    sqs, ddb, s3 = srv.client("sqs"), srv.client("dynamodb"), srv.client("s3")
    received = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600).get("Messages", [])
        if not got:
            break
        received.extend(got)
    bodies = [m["Body"] for m in received]
    assert sorted(bodies) == sorted({f"m{i}" for i in range(30)} - {deleted} | {"last"})
    # Visible again for the next check.
    for m in received:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)

    items = ddb.scan(TableName="crash", ConsistentRead=True)["Items"]
    assert sorted(int(it["n"]["N"]) for it in items) == list(range(1, 30))

    listed = [o["Key"] for o in s3.list_objects_v2(Bucket="crash")["Contents"]]
    assert sorted(listed) == sorted(f"obj/{i}" for i in range(20) if i != 1)
    assert s3.get_object(Bucket="crash", Key="obj/0")["Body"].read() == b"second version"
    for i in range(2, 20):
        assert s3.get_object(Bucket="crash", Key=f"obj/{i}")["Body"].read() == f"body {i}".encode() * 100


@pytest.mark.parametrize("mode", MODES)
def test_sigkill_right_after_the_acknowledgements_loses_nothing(server_factory, mode):
    srv = server_factory(args=MODES[mode])
    url, deleted = _write_everything(srv)
    srv.kill()
    srv.start()
    _check_everything(srv, url, deleted)
    # And again after a clean stop, from the checkpointed state alone.
    srv.restart()
    _check_everything(srv, url, deleted)


def test_a_torn_log_tail_is_dropped_and_the_state_still_opens(server_factory):
    srv = server_factory()
    url, deleted = _write_everything(srv)
    srv.kill()
    # What a write cut short by a power loss leaves: a record that never ended.
    with open(srv.data_dir / "state.wal", "ab") as f:
        f.write(b"\x40\x00\x00\x00\x12\x34\x56\x78partial")
    srv.start()
    _check_everything(srv, url, deleted)
    sqs = srv.client("sqs")
    sqs.send_message(QueueUrl=url, MessageBody="after")
    assert "torn or damaged tail" in srv.stderr()


def test_switching_modes_keeps_the_state(server_factory):
    srv = server_factory()
    url, deleted = _write_everything(srv)
    srv.kill()
    # The log an interval run left is replayed by an `always` run too.
    srv.args = ["--fsync", "always"]
    srv.start()
    _check_everything(srv, url, deleted)
    srv.kill()
    srv.args = []
    srv.start()
    _check_everything(srv, url, deleted)


def test_cli_upload_then_sigkill(server_factory, tmp_path):
    srv = server_factory(env={"STRATUS_FSYNC": "interval"})
    src = tmp_path / "report.txt"
    src.write_bytes(b"quarterly numbers\n" * 1000)

    def cli(*args):
        proc = run_aws(srv, *args, check=False)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    cli("s3", "mb", "s3://reports")
    cli("s3", "cp", str(src), "s3://reports/q1.txt")
    srv.kill()
    srv.start()
    out = tmp_path / "back.txt"
    cli("s3", "cp", "s3://reports/q1.txt", str(out))
    assert out.read_bytes() == src.read_bytes()
    assert "q1.txt" in cli("s3", "ls", "s3://reports")


def test_an_unknown_fsync_mode_is_refused(server_factory):
    srv = server_factory(args=["--fsync", "sometimes"], start=False)
    with pytest.raises(ServerError, match="invalid value 'sometimes' for '--fsync"):
        srv.start(timeout=5)
