#!/usr/bin/env python3
"""CloudWatch: PutMetricData samples/s and GetMetricData latency over many
stored samples, Stratus (in memory and durable) vs moto.

Loads N samples (default 1,000,000) over 20 metrics and the past 13 days
with PutMetricData (1,000 datums a request, several connections, the JSON
protocol both servers speak), then times GetMetricData: one metric over
three days at hourly periods, and a metric math query over two metrics.
Reports numbers only. Run through bench/cloudwatch.sh.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import json
from pathlib import Path

import bench
from bench import HOST, Server, free_port, log, stop_all, tree_mib

AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/monitoring/aws4_request, "
        "SignedHeaders=host, Signature=0")
METRICS = 20
PER_REQUEST = 1000
SPREAD_S = 13 * 86400
NS = "Bench/App"


def post(conn: http.client.HTTPConnection, operation: str, body: dict | str) -> bytes:
    conn.request("POST", "/", body if isinstance(body, str) else json.dumps(body), {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": f"GraniteServiceVersion20100801.{operation}",
        "Authorization": AUTH,
    })
    resp = conn.getresponse()
    data = resp.read()
    if resp.status != 200:
        raise RuntimeError(f"{operation}: HTTP {resp.status}: {data[:300]!r}")
    return data


def put_body(request_no: int, now: float) -> str:
    data = []
    for i in range(PER_REQUEST):
        n = request_no * PER_REQUEST + i
        data.append({
            "MetricName": "Latency",
            "Dimensions": [{"Name": "Host", "Value": f"h{n % METRICS}"}],
            "Value": float(n % 997),
            "Unit": "Milliseconds",
            # Spread over the past 13 days; the newest samples a minute ago.
            "Timestamp": int(now - 60 - (n * 7919) % SPREAD_S),
        })
    return json.dumps({"Namespace": NS, "MetricData": data})


def load(port: int, samples: int, connections: int) -> dict:
    now = time.time()
    requests = samples // PER_REQUEST
    bodies = [put_body(r, now) for r in range(requests)]
    next_req = iter(range(requests))
    lock = threading.Lock()
    errors = []

    def worker():
        conn = http.client.HTTPConnection(HOST, port, timeout=600)
        try:
            while True:
                with lock:
                    r = next(next_req, None)
                if r is None:
                    return
                try:
                    post(conn, "PutMetricData", bodies[r])
                except RuntimeError as e:
                    errors.append(str(e))
                    return
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - t0
    if errors:
        raise RuntimeError(errors[0])
    return {"samples": requests * PER_REQUEST, "seconds": took, "samples_per_s": requests * PER_REQUEST / took}


def time_queries(port: int, runs: int) -> dict:
    now = int(time.time())
    window = {"StartTime": now - 3 * 86400, "EndTime": now}

    def stat(i, host):
        return {"Id": f"m{i}", "MetricStat": {
            "Metric": {"Namespace": NS, "MetricName": "Latency", "Dimensions": [{"Name": "Host", "Value": host}]},
            "Period": 3600, "Stat": "Average"}}

    single = {**window, "MetricDataQueries": [stat(1, "h1")]}
    math = {**window, "MetricDataQueries": [stat(1, "h1"), stat(2, "h2"), {"Id": "e", "Expression": "m1 + m2"}]}
    out = {}
    conn = http.client.HTTPConnection(HOST, port, timeout=600)
    try:
        for name, body in (("single", single), ("math", math)):
            got = json.loads(post(conn, "GetMetricData", body))  # warm up
            points = sum(len(r.get("Values", [])) for r in got.get("MetricDataResults", []))
            lat = []
            for _ in range(runs):
                t0 = time.monotonic()
                post(conn, "GetMetricData", body)
                lat.append((time.monotonic() - t0) * 1000.0)
            out[name] = {"p50_ms": statistics.median(lat), "max_ms": max(lat), "runs": runs, "datapoints": points}
    finally:
        conn.close()
    return out


def measure(label: str, argv_for_port, samples: int, connections: int, runs: int, log_dir: Path) -> dict:
    port = free_port()
    srv = Server(label, argv_for_port(port), port, log_dir)
    srv.spawn()
    try:
        srv.wait_first_200()
        log(f"{label}: loading {samples:,} samples")
        out = {"put": load(port, samples, connections)}
        srv.ensure_alive("PutMetricData load")
        out["rss_mib"] = tree_mib(srv.pid)
        log(f"{label}: {out['put']['samples_per_s']:,.0f} samples/s; timing GetMetricData")
        out["get"] = time_queries(port, runs)
        srv.ensure_alive("GetMetricData")
        return out
    finally:
        srv.stop()


def fmt(v, d=0):
    return "n/a" if v is None else f"{v:,.{d}f}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stratus-bin", required=True)
    p.add_argument("--moto-server", default="")
    p.add_argument("--samples", type=int, default=1_000_000)
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--out", default=str(bench.BENCH_DIR / "results" / "cloudwatch-latest.md"))
    args = p.parse_args()
    load_at_start = os.getloadavg()[0]
    log_dir = Path(tempfile.mkdtemp(prefix="stratus-cw-bench-"))
    data_dir = Path(tempfile.mkdtemp(prefix="stratus-cw-bench-data-"))
    results, failures = {}, {}
    runs = [
        ("stratus (--ephemeral)", lambda port: [args.stratus_bin, "serve", "--port", str(port), "--ephemeral"]),
        ("stratus (durable)", lambda port: [args.stratus_bin, "serve", "--port", str(port), "--data-dir", str(data_dir)]),
    ]
    if args.moto_server:
        runs.append(("moto", lambda port: [args.moto_server, "-H", HOST, "-p", str(port)]))
    try:
        for label, argv in runs:
            log(f"measuring {label}")
            try:
                results[label] = measure(label.split()[0], argv, args.samples, args.connections, args.runs, log_dir)
            except Exception as error:  # report what could be measured
                failures[label] = str(error)
    finally:
        stop_all()
        shutil.rmtree(data_dir, ignore_errors=True)
    rows = [
        ("PutMetricData samples/s", lambda r: r["put"]["samples_per_s"], True),
        ("GetMetricData p50 (ms), 1 metric, 3 days hourly", lambda r: r["get"]["single"]["p50_ms"], False),
        ("GetMetricData p50 (ms), m1 + m2", lambda r: r["get"]["math"]["p50_ms"], False),
        ("Server memory after the load (MiB)", lambda r: r["rss_mib"], False),
    ]
    labels = list(results)
    moto = results.get("moto")
    lines = [f"# CloudWatch benchmark ({args.samples:,} samples, {args.connections} connections)", "",
             f"{os.cpu_count()} cores, load average {load_at_start:.2f} at start: the load generator "
             "shares the cores, and other work on the machine skews every row.", "",
             "| Metric | " + " | ".join(labels) + (" | ephemeral / moto | durable / moto |" if moto else " |"),
             "|---|" + "---:|" * (len(labels) + (2 if moto else 0))]
    for name, get, higher_better in rows:
        vals = [get(results[label]) for label in labels]
        line = f"| {name} | " + " | ".join(fmt(v, 1 if isinstance(v, float) and v < 100 else 0) for v in vals) + " |"
        if moto:
            m = get(moto)
            for label in ("stratus (--ephemeral)", "stratus (durable)"):
                s = get(results[label]) if label in results else None
                ratio = None
                if s and m:
                    ratio = s / m if higher_better else m / s
                line += f" {fmt(ratio, 1)}x |" if ratio is not None else " n/a |"
        lines.append(line)
    lines.append("")
    lines.append("Ratios: > 1 means Stratus is better (rates: Stratus/moto; latency and memory: moto/Stratus).")
    for label, why in failures.items():
        lines.append(f"- {label} not measured: {why}")
    report = "\n".join(lines) + "\n"
    print(report)
    Path(args.out).write_text(report)
    return 0 if any(k.startswith("stratus") for k in results) else 1


if __name__ == "__main__":
    sys.exit(main())
