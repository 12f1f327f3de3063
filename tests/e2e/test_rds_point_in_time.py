"""RDS point-in-time restore with real servers: the source's automated
backup plus its logs (PostgreSQL's archived WAL, MariaDB's binary log)
replayed up to the restore time, checked through real clients: rows
written before the time are there, rows written after it are not."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from helpers import error_of
from test_rds_engines import (  # noqa: F401
    create, engines_installed, my_rows, pg_rows, wait_for, wait_gone, write)


def rows(engine, endpoint):
    return pg_rows(endpoint) if engine == "postgres" else my_rows(endpoint)


def latest_restorable(rds, ident):
    return rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]["LatestRestorableTime"]


@pytest.mark.parametrize("engine", ["postgres", "mysql"])
def test_restore_to_a_point_in_time_keeps_the_rows_written_before_it(server, engine):
    rds = server.client("rds")
    extra = {"EngineVersion": "15"} if engine == "postgres" else {}
    create(rds, "pitr-src", engine, BackupRetentionPeriod=1, **extra)
    src = wait_for(rds, "pitr-src")
    ep = src["Endpoint"]
    write(engine, ep, "CREATE TABLE sample (id int PRIMARY KEY, name varchar(40))"
          if engine == "postgres" else
          "CREATE TABLE SAMPLE (id INT PRIMARY KEY, name VARCHAR(40))")
    table = "sample" if engine == "postgres" else "SAMPLE"
    write(engine, ep, f"INSERT INTO {table} VALUES (1, 'before'), (2, 'also before')")
    time.sleep(1.2)
    restore_time = latest_restorable(rds, "pitr-src")
    time.sleep(1.5)
    write(engine, ep, f"INSERT INTO {table} VALUES (3, 'after')")
    write(engine, ep, f"UPDATE {table} SET name = 'changed after' WHERE id = 1")

    out = rds.restore_db_instance_to_point_in_time(
        SourceDBInstanceIdentifier="pitr-src", TargetDBInstanceIdentifier="pitr-then",
        RestoreTime=restore_time)["DBInstance"]
    assert out["DBInstanceStatus"] == "creating"
    assert out["Engine"] == engine
    then = wait_for(rds, "pitr-then")
    assert then["Endpoint"]["Port"] != ep["Port"]
    assert rows(engine, then["Endpoint"]) == [[1, "before"], [2, "also before"]]
    # The restored server takes writes.
    write(engine, then["Endpoint"], f"INSERT INTO {table} VALUES (9, 'new')")
    assert len(rows(engine, then["Endpoint"])) == 3
    events = [e["Message"] for e in rds.describe_events(
        SourceType="db-instance", SourceIdentifier="pitr-then")["Events"]]
    assert "Restored from DB instance pitr-src to a point in time" in events

    # The latest restorable time holds every change, found by resource id.
    rds.restore_db_instance_to_point_in_time(
        SourceDbiResourceId=src["DbiResourceId"], TargetDBInstanceIdentifier="pitr-now",
        UseLatestRestorableTime=True)
    now = wait_for(rds, "pitr-now")
    assert rows(engine, now["Endpoint"]) == [[1, "changed after"], [2, "also before"], [3, "after"]]

    for ident in ("pitr-then", "pitr-now", "pitr-src"):
        rds.delete_db_instance(DBInstanceIdentifier=ident, SkipFinalSnapshot=True)
    for ident in ("pitr-then", "pitr-now", "pitr-src"):
        wait_gone(rds, ident)


def test_a_stopped_postgres_source_restores_its_last_changes(server):
    rds = server.client("rds")
    create(rds, "pitr-stop", "postgres", EngineVersion="15", BackupRetentionPeriod=1)
    ep = wait_for(rds, "pitr-stop")["Endpoint"]
    write("postgres", ep, "CREATE TABLE sample (id int PRIMARY KEY, name text)")
    write("postgres", ep, "INSERT INTO sample VALUES (1, 'last')")
    rds.stop_db_instance(DBInstanceIdentifier="pitr-stop")
    wait_for(rds, "pitr-stop", "stopped")
    rds.restore_db_instance_to_point_in_time(
        SourceDBInstanceIdentifier="pitr-stop", TargetDBInstanceIdentifier="pitr-stop-copy",
        UseLatestRestorableTime=True)
    copy = wait_for(rds, "pitr-stop-copy")
    assert pg_rows(copy["Endpoint"]) == [[1, "last"]]


def test_point_in_time_restore_errors(server, aws):
    rds = server.client("rds")
    create(rds, "pitr-a", "mysql", BackupRetentionPeriod=1)
    create(rds, "pitr-nobackups", "mysql", BackupRetentionPeriod=0)
    src = wait_for(rds, "pitr-a")

    def err(**kw):
        with pytest.raises(ClientError) as e:
            rds.restore_db_instance_to_point_in_time(**kw)
        return error_of(e.value)

    code, msg = err(SourceDBInstanceIdentifier="pitr-nobackups", TargetDBInstanceIdentifier="x",
                    UseLatestRestorableTime=True)[:2]
    assert code == "PointInTimeRestoreNotEnabled"
    assert "BackupRetentionPeriod equal to 0" in msg
    code = err(SourceDBInstanceIdentifier="pitr-a", TargetDBInstanceIdentifier="pitr-nobackups",
               UseLatestRestorableTime=True)[0]
    assert code == "DBInstanceAlreadyExists"
    code = err(SourceDBInstanceIdentifier="missing", TargetDBInstanceIdentifier="x",
               UseLatestRestorableTime=True)[0]
    assert code == "DBInstanceNotFound"
    # Before the first backup, and in the future.
    for when in (src["InstanceCreateTime"].timestamp() - 3600, time.time() + 3600):
        code = err(SourceDBInstanceIdentifier="pitr-a", TargetDBInstanceIdentifier="x",
                   RestoreTime=when)[0]
        assert code == "InvalidRestoreFault"
    code = err(SourceDBInstanceIdentifier="pitr-a", TargetDBInstanceIdentifier="x",
               RestoreTime=time.time(), UseLatestRestorableTime=True)[0]
    assert code == "InvalidParameterCombination"

    # As a user types it.
    out = aws("rds", "restore-db-instance-to-point-in-time", "--source-db-instance-identifier", "pitr-a",
              "--target-db-instance-identifier", "pitr-cli", "--use-latest-restorable-time")
    assert out["DBInstance"]["DBInstanceIdentifier"] == "pitr-cli"
    wait_for(rds, "pitr-cli")
    failed = aws("rds", "restore-db-instance-to-point-in-time", "--source-db-instance-identifier",
                 "pitr-nobackups", "--target-db-instance-identifier", "pitr-cli2",
                 "--use-latest-restorable-time", check=False)
    assert failed.returncode != 0 and "PointInTimeRestoreNotEnabled" in failed.stderr
