"""Instances that run: user data executed at boot inside the instance's own
namespaces, the metadata service at 169.254.169.254 (IMDSv2 tokens), the
VPC's resolver, console output, stop/start/reboot/terminate acting on the
real processes, nothing left behind when Stratus stops (a restart boots
running instances again), CPU from the processes as CPUUtilization, and an
ALB and an Auto Scaling group acting on all of it. Needs root (network
namespaces)."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import time

import pytest

from conftest import Server
from helpers import advance_until, until

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="instance namespaces need root")


@pytest.fixture(scope="module")
def runtime_server(tmp_path_factory):
    """A test-mode server whose instances run as processes."""
    srv = Server(tmp_path_factory.mktemp("stratus-runtime"),
                 args=["--ephemeral", "--test-mode", "--instance-runtime", "process"])
    srv.start()
    yield srv
    try:
        srv.stop(timeout=15)
    finally:
        srv.kill()


@pytest.fixture
def rt(runtime_server):
    """The runtime server, emptied before each test."""
    runtime_server.reset()
    return runtime_server

USER_DATA = """#!/bin/sh
TOKEN=$(curl -s -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 60")
md() { curl -s -H "X-aws-ec2-metadata-token: $TOKEN" "http://169.254.169.254/latest/meta-data/$1"; }
echo "id=$(md instance-id) ip=$(md local-ipv4) az=$(md placement/availability-zone) host=$(hostname)"
echo "v1=$(curl -s -o /dev/null -w '%{http_code}' http://169.254.169.254/latest/meta-data/instance-id)"
echo "dns=$(getent hosts $(md local-hostname) | cut -d' ' -f1)"
echo "pid1=$(cat /proc/1/cmdline | tr '\\0' ' ')"
"""


def namespaces(port):
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.startswith(f"stratus{port}-")}


def console(ec2, iid):
    # boto3 decodes the base64 output itself, as the aws CLI does.
    return ec2.get_console_output(InstanceId=iid).get("Output", "")



def ami(ec2):
    return ec2.describe_images(Owners=["amazon"], Filters=[
        {"Name": "name", "Values": ["al2023-ami-2023*-x86_64"]}])["Images"][0]["ImageId"]


def running(srv, ec2, **kw):
    i = ec2.run_instances(ImageId=ami(ec2), InstanceType="t3.micro", MinCount=1, MaxCount=1, **kw)["Instances"][0]
    srv.advance(3)
    return i


def line(text, key):
    """The value of `key=` in the console's user data output."""
    for ln in text.splitlines():
        for part in ln.split():
            if part.startswith(key + "="):
                return part[len(key) + 1:]
    return None


def test_user_data_runs_with_metadata_and_dns_inside_the_instance(rt):
    ec2 = rt.client("ec2")
    i = running(rt, ec2, UserData=USER_DATA)
    iid, ip = i["InstanceId"], i["PrivateIpAddress"]
    text = until(lambda: (c := console(ec2, iid)) and "pid1=" in c and c, what="user data output")
    assert line(text, "id") == iid
    assert line(text, "ip") == ip
    assert line(text, "az") == i["Placement"]["AvailabilityZone"]
    assert line(text, "host") == "ip-" + ip.replace(".", "-")
    assert line(text, "v1") == "401"  # the image requires IMDSv2 tokens
    assert line(text, "dns") == ip
    assert line(text, "pid1") == "/bin/sh"  # its own PID namespace, with the init as PID 1
    assert f"stratus{rt.port}-{iid}" in namespaces(rt.port)


def test_stop_start_reboot_and_terminate_act_on_the_processes(rt):
    ec2 = rt.client("ec2")
    i = running(rt, ec2, UserData="#!/bin/sh\necho booted-$(date +%s%N)\n")
    iid = i["InstanceId"]
    ns = f"stratus{rt.port}-{iid}"
    until(lambda: console(ec2, iid).count("booted-") == 1, what="first boot")

    ec2.stop_instances(InstanceIds=[iid])
    rt.advance(3)
    until(lambda: ns not in namespaces(rt.port), what="namespace gone when stopped")
    ec2.start_instances(InstanceIds=[iid])
    rt.advance(3)
    until(lambda: console(ec2, iid).count("booted-") == 2, what="user data again on start")

    ec2.reboot_instances(InstanceIds=[iid])
    until(lambda: console(ec2, iid).count("booted-") == 3, what="user data again on reboot")

    ec2.terminate_instances(InstanceIds=[iid])
    rt.advance(3)
    until(lambda: ns not in namespaces(rt.port), what="namespace gone when terminated")


def test_an_instance_tagged_none_stays_state_only(rt):
    ec2 = rt.client("ec2")
    i = running(rt, ec2, UserData="#!/bin/sh\necho hi\n", TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": "stratus:runtime", "Value": "none"}]}])
    time.sleep(0.5)
    assert f"stratus{rt.port}-{i['InstanceId']}" not in namespaces(rt.port)
    assert "hi" not in console(ec2, i["InstanceId"]).splitlines()


def test_stratus_stopping_leaves_nothing_and_a_restart_boots_again(server_factory):
    srv = server_factory(args=["--test-mode", "--instance-runtime", "process"])
    ec2 = srv.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.2.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    web = "#!/bin/sh\nmkdir -p /tmp/w$$ && cd /tmp/w$$ && hostname > index.html\nnohup python3 -m http.server 8000 >/dev/null 2>&1 &\necho up\n"
    one = running(srv, ec2, SubnetId=a, UserData=web)
    # A client in the other subnet reaches the web server through the VPC.
    probe = f"#!/bin/sh\nsleep 1\necho got=$(curl -s -m 5 http://{one['PrivateIpAddress']}:8000/index.html)\n"
    two = running(srv, ec2, SubnetId=b, UserData=probe)
    text = until(lambda: (c := console(ec2, two["InstanceId"])) and "got=" in c and c, what="probe output")
    assert line(text, "got") == "ip-" + one["PrivateIpAddress"].replace(".", "-")
    # The VPC, two instances and the internet (where nft enforces the VPC).
    assert len(namespaces(srv.port)) == (4 if shutil.which("nft") else 3)

    assert srv.stop() == 0
    assert namespaces(srv.port) == set()
    srv.start()
    ec2 = srv.client("ec2")
    until(lambda: console(ec2, one["InstanceId"]).count("up") >= 2, what="booted again after the restart")
    assert len(namespaces(srv.port)) == (4 if shutil.which("nft") else 3)
    assert srv.stop() == 0
    assert namespaces(srv.port) == set()


def test_cpu_the_processes_use_becomes_cpu_utilization(rt):
    ec2, cw = rt.client("ec2"), rt.client("cloudwatch")
    busy = running(rt, ec2, UserData="#!/bin/sh\nwhile :; do :; done &\necho spinning\n")
    idle = running(rt, ec2, UserData="#!/bin/sh\necho idle\n")
    until(lambda: "spinning" in console(ec2, busy["InstanceId"]), what="the load started")
    time.sleep(2)
    start = rt.now()
    rt.advance(120)

    def cpu(iid):
        # Only minutes the advance published: one that real time ended just
        # after a boot measures the boot over a moment, not the idle.
        points = cw.get_metric_statistics(
            Namespace="AWS/EC2", MetricName="CPUUtilization", Dimensions=[{"Name": "InstanceId", "Value": iid}],
            StartTime=start + datetime.timedelta(seconds=60), EndTime=rt.now(),
            Period=60, Statistics=["Maximum"])["Datapoints"]
        return max((p["Maximum"] for p in points), default=None)

    # One busy loop on a two-vCPU t3.micro is about half of it on a quiet
    # host; other work on the host's cores lowers its share, never to idle.
    high = until(lambda: (v := cpu(busy["InstanceId"])) is not None and v > 10 and v, what="busy CPU")
    assert high <= 100
    low = until(lambda: (v := cpu(idle["InstanceId"])) is not None and [v])[0]
    assert low < 5 and low < high / 3


def test_the_instance_profile_role_credentials_work_from_the_metadata_service(rt):
    ec2, iam = rt.client("ec2"), rt.client("iam")
    trust = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    iam.create_role(RoleName="web-role", AssumeRolePolicyDocument=trust)
    iam.create_instance_profile(InstanceProfileName="web-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="web-profile", RoleName="web-role")
    script = """#!/bin/sh
TOKEN=$(curl -s -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 60")
md() { curl -s -H "X-aws-ec2-metadata-token: $TOKEN" "http://169.254.169.254/latest/meta-data/$1"; }
ROLE=$(md iam/security-credentials/)
echo "role=$ROLE"
md iam/security-credentials/$ROLE | tr -d ' ",' | sed -n 's/^\\(AccessKeyId\\|SecretAccessKey\\|Token\\):/\\1=/p' | tr '\\n' ' '
echo
"""
    i = running(rt, ec2, UserData=script, IamInstanceProfile={"Name": "web-profile"})
    text = until(lambda: (c := console(ec2, i["InstanceId"])) and "Token=" in c and c, what="credentials")
    assert line(text, "role") == "web-role"
    session = rt.client("sts", access_key=line(text, "AccessKeyId"), secret_key=line(text, "SecretAccessKey"),
                            session_token=line(text, "Token"))
    arn = session.get_caller_identity()["Arn"]
    assert arn.endswith(f":assumed-role/web-role/{i['InstanceId']}"), arn


WEB_ID = """#!/bin/sh
TOKEN=$(curl -s -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 60")
ID=$(curl -s -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/instance-id)
mkdir -p /tmp/web-$ID && cd /tmp/web-$ID && echo "$ID" > index.html
nohup python3 -m http.server 80 >/dev/null 2>&1 &
echo serving
"""


def balances_and_routes_around(srv, ec2, elb, vpc, subnets, ids):
    """An ALB over two instances that serve their ids: both answer once
    real health checks pass, and a stopped one is routed around."""
    import requests

    lb = elb.create_load_balancer(Name="web", Subnets=subnets)["LoadBalancers"][0]
    tg = elb.create_target_group(Name="web", Protocol="HTTP", Port=80, VpcId=vpc, HealthCheckIntervalSeconds=5,
                                 HealthCheckTimeoutSeconds=2,
                                 HealthyThresholdCount=2, UnhealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": i} for i in ids])

    def states():
        return {d["Target"]["Id"]: d["TargetHealth"]["State"]
                for d in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]}

    def healthy():
        srv.advance(5)
        return set(states().values()) == {"healthy"}

    until(healthy, timeout=30, what="both targets healthy from real checks")

    def answers(n=12):
        return [requests.get(f"http://127.0.0.1:{srv.port}/", headers={"Host": lb["DNSName"]}, timeout=10).text.strip()
                for _ in range(n)]

    assert set(answers()) == set(ids)

    # A stopped instance fails its checks and the ALB routes around it.
    ec2.stop_instances(InstanceIds=[ids[0]])
    srv.advance(3)

    def routed_around():
        srv.advance(5)
        return states()[ids[0]] != "healthy"

    until(routed_around, timeout=30, what="the stopped instance out of service")
    assert set(answers()) == {ids[1]}


def test_an_alb_balances_real_requests_across_instances_that_run_their_user_data(rt):
    ec2, elb = rt.client("ec2"), rt.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.50.{n}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
               for n, z in ((1, "a"), (2, "b"))]
    ids = [running(rt, ec2, SubnetId=s, UserData=WEB_ID)["InstanceId"] for s in subnets]
    # Until an instance has booted, its health is the simulated one.
    for i in ids:
        until(lambda: "serving" in console(ec2, i), what=f"{i} serving")
    balances_and_routes_around(rt, ec2, elb, vpc, subnets, ids)


# The course's load-test page: `/` names the instance, `/load` starts two
# busy loops (the instance's two vCPUs), `/stop` ends this instance's loops.
LOAD_APP = r'''#!/bin/sh
TOKEN=$(curl -s -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 60")
ID=$(curl -s -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/instance-id)
mkdir -p /tmp/app-$ID && cd /tmp/app-$ID
cat > app.py <<'EOF'
import http.server, subprocess, sys
ID, loops = sys.argv[1], []
class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/load":
            loops.extend(subprocess.Popen(["sh", "-c", "while :; do :; done"]) for _ in range(2))
            text = f"loading {ID}"
        elif self.path == "/stop":
            text = f"stopped {ID} {len(loops)}"
            for p in loops:
                p.kill()
            loops.clear()
        else:
            text = ID
        body = text.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.HTTPServer(("", 80), Page).serve_forever()
EOF
nohup python3 app.py "$ID" >/dev/null 2>&1 &
echo serving
'''


def test_a_group_scales_out_under_real_cpu_load_and_back_in_after_it(rt):
    """The end of the course's web lab: an Auto Scaling group behind an ALB
    with a target-tracking policy on average CPU; load on its instance's
    processes (not a simulated metric) scales it out, and the new instance
    serves through the ALB; the load's end scales it back in."""
    import base64

    import requests

    ec2, elb, asg, cw = rt.client("ec2"), rt.client("elbv2"), rt.client("autoscaling"), rt.client("cloudwatch")
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.60.{n}.0/24", AvailabilityZone=f"us-east-1{z}")[
        "Subnet"]["SubnetId"] for n, z in ((1, "a"), (2, "b"))]
    lb = elb.create_load_balancer(Name="lab", Subnets=subnets)["LoadBalancers"][0]
    tg = elb.create_target_group(Name="lab", Protocol="HTTP", Port=80, VpcId=vpc, HealthCheckIntervalSeconds=5,
                                 HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2,
                                 UnhealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    ec2.create_launch_template(LaunchTemplateName="lab", LaunchTemplateData={
        "ImageId": ami(ec2), "InstanceType": "t3.micro",
        "UserData": base64.b64encode(LOAD_APP.encode()).decode()})
    asg.create_auto_scaling_group(
        AutoScalingGroupName="lab", LaunchTemplate={"LaunchTemplateName": "lab", "Version": "$Latest"},
        MinSize=1, MaxSize=3, DesiredCapacity=1, VPCZoneIdentifier=",".join(subnets), TargetGroupARNs=[tg],
        HealthCheckType="ELB", HealthCheckGracePeriod=60)
    # Two busy loops use both of a t3.micro's vCPUs on an idle host; other
    # work on the host's cores takes its share, hence a modest target.
    asg.put_scaling_policy(
        AutoScalingGroupName="lab", PolicyName="cpu30", PolicyType="TargetTrackingScaling",
        TargetTrackingConfiguration={"PredefinedMetricSpecification": {
            "PredefinedMetricType": "ASGAverageCPUUtilization"}, "TargetValue": 30.0})

    def group():
        return asg.describe_auto_scaling_groups(AutoScalingGroupNames=["lab"])["AutoScalingGroups"][0]

    def serving(ids):
        """Every one of `ids` in service and healthy in the target group."""
        health = {d["Target"]["Id"]: d["TargetHealth"]["State"]
                  for d in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]}
        in_service = {i["InstanceId"] for i in group()["Instances"] if i["LifecycleState"] == "InService"}
        return all(health.get(i) == "healthy" and i in in_service for i in ids)

    def page(path="/"):
        return requests.get(f"http://127.0.0.1:{rt.port}{path}", headers={"Host": lb["DNSName"]}, timeout=10).text

    first = advance_until(rt, lambda: [i["InstanceId"] for i in group()["Instances"]], "the first instance",
                          step_s=5)[0]
    until(lambda: "serving" in console(ec2, first), timeout=30, what="its web page up")
    advance_until(rt, lambda: serving([first]), "the first instance healthy in the target group", step_s=5)
    assert page() == first

    # Load: the instance's own processes keep its vCPUs busy.
    assert page("/load") == f"loading {first}"
    advance_until(rt, lambda: group()["DesiredCapacity"] >= 2, "scale-out under load")
    high = [a for a in cw.describe_alarms(AlarmNamePrefix="TargetTracking-lab-AlarmHigh-")["MetricAlarms"]]
    assert [a["StateValue"] for a in high] == ["ALARM"]
    cpu = cw.get_metric_statistics(
        Namespace="AWS/EC2", MetricName="CPUUtilization",
        Dimensions=[{"Name": "AutoScalingGroupName", "Value": "lab"}],
        StartTime=rt.now() - datetime.timedelta(minutes=10), EndTime=rt.now(), Period=60,
        Statistics=["Maximum"])["Datapoints"]
    assert max(p["Maximum"] for p in cpu) > 30
    grown = advance_until(rt, lambda: (ids := [i["InstanceId"] for i in group()["Instances"]]) and len(ids) >= 2
                          and serving(ids) and ids, "the new instances in service and healthy", step_s=5, rounds=120)
    new = set(grown) - {first}
    assert new and {page() for _ in range(3 * len(grown))} == set(grown)

    # The load ends (the ALB passes /stop round robin until the loaded
    # instance gets it): the low alarm scales the group back to its minimum.
    stopped = until(lambda: (t := page("/stop")) == f"stopped {first} 2" and t, timeout=10,
                    what="the load stopped")
    assert stopped
    advance_until(rt, lambda: len(group()["Instances"]) == 1, "scale-in after the load", rounds=60)
    left = group()["Instances"][0]["InstanceId"]
    assert {page() for _ in range(4)} == {left}
    # The others drain for the group's deregistration delay (300 s), then leave it.
    advance_until(rt, lambda: {d["Target"]["Id"] for d in elb.describe_target_health(
        TargetGroupArn=tg)["TargetHealthDescriptions"]} == {left}, "the target group down to one")
