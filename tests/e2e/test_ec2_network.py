"""EC2/VPC networking through boto3 and the aws CLI: the defaults every
region has, the course's network lab (VPC, public and private subnets in two
zones, internet gateway, route tables, security groups), filters, tags, and
the refusals AWS gives when things are done in the wrong order."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def error(excinfo) -> tuple[str, str]:
    e = excinfo.value.response["Error"]
    return e["Code"], e["Message"]


@pytest.fixture
def ec2(server):
    return server.client("ec2")


def test_every_region_has_a_default_network(ec2):
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    assert len(vpcs) == 1 and vpcs[0]["CidrBlock"] == "172.31.0.0/16"
    vpc = vpcs[0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    assert sorted(s["AvailabilityZone"] for s in subnets) == sorted(zones)
    assert all(s["DefaultForAz"] and s["MapPublicIpOnLaunch"] for s in subnets)
    assert {s["CidrBlock"] for s in subnets} >= {"172.31.0.0/20", "172.31.16.0/20"}
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}])["RouteTables"]
    routes = {r["DestinationCidrBlock"]: r["GatewayId"] for r in main[0]["Routes"]}
    assert routes["172.31.0.0/16"] == "local" and routes["0.0.0.0/0"].startswith("igw-")
    sg = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}, {"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"][0]
    assert sg["IpPermissionsEgress"][0]["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}]
    assert sg["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == sg["GroupId"]
    attrs = {a["AttributeName"]: a["AttributeValues"][0]["AttributeValue"] for a in ec2.describe_account_attributes()["AccountAttributes"]}
    assert attrs["default-vpc"] == vpc


def test_regions_and_zones(server):
    ec2 = server.client("ec2")
    names = [r["RegionName"] for r in ec2.describe_regions()["Regions"]]
    assert "ap-northeast-2" in names and "us-east-1" in names
    zones = ec2.describe_availability_zones()["AvailabilityZones"]
    assert [z["ZoneName"] for z in zones][:2] == ["us-east-1a", "us-east-1b"]
    assert zones[0]["ZoneId"] == "use1-az1" and zones[0]["State"] == "available"
    with pytest.raises(ClientError) as e:
        ec2.describe_availability_zones(ZoneNames=["us-east-1z"])
    assert error(e)[0] == "InvalidParameterValue"


def test_network_lab_and_teardown_in_dependency_order(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "Lab VPC"}]}])["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    assert ec2.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"] is True
    az1, az2 = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    public1 = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/24", AvailabilityZone=az1)["Subnet"]["SubnetId"]
    public2 = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24", AvailabilityZone=az2)["Subnet"]["SubnetId"]
    private1 = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.2.0/23", AvailabilityZone=az1)["Subnet"]
    assert private1["AvailableIpAddressCount"] == 507
    with pytest.raises(ClientError) as e:
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.128/25", AvailabilityZone=az1)
    assert error(e) == ("InvalidSubnet.Conflict", "The CIDR '10.1.1.128/25' conflicts with another subnet")
    with pytest.raises(ClientError) as e:
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.2.0.0/24")
    assert error(e) == ("InvalidSubnet.Range", "The CIDR '10.2.0.0/24' is invalid.")
    ec2.modify_subnet_attribute(SubnetId=public1, MapPublicIpOnLaunch={"Value": True})

    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    with pytest.raises(ClientError) as e:
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    assert error(e)[0] == "Resource.AlreadyAssociated"
    public_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    with pytest.raises(ClientError) as e:
        ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    assert error(e)[0] == "RouteAlreadyExists"
    a1 = ec2.associate_route_table(RouteTableId=public_rt, SubnetId=public1)["AssociationId"]
    ec2.associate_route_table(RouteTableId=public_rt, SubnetId=public2)
    rt = ec2.describe_route_tables(RouteTableIds=[public_rt])["RouteTables"][0]
    assert sorted(a["SubnetId"] for a in rt["Associations"]) == sorted([public1, public2])

    web = ec2.create_security_group(GroupName="Web SG", Description="web", VpcId=vpc)["GroupId"]
    bastion = ec2.create_security_group(GroupName="Bastion SG", Description="ssh", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    rules = ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": bastion}]}])["SecurityGroupRules"]
    assert rules[0]["SecurityGroupRuleId"].startswith("sgr-") and rules[0]["ReferencedGroupInfo"]["GroupId"] == bastion
    with pytest.raises(ClientError) as e:
        ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert error(e)[0] == "InvalidPermission.Duplicate"
    with pytest.raises(ClientError) as e:
        ec2.create_security_group(GroupName="Web SG", Description="again", VpcId=vpc)
    assert error(e)[0] == "InvalidGroup.Duplicate"
    found = ec2.describe_security_groups(Filters=[{"Name": "ip-permission.from-port", "Values": ["80"]}, {"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]
    assert [g["GroupId"] for g in found] == [web]

    # Refusals AWS gives when the order is wrong.
    with pytest.raises(ClientError) as e:
        ec2.delete_vpc(VpcId=vpc)
    assert error(e) == ("DependencyViolation", f"The vpc '{vpc}' has dependencies and cannot be deleted.")
    with pytest.raises(ClientError) as e:
        ec2.delete_internet_gateway(InternetGatewayId=igw)
    assert error(e)[0] == "DependencyViolation"
    with pytest.raises(ClientError) as e:
        ec2.delete_security_group(GroupId=bastion)
    assert error(e)[0] == "DependencyViolation"
    with pytest.raises(ClientError) as e:
        ec2.delete_route_table(RouteTableId=public_rt)
    assert error(e)[0] == "DependencyViolation"

    # Tear down in dependency order.
    ec2.revoke_security_group_ingress(GroupId=web, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": bastion}]}])
    ec2.delete_security_group(GroupId=bastion)
    ec2.delete_security_group(GroupId=web)
    ec2.disassociate_route_table(AssociationId=a1)
    for s in (public1, public2, private1["SubnetId"]):
        ec2.delete_subnet(SubnetId=s)
    ec2.delete_route_table(RouteTableId=public_rt)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.delete_internet_gateway(InternetGatewayId=igw)
    ec2.delete_vpc(VpcId=vpc)
    with pytest.raises(ClientError) as e:
        ec2.describe_vpcs(VpcIds=[vpc])
    assert error(e) == ("InvalidVpcID.NotFound", f"The vpc ID '{vpc}' does not exist")


def test_bad_input_and_dry_run(ec2):
    with pytest.raises(ClientError) as e:
        ec2.create_vpc(CidrBlock="10.0.0.0/8")
    assert error(e) == ("InvalidVpc.Range", "The CIDR '10.0.0.0/8' is invalid.")
    with pytest.raises(ClientError) as e:
        ec2.create_vpc(CidrBlock="10.0.0.0/33")
    assert error(e)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        ec2.describe_vpcs(VpcIds=["nope"])
    assert error(e)[0] == "InvalidVpcID.Malformed"
    with pytest.raises(ClientError) as e:
        ec2.create_vpc(CidrBlock="10.9.0.0/16", DryRun=True)
    assert error(e) == ("DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
    assert len(ec2.describe_vpcs()["Vpcs"]) == 1
    with pytest.raises(ClientError) as e:
        ec2.describe_vpcs(Filters=[{"Name": "no-such-filter", "Values": ["x"]}])
    assert error(e)[0] == "InvalidParameterValue"


def test_tags_and_pagination(ec2):
    ids = [ec2.create_vpc(CidrBlock=f"10.{i}.0.0/16")["Vpc"]["VpcId"] for i in range(1, 8)]
    ec2.create_tags(Resources=ids[:3], Tags=[{"Key": "env", "Value": "lab"}])
    tagged = ec2.describe_vpcs(Filters=[{"Name": "tag:env", "Values": ["lab"]}])["Vpcs"]
    assert sorted(v["VpcId"] for v in tagged) == sorted(ids[:3])
    assert {t["ResourceId"] for t in ec2.describe_tags(Filters=[{"Name": "key", "Values": ["env"]}])["Tags"]} == set(ids[:3])
    ec2.delete_tags(Resources=[ids[0]], Tags=[{"Key": "env"}])
    assert len(ec2.describe_vpcs(Filters=[{"Name": "tag-key", "Values": ["env"]}])["Vpcs"]) == 2
    first = ec2.describe_vpcs(MaxResults=5)
    assert len(first["Vpcs"]) == 5 and "NextToken" in first
    rest = ec2.describe_vpcs(MaxResults=5, NextToken=first["NextToken"])
    assert len(rest["Vpcs"]) == 3 and "NextToken" not in rest
    with pytest.raises(ClientError) as e:
        ec2.create_tags(Resources=["vpc-0000000000000000f"], Tags=[{"Key": "a", "Value": "b"}])
    assert error(e)[0] == "InvalidVpcID.NotFound"


def test_network_survives_a_restart(server_factory):
    srv = server_factory()
    vpc = srv.client("ec2").create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    srv.restart()
    assert [v["CidrBlock"] for v in srv.client("ec2").describe_vpcs(VpcIds=[vpc])["Vpcs"]] == ["10.5.0.0/16"]


def test_cli_flow(aws):
    vpc = aws("ec2", "create-vpc", "--cidr-block", "10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = aws("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.1.1.0/24")["Subnet"]
    assert subnet["VpcId"] == vpc and subnet["AvailableIpAddressCount"] == 251
    out = aws("ec2", "describe-subnets", "--filters", f"Name=vpc-id,Values={vpc}")
    assert [s["SubnetId"] for s in out["Subnets"]] == [subnet["SubnetId"]]
