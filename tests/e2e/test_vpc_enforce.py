"""The VPC, enforced, with instances that run: security groups in each
instance's namespace, route tables, internet and NAT gateways and network
ACLs in the VPC's router, and the namespace that stands for the internet
(`stratus<port>-inet`), from which public addresses answer. Needs root
(network namespaces) and nft."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from conftest import Server, run_aws
from helpers import until

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("nft"),
    reason="enforcement needs root, ip and nft")

# Where the internet namespace has an address of its own (INTERNET_HOST).
INTERNET_HOST = "192.0.0.8"

# Each instance serves its host name.
WEB = """#!/bin/sh
D=/tmp/stratus-web-$(hostname) && mkdir -p $D && cd $D && hostname > index.html
nohup python3 -m http.server 80 >/dev/null 2>&1 &
echo up
"""


@pytest.fixture(scope="module")
def runtime_server(tmp_path_factory):
    """A test-mode server whose instances run as processes."""
    srv = Server(tmp_path_factory.mktemp("stratus-vpc"),
                 args=["--ephemeral", "--test-mode", "--instance-runtime", "process"])
    srv.start()
    yield srv
    try:
        srv.stop(timeout=15)
    finally:
        srv.kill()


@pytest.fixture
def rt(runtime_server):
    runtime_server.reset()
    return runtime_server



def namespaces(port):
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.startswith(f"stratus{port}-")}


def curl(ns, url, timeout=2):
    """The body `curl` gets from inside namespace `ns`, or None."""
    p = subprocess.run(["ip", "netns", "exec", ns, "curl", "-s", "-m", str(timeout), url],
                       capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else None


def answers(ns, url):
    return until(lambda: curl(ns, url), what=f"{url} from {ns}")


def stays_silent(ns, url, tries=3):
    """No answer, several times over (a change applies within a tick)."""
    time.sleep(0.5)
    return all(curl(ns, url, timeout=1) is None for _ in range(tries))


def console(ec2, iid):
    return ec2.get_console_output(InstanceId=iid).get("Output", "")


def ami(ec2):
    return ec2.describe_images(Owners=["amazon"], Filters=[
        {"Name": "name", "Values": ["al2023-ami-2023*-x86_64"]}])["Images"][0]["ImageId"]


def launch(srv, ec2, subnet, groups, user_data=WEB):
    i = ec2.run_instances(ImageId=ami(ec2), InstanceType="t3.micro", MinCount=1, MaxCount=1,
                          SubnetId=subnet, SecurityGroupIds=groups, UserData=user_data)["Instances"][0]
    srv.advance(3)
    iid = i["InstanceId"]
    until(lambda: "up" in console(ec2, iid), what=f"{iid} booted")
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


class Lab:
    """The course's bastion lab: VPC 10.1.0.0/16, a public subnet routed to
    an internet gateway with a bastion that has a public address (SSH and
    HTTP from anywhere), a private subnet with a web server that admits
    HTTP from the bastion's group only."""

    def __init__(self, srv):
        self.srv = srv
        ec2 = self.ec2 = srv.client("ec2")
        self.vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        self.public = ec2.create_subnet(VpcId=self.vpc, CidrBlock="10.1.1.0/24",
                                        AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
        self.private = ec2.create_subnet(VpcId=self.vpc, CidrBlock="10.1.2.0/24",
                                         AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
        ec2.modify_subnet_attribute(SubnetId=self.public, MapPublicIpOnLaunch={"Value": True})
        self.igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=self.igw, VpcId=self.vpc)
        self.rtb = ec2.create_route_table(VpcId=self.vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=self.rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=self.igw)
        ec2.associate_route_table(RouteTableId=self.rtb, SubnetId=self.public)
        self.bastion_sg = ec2.create_security_group(GroupName="bastion", Description="bastion",
                                                    VpcId=self.vpc)["GroupId"]
        for port in (22, 80):
            ec2.authorize_security_group_ingress(GroupId=self.bastion_sg, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        self.web_sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=self.vpc)["GroupId"]
        self.from_bastion = [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                              "UserIdGroupPairs": [{"GroupId": self.bastion_sg}]}]
        ec2.authorize_security_group_ingress(GroupId=self.web_sg, IpPermissions=self.from_bastion)
        self.bastion = launch(srv, ec2, self.public, [self.bastion_sg])
        self.web = launch(srv, ec2, self.private, [self.web_sg])
        self.inet = f"stratus{srv.port}-inet"

    def ns(self, instance):
        return f"stratus{self.srv.port}-{instance['InstanceId']}"

    def url(self, instance, public=False):
        return f"http://{instance['PublicIpAddress' if public else 'PrivateIpAddress']}/index.html"

    def hostname(self, instance):
        return "ip-" + instance["PrivateIpAddress"].replace(".", "-")


def test_the_bastion_lab(rt):
    lab = Lab(rt)
    assert lab.bastion.get("PublicIpAddress")
    assert not lab.web.get("PublicIpAddress")
    # From the internet the bastion answers at its public address...
    assert answers(lab.inet, lab.url(lab.bastion, public=True)) == lab.hostname(lab.bastion)
    # ...and the private web server not at all.
    assert stays_silent(lab.inet, lab.url(lab.web))
    # From the bastion, the web server answers.
    assert answers(lab.ns(lab.bastion), lab.url(lab.web)) == lab.hostname(lab.web)
    # Revoking the rule closes it within a tick.
    lab.ec2.revoke_security_group_ingress(GroupId=lab.web_sg, IpPermissions=lab.from_bastion)
    assert stays_silent(lab.ns(lab.bastion), lab.url(lab.web))
    lab.ec2.authorize_security_group_ingress(GroupId=lab.web_sg, IpPermissions=lab.from_bastion)
    assert answers(lab.ns(lab.bastion), lab.url(lab.web)) == lab.hostname(lab.web)


def test_a_closed_port_opens_with_an_ingress_rule_within_one_subnet(rt):
    ec2 = rt.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.2.1.0/24")["Subnet"]["SubnetId"]
    closed = ec2.create_security_group(GroupName="closed", Description="no ingress", VpcId=vpc)["GroupId"]
    client_sg = ec2.create_security_group(GroupName="client", Description="client", VpcId=vpc)["GroupId"]
    server = launch(rt, ec2, subnet, [closed])
    client = launch(rt, ec2, subnet, [client_sg])
    ns = f"stratus{rt.port}-{client['InstanceId']}"
    url = f"http://{server['PrivateIpAddress']}/index.html"
    assert stays_silent(ns, url)
    ec2.authorize_security_group_ingress(GroupId=closed, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.2.1.0/24"}]}])
    assert answers(ns, url) == "ip-" + server["PrivateIpAddress"].replace(".", "-")


def test_a_network_acl_deny_blocks_the_private_subnet_until_deleted(rt):
    lab = Lab(rt)
    ec2 = lab.ec2
    assert answers(lab.ns(lab.bastion), lab.url(lab.web)) == lab.hostname(lab.web)
    acl = ec2.describe_network_acls(Filters=[
        {"Name": "association.subnet-id", "Values": [lab.private]}])["NetworkAcls"][0]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=50, Protocol="6", RuleAction="deny",
                                 Egress=False, CidrBlock="10.1.1.0/24", PortRange={"From": 80, "To": 80})
    assert stays_silent(lab.ns(lab.bastion), lab.url(lab.web))
    ec2.delete_network_acl_entry(NetworkAclId=acl, RuleNumber=50, Egress=False)
    assert answers(lab.ns(lab.bastion), lab.url(lab.web)) == lab.hostname(lab.web)


def test_without_the_internet_gateway_route_the_public_address_is_silent(rt):
    lab = Lab(rt)
    public = lab.url(lab.bastion, public=True)
    assert answers(lab.inet, public) == lab.hostname(lab.bastion)
    # As a user types it.
    run_aws(rt, "ec2", "delete-route", "--route-table-id", lab.rtb, "--destination-cidr-block", "0.0.0.0/0")
    assert stays_silent(lab.inet, public)
    run_aws(rt, "ec2", "create-route", "--route-table-id", lab.rtb, "--destination-cidr-block", "0.0.0.0/0",
            "--gateway-id", lab.igw)
    assert answers(lab.inet, public) == lab.hostname(lab.bastion)


def test_a_nat_gateway_lets_a_private_instance_out_and_nothing_in(rt):
    lab = Lab(rt)
    ec2 = lab.ec2
    eip = ec2.allocate_address(Domain="vpc")
    nat = ec2.create_nat_gateway(SubnetId=lab.public, AllocationId=eip["AllocationId"])["NatGateway"]["NatGatewayId"]
    rt.advance(5)
    private_rtb = ec2.create_route_table(VpcId=lab.vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=private_rtb, SubnetId=lab.private)
    web_ns = lab.ns(lab.web)
    # A server on the internet; without a route the private instance cannot reach it.
    server = subprocess.Popen(
        ["ip", "netns", "exec", lab.inet, "python3", "-m", "http.server", "8080", "--bind", INTERNET_HOST],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        out = f"http://{INTERNET_HOST}:8080/"
        answers(lab.ns(lab.bastion), out)  # the server is up (the bastion is public)
        assert stays_silent(web_ns, out)
        ec2.create_route(RouteTableId=private_rtb, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
        assert answers(web_ns, out)
        # Nothing on the internet opens a connection to the private instance.
        assert stays_silent(lab.inet, lab.url(lab.web))
        assert stays_silent(lab.inet, f"http://{eip['PublicIp']}/index.html")
    finally:
        server.terminate()
        log = server.communicate(timeout=5)[1]
    # The internet saw the NAT gateway's address, not the private one.
    assert eip["PublicIp"] in log
    assert lab.web["PrivateIpAddress"] not in log


def test_a_web_group_that_admits_the_load_balancers_group_admits_its_traffic(rt):
    import requests

    lab = Lab(rt)
    ec2, elb = lab.ec2, rt.client("elbv2")
    alb_sg = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=lab.vpc)["GroupId"]
    second = ec2.create_subnet(VpcId=lab.vpc, CidrBlock="10.1.3.0/24",
                               AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    lb = elb.create_load_balancer(Name="web", Subnets=[lab.public, second],
                                  SecurityGroups=[alb_sg])["LoadBalancers"][0]
    tg = elb.create_target_group(Name="web", Protocol="HTTP", Port=80, VpcId=lab.vpc,
                                 HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
                                 HealthyThresholdCount=2, UnhealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": lab.web["InstanceId"]}])

    def health():
        rt.advance(5)
        return elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"][0]["TargetHealth"]["State"]

    # The web group admits the bastion's group only: the checks fail.
    until(lambda: health() == "unhealthy", timeout=30, what="the target unhealthy")
    ec2.authorize_security_group_ingress(GroupId=lab.web_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": alb_sg}]}])
    until(lambda: health() == "healthy", timeout=30, what="the target healthy")
    got = requests.get(f"http://127.0.0.1:{rt.port}/index.html", headers={"Host": lb["DNSName"]}, timeout=10)
    assert got.status_code == 200 and got.text.strip() == lab.hostname(lab.web)


def test_nothing_is_left_behind(server_factory):
    srv = server_factory(args=["--test-mode", "--instance-runtime", "process"])
    lab = Lab(srv)
    ours = namespaces(srv.port)
    assert {lab.inet, f"stratus{srv.port}-{lab.vpc}", lab.ns(lab.bastion), lab.ns(lab.web)} <= ours
    # Deleting the instances takes their namespaces and the VPC's router.
    lab.ec2.terminate_instances(InstanceIds=[lab.bastion["InstanceId"], lab.web["InstanceId"]])
    srv.advance(5)
    until(lambda: namespaces(srv.port) <= {lab.inet}, what="the lab's namespaces gone")
    assert srv.stop() == 0
    assert namespaces(srv.port) == set()
    # Every veth lived inside the namespaces: none is left on the host.
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    for rid in (lab.vpc, lab.bastion["InstanceId"], lab.web["InstanceId"]):
        assert rid[-12:] not in links
