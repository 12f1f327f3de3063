"""The reduced instance runtime, for a Stratus that is not root: each
instance runs in unprivileged namespaces of its own with its private
address on its loopback; the metadata service answers inside, and an ALB
balances real requests across instances and routes around a stopped one.
The server runs as `nobody` here (the test itself needs root to switch)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from conftest import Server
from helpers import until
from test_instance_runtime import balances_and_routes_around, console

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("setpriv"),
    reason="running the server as another user needs root and setpriv")

NOBODY = 65534

WEB_ID = """#!/bin/sh
TOKEN=$(curl -s -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 60")
md() { curl -s -H "X-aws-ec2-metadata-token: $TOKEN" "http://169.254.169.254/latest/meta-data/$1"; }
ID=$(md instance-id)
echo "id=$ID ip=$(md local-ipv4) user=$(id -u) host=$(hostname)"
echo "api=$(curl -s -o /dev/null -w '%{http_code}' http://169.254.169.254:4566/_stratus/health)"
D=$(mktemp -d) && cd $D && echo $ID > index.html
nohup python3 -m http.server 80 >/dev/null 2>&1 &
echo serving
"""


class NobodyServer(Server):
    """A server run as `nobody`, so that it is not root."""

    def command(self) -> list[str]:
        return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                *super().command()]


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    probe = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                            "unshare", "--user", "--map-root-user", "--net", "true"])
    if probe.returncode != 0:
        pytest.fail("unprivileged user namespaces are not available on this machine")
    s = NobodyServer(tmp_path_factory.mktemp("stratus-reduced"), data_dir_flag=False,
                     args=["--ephemeral", "--test-mode", "--instance-runtime", "process"])
    s.start()
    yield s
    try:
        s.stop(timeout=15)
    finally:
        s.kill()


def value(text, key):
    for part in text.split():
        if part.startswith(key + "="):
            return part[len(key) + 1:]
    return None


def server_processes(port):
    """Processes of nobody's that belong to this server's instances."""
    out = subprocess.run(["pgrep", "-u", str(NOBODY), "-a", "-f", "instance-relay|http.server 80"],
                         capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line.strip()]


def test_an_alb_balances_instances_the_reduced_runtime_runs(srv):
    assert "instances run in unprivileged namespaces" in srv.stderr()
    ec2, elb = srv.client("ec2"), srv.client("elbv2")
    ami = ec2.describe_images(Owners=["amazon"], Filters=[
        {"Name": "name", "Values": ["al2023-ami-2023*-x86_64"]}])["Images"][0]["ImageId"]
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.60.{n}.0/24",
                                 AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
               for n, z in ((1, "a"), (2, "b"))]
    instances = [ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                                   SubnetId=s, UserData=WEB_ID)["Instances"][0] for s in subnets]
    srv.advance(3)
    ids = [i["InstanceId"] for i in instances]
    for i in instances:
        text = until(lambda: "serving" in (c := console(ec2, i["InstanceId"])) and c,
                     what=f"{i['InstanceId']} serving")
        # The metadata service answers inside, for this instance.
        assert value(text, "id") == i["InstanceId"]
        assert value(text, "ip") == i["PrivateIpAddress"]
        # Root inside its own user namespace, with its own host name.
        assert value(text, "user") == "0"
        assert value(text, "host") == "ip-" + i["PrivateIpAddress"].replace(".", "-")
        # Stratus's API is relayed at 169.254.169.254:4566.
        assert value(text, "api") == "200"

    balances_and_routes_around(srv, ec2, elb, vpc, subnets, ids)

    # Stratus stopping takes every instance process with it.
    assert server_processes(srv.port)
    srv.stop(timeout=15)
    until(lambda: not server_processes(srv.port), timeout=10, what="no instance process left")
    srv.start()
