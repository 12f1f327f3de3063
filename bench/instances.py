#!/usr/bin/env python3
"""Instances that run: how long from RunInstances to the first answer of a
web server the instance's user data starts, and how many idle running
instances one machine holds (boot rate, memory of Stratus with all of
them). Needs root (instances run in network namespaces). Reports numbers
only. Run through bench/instances.sh.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import boto3
from botocore.config import Config

import bench
from bench import Server, free_port, log, stop_all, tree_mib

WEB = "#!/bin/sh\ncd /tmp && exec python3 -m http.server 8080 --bind 0.0.0.0\n"


def client(port: int):
    return boto3.client("ec2", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}))


def namespaces(port: int, kind: str) -> int:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return sum(1 for line in out.splitlines() if line.startswith(f"stratus{port}-{kind}-"))


def first_answer(port: int, vpc: str, ip: str, started: float, timeout_s: float = 20.0) -> float:
    """Milliseconds from `started` until the instance's web server answers,
    asked from inside its VPC's namespace."""
    deadline = started + timeout_s
    while time.perf_counter() < deadline:
        r = subprocess.run(["ip", "netns", "exec", f"stratus{port}-{vpc}", "curl", "-s", "-o", "/dev/null",
                            "-m", "0.2", "-w", "%{http_code}", f"http://{ip}:8080/"],
                           capture_output=True, text=True)
        if r.stdout == "200":
            return (time.perf_counter() - started) * 1000
        time.sleep(0.005)
    raise RuntimeError(f"no answer from {ip} within {timeout_s} s")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stratus-bin", required=True)
    ap.add_argument("--launches", type=int, default=10)
    ap.add_argument("--idle", type=int, default=200)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "instances-latest.md"))
    args = ap.parse_args()

    load_before = os.getloadavg()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        srv = Server("stratus", [args.stratus_bin, "serve", "--port", str(port), "--ephemeral",
                                 "--instance-runtime", "process"], port, Path(tmp))
        srv.spawn()
        srv.wait_first_200()
        try:
            ec2 = client(port)
            ami = ec2.describe_images(Owners=["amazon"], Filters=[
                {"Name": "architecture", "Values": ["x86_64"]}])["Images"][0]["ImageId"]
            # The default group admits only its own members: open the web port,
            # as the lab does, so the VPC's router reaches the server.
            default = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["GroupId"]
            ec2.authorize_security_group_ingress(GroupId=default, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
            times = []
            for n in range(args.launches):
                t0 = time.perf_counter()
                i = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                                      UserData=WEB)["Instances"][0]
                times.append(first_answer(port, i["VpcId"], i["PrivateIpAddress"], t0))
                ec2.terminate_instances(InstanceIds=[i["InstanceId"]])
                log(f"launch {n + 1}: first answer after {times[-1]:.0f} ms")
            base_mib = tree_mib(srv.pid)
            t0 = time.perf_counter()
            left = args.idle
            while left > 0:
                n = min(50, left)
                ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=n, MaxCount=n)
                left -= n
            while namespaces(port, "i") < args.idle:
                if time.perf_counter() - t0 > 600:
                    raise RuntimeError(f"only {namespaces(port, 'i')} of {args.idle} booted in 600 s")
                time.sleep(0.1)
            boot_s = time.perf_counter() - t0
            time.sleep(2)
            all_mib = tree_mib(srv.pid)
        finally:
            stop_all()
        left_behind = namespaces(port, "i") + namespaces(port, "vpc")
    load_after = os.getloadavg()
    lines = [
        "# Instances that run",
        "",
        f"{datetime.date.today()} · {platform.machine()} · {os.cpu_count()} cores "
        f"· `bench/instances.sh --launches {args.launches} --idle {args.idle}`",
        "",
        "| Measure | Value |",
        "|---|---|",
        f"| RunInstances to the first answer of the user data's web server (median of {args.launches}) | {statistics.median(times):.0f} ms |",
        f"| same, fastest / slowest | {min(times):.0f} ms / {max(times):.0f} ms |",
        f"| {args.idle} idle instances running: time until all booted | {boot_s:.1f} s ({args.idle / boot_s:.0f} instances/s) |",
        f"| memory of Stratus and every instance process, before / with {args.idle} | {base_mib:.0f} MiB / {all_mib:.0f} MiB ({(all_mib - base_mib) / args.idle * 1024:.0f} KiB per instance) |",
        f"| SIGTERM with {args.idle} instances running: exit after | "
        + (f"{srv.sigterm_exit_ms:.0f} ms" if srv.sigterm_exit_ms is not None else "no exit (killed)")
        + f", {left_behind} namespaces left behind |",
        "",
        f"| load average (1 min) before / after | {load_before[0]:.2f} / {load_after[0]:.2f} |",
        "",
        "The first answer includes the namespaces' setup (RunInstances wakes the reconciler),",
        "the firewall, the root filesystem's mounts, the metadata service check and Python's",
        "start (`python3 -m http.server`). Idle instances boot one after another on the",
        "reconciler's thread.",
    ]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
