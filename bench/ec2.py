#!/usr/bin/env python3
"""EC2 throughput: Stratus (in memory and durable) vs moto.

RunInstances requests/s (one instance per call, into a /16 subnet) and
DescribeInstances requests/s with 1,000 instances present (all of them, and
one picked by a filter, with 1 and 16 connections). Reports numbers only.
Run through bench/ec2.sh.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import bench
from bench import HOST, Server, free_port, log, run_wrk, stop_all

AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/ec2/aws4_request, "
        "SignedHeaders=host, Signature=0")
PRESENT = 1000


def call(port: int, params: dict) -> str:
    conn = http.client.HTTPConnection(HOST, port, timeout=120)
    try:
        body = urllib.parse.urlencode({**params, "Version": "2016-11-15"})
        conn.request("POST", "/", body, {
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Authorization": AUTH,
        })
        resp = conn.getresponse()
        data = resp.read().decode()
        if resp.status != 200:
            raise RuntimeError(f"{params['Action']}: HTTP {resp.status}: {data[:300]}")
        return data
    finally:
        conn.close()


def first(tag: str, xml: str) -> str:
    m = re.search(f"<{tag}>([^<]+)</{tag}>", xml)
    if not m:
        raise RuntimeError(f"no <{tag}> in {xml[:300]}")
    return m.group(1)


def count_instances(port: int) -> int:
    return len(re.findall(r"<instanceId>", call(port, {"Action": "DescribeInstances"})))


def sequential(port: int, params: dict, duration_s: int) -> dict:
    """Requests/s of calls made one after another for `duration_s` (3 at least)."""
    start, n = time.perf_counter(), 0
    while n < 3 or time.perf_counter() - start < duration_s:
        call(port, params)
        n += 1
    elapsed = time.perf_counter() - start
    return {"requests": n, "duration_s": elapsed, "rps": n / elapsed}


def setup(port: int) -> None:
    """A VPC with a /16 subnet, and an image id that both servers accept."""
    vpc = first("vpcId", call(port, {"Action": "CreateVpc", "CidrBlock": "10.9.0.0/16"}))
    subnet = first("subnetId", call(port, {"Action": "CreateSubnet", "VpcId": vpc, "CidrBlock": "10.9.0.0/16"}))
    try:
        images = call(port, {"Action": "DescribeImages", "Owner.1": "amazon",
                             "Filter.1.Name": "architecture", "Filter.1.Value.1": "x86_64"})
    except RuntimeError:
        images = ""
    found = re.search(r"<imageId>(ami-[0-9a-f]+)</imageId>", images)
    os.environ["EC2_AMI"] = found.group(1) if found else "ami-0a1b2c3d4e5f60718"
    os.environ["EC2_SUBNET"] = subnet


def measure(label: str, argv_for_port, duration_s: int, log_dir: Path) -> dict:
    out = {}
    for phase in ("run", "describe"):
        port = free_port()
        srv = Server(label, argv_for_port(port), port, log_dir)
        srv.spawn()
        try:
            srv.wait_first_200()
            setup(port)
            if phase == "run":
                for key, conns, threads in (("run_c1", 1, 1), ("run_c16", 16, 2)):
                    before = count_instances(port)
                    r = run_wrk(port, "ec2_run.lua", conns, threads, duration_s)
                    srv.ensure_alive("RunInstances load")
                    r["launched_per_s"] = (count_instances(port) - before) / r["duration_s"]
                    out[key] = r
                continue
            for _ in range(PRESENT // 100):
                call(port, {"Action": "RunInstances", "ImageId": os.environ["EC2_AMI"], "MinCount": "100",
                            "MaxCount": "100", "InstanceType": "t3.micro", "SubnetId": os.environ["EC2_SUBNET"]})
            present = count_instances(port)
            if present != PRESENT:
                raise RuntimeError(f"expected {PRESENT} instances, found {present}")
            one = first("instanceId", call(port, {"Action": "DescribeInstances"}))
            os.environ["EC2_FILTER"] = "&Filter.1.Name=instance-id&Filter.1.Value.1=" + one
            out["one_c1"] = run_wrk(port, "ec2_describe.lua", 1, 1, duration_s)
            out["one_c16"] = run_wrk(port, "ec2_describe.lua", 16, 2, duration_s)
            # Describing all 1,000 takes moto more than a second, so a run of
            # a few seconds would drop the call in flight at its end: moto's
            # calls are timed one after another instead, at least three. A
            # Python client would add milliseconds of its own to each of
            # Stratus's calls (reading and decoding 3.7 MB), so wrk, which
            # also sends one call after another on its connection, times them.
            if label == "moto":
                out["all_c1"] = sequential(port, {"Action": "DescribeInstances"}, duration_s)
            else:
                os.environ["EC2_FILTER"] = ""
                out["all_c1"] = run_wrk(port, "ec2_describe.lua", 1, 1, duration_s)
            srv.ensure_alive("DescribeInstances load")
        finally:
            srv.stop()
    return out


def fmt(v, d=0):
    return "n/a" if v is None else f"{v:,.{d}f}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stratus-bin", required=True)
    p.add_argument("--moto-server", default="")
    p.add_argument("--duration", type=int, default=5)
    p.add_argument("--out", default=str(bench.BENCH_DIR / "results" / "ec2-latest.md"))
    args = p.parse_args()
    load_at_start = os.getloadavg()[0]
    log_dir = Path(tempfile.mkdtemp(prefix="stratus-ec2-bench-"))
    data_dir = Path(tempfile.mkdtemp(prefix="stratus-ec2-bench-data-"))
    results, failures = {}, {}
    # The API alone is measured: as root the instance runtime would boot a
    # process tree for each of the 1,000 instances on the same cores
    # (bench/instances.sh measures that).
    api_only = ["--instance-runtime", "none"]
    runs = [
        ("stratus (--ephemeral)", lambda port: [args.stratus_bin, "serve", "--port", str(port), "--ephemeral",
                                                *api_only]),
        ("stratus (durable)", lambda port: [args.stratus_bin, "serve", "--port", str(port), "--data-dir",
                                            tempfile.mkdtemp(dir=data_dir), *api_only]),
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
        ("RunInstances launches/s, 1 connection", lambda r: r["run_c1"]["launched_per_s"]),
        ("RunInstances launches/s, 16 connections", lambda r: r["run_c16"]["launched_per_s"]),
        (f"DescribeInstances (all {PRESENT}) req/s, 1 connection", lambda r: r["all_c1"]["rps"]),
        (f"DescribeInstances (1 of {PRESENT} by filter) req/s, 1 connection", lambda r: r["one_c1"]["rps"]),
        (f"DescribeInstances (1 of {PRESENT} by filter) req/s, 16 connections", lambda r: r["one_c16"]["rps"]),
    ]
    labels = list(results)
    lines = [f"# EC2 benchmark ({args.duration} s runs, wrk)", "",
             f"{os.cpu_count()} cores, load average {load_at_start:.2f} at start: the load generator "
             "shares the cores, and other work on the machine skews every row.", "",
             "| Metric | " + " | ".join(labels) + (" | ephemeral / moto | durable / moto |" if moto else " |"),
             "|---|" + "---:|" * (len(labels) + (2 if moto else 0))]
    for name, get in rows:
        vals = [get(results[label]) for label in labels]
        line = f"| {name} | " + " | ".join(fmt(v, 1 if isinstance(v, float) and v < 100 else 0) for v in vals) + " |"
        if moto:
            m = get(moto)
            for label in ("stratus (--ephemeral)", "stratus (durable)"):
                s = get(results[label]) if label in results else None
                line += f" {fmt(s / m, 1)}x |" if s and m else " n/a |"
        lines.append(line)
    lines.append("")
    lines.append("Ratios: Stratus/moto, > 1 means Stratus is faster.")
    lines.append(f"DescribeInstances of all {PRESENT}: moto's calls are timed one after another from Python "
                 "(each takes over a second); Stratus's with wrk, one after another on one connection.")
    for label, why in failures.items():
        lines.append(f"- {label} not measured: {why}")
    report = "\n".join(lines) + "\n"
    print(report)
    Path(args.out).write_text(report)
    return 0 if any(k.startswith("stratus") for k in results) else 1


if __name__ == "__main__":
    sys.exit(main())
