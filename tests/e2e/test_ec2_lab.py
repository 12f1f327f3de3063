"""The course's network lab, typed as a learner types it with the aws CLI:
a VPC with public and private subnets in two zones, an internet gateway,
route tables, a NAT gateway with an Elastic IP, web and bastion security
groups, a key pair, two web instances with user data and an Elastic IP, a
custom AMI from one of them and a third instance from it, an EBS volume
attached and snapshotted; then the teardown in dependency order, checking
each refusal AWS gives when a step comes too early."""

from __future__ import annotations

import base64

import pytest
from conftest import AwsCliError


def refused(aws, code: str, *args) -> None:
    with pytest.raises(AwsCliError) as e:
        aws(*args)
    assert code in e.value.stderr, e.value.stderr


def test_network_lab_build_and_teardown(server, aws, tmp_path):
    ec2 = server.client("ec2")
    # --- network
    vpc = aws("ec2", "create-vpc", "--cidr-block", "10.1.0.0/16",
              "--tag-specifications", "ResourceType=vpc,Tags=[{Key=Name,Value=lab-vpc}]")["Vpc"]["VpcId"]
    aws("ec2", "modify-vpc-attribute", "--vpc-id", vpc, "--enable-dns-hostnames", '{"Value":true}')
    zones = [z["ZoneName"] for z in aws("ec2", "describe-availability-zones")["AvailabilityZones"]][:2]
    subnets = {}
    for name, cidr, az in (("public-a", "10.1.1.0/24", zones[0]), ("public-b", "10.1.2.0/24", zones[1]),
                           ("private-a", "10.1.3.0/24", zones[0]), ("private-b", "10.1.4.0/24", zones[1])):
        subnets[name] = aws("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", cidr,
                            "--availability-zone", az)["Subnet"]["SubnetId"]
    for name in ("public-a", "public-b"):
        aws("ec2", "modify-subnet-attribute", "--subnet-id", subnets[name], "--map-public-ip-on-launch")
    igw = aws("ec2", "create-internet-gateway")["InternetGateway"]["InternetGatewayId"]
    aws("ec2", "attach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)
    public_rt = aws("ec2", "create-route-table", "--vpc-id", vpc)["RouteTable"]["RouteTableId"]
    aws("ec2", "create-route", "--route-table-id", public_rt, "--destination-cidr-block", "0.0.0.0/0",
        "--gateway-id", igw)
    for name in ("public-a", "public-b"):
        aws("ec2", "associate-route-table", "--route-table-id", public_rt, "--subnet-id", subnets[name])
    nat_eip = aws("ec2", "allocate-address", "--domain", "vpc")["AllocationId"]
    nat = aws("ec2", "create-nat-gateway", "--subnet-id", subnets["public-a"],
              "--allocation-id", nat_eip)["NatGateway"]["NatGatewayId"]
    server.advance(5)
    aws("ec2", "wait", "nat-gateway-available", "--nat-gateway-ids", nat)
    private_rt = aws("ec2", "create-route-table", "--vpc-id", vpc)["RouteTable"]["RouteTableId"]
    aws("ec2", "create-route", "--route-table-id", private_rt, "--destination-cidr-block", "0.0.0.0/0",
        "--nat-gateway-id", nat)
    for name in ("private-a", "private-b"):
        aws("ec2", "associate-route-table", "--route-table-id", private_rt, "--subnet-id", subnets[name])

    # --- security groups and a key pair
    web_sg = aws("ec2", "create-security-group", "--group-name", "web", "--description", "web servers",
                 "--vpc-id", vpc)["GroupId"]
    bastion_sg = aws("ec2", "create-security-group", "--group-name", "bastion", "--description", "bastion",
                     "--vpc-id", vpc)["GroupId"]
    aws("ec2", "authorize-security-group-ingress", "--group-id", web_sg, "--protocol", "tcp", "--port", "80",
        "--cidr", "0.0.0.0/0")
    aws("ec2", "authorize-security-group-ingress", "--group-id", bastion_sg, "--protocol", "tcp", "--port", "22",
        "--cidr", "198.51.100.7/32")
    aws("ec2", "authorize-security-group-ingress", "--group-id", web_sg, "--protocol", "tcp", "--port", "22",
        "--source-group", bastion_sg)
    key = aws("ec2", "create-key-pair", "--key-name", "lab-key")
    assert key["KeyMaterial"].startswith("-----BEGIN RSA PRIVATE KEY-----")

    # --- instances
    ami = aws("ec2", "describe-images", "--owners", "amazon", "--filters",
              "Name=name,Values=al2023-ami-2023*-x86_64", "--query", "Images[0].ImageId")
    assert ami.startswith("ami-")
    script = tmp_path / "web.sh"
    script.write_text("#!/bin/bash\ndnf install -y httpd\nsystemctl enable --now httpd\n")
    web = []
    for name in ("public-a", "public-b"):
        out = aws("ec2", "run-instances", "--image-id", ami, "--instance-type", "t3.micro", "--key-name", "lab-key",
                  "--security-group-ids", web_sg, "--subnet-id", subnets[name], "--user-data", f"file://{script}",
                  "--tag-specifications", "ResourceType=instance,Tags=[{Key=Name,Value=web}]")
        web.append(out["Instances"][0]["InstanceId"])
    bastion = aws("ec2", "run-instances", "--image-id", ami, "--instance-type", "t3.micro", "--key-name", "lab-key",
                  "--security-group-ids", bastion_sg, "--subnet-id", subnets["public-a"])["Instances"][0]["InstanceId"]
    server.advance(5)
    aws("ec2", "wait", "instance-running", "--instance-ids", *web, bastion)
    ud = aws("ec2", "describe-instance-attribute", "--instance-id", web[0], "--attribute", "userData")
    assert base64.b64decode(ud["UserData"]["Value"]).decode() == script.read_text()
    web_eip = aws("ec2", "allocate-address", "--domain", "vpc")
    aws("ec2", "associate-address", "--allocation-id", web_eip["AllocationId"], "--instance-id", web[0])
    described = aws("ec2", "describe-instances", "--instance-ids", web[0],
                    "--query", "Reservations[0].Instances[0]")
    assert described["PublicIpAddress"] == web_eip["PublicIp"]
    assert described["PublicDnsName"].startswith("ec2-" + web_eip["PublicIp"].replace(".", "-"))
    assert described["KeyName"] == "lab-key"

    # --- a custom AMI and an instance from it
    image = aws("ec2", "create-image", "--instance-id", web[1], "--name", "lab-web-image")["ImageId"]
    server.advance(10)
    aws("ec2", "wait", "image-available", "--image-ids", image)
    img = aws("ec2", "describe-images", "--owners", "self", "--image-ids", image)["Images"][0]
    image_snap = img["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    third = aws("ec2", "run-instances", "--image-id", image, "--instance-type", "t3.micro",
                "--subnet-id", subnets["private-b"], "--security-group-ids", web_sg)["Instances"][0]
    assert "PublicIpAddress" not in third
    web.append(third["InstanceId"])

    # --- an EBS volume attached and snapshotted
    vol = aws("ec2", "create-volume", "--availability-zone", zones[0], "--size", "10",
              "--volume-type", "gp3")["VolumeId"]
    server.advance(5)
    aws("ec2", "attach-volume", "--volume-id", vol, "--instance-id", web[0], "--device", "/dev/sdf")
    snap = aws("ec2", "create-snapshot", "--volume-id", vol, "--description", "lab data")["SnapshotId"]
    server.advance(5)
    aws("ec2", "wait", "snapshot-completed", "--snapshot-ids", snap)

    # --- teardown, each step first tried too early
    refused(aws, "DependencyViolation", "ec2", "delete-vpc", "--vpc-id", vpc)
    refused(aws, "DependencyViolation", "ec2", "delete-subnet", "--subnet-id", subnets["public-a"])
    refused(aws, "DependencyViolation", "ec2", "delete-security-group", "--group-id", bastion_sg)
    refused(aws, "DependencyViolation", "ec2", "delete-internet-gateway", "--internet-gateway-id", igw)
    refused(aws, "DependencyViolation", "ec2", "detach-internet-gateway", "--internet-gateway-id", igw,
            "--vpc-id", vpc)
    refused(aws, "InvalidIPAddress.InUse", "ec2", "release-address", "--allocation-id", web_eip["AllocationId"])
    refused(aws, "VolumeInUse", "ec2", "delete-volume", "--volume-id", vol)
    refused(aws, "InvalidSnapshot.InUse", "ec2", "delete-snapshot", "--snapshot-id", image_snap)

    aws("ec2", "detach-volume", "--volume-id", vol)
    aws("ec2", "delete-volume", "--volume-id", vol)
    aws("ec2", "delete-snapshot", "--snapshot-id", snap)
    aws("ec2", "disassociate-address", "--association-id",
        aws("ec2", "describe-addresses", "--allocation-ids", web_eip["AllocationId"])["Addresses"][0]["AssociationId"])
    aws("ec2", "release-address", "--allocation-id", web_eip["AllocationId"])
    aws("ec2", "terminate-instances", "--instance-ids", *web, bastion)
    server.advance(5)
    aws("ec2", "wait", "instance-terminated", "--instance-ids", *web, bastion)
    aws("ec2", "deregister-image", "--image-id", image)
    aws("ec2", "delete-snapshot", "--snapshot-id", image_snap)
    aws("ec2", "delete-nat-gateway", "--nat-gateway-id", nat)
    server.advance(5)
    aws("ec2", "release-address", "--allocation-id", nat_eip)
    refused(aws, "DependencyViolation", "ec2", "delete-security-group", "--group-id", bastion_sg)
    aws("ec2", "revoke-security-group-ingress", "--group-id", web_sg, "--protocol", "tcp", "--port", "22",
        "--source-group", bastion_sg)
    for sg in (web_sg, bastion_sg):
        aws("ec2", "delete-security-group", "--group-id", sg)
    for name in subnets:
        aws("ec2", "delete-subnet", "--subnet-id", subnets[name])
    for rt in (public_rt, private_rt):
        aws("ec2", "delete-route-table", "--route-table-id", rt)
    refused(aws, "DependencyViolation", "ec2", "delete-vpc", "--vpc-id", vpc)
    aws("ec2", "detach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)
    aws("ec2", "delete-internet-gateway", "--internet-gateway-id", igw)
    aws("ec2", "delete-vpc", "--vpc-id", vpc)
    aws("ec2", "delete-key-pair", "--key-name", "lab-key")
    assert ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["lab-vpc"]}])["Vpcs"] == []
    assert ec2.describe_key_pairs()["KeyPairs"] == []
