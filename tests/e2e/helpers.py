"""Small helpers shared by the end-to-end tests: raw SigV4 signing, wire-level
error parsing and fake Authorization headers.

Everything here talks to 127.0.0.1 only; nothing reaches a real AWS endpoint.
"""

from __future__ import annotations

import datetime as _dt
import re
import socket
import time
import urllib.parse
import xml.etree.ElementTree as ET
from unittest import mock

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

REGION = "us-east-1"
STS_VERSION = "2011-06-15"
FORM = "application/x-www-form-urlencoded; charset=utf-8"
DEFAULT_ACCOUNT = "000000000000"
HTTP_TIMEOUT = 15


def free_port() -> int:
    """A TCP port on 127.0.0.1 the OS says is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fake_auth(service: str, access_key: str = "AKIDEXAMPLE", region: str = REGION) -> str:
    """An Authorization header that looks like SigV4 (scope readable) but whose
    signature is garbage; accepted when signatures are not verified."""
    return (
        f"AWS4-HMAC-SHA256 Credential={access_key}/20250101/{region}/{service}/aws4_request, "
        "SignedHeaders=host, Signature=0000"
    )


def creds_tuple(creds) -> tuple[str, str, str | None]:
    """(access key, secret, token) from an STS Credentials dict or a tuple."""
    if isinstance(creds, dict):
        return creds["AccessKeyId"], creds["SecretAccessKey"], creds.get("SessionToken")
    if len(creds) == 2:
        return creds[0], creds[1], None
    return tuple(creds)  # type: ignore[return-value]


def sigv4_headers(
    method: str,
    url: str,
    service: str,
    creds,
    body: bytes | str = b"",
    headers: dict | None = None,
    when: _dt.datetime | None = None,
) -> dict:
    """Signs a request with botocore's own SigV4 signer and returns its headers.

    `when` (a UTC datetime) replaces the signer's notion of "now", which is how
    a request dated in the past or future is produced.
    """
    ak, sk, token = creds_tuple(creds)
    req = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    auth = SigV4Auth(Credentials(ak, sk, token), service, REGION)
    if when is None:
        auth.add_auth(req)
    else:
        naive_utc = when.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        with mock.patch("botocore.auth.get_current_datetime", lambda *a, **k: naive_utc):
            auth.add_auth(req)
    return dict(req.headers.items())


def signed_query(
    base_url: str,
    service: str,
    params: dict,
    creds,
    when: _dt.datetime | None = None,
    send_body: bytes | str | None = None,
    session: requests.Session | None = None,
) -> requests.Response:
    """POSTs a query-protocol request (form body) signed with `creds`.

    `send_body`, if given, is sent instead of the body that was signed.
    """
    url = base_url.rstrip("/") + "/"
    body = urllib.parse.urlencode(params)
    headers = sigv4_headers("POST", url, service, creds, body, {"Content-Type": FORM}, when)
    http = session or requests
    return http.post(
        url,
        data=body if send_body is None else send_body,
        headers=headers,
        timeout=HTTP_TIMEOUT,
    )


def _strip_ns(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def xml_text(body: str | bytes, name: str) -> str | None:
    """Text of the first element called `name` (any namespace), or None."""
    root = ET.fromstring(body)
    for el in root.iter():
        if _strip_ns(el.tag) == name:
            return el.text
    return None


def query_error(resp: requests.Response) -> tuple[str | None, str | None]:
    """(Code, Message) of an AWS query-protocol XML error response."""
    try:
        return xml_text(resp.content, "Code"), xml_text(resp.content, "Message")
    except ET.ParseError as e:
        raise AssertionError(
            f"expected an XML error body, got HTTP {resp.status_code}: {resp.text[:500]!r}"
        ) from e


def caller_arn(base_url: str, creds, session: requests.Session | None = None) -> str:
    """Arn from GetCallerIdentity signed with `creds` (raw HTTP, no boto3 client)."""
    resp = signed_query(
        base_url,
        "sts",
        {"Action": "GetCallerIdentity", "Version": STS_VERSION},
        creds,
        session=session,
    )
    if resp.status_code != 200:
        code, msg = query_error(resp)
        raise AssertionError(f"GetCallerIdentity failed: HTTP {resp.status_code} {code}: {msg}")
    arn = xml_text(resp.content, "Arn")
    assert arn, f"no Arn in GetCallerIdentity response: {resp.text[:500]!r}"
    return arn


def error_of(exc: ClientError) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a botocore ClientError."""
    err = exc.response.get("Error", {})
    return (
        err.get("Code", ""),
        err.get("Message", ""),
        exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0),
    )


def parse_iso(ts: str) -> _dt.datetime:
    """An ISO-8601 timestamp (with Z or an offset) as an aware UTC datetime."""
    value = _dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise AssertionError(f"timestamp {ts!r} carries no timezone")
    return value.astimezone(_dt.timezone.utc)


def role_arn(name: str = "deployer", account: str = "111122223333") -> str:
    return f"arn:aws:iam::{account}:role/{name}"


ACCESS_KEY_RE = re.compile(r"^[A-Z0-9]{16,128}$")


def until(fn, timeout: float = 20.0, what: str = "condition"):
    """Polls `fn` every 0.1 s of real time until it is truthy; returns it."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last value: {last!r}")


def advance_until(server, check, what: str, step_s: int = 60, rounds: int = 40):
    """Moves the server's clock `step_s` at a time, with half a second of
    real time between steps for real processes to act, until `check()` is
    truthy; returns its value."""
    for _ in range(rounds):
        deadline = time.time() + 0.5
        while time.time() < deadline:
            got = check()
            if got:
                return got
            time.sleep(0.1)
        server.advance(step_s)
    raise AssertionError(f"never happened: {what}")


def fresh_period(server, period_s: int = 60, settle: float = 0.3):
    """Moves the server's clock to just past the start of its next whole
    period (a minute by default) and gives the periodic publishers `settle`
    seconds to close the one that ended, so what follows has most of a
    period of real time before another period's end splits it."""
    now = server.now().timestamp()
    server.advance((now // period_s + 1) * period_s + 0.2 - now)
    time.sleep(settle)
