"""Routing across services and protocols: unimplemented operations, unknown
actions, and malformed input (never a 500, never a hang)."""

from __future__ import annotations

import socket

import pytest
from botocore.exceptions import ClientError
from botocore.parsers import create_parser

from helpers import FORM, STS_VERSION, error_of, fake_auth, query_error

# (service, boto3 method, kwargs, operation name, names the message may use for the service)
NOT_IMPLEMENTED = [
    ("glue", "get_databases", {}, "GetDatabases", ("glue",)),  # awsJson1.1
    ("lambda", "list_functions", {}, "ListFunctions", ("lambda",)),  # restJson1
    # botocore 1.44 speaks awsJson1.0 (query-compatible) to CloudWatch
    ("cloudwatch", "describe_anomaly_detectors", {}, "DescribeAnomalyDetectors", ("cloudwatch", "monitoring")),
    ("ec2", "describe_spot_price_history", {}, "DescribeSpotPriceHistory", ("ec2",)),  # ec2 query
]


@pytest.mark.parametrize(
    "service, method, kwargs, operation, names",
    NOT_IMPLEMENTED,
    ids=[c[0] for c in NOT_IMPLEMENTED],
)
def test_unimplemented_operation_answers_501_not_implemented(
    server, service, method, kwargs, operation, names
):
    client = server.client(service)
    with pytest.raises(ClientError) as exc:
        getattr(client, method)(**kwargs)
    code, message, status = error_of(exc.value)
    assert (code, status) == ("NotImplemented", 501), exc.value.response
    assert operation in message, message
    assert any(n in message.lower() for n in names), f"service not named in {message!r}"


CW_CBOR_PATH = "/service/GraniteServiceVersion20100801/operation/DescribeAnomalyDetectors"


def test_unimplemented_operation_over_rpc_v2_cbor_answers_501_in_cbor(server):
    r = server.post(
        CW_CBOR_PATH,
        data=b"\xa0",  # an empty CBOR map: DescribeAnomalyDetectors with no parameters
        headers={
            "smithy-protocol": "rpc-v2-cbor",
            "Content-Type": "application/cbor",
            "Accept": "application/cbor",
            "Authorization": fake_auth("monitoring"),
        },
    )
    assert r.status_code == 501, r.content[:300]
    op = server.client("cloudwatch").meta.service_model.operation_model("DescribeAnomalyDetectors")
    parsed = create_parser("smithy-rpc-v2-cbor").parse(
        {"status_code": r.status_code, "headers": r.headers, "body": r.content}, op.output_shape
    )
    assert parsed["Error"]["Code"] == "NotImplemented", parsed
    assert "DescribeAnomalyDetectors" in parsed["Error"]["Message"]


def test_unimplemented_operation_over_aws_query_answers_501(server):
    r = server.post(
        "/",
        data="Action=DescribeAnomalyDetectors&Version=2010-08-01",
        headers={"Content-Type": FORM, "Authorization": fake_auth("monitoring")},
    )
    assert r.status_code == 501, r.text[:300]
    code, message = query_error(r)
    assert code == "NotImplemented"
    assert "DescribeAnomalyDetectors" in (message or "")


def test_cli_reports_unimplemented_operation(aws):
    proc = aws("lambda", "list-functions", check=False)
    assert proc.returncode != 0
    assert "(NotImplemented)" in proc.stderr, proc.stderr


def test_unknown_query_action_is_invalid_action(server):
    r = server.post(
        "/",
        data=f"Action=NoSuchThing&Version={STS_VERSION}",
        headers={"Content-Type": FORM, "Authorization": fake_auth("sts")},
    )
    assert r.status_code == 400
    code, _ = query_error(r)
    assert code == "InvalidAction"


# -- malformed input ----------------------------------------------------------
def _ddb_headers():
    return {
        "X-Amz-Target": "DynamoDB_20120810.ListTables",
        "Content-Type": "application/x-amz-json-1.0",
        "Authorization": fake_auth("dynamodb"),
    }


@pytest.mark.parametrize(
    "body", [b"{not json", b'{"Limit": ', b"\xff\xfe\x00"], ids=["garbage", "truncated", "binary"]
)
def test_bad_json_to_a_json_service_gets_a_4xx_json_error(server, body):
    r = server.post("/", data=body, headers=_ddb_headers())
    assert 400 <= r.status_code < 500, f"HTTP {r.status_code}: {r.text[:300]}"
    try:
        err = r.json()
    except ValueError:
        pytest.fail(f"error body is not JSON: {r.text[:300]!r}")
    assert isinstance(err, dict) and err.get("__type"), err


STS_FORM = {"Content-Type": FORM, "Authorization": fake_auth("sts")}
CBOR = {
    "smithy-protocol": "rpc-v2-cbor",
    "Content-Type": "application/cbor",
    "Accept": "application/cbor",
    "Authorization": fake_auth("monitoring"),
}

MALFORMED = {
    "truncated-form-body": (
        "/",
        STS_FORM,
        b"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333"
        b"%3Arole%2Fr&RoleSessionName=s%2",
    ),
    "form-body-with-invalid-utf8": ("/", STS_FORM, b"Action=Get\xff\xfeCallerIdentity&Version=2011-06-15"),
    "empty-query-body": ("/", STS_FORM, b""),
    "bad-cbor": (
        CW_CBOR_PATH,
        CBOR,
        b"\xff\xff\x00\x1fgarbage",
    ),
    "truncated-cbor": (
        CW_CBOR_PATH,
        CBOR,
        b"\xbf\x69Namespace\x78\x40AWS",  # map with a text string cut short
    ),
}


@pytest.mark.parametrize("path, headers, body", MALFORMED.values(), ids=list(MALFORMED))
def test_malformed_request_gets_a_4xx(server, path, headers, body):
    r = server.post(path, data=body, headers=headers)
    assert 400 <= r.status_code < 500, f"HTTP {r.status_code}: {r.text[:300]}"


@pytest.mark.parametrize(
    "authorization",
    ["AWS4-HMAC-SHA256 nonsense", "AWS4-HMAC-SHA256 Credential=AKID/2025/us-east-1", "Bearer \u00e9", ""],
    ids=["no-fields", "short-scope", "other-scheme", "empty"],
)
def test_malformed_authorization_header_never_gets_a_5xx(server, authorization):
    r = server.post(
        "/",
        data=f"Action=GetCallerIdentity&Version={STS_VERSION}",
        headers={"Content-Type": FORM, "Authorization": authorization.encode("utf-8")},
    )
    assert r.status_code < 500, f"HTTP {r.status_code}: {r.text[:300]}"


def test_a_64k_header_is_refused_with_a_4xx(server):
    headers = dict(STS_FORM)
    headers["X-Padding"] = "a" * 65536
    r = server.post("/", data=f"Action=GetCallerIdentity&Version={STS_VERSION}", headers=headers)
    assert 400 <= r.status_code < 500, f"HTTP {r.status_code}: {r.text[:300]}"
    assert server.health()["edition"] == "stratus"


def test_body_shorter_than_content_length_does_not_hang_or_500(server):
    """The client promises 200 bytes, sends 40 and half-closes: the server must
    answer with a 4xx or close the connection, promptly."""
    body = b"Action=GetCallerIdentity&Version=2011-06"
    head = (
        "POST / HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{server.port}\r\n"
        f"Content-Type: {FORM}\r\n"
        f"Authorization: {fake_auth('sts')}\r\n"
        "Content-Length: 200\r\n"
        "\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(head + body)
        s.shutdown(socket.SHUT_WR)
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            pytest.fail(f"no answer and no close within 5 s (got {data[:200]!r})")
    if data:
        status_line = data.split(b"\r\n", 1)[0].decode(errors="replace")
        parts = status_line.split()
        assert len(parts) >= 2 and parts[0].startswith("HTTP/"), status_line
        assert 400 <= int(parts[1]) < 500, status_line
    assert server.health()["edition"] == "stratus"


def test_server_still_serves_after_malformed_input(server):
    for path, headers, body in MALFORMED.values():
        server.post(path, data=body, headers=headers)
    server.post("/", data=b"{not json", headers=_ddb_headers())
    ident = server.client("sts").get_caller_identity()
    assert ident["Account"] == "000000000000"
