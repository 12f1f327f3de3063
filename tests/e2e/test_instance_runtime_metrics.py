"""AWS/EC2 metrics from what a running instance does: NetworkIn/Out and
their packets from its interface's counters, per minute; status checks
(metrics and DescribeInstanceStatus) from whether its processes still run.
Needs root (network namespaces)."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys

import pytest

from conftest import run_aws
from test_instance_runtime import console, running, until
from test_instance_cloud_init import in_vpc, open_group, rt  # noqa: F401

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="instance namespaces need root")


SINK = """#cloud-config
write_files:
  - path: /tmp/stratus-sink-{tag}.py
    content: |
      import socket
      s = socket.socket()
      s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
      s.bind(("0.0.0.0", 9000))
      s.listen()
      while True:
          c, _ = s.accept()
          while c.recv(65536):
              pass
          c.close()
runcmd:
  - [sh, -c, "nohup python3 /tmp/stratus-sink-{tag}.py >/dev/null 2>&1 &"]
  - echo sink-up
"""

SEND = """
import socket, sys
c = socket.create_connection((sys.argv[1], 9000), timeout=10)
c.sendall(b"x" * int(sys.argv[2]))
c.close()
"""


def minutes(cw, rt, iid, name, stat="Sum"):
    """The per-minute datapoints of one metric, oldest first."""
    points = cw.get_metric_statistics(
        Namespace="AWS/EC2", MetricName=name, Dimensions=[{"Name": "InstanceId", "Value": iid}],
        StartTime=rt.now() - datetime.timedelta(minutes=30), EndTime=rt.now() + datetime.timedelta(minutes=1),
        Period=60, Statistics=[stat])["Datapoints"]
    return [p[stat] for p in sorted(points, key=lambda p: p["Timestamp"])]


def this_minute(cw, rt, iid, name, stat="Maximum"):
    """The datapoint of the server's current minute, once it is published.
    Real time may cross a minute's end as well as the advances, so how many
    samples came before depends on when the test began."""
    now = rt.now()
    start = now.replace(second=0, microsecond=0)
    points = cw.get_metric_statistics(
        Namespace="AWS/EC2", MetricName=name, Dimensions=[{"Name": "InstanceId", "Value": iid}],
        StartTime=start, EndTime=start + datetime.timedelta(minutes=1),
        Period=60, Statistics=[stat])["Datapoints"]
    return [p[stat] for p in points] or None


def test_traffic_to_an_instance_shows_up_in_network_in_for_its_minute(rt):
    ec2, cw = rt.client("ec2"), rt.client("cloudwatch")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    i = running(rt, ec2, UserData=SINK.format(tag=os.urandom(3).hex()), SecurityGroupIds=[open_group(ec2, vpc)])
    iid, ip = i["InstanceId"], i["PrivateIpAddress"]
    until(lambda: "sink-up" in console(ec2, iid), what="the sink started")

    def sent():
        r = in_vpc(rt.port, vpc, sys.executable, "-c", SEND, ip, "3000000")
        return r.returncode == 0
    # A minute with boot traffic only, then one with 3 MB sent to the instance.
    rt.advance(60)
    until(lambda: this_minute(cw, rt, iid, "NetworkIn", "Sum"), what="a first sample")
    before = len(minutes(cw, rt, iid, "NetworkIn"))
    until(sent, what="3 MB sent to the instance")
    rt.advance(60)
    until(lambda: this_minute(cw, rt, iid, "NetworkIn", "Sum"), what="the next sample")
    ins = minutes(cw, rt, iid, "NetworkIn")
    # Real time may end a minute between the send and the advance, so the
    # traffic is in one of the minutes since, whole.
    busy = max(range(before, len(ins)), key=lambda k: ins[k])
    assert ins[busy] >= 3_000_000, ins
    assert all(v < 1_000_000 for k, v in enumerate(ins) if k != busy), ins
    packets_in = minutes(cw, rt, iid, "NetworkPacketsIn")
    assert packets_in[busy] >= 3_000_000 / 65536, packets_in
    outs = minutes(cw, rt, iid, "NetworkOut")
    # What went out were acknowledgements: far less than what came in.
    assert 0 < outs[busy] < ins[busy] / 4, outs

    # A quiet minute after it: bytes since the last sample, not a running total.
    rt.advance(60)
    quiet = until(lambda: this_minute(cw, rt, iid, "NetworkIn", "Sum"), what="a quiet sample")
    assert quiet[0] < 1_000_000, quiet


def test_an_instance_whose_processes_die_fails_its_instance_status_check(rt):
    ec2, cw = rt.client("ec2"), rt.client("cloudwatch")
    i = running(rt, ec2, UserData="#!/bin/sh\necho alive\n")
    iid = i["InstanceId"]

    def status():
        s = ec2.describe_instance_status(InstanceIds=[iid])["InstanceStatuses"][0]
        return s["InstanceStatus"], s["SystemStatus"]

    # Checks pass 2 s of the clock after it runs: ask before the boot's wait
    # spends real time.
    inst, system = status()
    assert (inst["Status"], system["Status"]) == ("initializing", "initializing")
    until(lambda: "alive" in console(ec2, iid), what="the boot")
    rt.advance(2)
    inst, system = status()
    assert (inst["Status"], system["Status"]) == ("ok", "ok")
    assert "ImpairedSince" not in inst["Details"][0]
    rt.advance(60)
    assert until(lambda: this_minute(cw, rt, iid, "StatusCheckFailed"), what="a status sample") == [0.0]
    assert set(minutes(cw, rt, iid, "StatusCheckFailed", "Maximum")) == {0.0}

    # Everything in the instance's namespace dies, as on a kernel panic.
    pids = subprocess.run(["ip", "netns", "pids", f"stratus{rt.port}-{iid}"],
                          capture_output=True, text=True).stdout.split()
    assert pids
    for pid in pids:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass

    until(lambda: status()[0]["Status"] == "impaired", what="the instance check failing")
    inst, system = status()
    assert inst["Details"][0] == {"Name": "reachability", "Status": "failed",
                                  "ImpairedSince": inst["Details"][0]["ImpairedSince"]}
    assert system["Status"] == "ok" and system["Details"][0]["Status"] == "passed"
    # The aws CLI filter a user types to find impaired instances.
    out = run_aws(rt, "ec2", "describe-instance-status", "--filters", "Name=instance-status.status,Values=impaired")
    assert [s["InstanceId"] for s in out["InstanceStatuses"]] == [iid]

    rt.advance(60)
    assert until(lambda: this_minute(cw, rt, iid, "StatusCheckFailed"), what="a failed status sample") == [1.0]
    # Waits too, as real time may have begun another minute meanwhile.
    assert until(lambda: this_minute(cw, rt, iid, "StatusCheckFailed_Instance"), what="its instance check") == [1.0]
    assert until(lambda: this_minute(cw, rt, iid, "StatusCheckFailed_System"), what="its system check") == [0.0]

    # A reboot boots it again and the check passes.
    ec2.reboot_instances(InstanceIds=[iid])
    until(lambda: console(ec2, iid).count("alive") == 2, what="the reboot")
    assert status()[0]["Status"] == "ok"
