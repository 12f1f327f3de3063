"""--enforce-iam: every request is checked against the caller's policies."""

from __future__ import annotations

import json
import re

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from helpers import DEFAULT_ACCOUNT

ACCOUNT = DEFAULT_ACCOUNT


def err(exc_info):
    e = exc_info.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*"):
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(action, resource="*"):
    return {"Effect": "Deny", "Action": action, "Resource": resource}


@pytest.fixture
def enforced(server_factory):
    return server_factory(args=["--ephemeral", "--test-mode", "--enforce-iam"])


@pytest.fixture
def root(enforced):
    return enforced.client("iam")


def user_with(srv, root, name, *, inline=None, managed=(), boundary=None, path="/"):
    kw = {"PermissionsBoundary": boundary} if boundary else {}
    root.create_user(UserName=name, Path=path, **kw)
    if inline:
        root.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=inline)
    for arn in managed:
        root.attach_user_policy(UserName=name, PolicyArn=arn)
    k = root.create_access_key(UserName=name)["AccessKey"]
    return (k["AccessKeyId"], k["SecretAccessKey"])


def test_root_is_always_allowed(enforced, root):
    root.create_user(UserName="anyone")
    assert enforced.client("sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"


def test_list_allowed_but_create_denied(enforced, root):
    creds = user_with(enforced, root, "lister", inline=doc(allow("iam:List*")))
    iam = enforced.client("iam", creds=creds)
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["lister"]
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="intruder")
    assert err(e) == (
        "AccessDenied",
        f"User: arn:aws:iam::{ACCOUNT}:user/lister is not authorized to perform: iam:CreateUser "
        f"on resource: arn:aws:iam::{ACCOUNT}:user/intruder because no identity-based policy allows the iam:CreateUser action",
        403,
    )
    assert [u["UserName"] for u in root.list_users()["Users"]] == ["lister"]


def test_user_without_policies_is_denied_but_knows_who_it_is(enforced, root):
    creds = user_with(enforced, root, "nobody")
    assert enforced.client("sts", creds=creds).get_caller_identity()["Arn"].endswith(":user/nobody")
    with pytest.raises(ClientError) as e:
        enforced.client("sts", creds=creds).get_session_token()
    code, msg, status = err(e)
    assert (code, status) == ("AccessDenied", 403)
    assert msg == (
        f"User: arn:aws:iam::{ACCOUNT}:user/nobody is not authorized to perform: sts:GetSessionToken "
        "because no identity-based policy allows the sts:GetSessionToken action"
    )
    with pytest.raises(ClientError) as e:
        enforced.client("iam", creds=creds).list_users()
    assert err(e)[1].endswith(f"iam:ListUsers on resource: arn:aws:iam::{ACCOUNT}:user/ because no identity-based policy allows the iam:ListUsers action")


def test_explicit_deny_wins_over_allow(enforced, root):
    creds = user_with(enforced, root, "mixed", inline=doc(allow("iam:*"), deny("iam:DeleteUser")), managed=["arn:aws:iam::aws:policy/AdministratorAccess"])
    iam = enforced.client("iam", creds=creds)
    iam.create_user(UserName="victim")
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="victim")
    assert err(e)[1] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/mixed is not authorized to perform: iam:DeleteUser "
        f"on resource: arn:aws:iam::{ACCOUNT}:user/victim with an explicit deny in an identity-based policy"
    )


def test_deny_in_permissions_boundary_wins(enforced, root):
    boundary = root.create_policy(PolicyName="fence", PolicyDocument=doc(allow("*"), deny("iam:CreateUser")))["Policy"]["Arn"]
    creds = user_with(enforced, root, "fenced", managed=["arn:aws:iam::aws:policy/AdministratorAccess"], boundary=boundary)
    iam = enforced.client("iam", creds=creds)
    assert iam.list_users()["Users"]
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="x")
    assert err(e)[1].endswith("with an explicit deny in a permissions boundary")


def test_boundary_limits_what_policies_grant(enforced, root):
    creds = user_with(
        enforced, root, "bounded",
        managed=["arn:aws:iam::aws:policy/AdministratorAccess"],
        boundary="arn:aws:iam::aws:policy/IAMReadOnlyAccess",
    )
    iam = enforced.client("iam", creds=creds)
    iam.get_user(UserName="bounded")
    with pytest.raises(ClientError) as e:
        iam.create_group(GroupName="g")
    assert err(e)[1].endswith("because no permissions boundary allows the iam:CreateGroup action")


def test_group_policies_apply_to_members(enforced, root):
    root.create_group(GroupName="readers")
    root.attach_group_policy(GroupName="readers", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    creds = user_with(enforced, root, "member")
    iam = enforced.client("iam", creds=creds)
    with pytest.raises(ClientError):
        iam.list_groups()
    root.add_user_to_group(GroupName="readers", UserName="member")
    assert [g["GroupName"] for g in iam.list_groups()["Groups"]] == ["readers"]


def test_resource_scoped_permissions_and_variables(enforced, root):
    creds = user_with(
        enforced, root, "scoped",
        inline=doc(allow("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/dev/*"),
                   allow(["iam:TagUser", "iam:GetUser"], f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}")),
    )
    iam = enforced.client("iam", creds=creds)
    iam.create_user(UserName="ok", Path="/dev/")
    with pytest.raises(ClientError):
        iam.create_user(UserName="nope", Path="/ops/")
    iam.tag_user(UserName="scoped", Tags=[{"Key": "a", "Value": "b"}])
    with pytest.raises(ClientError):
        iam.tag_user(UserName="ok", Tags=[{"Key": "a", "Value": "b"}])


def test_conditions_on_global_keys(enforced, root):
    creds = user_with(
        enforced, root, "regional",
        inline=doc({"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
                    "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}),
    )
    with pytest.raises(ClientError):
        enforced.client("iam", creds=creds).list_roles()
    # The requested region is the signing region: a client in eu-west-1 is allowed.
    eu = boto3.session.Session().client(
        "iam", endpoint_url=enforced.url, region_name="eu-west-1",
        aws_access_key_id=creds[0], aws_secret_access_key=creds[1],
        config=Config(retries={"total_max_attempts": 1}),
    )
    assert eu.list_roles()["Roles"] == []


TRUST_ACCOUNT = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}],
}


def test_assumed_role_gets_exactly_its_policies(enforced, root):
    role = root.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT))["Role"]
    root.put_role_policy(RoleName="reader", PolicyName="p", PolicyDocument=doc(allow("iam:ListRoles")))
    creds = user_with(enforced, root, "assumer", inline=doc(allow("sts:AssumeRole", role["Arn"])))
    out = enforced.client("sts", creds=creds).assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    assert out["AssumedRoleUser"]["AssumedRoleId"] == f"{role['RoleId']}:s1"
    session = enforced.client("iam", creds=out["Credentials"])
    assert [r["RoleName"] for r in session.list_roles()["Roles"]] == ["reader"]
    with pytest.raises(ClientError) as e:
        session.list_users()
    assert err(e)[1] == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/reader/s1 is not authorized to perform: iam:ListUsers "
        f"on resource: arn:aws:iam::{ACCOUNT}:user/ because no identity-based policy allows the iam:ListUsers action"
    )
    # The user's own policies do not follow it into the session, and vice versa.
    with pytest.raises(ClientError):
        enforced.client("iam", creds=creds).list_roles()


def test_assume_role_needs_the_trust_policy(enforced, root):
    trust_service = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    role = root.create_role(RoleName="ec2only", AssumeRolePolicyDocument=json.dumps(trust_service))["Role"]
    creds = user_with(enforced, root, "admin", managed=["arn:aws:iam::aws:policy/AdministratorAccess"])
    sts = enforced.client("sts", creds=creds)
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    assert err(e) == (
        "AccessDenied",
        f"User: arn:aws:iam::{ACCOUNT}:user/admin is not authorized to perform: sts:AssumeRole on resource: {role['Arn']}",
        403,
    )
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/missing", RoleSessionName="s1")
    assert err(e)[0] == "AccessDenied"


def test_trust_policy_naming_the_user_is_enough(enforced, root):
    creds = user_with(enforced, root, "named")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/named"}, "Action": "sts:AssumeRole"}],
    }
    role = root.create_role(RoleName="direct", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    out = enforced.client("sts", creds=creds).assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/direct/s1"


def test_max_session_duration_is_honoured(enforced, root):
    role = root.create_role(RoleName="short", AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT), MaxSessionDuration=3600)["Role"]
    sts = enforced.client("sts")
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=7200)
    assert err(e) == ("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", 400)
    assert sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=3600)["Credentials"]


def test_s3_read_only_user_cannot_write(enforced, root):
    admin = enforced.client("s3")
    admin.create_bucket(Bucket="reports")
    admin.put_object(Bucket="reports", Key="q1.csv", Body=b"a,b\n1,2\n")
    creds = user_with(enforced, root, "s3reader", managed=["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"])
    s3 = enforced.client("s3", creds=creds)
    assert "reports" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="reports")["Contents"]] == ["q1.csv"]
    assert s3.get_object(Bucket="reports", Key="q1.csv")["Body"].read() == b"a,b\n1,2\n"
    writes = [
        ("s3:PutObject", "arn:aws:s3:::reports/new.csv", lambda: s3.put_object(Bucket="reports", Key="new.csv", Body=b"x")),
        ("s3:DeleteObject", "arn:aws:s3:::reports/q1.csv", lambda: s3.delete_object(Bucket="reports", Key="q1.csv")),
        ("s3:CreateBucket", "arn:aws:s3:::mine", lambda: s3.create_bucket(Bucket="mine")),
    ]
    for action, resource, write in writes:
        with pytest.raises(ClientError) as e:
            write()
        code, msg, status = err(e)
        assert (code, status) == ("AccessDenied", 403)
        assert msg.startswith(f"User: arn:aws:iam::{ACCOUNT}:user/s3reader is not authorized to perform: {action} on resource: {resource}"), msg
    assert [o["Key"] for o in admin.list_objects_v2(Bucket="reports")["Contents"]] == ["q1.csv"]


def test_json_protocol_denial_is_access_denied_exception(enforced, root):
    creds = user_with(enforced, root, "nodb")
    with pytest.raises(ClientError) as e:
        enforced.client("dynamodb", creds=creds).list_tables()
    code, msg, status = err(e)
    # DynamoDB answers its AccessDeniedException with HTTP 400.
    assert (code, status) == ("AccessDeniedException", 400)
    assert "dynamodb:ListTables" in msg


def test_cli_flow_create_user_key_policy_and_use_it(enforced, aws):
    def run(srv, *args, **kw):
        return aws(*args, srv=srv, **kw)

    run(enforced, "iam", "create-user", "--user-name", "cli-dev")
    key = run(enforced, "iam", "create-access-key", "--user-name", "cli-dev")["AccessKey"]
    run(enforced, "iam", "attach-user-policy", "--user-name", "cli-dev", "--policy-arn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    creds = (key["AccessKeyId"], key["SecretAccessKey"])
    users = run(enforced, "iam", "list-users", creds=creds)["Users"]
    assert [u["UserName"] for u in users] == ["cli-dev"]
    proc = run(enforced, "iam", "create-user", "--user-name", "sneaky", creds=creds, check=False)
    assert proc.returncode != 0
    assert "AccessDenied" in proc.stderr and "iam:CreateUser" in proc.stderr


def test_session_policy_narrows_an_assumed_role(enforced, root):
    role = root.create_role(RoleName="broad", AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT))["Role"]
    root.attach_role_policy(RoleName="broad", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    sts = enforced.client("sts")
    narrow = enforced.client("sts").assume_role(
        RoleArn=role["Arn"], RoleSessionName="narrow", Policy=doc(allow("iam:ListRoles"))
    )["Credentials"]
    full = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="full")["Credentials"]
    assert enforced.client("iam", creds=full).list_users()["Users"] == []
    assert [r["RoleName"] for r in enforced.client("iam", creds=narrow).list_roles()["Roles"]] == ["broad"]
    with pytest.raises(ClientError) as e:
        enforced.client("iam", creds=narrow).list_users()
    assert err(e)[1].endswith("because no session policy allows the iam:ListUsers action")


def totp(seed_b32: bytes, step: int) -> str:
    import base64, hashlib, hmac, struct

    s = seed_b32.decode()
    key = base64.b32decode(s + "=" * (-len(s) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off : off + 4])[0] & 0x7FFFFFFF) % 1_000_000)


def test_mfa_condition_needs_an_mfa_session(enforced, root):
    mfa_only = doc(
        {"Effect": "Allow", "Action": "sts:GetSessionToken", "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
    )
    creds = user_with(enforced, root, "careful", inline=mfa_only)
    d = root.create_virtual_mfa_device(VirtualMFADeviceName="careful")["VirtualMFADevice"]
    step = int(enforced.now().timestamp()) // 30
    root.enable_mfa_device(UserName="careful", SerialNumber=d["SerialNumber"],
                           AuthenticationCode1=totp(d["Base32StringSeed"], step - 1),
                           AuthenticationCode2=totp(d["Base32StringSeed"], step))
    with pytest.raises(ClientError):
        enforced.client("iam", creds=creds).list_users()
    sts = enforced.client("sts", creds=creds)
    plain = sts.get_session_token()["Credentials"]
    with pytest.raises(ClientError):
        enforced.client("iam", creds=plain).list_users()
    enforced.advance(30)
    with_mfa = sts.get_session_token(SerialNumber=d["SerialNumber"], TokenCode=totp(d["Base32StringSeed"], step + 1))["Credentials"]
    assert [u["UserName"] for u in enforced.client("iam", creds=with_mfa).list_users()["Users"]] == ["careful"]


def test_federated_user_gets_the_intersection(enforced, root):
    creds = user_with(
        enforced, root, "broker",
        managed=["arn:aws:iam::aws:policy/IAMReadOnlyAccess"],
        inline=doc(allow("sts:GetFederationToken")),
    )
    sts = enforced.client("sts", creds=creds)
    fed = sts.get_federation_token(Name="guest", Policy=doc(allow(["iam:ListUsers", "iam:CreateUser"])))["Credentials"]
    iam = enforced.client("iam", creds=fed)
    assert {u["UserName"] for u in iam.list_users()["Users"]} == {"broker"}
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="x")
    assert err(e)[1].startswith(f"User: arn:aws:sts::{ACCOUNT}:federated-user/guest is not authorized to perform: iam:CreateUser")
    with pytest.raises(ClientError) as e:
        iam.list_roles()
    assert err(e)[1].endswith("because no session policy allows the iam:ListRoles action")
    bare = sts.get_federation_token(Name="bare")["Credentials"]
    with pytest.raises(ClientError):
        enforced.client("iam", creds=bare).list_users()


def jwt(claims: dict) -> str:
    import base64

    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
    return f"{enc({'alg': 'RS256', 'typ': 'JWT'})}.{enc(claims)}.c2lnbmF0dXJl"


def test_web_identity_needs_provider_and_trust(enforced, root):
    host = "token.actions.githubusercontent.com"
    trust = {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {f"{host}:aud": "sts.amazonaws.com"},
                "StringLike": {f"{host}:sub": "repo:octo-org/octo-repo:*"},
            },
        }],
    }
    role = root.create_role(RoleName="ci", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    sts = enforced.client("sts")
    good = jwt({"iss": f"https://{host}", "aud": "sts.amazonaws.com", "sub": "repo:octo-org/octo-repo:ref:refs/heads/main"})
    with pytest.raises(ClientError) as e:
        sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="gh", WebIdentityToken=good)
    assert err(e)[0] == "InvalidIdentityToken"
    root.create_open_id_connect_provider(Url=f"https://{host}", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40])
    out = sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="gh", WebIdentityToken=good)
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/ci/gh"
    other_repo = jwt({"iss": f"https://{host}", "aud": "sts.amazonaws.com", "sub": "repo:evil/fork:ref:refs/heads/main"})
    with pytest.raises(ClientError) as e:
        sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="gh", WebIdentityToken=other_repo)
    assert err(e) == ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403)


def test_users_change_their_own_password_with_the_managed_policy(enforced, root):
    creds = user_with(enforced, root, "learner", managed=["arn:aws:iam::aws:policy/IAMUserChangePassword"])
    root.create_login_profile(UserName="learner", Password="First-Pass-1")
    root.create_user(UserName="other")
    iam = enforced.client("iam", creds=creds)
    iam.change_password(OldPassword="First-Pass-1", NewPassword="Second-Pass-2")
    with pytest.raises(ClientError) as e:
        iam.update_login_profile(UserName="other", Password="Third-Pass-3")
    assert err(e)[1].startswith(f"User: arn:aws:iam::{ACCOUNT}:user/learner is not authorized to perform: iam:UpdateLoginProfile on resource: arn:aws:iam::{ACCOUNT}:user/other")
