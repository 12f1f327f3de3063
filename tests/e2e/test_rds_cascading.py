"""Read replicas of read replicas with real servers: a row written on the
primary reaches the second replica in the chain through the first
(PostgreSQL cascading streaming replication, MariaDB's binary log of the
changes a replica applies), and promoting the middle replica keeps the
last one following it."""

from __future__ import annotations

import time

import pytest

from test_rds_engines import (  # noqa: F401
    create, engines_installed, my_rows, pg_rows, wait_for, write)


def wait_rows(rows, endpoint, count):
    deadline = time.monotonic() + 20
    while len(got := rows(endpoint)) < count:
        assert time.monotonic() < deadline, f"only {got} arrived"
        time.sleep(0.1)
    return got


@pytest.mark.parametrize("engine", ["mysql", "postgres"])
def test_a_replica_of_a_replica_follows_the_chain(server, engine):
    rds = server.client("rds")
    rows = pg_rows if engine == "postgres" else my_rows
    create(rds, "chain-main", engine, **({"EngineVersion": "15"} if engine == "postgres" else {}))
    main = wait_for(rds, "chain-main")["Endpoint"]
    write(engine, main, "CREATE TABLE SAMPLE (id INT PRIMARY KEY, name VARCHAR(40))")
    write(engine, main, "INSERT INTO SAMPLE VALUES (1, 'before the chain')")

    rds.create_db_instance_read_replica(DBInstanceIdentifier="chain-r1", SourceDBInstanceIdentifier="chain-main")
    r1 = wait_for(rds, "chain-r1")["Endpoint"]
    if engine == "mysql":
        rds.modify_db_instance(DBInstanceIdentifier="chain-r1", BackupRetentionPeriod=1, ApplyImmediately=True)
    rds.create_db_instance_read_replica(DBInstanceIdentifier="chain-r2", SourceDBInstanceIdentifier="chain-r1")
    got = wait_for(rds, "chain-r2")
    r2 = got["Endpoint"]
    assert got["ReadReplicaSourceDBInstanceIdentifier"] == "chain-r1"
    assert len({main["Port"], r1["Port"], r2["Port"]}) == 3
    mid = rds.describe_db_instances(DBInstanceIdentifier="chain-r1")["DBInstances"][0]
    assert mid["ReadReplicaSourceDBInstanceIdentifier"] == "chain-main"
    assert mid["ReadReplicaDBInstanceIdentifiers"] == ["chain-r2"]
    assert rows(r2) == [[1, "before the chain"]]

    write(engine, main, "INSERT INTO SAMPLE VALUES (2, 'through the middle')")
    assert wait_rows(rows, r2, 2) == [[1, "before the chain"], [2, "through the middle"]]
    with pytest.raises(Exception) as e:
        write(engine, r2, "INSERT INTO SAMPLE VALUES (9, 'refused')")
    assert "read-only" in str(e.value)

    # The promoted middle replica takes writes, and its replica follows it.
    rds.promote_read_replica(DBInstanceIdentifier="chain-r1")
    promoted = wait_for(rds, "chain-r1")
    assert "ReadReplicaSourceDBInstanceIdentifier" not in promoted
    assert promoted["ReadReplicaDBInstanceIdentifiers"] == ["chain-r2"]
    assert rds.describe_db_instances(
        DBInstanceIdentifier="chain-main")["DBInstances"][0]["ReadReplicaDBInstanceIdentifiers"] == []
    write(engine, r1, "INSERT INTO SAMPLE VALUES (3, 'after promotion')")
    assert [r[0] for r in wait_rows(rows, r2, 3)] == [1, 2, 3]
    # The old primary no longer feeds the promoted branch.
    write(engine, main, "INSERT INTO SAMPLE VALUES (4, 'only on the primary')")
    time.sleep(1)
    assert [r[0] for r in rows(r2)] == [1, 2, 3]
