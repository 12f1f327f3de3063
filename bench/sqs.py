#!/usr/bin/env python3
"""SQS throughput: Stratus (in memory and durable) vs moto.

SendMessage msgs/s with 1 and 16 connections, ReceiveMessage+DeleteMessage
msgs/s with 1 and 16 connections, server CPU per sent message, and the CPU
that idle long polls cost. Reports numbers only. Run through bench/sqs.sh.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import bench
from bench import HOST, Server, free_port, log, run_wrk, stop_all, tree_cpu_s

AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/sqs/aws4_request, "
        "SignedHeaders=host, Signature=0")
IDLE_POLLS = 16
IDLE_WAIT_S = 5


def call(port: int, operation: str, body: dict) -> dict:
    conn = http.client.HTTPConnection(HOST, port, timeout=IDLE_WAIT_S + 10)
    try:
        conn.request("POST", "/", json.dumps(body), {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"AmazonSQS.{operation}",
            "Authorization": AUTH,
        })
        resp = conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"{operation}: HTTP {resp.status}: {data[:300]!r}")
        return json.loads(data or b"{}")
    finally:
        conn.close()


def backlog(port: int, url: str) -> int:
    a = call(port, "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["All"]})["Attributes"]
    return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])


def measure(label: str, argv_for_port, duration_s: int, log_dir: Path) -> dict:
    port = free_port()
    srv = Server(label, argv_for_port(port), port, log_dir)
    srv.spawn()
    try:
        srv.wait_first_200()
        url = call(port, "CreateQueue", {"QueueName": "bench"})["QueueUrl"]
        os.environ["SQS_QUEUE_URL"] = url
        out = {}
        out["send_c1"] = run_wrk(port, "sqs_send.lua", 1, 1, duration_s)
        before = tree_cpu_s(srv.pid)
        out["send_c16"] = run_wrk(port, "sqs_send.lua", 16, 2, duration_s)
        srv.ensure_alive("SendMessage load")
        used = tree_cpu_s(srv.pid) - before
        sent = out["send_c16"]["requests"]
        out["cpu_us_per_send"] = used / sent * 1e6 if sent else None
        for key, conns, threads in (("recv_del_c1", 1, 1), ("recv_del_c16", 16, 2)):
            start = backlog(port, url)
            run = run_wrk(port, "sqs_receive_delete.lua", conns, threads, duration_s)
            srv.ensure_alive("ReceiveMessage+DeleteMessage load")
            consumed = start - backlog(port, url)
            run["messages_per_s"] = consumed / run["duration_s"] if run["duration_s"] else 0.0
            run["backlog_before"] = start
            out[key] = run
        idle = call(port, "CreateQueue", {"QueueName": "idle"})["QueueUrl"]
        before = tree_cpu_s(srv.pid)
        polls = [threading.Thread(target=call, args=(port, "ReceiveMessage", {"QueueUrl": idle, "WaitTimeSeconds": IDLE_WAIT_S}))
                 for _ in range(IDLE_POLLS)]
        for t in polls:
            t.start()
        for t in polls:
            t.join(IDLE_WAIT_S + 15)
        out["idle_poll_cpu_ms"] = (tree_cpu_s(srv.pid) - before) * 1000.0
        return out
    finally:
        srv.stop()


def fmt(v, d=0):
    return "n/a" if v is None else f"{v:,.{d}f}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stratus-bin", required=True)
    p.add_argument("--moto-server", default="")
    p.add_argument("--duration", type=int, default=5)
    p.add_argument("--out", default=str(bench.BENCH_DIR / "results" / "sqs-latest.md"))
    args = p.parse_args()
    load_at_start = os.getloadavg()[0]
    log_dir = Path(tempfile.mkdtemp(prefix="stratus-sqs-bench-"))
    data_dir = Path(tempfile.mkdtemp(prefix="stratus-sqs-bench-data-"))
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
                results[label] = measure(label.split()[0], argv, args.duration, log_dir)
            except Exception as error:  # report what could be measured
                failures[label] = str(error)
    finally:
        stop_all()
        shutil.rmtree(data_dir, ignore_errors=True)
    moto = results.get("moto")
    rows = [
        ("SendMessage msgs/s, 1 connection", lambda r: r["send_c1"]["rps"], True),
        ("SendMessage msgs/s, 16 connections", lambda r: r["send_c16"]["rps"], True),
        ("Receive+Delete msgs/s, 1 connection", lambda r: r["recv_del_c1"]["messages_per_s"], True),
        ("Receive+Delete msgs/s, 16 connections", lambda r: r["recv_del_c16"]["messages_per_s"], True),
        ("Server CPU per SendMessage (µs)", lambda r: r["cpu_us_per_send"], False),
        (f"Server CPU of {IDLE_POLLS} idle {IDLE_WAIT_S} s long polls (ms)", lambda r: r["idle_poll_cpu_ms"], False),
    ]
    labels = list(results)
    lines = [f"# SQS benchmark ({args.duration} s runs, wrk)", "",
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
    lines.append("Ratios: > 1 means Stratus is better (rates: Stratus/moto; CPU: moto/Stratus).")
    for label, why in failures.items():
        lines.append(f"- {label} not measured: {why}")
    report = "\n".join(lines) + "\n"
    print(report)
    Path(args.out).write_text(report)
    return 0 if any(k.startswith("stratus") for k in results) else 1


if __name__ == "__main__":
    sys.exit(main())
