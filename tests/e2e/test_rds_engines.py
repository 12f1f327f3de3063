"""RDS with real database servers: each DB instance is a PostgreSQL or
MariaDB server Stratus starts on 127.0.0.1 at the instance's endpoint port.
The course's lab through real clients (pg8000, PyMySQL): a SAMPLE table
created and read, a snapshot restored to a new instance with its rows,
reboot, stop and start, a changed master password, and the databases back
with their data after Stratus restarts. ./test.sh installs PostgreSQL and
MariaDB when they are missing."""

from __future__ import annotations

import os
import shutil
import socket
import time
from pathlib import Path

import pg8000.native
import pymysql
import pytest
from botocore.exceptions import ClientError

from helpers import error_of

PASSWORD = "Lab-Passw0rd!"


def require(binary: str, hint: str) -> None:
    found = shutil.which(binary) or any(
        Path(d, binary).exists() for d in ("/usr/sbin", "/usr/lib/postgresql/15/bin")
    )
    if not found:
        pytest.fail(f"{binary} is not installed: {hint} (./test.sh installs it)")


@pytest.fixture(autouse=True)
def engines_installed():
    require("postgres", "apt-get install postgresql")
    require("mariadbd", "apt-get install mariadb-server")


def wait_for(rds, ident, status="available", timeout=90.0):
    deadline = time.monotonic() + timeout
    while True:
        got = rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]
        if got["DBInstanceStatus"] == status:
            return got
        assert got["DBInstanceStatus"] != "failed", got.get("StatusInfos")
        assert time.monotonic() < deadline, (
            f"{ident} stayed {got['DBInstanceStatus']}: {got.get('StatusInfos')}")
        time.sleep(0.2)


def wait_snapshot(rds, ident, timeout=60.0):
    deadline = time.monotonic() + timeout
    while True:
        s = rds.describe_db_snapshots(DBSnapshotIdentifier=ident)["DBSnapshots"][0]
        if s["Status"] == "available":
            return s
        assert s["Status"] != "failed"
        assert time.monotonic() < deadline, f"snapshot {ident} stayed {s['Status']}"
        time.sleep(0.2)


def wait_gone(rds, ident, timeout=60.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            rds.describe_db_instances(DBInstanceIdentifier=ident)
        except ClientError as e:
            assert error_of(e)[0] == "DBInstanceNotFound"
            return
        assert time.monotonic() < deadline, f"{ident} was not deleted"
        time.sleep(0.2)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_closed(port: int, timeout=15.0):
    deadline = time.monotonic() + timeout
    while port_open(port):
        assert time.monotonic() < deadline, f"port {port} still answers"
        time.sleep(0.1)


def pg(endpoint, password=PASSWORD, db="labdb", user="master"):
    return pg8000.native.Connection(
        user, host="127.0.0.1", port=endpoint["Port"], database=db, password=password, timeout=10
    )


def my(endpoint, password=PASSWORD, db="labdb", user="admin"):
    return pymysql.connect(
        host="127.0.0.1", port=endpoint["Port"], user=user, password=password, database=db,
        autocommit=True, connect_timeout=10,
    )


def write(engine, endpoint, sql):
    """Runs one statement on the engine's server at `endpoint`."""
    if engine == "postgres":
        conn = pg(endpoint)
        try:
            conn.run(sql)
        finally:
            conn.close()
    else:
        conn = my(endpoint)
        try:
            with conn.cursor() as c:
                c.execute(sql)
        finally:
            conn.close()


def my_rows(endpoint, **kw):
    conn = my(endpoint, **kw)
    try:
        with conn.cursor() as c:
            c.execute("SELECT id, name FROM SAMPLE ORDER BY id")
            return [list(r) for r in c.fetchall()]
    finally:
        conn.close()


def pg_rows(endpoint, **kw):
    conn = pg(endpoint, **kw)
    try:
        return conn.run("SELECT id, name FROM sample ORDER BY id")
    finally:
        conn.close()


def create(rds, ident, engine, **kw):
    args = dict(
        DBInstanceIdentifier=ident, Engine=engine, DBInstanceClass="db.t3.micro",
        AllocatedStorage=20, MasterUsername="master" if engine == "postgres" else "admin",
        MasterUserPassword=PASSWORD, DBName="labdb",
    )
    args.update(kw)
    return rds.create_db_instance(**args)["DBInstance"]


def test_postgres_lab_with_a_real_server(server):
    rds = server.client("rds")
    t0 = time.monotonic()
    create(rds, "pg-lab", "postgres", EngineVersion="15")
    inst = wait_for(rds, "pg-lab")
    print(f"postgres instance available after {time.monotonic() - t0:.2f} s")
    assert inst["EngineVersion"].startswith("15.")
    assert "StatusInfos" not in inst
    ep = inst["Endpoint"]
    assert port_open(ep["Port"])

    conn = pg(ep)
    conn.run("CREATE TABLE sample (id int PRIMARY KEY, name text)")
    conn.run("INSERT INTO sample VALUES (1, 'alpha'), (2, 'beta'), (3, 'gamma')")
    # Listening on loopback only, as the master user of the first database.
    assert conn.run("SHOW listen_addresses") == [["127.0.0.1"]]
    assert conn.run("SELECT current_user, current_database()") == [["master", "labdb"]]
    conn.close()
    with pytest.raises(pg8000.exceptions.DatabaseError):
        pg(ep, password="wrong-password")

    snap = rds.create_db_snapshot(DBInstanceIdentifier="pg-lab", DBSnapshotIdentifier="pg-snap")
    assert snap["DBSnapshot"]["Status"] == "creating"
    wait_snapshot(rds, "pg-snap")
    wait_for(rds, "pg-lab")
    conn = pg(ep)
    conn.run("INSERT INTO sample VALUES (4, 'after the snapshot')")
    conn.close()

    rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="pg-copy", DBSnapshotIdentifier="pg-snap")
    copy = wait_for(rds, "pg-copy")
    assert copy["Endpoint"]["Port"] != ep["Port"]
    assert pg_rows(copy["Endpoint"]) == [[1, "alpha"], [2, "beta"], [3, "gamma"]]

    rds.reboot_db_instance(DBInstanceIdentifier="pg-lab")
    wait_for(rds, "pg-lab")
    assert len(pg_rows(ep)) == 4

    rds.modify_db_instance(DBInstanceIdentifier="pg-lab", MasterUserPassword="N3w-Passw0rd", ApplyImmediately=True)
    deadline = time.monotonic() + 30
    while True:
        try:
            assert len(pg_rows(ep, password="N3w-Passw0rd")) == 4
            break
        except pg8000.exceptions.DatabaseError:
            assert time.monotonic() < deadline, "the new master password never worked"
            time.sleep(0.2)
    wait_for(rds, "pg-lab")
    assert "Reset master credentials" in [
        e["Message"] for e in rds.describe_events(SourceType="db-instance", SourceIdentifier="pg-lab")["Events"]]

    rds.stop_db_instance(DBInstanceIdentifier="pg-lab")
    wait_for(rds, "pg-lab", "stopped")
    assert not port_open(ep["Port"])
    rds.start_db_instance(DBInstanceIdentifier="pg-lab")
    inst = wait_for(rds, "pg-lab")
    assert len(pg_rows(inst["Endpoint"], password="N3w-Passw0rd")) == 4

    rds.delete_db_instance(DBInstanceIdentifier="pg-copy", SkipFinalSnapshot=True)
    rds.delete_db_instance(DBInstanceIdentifier="pg-lab", FinalDBSnapshotIdentifier="pg-final")
    wait_gone(rds, "pg-lab")
    wait_gone(rds, "pg-copy")
    wait_closed(inst["Endpoint"]["Port"])
    final = wait_snapshot(rds, "pg-final")
    assert final["DBInstanceIdentifier"] == "pg-lab"
    # The final snapshot holds the last rows.
    rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="pg-back", DBSnapshotIdentifier="pg-final")
    back = wait_for(rds, "pg-back")
    assert len(pg_rows(back["Endpoint"], password="N3w-Passw0rd")) == 4


def test_mysql_lab_with_a_real_server(server):
    rds = server.client("rds")
    t0 = time.monotonic()
    create(rds, "lab-db", "mysql", MultiAZ=True)
    inst = wait_for(rds, "lab-db")
    print(f"mysql instance available after {time.monotonic() - t0:.2f} s")
    ep = inst["Endpoint"]
    conn = my(ep)
    with conn.cursor() as c:
        c.execute("CREATE TABLE SAMPLE (id INT PRIMARY KEY, name VARCHAR(40))")
        c.execute("INSERT INTO SAMPLE VALUES (1, 'alpha'), (2, 'beta')")
        c.execute("SELECT @@bind_address, CURRENT_USER()")
        bind, user = c.fetchone()
    conn.close()
    assert bind == "127.0.0.1" and user == "admin@%"
    with pytest.raises(pymysql.err.OperationalError):
        my(ep, password="wrong-password")

    rds.create_db_snapshot(DBInstanceIdentifier="lab-db", DBSnapshotIdentifier="lab-snap")
    wait_snapshot(rds, "lab-snap")
    wait_for(rds, "lab-db")
    # A copy of the snapshot carries the data too.
    rds.copy_db_snapshot(SourceDBSnapshotIdentifier="lab-snap", TargetDBSnapshotIdentifier="lab-snap-copy")
    rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="lab-restored", DBSnapshotIdentifier="lab-snap-copy")
    restored = wait_for(rds, "lab-restored")
    assert my_rows(restored["Endpoint"]) == [[1, "alpha"], [2, "beta"]]

    primary = inst["AvailabilityZone"]
    rds.reboot_db_instance(DBInstanceIdentifier="lab-db", ForceFailover=True)
    after = wait_for(rds, "lab-db")
    assert after["AvailabilityZone"] == inst["SecondaryAvailabilityZone"] != primary
    assert after["Endpoint"] == ep
    assert my_rows(ep) == [[1, "alpha"], [2, "beta"]]

    rds.delete_db_instance(DBInstanceIdentifier="lab-db", SkipFinalSnapshot=True)
    rds.delete_db_instance(DBInstanceIdentifier="lab-restored", SkipFinalSnapshot=True)
    wait_gone(rds, "lab-db")
    wait_gone(rds, "lab-restored")
    wait_closed(ep["Port"])


def test_a_second_instance_on_a_taken_port_gets_a_free_one(server):
    rds = server.client("rds")
    create(rds, "pg-a", "postgres", Port=15432, EngineVersion="15")
    create(rds, "pg-b", "postgres", Port=15432, EngineVersion="15")
    a = wait_for(rds, "pg-a")["Endpoint"]["Port"]
    b = wait_for(rds, "pg-b")["Endpoint"]["Port"]
    assert 15432 in (a, b) and a != b
    for port in (a, b):
        conn = pg({"Port": port})
        assert conn.run("SELECT 1") == [[1]]
        conn.close()
    # Moving an instance to another port restarts its server there.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        moved = s.getsockname()[1]
    rds.modify_db_instance(DBInstanceIdentifier="pg-a", DBPortNumber=moved)
    assert wait_for(rds, "pg-a")["Endpoint"]["Port"] == moved
    conn = pg({"Port": moved})
    assert conn.run("SELECT 1") == [[1]]
    conn.close()
    wait_closed(a)


def test_missing_engine_versions_stay_api_state(server):
    rds = server.client("rds")
    inst = create(rds, "pg16", "postgres", EngineVersion="16.6")
    assert "PostgreSQL 16 is not installed" in inst["StatusInfos"][0]["Message"]
    server.advance(60)
    got = wait_for(rds, "pg16", timeout=10)
    assert "apt-get install postgresql-16" in got["StatusInfos"][0]["Message"]


def test_reset_stops_the_servers(server):
    rds = server.client("rds")
    create(rds, "short-lived", "postgres", EngineVersion="15")
    port = wait_for(rds, "short-lived")["Endpoint"]["Port"]
    assert port_open(port)
    assert server.reset().status_code == 200
    wait_closed(port)
    assert rds.describe_db_instances()["DBInstances"] == []


def test_databases_come_back_with_their_data_after_a_restart(server_factory):
    srv = server_factory(args=["--test-mode"])
    rds = srv.client("rds")
    create(rds, "keep-pg", "postgres", EngineVersion="15", MasterUserPassword="Keep-Me-Secret-77")
    create(rds, "keep-my", "mariadb", MasterUserPassword="Keep-Me-Secret-77")
    pg_ep = wait_for(rds, "keep-pg")["Endpoint"]
    my_ep = wait_for(rds, "keep-my")["Endpoint"]
    conn = pg(pg_ep, password="Keep-Me-Secret-77")
    conn.run("CREATE TABLE sample (id int, name text)")
    conn.run("INSERT INTO sample VALUES (1, 'kept')")
    conn.close()
    conn = my(my_ep, password="Keep-Me-Secret-77")
    with conn.cursor() as c:
        c.execute("CREATE TABLE SAMPLE (id INT, name VARCHAR(20))")
        c.execute("INSERT INTO SAMPLE VALUES (1, 'kept')")
    conn.close()

    rc = srv.stop()
    assert rc == 0
    # Stratus stops its servers when it stops.
    wait_closed(pg_ep["Port"], timeout=5)
    wait_closed(my_ep["Port"], timeout=5)

    srv.start()
    rds = srv.client("rds")
    assert rds.describe_db_instances(DBInstanceIdentifier="keep-pg")["DBInstances"][0]["Endpoint"] == pg_ep
    deadline = time.monotonic() + 60
    while not (port_open(pg_ep["Port"]) and port_open(my_ep["Port"])):
        assert time.monotonic() < deadline, "the servers did not come back"
        time.sleep(0.2)
    deadline = time.monotonic() + 30
    while True:
        try:
            assert pg_rows(pg_ep, password="Keep-Me-Secret-77") == [[1, "kept"]]
            assert my_rows(my_ep, password="Keep-Me-Secret-77") == [[1, "kept"]]
            break
        except (pg8000.exceptions.InterfaceError, pymysql.err.OperationalError):
            assert time.monotonic() < deadline
            time.sleep(0.2)

    # The master password appears in no log: Stratus's or the servers'.
    logs = [p.read_text(errors="replace") for p in srv.workdir.glob("stderr.*.log")]
    for root, _, files in os.walk(srv.data_dir):
        for f in files:
            if f.endswith(".log"):
                logs.append(Path(root, f).read_text(errors="replace"))
    assert len(logs) >= 3
    assert not any("Keep-Me-Secret-77" in text for text in logs)


def test_postgres_read_replica_streams_and_promotes(server):
    rds = server.client("rds")
    create(rds, "pg-primary", "postgres", EngineVersion="15")
    primary = wait_for(rds, "pg-primary")["Endpoint"]
    conn = pg(primary)
    conn.run("CREATE TABLE sample (id int PRIMARY KEY, name text)")
    conn.run("INSERT INTO sample VALUES (1, 'before the replica')")
    conn.close()
    rds.create_db_instance_read_replica(DBInstanceIdentifier="pg-replica", SourceDBInstanceIdentifier="pg-primary")
    replica = wait_for(rds, "pg-replica")["Endpoint"]
    assert replica["Port"] != primary["Port"]
    assert pg_rows(replica) == [[1, "before the replica"]]

    conn = pg(primary)
    conn.run("INSERT INTO sample VALUES (2, 'streamed')")
    conn.close()
    deadline = time.monotonic() + 20
    while len(pg_rows(replica)) < 2:
        assert time.monotonic() < deadline, "the row never reached the replica"
        time.sleep(0.1)
    conn = pg(replica)
    with pytest.raises(pg8000.exceptions.DatabaseError) as e:
        conn.run("INSERT INTO sample VALUES (3, 'refused')")
    assert "read-only" in str(e.value)
    conn.close()

    rds.promote_read_replica(DBInstanceIdentifier="pg-replica")
    wait_for(rds, "pg-replica")
    conn = pg(replica)
    conn.run("INSERT INTO sample VALUES (3, 'written after promotion')")
    assert len(conn.run("SELECT * FROM sample")) == 3
    conn.close()


def test_mysql_read_replica_follows_the_binlog_and_promotes(server):
    rds = server.client("rds")
    create(rds, "my-primary", "mysql")
    primary = wait_for(rds, "my-primary")["Endpoint"]
    conn = my(primary)
    with conn.cursor() as c:
        c.execute("CREATE TABLE SAMPLE (id INT PRIMARY KEY, name VARCHAR(40))")
        c.execute("INSERT INTO SAMPLE VALUES (1, 'before the replica')")
    conn.close()
    rds.create_db_instance_read_replica(DBInstanceIdentifier="my-replica", SourceDBInstanceIdentifier="my-primary")
    replica = wait_for(rds, "my-replica")["Endpoint"]
    assert my_rows(replica) == [[1, "before the replica"]]

    conn = my(primary)
    with conn.cursor() as c:
        c.execute("INSERT INTO SAMPLE VALUES (2, 'replicated')")
    conn.close()
    deadline = time.monotonic() + 20
    while len(my_rows(replica)) < 2:
        assert time.monotonic() < deadline, "the row never reached the replica"
        time.sleep(0.1)
    conn = my(replica)
    with pytest.raises(pymysql.err.MySQLError) as e:
        with conn.cursor() as c:
            c.execute("INSERT INTO SAMPLE VALUES (3, 'refused')")
    assert "read-only" in str(e.value)
    conn.close()

    rds.promote_read_replica(DBInstanceIdentifier="my-replica")
    wait_for(rds, "my-replica")
    conn = my(replica)
    with conn.cursor() as c:
        c.execute("INSERT INTO SAMPLE VALUES (3, 'written after promotion')")
        c.execute("SELECT COUNT(*) FROM SAMPLE")
        assert c.fetchone()[0] == 3
    conn.close()


@pytest.mark.parametrize("engine", ["mysql", "postgres"])
def test_multi_az_standby_takes_over_when_the_primary_dies(server_factory, engine):
    srv = server_factory(args=["--test-mode"])
    rds = srv.client("rds")
    extra = {"EngineVersion": "15"} if engine == "postgres" else {}
    create(rds, "ha", engine, MultiAZ=True, **extra)
    inst = wait_for(rds, "ha")
    ep = inst["Endpoint"]
    inst_dir = srv.data_dir / "files" / "rds" / "instances" / inst["DbiResourceId"]
    deadline = time.monotonic() + 60
    while not (inst_dir / "standby" / "bootstrapped").exists():
        assert time.monotonic() < deadline, "no standby server was made"
        time.sleep(0.2)

    def write(row_id):
        if engine == "postgres":
            conn = pg(ep)
            conn.run(f"INSERT INTO sample VALUES ({row_id}, 'row {row_id}')")
            conn.close()
        else:
            conn = my(ep)
            with conn.cursor() as c:
                c.execute(f"INSERT INTO SAMPLE VALUES ({row_id}, 'row {row_id}')")
            conn.close()

    rows = pg_rows if engine == "postgres" else my_rows
    if engine == "postgres":
        conn = pg(ep)
        conn.run("CREATE TABLE sample (id int PRIMARY KEY, name text)")
        conn.close()
    else:
        conn = my(ep)
        with conn.cursor() as c:
            c.execute("CREATE TABLE SAMPLE (id INT PRIMARY KEY, name VARCHAR(40))")
        conn.close()
    write(1)
    write(2)
    time.sleep(1)  # asynchronous replication catches up

    pid_file = inst_dir / ("data/postmaster.pid" if engine == "postgres" else "mariadbd.pid")
    pid = int(pid_file.read_text().split()[0])
    os.kill(pid, 9)
    t0 = time.monotonic()
    while True:
        try:
            write(3)
            break
        except Exception:
            assert time.monotonic() - t0 < 60, "writes never came back after the primary died"
            time.sleep(0.05)
    print(f"{engine}: writes unavailable for {time.monotonic() - t0:.2f} s after the primary died")
    assert [r[0] for r in rows(ep)] == [1, 2, 3]
    deadline = time.monotonic() + 10
    while "Multi-AZ instance failover completed" not in [
        e["Message"] for e in rds.describe_events(SourceType="db-instance", SourceIdentifier="ha")["Events"]
    ]:
        assert time.monotonic() < deadline, "no failover event"
        time.sleep(0.1)
    after = wait_for(rds, "ha")
    assert after["Endpoint"] == ep
    assert after["AvailabilityZone"] == inst["SecondaryAvailabilityZone"]
    assert after["SecondaryAvailabilityZone"] == inst["AvailabilityZone"]
    # A new standby follows the new primary.
    deadline = time.monotonic() + 60
    while not (inst_dir / "standby" / "bootstrapped").exists():
        assert time.monotonic() < deadline, "no new standby after the failover"
        time.sleep(0.2)


def test_engine_metrics_reach_cloudwatch(server):
    import datetime as dt

    rds = server.client("rds")
    cw = server.client("cloudwatch")
    create(rds, "metered", "postgres", EngineVersion="15")
    ep = wait_for(rds, "metered")["Endpoint"]
    conns = [pg(ep) for _ in range(3)]
    try:
        dims = [{"Name": "DBInstanceIdentifier", "Value": "metered"}]

        def stat(name, statistic):
            now = server.now()
            got = cw.get_metric_statistics(
                Namespace="AWS/RDS", MetricName=name, Dimensions=dims,
                StartTime=now - dt.timedelta(hours=1), EndTime=now + dt.timedelta(minutes=5),
                Period=60, Statistics=[statistic],
            )["Datapoints"]
            return [p[statistic] for p in got]

        deadline = time.monotonic() + 30
        while not any(v >= 3 for v in stat("DatabaseConnections", "Maximum")):
            assert time.monotonic() < deadline, stat("DatabaseConnections", "Maximum")
            server.advance(60)
            time.sleep(0.5)
        free = stat("FreeStorageSpace", "Minimum")
        assert free and all(19 * 2**30 < v < 20 * 2**30 for v in free)
        assert stat("CPUUtilization", "Maximum")
        listed = {m["MetricName"] for m in cw.list_metrics(Namespace="AWS/RDS")["Metrics"]}
        assert {"CPUUtilization", "DatabaseConnections", "FreeStorageSpace", "ReadLatency"} <= listed
    finally:
        for c in conns:
            c.close()


def test_servers_left_by_a_crashed_stratus_are_taken_back(server_factory):
    srv = server_factory(args=["--test-mode"])
    rds = srv.client("rds")
    create(rds, "survivor", "postgres", EngineVersion="15")
    ep = wait_for(rds, "survivor")["Endpoint"]
    conn = pg(ep)
    conn.run("CREATE TABLE sample (id int, name text)")
    conn.run("INSERT INTO sample VALUES (7, 'kept')")
    conn.close()
    srv.kill()  # SIGKILL: Stratus cannot stop its servers
    assert port_open(ep["Port"])
    srv.start()
    rds = srv.client("rds")
    # The orphan is stopped and the instance's server started again, on
    # the same port, with its data.
    deadline = time.monotonic() + 60
    last = None
    while True:
        got = rds.describe_db_instances(DBInstanceIdentifier="survivor")["DBInstances"][0]
        try:
            if pg_rows(ep) == [[7, "kept"]] and "StatusInfos" not in got:
                break
        except Exception as e:
            last = e
        assert time.monotonic() < deadline, (got.get("StatusInfos"), repr(last))
        time.sleep(0.2)
    assert got["Endpoint"] == ep
    srv.stop()
    wait_closed(ep["Port"])
