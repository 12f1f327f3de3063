"""Classic Elastic Load Balancing (the `elb` API) through boto3 and the aws
CLI: load balancers in subnets or default-VPC zones, listeners and their
policies, attributes, tags, instances registered and checked on the clock,
connection draining, Auto Scaling groups that name a Classic load balancer,
the refusals AWS gives, and state that survives a restart."""

from __future__ import annotations

import re

import pytest
from botocore.exceptions import ClientError

from helpers import DEFAULT_ACCOUNT, error_of, until

CERT = f"arn:aws:iam::{DEFAULT_ACCOUNT}:server-certificate/web"
HTTP80 = {"Protocol": "HTTP", "LoadBalancerPort": 80, "InstanceProtocol": "HTTP", "InstancePort": 80}


@pytest.fixture
def elb(server):
    return server.client("elb")


@pytest.fixture
def ec2(server):
    return server.client("ec2")


def network(ec2, cidr="10.30.0.0/16", zones=("us-east-1a", "us-east-1b", "us-east-1c")):
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    base = cidr.split(".")[:2]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"{base[0]}.{base[1]}.{i + 1}.0/24", AvailabilityZone=z)["Subnet"]["SubnetId"]
        for i, z in enumerate(zones)
    ]
    sg = ec2.create_security_group(GroupName=f"web-{vpc}", Description="web", VpcId=vpc)["GroupId"]
    return {"vpc": vpc, "subnets": subnets, "sg": sg}


def launch(server, ec2, subnet, count=1):
    ami = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023*-x86_64"]}])["Images"][0]["ImageId"]
    ids = [i["InstanceId"] for i in ec2.run_instances(
        ImageId=ami, InstanceType="t3.micro", MinCount=count, MaxCount=count, SubnetId=subnet)["Instances"]]
    server.advance(5)
    return ids


def refused(call, **kw):
    with pytest.raises(ClientError) as e:
        call(**kw)
    return error_of(e.value)



def health(elb, name, **kw):
    return {s["InstanceId"]: (s["State"], s["ReasonCode"], s["Description"])
            for s in elb.describe_instance_health(LoadBalancerName=name, **kw)["InstanceStates"]}


def describe(elb, name):
    return elb.describe_load_balancers(LoadBalancerNames=[name])["LoadBalancerDescriptions"][0]


# ------------------------------------------------------------ load balancers
def test_load_balancer_in_subnets_is_described_as_aws_describes_it(elb, ec2):
    net = network(ec2)
    out = elb.create_load_balancer(LoadBalancerName="web", Listeners=[HTTP80], Subnets=net["subnets"][:2],
                                   SecurityGroups=[net["sg"]], Tags=[{"Key": "team", "Value": "web"}])
    assert re.fullmatch(r"web-\d{10}\.us-east-1\.elb\.localhost", out["DNSName"])
    d = describe(elb, "web")
    assert d["DNSName"] == out["DNSName"] == d["CanonicalHostedZoneName"]
    assert d["CanonicalHostedZoneNameID"] == "Z35SXDOTRQ7X7K"
    assert d["ListenerDescriptions"] == [{"Listener": HTTP80, "PolicyNames": []}]
    assert (d["VPCId"], d["Subnets"], d["AvailabilityZones"]) == (net["vpc"], net["subnets"][:2], ["us-east-1a", "us-east-1b"])
    assert d["SecurityGroups"] == [net["sg"]]
    assert d["SourceSecurityGroup"] == {"OwnerAlias": DEFAULT_ACCOUNT, "GroupName": f"web-{net['vpc']}"}
    assert d["HealthCheck"] == {"Target": "TCP:80", "Interval": 30, "Timeout": 5, "UnhealthyThreshold": 2, "HealthyThreshold": 10}
    assert d["Scheme"] == "internet-facing" and d["Instances"] == []
    assert d["Policies"] == {"AppCookieStickinessPolicies": [], "LBCookieStickinessPolicies": [], "OtherPolicies": []}
    assert elb.describe_tags(LoadBalancerNames=["web"])["TagDescriptions"] == [
        {"LoadBalancerName": "web", "Tags": [{"Key": "team", "Value": "web"}]}]

    # The same request again answers with the same name; a different one is refused.
    again = elb.create_load_balancer(LoadBalancerName="web", Listeners=[HTTP80], Subnets=net["subnets"][:2],
                                     SecurityGroups=[net["sg"]])
    assert again["DNSName"] == out["DNSName"]
    code, msg, status = refused(elb.create_load_balancer, LoadBalancerName="web", Subnets=net["subnets"][:2],
                                Listeners=[{**HTTP80, "LoadBalancerPort": 8080}])
    assert (code, status) == ("DuplicateLoadBalancerName", 400) and "web" in msg

    internal = elb.create_load_balancer(LoadBalancerName="inside", Listeners=[HTTP80], Subnets=[net["subnets"][0]],
                                        Scheme="internal")
    assert internal["DNSName"].startswith("internal-inside-")
    d = describe(elb, "inside")
    assert "CanonicalHostedZoneName" not in d and d["Scheme"] == "internal"
    default_sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [net["vpc"]]},
                                                       {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]
    assert d["SecurityGroups"] == [default_sg["GroupId"]]

    names = [x["LoadBalancerName"] for x in elb.describe_load_balancers()["LoadBalancerDescriptions"]]
    assert sorted(names) == ["inside", "web"]
    page = elb.describe_load_balancers(PageSize=1)
    assert len(page["LoadBalancerDescriptions"]) == 1 and page["NextMarker"]
    rest = elb.describe_load_balancers(Marker=page["NextMarker"])["LoadBalancerDescriptions"]
    assert {page["LoadBalancerDescriptions"][0]["LoadBalancerName"], rest[0]["LoadBalancerName"]} == {"inside", "web"}

    elb.delete_load_balancer(LoadBalancerName="web")
    elb.delete_load_balancer(LoadBalancerName="web")  # deleting what is gone is not an error
    assert refused(elb.describe_load_balancers, LoadBalancerNames=["web"]) == (
        "LoadBalancerNotFound", "There is no ACTIVE Load Balancer named 'web'", 400)


def test_zones_alone_place_the_load_balancer_in_the_default_vpc(elb, ec2):
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    defaults = {s["AvailabilityZone"]: s["SubnetId"] for s in ec2.describe_subnets(
        Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]}
    elb.create_load_balancer(LoadBalancerName="zones", Listeners=[HTTP80], AvailabilityZones=["us-east-1a"])
    d = describe(elb, "zones")
    assert (d["VPCId"], d["AvailabilityZones"], d["Subnets"]) == (default_vpc, ["us-east-1a"], [defaults["us-east-1a"]])
    assert elb.enable_availability_zones_for_load_balancer(
        LoadBalancerName="zones", AvailabilityZones=["us-east-1b"])["AvailabilityZones"] == ["us-east-1a", "us-east-1b"]
    assert describe(elb, "zones")["Subnets"] == [defaults["us-east-1a"], defaults["us-east-1b"]]
    assert elb.disable_availability_zones_for_load_balancer(
        LoadBalancerName="zones", AvailabilityZones=["us-east-1a"])["AvailabilityZones"] == ["us-east-1b"]
    assert refused(elb.disable_availability_zones_for_load_balancer, LoadBalancerName="zones",
                   AvailabilityZones=["us-east-1b"])[0] == "ValidationError"
    assert refused(elb.create_load_balancer, LoadBalancerName="far", Listeners=[HTTP80],
                   AvailabilityZones=["eu-west-1a"])[0] == "ValidationError"


def test_bad_requests_get_aws_errors(elb, ec2):
    net = network(ec2)
    sub = net["subnets"]

    def code(**kw):
        kw.setdefault("LoadBalancerName", "bad")
        kw.setdefault("Listeners", [HTTP80])
        c, _, status = refused(elb.create_load_balancer, **kw)
        return c, status

    assert code() == ("ValidationError", 400)  # neither zones nor subnets
    assert code(Subnets=sub[:1], AvailabilityZones=["us-east-1a"]) == ("ValidationError", 400)
    assert code(LoadBalancerName="-bad", Subnets=sub[:1]) == ("ValidationError", 400)
    assert code(Subnets=sub[:1], Scheme="public") == ("InvalidScheme", 400)
    assert code(Subnets=["subnet-0123456789abcdef0"]) == ("SubnetNotFound", 400)
    other = ec2.create_subnet(VpcId=net["vpc"], CidrBlock="10.30.9.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    assert code(Subnets=[sub[0], other]) == ("InvalidConfigurationRequest", 409)
    assert code(Subnets=sub[:1], SecurityGroups=["sg-0123456789abcdef0"]) == ("InvalidSecurityGroup", 400)
    https = {"Protocol": "HTTPS", "LoadBalancerPort": 443, "InstancePort": 80}
    assert code(Subnets=sub[:1], Listeners=[https]) == ("ValidationError", 400)
    assert code(Subnets=sub[:1], Listeners=[{**https, "SSLCertificateId": "not-a-cert"}]) == ("CertificateNotFound", 400)
    assert code(Subnets=sub[:1], Listeners=[{**HTTP80, "InstanceProtocol": "TCP"}]) == ("InvalidConfigurationRequest", 409)
    assert code(Subnets=sub[:1], Listeners=[HTTP80, {**HTTP80, "InstancePort": 8080}]) == ("DuplicateListener", 400)
    assert code(Subnets=sub[:1], Listeners=[{**HTTP80, "LoadBalancerPort": 81}]) == ("ValidationError", 400)
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(11)]
    assert code(Subnets=sub[:1], Tags=tags) == ("TooManyTags", 400)
    assert code(Subnets=sub[:1], Tags=[{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]) == ("DuplicateTagKeys", 400)
    assert elb.describe_load_balancers()["LoadBalancerDescriptions"] == []
    for call, kw in [
        (elb.describe_load_balancer_attributes, {}),
        (elb.configure_health_check, {"HealthCheck": {"Target": "TCP:80", "Interval": 30, "Timeout": 5,
                                                      "UnhealthyThreshold": 2, "HealthyThreshold": 2}}),
        (elb.register_instances_with_load_balancer, {"Instances": [{"InstanceId": "i-0123456789abcdef0"}]}),
        (elb.describe_instance_health, {}),
    ]:
        assert refused(call, LoadBalancerName="nope", **kw)[0] == "LoadBalancerNotFound"


# ------------------------------------------------------------ instances
def test_instances_become_in_service_and_follow_their_ec2_state(server, elb, ec2):
    net = network(ec2)
    elb.create_load_balancer(LoadBalancerName="web", Listeners=[HTTP80], Subnets=net["subnets"][:2])
    a, b = launch(server, ec2, net["subnets"][0], count=2)
    hc = {"Target": "HTTP:80/index.html", "Interval": 10, "Timeout": 5, "UnhealthyThreshold": 2, "HealthyThreshold": 3}
    assert elb.configure_health_check(LoadBalancerName="web", HealthCheck=hc)["HealthCheck"] == hc
    out = elb.register_instances_with_load_balancer(LoadBalancerName="web", Instances=[{"InstanceId": a}, {"InstanceId": b}])
    assert sorted(i["InstanceId"] for i in out["Instances"]) == sorted([a, b])
    assert health(elb, "web")[a] == ("OutOfService", "ELB", "Instance registration is still in progress.")
    server.advance(10)
    until(lambda: health(elb, "web")[a][2].startswith("Instance has not passed"), what="first check")
    server.advance(20)
    until(lambda: set(health(elb, "web").values()) == {("InService", "N/A", "N/A")}, what="both InService")

    ec2.stop_instances(InstanceIds=[b])
    server.advance(10)
    until(lambda: health(elb, "web")[b] == ("OutOfService", "Instance", "Instance is in stopped state."), what="stopped")
    assert health(elb, "web", Instances=[{"InstanceId": a}]) == {a: ("InService", "N/A", "N/A")}
    ec2.start_instances(InstanceIds=[b])
    server.advance(5)
    until(lambda: health(elb, "web")[b][0] == "OutOfService" and "stopped" not in health(elb, "web")[b][2],
          what="checks restart")
    for _ in range(4):
        server.advance(10)
    until(lambda: health(elb, "web")[b] == ("InService", "N/A", "N/A"), what="back in service")

    # Terminated instances leave the load balancer.
    ec2.terminate_instances(InstanceIds=[b])
    server.advance(5)
    until(lambda: [i["InstanceId"] for i in describe(elb, "web")["Instances"]] == [a], what="terminated deregistered")

    # Instances outside it, and ones EC2 does not know.
    (c,) = launch(server, ec2, net["subnets"][1])
    assert health(elb, "web", Instances=[{"InstanceId": c}]) == {
        c: ("Unknown", "N/A", "Instance is not currently registered with the LoadBalancer.")}
    ghost = "i-0123456789abcdef0"
    assert refused(elb.describe_instance_health, LoadBalancerName="web", Instances=[{"InstanceId": ghost}])[0] == "InvalidInstance"
    assert refused(elb.register_instances_with_load_balancer, LoadBalancerName="web",
                   Instances=[{"InstanceId": ghost}])[0] == "InvalidInstance"
    assert refused(elb.deregister_instances_from_load_balancer, LoadBalancerName="web",
                   Instances=[{"InstanceId": c}])[0] == "InvalidInstance"
    other = network(ec2, cidr="10.31.0.0/16")
    (d,) = launch(server, ec2, other["subnets"][0])
    assert refused(elb.register_instances_with_load_balancer, LoadBalancerName="web",
                   Instances=[{"InstanceId": d}])[0] == "InvalidInstance"

    out = elb.deregister_instances_from_load_balancer(LoadBalancerName="web", Instances=[{"InstanceId": a}])
    assert out["Instances"] == []
    assert health(elb, "web") == {}


def test_instances_in_a_zone_the_load_balancer_left_go_out_of_service(server, elb, ec2):
    net = network(ec2)
    elb.create_load_balancer(LoadBalancerName="zoned", Listeners=[HTTP80], Subnets=net["subnets"][:2])
    (a,) = launch(server, ec2, net["subnets"][1])
    elb.register_instances_with_load_balancer(LoadBalancerName="zoned", Instances=[{"InstanceId": a}])
    assert elb.detach_load_balancer_from_subnets(LoadBalancerName="zoned", Subnets=[net["subnets"][1]])["Subnets"] == [net["subnets"][0]]
    server.advance(5)
    until(lambda: health(elb, "zoned")[a][:2] == ("OutOfService", "ELB") and "Availability Zone" in health(elb, "zoned")[a][2],
          what="zone not served")
    assert refused(elb.detach_load_balancer_from_subnets, LoadBalancerName="zoned",
                   Subnets=[net["subnets"][0]])[0] == "InvalidConfigurationRequest"
    assert elb.attach_load_balancer_to_subnets(LoadBalancerName="zoned", Subnets=[net["subnets"][1], net["subnets"][2]])[
        "Subnets"] == net["subnets"]
    server.advance(5)
    until(lambda: "registration" in health(elb, "zoned")[a][2], what="checked again")
    assert refused(elb.attach_load_balancer_to_subnets, LoadBalancerName="zoned", Subnets=["subnet-0123456789abcdef0"])[0] == "SubnetNotFound"
    other = network(ec2, cidr="10.32.0.0/16")
    assert refused(elb.attach_load_balancer_to_subnets, LoadBalancerName="zoned", Subnets=[other["subnets"][0]])[0] == "InvalidSubnet"
    assert elb.apply_security_groups_to_load_balancer(LoadBalancerName="zoned", SecurityGroups=[net["sg"]])[
        "SecurityGroups"] == [net["sg"]]
    assert refused(elb.apply_security_groups_to_load_balancer, LoadBalancerName="zoned",
                   SecurityGroups=[other["sg"]])[0] == "InvalidSecurityGroup"


def test_connection_draining_keeps_a_deregistered_instance_until_the_timeout(server, elb, ec2):
    net = network(ec2)
    elb.create_load_balancer(LoadBalancerName="drain", Listeners=[HTTP80], Subnets=net["subnets"][:1])
    out = elb.modify_load_balancer_attributes(LoadBalancerName="drain", LoadBalancerAttributes={
        "ConnectionDraining": {"Enabled": True, "Timeout": 30}})
    assert out["LoadBalancerAttributes"]["ConnectionDraining"] == {"Enabled": True, "Timeout": 30}
    (a,) = launch(server, ec2, net["subnets"][0])
    elb.register_instances_with_load_balancer(LoadBalancerName="drain", Instances=[{"InstanceId": a}])
    assert elb.deregister_instances_from_load_balancer(LoadBalancerName="drain", Instances=[{"InstanceId": a}])["Instances"] == []
    assert describe(elb, "drain")["Instances"] == []
    assert health(elb, "drain")[a] == ("InService", "N/A", "Instance deregistration currently in progress.")
    server.advance(31)
    until(lambda: health(elb, "drain") == {}, what="draining over")


# ------------------------------------------------------------ listeners and policies
def test_listeners_and_their_policies(elb, ec2):
    net = network(ec2)
    elb.create_load_balancer(LoadBalancerName="pol", Listeners=[HTTP80], Subnets=net["subnets"][:1])
    https = {"Protocol": "HTTPS", "LoadBalancerPort": 443, "InstanceProtocol": "HTTP", "InstancePort": 80, "SSLCertificateId": CERT}
    tcp = {"Protocol": "TCP", "LoadBalancerPort": 8443, "InstanceProtocol": "TCP", "InstancePort": 8443}
    elb.create_load_balancer_listeners(LoadBalancerName="pol", Listeners=[https, tcp])
    elb.create_load_balancer_listeners(LoadBalancerName="pol", Listeners=[HTTP80])  # the same again: no change
    assert refused(elb.create_load_balancer_listeners, LoadBalancerName="pol",
                   Listeners=[{**HTTP80, "InstancePort": 81}])[0] == "DuplicateListener"
    by_port = {x["Listener"]["LoadBalancerPort"]: x for x in describe(elb, "pol")["ListenerDescriptions"]}
    assert sorted(by_port) == [80, 443, 8443]
    assert by_port[443]["PolicyNames"] == ["ELBSecurityPolicy-2016-08"]

    elb.create_lb_cookie_stickiness_policy(LoadBalancerName="pol", PolicyName="sticky", CookieExpirationPeriod=60)
    elb.create_app_cookie_stickiness_policy(LoadBalancerName="pol", PolicyName="app", CookieName="SESSION")
    elb.create_load_balancer_policy(LoadBalancerName="pol", PolicyName="proxy", PolicyTypeName="ProxyProtocolPolicyType",
                                    PolicyAttributes=[{"AttributeName": "ProxyProtocol", "AttributeValue": "true"}])
    assert refused(elb.create_lb_cookie_stickiness_policy, LoadBalancerName="pol", PolicyName="sticky")[0] == "DuplicatePolicyName"
    assert refused(elb.create_load_balancer_policy, LoadBalancerName="pol", PolicyName="x",
                   PolicyTypeName="NoSuchPolicyType")[0] == "PolicyTypeNotFound"
    assert refused(elb.create_load_balancer_policy, LoadBalancerName="pol", PolicyName="x", PolicyTypeName="ProxyProtocolPolicyType",
                   PolicyAttributes=[{"AttributeName": "Nope", "AttributeValue": "1"}])[0] == "InvalidConfigurationRequest"

    elb.set_load_balancer_policies_of_listener(LoadBalancerName="pol", LoadBalancerPort=80, PolicyNames=["sticky"])
    elb.set_load_balancer_policies_for_backend_server(LoadBalancerName="pol", InstancePort=8443, PolicyNames=["proxy"])
    d = describe(elb, "pol")
    assert d["Policies"]["LBCookieStickinessPolicies"] == [{"PolicyName": "sticky", "CookieExpirationPeriod": 60}]
    assert d["Policies"]["AppCookieStickinessPolicies"] == [{"PolicyName": "app", "CookieName": "SESSION"}]
    assert sorted(d["Policies"]["OtherPolicies"]) == ["ELBSecurityPolicy-2016-08", "proxy"]
    assert d["BackendServerDescriptions"] == [{"InstancePort": 8443, "PolicyNames": ["proxy"]}]
    assert {x["Listener"]["LoadBalancerPort"]: x["PolicyNames"] for x in d["ListenerDescriptions"]}[80] == ["sticky"]

    assert refused(elb.set_load_balancer_policies_of_listener, LoadBalancerName="pol", LoadBalancerPort=8443,
                   PolicyNames=["sticky"])[0] == "InvalidConfigurationRequest"
    assert refused(elb.set_load_balancer_policies_of_listener, LoadBalancerName="pol", LoadBalancerPort=9999,
                   PolicyNames=["sticky"])[0] == "ListenerNotFound"
    assert refused(elb.set_load_balancer_policies_of_listener, LoadBalancerName="pol", LoadBalancerPort=80,
                   PolicyNames=["missing"])[0] == "PolicyNotFound"
    assert refused(elb.delete_load_balancer_policy, LoadBalancerName="pol", PolicyName="sticky")[0] == "InvalidConfigurationRequest"
    elb.set_load_balancer_policies_of_listener(LoadBalancerName="pol", LoadBalancerPort=80, PolicyNames=[])
    elb.delete_load_balancer_policy(LoadBalancerName="pol", PolicyName="sticky")
    names = [p["PolicyName"] for p in elb.describe_load_balancer_policies(LoadBalancerName="pol")["PolicyDescriptions"]]
    assert sorted(names) == ["ELBSecurityPolicy-2016-08", "app", "proxy"]
    proxy = elb.describe_load_balancer_policies(LoadBalancerName="pol", PolicyNames=["proxy"])["PolicyDescriptions"][0]
    assert proxy["PolicyAttributeDescriptions"] == [{"AttributeName": "ProxyProtocol", "AttributeValue": "true"}]

    predefined = {p["PolicyName"] for p in elb.describe_load_balancer_policies()["PolicyDescriptions"]}
    assert {"ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS-1-2-2017-01"} <= predefined
    types = {t["PolicyTypeName"] for t in elb.describe_load_balancer_policy_types()["PolicyTypeDescriptions"]}
    assert {"SSLNegotiationPolicyType", "LBCookieStickinessPolicyType", "ProxyProtocolPolicyType"} <= types

    assert refused(elb.set_load_balancer_listener_ssl_certificate, LoadBalancerName="pol", LoadBalancerPort=80,
                   SSLCertificateId=CERT)[0] == "InvalidConfigurationRequest"
    new_cert = CERT.replace("/web", "/web-2")
    elb.set_load_balancer_listener_ssl_certificate(LoadBalancerName="pol", LoadBalancerPort=443, SSLCertificateId=new_cert)
    elb.delete_load_balancer_listeners(LoadBalancerName="pol", LoadBalancerPorts=[8443])
    listeners = {x["Listener"]["LoadBalancerPort"]: x["Listener"] for x in describe(elb, "pol")["ListenerDescriptions"]}
    assert sorted(listeners) == [80, 443] and listeners[443]["SSLCertificateId"] == new_cert


def test_attributes_tags_and_limits(elb, ec2):
    net = network(ec2)
    elb.create_load_balancer(LoadBalancerName="attrs", Listeners=[HTTP80], Subnets=net["subnets"][:1])
    attrs = elb.describe_load_balancer_attributes(LoadBalancerName="attrs")["LoadBalancerAttributes"]
    assert attrs["CrossZoneLoadBalancing"] == {"Enabled": False}
    assert attrs["ConnectionDraining"] == {"Enabled": False, "Timeout": 300}
    assert attrs["ConnectionSettings"] == {"IdleTimeout": 60}
    assert attrs["AccessLog"]["Enabled"] is False
    assert attrs["AdditionalAttributes"] == [{"Key": "elb.http.desyncmitigationmode", "Value": "defensive"}]
    elb.modify_load_balancer_attributes(LoadBalancerName="attrs", LoadBalancerAttributes={
        "CrossZoneLoadBalancing": {"Enabled": True},
        "AccessLog": {"Enabled": True, "S3BucketName": "logs", "EmitInterval": 5, "S3BucketPrefix": "elb"},
        "ConnectionSettings": {"IdleTimeout": 120},
        "AdditionalAttributes": [{"Key": "elb.http.desyncmitigationmode", "Value": "strictest"}]})
    attrs = elb.describe_load_balancer_attributes(LoadBalancerName="attrs")["LoadBalancerAttributes"]
    assert attrs["CrossZoneLoadBalancing"] == {"Enabled": True} and attrs["ConnectionSettings"] == {"IdleTimeout": 120}
    assert attrs["AccessLog"] == {"Enabled": True, "S3BucketName": "logs", "EmitInterval": 5, "S3BucketPrefix": "elb"}
    for bad, want in [
        ({"ConnectionSettings": {"IdleTimeout": 5000}}, "ValidationError"),
        ({"ConnectionDraining": {"Enabled": True, "Timeout": 0}}, "ValidationError"),
        ({"AccessLog": {"Enabled": True, "EmitInterval": 5}}, "ValidationError"),
        ({"AdditionalAttributes": [{"Key": "elb.nope", "Value": "x"}]}, "LoadBalancerAttributeNotFound"),
    ]:
        assert refused(elb.modify_load_balancer_attributes, LoadBalancerName="attrs", LoadBalancerAttributes=bad)[0] == want
    assert refused(elb.configure_health_check, LoadBalancerName="attrs", HealthCheck={
        "Target": "HTTP:80", "Interval": 30, "Timeout": 5, "UnhealthyThreshold": 2, "HealthyThreshold": 2})[0] == "ValidationError"
    assert refused(elb.configure_health_check, LoadBalancerName="attrs", HealthCheck={
        "Target": "TCP:80", "Interval": 10, "Timeout": 10, "UnhealthyThreshold": 2, "HealthyThreshold": 2})[0] == "ValidationError"

    elb.add_tags(LoadBalancerNames=["attrs"], Tags=[{"Key": "env", "Value": "dev"}, {"Key": "app", "Value": "shop"}])
    elb.remove_tags(LoadBalancerNames=["attrs"], Tags=[{"Key": "app"}])
    assert elb.describe_tags(LoadBalancerNames=["attrs"])["TagDescriptions"][0]["Tags"] == [{"Key": "env", "Value": "dev"}]
    assert refused(elb.add_tags, LoadBalancerNames=["attrs"],
                   Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(10)])[0] == "TooManyTags"
    assert refused(elb.describe_tags, LoadBalancerNames=["attrs", "nope"])[0] == "LoadBalancerNotFound"

    limits = {x["Name"]: x["Max"] for x in elb.describe_account_limits()["Limits"]}
    assert limits == {"classic-load-balancers": "20", "classic-listeners": "100", "classic-registered-instances": "1000"}


# ------------------------------------------------------------ Auto Scaling
def test_auto_scaling_group_registers_its_instances_in_a_classic_load_balancer(server, elb, ec2):
    net = network(ec2)
    asg = server.client("autoscaling")
    elb.create_load_balancer(LoadBalancerName="asg-clb", Listeners=[HTTP80], Subnets=net["subnets"][:2])
    elb.configure_health_check(LoadBalancerName="asg-clb", HealthCheck={
        "Target": "HTTP:80/", "Interval": 10, "Timeout": 5, "UnhealthyThreshold": 2, "HealthyThreshold": 2})
    ami = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023*-x86_64"]}])["Images"][0]["ImageId"]
    ec2.create_launch_template(LaunchTemplateName="clb-web", LaunchTemplateData={"ImageId": ami, "InstanceType": "t3.micro"})
    group = dict(AutoScalingGroupName="clb-web", LaunchTemplate={"LaunchTemplateName": "clb-web"}, MinSize=0, MaxSize=4,
                 DesiredCapacity=2, VPCZoneIdentifier=",".join(net["subnets"][:2]))
    code, msg, _ = refused(asg.create_auto_scaling_group, **group, LoadBalancerNames=["missing-clb"])
    assert code == "ValidationError" and "Load Balancers" in msg
    asg.create_auto_scaling_group(**group, LoadBalancerNames=["asg-clb"], HealthCheckType="ELB", HealthCheckGracePeriod=30)
    server.advance(5)

    def members():
        g = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["clb-web"])["AutoScalingGroups"][0]
        return {i["InstanceId"] for i in g["Instances"] if i["LifecycleState"] == "InService"}

    ids = until(lambda: len(members()) == 2 and members(), what="two instances in service")
    until(lambda: {i["InstanceId"] for i in describe(elb, "asg-clb")["Instances"]} == ids, what="registered")
    for _ in range(3):
        server.advance(10)
    until(lambda: {s for s, _, _ in health(elb, "asg-clb").values()} == {"InService"}, what="InService")
    assert asg.describe_load_balancers(AutoScalingGroupName="clb-web")["LoadBalancers"] == [
        {"LoadBalancerName": "asg-clb", "State": "InService"}]
    sources = asg.describe_traffic_sources(AutoScalingGroupName="clb-web")["TrafficSources"]
    assert [(s["Identifier"], s["Type"]) for s in sources] == [("asg-clb", "elb")]

    # Scale-in deregisters; detaching the load balancer deregisters the rest.
    asg.set_desired_capacity(AutoScalingGroupName="clb-web", DesiredCapacity=1)
    server.advance(5)
    until(lambda: len(describe(elb, "asg-clb")["Instances"]) == 1, what="one registered")
    asg.detach_load_balancers(AutoScalingGroupName="clb-web", LoadBalancerNames=["asg-clb"])
    until(lambda: describe(elb, "asg-clb")["Instances"] == [], what="all deregistered")
    asg.attach_load_balancers(AutoScalingGroupName="clb-web", LoadBalancerNames=["asg-clb"])
    assert {i["InstanceId"] for i in describe(elb, "asg-clb")["Instances"]} == members()
    assert refused(asg.attach_load_balancers, AutoScalingGroupName="clb-web",
                   LoadBalancerNames=["missing-clb"])[0] == "ValidationError"


# ------------------------------------------------------------ persistence and the CLI
def test_everything_survives_a_restart(server_factory):
    srv = server_factory(args=["--test-mode"])
    elb, ec2 = srv.client("elb"), srv.client("ec2")
    net = network(ec2)
    elb.create_load_balancer(LoadBalancerName="keep", Listeners=[HTTP80], Subnets=net["subnets"][:2],
                             Tags=[{"Key": "k", "Value": "v"}])
    elb.configure_health_check(LoadBalancerName="keep", HealthCheck={
        "Target": "TCP:80", "Interval": 10, "Timeout": 5, "UnhealthyThreshold": 2, "HealthyThreshold": 2})
    elb.create_lb_cookie_stickiness_policy(LoadBalancerName="keep", PolicyName="sticky")
    elb.set_load_balancer_policies_of_listener(LoadBalancerName="keep", LoadBalancerPort=80, PolicyNames=["sticky"])
    (a,) = launch(srv, ec2, net["subnets"][0])
    elb.register_instances_with_load_balancer(LoadBalancerName="keep", Instances=[{"InstanceId": a}])
    for _ in range(3):
        srv.advance(10)
    until(lambda: health(elb, "keep")[a][0] == "InService", what="InService")
    before = describe(elb, "keep")

    srv.restart()
    elb = srv.client("elb")
    assert describe(elb, "keep") == before
    assert health(elb, "keep")[a][0] == "InService"
    assert elb.describe_tags(LoadBalancerNames=["keep"])["TagDescriptions"][0]["Tags"] == [{"Key": "k", "Value": "v"}]


def test_the_cli_as_a_user_types_it(server, aws, ec2):
    net = network(ec2)
    (iid,) = launch(server, ec2, net["subnets"][0])
    out = aws("elb", "create-load-balancer", "--load-balancer-name", "cli-clb",
              "--listeners", "Protocol=HTTP,LoadBalancerPort=80,InstanceProtocol=HTTP,InstancePort=80",
              "--subnets", *net["subnets"][:2], "--security-groups", net["sg"])
    assert out["DNSName"].startswith("cli-clb-")
    aws("elb", "configure-health-check", "--load-balancer-name", "cli-clb",
        "--health-check", "Target=HTTP:80/,Interval=10,UnhealthyThreshold=2,HealthyThreshold=2,Timeout=5")
    aws("elb", "register-instances-with-load-balancer", "--load-balancer-name", "cli-clb", "--instances", iid)
    server.advance(25)
    until(lambda: aws("elb", "describe-instance-health", "--load-balancer-name", "cli-clb")
          ["InstanceStates"][0]["State"] == "InService", what="InService")
    aws("elb", "wait", "instance-in-service", "--load-balancer-name", "cli-clb", "--instances", iid)
    proc = aws("elb", "describe-load-balancers", "--load-balancer-names", "nope", check=False)
    assert proc.returncode != 0 and "LoadBalancerNotFound" in proc.stderr
    aws("elb", "delete-load-balancer", "--load-balancer-name", "cli-clb")
    assert aws("elb", "describe-load-balancers")["LoadBalancerDescriptions"] == []
