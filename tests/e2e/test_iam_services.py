"""--enforce-iam across services: resource ARNs of SQS, SNS, DynamoDB and EC2
requests, queue and topic policies, and AssumeRoleWithSAML."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from botocore.exceptions import ClientError

from helpers import DEFAULT_ACCOUNT

ACCOUNT = DEFAULT_ACCOUNT
REGION = "us-east-1"


def err(exc_info):
    e = exc_info.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*"):
    return {"Effect": "Allow", "Action": action, "Resource": resource}


@pytest.fixture
def enforced(server_factory):
    return server_factory(args=["--ephemeral", "--test-mode", "--enforce-iam"])


def user_with(srv, name, *, inline=None, managed=()):
    root = srv.client("iam")
    root.create_user(UserName=name)
    if inline:
        root.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=inline)
    for arn in managed:
        root.attach_user_policy(UserName=name, PolicyArn=arn)
    k = root.create_access_key(UserName=name)["AccessKey"]
    return (k["AccessKeyId"], k["SecretAccessKey"])


def queue_arn(name):
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def test_send_allowed_on_one_queue_only(enforced):
    root = enforced.client("sqs")
    mine = root.create_queue(QueueName="mine")["QueueUrl"]
    other = root.create_queue(QueueName="other")["QueueUrl"]
    creds = user_with(enforced, "sender", inline=doc(allow("sqs:SendMessage", queue_arn("mine"))))
    sqs = enforced.client("sqs", creds=creds)
    assert sqs.send_message(QueueUrl=mine, MessageBody="hi")["MessageId"]
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=other, MessageBody="hi")
    code, msg, status = err(e)
    assert (code, status) == ("AccessDenied", 403)
    assert msg == (
        f"User: arn:aws:iam::{ACCOUNT}:user/sender is not authorized to perform: sqs:sendmessage "
        f"on resource: {queue_arn('other')} because no identity-based policy allows the sqs:sendmessage action"
    )
    # Creating a queue is authorized on the new queue's ARN.
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName="third")
    assert f"on resource: {queue_arn('third')}" in err(e)[1]
    got = root.receive_message(QueueUrl=other, WaitTimeSeconds=0).get("Messages", [])
    assert got == []


def test_queue_policy_grants_a_user_without_policies(enforced):
    root = enforced.client("sqs")
    url = root.create_queue(QueueName="inbox")["QueueUrl"]
    creds = user_with(enforced, "guest")
    guest = enforced.client("sqs", creds=creds)
    with pytest.raises(ClientError) as e:
        guest.send_message(QueueUrl=url, MessageBody="before")
    assert err(e)[0] == "AccessDenied"
    policy = doc({
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/guest"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn("inbox"),
    })
    root.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
    guest.send_message(QueueUrl=url, MessageBody="granted")
    bodies = [m["Body"] for m in root.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
    assert bodies == ["granted"]
    # The grant is for sending only.
    with pytest.raises(ClientError) as e:
        guest.receive_message(QueueUrl=url)
    assert "sqs:receivemessage" in err(e)[1]


def test_deny_in_queue_policy_wins_over_admin(enforced):
    root = enforced.client("sqs")
    url = root.create_queue(QueueName="locked")["QueueUrl"]
    creds = user_with(enforced, "admin", managed=["arn:aws:iam::aws:policy/AdministratorAccess"])
    root.set_queue_attributes(QueueUrl=url, Attributes={"Policy": doc({
        "Effect": "Deny", "Principal": "*", "Action": "sqs:PurgeQueue", "Resource": queue_arn("locked"),
    })})
    admin = enforced.client("sqs", creds=creds)
    admin.send_message(QueueUrl=url, MessageBody="x")
    with pytest.raises(ClientError) as e:
        admin.purge_queue(QueueUrl=url)
    assert err(e)[1] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/admin is not authorized to perform: sqs:purgequeue "
        f"on resource: {queue_arn('locked')} with an explicit deny in a resource-based policy"
    )


def test_deny_in_topic_policy_wins_over_admin(enforced):
    root = enforced.client("sns")
    arn = root.create_topic(Name="alerts")["TopicArn"]
    creds = user_with(enforced, "admin", managed=["arn:aws:iam::aws:policy/AdministratorAccess"])
    admin = enforced.client("sns", creds=creds)
    # The default topic policy leaves an admin's own permissions in force.
    assert admin.publish(TopicArn=arn, Message="one")["MessageId"]
    root.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=doc({
        "Effect": "Deny",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/admin"},
        "Action": "SNS:Publish",
        "Resource": arn,
    }))
    with pytest.raises(ClientError) as e:
        admin.publish(TopicArn=arn, Message="two")
    code, msg, status = err(e)
    assert (code, status) == ("AuthorizationError", 403)
    assert msg == (
        f"User: arn:aws:iam::{ACCOUNT}:user/admin is not authorized to perform: sns:Publish "
        f"on resource: {arn} with an explicit deny in a resource-based policy"
    )
    # Other actions on the topic are still the admin's.
    assert admin.get_topic_attributes(TopicArn=arn)["Attributes"]["TopicArn"] == arn


def test_dynamodb_get_item_on_one_table_only(enforced):
    root = enforced.client("dynamodb")
    for name in ("allowed", "secret"):
        root.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        root.get_waiter("table_exists").wait(TableName=name)
        root.put_item(TableName=name, Item={"pk": {"S": "k"}, "v": {"S": name}})
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/allowed"
    creds = user_with(enforced, "reader", inline=doc(allow("dynamodb:GetItem", table)))
    ddb = enforced.client("dynamodb", creds=creds)
    assert ddb.get_item(TableName="allowed", Key={"pk": {"S": "k"}})["Item"]["v"] == {"S": "allowed"}
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName="secret", Key={"pk": {"S": "k"}})
    assert err(e) == (
        "AccessDeniedException",
        f"User: arn:aws:iam::{ACCOUNT}:user/reader is not authorized to perform: dynamodb:GetItem "
        f"on resource: arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/secret because no identity-based policy allows the dynamodb:GetItem action",
        400,
    )
    # A batch names every table it reads: one forbidden table refuses the batch.
    with pytest.raises(ClientError) as e:
        ddb.batch_get_item(RequestItems={"allowed": {"Keys": [{"pk": {"S": "k"}}]}})
    assert "dynamodb:BatchGetItem on resource: arn:aws:dynamodb" in err(e)[1]


def test_ec2_describe_allowed_terminate_denied_on_instance(enforced):
    root = enforced.client("ec2")
    image = root.describe_images(Owners=["amazon"], Filters=[
        {"Name": "name", "Values": ["al2023-ami-2023*"]}, {"Name": "architecture", "Values": ["x86_64"]},
    ])["Images"][0]["ImageId"]
    iid = root.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][0]["InstanceId"]
    creds = user_with(enforced, "ops", inline=doc(
        allow("ec2:DescribeInstances"),
        allow("ec2:TerminateInstances", f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-00000000000000000"),
    ))
    ec2 = enforced.client("ec2", creds=creds)
    ids = [i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]
    assert iid in ids
    with pytest.raises(ClientError) as e:
        ec2.terminate_instances(InstanceIds=[iid])
    code, msg, status = err(e)
    assert (code, status) == ("UnauthorizedOperation", 403)
    assert msg == (
        "You are not authorized to perform this operation. "
        f"User: arn:aws:iam::{ACCOUNT}:user/ops is not authorized to perform: ec2:TerminateInstances "
        f"on resource: arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{iid} because no identity-based policy allows the ec2:TerminateInstances action"
    )
    state = root.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"]
    assert state in ("pending", "running")


PROVIDER_METADATA = (
    '<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
    'entityID="https://idp.example.com/saml" validUntil="2035-06-01T00:00:00Z"><md:IDPSSODescriptor '
    'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
    + "<!-- " + "signing certificate and endpoints elided " * 25 + "-->"
    + "</md:IDPSSODescriptor></md:EntityDescriptor>"
)


def saml_response(roles, session="ana@example.com", *, issuer="https://idp.example.com/saml",
                  not_on_or_after="2035-01-01T00:00:00Z", recipient="https://signin.aws.amazon.com/saml"):
    values = "".join(f"<saml:AttributeValue>{r}</saml:AttributeValue>" for r in roles)
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" Destination="{recipient}">
  <saml:Issuer>{issuer}</saml:Issuer>
  <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
  <saml:Assertion ID="_a1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z">
    <saml:Issuer>{issuer}</saml:Issuer>
    <saml:Subject>
      <saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">ana-1234</saml:NameID>
      <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
        <saml:SubjectConfirmationData NotOnOrAfter="{not_on_or_after}" Recipient="{recipient}"/>
      </saml:SubjectConfirmation>
    </saml:Subject>
    <saml:Conditions NotBefore="2026-01-01T00:00:00Z" NotOnOrAfter="{not_on_or_after}">
      <saml:AudienceRestriction><saml:Audience>urn:amazon:webservices</saml:Audience></saml:AudienceRestriction>
    </saml:Conditions>
    <saml:AttributeStatement>
      <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">{values}</saml:Attribute>
      <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>{session}</saml:AttributeValue></saml:Attribute>
    </saml:AttributeStatement>
  </saml:Assertion>
</samlp:Response>"""
    return base64.b64encode(xml.encode()).decode()


def test_assume_role_with_saml(enforced):
    iam = enforced.client("iam")
    provider = iam.create_saml_provider(Name="corp", SAMLMetadataDocument=PROVIDER_METADATA)["SAMLProviderArn"]
    trust = doc({
        "Effect": "Allow",
        "Principal": {"Federated": provider},
        "Action": "sts:AssumeRoleWithSAML",
        "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
    })
    role = iam.create_role(RoleName="saml-dev", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName="saml-dev", PolicyName="q", PolicyDocument=doc(allow("sqs:ListQueues")))
    sts = enforced.client("sts")
    out = sts.assume_role_with_saml(RoleArn=role, PrincipalArn=provider, SAMLAssertion=saml_response([f"{role},{provider}"]))
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/saml-dev/ana@example.com"
    assert (out["Subject"], out["SubjectType"], out["Issuer"]) == ("ana-1234", "persistent", "https://idp.example.com/saml")
    assert out["Audience"] == "https://signin.aws.amazon.com/saml"
    session = enforced.client("sts", creds=out["Credentials"])
    me = session.get_caller_identity()
    assert me["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/saml-dev/ana@example.com"
    assert me["Account"] == ACCOUNT
    # The session has the role's policies.
    enforced.client("sqs", creds=out["Credentials"]).list_queues()
    with pytest.raises(ClientError) as e:
        enforced.client("sqs", creds=out["Credentials"]).create_queue(QueueName="nope")
    assert err(e)[0] == "AccessDenied"

    def refused(assertion, role_arn=role, provider_arn=provider):
        with pytest.raises(ClientError) as e:
            sts.assume_role_with_saml(RoleArn=role_arn, PrincipalArn=provider_arn, SAMLAssertion=assertion)
        return err(e)

    assert refused(saml_response([f"{role},{provider}"], recipient="https://elsewhere.example.com/saml")) == (
        "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML", 403)
    other_role = f"arn:aws:iam::{ACCOUNT}:role/other"
    assert refused(saml_response([f"{other_role},{provider}"]))[0] == "AccessDenied"
    assert refused(saml_response([f"{role},{provider}"], not_on_or_after="2020-01-01T00:00:00Z"))[0] == "ExpiredTokenException"
    assert refused(saml_response([f"{role},{provider}"], issuer="https://evil.example.com"))[0] == "InvalidIdentityToken"
    assert refused(saml_response([f"{role},{provider}"]), provider_arn=f"arn:aws:iam::{ACCOUNT}:saml-provider/none")[0] == "InvalidIdentityToken"
    assert refused(base64.b64encode(b"<html>not saml</html>").decode())[0] == "InvalidIdentityToken"


def test_simulate_custom_policy_reports_matched_statements(enforced):
    iam = enforced.client("iam")
    policy = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"},\n    {"Effect": "Deny", "Action": "sqs:DeleteQueue", "Resource": "*",\n     "Condition": {"StringEquals": {"aws:ResourceTag/env": "prod"}}}\n  ]\n}'
    got = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["sqs:SendMessage", "sqs:DeleteQueue"])
    send, delete = got["EvaluationResults"]
    assert send["EvalDecision"] == "allowed"
    assert send["MatchedStatements"] == [{
        "SourcePolicyId": "PolicyInputList.1",
        "SourcePolicyType": "none",
        "StartPosition": {"Line": 4, "Column": 5},
        "EndPosition": {"Line": 4, "Column": 60},
    }]
    assert send["MissingContextValues"] == []
    # Without the tag in the context the deny cannot apply; the key is reported missing.
    assert delete["EvalDecision"] == "allowed"
    assert delete["MissingContextValues"] == ["aws:ResourceTag/env"]
    got = iam.simulate_custom_policy(
        PolicyInputList=[policy], ActionNames=["sqs:DeleteQueue"],
        ContextEntries=[{"ContextKeyName": "aws:ResourceTag/env", "ContextKeyValues": ["prod"], "ContextKeyType": "string"}],
    )["EvaluationResults"][0]
    assert got["EvalDecision"] == "explicitDeny"
    assert [(m["StartPosition"]["Line"], m["EndPosition"]["Line"]) for m in got["MatchedStatements"]] == [(5, 6)]


def test_simulate_principal_policy_names_the_users_policy(enforced):
    iam = enforced.client("iam")
    iam.create_user(UserName="dev")
    iam.put_user_policy(UserName="dev", PolicyName="Developer", PolicyDocument=doc(allow("s3:GetObject")))
    iam.attach_user_policy(UserName="dev", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    res = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/dev", ActionNames=["s3:GetObject", "s3:PutObject"],
    )["EvaluationResults"]
    got, put = res
    assert got["EvalDecision"] == "allowed"
    sources = {(m["SourcePolicyId"], m["SourcePolicyType"]) for m in got["MatchedStatements"]}
    assert sources == {("Developer", "user"), ("AmazonS3ReadOnlyAccess", "aws-managed")}
    assert all(m["StartPosition"]["Line"] >= 1 for m in got["MatchedStatements"])
    assert put["EvalDecision"] == "implicitDeny" and put["MatchedStatements"] == []


def test_cli_send_and_saml_as_a_user_types_them(enforced, aws, tmp_path):
    root = enforced.client("sqs")
    mine = root.create_queue(QueueName="cli-mine")["QueueUrl"]
    other = root.create_queue(QueueName="cli-other")["QueueUrl"]
    creds = user_with(enforced, "cli", inline=doc(allow("sqs:SendMessage", queue_arn("cli-mine"))))
    assert aws("sqs", "send-message", "--queue-url", mine, "--message-body", "hi", creds=creds, srv=enforced)["MessageId"]
    out = aws("sqs", "send-message", "--queue-url", other, "--message-body", "hi", creds=creds, srv=enforced, check=False)
    assert out.returncode != 0
    assert "(AccessDenied)" in out.stderr and queue_arn("cli-other") in out.stderr

    iam = enforced.client("iam")
    provider = iam.create_saml_provider(Name="cli-idp", SAMLMetadataDocument=PROVIDER_METADATA)["SAMLProviderArn"]
    trust = doc({"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithSAML"})
    role = iam.create_role(RoleName="cli-saml", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    assertion = tmp_path / "assertion.b64"
    assertion.write_text(saml_response([f"{provider},{role}"], session="cli-user"))
    got = aws("sts", "assume-role-with-saml", "--role-arn", role, "--principal-arn", provider,
              "--saml-assertion", f"file://{assertion}", srv=enforced)
    assert got["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/cli-saml/cli-user"
    me = aws("sts", "get-caller-identity", creds=got["Credentials"], srv=enforced)
    assert me["Arn"] == got["AssumedRoleUser"]["Arn"]
