"""SigV4 verification (--verify-signatures) for keys Stratus issued."""

from __future__ import annotations

import datetime as _dt

import pytest
from botocore.exceptions import ClientError

from helpers import (
    DEFAULT_ACCOUNT,
    STS_VERSION,
    caller_arn,
    error_of,
    query_error,
    role_arn,
    signed_query,
)

GCI = {"Action": "GetCallerIdentity", "Version": STS_VERSION}


def _issue(srv, session="sig"):
    return srv.client("sts").assume_role(RoleArn=role_arn("signer"), RoleSessionName=session)


def _wrong_secret(creds) -> dict:
    return dict(creds, SecretAccessKey="wrong" + creds["SecretAccessKey"])


def test_issued_credentials_signed_with_the_right_secret_are_accepted(verify_server):
    resp = _issue(verify_server, "right")
    ident = verify_server.client("sts", creds=resp["Credentials"]).get_caller_identity()
    assert ident["Arn"] == resp["AssumedRoleUser"]["Arn"]


def test_issued_key_signed_with_a_wrong_secret_is_signature_does_not_match(verify_server):
    creds = _issue(verify_server, "wrong")["Credentials"]
    with pytest.raises(ClientError) as exc:
        verify_server.client("sts", creds=_wrong_secret(creds)).get_caller_identity()
    code, _, status = error_of(exc.value)
    assert (code, status) == ("SignatureDoesNotMatch", 403)


def test_body_changed_after_signing_is_signature_does_not_match(verify_server):
    creds = _issue(verify_server, "tamper")["Credentials"]
    r = signed_query(
        verify_server.url,
        "sts",
        GCI,
        creds,
        send_body=f"Action=GetSessionToken&Version={STS_VERSION}&DurationSeconds=900",
    )
    assert r.status_code == 403, r.text[:300]
    assert query_error(r)[0] == "SignatureDoesNotMatch"


def test_cli_with_a_wrong_secret_is_rejected(aws, verify_server):
    creds = _issue(verify_server, "cli")["Credentials"]
    proc = aws("sts", "get-caller-identity", creds=_wrong_secret(creds), check=False, srv=verify_server)
    assert proc.returncode != 0
    assert "SignatureDoesNotMatch" in proc.stderr, proc.stderr


# The brief asked for RequestTimeTooSkewed; that code is S3's. STS (like every
# non-S3 service) answers a request dated more than 15 minutes off with
# SignatureDoesNotMatch "Signature expired: ..." / "Signature not yet current: ...".
@pytest.mark.parametrize(
    "minutes, wording",
    [(-20, "Signature expired: "), (20, "Signature not yet current: ")],
    ids=["20-min-behind", "20-min-ahead"],
)
def test_request_dated_20_minutes_off_is_refused_as_skewed(verify_server, minutes, wording):
    creds = _issue(verify_server, "skew")["Credentials"]
    when = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(minutes=minutes)
    r = signed_query(verify_server.url, "sts", GCI, creds, when=when)
    assert r.status_code == 403, r.text[:300]
    code, message = query_error(r)
    assert code == "SignatureDoesNotMatch"
    assert (message or "").startswith(wording), message
    assert when.strftime("%Y%m%dT%H%M") in message


def test_request_dated_2_minutes_off_is_still_accepted(verify_server):
    resp = _issue(verify_server, "drift")
    when = _dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(minutes=2)
    r = signed_query(verify_server.url, "sts", GCI, resp["Credentials"], when=when)
    assert r.status_code == 200, r.text[:300]
    assert resp["AssumedRoleUser"]["Arn"] in r.text


@pytest.mark.parametrize(
    "key, account",
    [("AKIAI44QH8DHBEXAMPLE", DEFAULT_ACCOUNT), ("314159265358", "314159265358")],
    ids=["ordinary-key", "twelve-digit-key"],
)
def test_keys_stratus_never_issued_are_accepted_with_any_secret(verify_server, key, account):
    for secret in ("one-secret", "another-secret"):
        ident = verify_server.client("sts", access_key=key, secret_key=secret).get_caller_identity()
        assert ident["Arn"] == f"arn:aws:iam::{account}:root"


def test_without_verify_signatures_a_wrong_secret_is_not_checked(server):
    resp = _issue(server, "lax")
    arn = caller_arn(server.url, _wrong_secret(resp["Credentials"]))
    assert arn == resp["AssumedRoleUser"]["Arn"]


def test_stratus_verify_signatures_env_var_turns_verification_on(server_factory):
    srv = server_factory(args=["--ephemeral"], env={"STRATUS_VERIFY_SIGNATURES": "1"})
    creds = _issue(srv, "env")["Credentials"]
    assert caller_arn(srv.url, creds).endswith("assumed-role/signer/env")
    with pytest.raises(ClientError) as exc:
        srv.client("sts", creds=_wrong_secret(creds)).get_caller_identity()
    assert error_of(exc.value)[:1] == ("SignatureDoesNotMatch",)
