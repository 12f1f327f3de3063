#!/usr/bin/env python3
"""Application load balancer data plane: requests/s through the ALB (by its
DNS name on Stratus's port) vs straight to the target, and the latency the
load balancer adds (p50/p99, one connection and many).

The target is a second Stratus answering GET /_stratus/health, a fast Rust
server, so the numbers show the load balancer and not a slow target. The
ALB has one `ip` target (127.0.0.1:PORT) made healthy by real health checks
as the test clock moves. Reports numbers only. Run through bench/alb.sh.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import tempfile
import time
import urllib.request
from pathlib import Path

import boto3
from botocore.config import Config

import bench
from bench import HOST, Server, free_port, log, run_wrk, stop_all

PATH = "/_stratus/health"


def client(port: int, service: str):
    return boto3.session.Session().client(
        service, endpoint_url=f"http://{HOST}:{port}", region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1}))


def advance(port: int, seconds: int) -> None:
    req = urllib.request.Request(f"http://{HOST}:{port}/_stratus/clock?advance={seconds}", method="POST")
    urllib.request.urlopen(req, timeout=10).read()


def make_alb(port: int, target_port: int) -> str:
    """An ALB forwarding to 127.0.0.1:target_port; returns its DNS name once
    the target is healthy."""
    ec2, elb = client(port, "ec2"), client(port, "elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i + 1}.0/24", AvailabilityZone=z)["Subnet"]["SubnetId"]
               for i, z in enumerate(("us-east-1a", "us-east-1b"))]
    lb = elb.create_load_balancer(Name="bench", Subnets=subnets)["LoadBalancers"][0]
    tg = elb.create_target_group(Name="bench", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip",
                                 HealthCheckPath=PATH, HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
                                 HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": target_port,
                                                      "AvailabilityZone": "all"}])
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    for _ in range(40):
        advance(port, 5)
        time.sleep(0.1)
        health = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
        if health and health[0]["TargetHealth"]["State"] == "healthy":
            return lb["DNSName"]
    raise RuntimeError(f"the target never became healthy: {health}")


def measure(port: int, host: str, connections: int, threads: int, duration: int) -> dict:
    return run_wrk(port, "alb_get.lua", connections, threads, duration, [host, PATH])


def fmt(v, digits=0):
    if v is None:
        return "n/a"
    return f"{v:,.{digits}f}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stratus-bin", required=True)
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=str(bench.BENCH_DIR / "results" / "alb-latest.md"))
    args = p.parse_args()
    load_at_start = os.getloadavg()[0]
    log_dir = Path(tempfile.mkdtemp(prefix="stratus-alb-bench-"))
    results = {}
    try:
        target_port, lb_port = free_port(), free_port()
        target = Server("target", [args.stratus_bin, "serve", "--port", str(target_port), "--ephemeral"],
                        target_port, log_dir)
        alb = Server("alb", [args.stratus_bin, "serve", "--port", str(lb_port), "--ephemeral", "--test-mode"],
                     lb_port, log_dir)
        for s in (target, alb):
            s.spawn()
            s.wait_first_200()
        dns = make_alb(lb_port, target_port)
        log(f"ALB {dns} -> 127.0.0.1:{target_port}")
        plans = [("one connection", 1, 1), (f"{args.connections} connections", args.connections, args.threads)]
        for label, conns, threads in plans:
            log(f"measuring {label}")
            results[label] = {
                "direct": measure(target_port, "", conns, threads, args.duration),
                "alb": measure(lb_port, dns, conns, threads, args.duration),
            }
            for s in (target, alb):
                s.ensure_alive(label)
    finally:
        stop_all()
        shutil.rmtree(log_dir, ignore_errors=True)

    lines = [f"# ALB data plane benchmark ({args.duration} s per run)", "",
             f"{datetime.date.today().isoformat()}, {os.cpu_count()} cores, load average {load_at_start:.2f} "
             "at start: wrk, the load balancer and the target share the cores, and other work on the "
             "machine skews every row.", "",
             f"Target: a second Stratus answering `GET {PATH}`; ALB: one `ip` target, HTTP listener "
             "on port 80, reached by its DNS name on Stratus's port. Connections to the target are kept "
             "alive and reused.", "",
             "| Run | Direct req/s | Through ALB req/s | Direct p50 / p99 (ms) | ALB p50 / p99 (ms) "
             "| Added p50 / p99 (ms) | ALB errors |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for label, r in results.items():
        d, a = r["direct"], r["alb"]
        dl, al = d["latency_ms"], a["latency_ms"]
        errors = sum(a["errors"].values())
        lines.append(
            f"| {label} | {fmt(d['rps'])} | {fmt(a['rps'])} | {fmt(dl['p50'], 2)} / {fmt(dl['p99'], 2)} "
            f"| {fmt(al['p50'], 2)} / {fmt(al['p99'], 2)} "
            f"| {fmt(al['p50'] - dl['p50'], 2)} / {fmt(al['p99'] - dl['p99'], 2)} | {errors} |")
    lines.append("")
    lines.append("Numbers are reported, never asserted.")
    report = "\n".join(lines) + "\n"
    print(report)
    Path(args.out).write_text(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
