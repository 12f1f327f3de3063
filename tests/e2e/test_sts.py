"""STS over the query protocol, as the aws CLI and boto3 use it."""

from __future__ import annotations

import json

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from helpers import DEFAULT_ACCOUNT, error_of, role_arn

ROLE_ACCOUNT = "111122223333"
EXPIRED_MESSAGE = "The security token included in the request is expired"
POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
)


def seconds_until(server, expiration) -> float:
    """Seconds from the server's (injectable) now to a credentials Expiration."""
    return (expiration - server.now()).total_seconds()


def assert_lifetime(server, creds, seconds: int):
    left = seconds_until(server, creds["Expiration"])
    assert seconds - 30 <= left <= seconds + 5, f"expected ~{seconds} s to expiry, got {left:.0f} s"


def assert_temporary_credentials(creds):
    assert creds["AccessKeyId"].startswith("ASIA"), creds["AccessKeyId"]
    assert creds["SecretAccessKey"] and creds["SecretAccessKey"] != creds["AccessKeyId"]
    assert creds["SessionToken"]


def invalid_sts(server):
    """An STS client that sends whatever it is given (no client-side validation)."""
    return server.client("sts", config=Config(parameter_validation=False))


# -- GetCallerIdentity --------------------------------------------------------
def test_caller_identity_of_an_ordinary_key_is_the_default_account_root(server):
    ident = server.client("sts", access_key="AKIAIOSFODNN7EXAMPLE").get_caller_identity()
    assert ident["Account"] == DEFAULT_ACCOUNT
    assert ident["Arn"] == f"arn:aws:iam::{DEFAULT_ACCOUNT}:root"
    assert ident["UserId"] == DEFAULT_ACCOUNT


def test_caller_identity_of_a_twelve_digit_key_is_that_accounts_root(server):
    ident = server.client("sts", access_key="123456789012").get_caller_identity()
    assert ident["Account"] == "123456789012"
    assert ident["Arn"] == "arn:aws:iam::123456789012:root"
    assert ident["UserId"] == "123456789012"


def test_cli_get_caller_identity(aws):
    ident = aws("sts", "get-caller-identity", creds=("444455556666", "whatever"))
    assert ident == {
        "UserId": "444455556666",
        "Account": "444455556666",
        "Arn": "arn:aws:iam::444455556666:root",
    }


# -- AssumeRole ---------------------------------------------------------------
def test_cli_assume_role_then_act_as_the_role(aws):
    out = aws(
        "sts",
        "assume-role",
        "--role-arn",
        role_arn("cli-role"),
        "--role-session-name",
        "alice",
    )
    creds = out["Credentials"]
    assert_temporary_credentials(creds)
    expected_arn = f"arn:aws:sts::{ROLE_ACCOUNT}:assumed-role/cli-role/alice"
    assert out["AssumedRoleUser"]["Arn"] == expected_arn

    ident = aws("sts", "get-caller-identity", creds=creds)
    assert ident["Arn"] == expected_arn
    assert ident["Account"] == ROLE_ACCOUNT
    assert ident["UserId"] == out["AssumedRoleUser"]["AssumedRoleId"]


def test_assume_role_returns_credentials_and_assumed_role_user(server):
    resp = server.client("sts").assume_role(RoleArn=role_arn("deployer"), RoleSessionName="build-42")
    assert_temporary_credentials(resp["Credentials"])
    user = resp["AssumedRoleUser"]
    assert user["Arn"] == f"arn:aws:sts::{ROLE_ACCOUNT}:assumed-role/deployer/build-42"
    role_id, _, session = user["AssumedRoleId"].partition(":")
    assert role_id.startswith("AROA") and len(role_id) > 4
    assert session == "build-42"
    assert "PackedPolicySize" not in resp


def test_assume_role_lasts_one_hour_by_default(server):
    resp = server.client("sts").assume_role(RoleArn=role_arn(), RoleSessionName="default-duration")
    assert_lifetime(server, resp["Credentials"], 3600)


@pytest.mark.parametrize("duration", [900, 43200])
def test_assume_role_honours_duration_seconds(server, duration):
    resp = server.client("sts").assume_role(
        RoleArn=role_arn(), RoleSessionName="timed", DurationSeconds=duration
    )
    assert_lifetime(server, resp["Credentials"], duration)


def test_assume_role_issues_new_keys_every_time(server):
    sts = server.client("sts")
    keys = {
        sts.assume_role(RoleArn=role_arn(), RoleSessionName="same")["Credentials"]["AccessKeyId"]
        for _ in range(5)
    }
    assert len(keys) == 5


def test_assume_role_account_is_the_role_arns_account_not_the_callers(server):
    resp = server.client("sts", access_key="999988887777").assume_role(
        RoleArn=role_arn("auditor", account="555566667777"), RoleSessionName="x-acct"
    )
    assert resp["AssumedRoleUser"]["Arn"] == "arn:aws:sts::555566667777:assumed-role/auditor/x-acct"
    ident = server.client("sts", creds=resp["Credentials"]).get_caller_identity()
    assert ident["Account"] == "555566667777"


def test_assume_role_with_policy_reports_packed_policy_size(server):
    resp = server.client("sts").assume_role(
        RoleArn=role_arn(), RoleSessionName="scoped", Policy=POLICY
    )
    size = resp.get("PackedPolicySize")
    assert isinstance(size, int), resp
    assert 0 <= size <= 100


def test_assumed_role_credentials_identify_as_the_assumed_role(server):
    resp = server.client("sts").assume_role(RoleArn=role_arn("reader"), RoleSessionName="sess-1")
    ident = server.client("sts", creds=resp["Credentials"]).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{ROLE_ACCOUNT}:assumed-role/reader/sess-1"
    assert ident["UserId"] == resp["AssumedRoleUser"]["AssumedRoleId"]
    assert ident["Account"] == ROLE_ACCOUNT


# -- GetSessionToken ----------------------------------------------------------
def test_session_token_credentials_act_as_the_caller(server):
    resp = server.client("sts", access_key="123456789012").get_session_token()
    creds = resp["Credentials"]
    assert creds["AccessKeyId"] and creds["SecretAccessKey"] and creds["SessionToken"]
    ident = server.client("sts", creds=creds).get_caller_identity()
    assert ident["Arn"] == "arn:aws:iam::123456789012:root"
    assert ident["Account"] == "123456789012"


def test_session_token_of_an_ordinary_key_belongs_to_the_default_account(server):
    creds = server.client("sts", access_key="AKIAIOSFODNN7EXAMPLE").get_session_token()["Credentials"]
    ident = server.client("sts", creds=creds).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{DEFAULT_ACCOUNT}:root"


# AWS caps credentials that an account's root user gets from GetSessionToken or
# GetFederationToken at one hour (default and maximum); every key Stratus did not
# issue stands for a root user.
@pytest.mark.parametrize(
    "duration, lifetime", [(None, 3600), (900, 900), (129600, 3600)], ids=["default", "900", "129600"]
)
def test_session_token_of_a_root_caller_lasts_at_most_one_hour(server, duration, lifetime):
    kwargs = {} if duration is None else {"DurationSeconds": duration}
    creds = server.client("sts").get_session_token(**kwargs)["Credentials"]
    assert_lifetime(server, creds, lifetime)


@pytest.mark.parametrize(
    "duration, lifetime", [(None, 3600), (900, 900), (43200, 3600)], ids=["default", "900", "43200"]
)
def test_federation_token_of_a_root_caller_lasts_at_most_one_hour(server, duration, lifetime):
    kwargs = {} if duration is None else {"DurationSeconds": duration}
    creds = server.client("sts").get_federation_token(Name="fed-user", **kwargs)["Credentials"]
    assert_lifetime(server, creds, lifetime)


# -- GetFederationToken -------------------------------------------------------
def test_federation_token_returns_the_federated_user(server):
    resp = server.client("sts", access_key="123456789012").get_federation_token(Name="carol")
    assert resp["FederatedUser"]["FederatedUserId"] == "123456789012:carol"
    assert resp["FederatedUser"]["Arn"] == "arn:aws:sts::123456789012:federated-user/carol"
    c = resp["Credentials"]
    assert c["AccessKeyId"] and c["SecretAccessKey"] and c["SessionToken"]


def test_federation_token_credentials_identify_as_the_federated_user(server):
    resp = server.client("sts", access_key="123456789012").get_federation_token(
        Name="dave", DurationSeconds=3600
    )
    ident = server.client("sts", creds=resp["Credentials"]).get_caller_identity()
    assert ident["Arn"] == "arn:aws:sts::123456789012:federated-user/dave"
    assert ident["Account"] == "123456789012"
    assert ident["UserId"] == "123456789012:dave"
    assert_lifetime(server, resp["Credentials"], 3600)


# -- GetAccessKeyInfo ---------------------------------------------------------
def test_access_key_info_of_an_assumed_role_key_is_the_roles_account(server):
    creds = server.client("sts").assume_role(
        RoleArn=role_arn(account="777788889999"), RoleSessionName="info"
    )["Credentials"]
    info = server.client("sts").get_access_key_info(AccessKeyId=creds["AccessKeyId"])
    assert info["Account"] == "777788889999"


def test_access_key_info_of_a_session_token_key_is_the_callers_account(server):
    creds = server.client("sts", access_key="246813579024").get_session_token()["Credentials"]
    info = server.client("sts").get_access_key_info(AccessKeyId=creds["AccessKeyId"])
    assert info["Account"] == "246813579024"


def test_access_key_info_of_a_key_stratus_never_issued_is_the_default_account(server):
    info = server.client("sts").get_access_key_info(AccessKeyId="AKIAIOSFODNN7EXAMPLE")
    assert info["Account"] == DEFAULT_ACCOUNT


# -- validation ---------------------------------------------------------------
def _one_error(value, member, constraint) -> str:
    return (
        f"1 validation error detected: Value '{value}' at '{member}' "
        f"failed to satisfy constraint: Member must {constraint}"
    )


VALIDATION_CASES = [
    (
        "assume_role",
        {"RoleArn": role_arn(), "RoleSessionName": "a"},
        _one_error("a", "roleSessionName", "have length greater than or equal to 2"),
    ),
    (
        "assume_role",
        {"RoleArn": role_arn(), "RoleSessionName": "s" * 65},
        _one_error("s" * 65, "roleSessionName", "have length less than or equal to 64"),
    ),
    (
        "assume_role",
        {"RoleArn": role_arn(), "RoleSessionName": "ok", "DurationSeconds": 899},
        _one_error(899, "durationSeconds", "have value greater than or equal to 900"),
    ),
    (
        "assume_role",
        {"RoleArn": role_arn(), "RoleSessionName": "ok", "DurationSeconds": 43201},
        _one_error(43201, "durationSeconds", "have value less than or equal to 43200"),
    ),
    (
        "get_session_token",
        {"DurationSeconds": 899},
        _one_error(899, "durationSeconds", "have value greater than or equal to 900"),
    ),
    (
        "get_session_token",
        {"DurationSeconds": 129601},
        _one_error(129601, "durationSeconds", "have value less than or equal to 129600"),
    ),
    (
        "get_federation_token",
        {"Name": "x"},
        _one_error("x", "name", "have length greater than or equal to 2"),
    ),
    (
        "get_federation_token",
        {"Name": "n" * 33},
        _one_error("n" * 33, "name", "have length less than or equal to 32"),
    ),
    (
        "get_access_key_info",
        {"AccessKeyId": "AKIA1"},
        _one_error("AKIA1", "accessKeyId", "have length greater than or equal to 16"),
    ),
]


@pytest.mark.parametrize(
    "op, params, message",
    VALIDATION_CASES,
    ids=[
        "session-name-too-short",
        "session-name-too-long",
        "assume-role-duration-too-short",
        "assume-role-duration-too-long",
        "session-token-duration-too-short",
        "session-token-duration-too-long",
        "federated-name-too-short",
        "federated-name-too-long",
        "access-key-id-too-short",
    ],
)
def test_out_of_range_parameters_get_aws_validation_errors(server, op, params, message):
    with pytest.raises(ClientError) as exc:
        getattr(invalid_sts(server), op)(**params)
    code, msg, status = error_of(exc.value)
    assert (code, status) == ("ValidationError", 400)
    assert msg == message


def test_session_name_with_forbidden_characters_fails_the_model_pattern(server):
    with pytest.raises(ClientError) as exc:
        invalid_sts(server).assume_role(RoleArn=role_arn(), RoleSessionName="has space!")
    code, msg, status = error_of(exc.value)
    assert (code, status) == ("ValidationError", 400)
    assert msg.startswith(
        "1 validation error detected: Value 'has space!' at 'roleSessionName' "
        "failed to satisfy constraint: Member must satisfy regular expression pattern: "
    ), msg


def test_several_invalid_parameters_are_all_reported(server):
    with pytest.raises(ClientError) as exc:
        invalid_sts(server).assume_role(
            RoleArn=role_arn(), RoleSessionName="a", DurationSeconds=100
        )
    code, msg, status = error_of(exc.value)
    assert (code, status) == ("ValidationError", 400)
    assert msg.startswith("2 validation errors detected: "), msg
    assert "'roleSessionName'" in msg and "'durationSeconds'" in msg


# -- expiry -------------------------------------------------------------------
def _issue(server, how):
    sts = server.client("sts", access_key="123456789012")
    if how == "assume_role":
        return sts.assume_role(RoleArn=role_arn(), RoleSessionName="short", DurationSeconds=900)
    if how == "get_session_token":
        return sts.get_session_token(DurationSeconds=900)
    return sts.get_federation_token(Name="brief", DurationSeconds=900)


@pytest.mark.parametrize("how", ["assume_role", "get_session_token", "get_federation_token"])
def test_temporary_credentials_stop_working_after_expiration(server, how):
    creds = _issue(server, how)["Credentials"]
    as_temp = server.client("sts", creds=creds)
    arn = as_temp.get_caller_identity()["Arn"]

    server.advance(600)  # 15 min credentials, 10 min later: still good
    assert seconds_until(server, creds["Expiration"]) > 0
    assert as_temp.get_caller_identity()["Arn"] == arn

    server.advance(360)  # now 16 min after issue: past Expiration
    assert seconds_until(server, creds["Expiration"]) < 0
    with pytest.raises(ClientError) as exc:
        as_temp.get_caller_identity()
    assert error_of(exc.value) == ("ExpiredToken", EXPIRED_MESSAGE, 400)


def test_expired_credentials_cannot_assume_another_role(server):
    creds = _issue(server, "assume_role")["Credentials"]
    server.advance(901 + 30)
    with pytest.raises(ClientError) as exc:
        server.client("sts", creds=creds).assume_role(RoleArn=role_arn("next"), RoleSessionName="next-hop")
    assert error_of(exc.value)[0] == "ExpiredToken"
