"""EC2 addressing through boto3 and the aws CLI: network interfaces and their
private addresses, Elastic IPs and their associations, NAT gateways on the
clock, prefix lists and VPC endpoints, with the refusals AWS gives for bad
input and for things done in the wrong order."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def error(excinfo) -> tuple[str, str]:
    e = excinfo.value.response["Error"]
    return e["Code"], e["Message"]


@pytest.fixture
def ec2(server):
    return server.client("ec2")


def network(ec2, cidr="10.20.0.0/16", igw=True):
    """A VPC with two /24 subnets in two zones and (optionally) an internet gateway."""
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    base = cidr.split(".")
    az1, az2 = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    s1 = ec2.create_subnet(VpcId=vpc, CidrBlock=f"{base[0]}.{base[1]}.1.0/24", AvailabilityZone=az1)["Subnet"]["SubnetId"]
    s2 = ec2.create_subnet(VpcId=vpc, CidrBlock=f"{base[0]}.{base[1]}.2.0/24", AvailabilityZone=az2)["Subnet"]["SubnetId"]
    gw = None
    if igw:
        gw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=gw, VpcId=vpc)
    return vpc, s1, s2, gw


def free(ec2, subnet):
    return ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["AvailableIpAddressCount"]


def test_network_interface_lifecycle(ec2):
    vpc, s1, _, _ = network(ec2, igw=False)
    default_sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]["GroupId"]
    assert free(ec2, s1) == 251
    eni = ec2.create_network_interface(
        SubnetId=s1, PrivateIpAddress="10.20.1.10", Description="app", SecondaryPrivateIpAddressCount=2,
        TagSpecifications=[{"ResourceType": "network-interface", "Tags": [{"Key": "Name", "Value": "app-eni"}]}],
    )["NetworkInterface"]
    eid = eni["NetworkInterfaceId"]
    assert eid.startswith("eni-") and eni["Status"] == "available" and eni["InterfaceType"] == "interface"
    assert eni["PrivateIpAddress"] == "10.20.1.10" and eni["VpcId"] == vpc and eni["SourceDestCheck"] is True
    assert [g["GroupId"] for g in eni["Groups"]] == [default_sg] and eni["Groups"][0]["GroupName"] == "default"
    ips = [(p["PrivateIpAddress"], p["Primary"]) for p in eni["PrivateIpAddresses"]]
    assert ips == [("10.20.1.10", True), ("10.20.1.4", False), ("10.20.1.5", False)]
    assert eni["MacAddress"].startswith("02:") and eni["RequesterManaged"] is False
    assert eni["PrivateDnsName"] == "ip-10-20-1-10.ec2.internal"
    assert eni["TagSet"] == [{"Key": "Name", "Value": "app-eni"}]
    assert free(ec2, s1) == 248

    with pytest.raises(ClientError) as e:
        ec2.create_network_interface(SubnetId=s1, PrivateIpAddress="10.20.1.10")
    assert error(e) == ("InvalidIPAddress.InUse", "Address 10.20.1.10 is in use.")
    with pytest.raises(ClientError) as e:
        ec2.create_network_interface(SubnetId=s1, PrivateIpAddress="10.20.2.10")
    assert error(e)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        ec2.create_network_interface(SubnetId=s1, PrivateIpAddress="10.20.1.1")
    assert error(e)[0] == "InvalidParameterValue"
    other_sg = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}, {"Name": "vpc-id", "Values": [v["VpcId"] for v in ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]]}])["SecurityGroups"][0]["GroupId"]
    with pytest.raises(ClientError) as e:
        ec2.create_network_interface(SubnetId=s1, Groups=[other_sg])
    assert error(e)[0] == "InvalidParameter"
    with pytest.raises(ClientError) as e:
        ec2.create_network_interface(SubnetId="subnet-0000000000000000f")
    assert error(e)[0] == "InvalidSubnetID.NotFound"

    # Filters a user would reach for.
    def ids(*filters):
        return [n["NetworkInterfaceId"] for n in ec2.describe_network_interfaces(Filters=list(filters))["NetworkInterfaces"]]
    assert ids({"Name": "private-ip-address", "Values": ["10.20.1.10"]}) == [eid]
    assert ids({"Name": "addresses.private-ip-address", "Values": ["10.20.1.5"]}) == [eid]
    assert ids({"Name": "vpc-id", "Values": [vpc]}, {"Name": "status", "Values": ["available"]}) == [eid]
    assert ids({"Name": "group-id", "Values": [default_sg]}, {"Name": "subnet-id", "Values": [s1]}) == [eid]
    assert ids({"Name": "tag:Name", "Values": ["app-*"]}) == [eid]
    assert ids({"Name": "description", "Values": ["app"]}, {"Name": "requester-managed", "Values": ["false"]}) == [eid]
    assert ids({"Name": "mac-address", "Values": [eni["MacAddress"]]}) == [eid]
    assert ids({"Name": "status", "Values": ["in-use"]}, {"Name": "vpc-id", "Values": [vpc]}) == []
    with pytest.raises(ClientError) as e:
        ec2.describe_network_interfaces(NetworkInterfaceIds=["eni-0000000000000000f"])
    assert error(e)[0] == "InvalidNetworkInterfaceID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.describe_network_interfaces(NetworkInterfaceIds=["nope"])
    assert error(e)[0] == "InvalidNetworkInterfaceID.Malformed"

    # Attributes.
    web = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eid, Groups=[web, default_sg])
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eid, Description={"Value": "app server"})
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eid, SourceDestCheck={"Value": False})
    assert ec2.describe_network_interface_attribute(NetworkInterfaceId=eid, Attribute="description")["Description"]["Value"] == "app server"
    assert ec2.describe_network_interface_attribute(NetworkInterfaceId=eid, Attribute="sourceDestCheck")["SourceDestCheck"]["Value"] is False
    groups = ec2.describe_network_interface_attribute(NetworkInterfaceId=eid, Attribute="groupSet")["Groups"]
    assert {g["GroupId"] for g in groups} == {web, default_sg}

    # Secondary addresses keep the subnet's count right.
    got = ec2.assign_private_ip_addresses(NetworkInterfaceId=eid, SecondaryPrivateIpAddressCount=2)["AssignedPrivateIpAddresses"]
    assert [a["PrivateIpAddress"] for a in got] == ["10.20.1.6", "10.20.1.7"]
    ec2.assign_private_ip_addresses(NetworkInterfaceId=eid, PrivateIpAddresses=["10.20.1.50"])
    assert free(ec2, s1) == 245
    with pytest.raises(ClientError) as e:
        ec2.assign_private_ip_addresses(NetworkInterfaceId=eid, PrivateIpAddresses=["10.20.1.50"])
    assert error(e)[0] == "InvalidIPAddress.InUse"
    ec2.unassign_private_ip_addresses(NetworkInterfaceId=eid, PrivateIpAddresses=["10.20.1.6", "10.20.1.50"])
    assert free(ec2, s1) == 247
    with pytest.raises(ClientError) as e:
        ec2.unassign_private_ip_addresses(NetworkInterfaceId=eid, PrivateIpAddresses=["10.20.1.10"])
    assert error(e)[0] == "InvalidParameterValue"

    # What depends on the interface waits for it.
    with pytest.raises(ClientError) as e:
        ec2.delete_subnet(SubnetId=s1)
    assert error(e)[0] == "DependencyViolation"
    with pytest.raises(ClientError) as e:
        ec2.delete_security_group(GroupId=web)
    assert error(e)[0] == "DependencyViolation"
    ec2.delete_network_interface(NetworkInterfaceId=eid)
    assert free(ec2, s1) == 251
    with pytest.raises(ClientError) as e:
        ec2.delete_network_interface(NetworkInterfaceId=eid)
    assert error(e)[0] == "InvalidNetworkInterfaceID.NotFound"
    ec2.delete_security_group(GroupId=web)
    ec2.delete_subnet(SubnetId=s1)


def test_interface_pagination(ec2):
    _, s1, _, _ = network(ec2, igw=False)
    for _ in range(7):
        ec2.create_network_interface(SubnetId=s1)
    first = ec2.describe_network_interfaces(MaxResults=5)
    assert len(first["NetworkInterfaces"]) == 5 and "NextToken" in first
    rest = ec2.describe_network_interfaces(MaxResults=5, NextToken=first["NextToken"])
    assert len(rest["NetworkInterfaces"]) == 2 and "NextToken" not in rest


def test_elastic_ips(ec2):
    vpc, s1, _, igw = network(ec2, igw=False)
    assert ec2.describe_addresses()["Addresses"] == []
    a = ec2.allocate_address(Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "web"}]}])
    alloc, ip = a["AllocationId"], a["PublicIp"]
    assert alloc.startswith("eipalloc-") and a["Domain"] == "vpc" and a["NetworkBorderGroup"] == "us-east-1"
    b = ec2.allocate_address()
    assert b["PublicIp"] != ip
    got = ec2.describe_addresses(AllocationIds=[alloc])["Addresses"]
    assert got == [{"AllocationId": alloc, "Domain": "vpc", "PublicIp": ip, "PublicIpv4Pool": "amazon", "NetworkBorderGroup": "us-east-1", "Tags": [{"Key": "Name", "Value": "web"}]}]
    assert ec2.describe_addresses(PublicIps=[ip])["Addresses"][0]["AllocationId"] == alloc
    assert [x["AllocationId"] for x in ec2.describe_addresses(Filters=[{"Name": "tag:Name", "Values": ["web"]}])["Addresses"]] == [alloc]
    with pytest.raises(ClientError) as e:
        ec2.describe_addresses(AllocationIds=["eipalloc-0000000000000000f"])
    assert error(e) == ("InvalidAllocationID.NotFound", "The allocation ID 'eipalloc-0000000000000000f' does not exist")
    with pytest.raises(ClientError) as e:
        ec2.describe_addresses(PublicIps=["203.0.113.250"])
    assert error(e)[0] == "InvalidAddress.NotFound"

    eni = ec2.create_network_interface(SubnetId=s1, SecondaryPrivateIpAddressCount=1)["NetworkInterface"]
    eid, primary, secondary = eni["NetworkInterfaceId"], eni["PrivateIpAddress"], eni["PrivateIpAddresses"][1]["PrivateIpAddress"]
    # No internet gateway, no public address.
    with pytest.raises(ClientError) as e:
        ec2.associate_address(AllocationId=alloc, NetworkInterfaceId=eid)
    assert error(e) == ("Gateway.NotAttached", f"Network {vpc} is not attached to any internet gateway")
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)

    assoc = ec2.associate_address(AllocationId=alloc, NetworkInterfaceId=eid)["AssociationId"]
    assert assoc.startswith("eipassoc-")
    addr = ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]
    assert addr["AssociationId"] == assoc and addr["NetworkInterfaceId"] == eid and addr["PrivateIpAddress"] == primary
    assert "InstanceId" not in addr and addr["NetworkInterfaceOwnerId"] == "000000000000"
    n = ec2.describe_network_interfaces(NetworkInterfaceIds=[eid])["NetworkInterfaces"][0]
    assert n["Association"]["PublicIp"] == ip and n["Association"]["AllocationId"] == alloc
    assert n["Association"]["IpOwnerId"] == "000000000000"
    assert n["Association"]["PublicDnsName"] == f"ec2-{ip.replace('.', '-')}.compute-1.amazonaws.com"
    for f in ("association-id", "network-interface-id", "private-ip-address"):
        value = {"association-id": assoc, "network-interface-id": eid, "private-ip-address": primary}[f]
        assert [x["AllocationId"] for x in ec2.describe_addresses(Filters=[{"Name": f, "Values": [value]}])["Addresses"]] == [alloc]
    assert [x["NetworkInterfaceId"] for x in ec2.describe_network_interfaces(Filters=[{"Name": "association.public-ip", "Values": [ip]}])["NetworkInterfaces"]] == [eid]

    # Wrong order: an associated address is not released; the gateway stays attached.
    with pytest.raises(ClientError) as e:
        ec2.release_address(AllocationId=alloc)
    assert error(e)[0] == "InvalidIPAddress.InUse"
    with pytest.raises(ClientError) as e:
        ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    assert error(e) == ("DependencyViolation", f"Network {vpc} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.")

    # A second address on the same private address replaces the first.
    assoc_b = ec2.associate_address(AllocationId=b["AllocationId"], NetworkInterfaceId=eid)["AssociationId"]
    assert "AssociationId" not in ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]
    n = ec2.describe_network_interfaces(NetworkInterfaceIds=[eid])["NetworkInterfaces"][0]
    assert n["Association"]["PublicIp"] == b["PublicIp"]
    # The first goes on the secondary private address.
    ec2.associate_address(AllocationId=alloc, NetworkInterfaceId=eid, PrivateIpAddress=secondary)
    n = ec2.describe_network_interfaces(NetworkInterfaceIds=[eid])["NetworkInterfaces"][0]
    by_ip = {p["PrivateIpAddress"]: p.get("Association", {}).get("PublicIp") for p in n["PrivateIpAddresses"]}
    assert by_ip == {primary: b["PublicIp"], secondary: ip}

    # Reassociation elsewhere is automatic unless refused.
    other = ec2.create_network_interface(SubnetId=s1)["NetworkInterface"]["NetworkInterfaceId"]
    with pytest.raises(ClientError) as e:
        ec2.associate_address(AllocationId=alloc, NetworkInterfaceId=other, AllowReassociation=False)
    assert error(e)[0] == "Resource.AlreadyAssociated"
    ec2.associate_address(AllocationId=alloc, NetworkInterfaceId=other, AllowReassociation=True)
    assert ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]["NetworkInterfaceId"] == other
    with pytest.raises(ClientError) as e:
        ec2.associate_address(AllocationId=alloc, NetworkInterfaceId=eid, PrivateIpAddress="10.20.1.200")
    assert error(e)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        ec2.associate_address(AllocationId=alloc, InstanceId="i-0000000000000000f")
    assert error(e) == ("InvalidInstanceID.NotFound", "The instance ID 'i-0000000000000000f' does not exist")

    # Disassociate, then release.
    ec2.disassociate_address(AssociationId=assoc_b)
    n = ec2.describe_network_interfaces(NetworkInterfaceIds=[eid])["NetworkInterfaces"][0]
    assert "Association" not in n
    with pytest.raises(ClientError) as e:
        ec2.disassociate_address(AssociationId=assoc_b)
    assert error(e)[0] == "InvalidAssociationID.NotFound"
    ec2.delete_network_interface(NetworkInterfaceId=other)  # takes the address off with it
    assert "AssociationId" not in ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.release_address(AllocationId=alloc)
    ec2.release_address(PublicIp=b["PublicIp"])
    with pytest.raises(ClientError) as e:
        ec2.release_address(AllocationId=alloc)
    assert error(e)[0] == "InvalidAllocationID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.release_address(PublicIp=ip)
    assert error(e)[0] == "AuthFailure"
    assert ec2.describe_addresses()["Addresses"] == []


def test_nat_gateway_on_the_clock(server, ec2):
    vpc, s1, s2, _ = network(ec2)
    alloc = ec2.allocate_address(Domain="vpc")
    with pytest.raises(ClientError) as e:
        ec2.create_nat_gateway(SubnetId=s1)
    assert error(e) == ("MissingParameter", "The request must include the AllocationId parameter. Add the required parameter and retry the request.")
    with pytest.raises(ClientError) as e:
        ec2.create_nat_gateway(SubnetId=s1, AllocationId="bogus")
    assert error(e) == ("InvalidElasticIpID.Malformed", "The elastic-ip ID 'bogus' is malformed")
    with pytest.raises(ClientError) as e:
        ec2.create_nat_gateway(SubnetId="bogus", AllocationId=alloc["AllocationId"])
    assert error(e) == ("InvalidSubnet", "The subnet ID 'bogus' is malformed")
    with pytest.raises(ClientError) as e:
        ec2.create_nat_gateway(SubnetId=s1, AllocationId="eipalloc-0000000000000000f")
    assert error(e)[0] == "InvalidAllocationID.NotFound"

    before = free(ec2, s1)
    nat = ec2.create_nat_gateway(
        SubnetId=s1, AllocationId=alloc["AllocationId"], ClientToken="tok-1",
        TagSpecifications=[{"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": "nat-a"}]}],
    )["NatGateway"]
    nid = nat["NatGatewayId"]
    assert nid.startswith("nat-") and nat["State"] == "pending" and nat["ConnectivityType"] == "public"
    assert nat["VpcId"] == vpc and nat["Tags"] == [{"Key": "Name", "Value": "nat-a"}]
    address = nat["NatGatewayAddresses"][0]
    assert address["AllocationId"] == alloc["AllocationId"] and address["PublicIp"] == alloc["PublicIp"]
    assert free(ec2, s1) == before - 1
    # The same client token gives back the same gateway.
    again = ec2.create_nat_gateway(SubnetId=s1, AllocationId=alloc["AllocationId"], ClientToken="tok-1")["NatGateway"]
    assert again["NatGatewayId"] == nid
    # Its address is taken.
    with pytest.raises(ClientError) as e:
        ec2.create_nat_gateway(SubnetId=s2, AllocationId=alloc["AllocationId"])
    assert error(e)[0] == "Resource.AlreadyAssociated"

    # The gateway's interface: requester-managed, holding the Elastic IP.
    eni = ec2.describe_network_interfaces(NetworkInterfaceIds=[address["NetworkInterfaceId"]])["NetworkInterfaces"][0]
    assert eni["InterfaceType"] == "nat_gateway" and eni["RequesterManaged"] is True and eni["Status"] == "in-use"
    assert eni["Association"]["PublicIp"] == alloc["PublicIp"] and eni["Description"] == f"Interface for NAT Gateway {nid}"
    addr = ec2.describe_addresses(AllocationIds=[alloc["AllocationId"]])["Addresses"][0]
    assert addr["NetworkInterfaceId"] == eni["NetworkInterfaceId"]
    with pytest.raises(ClientError) as e:
        ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    assert error(e)[0] == "InvalidNetworkInterface.InUse"
    with pytest.raises(ClientError) as e:
        ec2.disassociate_address(AssociationId=addr["AssociationId"])
    assert error(e)[0] == "AuthFailure"

    server.advance(3)
    got = ec2.describe_nat_gateways(NatGatewayIds=[nid])["NatGateways"][0]
    assert got["State"] == "available" and got["NatGatewayAddresses"][0]["Status"] == "succeeded"
    assert [n["NatGatewayId"] for n in ec2.describe_nat_gateways(Filter=[{"Name": "state", "Values": ["available"]}, {"Name": "vpc-id", "Values": [vpc]}])["NatGateways"]] == [nid]
    assert [n["NatGatewayId"] for n in ec2.describe_nat_gateways(Filter=[{"Name": "tag:Name", "Values": ["nat-a"]}, {"Name": "subnet-id", "Values": [s1]}])["NatGateways"]] == [nid]

    # A private route through it; the subnet and VPC wait for the gateway.
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nid)
    with pytest.raises(ClientError) as e:
        ec2.delete_subnet(SubnetId=s1)
    assert error(e)[0] == "DependencyViolation"
    with pytest.raises(ClientError) as e:
        ec2.release_address(AllocationId=alloc["AllocationId"])
    assert error(e)[0] == "InvalidIPAddress.InUse"

    assert ec2.delete_nat_gateway(NatGatewayId=nid)["NatGatewayId"] == nid
    assert ec2.describe_nat_gateways(NatGatewayIds=[nid])["NatGateways"][0]["State"] == "deleting"
    # The interface and the address are freed at once.
    assert free(ec2, s1) == before
    assert "AssociationId" not in ec2.describe_addresses(AllocationIds=[alloc["AllocationId"]])["Addresses"][0]
    route = [r for r in ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["Routes"] if r.get("NatGatewayId")]
    assert route[0]["State"] == "blackhole"
    server.advance(3)
    gone = ec2.describe_nat_gateways(NatGatewayIds=[nid])["NatGateways"][0]
    assert gone["State"] == "deleted" and "DeleteTime" in gone
    server.advance(3700)
    with pytest.raises(ClientError) as e:
        ec2.describe_nat_gateways(NatGatewayIds=[nid])
    assert error(e)[0] == "NatGatewayNotFound"
    ec2.release_address(AllocationId=alloc["AllocationId"])

    # A private NAT gateway needs no address.
    private = ec2.create_nat_gateway(SubnetId=s2, ConnectivityType="private")["NatGateway"]
    assert private["ConnectivityType"] == "private" and "PublicIp" not in private["NatGatewayAddresses"][0]
    with pytest.raises(ClientError) as e:
        ec2.delete_vpc(VpcId=vpc)
    assert error(e)[0] == "DependencyViolation"
    with pytest.raises(ClientError) as e:
        ec2.delete_nat_gateway(NatGatewayId="nat-0000000000000000f")
    assert error(e)[0] == "NatGatewayNotFound"


def test_prefix_lists(ec2):
    aws_lists = {p["PrefixListName"]: p for p in ec2.describe_prefix_lists()["PrefixLists"]}
    assert set(aws_lists) == {"com.amazonaws.us-east-1.s3", "com.amazonaws.us-east-1.dynamodb"}
    s3 = aws_lists["com.amazonaws.us-east-1.s3"]
    assert s3["PrefixListId"].startswith("pl-") and s3["Cidrs"]
    # Stable ids.
    assert ec2.describe_prefix_lists()["PrefixLists"][0]["PrefixListId"] in {p["PrefixListId"] for p in aws_lists.values()}
    managed = ec2.describe_managed_prefix_lists(Filters=[{"Name": "owner-id", "Values": ["AWS"]}])["PrefixLists"]
    assert {p["PrefixListId"] for p in managed} == {p["PrefixListId"] for p in aws_lists.values()}
    entries = ec2.get_managed_prefix_list_entries(PrefixListId=s3["PrefixListId"])["Entries"]
    assert sorted(e["Cidr"] for e in entries) == sorted(s3["Cidrs"])

    pl = ec2.create_managed_prefix_list(
        PrefixListName="office", MaxEntries=3, AddressFamily="IPv4",
        Entries=[{"Cidr": "203.0.113.0/24", "Description": "hq"}],
        TagSpecifications=[{"ResourceType": "prefix-list", "Tags": [{"Key": "team", "Value": "net"}]}],
    )["PrefixList"]
    pid = pl["PrefixListId"]
    assert pl["Version"] == 1 and pl["MaxEntries"] == 3 and pl["OwnerId"] == "000000000000"
    changed = ec2.modify_managed_prefix_list(PrefixListId=pid, CurrentVersion=1, AddEntries=[{"Cidr": "198.51.100.0/24"}])["PrefixList"]
    assert changed["Version"] == 2
    with pytest.raises(ClientError) as e:
        ec2.modify_managed_prefix_list(PrefixListId=pid, CurrentVersion=1, AddEntries=[{"Cidr": "192.0.2.0/24"}])
    assert error(e)[0] == "PrefixListVersionMismatch"
    with pytest.raises(ClientError) as e:
        ec2.modify_managed_prefix_list(PrefixListId=pid, CurrentVersion=2, AddEntries=[{"Cidr": "192.0.2.0/24"}, {"Cidr": "192.0.3.0/24"}])
    assert error(e)[0] == "PrefixListMaxEntriesExceeded"
    ec2.modify_managed_prefix_list(PrefixListId=pid, CurrentVersion=2, RemoveEntries=[{"Cidr": "203.0.113.0/24"}], PrefixListName="office-v3")
    now = ec2.get_managed_prefix_list_entries(PrefixListId=pid)["Entries"]
    assert [e["Cidr"] for e in now] == ["198.51.100.0/24"]
    old = ec2.get_managed_prefix_list_entries(PrefixListId=pid, TargetVersion=1)["Entries"]
    assert old == [{"Cidr": "203.0.113.0/24", "Description": "hq"}]
    got = ec2.describe_managed_prefix_lists(Filters=[{"Name": "tag:team", "Values": ["net"]}])["PrefixLists"]
    assert [(p["PrefixListId"], p["PrefixListName"], p["Version"]) for p in got] == [(pid, "office-v3", 3)]

    # A security group rule that names the list keeps it.
    sg = ec2.create_security_group(GroupName="office", Description="office")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "PrefixListIds": [{"PrefixListId": pid}]}])
    with pytest.raises(ClientError) as e:
        ec2.delete_managed_prefix_list(PrefixListId=pid)
    assert error(e)[0] == "PrefixListInUse"
    ec2.delete_security_group(GroupId=sg)
    ec2.delete_managed_prefix_list(PrefixListId=pid)
    with pytest.raises(ClientError) as e:
        ec2.get_managed_prefix_list_entries(PrefixListId=pid)
    assert error(e)[0] == "InvalidPrefixListID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.create_managed_prefix_list(PrefixListName="x", MaxEntries=1, AddressFamily="IPv4", Entries=[{"Cidr": "10.0.0.1/8"}])
    assert error(e)[0] == "InvalidParameterValue"


def test_gateway_endpoint_routes(ec2):
    vpc, s1, _, _ = network(ec2)
    rtb1 = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    rtb2 = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    names = ec2.describe_vpc_endpoint_services()["ServiceNames"]
    assert "com.amazonaws.us-east-1.s3" in names and "com.amazonaws.us-east-1.sqs" in names
    gw = ec2.describe_vpc_endpoint_services(Filters=[{"Name": "service-type", "Values": ["Gateway"]}])["ServiceDetails"]
    assert sorted(d["ServiceName"] for d in gw) == ["com.amazonaws.us-east-1.dynamodb", "com.amazonaws.us-east-1.s3"]
    with pytest.raises(ClientError) as e:
        ec2.describe_vpc_endpoint_services(ServiceNames=["com.amazonaws.us-east-1.nope"])
    assert error(e)[0] == "InvalidServiceName"

    s3_pl = [p for p in ec2.describe_prefix_lists()["PrefixLists"] if p["PrefixListName"].endswith(".s3")][0]["PrefixListId"]
    ep = ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", RouteTableIds=[rtb1],
        TagSpecifications=[{"ResourceType": "vpc-endpoint", "Tags": [{"Key": "Name", "Value": "s3"}]}],
    )["VpcEndpoint"]
    vid = ep["VpcEndpointId"]
    assert vid.startswith("vpce-") and ep["State"] == "available" and ep["VpcEndpointType"] == "Gateway"
    assert ep["RouteTableIds"] == [rtb1] and '"Allow"' in ep["PolicyDocument"]

    def prefix_routes(rtb):
        routes = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["Routes"]
        return [(r["DestinationPrefixListId"], r["GatewayId"], r["State"]) for r in routes if "DestinationPrefixListId" in r]
    assert prefix_routes(rtb1) == [(s3_pl, vid, "active")]
    found = ec2.describe_route_tables(Filters=[{"Name": "route.destination-prefix-list-id", "Values": [s3_pl]}])["RouteTables"]
    assert [r["RouteTableId"] for r in found] == [rtb1]
    with pytest.raises(ClientError) as e:
        ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", RouteTableIds=[rtb1])
    assert error(e)[0] == "RouteAlreadyExists"
    with pytest.raises(ClientError) as e:
        ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.sqs", VpcEndpointType="Gateway")
    assert error(e)[0] == "InvalidParameter"

    ec2.modify_vpc_endpoint(VpcEndpointId=vid, AddRouteTableIds=[rtb2], RemoveRouteTableIds=[rtb1])
    assert prefix_routes(rtb1) == [] and prefix_routes(rtb2) == [(s3_pl, vid, "active")]
    got = ec2.describe_vpc_endpoints(Filters=[{"Name": "service-name", "Values": ["com.amazonaws.us-east-1.s3"]}, {"Name": "vpc-id", "Values": [vpc]}])["VpcEndpoints"]
    assert [(g["VpcEndpointId"], g["RouteTableIds"]) for g in got] == [(vid, [rtb2])]
    assert ec2.describe_vpc_endpoints(Filters=[{"Name": "tag:Name", "Values": ["s3"]}])["VpcEndpoints"][0]["VpcEndpointId"] == vid
    with pytest.raises(ClientError) as e:
        ec2.delete_vpc(VpcId=vpc)
    assert error(e)[0] == "DependencyViolation"

    res = ec2.delete_vpc_endpoints(VpcEndpointIds=[vid, "vpce-0000000000000000f"])
    assert [(u["ResourceId"], u["Error"]["Code"]) for u in res["Unsuccessful"]] == [("vpce-0000000000000000f", "InvalidVpcEndpointId.NotFound")]
    assert prefix_routes(rtb2) == []
    with pytest.raises(ClientError) as e:
        ec2.describe_vpc_endpoints(VpcEndpointIds=[vid])
    assert error(e)[0] == "InvalidVpcEndpointId.NotFound"


def test_interface_endpoint(server, ec2):
    vpc, s1, s2, _ = network(ec2)
    with pytest.raises(ClientError) as e:
        ec2.create_vpc_endpoint(VpcId=vpc, VpcEndpointType="Interface", ServiceName="com.amazonaws.us-east-1.sqs", SubnetIds=[s1])
    assert error(e)[0] == "InvalidParameter"  # private DNS needs DNS hostnames
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    sg = ec2.create_security_group(GroupName="endpoints", Description="endpoints", VpcId=vpc)["GroupId"]
    ep = ec2.create_vpc_endpoint(
        VpcId=vpc, VpcEndpointType="Interface", ServiceName="com.amazonaws.us-east-1.sqs",
        SubnetIds=[s1, s2], SecurityGroupIds=[sg],
    )["VpcEndpoint"]
    vid = ep["VpcEndpointId"]
    assert ep["State"] == "pending" and ep["PrivateDnsEnabled"] is True
    assert sorted(ep["SubnetIds"]) == sorted([s1, s2]) and len(ep["NetworkInterfaceIds"]) == 2
    assert [g["GroupId"] for g in ep["Groups"]] == [sg]
    assert any(d["DnsName"] == "sqs.us-east-1.amazonaws.com" for d in ep["DnsEntries"])
    assert any(d["DnsName"].startswith(vid) and d["DnsName"].endswith(".sqs.us-east-1.vpce.amazonaws.com") for d in ep["DnsEntries"])
    server.advance(3)
    assert ec2.describe_vpc_endpoints(VpcEndpointIds=[vid])["VpcEndpoints"][0]["State"] == "available"
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "interface-type", "Values": ["vpc_endpoint"]}])["NetworkInterfaces"]
    assert sorted(n["NetworkInterfaceId"] for n in enis) == sorted(ep["NetworkInterfaceIds"])
    assert all(n["RequesterManaged"] and [g["GroupId"] for g in n["Groups"]] == [sg] for n in enis)
    with pytest.raises(ClientError) as e:
        ec2.delete_security_group(GroupId=sg)
    assert error(e)[0] == "DependencyViolation"
    with pytest.raises(ClientError) as e:
        ec2.delete_subnet(SubnetId=s2)
    assert error(e)[0] == "DependencyViolation"
    with pytest.raises(ClientError) as e:
        ec2.modify_vpc_endpoint(VpcEndpointId=vid, AddSubnetIds=[ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.3.0/24", AvailabilityZone=enis[0]["AvailabilityZone"])["Subnet"]["SubnetId"]])
    assert error(e)[0] == "DuplicateSubnetsInSameZone"

    ec2.modify_vpc_endpoint(VpcEndpointId=vid, RemoveSubnetIds=[s2])
    got = ec2.describe_vpc_endpoints(VpcEndpointIds=[vid])["VpcEndpoints"][0]
    assert got["SubnetIds"] == [s1] and len(got["NetworkInterfaceIds"]) == 1
    ec2.delete_subnet(SubnetId=s2)
    assert ec2.delete_vpc_endpoints(VpcEndpointIds=[vid])["Unsuccessful"] == []
    assert ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkInterfaces"] == []
    ec2.delete_security_group(GroupId=sg)


def test_addresses_survive_a_restart(server_factory):
    srv = server_factory()
    ec2 = srv.client("ec2")
    first = ec2.allocate_address()
    srv.restart()
    ec2 = srv.client("ec2")
    assert ec2.describe_addresses()["Addresses"][0]["PublicIp"] == first["PublicIp"]
    # A new address never repeats one still held.
    assert ec2.allocate_address()["PublicIp"] != first["PublicIp"]


def test_cli_flow(aws):
    a = aws("ec2", "allocate-address", "--domain", "vpc")
    assert a["AllocationId"].startswith("eipalloc-")
    out = aws("ec2", "describe-addresses", "--allocation-ids", a["AllocationId"])
    assert out["Addresses"][0]["PublicIp"] == a["PublicIp"]
    subnet = aws("ec2", "describe-subnets", "--filters", "Name=default-for-az,Values=true")["Subnets"][0]["SubnetId"]
    eni = aws("ec2", "create-network-interface", "--subnet-id", subnet, "--description", "cli")["NetworkInterface"]["NetworkInterfaceId"]
    assoc = aws("ec2", "associate-address", "--allocation-id", a["AllocationId"], "--network-interface-id", eni)["AssociationId"]
    found = aws("ec2", "describe-network-interfaces", "--filters", f"Name=association.public-ip,Values={a['PublicIp']}")
    assert [n["NetworkInterfaceId"] for n in found["NetworkInterfaces"]] == [eni]
    aws("ec2", "disassociate-address", "--association-id", assoc)
    aws("ec2", "release-address", "--allocation-id", a["AllocationId"])
    assert aws("ec2", "describe-addresses")["Addresses"] == []
    aws("ec2", "delete-network-interface", "--network-interface-id", eni)
