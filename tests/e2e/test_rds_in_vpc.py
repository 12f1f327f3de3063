"""An RDS instance inside its VPC, as the course's database lab uses it:
a web instance in the VPC reaches the DB by its endpoint name at an
address in the DB subnet group (a requester-managed interface EC2 shows),
and the DB's security group decides which instances may connect. Needs
root (network namespaces), nft and MariaDB (./test.sh installs it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pymysql
import pytest
from botocore.exceptions import ClientError

from conftest import Server
from helpers import error_of, until
from test_rds_engines import wait_gone

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("nft"),
    reason="instances in a VPC need root, ip and nft")

PASSWORD = "Lab-Passw0rd!"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    if not shutil.which("mariadbd") and not os.path.exists("/usr/sbin/mariadbd"):
        pytest.fail("mariadbd is not installed (./test.sh installs it)")
    s = Server(tmp_path_factory.mktemp("stratus-rds-vpc"),
               args=["--ephemeral", "--test-mode", "--instance-runtime", "process"])
    s.start()
    yield s
    try:
        s.stop(timeout=20)
    finally:
        s.kill()


def namespaces(port):
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.startswith(f"stratus{port}-")}


def console(ec2, iid):
    return ec2.get_console_output(InstanceId=iid).get("Output", "")


def page(endpoint, port):
    """What the course's PHP page does, as a shell script: resolve the
    endpoint, connect, create and fill SAMPLE and read it back; retried
    until the database lets the instance in."""
    sql = ("CREATE TABLE IF NOT EXISTS SAMPLE (name VARCHAR(64)); "
           "INSERT INTO SAMPLE VALUES ('$(hostname)'); SELECT COUNT(*) FROM SAMPLE")
    return f"""#!/bin/sh
echo "RESOLVED $(getent hosts {endpoint} | cut -d' ' -f1)"
(
for i in $(seq 1 400); do
  if OUT=$(mariadb --connect-timeout=1 -h {endpoint} -P {port} -u admin -p'{PASSWORD}' labdb -N -e "{sql}" 2>&1); then
    echo "QUERY-OK $OUT"; exit 0
  fi
  [ "$i" = 1 ] && echo "QUERY-FAILED $OUT"
  sleep 0.2
done
) &
echo up
"""


def launch(srv, ec2, subnet, groups, user_data):
    ami = ec2.describe_images(Owners=["amazon"], Filters=[
        {"Name": "name", "Values": ["al2023-ami-2023*-x86_64"]}])["Images"][0]["ImageId"]
    i = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                          SubnetId=subnet, SecurityGroupIds=groups, UserData=user_data)["Instances"][0]
    srv.advance(3)
    until(lambda: "up" in console(ec2, i["InstanceId"]), what=f"{i['InstanceId']} booted")
    return i["InstanceId"]


def wait_db(rds, ident, timeout=90.0):
    def available():
        d = rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]
        assert d["DBInstanceStatus"] != "failed", d.get("StatusInfos")
        return d if d["DBInstanceStatus"] == "available" else None
    return until(available, timeout=timeout, what=f"{ident} available")


def rds_interfaces(ec2, vpc):
    return ec2.describe_network_interfaces(Filters=[
        {"Name": "vpc-id", "Values": [vpc]},
        {"Name": "requester-id", "Values": ["amazon-rds"]}])["NetworkInterfaces"]


class Vpc:
    """The lab's network: a web subnet, two DB subnets in two zones (the
    `lab` DB subnet group), a web group, another group, and a DB group that
    admits the web group on `port`."""

    def __init__(self, srv, port=3306):
        ec2, rds = srv.client("ec2"), srv.client("rds")
        self.vpc = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
        self.web_subnet = ec2.create_subnet(VpcId=self.vpc, CidrBlock="10.3.1.0/24",
                                            AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
        self.db_a = ec2.create_subnet(VpcId=self.vpc, CidrBlock="10.3.2.0/24",
                                      AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
        self.db_b = ec2.create_subnet(VpcId=self.vpc, CidrBlock="10.3.3.0/24",
                                      AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
        group = lambda name: ec2.create_security_group(  # noqa: E731
            GroupName=name, Description=name, VpcId=self.vpc)["GroupId"]
        self.web_sg, self.other_sg, self.db_sg = group("web"), group("other"), group("db")
        ec2.authorize_security_group_ingress(GroupId=self.db_sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port + 1,
             "UserIdGroupPairs": [{"GroupId": self.web_sg}]}])
        rds.create_db_subnet_group(DBSubnetGroupName="lab", DBSubnetGroupDescription="lab",
                                   SubnetIds=[self.db_a, self.db_b])


def test_instances_in_the_vpc_reach_the_db_as_its_security_group_allows(srv):
    srv.reset()
    ec2, rds = srv.client("ec2"), srv.client("rds")
    net = Vpc(srv)
    vpc, web_subnet, db_b = net.vpc, net.web_subnet, net.db_b
    web_sg, other_sg, db_sg = net.web_sg, net.other_sg, net.db_sg
    rds.create_db_instance(DBInstanceIdentifier="labdb", Engine="mysql", DBInstanceClass="db.t3.micro",
                           AllocatedStorage=20, MasterUsername="admin", MasterUserPassword=PASSWORD,
                           DBName="labdb", DBSubnetGroupName="lab", VpcSecurityGroupIds=[db_sg],
                           AvailabilityZone="us-east-1b")
    db = wait_db(rds, "labdb")
    endpoint, port = db["Endpoint"]["Address"], db["Endpoint"]["Port"]

    # EC2 shows the DB's interface in its zone's subnet, in its group.
    [eni] = rds_interfaces(ec2, vpc)
    assert eni["SubnetId"] == db_b
    assert eni["Description"] == "RDSNetworkInterface"
    assert eni["RequesterManaged"] is True
    assert [g["GroupId"] for g in eni["Groups"]] == [db_sg]
    with pytest.raises(ClientError) as e:
        ec2.delete_security_group(GroupId=db_sg)
    assert error_of(e.value)[0] == "DependencyViolation"

    # The web instance finds the DB by name at that address and fills SAMPLE.
    web = launch(srv, ec2, web_subnet, [web_sg], page(endpoint, port))
    out = until(lambda: "QUERY-OK" in console(ec2, web) and console(ec2, web),
                what="the web instance's query")
    assert f"RESOLVED {eni['PrivateIpAddress']}" in out
    assert "QUERY-OK 1" in out
    conn = pymysql.connect(host="127.0.0.1", port=port, user="admin", password=PASSWORD,
                           database="labdb", connect_timeout=10)
    with conn.cursor() as c:
        c.execute("SELECT name FROM SAMPLE")
        assert [r[0] for r in c.fetchall()] == [f"ip-{ec2.describe_instances(InstanceIds=[web])['Reservations'][0]['Instances'][0]['PrivateIpAddress'].replace('.', '-')}"]
    conn.close()

    # An instance outside the web group is refused...
    other = launch(srv, ec2, web_subnet, [other_sg], page(endpoint, port))
    until(lambda: "QUERY-FAILED" in console(ec2, other), what="the refused query")
    time.sleep(1.5)
    assert "QUERY-OK" not in console(ec2, other)
    # ...until the DB's group admits it too.
    ec2.authorize_security_group_ingress(GroupId=db_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306,
         "UserIdGroupPairs": [{"GroupId": other_sg}]}])
    assert "QUERY-OK 2" in until(lambda: "QUERY-OK" in console(ec2, other) and console(ec2, other),
                                 what="the admitted query")

    # Deleting the DB releases its interface, and its namespace goes.
    eni_ns = f"stratus{srv.port}-{eni['NetworkInterfaceId']}"
    assert eni_ns in namespaces(srv.port)
    rds.delete_db_instance(DBInstanceIdentifier="labdb", SkipFinalSnapshot=True)
    wait_gone(rds, "labdb")
    assert until(lambda: not rds_interfaces(ec2, vpc), what="the interface released")
    until(lambda: eni_ns not in namespaces(srv.port), what="the namespace removed")
    ec2.delete_security_group(GroupId=db_sg)


def test_an_aurora_clusters_endpoints_answer_inside_the_vpc(srv):
    srv.reset()
    ec2, rds = srv.client("ec2"), srv.client("rds")
    net = Vpc(srv, port=3320)
    rds.create_db_cluster(DBClusterIdentifier="aur", Engine="aurora-mysql", MasterUsername="admin",
                          MasterUserPassword=PASSWORD, DatabaseName="labdb", Port=3320,
                          DBSubnetGroupName="lab", VpcSecurityGroupIds=[net.db_sg])
    rds.create_db_instance(DBInstanceIdentifier="aur-1", DBClusterIdentifier="aur",
                           Engine="aurora-mysql", DBInstanceClass="db.t3.medium")
    wait_db(rds, "aur-1")
    c = until(lambda: (x := rds.describe_db_clusters(DBClusterIdentifier="aur")["DBClusters"][0])
              and x["Status"] == "available" and x, timeout=60, what="the cluster available")
    # The cluster's own interface, besides its member's.
    ips = {e["PrivateIpAddress"] for e in rds_interfaces(ec2, net.vpc)}
    assert len(ips) == 2
    writer, reader, port = c["Endpoint"], c["ReaderEndpoint"], c["Port"]
    # The writer endpoint takes the table; the reader endpoint (the next
    # port; the writer serves reads while there is no reader) reads it.
    script = page(writer, port) + f"""
for i in $(seq 1 100); do
  R=$(mariadb --connect-timeout=2 -h {reader} -P {port + 1} -u admin -p'{PASSWORD}' labdb -N -e 'SELECT COUNT(*) FROM SAMPLE' 2>&1); [ "$R" = 1 ] && break
  sleep 0.2
done
echo "READER $R"
echo "ADDRESSES $(getent hosts {writer} | cut -d' ' -f1) $(getent hosts {reader} | cut -d' ' -f1)"
"""
    web = launch(srv, ec2, net.web_subnet, [net.web_sg], script)
    out = until(lambda: "ADDRESSES" in console(ec2, web) and console(ec2, web),
                what="the instance's queries")
    assert "QUERY-OK 1" in out
    assert "READER 1" in out
    [addresses] = [ln for ln in out.splitlines() if ln.startswith("ADDRESSES")]
    a, b = addresses.split()[1:]
    assert a == b and a in ips
