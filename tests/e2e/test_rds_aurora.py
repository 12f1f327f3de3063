"""Aurora DB clusters: the control plane (CreateDBCluster, DescribeDBClusters,
ModifyDBCluster, DeleteDBCluster with AWS's errors), instances in a cluster
(the first the writer, later ones readers), and real servers behind the
cluster's endpoints: a row written through the cluster endpoint is read
through the reader endpoint (the cluster's port + 1 on 127.0.0.1), and
FailoverDBCluster moves the cluster endpoint to the promoted reader with
the data still there."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pg8000.native
import pymysql
import pytest
from botocore.exceptions import ClientError

from helpers import error_of
from test_rds_engines import (  # noqa: F401
    PASSWORD, engines_installed, my_rows, pg_rows, port_open, wait_closed, wait_for, write)
from test_rds_engines import wait_gone as wait_instance_gone

LABEL_RE = r"[a-z][a-z0-9]{11}"


def postgres_majors():
    """The PostgreSQL majors installed where Stratus looks for them."""
    bins = [d / "bin" / "postgres" for d in Path("/usr/lib/postgresql").glob("*")]
    if shutil.which("postgres"):
        bins.append(Path(shutil.which("postgres")))
    majors = set()
    for b in bins:
        if b.is_file():
            out = subprocess.run([b, "--version"], capture_output=True, text=True).stdout
            # `postgres (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)`
            majors.add(out.split()[2].split(".")[0])
    return majors


def cluster_args(ident, engine="aurora-mysql", **kw):
    args = dict(
        DBClusterIdentifier=ident, Engine=engine,
        MasterUsername="master" if engine == "aurora-postgresql" else "admin",
        MasterUserPassword=PASSWORD, DatabaseName="labdb",
    )
    args.update(kw)
    return args


def wait_cluster(rds, ident, status="available", timeout=90.0):
    deadline = time.monotonic() + timeout
    while True:
        c = rds.describe_db_clusters(DBClusterIdentifier=ident)["DBClusters"][0]
        if c["Status"] == status:
            return c
        assert time.monotonic() < deadline, f"{ident} stayed {c['Status']}"
        time.sleep(0.2)


def wait_cluster_gone(rds, ident, timeout=60.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            rds.describe_db_clusters(DBClusterIdentifier=ident)
        except ClientError as e:
            assert error_of(e)[:2] == ("DBClusterNotFoundFault", f"DBCluster {ident} not found.")
            return
        assert time.monotonic() < deadline, f"{ident} was not deleted"
        time.sleep(0.2)


def code_of(call):
    with pytest.raises(ClientError) as e:
        call()
    return error_of(e.value)


def test_cluster_control_plane(server, aws):
    rds = server.client("rds")
    c = rds.create_db_cluster(**cluster_args("web", Tags=[{"Key": "team", "Value": "lab"}],
                                             BackupRetentionPeriod=3))["DBCluster"]
    assert c["Status"] == "creating"
    assert c["Engine"] == "aurora-mysql"
    assert c["EngineVersion"] == "8.0.mysql_aurora.3.08.0"
    assert c["Port"] == 3306
    assert c["EngineMode"] == "provisioned"
    assert c["BackupRetentionPeriod"] == 3
    assert c["DatabaseName"] == "labdb"
    assert c["MasterUsername"] == "admin"
    assert c["DBClusterMembers"] == []
    assert c["DBClusterArn"].endswith(":cluster:web")
    assert c["DbClusterResourceId"].startswith("cluster-")
    assert c["TagList"] == [{"Key": "team", "Value": "lab"}]
    label = c["Endpoint"].split(".")[1].removeprefix("cluster-")
    assert c["Endpoint"] == f"web.cluster-{label}.us-east-1.rds.localhost"
    assert c["ReaderEndpoint"] == f"web.cluster-ro-{label}.us-east-1.rds.localhost"
    assert len(c["AvailabilityZones"]) >= 2
    assert c["DBSubnetGroup"] == "default"
    assert c["VpcSecurityGroups"][0]["VpcSecurityGroupId"].startswith("sg-")
    assert "Password" not in json.dumps(c, default=str)

    # The catalogue: versions, defaults (the newest of an installed major)
    # and the classes Aurora offers.
    versions = rds.describe_db_engine_versions(Engine="aurora-mysql")["DBEngineVersions"]
    assert [v["EngineVersion"] for v in versions][-1] == "8.0.mysql_aurora.3.08.0"
    assert {v["DBParameterGroupFamily"] for v in versions} == {"aurora-mysql8.0"}
    # The default is the newest version of an installed PostgreSQL major.
    pg_versions = [v["EngineVersion"] for v in
                   rds.describe_db_engine_versions(Engine="aurora-postgresql")["DBEngineVersions"]]
    majors = postgres_majors()
    want = next((v for v in reversed(pg_versions) if v.split(".")[0] in majors), pg_versions[-1])
    default = rds.describe_db_engine_versions(Engine="aurora-postgresql", DefaultOnly=True)["DBEngineVersions"]
    assert [v["EngineVersion"] for v in default] == [want]
    orderable = rds.describe_orderable_db_instance_options(Engine="aurora-mysql")["OrderableDBInstanceOptions"]
    classes = {o["DBInstanceClass"] for o in orderable}
    assert "db.r6g.large" in classes and "db.t3.micro" not in classes
    assert {o["StorageType"] for o in orderable} == {"aurora"}

    pg = rds.create_db_cluster(**cluster_args("pgc", "aurora-postgresql", EngineVersion="16"))["DBCluster"]
    assert pg["Port"] == 5432
    assert pg["EngineVersion"] == "16.6"

    # A subnet group of the user's VPC, with its security group.
    ec2 = server.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.30.{i}.0/24",
                                 AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
               for i, z in enumerate("ab", start=1)]
    sg = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    rds.create_db_subnet_group(DBSubnetGroupName="lab-subnets", DBSubnetGroupDescription="lab",
                               SubnetIds=subnets)
    own = rds.create_db_cluster(**cluster_args("own", DBSubnetGroupName="lab-subnets",
                                               VpcSecurityGroupIds=[sg], StorageEncrypted=True,
                                               DeletionProtection=True))["DBCluster"]
    assert own["DBSubnetGroup"] == "lab-subnets"
    assert own["AvailabilityZones"] == ["us-east-1a", "us-east-1b"]
    assert [g["VpcSecurityGroupId"] for g in own["VpcSecurityGroups"]] == [sg]
    assert own["StorageEncrypted"] is True and own["DeletionProtection"] is True
    # A security group of another VPC is refused, at creation and later.
    other = ec2.create_security_group(GroupName="elsewhere", Description="other VPC",
                                      VpcId=ec2.create_vpc(CidrBlock="10.31.0.0/16")["Vpc"]["VpcId"])["GroupId"]
    assert code_of(lambda: rds.create_db_cluster(**cluster_args("x", DBSubnetGroupName="lab-subnets",
                                                                VpcSecurityGroupIds=[other])))[0] == \
        "InvalidParameterCombination"
    # Identifiers are taken in any case and kept in lower case.
    assert rds.describe_db_clusters(DBClusterIdentifier="OWN")["DBClusters"][0]["DBClusterIdentifier"] == "own"

    # AWS's errors.
    assert code_of(lambda: rds.create_db_cluster(**cluster_args("web")))[:2] == (
        "DBClusterAlreadyExistsFault", "DB Cluster already exists")
    assert code_of(lambda: rds.create_db_cluster(**cluster_args("x", "aurora")))[0] == "InvalidParameterValue"
    assert code_of(lambda: rds.create_db_cluster(**cluster_args("x", EngineVersion="5.6.1")))[:2] == (
        "InvalidParameterCombination", "Cannot find version 5.6.1 for aurora-mysql")
    args = cluster_args("x")
    del args["MasterUserPassword"]
    assert code_of(lambda: rds.create_db_cluster(**args))[0] == "InvalidParameterValue"
    assert code_of(lambda: rds.create_db_cluster(**cluster_args("x", MasterUserPassword="short")))[0] == \
        "InvalidParameterValue"
    assert code_of(lambda: rds.create_db_cluster(**cluster_args("x", MasterUsername="rdsadmin")))[0] == \
        "InvalidParameterValue"
    assert code_of(lambda: rds.create_db_cluster(**cluster_args("x", BackupRetentionPeriod=0)))[0] == \
        "InvalidParameterValue"
    assert code_of(lambda: rds.create_db_cluster(**cluster_args("x", Port=80)))[0] == "InvalidParameterValue"
    assert code_of(lambda: rds.create_db_cluster(**cluster_args("x", DBSubnetGroupName="nope")))[:3] == (
        "DBSubnetGroupNotFoundFault", "DBSubnetGroup nope not found.", 404)
    assert code_of(lambda: rds.create_db_cluster(**cluster_args("x", VpcSecurityGroupIds=["sg-nope"])))[0] == \
        "InvalidParameterValue"
    assert code_of(lambda: rds.describe_db_clusters(DBClusterIdentifier="nope"))[:3] == (
        "DBClusterNotFoundFault", "DBCluster nope not found.", 404)
    # Serverless stays out.
    assert code_of(lambda: rds.create_db_cluster(**cluster_args("x", EngineMode="serverless")))[2] == 501

    server.advance(3)
    web = wait_cluster(rds, "web")
    wait_cluster(rds, "own")
    assert code_of(lambda: rds.modify_db_cluster(DBClusterIdentifier="Own", VpcSecurityGroupIds=[other]))[:2] == (
        "InvalidParameterCombination",
        f"The DB instance and EC2 security group are in different VPCs. The DB instance is in {vpc} "
        f"and the EC2 security group is in {ec2.describe_security_groups(GroupIds=[other])['SecurityGroups'][0]['VpcId']}")
    rds.modify_db_cluster(DBClusterIdentifier="own", DeletionProtection=False)
    rds.delete_db_cluster(DBClusterIdentifier="own", SkipFinalSnapshot=True)
    assert "DB cluster created" in [
        e["Message"] for e in rds.describe_events(SourceType="db-cluster", SourceIdentifier="web")["Events"]]

    # Filters and pages.
    got = rds.describe_db_clusters(Filters=[{"Name": "engine", "Values": ["aurora-postgresql"]}])["DBClusters"]
    assert [c["DBClusterIdentifier"] for c in got] == ["pgc"]
    got = rds.describe_db_clusters(Filters=[{"Name": "db-cluster-id", "Values": [web["DBClusterArn"]]}])
    assert [c["DBClusterIdentifier"] for c in got["DBClusters"]] == ["web"]
    for i in range(20):
        rds.create_db_cluster(**cluster_args(f"many-{i:02}"))
    first = rds.describe_db_clusters(MaxRecords=20)
    assert len(first["DBClusters"]) == 20 and first["Marker"]
    rest = rds.describe_db_clusters(MaxRecords=20, Marker=first["Marker"])
    # pgc and web after the twenty, and own while its deletion lasts (1 s).
    names = [c["DBClusterIdentifier"] for c in rest["DBClusters"]]
    assert [n for n in names if n != "own"] == ["pgc", "web"] and "Marker" not in rest, names
    assert code_of(lambda: rds.describe_db_clusters(MaxRecords=5))[0] == "InvalidParameterValue"
    assert code_of(lambda: rds.describe_db_clusters(Filters=[{"Name": "bogus", "Values": ["x"]}]))[0] == \
        "InvalidParameterValue"
    for i in range(20):
        rds.delete_db_cluster(DBClusterIdentifier=f"many-{i:02}", SkipFinalSnapshot=True)

    # Modify: backups, deletion protection, master password.
    m = rds.modify_db_cluster(DBClusterIdentifier="web", BackupRetentionPeriod=7, DeletionProtection=True,
                              ApplyImmediately=True)["DBCluster"]
    assert m["BackupRetentionPeriod"] == 7 and m["DeletionProtection"] is True
    assert code_of(lambda: rds.modify_db_cluster(DBClusterIdentifier="web", BackupRetentionPeriod=40))[0] == \
        "InvalidParameterValue"
    assert code_of(lambda: rds.delete_db_cluster(DBClusterIdentifier="web", SkipFinalSnapshot=True))[:2] == (
        "InvalidParameterCombination",
        "Cannot delete protected Cluster, please disable deletion protection and try again.")
    rds.modify_db_cluster(DBClusterIdentifier="web", DeletionProtection=False)
    m = rds.modify_db_cluster(DBClusterIdentifier="web", MasterUserPassword="An0ther-Passw0rd",
                              ApplyImmediately=True)["DBCluster"]
    assert m["Status"] == "resetting-master-credentials"
    assert code_of(lambda: rds.modify_db_cluster(DBClusterIdentifier="web", DeletionProtection=True))[0] == \
        "InvalidDBClusterStateFault"
    server.advance(2)
    wait_cluster(rds, "web")

    # RDS manages the master password: the cluster shows its secret.
    args = cluster_args("sec", ManageMasterUserPassword=True)
    del args["MasterUserPassword"]
    sec = rds.create_db_cluster(**args)["DBCluster"]
    secret = sec["MasterUserSecret"]
    assert secret["SecretArn"].startswith(
        f"arn:aws:secretsmanager:us-east-1:{web['DBClusterArn'].split(':')[4]}:secret:rds!"
        f"{sec['DbClusterResourceId'].lower()}-")
    assert secret["SecretStatus"] == "active"
    assert rds.describe_db_clusters(DBClusterIdentifier="sec")["DBClusters"][0]["MasterUserSecret"] == secret
    assert "MasterUserSecret" not in rds.describe_db_clusters(DBClusterIdentifier="web")["DBClusters"][0]
    rds.delete_db_cluster(DBClusterIdentifier="sec", SkipFinalSnapshot=True)
    server.advance(3)
    wait_cluster_gone(rds, "sec")

    # The aws CLI a user would type.
    out = aws("rds", "describe-db-clusters", "--db-cluster-identifier", "web")
    assert out["DBClusters"][0]["BackupRetentionPeriod"] == 7
    tags = aws("rds", "list-tags-for-resource", "--resource-name", web["DBClusterArn"])
    assert tags["TagList"] == [{"Key": "team", "Value": "lab"}]

    # Deleting: AWS's final snapshot rules, then the cluster goes.
    assert code_of(lambda: rds.delete_db_cluster(DBClusterIdentifier="web"))[:2] == (
        "InvalidParameterCombination",
        "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.")
    assert code_of(lambda: rds.delete_db_cluster(DBClusterIdentifier="web", SkipFinalSnapshot=True,
                                                 FinalDBSnapshotIdentifier="final"))[0] == \
        "InvalidParameterCombination"
    d = rds.delete_db_cluster(DBClusterIdentifier="web", SkipFinalSnapshot=True)["DBCluster"]
    assert d["Status"] == "deleting"
    assert code_of(lambda: rds.delete_db_cluster(DBClusterIdentifier="web", SkipFinalSnapshot=True))[0] == \
        "InvalidDBClusterStateFault"
    server.advance(2)
    wait_cluster_gone(rds, "web")
    aws("rds", "delete-db-cluster", "--db-cluster-identifier", "pgc", "--skip-final-snapshot")
    server.advance(2)
    wait_cluster_gone(rds, "pgc")
    assert rds.describe_db_clusters()["DBClusters"] == []


def test_instances_in_a_cluster_are_checked_as_aws_checks_them(server):
    rds = server.client("rds")
    rds.create_db_cluster(**cluster_args("chk"))

    def inst(**kw):
        args = dict(DBInstanceIdentifier="chk-1", DBClusterIdentifier="chk", Engine="aurora-mysql",
                    DBInstanceClass="db.r6g.large")
        args.update(kw)
        return lambda: rds.create_db_instance(**args)

    assert code_of(inst(AllocatedStorage=20))[0] == "InvalidParameterCombination"
    assert code_of(inst(MasterUsername="admin"))[:2] == (
        "InvalidParameterCombination",
        "The requested DB Instance will be a member of a DB Cluster. Set master user name for the DB Cluster.")
    assert code_of(inst(MasterUserPassword=PASSWORD))[0] == "InvalidParameterCombination"
    assert code_of(inst(DBName="other"))[0] == "InvalidParameterCombination"
    assert code_of(inst(Engine="aurora-postgresql"))[:2] == (
        "InvalidParameterCombination",
        "The engine name requested for your DB instance (aurora-postgresql) doesn't match the engine name "
        "of your DB cluster (aurora-mysql).")
    assert code_of(inst(DBInstanceClass="db.t3.micro"))[0] == "InvalidParameterCombination"
    assert code_of(inst(DBClusterIdentifier="nope"))[:3] == (
        "DBClusterNotFoundFault", "DBCluster nope not found.", 404)
    # An Aurora engine needs its cluster.
    assert code_of(lambda: rds.create_db_instance(
        DBInstanceIdentifier="lone", Engine="aurora-mysql", DBInstanceClass="db.r6g.large"))[0] == \
        "InvalidParameterValue"
    assert code_of(lambda: rds.failover_db_cluster(DBClusterIdentifier="nope"))[0] == "DBClusterNotFoundFault"
    # Without instances there is nothing to fail over to.
    server.advance(3)
    wait_cluster(rds, "chk")
    assert code_of(lambda: rds.failover_db_cluster(DBClusterIdentifier="chk"))[0] == "InvalidDBClusterStateFault"
    assert rds.describe_db_instances()["DBInstances"] == []
    rds.delete_db_cluster(DBClusterIdentifier="chk", SkipFinalSnapshot=True)
    server.advance(2)
    wait_cluster_gone(rds, "chk")


def connect(engine, port, password=PASSWORD):
    if engine == "aurora-postgresql":
        return pg8000.native.Connection("master", host="127.0.0.1", port=port, database="labdb",
                                        password=password, timeout=10)
    return pymysql.connect(host="127.0.0.1", port=port, user="admin", password=password,
                           database="labdb", autocommit=True, connect_timeout=10)


# What a client sees when the server side of its connection goes.
CONNECTION_LOST = (pymysql.err.OperationalError, pymysql.err.InterfaceError,
                   pg8000.native.InterfaceError)


def run_sql(conn, sql):
    if isinstance(conn, pg8000.native.Connection):
        conn.run(sql)
    else:
        with conn.cursor() as c:
            c.execute(sql)


def assert_read_only(engine, endpoint, sql):
    """The server refuses the write as a read-only one: MariaDB's errno 1290
    (--read-only), PostgreSQL's SQLSTATE 25006 (read_only_sql_transaction)."""
    if engine == "aurora-postgresql":
        with pytest.raises(pg8000.native.DatabaseError) as e:
            write("postgres", endpoint, sql)
        assert e.value.args[0]["C"] == "25006", e.value
    else:
        with pytest.raises(pymysql.err.OperationalError) as e:
            write("mysql", endpoint, sql)
        assert e.value.args[0] == 1290, e.value


def rows_at(engine, port):
    ep = {"Port": port}
    return pg_rows(ep) if engine == "aurora-postgresql" else my_rows(ep)


def wait_rows(engine, port, want, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            got = rows_at(engine, port)
            if got == want:
                return
        except Exception as e:  # noqa: BLE001 - the server may still be starting
            got = repr(e)
        assert time.monotonic() < deadline, f"port {port} has {got}, not {want}"
        time.sleep(0.2)


def local(engine):
    return "postgres" if engine == "aurora-postgresql" else "mysql"


def members(rds, ident):
    c = rds.describe_db_clusters(DBClusterIdentifier=ident)["DBClusters"][0]
    return {m["DBInstanceIdentifier"]: (m["IsClusterWriter"], m["PromotionTier"]) for m in c["DBClusterMembers"]}


@pytest.mark.parametrize("engine", ["aurora-mysql", "aurora-postgresql"])
def test_cluster_endpoints_reach_real_servers_and_follow_a_failover(server, aws, engine):
    rds = server.client("rds")
    rds.create_db_cluster(**cluster_args("lab", engine))
    rds.create_db_instance(DBInstanceIdentifier="lab-1", DBClusterIdentifier="lab", Engine=engine,
                           DBInstanceClass="db.t3.medium")
    w = wait_for(rds, "lab-1")
    assert w["DBClusterIdentifier"] == "lab"
    assert w["StorageType"] == "aurora" and "ReadReplicaSourceDBInstanceIdentifier" not in w
    rds.create_db_instance(DBInstanceIdentifier="lab-2", DBClusterIdentifier="lab", Engine=engine,
                           DBInstanceClass="db.t3.medium", PromotionTier=2)
    rds.create_db_instance(DBInstanceIdentifier="lab-3", DBClusterIdentifier="lab", Engine=engine,
                           DBInstanceClass="db.t3.medium", PromotionTier=0)
    wait_for(rds, "lab-2")
    r3 = wait_for(rds, "lab-3")
    assert r3["PromotionTier"] == 0
    c = wait_cluster(rds, "lab")
    assert members(rds, "lab") == {"lab-1": (True, 1), "lab-2": (False, 2), "lab-3": (False, 0)}
    got = rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": ["lab"]}])["DBInstances"]
    assert sorted(i["DBInstanceIdentifier"] for i in got) == ["lab-1", "lab-2", "lab-3"]
    port = c["Port"]
    assert port_open(port) and port_open(port + 1)

    # Written through the cluster endpoint, read through the reader endpoint.
    write(local(engine), {"Port": port}, "CREATE TABLE SAMPLE (id INT PRIMARY KEY, name VARCHAR(40))")
    write(local(engine), {"Port": port}, "INSERT INTO SAMPLE VALUES (1, 'alpha'), (2, 'beta')")
    wait_rows(engine, port + 1, [[1, "alpha"], [2, "beta"]])
    # The reader endpoint reaches read-only readers.
    assert_read_only(engine, {"Port": port + 1}, "INSERT INTO SAMPLE VALUES (9, 'nope')")

    # The cluster cannot go while it has instances.
    assert code_of(lambda: rds.delete_db_cluster(DBClusterIdentifier="lab", SkipFinalSnapshot=True))[:2] == (
        "InvalidDBClusterStateFault",
        "Cluster cannot be deleted, it still contains DB instances in non-deleting state.")

    # A pooled connection through the cluster endpoint, open across the
    # failover.
    pooled = connect(engine, port)
    run_sql(pooled, "INSERT INTO SAMPLE VALUES (3, 'pooled')")

    # Failover: the reader with the lowest promotion tier takes over.
    f = rds.failover_db_cluster(DBClusterIdentifier="lab")["DBCluster"]
    assert f["Status"] == "failing-over"
    # AWS drops the connections to the old writer: nothing written on one
    # can be lost with the old writer's files.
    with pytest.raises(CONNECTION_LOST):
        run_sql(pooled, "INSERT INTO SAMPLE VALUES (9, 'to the old writer')")
    c = wait_cluster(rds, "lab")
    assert c["Port"] == port
    assert members(rds, "lab")["lab-3"] == (True, 0)
    assert members(rds, "lab")["lab-1"][0] is False
    wait_rows(engine, port, [[1, "alpha"], [2, "beta"], [3, "pooled"]])
    write(local(engine), {"Port": port}, "INSERT INTO SAMPLE VALUES (4, 'after the failover')")
    # The old writer follows the new one as a reader.
    old = wait_for(rds, "lab-1")
    want = [[1, "alpha"], [2, "beta"], [3, "pooled"], [4, "after the failover"]]
    wait_rows(engine, old["Endpoint"]["Port"], want)
    assert_read_only(engine, old["Endpoint"], "INSERT INTO SAMPLE VALUES (8, 'nope')")
    wait_for(rds, "lab-2")
    wait_rows(engine, port + 1, want)
    msgs = [e["Message"] for e in rds.describe_events(SourceType="db-cluster", SourceIdentifier="lab")["Events"]]
    assert any(m.startswith("Started ") and m.endswith("failover to DB instance: lab-3") for m in msgs), msgs
    assert "Completed failover to DB instance: lab-3" in msgs

    # A named target.
    out = aws("rds", "failover-db-cluster", "--db-cluster-identifier", "lab",
              "--target-db-instance-identifier", "lab-2")
    assert out["DBCluster"]["Status"] == "failing-over"
    wait_cluster(rds, "lab")
    assert members(rds, "lab")["lab-2"][0] is True
    wait_rows(engine, port, want)
    wait_for(rds, "lab-1")
    wait_for(rds, "lab-3")

    # Deleting the writer fails over to a reader; then everything goes.
    rds.delete_db_instance(DBInstanceIdentifier="lab-2")
    wait_instance_gone(rds, "lab-2")
    c = wait_cluster(rds, "lab")
    assert [m for m, (writer, _) in members(rds, "lab").items() if writer] == ["lab-3"]
    wait_rows(engine, port, want)
    instance_ports = [wait_for(rds, i)["Endpoint"]["Port"] for i in ("lab-1", "lab-3")]
    for i in ("lab-1", "lab-3"):
        rds.delete_db_instance(DBInstanceIdentifier=i)
    for i in ("lab-1", "lab-3"):
        wait_instance_gone(rds, i)
    rds.delete_db_cluster(DBClusterIdentifier="lab", SkipFinalSnapshot=True)
    wait_cluster_gone(rds, "lab")
    for p in [port, port + 1, *instance_ports]:
        wait_closed(p)


def test_cluster_endpoints_come_back_after_a_restart(server_factory):
    srv = server_factory(args=["--test-mode"])
    rds = srv.client("rds")
    rds.create_db_cluster(**cluster_args("keep"))
    for i in ("keep-1", "keep-2"):
        rds.create_db_instance(DBInstanceIdentifier=i, DBClusterIdentifier="keep", Engine="aurora-mysql",
                               DBInstanceClass="db.r6g.large")
    wait_for(rds, "keep-1")
    wait_for(rds, "keep-2")
    # Members take no snapshots of their own.
    assert code_of(lambda: rds.create_db_snapshot(DBInstanceIdentifier="keep-1", DBSnapshotIdentifier="s"))[:2] == (
        "InvalidParameterValue",
        "The specified instance is a member of a cluster and a snapshot cannot be created directly. "
        "Please use the CreateDBClusterSnapshot API instead.")
    # What the cluster decides is not modified on one of its instances.
    for kw, what in [(dict(MultiAZ=True), "Multi-AZ"),
                     (dict(MasterUserPassword="Other-Passw0rd-1"), "master user password"),
                     (dict(AllocatedStorage=50), "allocated storage"),
                     (dict(BackupRetentionPeriod=5), "backup retention period"),
                     (dict(VpcSecurityGroupIds=["sg-12345678"]), "VPC Security Group"),
                     (dict(DBPortNumber=3310), "port")]:
        assert code_of(lambda: rds.modify_db_instance(DBInstanceIdentifier="keep-2", ApplyImmediately=True,
                                                      **kw))[:2] == (
            "InvalidParameterCombination",
            f"The requested DB Instance will be a member of a DB Cluster. Set {what} for the DB Cluster.")
    assert wait_for(rds, "keep-2")["PromotionTier"] == 1
    # Identifiers are taken in any case.
    assert rds.describe_db_instances(DBInstanceIdentifier="Keep-2")["DBInstances"][0]["DBInstanceIdentifier"] == \
        "keep-2"
    assert code_of(lambda: rds.modify_db_instance(DBInstanceIdentifier="KEEP-2", MultiAZ=True))[0] == \
        "InvalidParameterCombination"
    port = wait_cluster(rds, "keep")["Port"]
    write("mysql", {"Port": port}, "CREATE TABLE SAMPLE (id INT PRIMARY KEY, name VARCHAR(40))")
    write("mysql", {"Port": port}, "INSERT INTO SAMPLE VALUES (1, 'kept')")
    wait_rows("aurora-mysql", port + 1, [[1, "kept"]])

    assert srv.stop() == 0

    srv.start()
    rds = srv.client("rds")
    assert rds.describe_db_clusters(DBClusterIdentifier="keep")["DBClusters"][0]["Port"] == port
    wait_rows("aurora-mysql", port, [[1, "kept"]], timeout=60)
    write("mysql", {"Port": port}, "INSERT INTO SAMPLE VALUES (2, 'after the restart')")
    wait_rows("aurora-mysql", port + 1, [[1, "kept"], [2, "after the restart"]], timeout=60)

    # A new master password reaches the writer behind the cluster endpoint.
    rds.modify_db_cluster(DBClusterIdentifier="keep", MasterUserPassword="Fresh-Passw0rd-9")
    deadline = time.monotonic() + 30
    while True:
        try:
            assert my_rows({"Port": port}, password="Fresh-Passw0rd-9")[0] == [1, "kept"]
            break
        except pymysql.err.OperationalError:
            assert time.monotonic() < deadline, "the new master password never worked"
            time.sleep(0.2)
    with pytest.raises(pymysql.err.OperationalError):
        my_rows({"Port": port})
    for i in ("keep-1", "keep-2"):
        rds.delete_db_instance(DBInstanceIdentifier=i)
    for i in ("keep-1", "keep-2"):
        wait_instance_gone(rds, i)
    rds.delete_db_cluster(DBClusterIdentifier="keep", SkipFinalSnapshot=True)
    wait_cluster_gone(rds, "keep")
    wait_closed(port)
    wait_closed(port + 1)


def test_a_writer_that_dies_fails_over_to_a_reader(server_factory):
    srv = server_factory(args=["--test-mode"])
    rds = srv.client("rds")
    rds.create_db_cluster(**cluster_args("crash"))
    for i in ("crash-1", "crash-2"):
        rds.create_db_instance(DBInstanceIdentifier=i, DBClusterIdentifier="crash", Engine="aurora-mysql",
                               DBInstanceClass="db.r6g.large")
    writer = wait_for(rds, "crash-1")
    wait_for(rds, "crash-2")
    port = wait_cluster(rds, "crash")["Port"]
    write("mysql", {"Port": port}, "CREATE TABLE SAMPLE (id INT PRIMARY KEY, name VARCHAR(40))")
    write("mysql", {"Port": port}, "INSERT INTO SAMPLE VALUES (1, 'before the crash')")
    wait_rows("aurora-mysql", port + 1, [[1, "before the crash"]])

    pid_file = srv.data_dir / "files" / "rds" / "instances" / writer["DbiResourceId"] / "mariadbd.pid"
    os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)

    deadline = time.monotonic() + 60
    while members(rds, "crash")["crash-2"][0] is not True:
        assert time.monotonic() < deadline, "no reader took over"
        time.sleep(0.1)
    wait_cluster(rds, "crash")
    wait_rows("aurora-mysql", port, [[1, "before the crash"]])
    write("mysql", {"Port": port}, "INSERT INTO SAMPLE VALUES (2, 'after the crash')")
    old = wait_for(rds, "crash-1")
    wait_rows("aurora-mysql", old["Endpoint"]["Port"], [[1, "before the crash"], [2, "after the crash"]])
    msgs = [e["Message"] for e in rds.describe_events(SourceType="db-cluster", SourceIdentifier="crash")["Events"]]
    assert "Completed failover to DB instance: crash-2" in msgs

    for i in ("crash-1", "crash-2"):
        rds.delete_db_instance(DBInstanceIdentifier=i)
    for i in ("crash-1", "crash-2"):
        wait_instance_gone(rds, i)
    rds.delete_db_cluster(DBClusterIdentifier="crash", SkipFinalSnapshot=True)
    wait_cluster_gone(rds, "crash")


def test_a_reset_closes_the_cluster_endpoints(server):
    rds = server.client("rds")
    ports = []
    for ident in ("gone-1", "gone-2"):
        rds.create_db_cluster(**cluster_args(ident))
        server.advance(3)
        port = wait_cluster(rds, ident)["Port"]
        assert port_open(port) and port_open(port + 1)
        ports += [port, port + 1]
    assert server.reset("rds").status_code == 200
    assert rds.describe_db_clusters()["DBClusters"] == []
    for p in ports:
        wait_closed(p, timeout=5)
    # Ticks of the clock after the reset open nothing again.
    server.advance(5)
    time.sleep(1.5)
    assert [p for p in ports if port_open(p)] == []
