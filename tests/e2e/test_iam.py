"""IAM through boto3: identities, policies, keys, MFA and account reports."""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import json
import struct
import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from helpers import DEFAULT_ACCOUNT

ACCOUNT = DEFAULT_ACCOUNT
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
S3_READ = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}],
}


def err(exc_info):
    e = exc_info.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def iam(server):
    return server.client("iam")


def totp(seed_b32: bytes | str, step: int) -> str:
    if isinstance(seed_b32, bytes):
        seed_b32 = seed_b32.decode()
    key = base64.b32decode(seed_b32 + "=" * (-len(seed_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off : off + 4])[0] & 0x7FFFFFFF) % 1_000_000)


# -- users ----------------------------------------------------------------------
def test_user_lifecycle(iam):
    u = iam.create_user(UserName="alice", Path="/eng/", Tags=[{"Key": "team", "Value": "blue"}])["User"]
    assert u["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/eng/alice"
    assert u["UserId"].startswith("AIDA") and len(u["UserId"]) == 21
    assert u["Path"] == "/eng/"
    got = iam.get_user(UserName="alice")["User"]
    assert got["UserId"] == u["UserId"]
    assert got["Tags"] == [{"Key": "team", "Value": "blue"}]
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="ALICE")
    assert err(e) == ("EntityAlreadyExists", "User with name ALICE already exists.", 409)
    iam.update_user(UserName="alice", NewUserName="alice2", NewPath="/ops/")
    assert iam.get_user(UserName="alice2")["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/ops/alice2"
    iam.delete_user(UserName="alice2")
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName="alice2")
    assert err(e) == ("NoSuchEntity", "The user with name alice2 cannot be found.", 404)


def test_list_users_path_prefix_and_pagination(iam):
    for i in range(5):
        iam.create_user(UserName=f"u{i}", Path="/a/" if i % 2 == 0 else "/b/")
    assert [u["UserName"] for u in iam.list_users(PathPrefix="/a/")["Users"]] == ["u0", "u2", "u4"]
    page = iam.list_users(MaxItems=2)
    assert page["IsTruncated"] is True and len(page["Users"]) == 2
    names = [u["UserName"] for u in page["Users"]]
    while page["IsTruncated"]:
        page = iam.list_users(MaxItems=2, Marker=page["Marker"])
        names += [u["UserName"] for u in page["Users"]]
    assert names == [f"u{i}" for i in range(5)]
    paginated = [u["UserName"] for p in iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 2}) for u in p["Users"]]
    assert paginated == names


def test_user_tags(iam):
    iam.create_user(UserName="t")
    iam.tag_user(UserName="t", Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    iam.untag_user(UserName="t", TagKeys=["a"])
    assert iam.list_user_tags(UserName="t")["Tags"] == [{"Key": "b", "Value": "2"}]


def test_invalid_names_are_validation_errors(iam):
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="bad name!")
    code, msg, status = err(e)
    assert (code, status) == ("ValidationError", 400)
    assert "userName" in msg


def test_delete_user_with_attached_policy_is_a_conflict(iam):
    iam.create_user(UserName="bob")
    iam.attach_user_policy(UserName="bob", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="bob")
    assert err(e) == ("DeleteConflict", "Cannot delete entity, must detach all policies first.", 409)
    iam.detach_user_policy(UserName="bob", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.delete_user(UserName="bob")


# -- groups ---------------------------------------------------------------------
def test_groups_and_membership(iam):
    g = iam.create_group(GroupName="devs")["Group"]
    assert g["GroupId"].startswith("AGPA") and g["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/devs"
    iam.create_user(UserName="carol")
    iam.add_user_to_group(GroupName="devs", UserName="carol")
    assert [u["UserName"] for u in iam.get_group(GroupName="devs")["Users"]] == ["carol"]
    assert [x["GroupName"] for x in iam.list_groups_for_user(UserName="carol")["Groups"]] == ["devs"]
    with pytest.raises(ClientError) as e:
        iam.delete_group(GroupName="devs")
    assert err(e)[0] == "DeleteConflict"
    iam.remove_user_from_group(GroupName="devs", UserName="carol")
    iam.put_group_policy(GroupName="devs", PolicyName="read", PolicyDocument=json.dumps(S3_READ))
    assert iam.get_group_policy(GroupName="devs", PolicyName="read")["PolicyDocument"] == S3_READ
    iam.delete_group_policy(GroupName="devs", PolicyName="read")
    iam.update_group(GroupName="devs", NewGroupName="developers")
    assert [x["GroupName"] for x in iam.list_groups()["Groups"]] == ["developers"]
    iam.delete_group(GroupName="developers")


# -- roles and instance profiles -----------------------------------------------
def test_role_lifecycle(iam):
    r = iam.create_role(RoleName="web", AssumeRolePolicyDocument=json.dumps(TRUST), MaxSessionDuration=7200, Description="web tier")["Role"]
    assert r["RoleId"].startswith("AROA") and r["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/web"
    got = iam.get_role(RoleName="web")["Role"]
    assert got["AssumeRolePolicyDocument"] == TRUST
    assert got["MaxSessionDuration"] == 7200 and got["Description"] == "web tier"
    iam.update_role(RoleName="web", MaxSessionDuration=3600)
    assert iam.get_role(RoleName="web")["Role"]["MaxSessionDuration"] == 3600
    new_trust = dict(TRUST, Statement=[dict(TRUST["Statement"][0], Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"})])
    iam.update_assume_role_policy(RoleName="web", PolicyDocument=json.dumps(new_trust))
    assert iam.get_role(RoleName="web")["Role"]["AssumeRolePolicyDocument"] == new_trust
    iam.put_role_policy(RoleName="web", PolicyName="p", PolicyDocument=json.dumps(S3_READ))
    assert iam.list_role_policies(RoleName="web")["PolicyNames"] == ["p"]
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName="web")
    assert err(e) == ("DeleteConflict", "Cannot delete entity, must delete policies first.", 409)
    iam.delete_role_policy(RoleName="web", PolicyName="p")
    iam.delete_role(RoleName="web")


def test_trust_policy_must_name_a_principal(iam):
    bad = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName="x", AssumeRolePolicyDocument=json.dumps(bad))
    assert err(e) == ("MalformedPolicyDocument", "Missing required field Principal", 400)


def test_max_session_duration_range(server):
    iam = server.client("iam", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName="x", AssumeRolePolicyDocument=json.dumps(TRUST), MaxSessionDuration=100)
    assert err(e)[0] == "ValidationError"


def test_instance_profiles(iam):
    iam.create_role(RoleName="ec2", AssumeRolePolicyDocument=json.dumps(TRUST))
    p = iam.create_instance_profile(InstanceProfileName="web")["InstanceProfile"]
    assert p["InstanceProfileId"].startswith("AIPA")
    assert p["Arn"] == f"arn:aws:iam::{ACCOUNT}:instance-profile/web"
    iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="ec2")
    with pytest.raises(ClientError) as e:
        iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="ec2")
    assert err(e)[0] == "LimitExceeded"
    got = iam.get_instance_profile(InstanceProfileName="web")["InstanceProfile"]
    assert [r["RoleName"] for r in got["Roles"]] == ["ec2"]
    assert [x["InstanceProfileName"] for x in iam.list_instance_profiles_for_role(RoleName="ec2")["InstanceProfiles"]] == ["web"]
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName="ec2")
    assert err(e)[0] == "DeleteConflict"
    iam.remove_role_from_instance_profile(InstanceProfileName="web", RoleName="ec2")
    iam.delete_instance_profile(InstanceProfileName="web")
    iam.delete_role(RoleName="ec2")


# -- managed policies -----------------------------------------------------------
def test_customer_managed_policy_versions(iam):
    p = iam.create_policy(PolicyName="read", PolicyDocument=json.dumps(S3_READ), Description="d")["Policy"]
    arn = p["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:policy/read"
    assert p["PolicyId"].startswith("ANPA") and p["DefaultVersionId"] == "v1"
    for n in range(2, 6):
        v = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(S3_READ))["PolicyVersion"]
        assert v["VersionId"] == f"v{n}" and v["IsDefaultVersion"] is False
    with pytest.raises(ClientError) as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(S3_READ))
    assert err(e) == (
        "LimitExceeded",
        "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
        409,
    )
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v3")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    with pytest.raises(ClientError) as e:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    assert err(e)[0] == "DeleteConflict"
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    v6 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(S3_READ), SetAsDefault=True)["PolicyVersion"]
    assert v6["VersionId"] == "v6" and v6["IsDefaultVersion"] is True
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v6")["PolicyVersion"]["Document"] == S3_READ
    assert len(iam.list_policy_versions(PolicyArn=arn)["Versions"]) == 5
    iam.create_user(UserName="u")
    iam.attach_user_policy(UserName="u", PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert err(e) == ("DeleteConflict", "Cannot delete a policy attached to entities.", 409)
    ents = iam.list_entities_for_policy(PolicyArn=arn)
    assert [u["UserName"] for u in ents["PolicyUsers"]] == ["u"]
    iam.detach_user_policy(UserName="u", PolicyArn=arn)
    for v in ("v2", "v3", "v4", "v5"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=v)
    iam.delete_policy(PolicyArn=arn)


@pytest.mark.parametrize(
    "doc,message",
    [
        ("not json", "Syntax errors in policy."),
        ({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}, "Policy document must be version 2012-10-17 or greater."),
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]}, "Policy statement must contain actions."),
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}, "Policy statement must contain resources."),
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3", "Resource": "*"}]}, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "bucket"}]}, 'Resource bucket must be in ARN format or "*".'),
    ],
)
def test_malformed_policy_documents(iam, doc, message):
    text = doc if isinstance(doc, str) else json.dumps(doc)
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName="bad", PolicyDocument=text)
    assert err(e) == ("MalformedPolicyDocument", message, 400)


def test_aws_managed_policies_by_real_arn(iam):
    admin = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")["Policy"]
    assert admin["PolicyId"] == "ANPAIWMBCKSKIEE64ZLYK" and admin["DefaultVersionId"] == "v1"
    doc = iam.get_policy_version(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess", VersionId="v1")["PolicyVersion"]["Document"]
    assert doc == {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    s3ro = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")["Policy"]
    ver = iam.get_policy_version(PolicyArn=s3ro["Arn"], VersionId=s3ro["DefaultVersionId"])["PolicyVersion"]["Document"]
    assert "s3:Get*" in ver["Statement"][0]["Action"]
    names = {p["PolicyName"] for p in iam.list_policies(Scope="AWS")["Policies"]}
    assert {"AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess", "AmazonS3FullAccess", "AmazonEC2FullAccess", "IAMFullAccess", "AWSLambda_FullAccess"} <= names
    assert iam.list_policies(Scope="Local")["Policies"] == []
    with pytest.raises(ClientError) as e:
        iam.attach_user_policy(UserName="nobody", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    assert err(e)[0] == "NoSuchEntity"
    iam.create_user(UserName="x")
    with pytest.raises(ClientError) as e:
        iam.attach_user_policy(UserName="x", PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy")
    assert err(e) == ("NoSuchEntity", "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable.", 404)


def test_attached_policies_and_only_attached(iam):
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.attach_role_policy(RoleName="r", PolicyArn="arn:aws:iam::aws:policy/AmazonS3FullAccess")
    assert iam.list_attached_role_policies(RoleName="r")["AttachedPolicies"] == [
        {"PolicyName": "AmazonS3FullAccess", "PolicyArn": "arn:aws:iam::aws:policy/AmazonS3FullAccess"}
    ]
    attached = [p["PolicyName"] for p in iam.list_policies(OnlyAttached=True)["Policies"]]
    assert attached == ["AmazonS3FullAccess"]


def test_permissions_boundaries(iam):
    iam.create_user(UserName="b", PermissionsBoundary="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    u = iam.get_user(UserName="b")["User"]
    assert u["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    }
    iam.delete_user_permissions_boundary(UserName="b")
    assert "PermissionsBoundary" not in iam.get_user(UserName="b")["User"]
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_permissions_boundary(RoleName="r", PermissionsBoundary="arn:aws:iam::aws:policy/PowerUserAccess")
    assert iam.get_role(RoleName="r")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"].endswith("PowerUserAccess")


def test_inline_user_policies(iam):
    iam.create_user(UserName="i")
    iam.put_user_policy(UserName="i", PolicyName="p1", PolicyDocument=json.dumps(S3_READ))
    assert iam.list_user_policies(UserName="i")["PolicyNames"] == ["p1"]
    assert iam.get_user_policy(UserName="i", PolicyName="p1")["PolicyDocument"] == S3_READ
    with pytest.raises(ClientError) as e:
        iam.get_user_policy(UserName="i", PolicyName="nope")
    assert err(e) == ("NoSuchEntity", "The user policy with name nope cannot be found.", 404)
    big = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [f"s3:GetObject{n}" for n in range(200)], "Resource": "*"}]}
    with pytest.raises(ClientError) as e:
        iam.put_user_policy(UserName="i", PolicyName="big", PolicyDocument=json.dumps(big))
    assert err(e)[0] == "LimitExceeded"


# -- access keys ------------------------------------------------------------------
def test_access_keys_authenticate_as_the_user(server, iam):
    iam.create_user(UserName="dev", Path="/team/")
    k = iam.create_access_key(UserName="dev")["AccessKey"]
    assert k["AccessKeyId"].startswith("AKIA") and len(k["AccessKeyId"]) == 20 and k["Status"] == "Active"
    ident = server.client("sts", access_key=k["AccessKeyId"], secret_key=k["SecretAccessKey"]).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/team/dev"
    assert ident["UserId"] == iam.get_user(UserName="dev")["User"]["UserId"]
    last = iam.get_access_key_last_used(AccessKeyId=k["AccessKeyId"])
    assert last["UserName"] == "dev"
    assert last["AccessKeyLastUsed"]["ServiceName"] == "sts"
    assert "LastUsedDate" in last["AccessKeyLastUsed"]
    iam.create_access_key(UserName="dev")
    with pytest.raises(ClientError) as e:
        iam.create_access_key(UserName="dev")
    assert err(e) == ("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409)
    assert len(iam.list_access_keys(UserName="dev")["AccessKeyMetadata"]) == 2


def test_inactive_and_deleted_keys_are_refused(server, iam):
    iam.create_user(UserName="dev")
    k = iam.create_access_key(UserName="dev")["AccessKey"]
    sts = server.client("sts", access_key=k["AccessKeyId"], secret_key=k["SecretAccessKey"])
    iam.update_access_key(UserName="dev", AccessKeyId=k["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as e:
        sts.get_caller_identity()
    assert err(e) == ("InvalidClientTokenId", "The security token included in the request is invalid.", 403)
    iam.update_access_key(UserName="dev", AccessKeyId=k["AccessKeyId"], Status="Active")
    assert sts.get_caller_identity()["Arn"].endswith(":user/dev")
    iam.delete_access_key(UserName="dev", AccessKeyId=k["AccessKeyId"])
    with pytest.raises(ClientError) as e:
        sts.get_caller_identity()
    assert err(e) == ("InvalidClientTokenId", "The security token included in the request is invalid.", 403)


def test_user_can_manage_own_keys_without_naming_itself(server, iam):
    iam.create_user(UserName="self")
    k = iam.create_access_key(UserName="self")["AccessKey"]
    own = server.client("iam", access_key=k["AccessKeyId"], secret_key=k["SecretAccessKey"])
    assert own.get_user()["User"]["UserName"] == "self"
    assert [m["AccessKeyId"] for m in own.list_access_keys()["AccessKeyMetadata"]] == [k["AccessKeyId"]]


def test_wrong_secret_is_rejected_when_verifying(server_factory):
    srv = server_factory(args=["--ephemeral", "--test-mode", "--verify-signatures"])
    iam = srv.client("iam")
    iam.create_user(UserName="v")
    k = iam.create_access_key(UserName="v")["AccessKey"]
    assert srv.client("sts", access_key=k["AccessKeyId"], secret_key=k["SecretAccessKey"]).get_caller_identity()["Arn"].endswith("user/v")
    with pytest.raises(ClientError) as e:
        srv.client("sts", access_key=k["AccessKeyId"], secret_key="wrong" * 8).get_caller_identity()
    assert err(e)[0] == "SignatureDoesNotMatch"


def test_iam_state_and_keys_survive_restart(server_factory):
    srv = server_factory(args=["--test-mode"])
    iam = srv.client("iam")
    iam.create_user(UserName="keep")
    iam.create_policy(PolicyName="p", PolicyDocument=json.dumps(S3_READ))
    k = iam.create_access_key(UserName="keep")["AccessKey"]
    srv.kill()
    srv.start()
    iam = srv.client("iam")
    assert iam.get_user(UserName="keep")["User"]["UserName"] == "keep"
    assert [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]] == ["p"]
    ident = srv.client("sts", access_key=k["AccessKeyId"], secret_key=k["SecretAccessKey"]).get_caller_identity()
    assert ident["Arn"].endswith(":user/keep")
    iam.delete_access_key(UserName="keep", AccessKeyId=k["AccessKeyId"])
    srv.kill()
    srv.start()
    with pytest.raises(ClientError) as e:
        srv.client("sts", access_key=k["AccessKeyId"], secret_key=k["SecretAccessKey"]).get_caller_identity()
    assert err(e)[0] == "InvalidClientTokenId"


# -- login profiles and the password policy ------------------------------------
def test_password_policy_is_enforced(iam):
    iam.create_user(UserName="p")
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireNumbers=True, RequireSymbols=True, AllowUsersToChangePassword=True)
    pol = iam.get_account_password_policy()["PasswordPolicy"]
    assert pol["MinimumPasswordLength"] == 12 and pol["RequireNumbers"] is True
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName="p", Password="short1!")
    assert err(e) == ("PasswordPolicyViolation", "Password should have a minimum length of 12", 400)
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName="p", Password="longenoughbutnodigit!")
    assert err(e)[1] == "Password should have at least one number"
    lp = iam.create_login_profile(UserName="p", Password="longenough1234!", PasswordResetRequired=True)["LoginProfile"]
    assert lp["UserName"] == "p" and lp["PasswordResetRequired"] is True
    with pytest.raises(ClientError) as e:
        iam.update_login_profile(UserName="p", Password="nosymbols12345")
    assert err(e)[1] == "Password should have at least one symbol"
    iam.update_login_profile(UserName="p", Password="another12345!!", PasswordResetRequired=False)
    assert iam.get_login_profile(UserName="p")["LoginProfile"]["PasswordResetRequired"] is False
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="p")
    assert err(e)[1] == "Cannot delete entity, must delete login profile first."
    iam.delete_login_profile(UserName="p")
    iam.delete_account_password_policy()
    with pytest.raises(ClientError) as e:
        iam.get_account_password_policy()
    assert err(e)[0] == "NoSuchEntity"


def test_change_password_as_the_user(server, iam):
    iam.create_user(UserName="cp")
    iam.create_login_profile(UserName="cp", Password="Initial-Pass1")
    k = iam.create_access_key(UserName="cp")["AccessKey"]
    own = server.client("iam", access_key=k["AccessKeyId"], secret_key=k["SecretAccessKey"])
    with pytest.raises(ClientError) as e:
        own.change_password(OldPassword="wrong", NewPassword="Another-Pass2")
    assert err(e)[2] == 403
    with pytest.raises(ClientError) as e:
        own.change_password(OldPassword="Initial-Pass1", NewPassword="weak")
    assert err(e)[0] == "PasswordPolicyViolation"
    own.change_password(OldPassword="Initial-Pass1", NewPassword="Another-Pass2")


# -- MFA ----------------------------------------------------------------------------
def test_virtual_mfa_device_with_real_totp(server, iam):
    iam.create_user(UserName="m")
    d = iam.create_virtual_mfa_device(VirtualMFADeviceName="m-phone")["VirtualMFADevice"]
    serial = d["SerialNumber"]
    assert serial == f"arn:aws:iam::{ACCOUNT}:mfa/m-phone"
    seed = d["Base32StringSeed"]
    assert len(seed) >= 16 and base64.b32decode(seed + b"=" * (-len(seed) % 8))
    assert d["QRCodePNG"].startswith(b"\x89PNG\r\n\x1a\n")
    step = int(server.now().timestamp()) // 30
    with pytest.raises(ClientError) as e:
        iam.enable_mfa_device(UserName="m", SerialNumber=serial, AuthenticationCode1="000000", AuthenticationCode2="000000")
    assert err(e) == ("InvalidAuthenticationCode", "Authentication code for device is not valid.", 403)
    iam.enable_mfa_device(UserName="m", SerialNumber=serial, AuthenticationCode1=totp(seed, step - 1), AuthenticationCode2=totp(seed, step))
    assert [x["SerialNumber"] for x in iam.list_mfa_devices(UserName="m")["MFADevices"]] == [serial]
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert [x["User"]["UserName"] for x in assigned] == ["m"]
    k = iam.create_access_key(UserName="m")["AccessKey"]
    sts = server.client("sts", access_key=k["AccessKeyId"], secret_key=k["SecretAccessKey"])
    with pytest.raises(ClientError) as e:
        sts.get_session_token(SerialNumber=serial, TokenCode="123456" if totp(seed, step + 1) != "123456" else "654321")
    assert err(e)[2] == 403
    server.advance(30)
    creds = sts.get_session_token(SerialNumber=serial, TokenCode=totp(seed, step + 1))["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    iam.deactivate_mfa_device(UserName="m", SerialNumber=serial)
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []


# -- account -------------------------------------------------------------------------
def test_account_alias_and_summary(iam):
    iam.create_account_alias(AccountAlias="my-lab")
    assert iam.list_account_aliases()["AccountAliases"] == ["my-lab"]
    iam.delete_account_alias(AccountAlias="my-lab")
    assert iam.list_account_aliases()["AccountAliases"] == []
    iam.create_user(UserName="s1")
    iam.create_role(RoleName="r1", AssumeRolePolicyDocument=json.dumps(TRUST))
    s = iam.get_account_summary()["SummaryMap"]
    assert s["Users"] == 1 and s["Roles"] == 1 and s["UsersQuota"] == 5000 and s["AccessKeysPerUserQuota"] == 2


def test_credential_report(iam):
    iam.create_user(UserName="r")
    iam.create_access_key(UserName="r")
    with pytest.raises(ClientError) as e:
        iam.get_credential_report()
    assert err(e)[0] == "ReportNotPresent"
    assert iam.generate_credential_report()["State"] == "STARTED"
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    rep = iam.get_credential_report()
    assert rep["ReportFormat"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(rep["Content"].decode())))
    assert [r["user"] for r in rows] == ["<root_account>", "r"]
    assert rows[1]["arn"] == f"arn:aws:iam::{ACCOUNT}:user/r"
    assert rows[1]["access_key_1_active"] == "true" and rows[1]["access_key_2_active"] == "false"
    assert rows[1]["password_enabled"] == "false"


def test_account_authorization_details(iam):
    iam.create_user(UserName="d")
    iam.put_user_policy(UserName="d", PolicyName="inl", PolicyDocument=json.dumps(S3_READ))
    iam.attach_user_policy(UserName="d", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.create_policy(PolicyName="mine", PolicyDocument=json.dumps(S3_READ))
    det = iam.get_account_authorization_details()
    u = det["UserDetailList"][0]
    assert u["UserName"] == "d" and u["UserPolicyList"][0]["PolicyDocument"] == S3_READ
    assert u["AttachedManagedPolicies"][0]["PolicyName"] == "ReadOnlyAccess"
    assert {p["PolicyName"] for p in det["Policies"]} == {"mine", "ReadOnlyAccess"}
    only_users = iam.get_account_authorization_details(Filter=["User"])
    assert only_users["RoleDetailList"] == [] and len(only_users["UserDetailList"]) == 1


# -- simulation ----------------------------------------------------------------------
def test_simulate_principal_policy(iam):
    iam.create_user(UserName="sim")
    iam.attach_user_policy(UserName="sim", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    arn = iam.get_user(UserName="sim")["User"]["Arn"]
    res = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["s3:GetObject", "s3:PutObject"])["EvaluationResults"]
    assert {r["EvalActionName"]: r["EvalDecision"] for r in res} == {"s3:GetObject": "allowed", "s3:PutObject": "implicitDeny"}
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}]}
    res = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["s3:GetObject"], PolicyInputList=[json.dumps(deny)])["EvaluationResults"]
    assert res[0]["EvalDecision"] == "explicitDeny"


def test_simulate_custom_policy_with_conditions_and_variables(iam):
    home = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::bucket/home/${aws:username}/*",
                       "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}],
    }
    def decide(user, ip, key):
        return iam.simulate_custom_policy(
            PolicyInputList=[json.dumps(home)], ActionNames=["s3:PutObject"], ResourceArns=[f"arn:aws:s3:::bucket/home/{key}/f"],
            ContextEntries=[
                {"ContextKeyName": "aws:username", "ContextKeyValues": [user], "ContextKeyType": "string"},
                {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": [ip], "ContextKeyType": "ip"},
            ],
        )["EvaluationResults"][0]["EvalDecision"]
    assert decide("ana", "203.0.113.9", "ana") == "allowed"
    assert decide("ana", "203.0.113.9", "bo") == "implicitDeny"
    assert decide("ana", "198.51.100.1", "ana") == "implicitDeny"


def test_key_last_use_survives_restart(server_factory):
    srv = server_factory(args=["--test-mode"])
    iam = srv.client("iam")
    iam.create_user(UserName="lu")
    k = iam.create_access_key(UserName="lu")["AccessKey"]
    srv.client("sts", access_key=k["AccessKeyId"], secret_key=k["SecretAccessKey"]).get_caller_identity()
    iam.create_user(UserName="another-change")
    srv.kill()
    srv.start()
    last = srv.client("iam").get_access_key_last_used(AccessKeyId=k["AccessKeyId"])["AccessKeyLastUsed"]
    assert last["ServiceName"] == "sts" and last["Region"] == "us-east-1" and "LastUsedDate" in last


def test_tags_on_roles_policies_and_instance_profiles(iam):
    iam.create_role(RoleName="tr", AssumeRolePolicyDocument=json.dumps(TRUST), Tags=[{"Key": "env", "Value": "dev"}])
    iam.tag_role(RoleName="tr", Tags=[{"Key": "owner", "Value": "ana"}])
    iam.untag_role(RoleName="tr", TagKeys=["env"])
    assert iam.list_role_tags(RoleName="tr")["Tags"] == [{"Key": "owner", "Value": "ana"}]
    arn = iam.create_policy(PolicyName="tp", PolicyDocument=json.dumps(S3_READ), Tags=[{"Key": "a", "Value": "1"}])["Policy"]["Arn"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "b", "Value": "2"}])
    iam.untag_policy(PolicyArn=arn, TagKeys=["a"])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Tags"] == [{"Key": "b", "Value": "2"}]
    iam.create_instance_profile(InstanceProfileName="tip", Path="/app/")
    iam.tag_instance_profile(InstanceProfileName="tip", Tags=[{"Key": "x", "Value": "y"}, {"Key": "z", "Value": "w"}])
    iam.untag_instance_profile(InstanceProfileName="tip", TagKeys=["z"])
    assert iam.list_instance_profile_tags(InstanceProfileName="tip")["Tags"] == [{"Key": "x", "Value": "y"}]
    assert [p["InstanceProfileName"] for p in iam.list_instance_profiles(PathPrefix="/app/")["InstanceProfiles"]] == ["tip"]
    assert iam.list_instance_profiles(PathPrefix="/other/")["InstanceProfiles"] == []
    with pytest.raises(ClientError) as e:
        iam.tag_role(RoleName="tr", Tags=[{"Key": "k", "Value": "1"}, {"Key": "K", "Value": "2"}])
    assert err(e)[0] == "InvalidInput"


def test_role_description_listing_and_policy_attachments(iam):
    iam.create_role(RoleName="d1", Path="/svc/", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.create_role(RoleName="d2", AssumeRolePolicyDocument=json.dumps(TRUST))
    role = iam.update_role_description(RoleName="d1", Description="batch jobs")["Role"]
    assert role["Description"] == "batch jobs"
    assert [r["RoleName"] for r in iam.list_roles(PathPrefix="/svc/")["Roles"]] == ["d1"]
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["d1", "d2"]
    iam.attach_role_policy(RoleName="d1", PolicyArn="arn:aws:iam::aws:policy/AmazonSQSFullAccess")
    iam.detach_role_policy(RoleName="d1", PolicyArn="arn:aws:iam::aws:policy/AmazonSQSFullAccess")
    assert iam.list_attached_role_policies(RoleName="d1")["AttachedPolicies"] == []
    with pytest.raises(ClientError) as e:
        iam.detach_role_policy(RoleName="d1", PolicyArn="arn:aws:iam::aws:policy/AmazonSQSFullAccess")
    assert err(e) == ("NoSuchEntity", "Policy arn:aws:iam::aws:policy/AmazonSQSFullAccess was not found.", 404)
    iam.put_role_permissions_boundary(RoleName="d2", PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.delete_role_permissions_boundary(RoleName="d2")
    assert "PermissionsBoundary" not in iam.get_role(RoleName="d2")["Role"]


def test_group_policies_and_user_inline_deletion(iam):
    iam.create_group(GroupName="ops")
    iam.attach_group_policy(GroupName="ops", PolicyArn="arn:aws:iam::aws:policy/CloudWatchFullAccess")
    assert [p["PolicyName"] for p in iam.list_attached_group_policies(GroupName="ops")["AttachedPolicies"]] == ["CloudWatchFullAccess"]
    iam.put_group_policy(GroupName="ops", PolicyName="extra", PolicyDocument=json.dumps(S3_READ))
    assert iam.list_group_policies(GroupName="ops")["PolicyNames"] == ["extra"]
    ents = iam.list_entities_for_policy(PolicyArn="arn:aws:iam::aws:policy/CloudWatchFullAccess", EntityFilter="Group")
    assert [g["GroupName"] for g in ents["PolicyGroups"]] == ["ops"] and ents["PolicyUsers"] == []
    iam.detach_group_policy(GroupName="ops", PolicyArn="arn:aws:iam::aws:policy/CloudWatchFullAccess")
    assert iam.list_attached_group_policies(GroupName="ops")["AttachedPolicies"] == []
    iam.create_user(UserName="inl")
    iam.put_user_policy(UserName="inl", PolicyName="p", PolicyDocument=json.dumps(S3_READ))
    iam.delete_user_policy(UserName="inl", PolicyName="p")
    assert iam.list_user_policies(UserName="inl")["PolicyNames"] == []
    iam.put_user_permissions_boundary(UserName="inl", PermissionsBoundary="arn:aws:iam::aws:policy/PowerUserAccess")
    assert iam.get_user(UserName="inl")["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"].endswith("/PowerUserAccess")
    with pytest.raises(ClientError) as e:
        iam.put_user_permissions_boundary(UserName="inl", PermissionsBoundary="arn:aws:iam::aws:policy/Nope")
    assert err(e)[0] == "NoSuchEntity"


def test_openid_connect_providers(iam):
    arn = iam.create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40],
        Tags=[{"Key": "ci", "Value": "gh"}],
    )["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(Url="https://token.actions.githubusercontent.com", ThumbprintList=["a" * 40])
    assert err(e)[0] == "EntityAlreadyExists"
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="my-app")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="sts.amazonaws.com")
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=["b" * 40])
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == "token.actions.githubusercontent.com"
    assert got["ClientIDList"] == ["my-app"] and got["ThumbprintList"] == ["b" * 40]
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": "x", "Value": "1"}])
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["ci"])
    assert iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"] == [{"Key": "x", "Value": "1"}]
    assert [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]] == [arn]
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    with pytest.raises(ClientError) as e:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert err(e) == ("NoSuchEntity", f"OpenIDConnect Provider not found for arn {arn}", 404)


def test_mfa_resync_and_tags(server, iam):
    iam.create_user(UserName="rs")
    d = iam.create_virtual_mfa_device(VirtualMFADeviceName="rs", Tags=[{"Key": "k", "Value": "v"}])["VirtualMFADevice"]
    serial, seed = d["SerialNumber"], d["Base32StringSeed"]
    step = int(server.now().timestamp()) // 30
    iam.enable_mfa_device(UserName="rs", SerialNumber=serial, AuthenticationCode1=totp(seed, step - 3), AuthenticationCode2=totp(seed, step - 2))
    iam.resync_mfa_device(UserName="rs", SerialNumber=serial, AuthenticationCode1=totp(seed, step - 1), AuthenticationCode2=totp(seed, step))
    with pytest.raises(ClientError) as e:
        iam.resync_mfa_device(UserName="rs", SerialNumber=serial, AuthenticationCode1="111111", AuthenticationCode2="222222")
    assert err(e)[0] == "InvalidAuthenticationCode"
    iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "k2", "Value": "v2"}])
    iam.untag_mfa_device(SerialNumber=serial, TagKeys=["k"])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "k2", "Value": "v2"}]


def test_context_keys_for_policies(iam):
    pol = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}, "StringLike": {"s3:prefix": "home/*"}}},
        {"Effect": "Deny", "Action": "ec2:*", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}},
    ]}
    keys = iam.get_context_keys_for_custom_policy(PolicyInputList=[json.dumps(pol)])["ContextKeyNames"]
    assert keys == ["aws:SourceIp", "s3:prefix", "aws:MultiFactorAuthPresent"]
    iam.create_user(UserName="ck")
    iam.put_user_policy(UserName="ck", PolicyName="p", PolicyDocument=json.dumps(pol))
    arn = iam.get_user(UserName="ck")["User"]["Arn"]
    assert iam.get_context_keys_for_principal_policy(PolicySourceArn=arn)["ContextKeyNames"] == keys


def test_service_linked_roles(iam):
    r = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", Description="asg")["Role"]
    assert r["RoleName"] == "AWSServiceRoleForAutoScaling"
    assert r["Path"] == "/aws-service-role/autoscaling.amazonaws.com/"
    assert r["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    assert r["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": ["autoscaling.amazonaws.com"]}
    with pytest.raises(ClientError) as e:
        iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")
    assert err(e)[0] == "InvalidInput"
    custom = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="web")["Role"]
    assert custom["RoleName"] == "AWSServiceRoleForAutoScaling_web"
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName="AWSServiceRoleForAutoScaling")
    assert err(e)[0] == "UnmodifiableEntity"
    task = iam.delete_service_linked_role(RoleName="AWSServiceRoleForAutoScaling")["DeletionTaskId"]
    assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"
    assert [x["RoleName"] for x in iam.list_roles(PathPrefix="/aws-service-role/")["Roles"]] == ["AWSServiceRoleForAutoScaling_web"]


SAML_METADATA = (
    '<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
    'entityID="https://idp.example.com" validUntil="2035-06-01T00:00:00Z"><md:IDPSSODescriptor '
    'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
    + "<!-- " + "signing certificate and endpoints elided " * 25 + "-->"
    + "</md:IDPSSODescriptor></md:EntityDescriptor>"
)


def test_saml_providers(iam):
    arn = iam.create_saml_provider(Name="corp-idp", SAMLMetadataDocument=SAML_METADATA, Tags=[{"Key": "a", "Value": "b"}])["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:saml-provider/corp-idp"
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == SAML_METADATA
    assert got["ValidUntil"].year == 2035
    assert [p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]] == [arn]
    with pytest.raises(ClientError) as e:
        iam.create_saml_provider(Name="bad", SAMLMetadataDocument="x" * 1000)
    assert err(e)[0] == "InvalidInput"
    iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=SAML_METADATA.replace("2035", "2036"))
    assert iam.get_saml_provider(SAMLProviderArn=arn)["ValidUntil"].year == 2036
    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "c", "Value": "d"}])
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["a"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [{"Key": "c", "Value": "d"}]
    iam.delete_saml_provider(SAMLProviderArn=arn)
    with pytest.raises(ClientError) as e:
        iam.get_saml_provider(SAMLProviderArn=arn)
    assert err(e)[0] == "NoSuchEntity"


def test_paging_across_entities_and_authorization_details(iam):
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    for n in range(3):
        iam.create_user(UserName=f"pu{n}")
        iam.attach_user_policy(UserName=f"pu{n}", PolicyArn=arn)
    iam.create_group(GroupName="pg")
    iam.attach_group_policy(GroupName="pg", PolicyArn=arn)
    first = iam.list_entities_for_policy(PolicyArn=arn, MaxItems=2)
    assert first["IsTruncated"] is True and len(first["PolicyUsers"]) == 2 and first["PolicyGroups"] == []
    rest = iam.list_entities_for_policy(PolicyArn=arn, MaxItems=2, Marker=first["Marker"])
    assert rest["IsTruncated"] is False
    assert [u["UserName"] for u in rest["PolicyUsers"]] == ["pu2"] and [g["GroupName"] for g in rest["PolicyGroups"]] == ["pg"]
    users, groups, pages = [], [], 0
    for page in iam.get_paginator("get_account_authorization_details").paginate(PaginationConfig={"PageSize": 2}):
        pages += 1
        users += [u["UserName"] for u in page["UserDetailList"]]
        groups += [g["GroupName"] for g in page["GroupDetailList"]]
    assert users == ["pu0", "pu1", "pu2"] and groups == ["pg"] and pages == 3
