"""SQS over the query protocol (form posts, XML answers), as older CLIs and
SDKs speak it, and a few aws CLI flows."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from helpers import DEFAULT_ACCOUNT, FORM, fake_auth, query_error, xml_text

VERSION = "2012-11-05"


def form_post(server, params, path="/"):
    body = {"Version": VERSION, **params}
    return server.http.post(
        server.url + path,
        data=body,
        headers={"Content-Type": FORM, "Authorization": fake_auth("sqs")},
        timeout=15,
    )


def texts(body: bytes, name: str) -> list[str]:
    root = ET.fromstring(body)
    return [e.text or "" for e in root.iter() if e.tag.rsplit("}", 1)[-1] == name]


@pytest.fixture
def fresh(server):
    server.reset()
    return server


def test_query_clients_create_send_receive_delete(fresh):
    r = form_post(fresh, {"Action": "CreateQueue", "QueueName": "legacy", "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "45"})
    assert r.status_code == 200, r.text
    url = xml_text(r.content, "QueueUrl")
    assert url.endswith(f"/{DEFAULT_ACCOUNT}/legacy")
    r = form_post(fresh, {"Action": "GetQueueAttributes", "QueueUrl": url, "AttributeName.1": "All"})
    assert r.status_code == 200, r.text
    names = texts(r.content, "Name")
    values = texts(r.content, "Value")
    assert dict(zip(names, values))["VisibilityTimeout"] == "45"
    r = form_post(fresh, {
        "Action": "SendMessage", "QueueUrl": url, "MessageBody": "from a query client",
        "MessageAttribute.1.Name": "SellerName",
        "MessageAttribute.1.Value.DataType": "String",
        "MessageAttribute.1.Value.StringValue": "Example Store",
    })
    assert r.status_code == 200, r.text
    assert xml_text(r.content, "MD5OfMessageBody") == hashlib.md5(b"from a query client").hexdigest()
    assert xml_text(r.content, "MD5OfMessageAttributes") == "cd28f3b68aeee4b2eac9c66f2f694b58"
    r = form_post(fresh, {"Action": "ReceiveMessage", "QueueUrl": url, "AttributeName.1": "All", "MessageAttributeName.1": "All"})
    assert r.status_code == 200, r.text
    assert xml_text(r.content, "Body") == "from a query client"
    assert "Example Store" in texts(r.content, "StringValue")
    handle = xml_text(r.content, "ReceiptHandle")
    r = form_post(fresh, {"Action": "DeleteMessage", "QueueUrl": url, "ReceiptHandle": handle})
    assert r.status_code == 200, r.text
    r = form_post(fresh, {"Action": "ListQueues"})
    assert texts(r.content, "QueueUrl") == [url]
    # The same queue, seen by a JSON client.
    sqs = fresh.client("sqs")
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"] == {"ApproximateNumberOfMessages": "0"}


def test_query_errors_carry_legacy_codes(fresh):
    r = form_post(fresh, {"Action": "GetQueueUrl", "QueueName": "missing"})
    assert r.status_code == 400
    assert query_error(r) == ("AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
    form_post(fresh, {"Action": "CreateQueue", "QueueName": "dup"})
    r = form_post(fresh, {"Action": "CreateQueue", "QueueName": "dup", "Attribute.1.Name": "DelaySeconds", "Attribute.1.Value": "5"})
    assert r.status_code == 400
    assert query_error(r)[0] == "QueueAlreadyExists"
    r = form_post(fresh, {"Action": "NoSuchAction"})
    assert r.status_code == 400
    assert query_error(r)[0] == "InvalidAction"


def test_json_errors_carry_the_query_error_header(fresh):
    r = fresh.http.post(
        fresh.url + "/",
        data='{"QueueName": "missing"}',
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "AmazonSQS.GetQueueUrl",
            "Authorization": fake_auth("sqs"),
        },
        timeout=15,
    )
    assert r.status_code == 400
    assert r.headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    assert r.json()["__type"].endswith("QueueDoesNotExist")


def test_cli_queue_flow(aws, fresh):
    url = aws("sqs", "create-queue", "--queue-name", "cli-jobs")["QueueUrl"]
    sent = aws("sqs", "send-message", "--queue-url", url, "--message-body", "hello from the cli")
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"hello from the cli").hexdigest()
    got = aws("sqs", "receive-message", "--queue-url", url, "--attribute-names", "All")
    [m] = got["Messages"]
    assert m["Body"] == "hello from the cli" and m["Attributes"]["ApproximateReceiveCount"] == "1"


LEGACY_CLI = Path("/usr/bin/aws")


def _legacy_cli_version() -> str:
    if not LEGACY_CLI.exists():
        return ""
    return subprocess.run([str(LEGACY_CLI), "--version"], capture_output=True, text=True, timeout=30).stdout


def test_query_speaking_cli_flow(fresh):
    # ./test.sh installs Debian's awscli 2.9, which speaks query to SQS.
    assert _legacy_cli_version().startswith("aws-cli/2.9"), "Debian's awscli 2.9 is missing at /usr/bin/aws"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_PAGER="")

    def cli(*args, check=True):
        p = subprocess.run([str(LEGACY_CLI), "--endpoint-url", fresh.url, "--output", "json", *args],
                           capture_output=True, text=True, env=env, timeout=60)
        if check:
            assert p.returncode == 0, p.stderr
            return json.loads(p.stdout) if p.stdout.strip() else {}
        return p

    url = cli("sqs", "create-queue", "--queue-name", "old-cli")["QueueUrl"]
    cli("sqs", "send-message", "--queue-url", url, "--message-body", "hi",
        "--message-attributes", '{"a":{"DataType":"String","StringValue":"b"}}')
    [m] = cli("sqs", "receive-message", "--queue-url", url, "--attribute-names", "All", "--message-attribute-names", "All")["Messages"]
    assert m["Body"] == "hi" and m["MessageAttributes"]["a"]["StringValue"] == "b"
    assert m["Attributes"]["ApproximateReceiveCount"] == "1"
    p = cli("sqs", "get-queue-url", "--queue-name", "nope", check=False)
    assert p.returncode != 0 and "AWS.SimpleQueueService.NonExistentQueue" in p.stderr
