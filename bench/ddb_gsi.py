#!/usr/bin/env python3
"""DynamoDB Query on a global secondary index: a table of 50,000 items, each
Query reading one index partition of 100 items. Compares Stratus binaries
given as label=path (e.g. a build before and after a change). Reports
numbers only, with the load average.

    .venv/bin/python bench/ddb_gsi.py --bin before=/tmp/old --bin after=target/release/stratus
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench import HOST, Server, free_port, log, stop_all

AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=host, Signature=0")
ITEMS = 50_000
PARTITION = 100  # items per GSI partition


def call(conn: http.client.HTTPConnection, op: str, body: dict) -> dict:
    conn.request("POST", "/", json.dumps(body), {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": f"DynamoDB_20120810.{op}",
        "Authorization": AUTH,
    })
    resp = conn.getresponse()
    data = resp.read()
    if resp.status != 200:
        raise RuntimeError(f"{op}: HTTP {resp.status}: {data[:300]!r}")
    return json.loads(data or b"{}")


def load(conn: http.client.HTTPConnection) -> None:
    call(conn, "CreateTable", {
        "TableName": "gsi",
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"},
                                 {"AttributeName": "grp", "AttributeType": "S"},
                                 {"AttributeName": "n", "AttributeType": "N"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [{
            "IndexName": "by_grp",
            "KeySchema": [{"AttributeName": "grp", "KeyType": "HASH"},
                          {"AttributeName": "n", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
        "BillingMode": "PAY_PER_REQUEST",
    })
    call(conn, "DescribeTable", {"TableName": "gsi"})  # answers once ACTIVE
    for start in range(0, ITEMS, 25):
        reqs = [{"PutRequest": {"Item": {
            "id": {"S": f"item-{i}"}, "grp": {"S": f"g{i % (ITEMS // PARTITION)}"},
            "n": {"N": str(i)}, "data": {"S": "x" * 64},
        }}} for i in range(start, start + 25)]
        out = call(conn, "BatchWriteItem", {"RequestItems": {"gsi": reqs}})
        if out.get("UnprocessedItems"):
            raise RuntimeError("unprocessed items while loading")


def measure(label: str, binary: str, queries: int, log_dir: Path) -> dict:
    port = free_port()
    srv = Server(label, [binary, "serve", "--host", HOST, "--port", str(port), "--ephemeral"], port, log_dir)
    srv.spawn()
    try:
        srv.wait_first_200()
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        t0 = time.perf_counter()
        load(conn)
        load_s = time.perf_counter() - t0
        times = []
        for q in range(queries):
            t = time.perf_counter()
            out = call(conn, "Query", {
                "TableName": "gsi", "IndexName": "by_grp",
                "KeyConditionExpression": "grp = :g",
                "ExpressionAttributeValues": {":g": {"S": f"g{q % (ITEMS // PARTITION)}"}},
            })
            times.append(time.perf_counter() - t)
            if out["Count"] != PARTITION:
                raise RuntimeError(f"{label}: Query returned {out['Count']} items, expected {PARTITION}")
        conn.close()
        return {
            "load_s": load_s,
            "queries_per_s": queries / sum(times),
            "mean_ms": statistics.mean(times) * 1000,
            "p50_ms": statistics.median(times) * 1000,
            "p99_ms": sorted(times)[int(len(times) * 0.99) - 1] * 1000,
        }
    finally:
        srv.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", action="append", required=True, help="label=path to a stratus binary")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "ddb-gsi-latest.md"))
    args = parser.parse_args()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for spec in args.bin:
                label, path = spec.split("=", 1)
                log(f"{label}: loading {ITEMS} items, then {args.queries} GSI queries")
                rows[label] = measure(label, path, args.queries, Path(tmp))
        finally:
            stop_all()
    load_avg = " ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        "# DynamoDB Query on a global secondary index",
        "",
        f"Table of {ITEMS} items; each Query reads one GSI partition of {PARTITION} items "
        f"(one connection, {args.queries} queries, --ephemeral). Load average after the run: {load_avg} "
        "(other builds ran on this 2-core machine at the same time).",
        "",
        "| binary | Query/s | mean ms | p50 ms | p99 ms | load of 50k items (s) |",
        "|---|---|---|---|---|---|",
    ]
    for label, r in rows.items():
        lines.append(f"| {label} | {r['queries_per_s']:.0f} | {r['mean_ms']:.2f} | {r['p50_ms']:.2f} | "
                     f"{r['p99_ms']:.2f} | {r['load_s']:.1f} |")
    if len(rows) == 2:
        (a, ra), (b, rb) = rows.items()
        lines += ["", f"Ratio {b}/{a} in Query/s: {rb['queries_per_s'] / ra['queries_per_s']:.1f}x"]
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
