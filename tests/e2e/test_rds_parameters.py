"""RDS parameter groups and instance classes reach the real servers:
dynamic values at once, static ones after a reboot (pending-reboot until
then), and a new class's memory after the modification is applied, as
SHOW and SELECT @@ report them."""

from __future__ import annotations

import time

from test_rds_engines import create, engines_installed, my, pg, wait_for  # noqa: F401


def pg_show(endpoint, name):
    conn = pg(endpoint)
    try:
        return conn.run(f"SHOW {name}")[0][0]
    finally:
        conn.close()


def my_var(endpoint, name):
    conn = my(endpoint)
    try:
        with conn.cursor() as c:
            c.execute(f"SELECT @@GLOBAL.{name}")
            return c.fetchone()[0]
    finally:
        conn.close()


def eventually(read, want, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        got = read()
        if got == want:
            return
        assert time.monotonic() < deadline, f"still {got!r}, wanted {want!r}"
        time.sleep(0.2)


def apply_status(rds, ident):
    inst = rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]
    return inst["DBParameterGroups"][0]["ParameterApplyStatus"]


def set_params(rds, group, **values):
    rds.modify_db_parameter_group(DBParameterGroupName=group, Parameters=[
        {"ParameterName": n, "ParameterValue": str(v), "ApplyMethod": m}
        for n, (v, m) in values.items()])


def test_postgres_parameters_and_class_reach_the_server(server):
    rds = server.client("rds")
    rds.create_db_parameter_group(DBParameterGroupName="pg-tuned", DBParameterGroupFamily="postgres15",
                                  Description="tuned")
    create(rds, "pg-params", "postgres", EngineVersion="15", DBParameterGroupName="pg-tuned")
    ep = wait_for(rds, "pg-params")["Endpoint"]
    assert pg_show(ep, "work_mem") == "4MB"
    assert pg_show(ep, "shared_buffers") == "16MB"

    set_params(rds, "pg-tuned", work_mem=(8192, "immediate"), log_min_duration_statement=(500, "immediate"))
    eventually(lambda: pg_show(ep, "work_mem"), "8MB")
    assert pg_show(ep, "log_min_duration_statement") == "500ms"
    eventually(lambda: apply_status(rds, "pg-params"), "in-sync")
    user = rds.describe_db_parameters(DBParameterGroupName="pg-tuned", Source="user")["Parameters"]
    assert {(p["ParameterName"], p["ParameterValue"]) for p in user} == {
        ("work_mem", "8192"), ("log_min_duration_statement", "500")}

    # Static: waits for the reboot.
    set_params(rds, "pg-tuned", max_connections=(50, "pending-reboot"))
    assert apply_status(rds, "pg-params") == "pending-reboot"
    assert pg_show(ep, "max_connections") == "100"
    rds.reboot_db_instance(DBInstanceIdentifier="pg-params")
    wait_for(rds, "pg-params")
    assert pg_show(ep, "max_connections") == "50"
    assert apply_status(rds, "pg-params") == "in-sync"
    assert pg_show(ep, "work_mem") == "8MB"

    # A bigger class gets bigger buffers once the change is applied.
    rds.modify_db_instance(DBInstanceIdentifier="pg-params", DBInstanceClass="db.m5.large", ApplyImmediately=True)
    eventually(lambda: rds.describe_db_instances(DBInstanceIdentifier="pg-params")["DBInstances"][0]
               ["DBInstanceClass"], "db.m5.large")
    wait_for(rds, "pg-params")
    assert pg_show(ep, "shared_buffers") == "128MB"
    assert pg_show(ep, "max_connections") == "50"


def test_mariadb_parameters_and_class_reach_the_server(server, aws):
    rds = server.client("rds")
    aws("rds", "create-db-parameter-group", "--db-parameter-group-name", "my-tuned",
        "--db-parameter-group-family", "mysql8.0", "--description", "tuned")
    create(rds, "my-params", "mysql", DBParameterGroupName="my-tuned")
    ep = wait_for(rds, "my-params")["Endpoint"]
    small_pool = my_var(ep, "innodb_buffer_pool_size")

    aws("rds", "modify-db-parameter-group", "--db-parameter-group-name", "my-tuned", "--parameters",
        "ParameterName=max_connections,ParameterValue=77,ApplyMethod=immediate",
        "ParameterName=sql_mode,ParameterValue=STRICT_ALL_TABLES,ApplyMethod=immediate",
        "ParameterName=max_allowed_packet,ParameterValue=33554432,ApplyMethod=immediate")
    eventually(lambda: my_var(ep, "max_connections"), 77)
    assert my_var(ep, "sql_mode") == "STRICT_ALL_TABLES"
    assert my_var(ep, "max_allowed_packet") == 33554432
    sources = {p["ParameterName"]: p["Source"] for p in
               rds.describe_db_parameters(DBParameterGroupName="my-tuned")["Parameters"]}
    assert sources["max_connections"] == "user" and sources["slow_query_log"] == "engine-default"

    # Kept across a restart of the server.
    rds.reboot_db_instance(DBInstanceIdentifier="my-params")
    wait_for(rds, "my-params")
    assert my_var(ep, "max_connections") == 77
    assert my_var(ep, "sql_mode") == "STRICT_ALL_TABLES"

    rds.modify_db_instance(DBInstanceIdentifier="my-params", DBInstanceClass="db.m5.large", ApplyImmediately=True)
    eventually(lambda: rds.describe_db_instances(DBInstanceIdentifier="my-params")["DBInstances"][0]
               ["DBInstanceClass"], "db.m5.large")
    wait_for(rds, "my-params")
    assert my_var(ep, "innodb_buffer_pool_size") > small_pool
    assert my_var(ep, "max_connections") == 77
