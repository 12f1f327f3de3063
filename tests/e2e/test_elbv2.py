"""Elastic Load Balancing v2 through boto3 and the aws CLI: an ALB in two
zones of a VPC, target groups with their health checks, listeners and rules,
instances registered and checked on the clock, the refusals AWS gives, and
state that survives a restart."""

from __future__ import annotations

import datetime
import re
import time

import pytest
from botocore.exceptions import ClientError

from helpers import DEFAULT_ACCOUNT, error_of


@pytest.fixture
def elb(server):
    return server.client("elbv2")


@pytest.fixture
def ec2(server):
    return server.client("ec2")


def network(ec2, cidr="10.0.0.0/16", zones=("us-east-1a", "us-east-1b")):
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    base = cidr.split(".")[:2]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"{base[0]}.{base[1]}.{i + 1}.0/24", AvailabilityZone=z)["Subnet"]["SubnetId"]
        for i, z in enumerate(zones)
    ]
    sg = ec2.create_security_group(GroupName=f"web-{vpc}", Description="web", VpcId=vpc)["GroupId"]
    return {"vpc": vpc, "subnets": subnets, "sg": sg}


def ami(ec2):
    images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023*"]},
                                                            {"Name": "architecture", "Values": ["x86_64"]}])["Images"]
    return images[0]["ImageId"]


def launch(server, ec2, subnet, sg, count=1):
    ids = [i["InstanceId"] for i in ec2.run_instances(
        ImageId=ami(ec2), InstanceType="t3.micro", MinCount=count, MaxCount=count,
        SubnetId=subnet, SecurityGroupIds=[sg])["Instances"]]
    server.advance(5)
    return ids


def alb(elb, net, name="web", **kw):
    return elb.create_load_balancer(Name=name, Subnets=net["subnets"], SecurityGroups=[net["sg"]], **kw)["LoadBalancers"][0]


def target_group(elb, net, name="web", **kw):
    kw.setdefault("Protocol", "HTTP")
    kw.setdefault("Port", 80)
    return elb.create_target_group(Name=name, VpcId=net["vpc"], **kw)["TargetGroups"][0]


def forward(tg_arn):
    return [{"Type": "forward", "TargetGroupArn": tg_arn}]


def health(elb, tg_arn, **kw):
    return {d["Target"]["Id"]: d for d in elb.describe_target_health(TargetGroupArn=tg_arn, **kw)["TargetHealthDescriptions"]}


def states(elb, tg_arn):
    return {k: (v["TargetHealth"]["State"], v["TargetHealth"].get("Reason")) for k, v in health(elb, tg_arn).items()}


def eventually(fn, timeout=5.0):
    """Background tasks run after a clock move: poll briefly for the result."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return fn()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def refused(call, **kw):
    with pytest.raises(ClientError) as e:
        call(**kw)
    return error_of(e.value)


# ------------------------------------------------------------ load balancers
def test_alb_in_two_zones_gets_an_aws_shaped_dns_name_and_becomes_active(server, elb, ec2):
    net = network(ec2)
    lb = alb(elb, net, Tags=[{"Key": "team", "Value": "web"}])
    arn = lb["LoadBalancerArn"]
    assert re.fullmatch(rf"arn:aws:elasticloadbalancing:us-east-1:{DEFAULT_ACCOUNT}:loadbalancer/app/web/[0-9a-f]{{16}}", arn)
    assert re.fullmatch(r"web-\d{10}\.us-east-1\.elb\.localhost", lb["DNSName"])
    assert lb["CanonicalHostedZoneId"] == "Z35SXDOTRQ7X7K"
    assert lb["State"] == {"Code": "provisioning"}
    assert (lb["Type"], lb["Scheme"], lb["IpAddressType"], lb["VpcId"]) == ("application", "internet-facing", "ipv4", net["vpc"])
    assert lb["SecurityGroups"] == [net["sg"]]
    assert sorted((z["ZoneName"], z["SubnetId"]) for z in lb["AvailabilityZones"]) == sorted(
        zip(["us-east-1a", "us-east-1b"], net["subnets"]))
    server.advance(5)
    assert elb.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]["State"] == {"Code": "active"}
    assert [b["LoadBalancerArn"] for b in elb.describe_load_balancers(Names=["web"])["LoadBalancers"]] == [arn]
    # The same request again answers with the same load balancer.
    assert alb(elb, net)["LoadBalancerArn"] == arn

    internal = elb.create_load_balancer(Name="api", Subnets=net["subnets"], Scheme="internal")["LoadBalancers"][0]
    assert re.fullmatch(r"internal-api-\d{10}\.us-east-1\.elb\.localhost", internal["DNSName"])
    # Without security groups it gets the VPC's default one.
    default_sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [net["vpc"]]},
                                                       {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]["GroupId"]
    assert internal["SecurityGroups"] == [default_sg]
    nlb = elb.create_load_balancer(Name="tcp", Type="network", Subnets=net["subnets"][:1])["LoadBalancers"][0]
    assert re.fullmatch(r"tcp-[0-9a-f]{16}\.us-east-1\.elb\.localhost", nlb["DNSName"])
    assert nlb["CanonicalHostedZoneId"] == "Z26RNL4JYFTOTI" and ":loadbalancer/net/tcp/" in nlb["LoadBalancerArn"]

    page = elb.describe_load_balancers(PageSize=2)
    assert [b["LoadBalancerName"] for b in page["LoadBalancers"]] == ["api", "tcp"]
    rest = elb.describe_load_balancers(PageSize=2, Marker=page["NextMarker"])
    assert [b["LoadBalancerName"] for b in rest["LoadBalancers"]] == ["web"] and "NextMarker" not in rest


def test_load_balancer_refusals(elb, ec2):
    net = network(ec2)
    other = network(ec2, cidr="10.1.0.0/16")
    same_zone = ec2.create_subnet(VpcId=net["vpc"], CidrBlock="10.0.9.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    create = elb.create_load_balancer
    assert refused(create, Name="one", Subnets=net["subnets"][:1]) == (
        "ValidationError", "At least two subnets in two different Availability Zones must be specified", 400)
    assert refused(create, Name="same", Subnets=[net["subnets"][0], same_zone]) == (
        "InvalidConfigurationRequest", "A load balancer cannot be attached to multiple subnets in the same Availability Zone", 400)
    assert refused(create, Name="gone", Subnets=[net["subnets"][0], "subnet-0123456789abcdef0"])[0] == "SubnetNotFound"
    assert refused(create, Name="mixed", Subnets=[net["subnets"][0], other["subnets"][1]])[0] == "InvalidConfigurationRequest"
    code, msg, _ = refused(create, Name="sg", Subnets=net["subnets"], SecurityGroups=[other["sg"]])
    assert code == "InvalidSecurityGroup" and other["sg"] in msg
    assert refused(create, Name="-bad", Subnets=net["subnets"])[0] == "ValidationError"
    assert refused(create, Name="internal-x", Subnets=net["subnets"])[0] == "ValidationError"
    alb(elb, net)
    assert refused(create, Name="web", Subnets=net["subnets"], Scheme="internal") == (
        "DuplicateLoadBalancerName", "A load balancer with the same name 'web' exists, but with different settings", 400)
    assert refused(elb.describe_load_balancers, Names=["nope"]) == ("LoadBalancerNotFound", "Load balancers '[nope]' not found", 400)
    assert refused(elb.describe_load_balancers, LoadBalancerArns=["not-a/real/arn"]) == (
        "ValidationError", "'not-a/real/arn' is not a valid load balancer ARN", 400)


def test_attributes_deletion_protection_subnets_and_groups(elb, ec2):
    net = network(ec2, zones=("us-east-1a", "us-east-1b", "us-east-1c"))
    lb = elb.create_load_balancer(Name="web", Subnets=net["subnets"][:2], SecurityGroups=[net["sg"]])["LoadBalancers"][0]
    arn = lb["LoadBalancerArn"]
    attrs = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}
    assert attrs["deletion_protection.enabled"] == "false"
    assert attrs["idle_timeout.timeout_seconds"] == "60"
    assert attrs["load_balancing.cross_zone.enabled"] == "true"
    assert attrs["routing.http2.enabled"] == "true"
    out = elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[
        {"Key": "deletion_protection.enabled", "Value": "true"}, {"Key": "idle_timeout.timeout_seconds", "Value": "120"}])
    got = {a["Key"]: a["Value"] for a in out["Attributes"]}
    assert got["deletion_protection.enabled"] == "true" and got["idle_timeout.timeout_seconds"] == "120"
    assert refused(elb.modify_load_balancer_attributes, LoadBalancerArn=arn,
                   Attributes=[{"Key": "no.such.key", "Value": "1"}]) == (
        "ValidationError", "Load balancer attribute key 'no.such.key' is not recognized", 400)
    assert refused(elb.modify_load_balancer_attributes, LoadBalancerArn=arn,
                   Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "0"}])[0] == "ValidationError"
    assert refused(elb.delete_load_balancer, LoadBalancerArn=arn) == (
        "OperationNotPermitted", f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled", 400)

    zones = elb.set_subnets(LoadBalancerArn=arn, Subnets=net["subnets"])["AvailabilityZones"]
    assert sorted(z["ZoneName"] for z in zones) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    sg2 = ec2.create_security_group(GroupName="two", Description="two", VpcId=net["vpc"])["GroupId"]
    assert elb.set_security_groups(LoadBalancerArn=arn, SecurityGroups=[net["sg"], sg2])["SecurityGroupIds"] == [net["sg"], sg2]
    assert elb.set_ip_address_type(LoadBalancerArn=arn, IpAddressType="dualstack")["IpAddressType"] == "dualstack"
    lb = elb.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]
    assert len(lb["AvailabilityZones"]) == 3 and lb["SecurityGroups"] == [net["sg"], sg2] and lb["IpAddressType"] == "dualstack"

    elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}])
    elb.delete_load_balancer(LoadBalancerArn=arn)
    elb.delete_load_balancer(LoadBalancerArn=arn)
    assert elb.describe_load_balancers()["LoadBalancers"] == []


# -------------------------------------------------------------- target groups
def test_target_group_defaults_validation_and_attributes(elb, ec2):
    net = network(ec2)
    tg = target_group(elb, net)
    assert re.fullmatch(rf"arn:aws:elasticloadbalancing:us-east-1:{DEFAULT_ACCOUNT}:targetgroup/web/[0-9a-f]{{16}}", tg["TargetGroupArn"])
    assert (tg["HealthCheckProtocol"], tg["HealthCheckPort"], tg["HealthCheckPath"]) == ("HTTP", "traffic-port", "/")
    assert (tg["HealthCheckIntervalSeconds"], tg["HealthCheckTimeoutSeconds"]) == (30, 5)
    assert (tg["HealthyThresholdCount"], tg["UnhealthyThresholdCount"]) == (5, 2)
    assert tg["Matcher"] == {"HttpCode": "200"} and tg["TargetType"] == "instance" and tg["ProtocolVersion"] == "HTTP1"
    assert tg["LoadBalancerArns"] == [] and tg["HealthCheckEnabled"] is True
    tcp = target_group(elb, net, name="tcp", Protocol="TCP")
    assert (tcp["HealthCheckProtocol"], tcp["HealthCheckTimeoutSeconds"]) == ("TCP", 10) and "Matcher" not in tcp
    lam = elb.create_target_group(Name="fn", TargetType="lambda")["TargetGroups"][0]
    assert lam["HealthCheckEnabled"] is False and "VpcId" not in lam and "Protocol" not in lam

    create = elb.create_target_group
    assert refused(create, Name="p", Protocol="HTTP") == ("ValidationError", "A port must be specified", 400)
    assert refused(create, Name="p", Protocol="HTTP", Port=80) == ("ValidationError", "A VPC ID must be specified", 400)
    assert refused(create, Name="p", Protocol="HTTP", Port=80, VpcId="vpc-0123456789abcdef0") == (
        "ValidationError", "The VPC ID 'vpc-0123456789abcdef0' is not found", 400)
    assert refused(create, Name="p", TargetType="lambda", Port=80) == (
        "ValidationError", "Port cannot be specified for target groups with target type 'lambda'", 400)
    assert refused(create, Name="p", Protocol="HTTP", Port=80, VpcId=net["vpc"], HealthCheckIntervalSeconds=5,
                   HealthCheckTimeoutSeconds=5) == (
        "ValidationError", "Health check timeout '5' must be smaller than the interval '5'", 400)
    assert refused(create, Name="p", Protocol="TCP", Port=80, VpcId=net["vpc"], Matcher={"HttpCode": "200"})[0] == \
        "InvalidConfigurationRequest"
    assert refused(create, Name="p", Protocol="HTTP", Port=80, VpcId=net["vpc"], Matcher={"HttpCode": "600"})[0] == "ValidationError"
    assert refused(create, Name="a.b", Protocol="HTTP", Port=80, VpcId=net["vpc"]) == (
        "ValidationError", "Target group name 'a.b' can only contain characters that are alphanumeric characters or hyphens(-)", 400)
    assert refused(create, Name="web", Protocol="HTTP", Port=81, VpcId=net["vpc"])[0] == "DuplicateTargetGroupName"
    assert refused(elb.describe_target_groups, Names=["nope"]) == ("TargetGroupNotFound", "One or more target groups not found", 400)

    arn = tg["TargetGroupArn"]
    attrs = {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]}
    assert attrs["deregistration_delay.timeout_seconds"] == "300"
    assert (attrs["stickiness.enabled"], attrs["stickiness.type"]) == ("false", "lb_cookie")
    assert attrs["stickiness.lb_cookie.duration_seconds"] == "86400"
    assert (attrs["slow_start.duration_seconds"], attrs["load_balancing.algorithm.type"]) == ("0", "round_robin")
    out = elb.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[
        {"Key": "stickiness.enabled", "Value": "true"}, {"Key": "stickiness.type", "Value": "app_cookie"},
        {"Key": "stickiness.app_cookie.cookie_name", "Value": "session"}, {"Key": "slow_start.duration_seconds", "Value": "60"}])
    got = {a["Key"]: a["Value"] for a in out["Attributes"]}
    assert (got["stickiness.type"], got["stickiness.app_cookie.cookie_name"], got["slow_start.duration_seconds"]) == (
        "app_cookie", "session", "60")
    assert refused(elb.modify_target_group_attributes, TargetGroupArn=arn,
                   Attributes=[{"Key": "stickiness.type", "Value": "source_ip"}])[0] == "ValidationError"
    assert refused(elb.modify_target_group_attributes, TargetGroupArn=arn,
                   Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "4000"}])[0] == "ValidationError"

    mod = elb.modify_target_group(TargetGroupArn=arn, HealthCheckPath="/health", HealthCheckIntervalSeconds=10,
                                  HealthCheckTimeoutSeconds=3, HealthyThresholdCount=2, Matcher={"HttpCode": "200-299"})["TargetGroups"][0]
    assert (mod["HealthCheckPath"], mod["HealthCheckIntervalSeconds"], mod["Matcher"]) == ("/health", 10, {"HttpCode": "200-299"})
    elb.delete_target_group(TargetGroupArn=tcp["TargetGroupArn"])
    assert [t["TargetGroupName"] for t in elb.describe_target_groups()["TargetGroups"]] == ["fn", "web"]


# ------------------------------------------------------- targets and health
def test_instances_go_initial_then_healthy_and_stopped_ones_unused(server, elb, ec2):
    net = network(ec2)
    a = launch(server, ec2, net["subnets"][0], net["sg"])[0]
    b = launch(server, ec2, net["subnets"][1], net["sg"])[0]
    lb_arn = alb(elb, net)["LoadBalancerArn"]
    tg_arn = target_group(elb, net, HealthCheckIntervalSeconds=10, HealthCheckTimeoutSeconds=5,
                          HealthyThresholdCount=3, UnhealthyThresholdCount=2)["TargetGroupArn"]
    elb.modify_target_group_attributes(TargetGroupArn=tg_arn, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": "30"}])
    elb.register_targets(TargetGroupArn=tg_arn, Targets=[{"Id": a}, {"Id": b, "Port": 8080}])
    # No listener forwards to the group yet.
    h = health(elb, tg_arn)
    assert h[a]["TargetHealth"] == {"State": "unused", "Reason": "Target.NotInUse",
                                    "Description": "Target group is not configured to receive traffic from the load balancer"}
    assert h[a]["Target"] == {"Id": a, "Port": 80} and h[b]["Target"] == {"Id": b, "Port": 8080}
    assert (h[a]["HealthCheckPort"], h[b]["HealthCheckPort"]) == ("80", "8080")

    elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80, DefaultActions=forward(tg_arn))
    assert elb.describe_target_groups(TargetGroupArns=[tg_arn])["TargetGroups"][0]["LoadBalancerArns"] == [lb_arn]
    h = health(elb, tg_arn)
    assert h[a]["TargetHealth"] == {"State": "initial", "Reason": "Elb.RegistrationInProgress",
                                    "Description": "Target registration is in progress"}
    server.advance(10)
    eventually(lambda: states(elb, tg_arn) == {a: ("initial", "Elb.InitialHealthChecking"),
                                               b: ("initial", "Elb.InitialHealthChecking")} or _fail(states(elb, tg_arn)))
    server.advance(20)
    eventually(lambda: states(elb, tg_arn) == {a: ("healthy", None), b: ("healthy", None)} or _fail(states(elb, tg_arn)))
    assert health(elb, tg_arn)[a]["TargetHealth"] == {"State": "healthy"}

    ec2.stop_instances(InstanceIds=[a])
    server.advance(10)
    eventually(lambda: states(elb, tg_arn)[a] == ("unused", "Target.InvalidState") or _fail(states(elb, tg_arn)))
    h = health(elb, tg_arn)
    assert h[a]["TargetHealth"]["Description"] == "Target is in the stopped state"
    assert h[b]["TargetHealth"] == {"State": "healthy"}
    code, msg, _ = refused(elb.register_targets, TargetGroupArn=tg_arn, Targets=[{"Id": a}])
    assert (code, msg) == ("InvalidTarget", f"The following targets are not in a running state and cannot be registered: '{a}'")
    # Started again, it is checked from the beginning.
    ec2.start_instances(InstanceIds=[a])
    server.advance(5)
    eventually(lambda: states(elb, tg_arn)[a][0] == "initial" or _fail(states(elb, tg_arn)))
    server.advance(30)
    eventually(lambda: states(elb, tg_arn)[a] == ("healthy", None) or _fail(states(elb, tg_arn)))

    elb.deregister_targets(TargetGroupArn=tg_arn, Targets=[{"Id": b, "Port": 8080}])
    assert health(elb, tg_arn)[b]["TargetHealth"] == {"State": "draining", "Reason": "Target.DeregistrationInProgress",
                                                      "Description": "Target deregistration is in progress"}
    server.advance(31)
    eventually(lambda: set(health(elb, tg_arn)) == {a} or _fail(states(elb, tg_arn)))
    gone = elb.describe_target_health(TargetGroupArn=tg_arn, Targets=[{"Id": b, "Port": 8080}])["TargetHealthDescriptions"]
    assert gone[0]["TargetHealth"] == {"State": "unused", "Reason": "Target.NotRegistered",
                                       "Description": "Target is not registered to the target group"}

    # A terminated instance leaves the group on its own.
    ec2.terminate_instances(InstanceIds=[a])
    server.advance(10)
    eventually(lambda: health(elb, tg_arn) == {} or _fail(states(elb, tg_arn)))
    assert refused(elb.delete_target_group, TargetGroupArn=tg_arn) == (
        "ResourceInUse", f"The target group '{tg_arn}' is currently in use by a listener or a rule", 400)


def _fail(what):
    raise AssertionError(what)


def test_target_refusals_and_ip_targets(server, elb, ec2):
    net = network(ec2)
    other = network(ec2, cidr="10.1.0.0/16")
    stranger = launch(server, ec2, other["subnets"][0], other["sg"])[0]
    tg_arn = target_group(elb, net)["TargetGroupArn"]
    register = elb.register_targets
    assert refused(register, TargetGroupArn=tg_arn, Targets=[{"Id": "10.0.1.5"}]) == (
        "ValidationError", "Instance ID '10.0.1.5' is not valid", 400)
    assert refused(register, TargetGroupArn=tg_arn, Targets=[{"Id": "i-0123456789abcdef0"}])[0] == "InvalidTarget"
    code, msg, _ = refused(register, TargetGroupArn=tg_arn, Targets=[{"Id": stranger}])
    assert code == "InvalidTarget" and net["vpc"] in msg and stranger in msg
    missing = tg_arn.replace(tg_arn.rsplit("/", 1)[1], "0123456789abcdef")
    assert refused(register, TargetGroupArn=missing, Targets=[{"Id": stranger}]) == (
        "TargetGroupNotFound", f"Target groups '{missing}' not found", 400)

    ips = target_group(elb, net, name="ips", TargetType="ip")["TargetGroupArn"]
    register(TargetGroupArn=ips, Targets=[{"Id": "10.0.1.20"}, {"Id": "127.0.0.1", "Port": 8080},
                                          {"Id": "192.168.5.5", "AvailabilityZone": "all"}])
    assert refused(register, TargetGroupArn=ips, Targets=[{"Id": "172.16.0.9"}])[0] == "InvalidTarget"
    assert refused(register, TargetGroupArn=ips, Targets=[{"Id": "8.8.8.8", "AvailabilityZone": "all"}])[0] == "InvalidTarget"
    h = health(elb, ips)
    assert set(h) == {"10.0.1.20", "127.0.0.1", "192.168.5.5"}
    assert h["192.168.5.5"]["Target"] == {"Id": "192.168.5.5", "Port": 80, "AvailabilityZone": "all"}
    # With no load balancer in front, deregistering drops targets at once.
    elb.deregister_targets(TargetGroupArn=ips, Targets=[{"Id": "10.0.1.20"}])
    assert set(health(elb, ips)) == {"127.0.0.1", "192.168.5.5"}
    assert refused(elb.deregister_targets, TargetGroupArn=ips, Targets=[{"Id": "10.0.1.99"}])[0] == "InvalidTarget"


# ---------------------------------------------------------------- listeners
def test_listeners_actions_certificates_and_refusals(server, elb, ec2):
    net = network(ec2)
    lb_arn = alb(elb, net)["LoadBalancerArn"]
    blue = target_group(elb, net, name="blue")["TargetGroupArn"]
    green = target_group(elb, net, name="green")["TargetGroupArn"]
    tcp = target_group(elb, net, name="tcp", Protocol="TCP")["TargetGroupArn"]
    create = elb.create_listener

    weighted = [{"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": blue, "Weight": 80}, {"TargetGroupArn": green, "Weight": 20}],
        "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 300}}}]
    http = create(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80, DefaultActions=weighted)["Listeners"][0]
    assert re.fullmatch(r"arn:aws:elasticloadbalancing:us-east-1:\d{12}:listener/app/web/[0-9a-f]{16}/[0-9a-f]{16}", http["ListenerArn"])
    fc = http["DefaultActions"][0]["ForwardConfig"]
    assert fc["TargetGroups"] == [{"TargetGroupArn": blue, "Weight": 80}, {"TargetGroupArn": green, "Weight": 20}]
    assert fc["TargetGroupStickinessConfig"] == {"Enabled": True, "DurationSeconds": 300}
    assert "SslPolicy" not in http and "Certificates" not in http

    cert = f"arn:aws:acm:us-east-1:{DEFAULT_ACCOUNT}:certificate/0b5f0d11-1111-2222-3333-444455556666"
    assert refused(create, LoadBalancerArn=lb_arn, Protocol="HTTPS", Port=443, DefaultActions=forward(blue)) == (
        "ValidationError", "A certificate must be specified for HTTPS listeners", 400)
    assert refused(create, LoadBalancerArn=lb_arn, Protocol="HTTPS", Port=443, SslPolicy="ELBexample-2016-08",
                   Certificates=[{"CertificateArn": cert}], DefaultActions=forward(blue)) == (
        "SSLPolicyNotFound", "SSL policy 'ELBexample-2016-08' not found", 400)
    https = create(LoadBalancerArn=lb_arn, Protocol="HTTPS", Port=443, Certificates=[{"CertificateArn": cert}],
                   DefaultActions=forward(blue))["Listeners"][0]
    assert https["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06" and https["Certificates"] == [{"CertificateArn": cert}]
    extra = cert.replace("0b5f", "9c9c")
    elb.add_listener_certificates(ListenerArn=https["ListenerArn"], Certificates=[{"CertificateArn": extra}])
    certs = elb.describe_listener_certificates(ListenerArn=https["ListenerArn"])["Certificates"]
    assert certs == [{"CertificateArn": cert, "IsDefault": True}, {"CertificateArn": extra, "IsDefault": False}]
    elb.remove_listener_certificates(ListenerArn=https["ListenerArn"], Certificates=[{"CertificateArn": extra}])
    assert len(elb.describe_listener_certificates(ListenerArn=https["ListenerArn"])["Certificates"]) == 1

    assert refused(create, LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80, DefaultActions=forward(green)) == (
        "DuplicateListener", "A listener already exists on this port for this load balancer", 400)
    assert refused(create, LoadBalancerArn=lb_arn, Protocol="TCP", Port=81, DefaultActions=forward(tcp)) == (
        "ValidationError", "Listener protocol 'TCP' must be one of 'HTTPS, HTTP'", 400)
    assert refused(create, LoadBalancerArn=lb_arn, Protocol="HTTP", Port=82, DefaultActions=forward(tcp))[0] == "IncompatibleProtocols"
    assert refused(create, LoadBalancerArn=lb_arn, Protocol="HTTP", Port=83, SslPolicy="ELBSecurityPolicy-2016-08",
                   DefaultActions=forward(blue)) == ("ValidationError", "An SSL policy cannot be specified for HTTP listeners", 400)
    assert refused(create, LoadBalancerArn=lb_arn, Protocol="HTTP", Port=84, DefaultActions=[
        {"Type": "redirect", "RedirectConfig": {"StatusCode": "HTTP_301"}}]) == (
        "InvalidLoadBalancerAction", "The redirect configuration is not valid because it creates a loop.", 400)
    missing = blue.replace(blue.rsplit("/", 1)[1], "0123456789abcdef")
    assert refused(create, LoadBalancerArn=lb_arn, Protocol="HTTP", Port=85, DefaultActions=forward(missing)) == (
        "TargetGroupNotFound", f"Target group '{missing}' not found", 400)
    assert refused(create, LoadBalancerArn=lb_arn, Protocol="HTTP", Port=86, DefaultActions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "ContentType": "text/xml"}}])[0] == "ValidationError"

    redirect = create(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=8080, DefaultActions=[
        {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "Host": "#{host}",
                                                "Path": "/#{path}", "StatusCode": "HTTP_301"}}])["Listeners"][0]
    assert redirect["DefaultActions"][0]["RedirectConfig"] == {
        "Protocol": "HTTPS", "Port": "443", "Host": "#{host}", "Path": "/#{path}", "Query": "#{query}", "StatusCode": "HTTP_301"}
    fixed = create(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=8081, DefaultActions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503", "ContentType": "text/plain",
                                                           "MessageBody": "down for maintenance"}}])["Listeners"][0]
    assert fixed["DefaultActions"][0]["FixedResponseConfig"]["MessageBody"] == "down for maintenance"

    # A target group serves one load balancer only.
    second = alb(elb, net, name="second")["LoadBalancerArn"]
    assert refused(create, LoadBalancerArn=second, Protocol="HTTP", Port=80, DefaultActions=forward(blue)) == (
        "TargetGroupAssociationLimit",
        f"The following target groups cannot be associated with more than one load balancer: {blue}", 400)

    listed = elb.describe_listeners(LoadBalancerArn=lb_arn)["Listeners"]
    assert [l["Port"] for l in listed] == [80, 443, 8080, 8081]
    mod = elb.modify_listener(ListenerArn=fixed["ListenerArn"], Port=8082, DefaultActions=forward(green))["Listeners"][0]
    assert (mod["Port"], mod["DefaultActions"][0]["TargetGroupArn"]) == (8082, green)
    assert sorted(t["TargetGroupName"] for t in elb.describe_target_groups(LoadBalancerArn=lb_arn)["TargetGroups"]) == ["blue", "green"]
    elb.delete_listener(ListenerArn=redirect["ListenerArn"])
    assert refused(elb.describe_listeners, ListenerArns=[redirect["ListenerArn"]]) == (
        "ListenerNotFound", "One or more listeners not found", 400)
    # Deleting the load balancer takes its listeners along and frees the groups.
    elb.delete_load_balancer(LoadBalancerArn=lb_arn)
    assert refused(elb.describe_listeners, ListenerArns=[http["ListenerArn"]])[0] == "ListenerNotFound"
    elb.delete_target_group(TargetGroupArn=blue)


# -------------------------------------------------------------------- rules
def test_rules_conditions_priorities_and_the_default_rule(elb, ec2):
    net = network(ec2)
    lb_arn = alb(elb, net)["LoadBalancerArn"]
    web = target_group(elb, net, name="web")["TargetGroupArn"]
    api = target_group(elb, net, name="api")["TargetGroupArn"]
    listener = elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80, DefaultActions=forward(web))["Listeners"][0]
    l_arn = listener["ListenerArn"]
    rule = elb.create_rule(ListenerArn=l_arn, Priority=10, Actions=forward(api), Conditions=[
        {"Field": "host-header", "Values": ["api.example.com"]},
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/v1/*"]}},
    ])["Rules"][0]
    assert rule["Priority"] == "10" and rule["IsDefault"] is False
    assert ":listener-rule/app/web/" in rule["RuleArn"]
    assert rule["Conditions"][0] == {"Field": "host-header", "Values": ["api.example.com"],
                                     "HostHeaderConfig": {"Values": ["api.example.com"]}}
    second = elb.create_rule(ListenerArn=l_arn, Priority=20, Actions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "403", "ContentType": "text/plain"}}], Conditions=[
        {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Env", "Values": ["staging"]}},
        {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["POST"]}},
        {"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "debug", "Value": "true"}]}},
        {"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/16"]}},
    ])["Rules"][0]
    rules = elb.describe_rules(ListenerArn=l_arn)["Rules"]
    assert [r["Priority"] for r in rules] == ["10", "20", "default"]
    default = rules[-1]
    assert default["IsDefault"] is True and default["Conditions"] == []
    assert default["Actions"][0]["TargetGroupArn"] == web
    assert elb.describe_rules(RuleArns=[default["RuleArn"]])["Rules"][0]["Priority"] == "default"

    create = elb.create_rule
    assert refused(create, ListenerArn=l_arn, Priority=10, Actions=forward(api),
                   Conditions=[{"Field": "path-pattern", "Values": ["/x"]}]) == ("PriorityInUse", "Priority '10' is currently in use", 400)
    assert refused(create, ListenerArn=l_arn, Priority=30, Actions=forward(api),
                   Conditions=[{"Field": "host-header", "Values": ["a.com", "b.com", "c.com", "d.com", "e.com", "f.com"]}]) == (
        "ValidationError", "A rule can only have '5' condition values", 400)
    code, msg, _ = refused(create, ListenerArn=l_arn, Priority=30, Actions=forward(api),
                           Conditions=[{"Field": "cookie", "Values": ["a"]}])
    assert code == "ValidationError" and msg.startswith("Condition field 'cookie' must be one of")
    assert refused(create, ListenerArn=l_arn, Priority=30, Actions=forward(api), Conditions=[
        {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["get"]}}])[0] == "ValidationError"
    assert refused(create, ListenerArn=l_arn, Priority=30, Actions=forward(api), Conditions=[
        {"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.1"]}}])[0] == "ValidationError"

    swapped = elb.set_rule_priorities(RulePriorities=[{"RuleArn": rule["RuleArn"], "Priority": 20},
                                                      {"RuleArn": second["RuleArn"], "Priority": 10}])["Rules"]
    assert {r["RuleArn"]: r["Priority"] for r in swapped} == {rule["RuleArn"]: "20", second["RuleArn"]: "10"}
    third = create(ListenerArn=l_arn, Priority=30, Actions=forward(api), Conditions=[{"Field": "path-pattern", "Values": ["/z"]}])["Rules"][0]
    assert refused(elb.set_rule_priorities, RulePriorities=[{"RuleArn": third["RuleArn"], "Priority": 10}]) == (
        "PriorityInUse", "Priority '10' is currently in use", 400)
    assert refused(elb.set_rule_priorities, RulePriorities=[{"RuleArn": default["RuleArn"], "Priority": 5}])[0] == "OperationNotPermitted"

    mod = elb.modify_rule(RuleArn=third["RuleArn"], Conditions=[{"Field": "path-pattern", "Values": ["/y", "/y/*"]}])["Rules"][0]
    assert mod["Conditions"][0]["Values"] == ["/y", "/y/*"]
    assert refused(elb.delete_rule, RuleArn=default["RuleArn"]) == (
        "OperationNotPermitted", f"Default rule '{default['RuleArn']}' cannot be deleted", 400)
    # A group a rule forwards to is in use until the rule goes.
    elb.modify_listener(ListenerArn=l_arn, DefaultActions=forward(web))
    assert refused(elb.delete_target_group, TargetGroupArn=api)[0] == "ResourceInUse"
    elb.delete_rule(RuleArn=rule["RuleArn"])
    elb.delete_rule(RuleArn=third["RuleArn"])
    elb.delete_target_group(TargetGroupArn=api)
    assert refused(elb.describe_rules, RuleArns=[rule["RuleArn"]]) == ("RuleNotFound", "One or more rules not found", 400)


# ---------------------------------------------------- tags and catalogues
def test_tags_policies_and_limits(elb, ec2):
    net = network(ec2)
    lb_arn = alb(elb, net, Tags=[{"Key": "env", "Value": "dev"}])["LoadBalancerArn"]
    tg_arn = target_group(elb, net, Tags=[{"Key": "env", "Value": "dev"}])["TargetGroupArn"]
    l_arn = elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80, DefaultActions=forward(tg_arn),
                                Tags=[{"Key": "env", "Value": "dev"}])["Listeners"][0]["ListenerArn"]
    r_arn = elb.create_rule(ListenerArn=l_arn, Priority=1, Actions=forward(tg_arn), Conditions=[
        {"Field": "path-pattern", "Values": ["/a"]}], Tags=[{"Key": "env", "Value": "dev"}])["Rules"][0]["RuleArn"]
    arns = [lb_arn, tg_arn, l_arn, r_arn]
    elb.add_tags(ResourceArns=arns, Tags=[{"Key": "team", "Value": "web"}])
    elb.remove_tags(ResourceArns=arns, TagKeys=["env"])
    described = elb.describe_tags(ResourceArns=arns)["TagDescriptions"]
    assert [(d["ResourceArn"], d["Tags"]) for d in described] == [(a, [{"Key": "team", "Value": "web"}]) for a in arns]
    missing = lb_arn.replace(lb_arn.rsplit("/", 1)[1], "0123456789abcdef")
    assert refused(elb.add_tags, ResourceArns=[missing], Tags=[{"Key": "a", "Value": "b"}]) == (
        "LoadBalancerNotFound", f"Load balancer '{missing}' not found", 400)
    assert refused(elb.add_tags, ResourceArns=[lb_arn], Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])[0] == "TooManyTags"

    policies = {p["Name"]: p for p in elb.describe_ssl_policies()["SslPolicies"]}
    assert policies["ELBSecurityPolicy-2016-08"]["SslProtocols"] == ["TLSv1", "TLSv1.1", "TLSv1.2"]
    tls13 = policies["ELBSecurityPolicy-TLS13-1-2-2021-06"]
    assert tls13["SslProtocols"] == ["TLSv1.2", "TLSv1.3"]
    assert tls13["Ciphers"][0] == {"Name": "TLS_AES_128_GCM_SHA256", "Priority": 1}
    one = elb.describe_ssl_policies(Names=["ELBSecurityPolicy-TLS13-1-3-2021-06"])["SslPolicies"]
    assert [c["Name"] for c in one[0]["Ciphers"]] == ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]
    assert refused(elb.describe_ssl_policies, Names=["nope"])[0] == "SSLPolicyNotFound"
    limits = {l["Name"]: l["Max"] for l in elb.describe_account_limits()["Limits"]}
    assert limits["application-load-balancers"] == "50" and limits["target-groups"] == "3000"
    assert limits["rules-per-application-load-balancer"] == "100"


# ---------------------------------------------------------------- restart
def test_everything_survives_a_restart(server_factory):
    srv = server_factory(args=["--test-mode"])
    elb, ec2 = srv.client("elbv2"), srv.client("ec2")
    net = network(ec2)
    lb = alb(elb, net)
    tg_arn = target_group(elb, net, name="ips", TargetType="ip", HealthCheckIntervalSeconds=10,
                          HealthyThresholdCount=2)["TargetGroupArn"]
    elb.modify_target_group_attributes(TargetGroupArn=tg_arn, Attributes=[{"Key": "slow_start.duration_seconds", "Value": "30"}])
    l_arn = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                DefaultActions=forward(tg_arn))["Listeners"][0]["ListenerArn"]
    r_arn = elb.create_rule(ListenerArn=l_arn, Priority=5, Actions=forward(tg_arn), Conditions=[
        {"Field": "host-header", "Values": ["a.example.com"]}])["Rules"][0]["RuleArn"]
    elb.register_targets(TargetGroupArn=tg_arn, Targets=[{"Id": "10.0.1.10"}])
    srv.advance(30)
    eventually(lambda: states(elb, tg_arn) == {"10.0.1.10": ("healthy", None)} or _fail(states(elb, tg_arn)))

    srv.restart()
    elb = srv.client("elbv2")
    again = elb.describe_load_balancers()["LoadBalancers"][0]
    assert (again["LoadBalancerArn"], again["DNSName"]) == (lb["LoadBalancerArn"], lb["DNSName"])
    assert states(elb, tg_arn) == {"10.0.1.10": ("healthy", None)}
    attrs = {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(TargetGroupArn=tg_arn)["Attributes"]}
    assert attrs["slow_start.duration_seconds"] == "30"
    assert [r["RuleArn"] for r in elb.describe_rules(ListenerArn=l_arn)["Rules"]][0] == r_arn
    assert elb.describe_listeners(ListenerArns=[l_arn])["Listeners"][0]["Port"] == 80


# ---------------------------------------------------------------- aws CLI
def test_the_cli_as_a_user_types_it(server, aws, ec2):
    net = network(ec2)
    iid = launch(server, ec2, net["subnets"][0], net["sg"])[0]
    lb = aws("elbv2", "create-load-balancer", "--name", "cli-alb", "--subnets", *net["subnets"],
             "--security-groups", net["sg"])["LoadBalancers"][0]
    assert lb["State"]["Code"] == "provisioning"
    server.advance(5)
    aws("elbv2", "wait", "load-balancer-available", "--load-balancer-arns", lb["LoadBalancerArn"])
    tg = aws("elbv2", "create-target-group", "--name", "cli-tg", "--protocol", "HTTP", "--port", "80",
             "--vpc-id", net["vpc"], "--health-check-interval-seconds", "10", "--healthy-threshold-count", "2")["TargetGroups"][0]
    aws("elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"], "--protocol", "HTTP", "--port", "80",
        "--default-actions", f"Type=forward,TargetGroupArn={tg['TargetGroupArn']}")
    aws("elbv2", "register-targets", "--target-group-arn", tg["TargetGroupArn"], "--targets", f"Id={iid}")
    out = aws("elbv2", "describe-target-health", "--target-group-arn", tg["TargetGroupArn"])
    assert out["TargetHealthDescriptions"][0]["TargetHealth"]["State"] == "initial"
    server.advance(20)
    eventually(lambda: aws("elbv2", "describe-target-health", "--target-group-arn", tg["TargetGroupArn"])
               ["TargetHealthDescriptions"][0]["TargetHealth"]["State"] == "healthy" or _fail("not healthy"), timeout=15)
    proc = aws("elbv2", "delete-target-group", "--target-group-arn", tg["TargetGroupArn"], check=False)
    assert proc.returncode != 0 and "ResourceInUse" in proc.stderr


# ------------------------------------------------- network and gateway types
def test_network_and_gateway_load_balancers(elb, ec2):
    net = network(ec2)
    nlb = elb.create_load_balancer(Name="tcp", Type="network", Scheme="internal",
                                   SubnetMappings=[{"SubnetId": net["subnets"][0], "PrivateIPv4Address": "10.0.1.10"}])["LoadBalancers"][0]
    assert nlb["Type"] == "network" and re.fullmatch(r"internal-tcp-[0-9a-f]{16}\.us-east-1\.elb\.localhost", nlb["DNSName"])
    assert nlb["AvailabilityZones"][0]["LoadBalancerAddresses"] == [{"PrivateIPv4Address": "10.0.1.10"}]
    attrs = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=nlb["LoadBalancerArn"])["Attributes"]}
    assert attrs["load_balancing.cross_zone.enabled"] == "false" and "idle_timeout.timeout_seconds" not in attrs
    tcp = target_group(elb, net, name="tcp", Protocol="TCP")["TargetGroupArn"]
    udp = target_group(elb, net, name="udp", Protocol="UDP", Port=53)["TargetGroupArn"]
    tcp_attrs = {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(TargetGroupArn=tcp)["Attributes"]}
    assert tcp_attrs["stickiness.type"] == "source_ip" and tcp_attrs["preserve_client_ip.enabled"] == "true"
    listener = elb.create_listener(LoadBalancerArn=nlb["LoadBalancerArn"], Protocol="TCP", Port=443,
                                   DefaultActions=forward(tcp))["Listeners"][0]
    assert listener["Protocol"] == "TCP"
    assert refused(elb.create_listener, LoadBalancerArn=nlb["LoadBalancerArn"], Protocol="UDP", Port=53,
                   DefaultActions=forward(tcp))[0] == "IncompatibleProtocols"
    elb.create_listener(LoadBalancerArn=nlb["LoadBalancerArn"], Protocol="UDP", Port=53, DefaultActions=forward(udp))
    assert refused(elb.create_listener, LoadBalancerArn=nlb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                   DefaultActions=forward(tcp)) == (
        "ValidationError", "Listener protocol 'HTTP' must be one of 'TCP_UDP, TLS, UDP, TCP'", 400)
    assert refused(elb.create_rule, ListenerArn=listener["ListenerArn"], Priority=1, Actions=forward(tcp),
                   Conditions=[{"Field": "path-pattern", "Values": ["/a"]}])[0] == "ValidationError"
    tls = elb.create_listener(LoadBalancerArn=nlb["LoadBalancerArn"], Protocol="TLS", Port=8443,
                              Certificates=[{"CertificateArn": f"arn:aws:acm:us-east-1:{DEFAULT_ACCOUNT}:certificate/x"}],
                              SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06", AlpnPolicy=["HTTP2Preferred"],
                              DefaultActions=forward(tcp))["Listeners"][0]
    assert tls["AlpnPolicy"] == ["HTTP2Preferred"] and tls["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"

    gwlb = elb.create_load_balancer(Name="inspect", Type="gateway", Subnets=net["subnets"])["LoadBalancers"][0]
    assert gwlb["Type"] == "gateway" and "Scheme" not in gwlb and ":loadbalancer/gwy/inspect/" in gwlb["LoadBalancerArn"]
    assert refused(elb.create_load_balancer, Name="gw2", Type="gateway", Subnets=net["subnets"],
                   SecurityGroups=[net["sg"]])[0] == "ValidationError"
    geneve = target_group(elb, net, name="appliances", Protocol="GENEVE", Port=6081)
    assert (geneve["HealthCheckProtocol"], geneve["HealthCheckPort"], geneve["HealthCheckIntervalSeconds"]) == ("TCP", "80", 10)
    gl = elb.create_listener(LoadBalancerArn=gwlb["LoadBalancerArn"], DefaultActions=forward(geneve["TargetGroupArn"]))["Listeners"][0]
    assert "Protocol" not in gl and "Port" not in gl


def test_healthy_host_counts_and_instance_cpu_reach_cloudwatch(server, elb, ec2):
    cw = server.client("cloudwatch")
    net = network(ec2)
    a = launch(server, ec2, net["subnets"][0], net["sg"])[0]
    b = launch(server, ec2, net["subnets"][1], net["sg"])[0]
    lb = alb(elb, net)
    tg = target_group(elb, net, HealthCheckIntervalSeconds=10, HealthyThresholdCount=2)
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=forward(tg["TargetGroupArn"]))
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": a}, {"Id": b}])
    server.advance(25)
    eventually(lambda: states(elb, tg["TargetGroupArn"]) == {a: ("healthy", None), b: ("healthy", None)}
               or _fail(states(elb, tg["TargetGroupArn"])))
    ec2.create_tags(Resources=[a], Tags=[{"Key": "stratus:cpu-utilization", "Value": "73"}])
    server.advance(60)
    dims = [{"Name": "TargetGroup", "Value": "targetgroup/" + tg["TargetGroupArn"].split(":targetgroup/")[1]},
            {"Name": "LoadBalancer", "Value": lb["LoadBalancerArn"].split(":loadbalancer/")[1]}]
    end = server.now()
    start = end - datetime.timedelta(minutes=5)

    def latest(namespace, name, dimensions):
        points = cw.get_metric_statistics(Namespace=namespace, MetricName=name, Dimensions=dimensions,
                                          StartTime=start, EndTime=end, Period=60,
                                          Statistics=["Maximum"])["Datapoints"]
        return max(points, key=lambda p: p["Timestamp"])["Maximum"] if points else None

    eventually(lambda: latest("AWS/ApplicationELB", "HealthyHostCount", dims) == 2.0
               or _fail(latest("AWS/ApplicationELB", "HealthyHostCount", dims)))
    assert latest("AWS/ApplicationELB", "UnHealthyHostCount", dims) == 0.0
    # EC2 publishes its minute on its own tick, apart from the load balancer's.
    eventually(lambda: latest("AWS/EC2", "CPUUtilization", [{"Name": "InstanceId", "Value": a}]) == 73.0
               or _fail(latest("AWS/EC2", "CPUUtilization", [{"Name": "InstanceId", "Value": a}])))
    idle = latest("AWS/EC2", "CPUUtilization", [{"Name": "InstanceId", "Value": b}])
    assert idle is not None and idle < 5.0
