"""The course's custom-AMI lab with instances that run: user data installs
a web site, a file under /opt and a service script on the instance's own
disk (never the host's), CreateImage copies that disk into an image, and an
instance launched from the image has all of it. Stopped instances keep
their disk, terminated ones lose it, and an image's layer stays while an
instance launched from it lives, deregistered or not. Needs root
(namespaces and overlay mounts)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from botocore.exceptions import ClientError

from conftest import run_aws
from test_instance_runtime import ami, console, line, until

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="instance disks need root")


def install(tok):
    """User data that installs the lab's site and service on the instance."""
    return f"""#!/bin/bash
mkdir -p /var/www/html /opt/lab-{tok}
echo "<h1>custom AMI {tok}</h1>" > /var/www/html/index.html
echo v1 > /opt/lab-{tok}/version
cat > /usr/local/bin/lab-web-{tok} <<'EOF'
#!/bin/sh
cd /var/www/html && exec python3 -m http.server 80
EOF
chmod 755 /usr/local/bin/lab-web-{tok}
rm /etc/issue
nohup /usr/local/bin/lab-web-{tok} >/dev/null 2>&1 &
echo installed
"""


def start_only(tok):
    """User data for an instance of the custom AMI: start what is installed."""
    return f"""#!/bin/sh
echo version=$(cat /opt/lab-{tok}/version) issue=$([ -e /etc/issue ] && echo kept || echo gone)
nohup /usr/local/bin/lab-web-{tok} >/dev/null 2>&1 &
echo started
"""


class Lab:
    def __init__(self, server_factory):
        self.srv = server_factory(args=["--test-mode", "--instance-runtime", "process"])
        self.ec2 = self.srv.client("ec2")
        self.tok = os.urandom(4).hex()
        self.vpc = self.ec2.describe_vpcs(
            Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        self.sg = self.ec2.create_security_group(GroupName=f"web-{self.tok}", Description="web",
                                                 VpcId=self.vpc)["GroupId"]
        self.ec2.authorize_security_group_ingress(GroupId=self.sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        self.disks = self.srv.data_dir / "instances"

    def launch(self, image, user_data, ready):
        i = self.ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                                   SecurityGroupIds=[self.sg], UserData=user_data)["Instances"][0]
        self.srv.advance(3)
        until(lambda: ready in console(self.ec2, i["InstanceId"]), what=f"{ready} on the console")
        return i

    def page(self, instance):
        """The web page the instance serves on its private address, or None."""
        r = subprocess.run(["ip", "netns", "exec", f"stratus{self.srv.port}-{self.vpc}", "curl", "-s",
                            "-m", "3", f"http://{instance['PrivateIpAddress']}/index.html"],
                           capture_output=True, text=True, timeout=20)
        return r.stdout if r.returncode == 0 and r.stdout else None

    def image(self, instance, name):
        image = self.ec2.create_image(InstanceId=instance["InstanceId"], Name=name)["ImageId"]
        until(lambda: self.state(image) == "available", what=f"{image} available")
        return image

    def state(self, image):
        try:
            return self.ec2.describe_images(ImageIds=[image])["Images"][0]["State"]
        except ClientError as e:
            assert e.response["Error"]["Code"] == "InvalidAMIID.NotFound"
            return None

    def root(self, instance):
        return self.disks / "roots" / instance["InstanceId"]

    def layer(self, image):
        return self.disks / "layers" / image


def test_user_data_installs_on_the_instance_disk_and_an_image_of_it_serves_the_site(server_factory):
    lab = Lab(server_factory)
    tok = lab.tok
    first = lab.launch(ami(lab.ec2), install(tok), "installed")
    assert until(lambda: lab.page(first), what="the first site") == f"<h1>custom AMI {tok}</h1>\n"
    # Everything landed on the instance's disk; the host is untouched.
    assert not os.path.exists(f"/opt/lab-{tok}")
    assert not os.path.exists(f"/usr/local/bin/lab-web-{tok}")
    assert os.path.exists("/etc/issue")
    assert (lab.root(first) / "upper" / f"opt/lab-{tok}/version").read_text() == "v1\n"

    # As the lab has it typed.
    image = run_aws(lab.srv, "ec2", "create-image", "--instance-id", first["InstanceId"],
                    "--name", f"lab-{tok}")["ImageId"]
    assert lab.state(image) in ("pending", "available")  # pending until the disk is copied
    until(lambda: lab.state(image) == "available", what="the image available")
    assert (lab.layer(image) / f"opt/lab-{tok}/version").read_text() == "v1\n"

    # No install at all: only start what the image has.
    second = lab.launch(image, start_only(tok), "started")
    text = console(lab.ec2, second["InstanceId"])
    assert line(text, "version") == "v1"
    assert line(text, "issue") == "gone"  # a deleted file stays deleted in the image
    assert until(lambda: lab.page(second), what="the site on the new instance") == f"<h1>custom AMI {tok}</h1>\n"
    assert second["ImageId"] == image

    # The aws CLI sees the lab's image as a user would.
    out = run_aws(lab.srv, "ec2", "describe-images", "--owners", "self")
    assert [(i["ImageId"], i["State"], i["SourceInstanceId"]) for i in out["Images"]] == [
        (image, "available", first["InstanceId"])]

    # A copy shares the image's layer, which outlives the original.
    copy = lab.ec2.copy_image(SourceImageId=image, SourceRegion="us-east-1", Name=f"copy-{tok}")["ImageId"]
    lab.srv.advance(10)
    until(lambda: lab.state(copy) == "available", what="the copy available")
    lab.ec2.deregister_image(ImageId=image)
    third = lab.launch(copy, start_only(tok), "started")
    assert line(console(lab.ec2, third["InstanceId"]), "version") == "v1"
    assert lab.layer(image).is_dir()
    assert not lab.layer(copy).exists()


def test_a_stopped_instance_keeps_its_disk_and_a_terminated_one_loses_it(server_factory):
    lab = Lab(server_factory)
    counter = f"/var/lib/lab-{lab.tok}"
    user_data = f"""#cloud-config
bootcmd:
  - echo boot >> {counter}
runcmd:
  - echo "boots=$(wc -l < {counter})"
"""
    i = lab.launch(ami(lab.ec2), user_data, "boots=1")
    iid = i["InstanceId"]
    lab.ec2.stop_instances(InstanceIds=[iid])
    lab.srv.advance(3)
    lab.ec2.start_instances(InstanceIds=[iid])
    lab.srv.advance(3)
    until(lambda: "boots=2" in console(lab.ec2, iid), what="the second boot counting the first")
    assert not os.path.exists(counter)
    # A restart of Stratus boots it again on the same disk.
    assert lab.srv.stop() == 0
    lab.srv.start()
    lab.ec2 = lab.srv.client("ec2")
    until(lambda: "boots=3" in console(lab.ec2, iid), what="the boot after a restart")

    lab.ec2.terminate_instances(InstanceIds=[iid])
    lab.srv.advance(3)
    until(lambda: not lab.root(i).exists(), what="the disk removed")


def test_a_deregistered_image_keeps_serving_its_instances_until_they_end(server_factory):
    lab = Lab(server_factory)
    tok = lab.tok
    first = lab.launch(ami(lab.ec2), install(tok), "installed")
    image = lab.image(first, f"lab-{tok}")
    # The source goes; the image keeps its own copy.
    lab.ec2.terminate_instances(InstanceIds=[first["InstanceId"]])
    lab.srv.advance(3)
    until(lambda: not lab.root(first).exists(), what="the source's disk removed")

    # A service started at every boot, as bootcmd does.
    every_boot = f"""#cloud-config
bootcmd:
  - echo "version=$(cat /opt/lab-{tok}/version)"
  - nohup /usr/local/bin/lab-web-{tok} >/dev/null 2>&1 &
"""
    child = lab.launch(image, every_boot, "version=v1")
    assert until(lambda: lab.page(child), what="the site on the child") == f"<h1>custom AMI {tok}</h1>\n"
    lab.ec2.deregister_image(ImageId=image)
    assert lab.state(image) is None
    # A reboot mounts the image's layer again: it is still there.
    lab.ec2.reboot_instances(InstanceIds=[child["InstanceId"]])
    until(lambda: console(lab.ec2, child["InstanceId"]).count("version=v1") == 2, what="the reboot")
    assert lab.layer(image).is_dir()
    assert until(lambda: lab.page(child), what="the site after the reboot") == f"<h1>custom AMI {tok}</h1>\n"

    lab.ec2.terminate_instances(InstanceIds=[child["InstanceId"]])
    lab.srv.advance(3)
    until(lambda: not lab.layer(image).exists(), what="the layer removed with its last instance")


def tiny_root(at, marker):
    """A root filesystem of a few programs and the libraries they load, as
    debootstrap would make a bigger one."""
    for d in ("bin", "etc", "proc", "dev", "sys", "run", "tmp"):
        (at / d).mkdir(parents=True)
    (at / "etc/stratus-marker").write_text(marker + "\n")
    libs = set()
    for prog in ("sh", "sleep", "cat", "umount"):
        real = os.path.realpath(shutil.which(prog))
        shutil.copy2(real, at / "bin" / prog)
        out = subprocess.run(["ldd", real], capture_output=True, text=True).stdout
        libs.update(p for p in out.split() if p.startswith("/"))
    for lib in libs:
        to = at / lib.lstrip("/")
        to.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(os.path.realpath(lib), to)
    return at


def test_an_image_registered_on_a_root_directory_of_its_own(server_factory, tmp_path):
    lab = Lab(server_factory)
    root = tiny_root(tmp_path / "rootfs", lab.tok)
    image = lab.ec2.register_image(
        Name=f"tiny-{lab.tok}", ImageLocation="my-bucket/tiny.manifest.xml", Architecture="x86_64",
        VirtualizationType="hvm", TagSpecifications=[{"ResourceType": "image", "Tags": [
            {"Key": "stratus:root-directory", "Value": str(root)}]}])["ImageId"]
    probe = "#!/bin/sh\necho marker=$(cat /etc/stratus-marker) made=$(cat /etc/made-here) " \
            "python=$([ -e /usr/bin/python3 ] && echo yes || echo no)\n"
    first = lab.launch(image, "#!/bin/sh\necho first > /etc/made-here\n" + probe.split("\n", 1)[1], "marker=")
    text = console(lab.ec2, first["InstanceId"])
    assert (line(text, "marker"), line(text, "made"), line(text, "python")) == (lab.tok, "first", "no")
    assert not (root / "etc/made-here").exists()

    # An image of it has its disk over the same root directory.
    child = lab.launch(lab.image(first, f"tiny-child-{lab.tok}"), probe, "marker=")
    text = console(lab.ec2, child["InstanceId"])
    assert (line(text, "marker"), line(text, "made"), line(text, "python")) == (lab.tok, "first", "no")


def test_a_root_directory_must_be_an_absolute_path(server_factory):
    ec2 = server_factory().client("ec2")
    with pytest.raises(ClientError) as e:
        ec2.register_image(Name="relative", ImageLocation="b/m.xml", TagSpecifications=[
            {"ResourceType": "image", "Tags": [{"Key": "stratus:root-directory", "Value": "rootfs"}]}])
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
