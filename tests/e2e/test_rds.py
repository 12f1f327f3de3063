"""RDS's control plane through boto3 and the aws CLI: DB subnet groups over
EC2's subnets, parameter groups, DB instances on the clock, snapshots,
events, tags, the engine catalogue, AWS's errors, and state kept across a
restart. These tests run Stratus with `--rds-engines off`, so instances are
API state only and the clock alone moves them; test_rds_engines.py runs
real database servers."""

from __future__ import annotations

import datetime
import re
import time

import pytest
from botocore.exceptions import ClientError

from conftest import Server, run_aws
from helpers import DEFAULT_ACCOUNT, REGION, error_of

PASSWORD = "Secr3tPassw0rd"


@pytest.fixture(scope="module")
def api_server(tmp_path_factory):
    srv = Server(
        tmp_path_factory.mktemp("rds-api"),
        args=["--ephemeral", "--test-mode", "--rds-engines", "off"],
    )
    srv.start()
    yield srv
    try:
        srv.stop()
    finally:
        srv.kill()


@pytest.fixture
def rds(api_server):
    r = api_server.reset()
    assert r.status_code == 200
    return api_server.client("rds")


def create(rds, ident, engine="mysql", **kw):
    args = dict(
        DBInstanceIdentifier=ident,
        Engine=engine,
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="admin" if engine != "postgres" else "master",
        MasterUserPassword=PASSWORD,
    )
    args.update(kw)
    return rds.create_db_instance(**args)["DBInstance"]


def wait_status(srv, rds, ident, status, advance=30, timeout=10.0):
    """Moves the clock, then polls until the background task has moved the
    instance to `status`."""
    if advance:
        srv.advance(advance)
    deadline = time.monotonic() + timeout
    while True:
        got = rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]
        if got["DBInstanceStatus"] == status:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"{ident} stayed {got['DBInstanceStatus']}, wanted {status}")
        time.sleep(0.05)


def wait_gone(srv, rds, ident, timeout=10.0):
    srv.advance(30)
    deadline = time.monotonic() + timeout
    while True:
        try:
            rds.describe_db_instances(DBInstanceIdentifier=ident)
        except ClientError as e:
            assert error_of(e)[0] == "DBInstanceNotFound"
            return
        assert time.monotonic() < deadline, f"{ident} was not deleted"
        time.sleep(0.05)


def events(rds, ident):
    got = rds.describe_events(SourceType="db-instance", SourceIdentifier=ident, Duration=1440)
    return [e["Message"] for e in got["Events"]]


def err(call, **kw):
    with pytest.raises(ClientError) as e:
        call(**kw)
    return error_of(e.value)


def two_zone_subnets(api_server):
    ec2 = api_server.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24", AvailabilityZone=f"{REGION}a")
    b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.2.0/24", AvailabilityZone=f"{REGION}b")
    a2 = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.3.0/24", AvailabilityZone=f"{REGION}a")
    sg = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    return vpc, a["Subnet"]["SubnetId"], b["Subnet"]["SubnetId"], a2["Subnet"]["SubnetId"], sg


def test_instance_goes_from_creating_to_available_on_the_clock(api_server, rds):
    # A backup window half a day away, so no daily backup joins the events.
    far = (api_server.now().hour + 12) % 24
    made = create(rds, "Lab-DB", Tags=[{"Key": "course", "Value": "lab"}],
                  PreferredBackupWindow=f"{far:02}:00-{far:02}:30")
    assert made["DBInstanceIdentifier"] == "lab-db"
    assert made["DBInstanceStatus"] == "creating"
    assert "Endpoint" not in made
    assert made["Engine"] == "mysql" and made["EngineVersion"] == "8.0.40"
    assert made["DBInstanceArn"] == f"arn:aws:rds:{REGION}:{DEFAULT_ACCOUNT}:db:lab-db"
    assert re.fullmatch(r"db-[A-Z0-9]{26}", made["DbiResourceId"])
    assert made["DBSubnetGroup"]["DBSubnetGroupName"] == "default"
    assert len({s["SubnetAvailabilityZone"]["Name"] for s in made["DBSubnetGroup"]["Subnets"]}) >= 2
    assert made["VpcSecurityGroups"][0]["VpcSecurityGroupId"].startswith("sg-")
    assert made["DBParameterGroups"][0]["DBParameterGroupName"] == "default.mysql8.0"
    assert made["MultiAZ"] is False and made["PubliclyAccessible"] is False
    assert made["BackupRetentionPeriod"] == 1
    assert made["TagList"] == [{"Key": "course", "Value": "lab"}]
    # Without servers, DescribeDBInstances says why none backs the instance.
    info = made["StatusInfos"][0]
    assert info["Normal"] is False and "--rds-engines off" in info["Message"]

    got = wait_status(api_server, rds, "lab-db", "available")
    ep = got["Endpoint"]
    assert re.fullmatch(rf"lab-db\.[a-z0-9]{{12}}\.{REGION}\.rds\.localhost", ep["Address"])
    assert ep["Port"] == 3306
    assert "InstanceCreateTime" in got and "LatestRestorableTime" in got
    assert events(rds, "lab-db") == [
        "DB instance created",
        "Backing up DB instance",
        "Finished DB Instance backup",
    ]
    # The label is per account and region: a second instance shares it.
    create(rds, "other", engine="postgres")
    other = wait_status(api_server, rds, "other", "available")
    assert other["Endpoint"]["Port"] == 5432
    assert other["Endpoint"]["Address"].split(".", 1)[1] == ep["Address"].split(".", 1)[1]
    assert other["EngineVersion"].startswith(("15.", "16."))
    assert other["DBParameterGroups"][0]["DBParameterGroupName"].startswith("default.postgres")


def test_create_refuses_bad_input_with_aws_errors(api_server, rds):
    cases = [
        (dict(DBInstanceIdentifier="1db"), "InvalidParameterValue", "not a valid identifier"),
        (dict(DBInstanceIdentifier="my--db"), "InvalidParameterValue", "not a valid identifier"),
        (dict(Engine="oracle-xe"), "InvalidParameterValue", "Invalid DB engine: oracle-xe"),
        (dict(EngineVersion="5.1.0"), "InvalidParameterCombination", "Cannot find version 5.1.0 for mysql"),
        (dict(Engine="postgres", DBInstanceClass="db.t2.micro", MasterUsername="master"),
         "InvalidParameterCombination", "DBInstanceClass=db.t2.micro, Engine=postgres"),
        (dict(AllocatedStorage=10), "InvalidParameterValue", "Invalid storage size for engine name mysql and storage type gp2: 10"),
        (dict(StorageType="io1"), "InvalidParameterCombination", "IOPS"),
        (dict(MasterUserPassword="short"), "InvalidParameterValue", "shorter than 8 characters"),
        (dict(MasterUserPassword="has/slash99"), "InvalidParameterValue", "printable ASCII"),
        (dict(MasterUsername="rdsadmin"), "InvalidParameterValue", "reserved word"),
        (dict(MasterUsername="1admin"), "InvalidParameterValue", "MasterUsername"),
        (dict(DBName="my-db"), "InvalidParameterValue", "DBName"),
        (dict(ManageMasterUserPassword=True), "InvalidParameterCombination", "ManageMasterUserPassword"),
        (dict(MultiAZ=True, AvailabilityZone=f"{REGION}a"), "InvalidParameterCombination",
         "Requesting a specific availability zone is not valid for Multi-AZ instances."),
        (dict(BackupRetentionPeriod=36), "InvalidParameterValue", "backup retention"),
        (dict(PreferredBackupWindow="03:00-03:10"), "InvalidParameterValue", "at least 30 minutes"),
        (dict(Port=80), "InvalidParameterValue", "Invalid port number: 80"),
    ]
    for over, code, text in cases:
        args = dict(DBInstanceIdentifier="bad")
        args.update(over)
        ident = args.pop("DBInstanceIdentifier")
        c, msg, status = err(create, rds=rds, ident=ident, **args)
        assert (c, status) == (code, 400), (over, c, msg)
        assert text.lower() in msg.lower(), (over, msg)
    # A missing password.
    c, msg, _ = err(
        rds.create_db_instance,
        DBInstanceIdentifier="nopw", Engine="mysql", DBInstanceClass="db.t3.micro",
        AllocatedStorage=20, MasterUsername="admin",
    )
    assert c == "InvalidParameterValue" and "MasterUserPassword" in msg
    assert rds.describe_db_instances()["DBInstances"] == []

    create(rds, "dup")
    assert err(create, rds=rds, ident="dup")[:3] == ("DBInstanceAlreadyExists", "DB instance already exists", 400)
    code, msg, status = err(create, rds=rds, ident="x1", DBSubnetGroupName="nope")
    assert (code, status) == ("DBSubnetGroupNotFoundFault", 404)
    code, msg, status = err(create, rds=rds, ident="x2", DBParameterGroupName="nope")
    assert (code, status) == ("DBParameterGroupNotFound", 404)
    rds.create_db_parameter_group(
        DBParameterGroupName="pg15", DBParameterGroupFamily="postgres15", Description="pg"
    )
    code, msg, _ = err(create, rds=rds, ident="x3", DBParameterGroupName="pg15")
    assert code == "InvalidParameterCombination" and "mysql8.0" in msg
    code, msg, _ = err(create, rds=rds, ident="x4", VpcSecurityGroupIds=["sg-0000000000000dead"])
    assert code == "InvalidParameterValue" and "sg-0000000000000dead" in msg

    # Storage counts against the account's quota (100,000 GiB).
    create(rds, "big1", AllocatedStorage=65536)
    code, msg, status = err(create, rds=rds, ident="big2", AllocatedStorage=65536)
    assert (code, status) == ("StorageQuotaExceeded", 400)


def test_subnet_groups_need_two_zones_and_outlive_no_instance(api_server, rds):
    vpc, a, b, a2, sg = two_zone_subnets(api_server)
    code, msg, status = err(
        rds.create_db_subnet_group,
        DBSubnetGroupName="one-zone", DBSubnetGroupDescription="x", SubnetIds=[a, a2],
    )
    assert (code, status) == ("DBSubnetGroupDoesNotCoverEnoughAZs", 400)
    assert f"Current AZ coverage: {REGION}a" in msg
    code, _, _ = err(
        rds.create_db_subnet_group,
        DBSubnetGroupName="ghost", DBSubnetGroupDescription="x", SubnetIds=[a, "subnet-0123456789abcdef0"],
    )
    assert code == "InvalidSubnet"

    g = rds.create_db_subnet_group(
        DBSubnetGroupName="Lab-Subnets", DBSubnetGroupDescription="lab", SubnetIds=[a, b],
        Tags=[{"Key": "k", "Value": "v"}],
    )["DBSubnetGroup"]
    assert g["DBSubnetGroupName"] == "lab-subnets" and g["VpcId"] == vpc
    assert g["SubnetGroupStatus"] == "Complete"
    assert sorted(s["SubnetIdentifier"] for s in g["Subnets"]) == sorted([a, b])
    assert g["DBSubnetGroupArn"] == f"arn:aws:rds:{REGION}:{DEFAULT_ACCOUNT}:subgrp:lab-subnets"
    code, _, _ = err(
        rds.create_db_subnet_group,
        DBSubnetGroupName="lab-subnets", DBSubnetGroupDescription="again", SubnetIds=[a, b],
    )
    assert code == "DBSubnetGroupAlreadyExists"
    got = rds.describe_db_subnet_groups(DBSubnetGroupName="lab-subnets")["DBSubnetGroups"]
    assert [x["DBSubnetGroupDescription"] for x in got] == ["lab"]
    assert err(rds.describe_db_subnet_groups, DBSubnetGroupName="nope")[::2] == (
        "DBSubnetGroupNotFoundFault", 404)

    g = rds.modify_db_subnet_group(
        DBSubnetGroupName="lab-subnets", DBSubnetGroupDescription="lab 2", SubnetIds=[a, a2, b]
    )["DBSubnetGroup"]
    assert len(g["Subnets"]) == 3 and g["DBSubnetGroupDescription"] == "lab 2"
    assert err(
        rds.modify_db_subnet_group, DBSubnetGroupName="lab-subnets", SubnetIds=[a]
    )[0] == "DBSubnetGroupDoesNotCoverEnoughAZs"

    # A Multi-AZ instance in the group: primary and standby in its two zones.
    inst = create(rds, "multi", DBSubnetGroupName="lab-subnets", MultiAZ=True, VpcSecurityGroupIds=[sg])
    assert inst["DBSubnetGroup"]["VpcId"] == vpc
    assert {inst["AvailabilityZone"], inst["SecondaryAvailabilityZone"]} == {f"{REGION}a", f"{REGION}b"}
    assert inst["VpcSecurityGroups"] == [{"VpcSecurityGroupId": sg, "Status": "active"}]
    # A security group of another VPC does not fit.
    default_sg = api_server.client("ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["default"]}, {"Name": "vpc-id", "Values": [vpc]}]
    )["SecurityGroups"][0]["GroupId"]
    other_vpc_sg = [
        g["GroupId"] for g in api_server.client("ec2").describe_security_groups()["SecurityGroups"]
        if g["VpcId"] != vpc
    ][0]
    code, msg, _ = err(create, rds=rds, ident="wrongvpc", DBSubnetGroupName="lab-subnets",
                       VpcSecurityGroupIds=[other_vpc_sg])
    assert code == "InvalidParameterCombination" and "different VPCs" in msg
    assert default_sg.startswith("sg-")

    code, msg, status = err(rds.delete_db_subnet_group, DBSubnetGroupName="lab-subnets")
    assert (code, status) == ("InvalidDBSubnetGroupStateFault", 400)
    assert "multi" in msg
    rds.delete_db_instance(DBInstanceIdentifier="multi", SkipFinalSnapshot=True)
    wait_gone(api_server, rds, "multi")
    rds.delete_db_subnet_group(DBSubnetGroupName="lab-subnets")
    assert err(rds.delete_db_subnet_group, DBSubnetGroupName="lab-subnets")[0] == "DBSubnetGroupNotFoundFault"


def test_parameter_groups_and_their_parameters(api_server, rds):
    names = [g["DBParameterGroupName"] for g in rds.describe_db_parameter_groups()["DBParameterGroups"]]
    assert {"default.mysql8.0", "default.mariadb10.11", "default.postgres15", "default.postgres16"} <= set(names)
    g = rds.create_db_parameter_group(
        DBParameterGroupName="Lab-Params", DBParameterGroupFamily="mysql8.0", Description="lab",
    )["DBParameterGroup"]
    assert g == {
        "DBParameterGroupName": "lab-params",
        "DBParameterGroupFamily": "mysql8.0",
        "Description": "lab",
        "DBParameterGroupArn": f"arn:aws:rds:{REGION}:{DEFAULT_ACCOUNT}:pg:lab-params",
    }
    assert err(rds.create_db_parameter_group, DBParameterGroupName="lab-params",
               DBParameterGroupFamily="mysql8.0", Description="x")[0] == "DBParameterGroupAlreadyExists"
    assert err(rds.create_db_parameter_group, DBParameterGroupName="odd",
               DBParameterGroupFamily="oracle-ee-19", Description="x")[0] == "InvalidParameterValue"

    params = rds.describe_db_parameters(DBParameterGroupName="lab-params")["Parameters"]
    by_name = {p["ParameterName"]: p for p in params}
    assert by_name["max_connections"]["ParameterValue"] == "{DBInstanceClassMemory/12582880}"
    assert by_name["innodb_buffer_pool_size"]["ApplyType"] == "static"

    code, msg, _ = err(
        rds.modify_db_parameter_group, DBParameterGroupName="lab-params",
        Parameters=[{"ParameterName": "innodb_buffer_pool_size", "ParameterValue": "134217728",
                     "ApplyMethod": "immediate"}],
    )
    assert code == "InvalidParameterCombination" and "static parameter" in msg
    code, msg, _ = err(
        rds.modify_db_parameter_group, DBParameterGroupName="lab-params",
        Parameters=[{"ParameterName": "no_such_thing", "ParameterValue": "1", "ApplyMethod": "immediate"}],
    )
    assert (code, msg) == ("InvalidParameterValue", "Could not find parameter with name: no_such_thing")
    assert err(
        rds.modify_db_parameter_group, DBParameterGroupName="lab-params",
        Parameters=[{"ParameterName": "binlog_format", "ParameterValue": "WHATEVER", "ApplyMethod": "immediate"}],
    )[0] == "InvalidParameterValue"
    out = rds.modify_db_parameter_group(
        DBParameterGroupName="lab-params",
        Parameters=[
            {"ParameterName": "max_connections", "ParameterValue": "50", "ApplyMethod": "immediate"},
            {"ParameterName": "innodb_buffer_pool_size", "ParameterValue": "134217728",
             "ApplyMethod": "pending-reboot"},
        ],
    )
    assert out["DBParameterGroupName"] == "lab-params"
    user = rds.describe_db_parameters(DBParameterGroupName="lab-params", Source="user")["Parameters"]
    assert {p["ParameterName"]: p["ParameterValue"] for p in user} == {
        "max_connections": "50", "innodb_buffer_pool_size": "134217728"}
    assert err(rds.modify_db_parameter_group, DBParameterGroupName="default.mysql8.0",
               Parameters=[{"ParameterName": "max_connections", "ParameterValue": "5",
                            "ApplyMethod": "immediate"}])[0] == "InvalidParameterValue"

    create(rds, "uses-params", DBParameterGroupName="lab-params")
    code, _, _ = err(rds.delete_db_parameter_group, DBParameterGroupName="lab-params")
    assert code == "InvalidDBParameterGroupState"
    code, _, _ = err(rds.delete_db_parameter_group, DBParameterGroupName="default.mysql8.0")
    assert code == "InvalidDBParameterGroupState"
    rds.delete_db_instance(DBInstanceIdentifier="uses-params", SkipFinalSnapshot=True)
    wait_gone(api_server, rds, "uses-params")
    rds.delete_db_parameter_group(DBParameterGroupName="lab-params")
    code, msg, status = err(rds.describe_db_parameters, DBParameterGroupName="lab-params")
    assert (code, msg, status) == ("DBParameterGroupNotFound", "DBParameterGroup not found: lab-params", 404)


def test_modify_reboot_stop_start_and_failover(api_server, rds):
    create(rds, "ops")
    wait_status(api_server, rds, "ops", "available")
    # Without ApplyImmediately the change waits for the maintenance window.
    got = rds.modify_db_instance(DBInstanceIdentifier="ops", DBInstanceClass="db.m5.large")["DBInstance"]
    assert got["DBInstanceStatus"] == "available"
    assert got["PendingModifiedValues"]["DBInstanceClass"] == "db.m5.large"
    assert got["DBInstanceClass"] == "db.t3.micro"
    got = rds.modify_db_instance(
        DBInstanceIdentifier="ops", DBInstanceClass="db.t3.small", AllocatedStorage=40,
        ApplyImmediately=True, DeletionProtection=True, BackupRetentionPeriod=7,
    )["DBInstance"]
    assert got["DBInstanceStatus"] == "modifying"
    assert got["DeletionProtection"] is True and got["BackupRetentionPeriod"] == 7
    assert err(rds.reboot_db_instance, DBInstanceIdentifier="ops")[0] == "InvalidDBInstanceState"
    got = wait_status(api_server, rds, "ops", "available")
    assert got["DBInstanceClass"] == "db.t3.small" and got["AllocatedStorage"] == 40
    msgs = events(rds, "ops")
    assert "Finished applying modification to DB instance class" in msgs
    assert "Finished applying modification to allocated storage" in msgs
    assert err(rds.modify_db_instance, DBInstanceIdentifier="ops", AllocatedStorage=30,
               ApplyImmediately=True)[0] == "InvalidParameterValue"
    assert err(rds.modify_db_instance, DBInstanceIdentifier="ops", DBInstanceClass="db.x1.nothing",
               ApplyImmediately=True)[0] == "InvalidParameterCombination"
    assert err(rds.modify_db_instance, DBInstanceIdentifier="ghost",
               DeletionProtection=False)[::2] == ("DBInstanceNotFound", 404)

    # A new port applies at once: the server restarts on it.
    got = rds.modify_db_instance(DBInstanceIdentifier="ops", DBPortNumber=3307)["DBInstance"]
    assert got["DBInstanceStatus"] == "rebooting"
    assert wait_status(api_server, rds, "ops", "available")["Endpoint"]["Port"] == 3307

    # Deletion protection refuses the delete until turned off.
    code, msg, _ = err(rds.delete_db_instance, DBInstanceIdentifier="ops", SkipFinalSnapshot=True)
    assert (code, msg) == (
        "InvalidParameterCombination",
        "Cannot delete protected DB Instance, please disable deletion protection and try again.",
    )

    rds.reboot_db_instance(DBInstanceIdentifier="ops")
    wait_status(api_server, rds, "ops", "available")
    assert "DB instance restarted" in events(rds, "ops")
    code, _, _ = err(rds.reboot_db_instance, DBInstanceIdentifier="ops", ForceFailover=True)
    assert code == "InvalidParameterCombination"

    assert rds.stop_db_instance(DBInstanceIdentifier="ops")["DBInstance"]["DBInstanceStatus"] == "stopping"
    assert err(rds.stop_db_instance, DBInstanceIdentifier="ops")[0] == "InvalidDBInstanceState"
    wait_status(api_server, rds, "ops", "stopped")
    code, msg, _ = err(rds.create_db_snapshot, DBInstanceIdentifier="ops", DBSnapshotIdentifier="s")
    assert code == "InvalidDBInstanceState"
    assert rds.start_db_instance(DBInstanceIdentifier="ops")["DBInstance"]["DBInstanceStatus"] == "starting"
    assert err(rds.start_db_instance, DBInstanceIdentifier="ops")[0] == "InvalidDBInstanceState"
    wait_status(api_server, rds, "ops", "available")
    msgs = events(rds, "ops")
    assert msgs.index("DB instance stopped") < msgs.index("DB instance started")

    # Multi-AZ on; a forced failover moves the primary to the standby's zone.
    rds.modify_db_instance(DBInstanceIdentifier="ops", MultiAZ=True, ApplyImmediately=True)
    got = wait_status(api_server, rds, "ops", "available")
    assert got["MultiAZ"] is True
    primary, standby = got["AvailabilityZone"], got["SecondaryAvailabilityZone"]
    assert primary != standby
    rds.reboot_db_instance(DBInstanceIdentifier="ops", ForceFailover=True)
    got = wait_status(api_server, rds, "ops", "available")
    assert (got["AvailabilityZone"], got["SecondaryAvailabilityZone"]) == (standby, primary)
    msgs = events(rds, "ops")
    assert "Multi-AZ instance failover started" in msgs
    assert "Multi-AZ instance failover completed" in msgs


def test_delete_rules_snapshots_and_restore(api_server, rds):
    create(rds, "src", DBName="sample", CopyTagsToSnapshot=True, Tags=[{"Key": "t", "Value": "1"}])
    code, _, _ = err(rds.create_db_snapshot, DBInstanceIdentifier="src", DBSnapshotIdentifier="early")
    assert code == "InvalidDBInstanceState"
    wait_status(api_server, rds, "src", "available")

    snap = rds.create_db_snapshot(DBInstanceIdentifier="src", DBSnapshotIdentifier="snap-1")["DBSnapshot"]
    assert snap["Status"] == "creating" and snap["SnapshotType"] == "manual"
    assert snap["DBSnapshotArn"] == f"arn:aws:rds:{REGION}:{DEFAULT_ACCOUNT}:snapshot:snap-1"
    assert snap["TagList"] == [{"Key": "t", "Value": "1"}]
    assert rds.describe_db_instances(DBInstanceIdentifier="src")["DBInstances"][0]["DBInstanceStatus"] == "backing-up"
    code, msg, _ = err(rds.create_db_snapshot, DBInstanceIdentifier="src", DBSnapshotIdentifier="snap-1")
    assert code in ("DBSnapshotAlreadyExists", "InvalidDBInstanceState")
    wait_status(api_server, rds, "src", "available")
    got = rds.describe_db_snapshots(DBSnapshotIdentifier="snap-1")["DBSnapshots"][0]
    assert got["Status"] == "available" and got["PercentProgress"] == 100
    assert got["Engine"] == "mysql" and got["MasterUsername"] == "admin"
    code, msg, _ = err(rds.create_db_snapshot, DBInstanceIdentifier="src", DBSnapshotIdentifier="snap-1")
    assert (code, msg) == (
        "DBSnapshotAlreadyExists",
        "Cannot create the snapshot because a snapshot with the identifier snap-1 already exists.",
    )
    assert err(rds.describe_db_snapshots, DBSnapshotIdentifier="nope")[::2] == ("DBSnapshotNotFound", 404)
    assert err(rds.create_db_snapshot, DBInstanceIdentifier="ghost",
               DBSnapshotIdentifier="x")[::2] == ("DBInstanceNotFound", 404)

    restored = rds.restore_db_instance_from_db_snapshot(
        DBInstanceIdentifier="copy", DBSnapshotIdentifier="snap-1"
    )["DBInstance"]
    assert restored["DBInstanceStatus"] == "creating"
    assert restored["Engine"] == "mysql" and restored["DBName"] == "sample"
    assert restored["DBInstanceClass"] == "db.t3.micro"
    wait_status(api_server, rds, "copy", "available")
    assert "Restored from snapshot snap-1" in events(rds, "copy")
    assert err(rds.restore_db_instance_from_db_snapshot, DBInstanceIdentifier="copy",
               DBSnapshotIdentifier="snap-1")[0] == "DBInstanceAlreadyExists"
    assert err(rds.restore_db_instance_from_db_snapshot, DBInstanceIdentifier="copy2",
               DBSnapshotIdentifier="nope")[::2] == ("DBSnapshotNotFound", 404)

    # Final snapshot rules.
    code, msg, _ = err(rds.delete_db_instance, DBInstanceIdentifier="src")
    assert (code, msg) == (
        "InvalidParameterCombination",
        "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.",
    )
    code, _, _ = err(rds.delete_db_instance, DBInstanceIdentifier="src", SkipFinalSnapshot=True,
                     FinalDBSnapshotIdentifier="f")
    assert code == "InvalidParameterCombination"
    code, _, _ = err(rds.delete_db_instance, DBInstanceIdentifier="src", FinalDBSnapshotIdentifier="snap-1")
    assert code == "DBSnapshotAlreadyExists"
    gone = rds.delete_db_instance(DBInstanceIdentifier="src", FinalDBSnapshotIdentifier="src-final")["DBInstance"]
    assert gone["DBInstanceStatus"] == "deleting"
    assert err(rds.delete_db_instance, DBInstanceIdentifier="src", SkipFinalSnapshot=True)[0] == "InvalidDBInstanceState"
    wait_gone(api_server, rds, "src")
    final = rds.describe_db_snapshots(DBSnapshotIdentifier="src-final")["DBSnapshots"][0]
    assert final["Status"] == "available" and final["DBInstanceIdentifier"] == "src"
    assert "DB instance deleted" in events(rds, "src")
    assert err(rds.describe_db_instances, DBInstanceIdentifier="src")[::2] == ("DBInstanceNotFound", 404)
    by_instance = rds.describe_db_snapshots(DBInstanceIdentifier="src")["DBSnapshots"]
    assert sorted(s["DBSnapshotIdentifier"] for s in by_instance) == ["snap-1", "src-final"]

    deleted = rds.delete_db_snapshot(DBSnapshotIdentifier="snap-1")["DBSnapshot"]
    assert deleted["Status"] == "deleted"
    assert err(rds.delete_db_snapshot, DBSnapshotIdentifier="snap-1")[::2] == ("DBSnapshotNotFound", 404)
    snap_events = rds.describe_events(SourceType="db-snapshot", Duration=60)["Events"]
    assert {"Creating manual snapshot", "Manual snapshot created", "Deleted manual snapshot"} <= {
        e["Message"] for e in snap_events}


def test_describe_filters_and_pages(api_server, rds):
    for i in range(21):
        create(rds, f"db{i:02d}", engine="postgres" if i % 3 == 0 else "mariadb")
    page1 = rds.describe_db_instances(MaxRecords=20)
    assert len(page1["DBInstances"]) == 20 and page1["Marker"]
    page2 = rds.describe_db_instances(MaxRecords=20, Marker=page1["Marker"])
    assert len(page2["DBInstances"]) == 1 and "Marker" not in page2
    ids = [d["DBInstanceIdentifier"] for d in page1["DBInstances"] + page2["DBInstances"]]
    assert ids == sorted(ids) and len(set(ids)) == 21
    pg = rds.describe_db_instances(Filters=[{"Name": "engine", "Values": ["postgres"]}])["DBInstances"]
    assert len(pg) == 7 and all(d["Engine"] == "postgres" for d in pg)
    arn = f"arn:aws:rds:{REGION}:{DEFAULT_ACCOUNT}:db:db05"
    one = rds.describe_db_instances(Filters=[{"Name": "db-instance-id", "Values": [arn]}])["DBInstances"]
    assert [d["DBInstanceIdentifier"] for d in one] == ["db05"]
    assert rds.describe_db_instances(DBInstanceIdentifier=arn)["DBInstances"][0]["DBInstanceIdentifier"] == "db05"
    code, msg, _ = err(rds.describe_db_instances, MaxRecords=5)
    assert (code, msg) == ("InvalidParameterValue", "Invalid value 5 for MaxRecords. Must be between 20 and 100")
    assert err(rds.describe_db_instances, Filters=[{"Name": "colour", "Values": ["x"]}])[0] == "InvalidParameterValue"
    # A paginator walks the pages.
    walked = [d for p in rds.get_paginator("describe_db_instances").paginate(PaginationConfig={"PageSize": 20})
              for d in p["DBInstances"]]
    assert len(walked) == 21


def test_tags_by_arn(api_server, rds):
    create(rds, "tagged")
    arn = f"arn:aws:rds:{REGION}:{DEFAULT_ACCOUNT}:db:tagged"
    rds.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    rds.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "a", "Value": "3"}])
    assert rds.list_tags_for_resource(ResourceName=arn)["TagList"] == [
        {"Key": "a", "Value": "3"}, {"Key": "b", "Value": "2"}]
    rds.remove_tags_from_resource(ResourceName=arn, TagKeys=["a"])
    assert rds.list_tags_for_resource(ResourceName=arn)["TagList"] == [{"Key": "b", "Value": "2"}]
    got = rds.describe_db_instances(DBInstanceIdentifier="tagged")["DBInstances"][0]
    assert got["TagList"] == [{"Key": "b", "Value": "2"}]
    assert err(rds.list_tags_for_resource, ResourceName=arn.replace("tagged", "ghost"))[::2] == (
        "DBInstanceNotFound", 404)
    pg_arn = rds.create_db_parameter_group(
        DBParameterGroupName="p", DBParameterGroupFamily="postgres16", Description="d"
    )["DBParameterGroup"]["DBParameterGroupArn"]
    rds.add_tags_to_resource(ResourceName=pg_arn, Tags=[{"Key": "x", "Value": "y"}])
    assert rds.list_tags_for_resource(ResourceName=pg_arn)["TagList"] == [{"Key": "x", "Value": "y"}]
    assert err(rds.list_tags_for_resource, ResourceName="not-an-arn")[0] == "InvalidParameterValue"


def test_engine_catalogue(api_server, rds):
    versions = rds.describe_db_engine_versions(Engine="postgres")["DBEngineVersions"]
    assert {v["DBParameterGroupFamily"] for v in versions} == {"postgres15", "postgres16"}
    v158 = next(v for v in versions if v["EngineVersion"] == "15.8")
    assert v158["MajorEngineVersion"] == "15"
    assert [t["EngineVersion"] for t in v158["ValidUpgradeTarget"]] == ["15.10"]
    default = rds.describe_db_engine_versions(Engine="mysql", DefaultOnly=True)["DBEngineVersions"]
    assert [v["EngineVersion"] for v in default] == ["8.0.40"]
    fam = rds.describe_db_engine_versions(DBParameterGroupFamily="mariadb10.11")["DBEngineVersions"]
    assert fam and all(v["Engine"] == "mariadb" for v in fam)

    opts = rds.describe_orderable_db_instance_options(
        Engine="mysql", EngineVersion="8.0.40", DBInstanceClass="db.t3.micro"
    )["OrderableDBInstanceOptions"]
    gp2 = next(o for o in opts if o["StorageType"] == "gp2")
    assert (gp2["MinStorageSize"], gp2["MaxStorageSize"]) == (20, 65536)
    assert gp2["MultiAZCapable"] is True
    assert {z["Name"] for z in gp2["AvailabilityZones"]} >= {f"{REGION}a", f"{REGION}b"}
    none = rds.describe_orderable_db_instance_options(Engine="postgres", DBInstanceClass="db.t2.micro")
    assert none["OrderableDBInstanceOptions"] == []
    pages = rds.get_paginator("describe_orderable_db_instance_options").paginate(Engine="postgres")
    assert sum(len(p["OrderableDBInstanceOptions"]) for p in pages) > 100


def test_events_need_a_source_type_with_an_identifier(api_server, rds):
    code, msg, _ = err(rds.describe_events, SourceIdentifier="x")
    assert code == "InvalidParameterValue" and "SourceType" in msg
    # No automated backups: a backup window the clock crosses would add events.
    create(rds, "ev", BackupRetentionPeriod=0)
    wait_status(api_server, rds, "ev", "available")
    # Events older than the asked window are left out.
    assert rds.describe_events(Duration=60)["Events"]
    api_server.advance(7200)
    assert rds.describe_events()["Events"] == []
    assert len(rds.describe_events(Duration=24 * 60)["Events"]) >= 3
    by_cat = rds.describe_events(Duration=24 * 60, EventCategories=["backup"])["Events"]
    assert {e["Message"] for e in by_cat} == {"Backing up DB instance", "Finished DB Instance backup"}


def test_aws_cli_lab(api_server, rds):

    vpc, a, b, _, sg = two_zone_subnets(api_server)
    run_aws(api_server, "rds", "create-db-subnet-group", "--db-subnet-group-name", "lab-db-subnets",
            "--db-subnet-group-description", "Lab", "--subnet-ids", a, b)
    out = run_aws(
        api_server, "rds", "create-db-instance", "--db-instance-identifier", "lab-db",
        "--engine", "mysql", "--db-instance-class", "db.t3.micro", "--allocated-storage", "20",
        "--master-username", "admin", "--master-user-password", PASSWORD,
        "--db-subnet-group-name", "lab-db-subnets", "--vpc-security-group-ids", sg,
        "--multi-az", "--db-name", "sample", "--no-publicly-accessible",
    )
    assert out["DBInstance"]["DBInstanceStatus"] == "creating"
    api_server.advance(60)
    wait_status(api_server, rds, "lab-db", "available", advance=0)
    run_aws(api_server, "rds", "wait", "db-instance-available", "--db-instance-identifier", "lab-db")
    address = run_aws(api_server, "rds", "describe-db-instances", "--db-instance-identifier", "lab-db",
                      "--query", "DBInstances[0].Endpoint.Address")
    assert address.startswith("lab-db.") and address.endswith(".rds.localhost")
    failed = run_aws(api_server, "rds", "describe-db-instances", "--db-instance-identifier", "nope", check=False)
    assert failed.returncode != 0 and "DBInstanceNotFound" in failed.stderr
    run_aws(api_server, "rds", "delete-db-instance", "--db-instance-identifier", "lab-db",
            "--skip-final-snapshot")
    wait_gone(api_server, rds, "lab-db")


def test_state_survives_a_restart(server_factory):
    srv = server_factory(args=["--test-mode", "--rds-engines", "off"])
    rds = srv.client("rds")
    rds.create_db_parameter_group(DBParameterGroupName="keep", DBParameterGroupFamily="mysql8.0", Description="d")
    rds.modify_db_parameter_group(DBParameterGroupName="keep", Parameters=[
        {"ParameterName": "max_connections", "ParameterValue": "77", "ApplyMethod": "immediate"}])
    create(rds, "keeper", DBParameterGroupName="keep", Tags=[{"Key": "k", "Value": "v"}])
    wait_status(srv, rds, "keeper", "available")
    rds.create_db_snapshot(DBInstanceIdentifier="keeper", DBSnapshotIdentifier="keep-snap")
    wait_status(srv, rds, "keeper", "available")
    before = rds.describe_db_instances(DBInstanceIdentifier="keeper")["DBInstances"][0]

    srv.restart()
    rds = srv.client("rds")
    after = rds.describe_db_instances(DBInstanceIdentifier="keeper")["DBInstances"][0]
    for field in ("DBInstanceStatus", "Endpoint", "DbiResourceId", "TagList", "DBSubnetGroup",
                  "DBParameterGroups", "AvailabilityZone"):
        assert after[field] == before[field], field
    assert rds.describe_db_snapshots(DBSnapshotIdentifier="keep-snap")["DBSnapshots"][0]["Status"] == "available"
    user = rds.describe_db_parameters(DBParameterGroupName="keep", Source="user")["Parameters"]
    assert [(p["ParameterName"], p["ParameterValue"]) for p in user] == [("max_connections", "77")]
    # The test clock starts again from the wall clock; ask for a wide window.
    kept = rds.describe_events(SourceType="db-instance", SourceIdentifier="keeper",
                               StartTime=datetime.datetime(2000, 1, 1), EndTime=datetime.datetime(2100, 1, 1))
    assert "DB instance created" in [e["Message"] for e in kept["Events"]]


def test_read_replicas_follow_their_source_until_promoted(api_server, rds):
    create(rds, "primary", BackupRetentionPeriod=0)
    code, _, status = err(rds.create_db_instance_read_replica, DBInstanceIdentifier="rep",
                          SourceDBInstanceIdentifier="ghost")
    assert (code, status) == ("DBInstanceNotFound", 404)
    code, _, _ = err(rds.create_db_instance_read_replica, DBInstanceIdentifier="rep",
                     SourceDBInstanceIdentifier="primary")
    assert code == "InvalidDBInstanceState"
    wait_status(api_server, rds, "primary", "available")
    code, msg, _ = err(rds.create_db_instance_read_replica, DBInstanceIdentifier="rep",
                       SourceDBInstanceIdentifier="primary")
    assert code == "InvalidDBInstanceState" and "Automated backups are not enabled" in msg
    rds.modify_db_instance(DBInstanceIdentifier="primary", BackupRetentionPeriod=3, ApplyImmediately=True)
    wait_status(api_server, rds, "primary", "available")

    rep = rds.create_db_instance_read_replica(
        DBInstanceIdentifier="rep", SourceDBInstanceIdentifier="primary")["DBInstance"]
    assert rep["ReadReplicaSourceDBInstanceIdentifier"] == "primary"
    assert rep["Engine"] == "mysql" and rep["MasterUsername"] == "admin"
    rds.create_db_instance_read_replica(
        DBInstanceIdentifier="rep2", SourceDBInstanceIdentifier=f"arn:aws:rds:{REGION}:{DEFAULT_ACCOUNT}:db:primary")
    rep = wait_status(api_server, rds, "rep", "available")
    wait_status(api_server, rds, "rep2", "available", advance=0)
    assert {"StatusType": "read replication", "Normal": True, "Status": "replicating"} in rep["StatusInfos"]
    src = rds.describe_db_instances(DBInstanceIdentifier="primary")["DBInstances"][0]
    assert sorted(src["ReadReplicaDBInstanceIdentifiers"]) == ["rep", "rep2"]
    assert err(rds.create_db_instance_read_replica, DBInstanceIdentifier="rep",
               SourceDBInstanceIdentifier="primary")[0] == "DBInstanceAlreadyExists"

    assert err(rds.stop_db_instance, DBInstanceIdentifier="primary")[0] == "InvalidDBInstanceState"
    assert err(rds.stop_db_instance, DBInstanceIdentifier="rep")[0] == "InvalidDBInstanceState"
    code, msg, _ = err(rds.promote_read_replica, DBInstanceIdentifier="primary")
    assert (code, msg) == ("InvalidDBInstanceState", "DB Instance is not a read replica.")
    got = rds.promote_read_replica(DBInstanceIdentifier="rep", BackupRetentionPeriod=5)["DBInstance"]
    assert got["DBInstanceStatus"] == "modifying"
    got = wait_status(api_server, rds, "rep", "available")
    assert "ReadReplicaSourceDBInstanceIdentifier" not in got and got["BackupRetentionPeriod"] == 5
    assert "Read replica promoted to a standalone DB instance" in events(rds, "rep")
    src = rds.describe_db_instances(DBInstanceIdentifier="primary")["DBInstances"][0]
    assert src["ReadReplicaDBInstanceIdentifiers"] == ["rep2"]

    # Deleting the source promotes its remaining replicas.
    rds.delete_db_instance(DBInstanceIdentifier="primary", SkipFinalSnapshot=True)
    wait_gone(api_server, rds, "primary")
    got = wait_status(api_server, rds, "rep2", "available")
    assert "ReadReplicaSourceDBInstanceIdentifier" not in got


@pytest.mark.parametrize("engine", ["mysql", "postgres"])
def test_read_replicas_of_read_replicas_chain_up_to_three(api_server, rds, engine):
    create(rds, "main", engine)
    wait_status(api_server, rds, "main", "available")
    rds.create_db_instance_read_replica(DBInstanceIdentifier="r1", SourceDBInstanceIdentifier="main")
    wait_status(api_server, rds, "r1", "available")
    if engine == "mysql":
        # A MySQL replica is a source only with its own backups turned on.
        code, msg, _ = err(rds.create_db_instance_read_replica, DBInstanceIdentifier="r2",
                           SourceDBInstanceIdentifier="r1")
        assert code == "InvalidDBInstanceState" and "Automated backups are not enabled" in msg
        rds.modify_db_instance(DBInstanceIdentifier="r1", BackupRetentionPeriod=1, ApplyImmediately=True)
    r2 = rds.create_db_instance_read_replica(
        DBInstanceIdentifier="r2", SourceDBInstanceIdentifier="r1")["DBInstance"]
    assert r2["ReadReplicaSourceDBInstanceIdentifier"] == "r1"
    wait_status(api_server, rds, "r2", "available")
    if engine == "mysql":
        rds.modify_db_instance(DBInstanceIdentifier="r2", BackupRetentionPeriod=1, ApplyImmediately=True)
    out = run_aws(api_server, "rds", "create-db-instance-read-replica", "--db-instance-identifier", "r3",
                  "--source-db-instance-identifier", "r2")
    assert out["DBInstance"]["ReadReplicaSourceDBInstanceIdentifier"] == "r2"
    wait_status(api_server, rds, "r3", "available")
    if engine == "mysql":
        rds.modify_db_instance(DBInstanceIdentifier="r3", BackupRetentionPeriod=1, ApplyImmediately=True)
    # Four instances in a chain at most: the source and three replicas.
    code, _, status = err(rds.create_db_instance_read_replica, DBInstanceIdentifier="r4",
                          SourceDBInstanceIdentifier="r3")
    assert (code, status) == ("InvalidDBInstanceState", 400)
    refused = run_aws(api_server, "rds", "create-db-instance-read-replica", "--db-instance-identifier", "r4",
                      "--source-db-instance-identifier", "r3", check=False)
    assert refused.returncode != 0 and "InvalidDBInstanceState" in refused.stderr

    def described(ident):
        return rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]

    assert described("main")["ReadReplicaDBInstanceIdentifiers"] == ["r1"]
    assert "ReadReplicaSourceDBInstanceIdentifier" not in described("main")
    for source, rep in [("main", "r1"), ("r1", "r2"), ("r2", "r3")]:
        got = described(rep)
        assert got["ReadReplicaSourceDBInstanceIdentifier"] == source
        assert got["ReadReplicaDBInstanceIdentifiers"] == ([] if rep == "r3" else [{"r1": "r2", "r2": "r3"}[rep]])

    # Promoting the middle of the chain keeps its own replica behind it.
    rds.promote_read_replica(DBInstanceIdentifier="r1")
    got = wait_status(api_server, rds, "r1", "available")
    assert "ReadReplicaSourceDBInstanceIdentifier" not in got
    assert got["ReadReplicaDBInstanceIdentifiers"] == ["r2"]
    assert described("main")["ReadReplicaDBInstanceIdentifiers"] == []
    assert described("r2")["ReadReplicaSourceDBInstanceIdentifier"] == "r1"


def test_automated_backups_follow_the_window_and_retention(api_server, rds):
    create(rds, "auto", BackupRetentionPeriod=2, PreferredBackupWindow="03:00-03:30")
    wait_status(api_server, rds, "auto", "available")

    def automated():
        got = rds.describe_db_snapshots(DBInstanceIdentifier="auto", SnapshotType="automated")["DBSnapshots"]
        return sorted(got, key=lambda s: s["SnapshotCreateTime"])

    first = automated()
    assert len(first) == 1
    assert re.fullmatch(r"rds:auto-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}", first[0]["DBSnapshotIdentifier"])
    assert first[0]["SnapshotType"] == "automated" and first[0]["Status"] == "available"
    code, _, _ = err(rds.delete_db_snapshot, DBSnapshotIdentifier=first[0]["DBSnapshotIdentifier"])
    assert code == "InvalidDBSnapshotState"
    assert rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"] == []

    # A day later the window has come round: a second backup.
    api_server.advance(86_400)
    deadline = time.monotonic() + 10
    while len(automated()) < 2:
        assert time.monotonic() < deadline, automated()
        time.sleep(0.05)
    wait_status(api_server, rds, "auto", "available", advance=0)
    # Past the two days' retention, older ones go.
    api_server.advance(3 * 86_400)
    deadline = time.monotonic() + 10
    while True:
        ids = [s["DBSnapshotIdentifier"] for s in automated()]
        if first[0]["DBSnapshotIdentifier"] not in ids and ids:
            break
        assert time.monotonic() < deadline, ids
        time.sleep(0.05)
    wait_status(api_server, rds, "auto", "available", advance=0)

    latest = automated()[-1]["DBSnapshotIdentifier"]
    rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="from-auto", DBSnapshotIdentifier=latest)
    wait_status(api_server, rds, "from-auto", "available")

    rds.modify_db_instance(DBInstanceIdentifier="auto", BackupRetentionPeriod=0, ApplyImmediately=True)
    api_server.advance(1)
    deadline = time.monotonic() + 10
    while automated():
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_copy_and_share_snapshots(api_server, rds):
    create(rds, "sharer")
    wait_status(api_server, rds, "sharer", "available")
    rds.create_db_snapshot(DBInstanceIdentifier="sharer", DBSnapshotIdentifier="orig",
                           Tags=[{"Key": "t", "Value": "1"}])
    wait_status(api_server, rds, "sharer", "available")
    orig_arn = f"arn:aws:rds:{REGION}:{DEFAULT_ACCOUNT}:snapshot:orig"
    copy = rds.copy_db_snapshot(SourceDBSnapshotIdentifier="orig", TargetDBSnapshotIdentifier="Orig-Copy",
                                CopyTags=True)["DBSnapshot"]
    assert copy["DBSnapshotIdentifier"] == "orig-copy"
    assert copy["SourceDBSnapshotIdentifier"] == orig_arn
    assert copy["TagList"] == [{"Key": "t", "Value": "1"}] and copy["SnapshotType"] == "manual"
    assert err(rds.copy_db_snapshot, SourceDBSnapshotIdentifier="orig",
               TargetDBSnapshotIdentifier="orig-copy")[0] == "DBSnapshotAlreadyExists"
    assert err(rds.copy_db_snapshot, SourceDBSnapshotIdentifier="nope",
               TargetDBSnapshotIdentifier="x")[::2] == ("DBSnapshotNotFound", 404)

    attrs = rds.describe_db_snapshot_attributes(DBSnapshotIdentifier="orig")["DBSnapshotAttributesResult"]
    assert attrs == {"DBSnapshotIdentifier": "orig",
                     "DBSnapshotAttributes": [{"AttributeName": "restore", "AttributeValues": []}]}
    assert err(rds.modify_db_snapshot_attribute, DBSnapshotIdentifier="orig", AttributeName="copy",
               ValuesToAdd=["111122223333"])[0] == "InvalidParameterValue"
    assert err(rds.modify_db_snapshot_attribute, DBSnapshotIdentifier="orig", AttributeName="restore",
               ValuesToAdd=["12345"])[0] == "InvalidParameterValue"
    got = rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="orig", AttributeName="restore",
                                           ValuesToAdd=["111122223333"])["DBSnapshotAttributesResult"]
    assert got["DBSnapshotAttributes"][0]["AttributeValues"] == ["111122223333"]

    # The account it is shared with restores it by ARN; another cannot.
    friend = api_server.client("rds", access_key="111122223333")
    friend.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="borrowed", DBSnapshotIdentifier=orig_arn)
    wait_status(api_server, friend, "borrowed", "available")
    stranger = api_server.client("rds", access_key="444455556666")
    assert err(stranger.restore_db_instance_from_db_snapshot, DBInstanceIdentifier="x",
               DBSnapshotIdentifier=orig_arn)[::2] == ("DBSnapshotNotFound", 404)
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="orig", AttributeName="restore",
                                     ValuesToRemove=["111122223333"])
    assert err(friend.restore_db_instance_from_db_snapshot, DBInstanceIdentifier="again",
               DBSnapshotIdentifier=orig_arn)[0] == "DBSnapshotNotFound"
    assert rds.describe_db_instances()["DBInstances"][0]["DBInstanceIdentifier"] == "sharer"


def test_pending_changes_apply_in_the_maintenance_window(api_server, rds):
    create(rds, "maint", PreferredMaintenanceWindow="sun:05:00-sun:05:30", BackupRetentionPeriod=0)
    wait_status(api_server, rds, "maint", "available")
    got = rds.modify_db_instance(DBInstanceIdentifier="maint", DBInstanceClass="db.t3.medium",
                                 AllocatedStorage=30)["DBInstance"]
    assert got["PendingModifiedValues"] == {"DBInstanceClass": "db.t3.medium", "AllocatedStorage": 30}
    # A week later the window has come round.
    api_server.advance(8 * 86_400)
    deadline = time.monotonic() + 10
    while True:
        got = rds.describe_db_instances(DBInstanceIdentifier="maint")["DBInstances"][0]
        if got["DBInstanceClass"] == "db.t3.medium" and got["DBInstanceStatus"] == "available":
            break
        assert time.monotonic() < deadline, got["DBInstanceStatus"]
        api_server.advance(5)
        time.sleep(0.05)
    assert got["AllocatedStorage"] == 30 and got["PendingModifiedValues"] == {}
    assert "Applying pending modifications in the maintenance window" in events(rds, "maint")
