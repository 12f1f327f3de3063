#!/usr/bin/env python3
"""RDS with real servers: time from CreateDBInstance to a first successful
query, and how long writes stop in a Multi-AZ failover (a forced failover
reboot, and a killed primary server). MariaDB (engine mysql) and
PostgreSQL. Reports numbers only. Run through bench/rds.sh."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import boto3
import pg8000.native
import pymysql
from botocore.config import Config

import bench
from bench import Server, free_port, log, stop_all

PASSWORD = "Bench-Passw0rd"
RESULTS = Path(__file__).resolve().parent / "results"


def client(port: int):
    return boto3.client(
        "rds", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1}),
    )


def connect(engine: str, port: int):
    if engine == "postgres":
        return pg8000.native.Connection("master", host="127.0.0.1", port=port, database="bench",
                                        password=PASSWORD, timeout=2)
    return pymysql.connect(host="127.0.0.1", port=port, user="admin", password=PASSWORD,
                           database="bench", autocommit=True, connect_timeout=2)


def query(engine: str, port: int, sql: str) -> None:
    conn = connect(engine, port)
    try:
        if engine == "postgres":
            conn.run(sql)
        else:
            with conn.cursor() as c:
                c.execute(sql)
    finally:
        conn.close()


def create(rds, ident: str, engine: str, port: int, multi_az: bool = False) -> None:
    rds.create_db_instance(
        DBInstanceIdentifier=ident, Engine=engine, DBInstanceClass="db.t3.micro",
        AllocatedStorage=20, MasterUsername="master" if engine == "postgres" else "admin",
        MasterUserPassword=PASSWORD, DBName="bench", Port=port, MultiAZ=multi_az,
        **({"EngineVersion": "15"} if engine == "postgres" else {}),
    )


def wait_available(rds, ident: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        d = rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]
        if d["DBInstanceStatus"] == "available":
            return d
        if time.monotonic() > deadline:
            raise RuntimeError(f"{ident} stayed {d['DBInstanceStatus']}: {d.get('StatusInfos')}")
        time.sleep(0.05)


def first_query(rds, engine: str, ident: str) -> tuple[float, float]:
    """Seconds from CreateDBInstance to a first query, and to `available`."""
    port = free_port()
    t0 = time.perf_counter()
    create(rds, ident, engine, port)
    while True:
        try:
            query(engine, port, "SELECT 1")
            break
        except Exception:
            if time.perf_counter() - t0 > 120:
                raise
            time.sleep(0.02)
    t_query = time.perf_counter() - t0
    wait_available(rds, ident)
    return t_query, time.perf_counter() - t0


def failover_count(rds, ident: str) -> int:
    events = rds.describe_events(SourceType="db-instance", SourceIdentifier=ident, Duration=60)["Events"]
    return sum(e["Message"] == "Multi-AZ instance failover completed" for e in events)


def write_gap(rds, engine: str, port: int, ident: str, disrupt) -> float:
    """The longest pause between successful writes while `disrupt()` makes
    the instance fail over, with one writer inserting back to back."""
    query(engine, port, "CREATE TABLE IF NOT EXISTS w (id INT)")
    before = failover_count(rds, ident)
    done = threading.Event()
    ok: list[float] = []

    def writer():
        while not done.is_set():
            try:
                query(engine, port, "INSERT INTO w VALUES (1)")
                ok.append(time.perf_counter())
            except Exception:
                time.sleep(0.01)

    t = threading.Thread(target=writer)
    t.start()
    time.sleep(0.5)
    disrupt()
    deadline = time.monotonic() + 120
    while failover_count(rds, ident) == before:
        if time.monotonic() > deadline:
            done.set()
            raise RuntimeError("no failover happened")
        time.sleep(0.1)
    time.sleep(1.0)
    done.set()
    t.join()
    return max(b - a for a, b in zip(ok, ok[1:]))


def failovers(rds, data_dir: Path, engine: str, ident: str, rounds: int) -> tuple[list, list]:
    port = free_port()
    create(rds, ident, engine, port, multi_az=True)
    inst = wait_available(rds, ident)
    inst_dir = data_dir / "files" / "rds" / "instances" / inst["DbiResourceId"]

    def standby_ready():
        deadline = time.monotonic() + 120
        while not (inst_dir / "standby" / "bootstrapped").exists():
            if time.monotonic() > deadline:
                raise RuntimeError("no standby")
            time.sleep(0.1)
        time.sleep(0.5)

    forced, killed = [], []
    for _ in range(rounds):
        standby_ready()
        forced.append(write_gap(rds, engine, port, ident, lambda: rds.reboot_db_instance(
            DBInstanceIdentifier=ident, ForceFailover=True)))
        wait_available(rds, ident)
        standby_ready()
        pid_file = inst_dir / ("data/postmaster.pid" if engine == "postgres" else "mariadbd.pid")
        pid = int(pid_file.read_text().split()[0])
        killed.append(write_gap(rds, engine, port, ident, lambda: os.kill(pid, 9)))
        wait_available(rds, ident)
    return forced, killed


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stratus-bin", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--engines", default="mysql,postgres")
    ap.add_argument("--keep-log", help="copy Stratus's log here at the end")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="rds-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        port = free_port()
        srv = Server("stratus", [args.stratus_bin, "serve", "--port", str(port), "--data-dir", str(data_dir)],
                     port, Path(tmp))
        srv.spawn()
        try:
            srv.wait_first_200()
            rds = client(port)
            for engine in args.engines.split(","):
                q, a = [], []
                for i in range(args.rounds):
                    tq, ta = first_query(rds, engine, f"{engine}-first-{i}")
                    q.append(tq)
                    a.append(ta)
                    log(f"{engine}: first query after {tq:.2f} s, available after {ta:.2f} s")
                forced, killed = failovers(rds, data_dir, engine, f"{engine}-ha", args.rounds)
                log(f"{engine}: forced failover gaps {forced}, killed primary gaps {killed}")
                rows.append((engine, statistics.median(q), statistics.median(a),
                             statistics.median(forced), statistics.median(killed)))
        finally:
            stop_all()
            if args.keep_log:
                shutil.copy(srv.log_path, args.keep_log)
    lines = [
        "# RDS: real servers",
        "",
        f"Median of {args.rounds} runs, seconds. MariaDB serves `mysql`.",
        "",
        "| Engine | CreateDBInstance -> first query | -> available | writes stopped, forced failover | writes stopped, primary killed |",
        "|---|---|---|---|---|",
    ]
    for e, q, a, f, k in rows:
        lines.append(f"| {e} | {q:.2f} | {a:.2f} | {f:.2f} | {k:.2f} |")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines += ["", f"Load average at the end (1, 5, 15 min): {load}."]
    report = "\n".join(lines) + "\n"
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "rds-latest.md").write_text(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
