"""EC2 instances and EBS through boto3 and the aws CLI: launching into the
default or a custom subnet, the lifecycle the clock drives, addresses and
DNS names, user data, attributes, volumes and snapshots, and the refusals AWS
gives for bad input and wrong states."""

from __future__ import annotations

import base64
import ipaddress

import boto3
import pytest
from botocore.exceptions import ClientError

UNROUTED = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "198.18.0.0/15")]


def code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture
def ec2(server):
    return server.client("ec2")


@pytest.fixture
def ami(ec2):
    images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023*"]},
                                                            {"Name": "architecture", "Values": ["x86_64"]}])["Images"]
    assert images, "the public catalogue has Amazon Linux 2023"
    return images[0]["ImageId"]


def one(ec2, iid):
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def launch(ec2, ami, **kw):
    kw.setdefault("MinCount", 1)
    kw.setdefault("MaxCount", 1)
    kw.setdefault("InstanceType", "t3.micro")
    return ec2.run_instances(ImageId=ami, **kw)["Instances"]


def test_launch_in_the_default_vpc_runs_after_pending(server, ec2, ami):
    script = "#!/bin/bash\necho hello > /tmp/hi\n"
    insts = launch(ec2, ami, MinCount=2, MaxCount=2, UserData=script,
                   TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]}])
    assert len(insts) == 2 and {i["AmiLaunchIndex"] for i in insts} == {0, 1}
    assert all(i["State"] == {"Code": 0, "Name": "pending"} for i in insts)
    iid = insts[0]["InstanceId"]
    assert one(ec2, iid)["State"]["Name"] == "pending"
    server.advance(5)
    inst = one(ec2, iid)
    assert inst["State"] == {"Code": 16, "Name": "running"}
    subnet = ec2.describe_subnets(SubnetIds=[inst["SubnetId"]])["Subnets"][0]
    assert subnet["DefaultForAz"] and inst["Placement"]["AvailabilityZone"] == subnet["AvailabilityZone"]
    assert ipaddress.ip_address(inst["PrivateIpAddress"]) in ipaddress.ip_network(subnet["CidrBlock"])
    public = ipaddress.ip_address(inst["PublicIpAddress"])
    assert any(public in n for n in UNROUTED)
    assert inst["PrivateDnsName"] == "ip-" + inst["PrivateIpAddress"].replace(".", "-") + ".ec2.internal"
    assert inst["PublicDnsName"].endswith(".compute-1.amazonaws.com")
    assert {t["Key"]: t["Value"] for t in inst["Tags"]} == {"Name": "web"}
    default_sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [inst["VpcId"]]}, {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]
    assert inst["SecurityGroups"] == [{"GroupId": default_sg["GroupId"], "GroupName": "default"}]
    root = inst["BlockDeviceMappings"][0]
    assert root["DeviceName"] == inst["RootDeviceName"] and root["Ebs"]["DeleteOnTermination"]
    vol = ec2.describe_volumes(VolumeIds=[root["Ebs"]["VolumeId"]])["Volumes"][0]
    assert vol["State"] == "in-use" and vol["Attachments"][0]["InstanceId"] == iid
    ud = ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")["UserData"]["Value"]
    assert base64.b64decode(ud).decode() == script
    # the subnet counts the two interfaces against its free addresses
    assert subnet["AvailableIpAddressCount"] == 4096 - 5 - 2
    # the two public addresses differ
    assert len({i["PublicIpAddress"] for i in ec2.describe_instances(InstanceIds=[x["InstanceId"] for x in insts])["Reservations"][0]["Instances"]}) == 2


def test_filters_find_instances_as_aws_does(server, ec2, ami):
    a = launch(ec2, ami, TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-1"}]}])[0]["InstanceId"]
    b = launch(ec2, ami, InstanceType="t3.small")[0]["InstanceId"]
    server.advance(5)
    ec2.stop_instances(InstanceIds=[b])

    def ids(filters):
        res = ec2.describe_instances(Filters=filters)["Reservations"]
        return {i["InstanceId"] for r in res for i in r["Instances"]}

    assert ids([{"Name": "tag:Name", "Values": ["web-*"]}]) == {a}
    assert ids([{"Name": "instance-state-name", "Values": ["running"]}]) == {a}
    assert ids([{"Name": "instance-state-name", "Values": ["stopping", "stopped"]}]) == {b}
    assert ids([{"Name": "instance-type", "Values": ["t3.small"]}]) == {b}
    assert ids([{"Name": "image-id", "Values": [ami]}]) == {a, b}
    assert ids([{"Name": "instance-id", "Values": [a, "i-0000000000000000f"]}]) == {a}
    assert ids([{"Name": "instance-id", "Values": ["i-*"]}]) == {a, b}
    assert ids([{"Name": "instance-id", "Values": [a]}, {"Name": "instance-state-name", "Values": ["stopping"]}]) == set()
    twice = ec2.describe_instances(InstanceIds=[b, b])["Reservations"]
    assert [i["InstanceId"] for r in twice for i in r["Instances"]] == [b]
    with pytest.raises(ClientError) as e:
        ec2.describe_instances(Filters=[{"Name": "no-such-filter", "Values": ["x"]}])
    assert code(e) == "InvalidParameterValue"
    page = ec2.describe_instances(MaxResults=5)
    assert "Reservations" in page


def test_stop_start_and_attributes(server, ec2, ami):
    iid = launch(ec2, ami)[0]["InstanceId"]
    server.advance(5)
    first_ip = one(ec2, iid)["PublicIpAddress"]
    with pytest.raises(ClientError) as e:
        ec2.modify_instance_attribute(InstanceId=iid, InstanceType={"Value": "t3.large"})
    assert code(e) == "IncorrectInstanceState"
    r = ec2.stop_instances(InstanceIds=[iid])["StoppingInstances"][0]
    assert (r["PreviousState"]["Name"], r["CurrentState"]["Name"]) == ("running", "stopping")
    server.advance(5)
    inst = one(ec2, iid)
    assert inst["State"]["Name"] == "stopped" and "PublicIpAddress" not in inst
    assert inst["StateReason"]["Code"] == "Client.UserInitiatedShutdown"
    assert inst["StateTransitionReason"].startswith("User initiated (")
    ec2.modify_instance_attribute(InstanceId=iid, InstanceType={"Value": "t3.large"})
    assert ec2.describe_instance_attribute(InstanceId=iid, Attribute="instanceType")["InstanceType"]["Value"] == "t3.large"
    ec2.modify_instance_attribute(InstanceId=iid, UserData={"Value": b"#!/bin/sh\necho new\n"})
    ud = ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")["UserData"]["Value"]
    assert base64.b64decode(ud) == b"#!/bin/sh\necho new\n"
    r = ec2.start_instances(InstanceIds=[iid])["StartingInstances"][0]
    assert (r["PreviousState"]["Name"], r["CurrentState"]["Name"]) == ("stopped", "pending")
    server.advance(5)
    inst = one(ec2, iid)
    assert inst["State"]["Name"] == "running" and inst["InstanceType"] == "t3.large"
    assert inst["PublicIpAddress"] != first_ip
    ec2.modify_instance_attribute(InstanceId=iid, SourceDestCheck={"Value": False})
    assert ec2.describe_instance_attribute(InstanceId=iid, Attribute="sourceDestCheck")["SourceDestCheck"]["Value"] is False
    out = ec2.get_console_output(InstanceId=iid)
    assert inst["PrivateDnsName"].split(".")[0] in out["Output"]
    meta = ec2.modify_instance_metadata_options(InstanceId=iid, HttpTokens="optional", HttpPutResponseHopLimit=3)
    assert meta["InstanceMetadataOptions"]["HttpTokens"] == "optional"
    assert one(ec2, iid)["MetadataOptions"]["HttpPutResponseHopLimit"] == 3
    with pytest.raises(ClientError) as e:
        ec2.modify_instance_metadata_options(InstanceId=iid, HttpTokens="sometimes")
    assert code(e) == "InvalidParameterValue"


def test_status_checks_and_reboot(server, ec2, ami):
    iid = launch(ec2, ami)[0]["InstanceId"]
    assert ec2.describe_instance_status(InstanceIds=[iid])["InstanceStatuses"] == []
    pending = ec2.describe_instance_status(InstanceIds=[iid], IncludeAllInstances=True)["InstanceStatuses"][0]
    assert pending["InstanceState"]["Name"] == "pending"
    server.advance(10)
    st = ec2.describe_instance_status(InstanceIds=[iid])["InstanceStatuses"][0]
    assert st["InstanceStatus"]["Status"] == "ok" and st["SystemStatus"]["Status"] == "ok"
    ec2.reboot_instances(InstanceIds=[iid])
    assert one(ec2, iid)["State"]["Name"] == "running"


def test_terminate_releases_what_goes_with_the_instance(server, ec2, ami):
    inst = launch(ec2, ami, DisableApiTermination=True,
                  BlockDeviceMappings=[{"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 4, "VolumeType": "gp3"}}])[0]
    iid, subnet = inst["InstanceId"], inst["SubnetId"]
    before = ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["AvailableIpAddressCount"]
    vols = {b["DeviceName"]: b["Ebs"]["VolumeId"] for b in inst["BlockDeviceMappings"]}
    assert set(vols) == {"/dev/xvda", "/dev/sdf"}
    server.advance(5)
    with pytest.raises(ClientError) as e:
        ec2.terminate_instances(InstanceIds=[iid])
    assert code(e) == "OperationNotPermitted"
    ec2.modify_instance_attribute(InstanceId=iid, DisableApiTermination={"Value": False})
    r = ec2.terminate_instances(InstanceIds=[iid])["TerminatingInstances"][0]
    assert r["CurrentState"]["Name"] == "shutting-down"
    with pytest.raises(ClientError) as e:
        ec2.start_instances(InstanceIds=[iid])
    assert code(e) == "IncorrectInstanceState"
    server.advance(5)
    assert one(ec2, iid)["State"]["Name"] == "terminated"
    # the root volume went with it; the extra one (no delete-on-termination) stays, detached
    left = {v["VolumeId"]: v for v in ec2.describe_volumes()["Volumes"]}
    assert vols["/dev/xvda"] not in left
    assert left[vols["/dev/sdf"]]["State"] == "available"
    after = ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["AvailableIpAddressCount"]
    assert after == before + 1
    server.advance(3700)
    with pytest.raises(ClientError) as e:
        ec2.describe_instances(InstanceIds=[iid])
    assert code(e) == "InvalidInstanceID.NotFound"


def test_launch_into_a_custom_subnet_with_groups_and_fixed_address(server, ec2, ami):
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.7.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    inst = launch(ec2, ami, SubnetId=subnet, SecurityGroupIds=[sg], PrivateIpAddress="10.7.1.10")[0]
    assert inst["PrivateIpAddress"] == "10.7.1.10" and "PublicIpAddress" not in inst
    assert inst["SecurityGroups"][0]["GroupName"] == "web"
    assert inst["PublicDnsName"] == ""
    with pytest.raises(ClientError) as e:
        launch(ec2, ami, SubnetId=subnet, PrivateIpAddress="10.7.1.10")
    assert code(e) == "InvalidIPAddress.InUse"
    other = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}, {"Name": "vpc-id", "Values": [ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]]}])["SecurityGroups"][0]["GroupId"]
    with pytest.raises(ClientError) as e:
        launch(ec2, ami, SubnetId=subnet, SecurityGroupIds=[other])
    assert code(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        ec2.delete_subnet(SubnetId=subnet)
    assert code(e) == "DependencyViolation"
    # public address on request through the interface specification
    nic = launch(ec2, ami, NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet, "AssociatePublicIpAddress": True, "Groups": [sg]}])[0]
    assert "PublicIpAddress" in nic


@pytest.mark.parametrize(
    "kw, want",
    [
        ({"MinCount": 2, "MaxCount": 1}, "InvalidParameterValue"),
        ({"MinCount": 0, "MaxCount": 1}, "InvalidParameterValue"),
        ({"SubnetId": "subnet-0000000000000000f"}, "InvalidSubnetID.NotFound"),
        ({"SecurityGroupIds": ["sg-0000000000000000f"]}, "InvalidGroup.NotFound"),
        ({"InstanceType": "banana"}, "InvalidParameterValue"),
        ({"BlockDeviceMappings": [{"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 10, "VolumeType": "gp2", "Iops": 300}}]}, "InvalidParameterCombination"),
        ({"InstanceInitiatedShutdownBehavior": "hibernate"}, "InvalidParameterValue"),
    ],
)
def test_bad_launches_get_aws_errors(ec2, ami, kw, want):
    args = {"MinCount": 1, "MaxCount": 1}
    args.update(kw)
    with pytest.raises(ClientError) as e:
        ec2.run_instances(ImageId=ami, **args)
    assert code(e) == want


def test_launch_checks_image_key_and_type(ec2, ami):
    with pytest.raises(ClientError) as e:
        ec2.run_instances(ImageId="ami-0000000000000000f", MinCount=1, MaxCount=1)
    assert code(e) == "InvalidAMIID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, KeyName="nobody")
    assert code(e) == "InvalidKeyPair.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t4g.micro")
    assert code(e) == "InvalidParameterValue" and "architecture" in e.value.response["Error"]["Message"]
    ec2.create_key_pair(KeyName="k")
    inst = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, KeyName="k",
                             IamInstanceProfile={"Name": "web-role"})["Instances"][0]
    assert inst["KeyName"] == "k" and inst["Architecture"] == "x86_64"
    profile = inst["IamInstanceProfile"]
    assert profile["Arn"].endswith(":instance-profile/web-role")
    assert profile["Id"].startswith("AIPA") and len(profile["Id"]) == 21


def test_launch_from_a_template(server, ec2, ami):
    sg = ec2.create_security_group(GroupName="lt", Description="lt")["GroupId"]
    lt = ec2.create_launch_template(LaunchTemplateName="web", LaunchTemplateData={
        "ImageId": ami, "InstanceType": "t3.small", "SecurityGroupIds": [sg],
        "UserData": base64.b64encode(b"#!/bin/sh\necho lt\n").decode(),
        "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "from", "Value": "template"}]}],
    })["LaunchTemplate"]
    ec2.create_launch_template_version(LaunchTemplateId=lt["LaunchTemplateId"], SourceVersion="1",
                                       LaunchTemplateData={"InstanceType": "t3.medium"})
    first = ec2.run_instances(MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateName": "web"})["Instances"][0]
    assert first["InstanceType"] == "t3.small" and first["SecurityGroups"][0]["GroupId"] == sg
    assert {"Key": "from", "Value": "template"} in first["Tags"]
    latest = ec2.run_instances(MinCount=1, MaxCount=1, InstanceType="t3.large",
                               LaunchTemplate={"LaunchTemplateId": lt["LaunchTemplateId"], "Version": "$Latest"})["Instances"][0]
    assert latest["InstanceType"] == "t3.large"
    ud = ec2.describe_instance_attribute(InstanceId=first["InstanceId"], Attribute="userData")["UserData"]["Value"]
    assert base64.b64decode(ud) == b"#!/bin/sh\necho lt\n"
    with pytest.raises(ClientError) as e:
        ec2.run_instances(MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateName": "missing"})
    assert code(e).startswith("InvalidLaunchTemplateName")


def test_create_image_from_an_instance(server, ec2, ami):
    inst = launch(ec2, ami, BlockDeviceMappings=[{"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 3, "DeleteOnTermination": True}}])[0]
    iid = inst["InstanceId"]
    with pytest.raises(ClientError) as e:
        ec2.create_image(InstanceId=iid, Name="too-early")
    assert code(e) == "IncorrectInstanceState"
    server.advance(5)
    image = ec2.create_image(InstanceId=iid, Name="my-web", Description="web",
                             TagSpecifications=[{"ResourceType": "image", "Tags": [{"Key": "k", "Value": "v"}]}])["ImageId"]
    img = ec2.describe_images(ImageIds=[image])["Images"][0]
    assert img["State"] == "pending" and img["Name"] == "my-web" and img["Tags"] == [{"Key": "k", "Value": "v"}]
    with pytest.raises(ClientError) as e:
        ec2.create_image(InstanceId=iid, Name="my-web")
    assert code(e) == "InvalidAMIName.Duplicate"
    server.advance(10)
    img = ec2.describe_images(Owners=["self"])["Images"][0]
    assert img["State"] == "available" and img["RootDeviceName"] == inst["RootDeviceName"]
    devices = {b["DeviceName"]: b["Ebs"] for b in img["BlockDeviceMappings"]}
    assert set(devices) == {"/dev/xvda", "/dev/sdf"} and devices["/dev/sdf"]["VolumeSize"] == 3
    snaps = {s["SnapshotId"]: s for s in ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]}
    root_snap = devices["/dev/xvda"]["SnapshotId"]
    assert image in snaps[root_snap]["Description"]
    with pytest.raises(ClientError) as e:
        ec2.delete_snapshot(SnapshotId=root_snap)
    assert code(e) == "InvalidSnapshot.InUse"
    # an instance from the new image gets volumes restored from its snapshots
    child = launch(ec2, image)[0]
    vols = ec2.describe_volumes(VolumeIds=[b["Ebs"]["VolumeId"] for b in child["BlockDeviceMappings"]])["Volumes"]
    assert sorted(v["SnapshotId"] for v in vols) == sorted(d["SnapshotId"] for d in devices.values())
    ec2.deregister_image(ImageId=image)
    ec2.delete_snapshot(SnapshotId=root_snap)


def test_unknown_and_malformed_ids(ec2, ami):
    with pytest.raises(ClientError) as e:
        ec2.describe_instances(InstanceIds=["i-0000000000000000f"])
    assert code(e) == "InvalidInstanceID.NotFound"
    assert "i-0000000000000000f" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        ec2.stop_instances(InstanceIds=["nope"])
    assert code(e) == "InvalidInstanceID.Malformed"
    with pytest.raises(ClientError) as e:
        ec2.run_instances(ImageId="banana", MinCount=1, MaxCount=1)
    assert code(e) == "InvalidAMIID.Malformed"
    with pytest.raises(ClientError) as e:
        ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, DryRun=True)
    assert code(e) == "DryRunOperation"
    assert ec2.describe_instances()["Reservations"] == []


def test_client_token_makes_launches_idempotent(ec2, ami):
    a = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, ClientToken="tok-1")
    b = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, ClientToken="tok-1")
    assert a["ReservationId"] == b["ReservationId"]
    assert len(ec2.describe_instances()["Reservations"]) == 1


def test_volumes_attach_detach_modify(server, ec2, ami):
    inst = launch(ec2, ami)[0]
    iid, az = inst["InstanceId"], inst["Placement"]["AvailabilityZone"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    other_az = next(z for z in zones if z != az)
    vol = ec2.create_volume(AvailabilityZone=az, Size=10, VolumeType="gp3",
                            TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "data"}]}])
    assert vol["State"] == "creating" and vol["Iops"] == 3000 and vol["Throughput"] == 125
    far = ec2.create_volume(AvailabilityZone=other_az, Size=1)["VolumeId"]
    server.advance(5)
    vid = vol["VolumeId"]
    assert ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]["State"] == "available"
    with pytest.raises(ClientError) as e:
        ec2.attach_volume(VolumeId=far, InstanceId=iid, Device="/dev/sdf")
    assert code(e) == "InvalidVolume.ZoneMismatch"
    with pytest.raises(ClientError) as e:
        ec2.attach_volume(VolumeId=vid, InstanceId=iid, Device="/dev/xvda")
    assert code(e) == "InvalidParameterValue"
    att = ec2.attach_volume(VolumeId=vid, InstanceId=iid, Device="/dev/sdf")
    assert att["State"] == "attaching"
    v = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [iid]}, {"Name": "tag:Name", "Values": ["data"]}])["Volumes"]
    assert [x["VolumeId"] for x in v] == [vid] and v[0]["State"] == "in-use"
    assert any(b["DeviceName"] == "/dev/sdf" for b in one(ec2, iid)["BlockDeviceMappings"])
    with pytest.raises(ClientError) as e:
        ec2.attach_volume(VolumeId=vid, InstanceId=iid, Device="/dev/sdg")
    assert code(e) == "VolumeInUse"
    with pytest.raises(ClientError) as e:
        ec2.delete_volume(VolumeId=vid)
    assert code(e) == "VolumeInUse"
    root = one(ec2, iid)["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    with pytest.raises(ClientError) as e:
        ec2.detach_volume(VolumeId=root)
    assert code(e) == "IncorrectState"
    mod = ec2.modify_volume(VolumeId=vid, Size=20)["VolumeModification"]
    assert (mod["OriginalSize"], mod["TargetSize"], mod["ModificationState"]) == (10, 20, "modifying")
    with pytest.raises(ClientError) as e:
        ec2.modify_volume(VolumeId=vid, Size=5)
    assert code(e) in ("IncorrectModificationState", "InvalidParameterValue")
    server.advance(5)
    with pytest.raises(ClientError) as e:
        ec2.modify_volume(VolumeId=vid, Size=5)
    assert code(e) == "InvalidParameterValue"
    mods = ec2.describe_volumes_modifications(VolumeIds=[vid])["VolumesModifications"]
    assert mods[0]["ModificationState"] == "completed"
    done = ec2.describe_volumes_modifications(Filters=[{"Name": "modification-state", "Values": ["completed"]}])
    assert [m["VolumeId"] for m in done["VolumesModifications"]] == [vid]
    ok = ec2.describe_volume_status(VolumeIds=[vid], Filters=[{"Name": "volume-status.status", "Values": ["ok"]}])
    assert [v["VolumeId"] for v in ok["VolumeStatuses"]] == [vid]
    with pytest.raises(ClientError) as e:
        ec2.describe_volume_status(Filters=[{"Name": "no-such-filter", "Values": ["x"]}])
    assert code(e) == "InvalidParameterValue"
    assert ec2.detach_volume(VolumeId=vid)["State"] == "detaching"
    with pytest.raises(ClientError) as e:
        ec2.detach_volume(VolumeId=vid)
    assert code(e) == "IncorrectState"
    ec2.delete_volume(VolumeId=vid)
    with pytest.raises(ClientError) as e:
        ec2.describe_volumes(VolumeIds=[vid])
    assert code(e) == "InvalidVolume.NotFound"


@pytest.mark.parametrize(
    "kw, want",
    [
        ({"Size": 10, "VolumeType": "gp2", "Iops": 300}, "InvalidParameterCombination"),
        ({"Size": 20000}, "InvalidParameterValue"),
        ({"Size": 10, "VolumeType": "io1"}, "MissingParameter"),
        ({"Size": 10, "VolumeType": "io1", "Iops": 1000}, "InvalidParameterValue"),
        ({"Size": 10, "VolumeType": "st1"}, "InvalidParameterValue"),
        ({"Size": 10, "VolumeType": "gp3", "Throughput": 2000}, "InvalidParameterValue"),
        ({}, "MissingParameter"),
        ({"Size": 10, "VolumeType": "magnetic"}, "InvalidParameterValue"),
    ],
)
def test_volume_rules(ec2, kw, want):
    az = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
    with pytest.raises(ClientError) as e:
        ec2.create_volume(AvailabilityZone=az, **kw)
    assert code(e) == want


def test_snapshots_and_volumes_from_them(server, ec2):
    az = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
    vid = ec2.create_volume(AvailabilityZone=az, Size=8, Encrypted=True)["VolumeId"]
    snap = ec2.create_snapshot(VolumeId=vid, Description="nightly",
                               TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "k", "Value": "v"}]}])
    assert snap["State"] == "pending" and snap["VolumeSize"] == 8 and snap["Encrypted"]
    sid = snap["SnapshotId"]
    with pytest.raises(ClientError) as e:
        ec2.copy_snapshot(SourceSnapshotId=sid, SourceRegion="us-east-1")
    assert code(e) == "IncorrectState"
    server.advance(5)
    got = ec2.describe_snapshots(OwnerIds=["self"], Filters=[{"Name": "tag:k", "Values": ["v"]}])["Snapshots"]
    assert [s["SnapshotId"] for s in got] == [sid] and got[0]["State"] == "completed" and got[0]["Progress"] == "100%"
    with pytest.raises(ClientError) as e:
        ec2.create_volume(AvailabilityZone=az, SnapshotId=sid, Size=4)
    assert code(e) == "InvalidParameterValue"
    restored = ec2.create_volume(AvailabilityZone=az, SnapshotId=sid)
    assert restored["Size"] == 8 and restored["SnapshotId"] == sid and restored["Encrypted"]
    copy = ec2.copy_snapshot(SourceSnapshotId=sid, SourceRegion="us-east-1", Description="copy")["SnapshotId"]
    west = boto3.client("ec2", endpoint_url=server.url, region_name="us-west-2",
                        aws_access_key_id="test", aws_secret_access_key="test")
    far = west.copy_snapshot(SourceSnapshotId=sid, SourceRegion="us-east-1")["SnapshotId"]
    assert west.describe_snapshots(SnapshotIds=[far])["Snapshots"][0]["VolumeSize"] == 8
    ec2.modify_snapshot_attribute(SnapshotId=sid, Attribute="createVolumePermission", OperationType="add", UserIds=["123456789012"])
    perms = ec2.describe_snapshot_attribute(SnapshotId=sid, Attribute="createVolumePermission")["CreateVolumePermissions"]
    assert perms == [{"UserId": "123456789012"}]
    ec2.delete_snapshot(SnapshotId=copy)
    with pytest.raises(ClientError) as e:
        ec2.describe_snapshots(SnapshotIds=[copy])
    assert code(e) == "InvalidSnapshot.NotFound"
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
    ec2.enable_ebs_encryption_by_default()
    assert ec2.create_volume(AvailabilityZone=az, Size=1)["Encrypted"] is True


def test_the_cli_launch_flow(server, aws, ami, tmp_path):
    script = tmp_path / "user-data.sh"
    script.write_text("#!/bin/bash\nyum install -y httpd\n")
    out = aws("ec2", "run-instances", "--image-id", ami, "--count", "2", "--instance-type", "t3.micro",
              "--user-data", f"file://{script}",
              "--tag-specifications", "ResourceType=instance,Tags=[{Key=Name,Value=cli}]")
    ids = [i["InstanceId"] for i in out["Instances"]]
    server.advance(5)
    aws("ec2", "wait", "instance-running", "--instance-ids", *ids)
    names = aws("ec2", "describe-instances", "--filters", "Name=tag:Name,Values=cli",
                "--query", "Reservations[].Instances[].State.Name")
    assert names == ["running", "running"]
    aws("ec2", "terminate-instances", "--instance-ids", *ids)
    server.advance(5)
    aws("ec2", "wait", "instance-terminated", "--instance-ids", *ids)


def test_instances_volumes_and_snapshots_survive_a_restart(server_factory, ami):
    srv = server_factory()
    ec2 = srv.client("ec2")
    inst = launch(ec2, ami, TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "keep"}]}])[0]
    root = inst["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    snap = ec2.create_snapshot(VolumeId=root)["SnapshotId"]
    srv.restart()
    ec2 = srv.client("ec2")
    again = one(ec2, inst["InstanceId"])
    assert again["PrivateIpAddress"] == inst["PrivateIpAddress"]
    assert again["Tags"] == [{"Key": "Name", "Value": "keep"}]
    assert again["State"]["Name"] in ("pending", "running")
    assert ec2.describe_snapshots(SnapshotIds=[snap])["Snapshots"][0]["VolumeId"] == root
    # a new instance after the restart never reuses a public address
    other = launch(ec2, ami)[0]
    assert one(ec2, other["InstanceId"])["PublicIpAddress"] != again.get("PublicIpAddress")


def test_elastic_ip_follows_the_instance_until_it_terminates(server, ec2, ami):
    iid = launch(ec2, ami)[0]["InstanceId"]
    server.advance(5)
    auto = one(ec2, iid)["PublicIpAddress"]
    eip = ec2.allocate_address(Domain="vpc")
    assoc = ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=iid)["AssociationId"]
    inst = one(ec2, iid)
    assert inst["PublicIpAddress"] == eip["PublicIp"] != auto
    assert inst["NetworkInterfaces"][0]["Association"]["IpOwnerId"] != "amazon"
    # stopping keeps an Elastic IP
    ec2.stop_instances(InstanceIds=[iid])
    server.advance(5)
    assert one(ec2, iid)["PublicIpAddress"] == eip["PublicIp"]
    addr = ec2.describe_addresses(AllocationIds=[eip["AllocationId"]])["Addresses"][0]
    assert addr["InstanceId"] == iid and addr["AssociationId"] == assoc
    ec2.terminate_instances(InstanceIds=[iid])
    server.advance(5)
    addr = ec2.describe_addresses(AllocationIds=[eip["AllocationId"]])["Addresses"][0]
    assert "AssociationId" not in addr and "InstanceId" not in addr
    ec2.release_address(AllocationId=eip["AllocationId"])
