"""User data as cloud-init runs it in instances the runtime runs: a
`#cloud-config` document (write_files, bootcmd, runcmd, packages, the host
name) alone or with a shell script in a MIME multi-part message, its
messages on the console. Needs root (network namespaces)."""

from __future__ import annotations

import base64
import gzip
import os
import shutil
import subprocess

import pytest

from conftest import Server
from test_instance_runtime import console, line, running, until

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="instance namespaces need root")


@pytest.fixture(scope="module")
def rt(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("stratus-cloud-init"),
                 args=["--ephemeral", "--test-mode", "--instance-runtime", "process"])
    srv.start()
    try:
        yield srv
    finally:
        try:
            srv.stop(timeout=15)
        finally:
            srv.kill()


def open_group(ec2, vpc):
    """A security group that lets anything in, so the VPC's router reaches the instance."""
    g = ec2.create_security_group(GroupName=f"open-{os.urandom(3).hex()}", Description="open", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    return g


def in_vpc(port, vpc, *cmd):
    """Runs a command in the VPC's namespace (where its router is)."""
    return subprocess.run(["ip", "netns", "exec", f"stratus{port}-{vpc}", *cmd],
                          capture_output=True, text=True, timeout=20)


def multipart(*parts):
    """User data as CloudFormation and the CDK write it: a MIME multi-part message."""
    out = ['Content-Type: multipart/mixed; boundary="==BOUNDARY=="', "MIME-Version: 1.0", ""]
    for kind, name, body in parts:
        out += ["--==BOUNDARY==", f'Content-Type: {kind}; charset="us-ascii"', "MIME-Version: 1.0",
                "Content-Transfer-Encoding: 7bit", f'Content-Disposition: attachment; filename="{name}"', "", body]
    out += ["--==BOUNDARY==--", ""]
    return "\n".join(out)


def test_a_cloud_config_writes_files_and_starts_a_web_server_on_the_private_ip(rt):
    ec2 = rt.client("ec2")
    # On the instance's own disk: the host never sees it.
    site = f"/srv/site-{os.urandom(4).hex()}"
    packed = base64.b64encode(gzip.compress(b"packed and encoded\n")).decode()
    config = f"""#cloud-config
hostname: web-1
fqdn: web-1.example.internal
bootcmd:
  - mkdir -p {site} && echo "bootcmd ran" >> {site}/boot.log
write_files:
  - path: {site}/index.html
    content: |
      <h1>hello from cloud-config</h1>
    permissions: '0640'
  - path: {site}/packed.txt
    encoding: gz+b64
    content: {packed}
  - path: {site}/boot.log
    content: "written once\\n"
    append: true
packages:
  - python3
  - surely-not-a-package-stratus-has
runcmd:
  - [sh, -c, "cd {site} && nohup python3 -m http.server 8080 >/dev/null 2>&1 &"]
  - echo "runcmd host=$(hostname) mode=$(stat -c %a {site}/index.html)"
"""
    script = "#!/bin/sh\necho \"script-part ran in $(pwd)\"\n"
    user_data = multipart(("text/cloud-config", "cloud-config.txt", config),
                          ("text/x-shellscript", "script.sh", script))
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    i = running(rt, ec2, UserData=user_data, SecurityGroupIds=[open_group(ec2, vpc)])
    iid, ip = i["InstanceId"], i["PrivateIpAddress"]

    text = until(lambda: (c := console(ec2, iid)) and "runcmd host=" in c and c, what="runcmd output")
    assert line(text, "host") == "web-1"  # the short name of the fqdn, as set_hostname gives it
    assert "script-part ran in /" in text
    # No mirror is reached: what neither the host nor its package cache has
    # is named on the console.
    skipped = [ln for ln in text.splitlines()
               if "Skipping packages that are neither installed on the host nor in its package cache:" in ln]
    assert len(skipped) == 1, text
    assert skipped[0].startswith("cloud-init[")
    assert "cc_package_update_upgrade_install.py[WARNING]" in skipped[0]
    assert skipped[0].split(":")[-1].split() == ["surely-not-a-package-stratus-has"]

    assert line(text, "mode") == "640"
    assert not os.path.exists(site)

    def page(name="index.html"):
        r = in_vpc(rt.port, vpc, "curl", "-s", "-m", "3", f"http://{ip}:8080/{name}")
        return r.returncode == 0 and r.stdout
    assert until(page, what="the web server on the private address") == "<h1>hello from cloud-config</h1>\n"
    assert page("packed.txt") == "packed and encoded\n"
    # bootcmd runs before write_files, which appends.
    assert page("boot.log") == "bootcmd ran\nwritten once\n"

    # A reboot runs bootcmd and runcmd again; write_files ran once per instance.
    ec2.reboot_instances(InstanceIds=[iid])
    until(lambda: console(ec2, iid).count("runcmd host=") == 2, what="the second boot")
    assert until(lambda: page("boot.log"), what="the web server after the reboot") == (
        "bootcmd ran\nwritten once\nbootcmd ran\n")


def test_a_cloud_config_from_the_aws_cli_with_errors_reported_as_cloud_init_does(rt, tmp_path):
    ec2 = rt.client("ec2")
    cfg = tmp_path / "cloud.yaml"
    cfg.write_text("#cloud-config\nruncmd:\n  - echo first\n  - exit 4\nusers: [default]\n")
    ami = ec2.describe_images(Owners=["amazon"], Filters=[
        {"Name": "name", "Values": ["al2023-ami-2023*-x86_64"]}])["Images"][0]["ImageId"]
    from conftest import run_aws
    out = run_aws(rt, "ec2", "run-instances", "--image-id", ami, "--instance-type", "t3.micro",
                  "--user-data", f"file://{cfg}")
    iid = out["Instances"][0]["InstanceId"]
    rt.advance(3)
    text = until(lambda: (c := console(ec2, iid)) and "scripts_user" in c and c, what="the failure report")
    assert "first" in text.splitlines()
    assert "stages.py[WARNING]: Not run by this runtime: users" in text
    assert "/scripts/runcmd [4]" in text
    assert "cc_scripts_user.py[WARNING]: Failed to run module scripts_user" in text
    # The aws CLI shows the same console, base64 decoded.
    cli = run_aws(rt, "ec2", "get-console-output", "--instance-id", iid, "--latest")
    assert "Failed to run module scripts_user" in cli["Output"]


def test_packages_install_from_the_hosts_package_cache_onto_the_instances_disk(rt, tmp_path):
    """A package the host has downloaded (here one built for the test and
    put in apt's cache) installs into the instance, not onto the host."""
    if not shutil.which("dpkg-deb") or not shutil.which("apt-get"):
        pytest.fail("dpkg-deb and apt-get are needed (Debian)")
    root = tmp_path / "pkg"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        "Package: stratus-cache-probe\nVersion: 1.0\nArchitecture: all\n"
        "Maintainer: Stratus <stratus@localhost>\nDescription: a package only the cache has\n")
    (root / "usr/share/stratus-cache-probe").mkdir(parents=True)
    (root / "usr/share/stratus-cache-probe/hello").write_text("from the cache\n")
    cached = "/var/cache/apt/archives/stratus-cache-probe_1.0_all.deb"
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(root), cached],
                   check=True, capture_output=True)
    try:
        ec2 = rt.client("ec2")
        config = ("#cloud-config\npackages:\n  - stratus-cache-probe\n  - surely-not-a-package-stratus-has\n"
                  "  - stratus-cache-probe=1.0\nruncmd:\n"
                  "  - echo \"probe=$(cat /usr/share/stratus-cache-probe/hello 2>/dev/null | tr ' ' _)\"\n")
        iid = running(rt, ec2, UserData=config)["InstanceId"]
        text = until(lambda: (c := console(ec2, iid)) and "probe=" in c and c, what="runcmd output")
        # All or nothing, as apt installs: the unknown package holds back the probe.
        assert line(text, "probe") == ""
        assert "surely-not-a-package-stratus-has" in text.split("in its package cache:")[-1]
        config = config.replace("  - surely-not-a-package-stratus-has\n", "")
        iid = running(rt, ec2, UserData=config)["InstanceId"]
        text = until(lambda: (c := console(ec2, iid)) and "probe=" in c and c, what="runcmd output")
        assert line(text, "probe") == "from_the_cache"
        assert "in its package cache:" not in text
        assert not os.path.exists("/usr/share/stratus-cache-probe")
        status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "stratus-cache-probe"],
                                capture_output=True, text=True).stdout
        assert "ok installed" not in status
    finally:
        os.remove(cached)
