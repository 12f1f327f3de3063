"""The rest of the VPC network through boto3 and the aws CLI: network ACLs,
DHCP options sets, egress-only internet gateways, route replacement and
blackholes, secondary CIDR blocks, peering connections and flow logs, with
the refusals AWS gives for bad input and wrong order."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError


def error(excinfo) -> tuple[str, str]:
    e = excinfo.value.response["Error"]
    return e["Code"], e["Message"]


@pytest.fixture
def ec2(server):
    return server.client("ec2")


def default_vpc(ec2) -> str:
    return ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]


def vpc_with_subnet(ec2, cidr="10.1.0.0/16", subnet="10.1.1.0/24"):
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    sn = ec2.create_subnet(VpcId=vpc, CidrBlock=subnet)["Subnet"]["SubnetId"]
    return vpc, sn


# --------------------------------------------------------------------------
# Network ACLs
# --------------------------------------------------------------------------


def test_default_acl_allows_everything_and_covers_every_subnet(ec2):
    vpc = default_vpc(ec2)
    acls = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["true"]}])["NetworkAcls"]
    assert len(acls) == 1
    acl = acls[0]
    entries = [(e["Egress"], e["RuleNumber"], e["Protocol"], e["RuleAction"], e["CidrBlock"]) for e in acl["Entries"]]
    assert entries == [
        (True, 100, "-1", "allow", "0.0.0.0/0"),
        (True, 32767, "-1", "deny", "0.0.0.0/0"),
        (False, 100, "-1", "allow", "0.0.0.0/0"),
        (False, 32767, "-1", "deny", "0.0.0.0/0"),
    ]
    subnets = {s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]}
    assert {a["SubnetId"] for a in acl["Associations"]} == subnets
    assert all(a["NetworkAclAssociationId"].startswith("aclassoc-") for a in acl["Associations"])


def test_acl_lifecycle_entries_and_associations(ec2):
    vpc, subnet = vpc_with_subnet(ec2)
    default = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["true"]}])["NetworkAcls"][0]
    assert [a["SubnetId"] for a in default["Associations"]] == [subnet]

    acl = ec2.create_network_acl(VpcId=vpc, TagSpecifications=[{"ResourceType": "network-acl", "Tags": [{"Key": "Name", "Value": "web"}]}])["NetworkAcl"]
    acl_id = acl["NetworkAclId"]
    assert acl["IsDefault"] is False and acl["Associations"] == []
    assert [(e["RuleNumber"], e["RuleAction"]) for e in acl["Entries"]] == [(32767, "deny"), (32767, "deny")]

    ec2.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=100, Protocol="tcp", RuleAction="allow", Egress=False, CidrBlock="0.0.0.0/0", PortRange={"From": 443, "To": 443})
    ec2.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=110, Protocol="1", RuleAction="allow", Egress=False, CidrBlock="10.0.0.0/8", IcmpTypeCode={"Type": 8, "Code": -1})
    ec2.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=100, Protocol="-1", RuleAction="allow", Egress=True, CidrBlock="0.0.0.0/0")
    with pytest.raises(ClientError) as e:
        ec2.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=100, Protocol="-1", RuleAction="deny", Egress=False, CidrBlock="0.0.0.0/0")
    assert error(e) == ("NetworkAclEntryAlreadyExists", "The network acl entry identified by 100 already exists.")
    for bad in (0, 32767, 40000):
        with pytest.raises(ClientError) as e:
            ec2.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=bad, Protocol="-1", RuleAction="allow", Egress=False, CidrBlock="0.0.0.0/0")
        assert error(e)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        ec2.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=120, Protocol="tcp", RuleAction="allow", Egress=False, CidrBlock="0.0.0.0/0")
    assert error(e)[0] == "MissingParameter"
    with pytest.raises(ClientError) as e:
        ec2.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=120, Protocol="tcp", RuleAction="allow", Egress=False, CidrBlock="0.0.0.0/0", PortRange={"From": 90, "To": 80})
    assert error(e)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        ec2.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=120, Protocol="-1", RuleAction="maybe", Egress=False, CidrBlock="0.0.0.0/0")
    assert error(e)[0] == "InvalidParameterValue"

    ec2.replace_network_acl_entry(NetworkAclId=acl_id, RuleNumber=100, Protocol="6", RuleAction="deny", Egress=False, CidrBlock="192.0.2.0/24", PortRange={"From": 22, "To": 22})
    with pytest.raises(ClientError) as e:
        ec2.replace_network_acl_entry(NetworkAclId=acl_id, RuleNumber=200, Protocol="-1", RuleAction="deny", Egress=False, CidrBlock="0.0.0.0/0")
    assert error(e)[0] == "InvalidNetworkAclEntry.NotFound"
    ec2.delete_network_acl_entry(NetworkAclId=acl_id, RuleNumber=110, Egress=False)
    with pytest.raises(ClientError) as e:
        ec2.delete_network_acl_entry(NetworkAclId=acl_id, RuleNumber=110, Egress=False)
    assert error(e)[0] == "InvalidNetworkAclEntry.NotFound"
    got = ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"][0]
    ingress = [e for e in got["Entries"] if not e["Egress"]]
    assert [(e["RuleNumber"], e["Protocol"], e["RuleAction"], e.get("PortRange")) for e in ingress] == [
        (100, "6", "deny", {"From": 22, "To": 22}),
        (32767, "-1", "deny", None),
    ]
    assert got["Tags"] == [{"Key": "Name", "Value": "web"}]

    # Entry filters and association filters.
    found = ec2.describe_network_acls(Filters=[{"Name": "entry.port-range.from", "Values": ["22"]}])["NetworkAcls"]
    assert [a["NetworkAclId"] for a in found] == [acl_id]
    assert ec2.describe_network_acls(Filters=[{"Name": "entry.rule-action", "Values": ["allow"]}, {"Name": "vpc-id", "Values": [vpc]}])["NetworkAcls"][0]["NetworkAclId"] in (acl_id, default["NetworkAclId"])

    # Move the subnet to the new ACL; the default no longer lists it.
    assoc = default["Associations"][0]["NetworkAclAssociationId"]
    new_assoc = ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=acl_id)["NewAssociationId"]
    assert new_assoc.startswith("aclassoc-") and new_assoc != assoc
    by_subnet = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["NetworkAcls"]
    assert [a["NetworkAclId"] for a in by_subnet] == [acl_id]
    with pytest.raises(ClientError) as e:
        ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=acl_id)
    assert error(e)[0] == "InvalidAssociationID.NotFound"

    # Deletes refuse in AWS's ways.
    with pytest.raises(ClientError) as e:
        ec2.delete_network_acl(NetworkAclId=default["NetworkAclId"])
    assert error(e) == ("InvalidParameterValue", f"cannot delete default network ACL {default['NetworkAclId']}")
    with pytest.raises(ClientError) as e:
        ec2.delete_network_acl(NetworkAclId=acl_id)
    assert error(e) == ("DependencyViolation", f"The networkAcl '{acl_id}' has dependencies and cannot be deleted.")
    ec2.delete_subnet(SubnetId=subnet)
    assert ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"][0]["Associations"] == []
    with pytest.raises(ClientError) as e:
        ec2.delete_vpc(VpcId=vpc)
    assert error(e)[0] == "DependencyViolation"
    ec2.delete_network_acl(NetworkAclId=acl_id)
    with pytest.raises(ClientError) as e:
        ec2.describe_network_acls(NetworkAclIds=[acl_id])
    assert error(e) == ("InvalidNetworkAclID.NotFound", f"The networkAcl ID '{acl_id}' does not exist")
    ec2.delete_vpc(VpcId=vpc)
    assert ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkAcls"] == []


def test_new_subnets_join_the_default_acl(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.2.0.0/24")["Subnet"]["SubnetId"]
    default = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["NetworkAcls"]
    assert len(default) == 1 and default[0]["IsDefault"] and default[0]["NetworkAclId"] != acl


# --------------------------------------------------------------------------
# DHCP options
# --------------------------------------------------------------------------


def test_dhcp_options(ec2):
    vpc = default_vpc(ec2)
    current = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["DhcpOptionsId"]
    region_set = ec2.describe_dhcp_options(DhcpOptionsIds=[current])["DhcpOptions"][0]
    config = {c["Key"]: [v["Value"] for v in c["Values"]] for c in region_set["DhcpConfigurations"]}
    assert config == {"domain-name": ["ec2.internal"], "domain-name-servers": ["AmazonProvidedDNS"]}

    created = ec2.create_dhcp_options(
        DhcpConfigurations=[{"Key": "domain-name", "Values": ["corp.example.com"]}, {"Key": "domain-name-servers", "Values": ["10.0.0.2", "10.0.0.3"]}],
        TagSpecifications=[{"ResourceType": "dhcp-options", "Tags": [{"Key": "Name", "Value": "corp"}]}],
    )["DhcpOptions"]
    dopt = created["DhcpOptionsId"]
    assert dopt.startswith("dopt-") and created["Tags"] == [{"Key": "Name", "Value": "corp"}]
    with pytest.raises(ClientError) as e:
        ec2.create_dhcp_options(DhcpConfigurations=[{"Key": "domain-name-servers", "Values": ["not-an-ip"]}])
    assert error(e)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        ec2.create_dhcp_options(DhcpConfigurations=[{"Key": "router", "Values": ["10.0.0.1"]}])
    assert error(e)[0] == "InvalidParameterValue"

    other = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    ec2.associate_dhcp_options(DhcpOptionsId=dopt, VpcId=other)
    assert ec2.describe_vpcs(VpcIds=[other])["Vpcs"][0]["DhcpOptionsId"] == dopt
    assert [v["VpcId"] for v in ec2.describe_vpcs(Filters=[{"Name": "dhcp-options-id", "Values": [dopt]}])["Vpcs"]] == [other]
    found = ec2.describe_dhcp_options(Filters=[{"Name": "key", "Values": ["domain-name"]}, {"Name": "value", "Values": ["corp.*"]}])["DhcpOptions"]
    assert [d["DhcpOptionsId"] for d in found] == [dopt]
    with pytest.raises(ClientError) as e:
        ec2.delete_dhcp_options(DhcpOptionsId=dopt)
    assert error(e) == ("DependencyViolation", f"The dhcpOptions '{dopt}' has dependencies and cannot be deleted.")
    ec2.associate_dhcp_options(DhcpOptionsId="default", VpcId=other)
    assert ec2.describe_vpcs(VpcIds=[other])["Vpcs"][0]["DhcpOptionsId"] == "default"
    ec2.delete_dhcp_options(DhcpOptionsId=dopt)
    with pytest.raises(ClientError) as e:
        ec2.describe_dhcp_options(DhcpOptionsIds=[dopt])
    assert error(e) == ("InvalidDhcpOptionID.NotFound", f"The dhcpOption ID '{dopt}' does not exist")
    with pytest.raises(ClientError) as e:
        ec2.associate_dhcp_options(DhcpOptionsId=dopt, VpcId=other)
    assert error(e)[0] == "InvalidDhcpOptionID.NotFound"


def test_dhcp_domain_outside_us_east_1(server):
    ec2 = boto3.client("ec2", endpoint_url=server.url, region_name="eu-west-1", aws_access_key_id="test", aws_secret_access_key="test")
    dopt = ec2.describe_vpcs()["Vpcs"][0]["DhcpOptionsId"]
    cfg = ec2.describe_dhcp_options(DhcpOptionsIds=[dopt])["DhcpOptions"][0]["DhcpConfigurations"]
    assert {"Key": "domain-name", "Values": [{"Value": "eu-west-1.compute.internal"}]} in cfg


# --------------------------------------------------------------------------
# Egress-only internet gateways and routes
# --------------------------------------------------------------------------


def test_egress_only_gateway(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["VpcId"]
    gw = ec2.create_egress_only_internet_gateway(VpcId=vpc, TagSpecifications=[{"ResourceType": "egress-only-internet-gateway", "Tags": [{"Key": "k", "Value": "v"}]}])["EgressOnlyInternetGateway"]
    eigw = gw["EgressOnlyInternetGatewayId"]
    assert gw["Attachments"] == [{"State": "attached", "VpcId": vpc}]
    listed = ec2.describe_egress_only_internet_gateways(Filters=[{"Name": "tag:k", "Values": ["v"]}])["EgressOnlyInternetGateways"]
    assert [g["EgressOnlyInternetGatewayId"] for g in listed] == [eigw]
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationIpv6CidrBlock="::/0", EgressOnlyInternetGatewayId=eigw)
    routes = ec2.describe_route_tables(Filters=[{"Name": "route.egress-only-internet-gateway-id", "Values": [eigw]}])["RouteTables"]
    assert [r["RouteTableId"] for r in routes] == [rtb]
    v6 = [r for r in routes[0]["Routes"] if r.get("DestinationIpv6CidrBlock") == "::/0"][0]
    assert v6["EgressOnlyInternetGatewayId"] == eigw and v6["State"] == "active"
    with pytest.raises(ClientError) as e:
        ec2.delete_vpc(VpcId=vpc)
    assert error(e)[0] == "DependencyViolation"
    assert ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=eigw)["ReturnCode"] is True
    v6 = [r for r in ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["Routes"] if r.get("DestinationIpv6CidrBlock")][0]
    assert v6["State"] == "blackhole"
    with pytest.raises(ClientError) as e:
        ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=eigw)
    assert error(e) == ("InvalidGatewayID.NotFound", f"The eigw ID '{eigw}' does not exist")
    with pytest.raises(ClientError) as e:
        ec2.create_egress_only_internet_gateway(VpcId="vpc-00000000000000000")
    assert error(e)[0] == "InvalidVpcID.NotFound"


def test_replace_route_targets_and_blackholes(ec2):
    vpc, subnet = vpc_with_subnet(ec2, "10.6.0.0/16", "10.6.1.0/24")
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    with pytest.raises(ClientError) as e:
        ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    assert error(e)[0] == "InvalidParameterValue"  # not attached to this VPC
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    with pytest.raises(ClientError) as e:
        ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="10.99.0.0/16", NatGatewayId="nat-0123456789abcdef0")
    assert error(e)[0] == "InvalidNatGatewayID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="10.99.0.0/16", NetworkInterfaceId="eni-0123456789abcdef0")
    assert error(e)[0] == "InvalidNetworkInterfaceID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="10.99.0.0/16", VpcPeeringConnectionId="pcx-0123456789abcdef0")
    assert error(e)[0] == "InvalidVpcPeeringConnectionID.NotFound"

    # Peer with another VPC and send a block through the connection.
    peer = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=peer)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="10.7.0.0/16", VpcPeeringConnectionId=pcx)
    other = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    other_rtb = ec2.create_route_table(VpcId=other)["RouteTable"]["RouteTableId"]
    with pytest.raises(ClientError) as e:
        ec2.create_route(RouteTableId=other_rtb, DestinationCidrBlock="10.7.0.0/16", VpcPeeringConnectionId=pcx)
    assert error(e)[0] == "InvalidParameterValue"

    # ReplaceRoute: needs the route to exist; the local route stays.
    with pytest.raises(ClientError) as e:
        ec2.replace_route(RouteTableId=rtb, DestinationCidrBlock="10.50.0.0/16", GatewayId=igw)
    assert error(e)[0] == "InvalidRoute.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.replace_route(RouteTableId=rtb, DestinationCidrBlock="10.6.0.0/16", GatewayId=igw)
    assert error(e)[0] == "InvalidParameterValue"
    ec2.replace_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", VpcPeeringConnectionId=pcx)
    routes = {r["DestinationCidrBlock"]: r for r in ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["Routes"]}
    assert routes["0.0.0.0/0"]["VpcPeeringConnectionId"] == pcx and "GatewayId" not in routes["0.0.0.0/0"]
    ec2.replace_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)

    # Detaching the gateway and deleting the peering leave blackholes.
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    routes = {r["DestinationCidrBlock"]: r for r in ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["Routes"]}
    assert routes["0.0.0.0/0"]["State"] == "blackhole"
    assert routes["10.7.0.0/16"]["State"] == "blackhole"
    assert routes["10.6.0.0/16"]["State"] == "active"
    holes = ec2.describe_route_tables(Filters=[{"Name": "route.state", "Values": ["blackhole"]}])["RouteTables"]
    assert [r["RouteTableId"] for r in holes] == [rtb]
    by_pcx = ec2.describe_route_tables(Filters=[{"Name": "route.vpc-peering-connection-id", "Values": [pcx]}])["RouteTables"]
    assert [r["RouteTableId"] for r in by_pcx] == [rtb]
    assert ec2.describe_route_tables(Filters=[{"Name": "route.origin", "Values": ["CreateRoute"]}, {"Name": "vpc-id", "Values": [vpc]}])["RouteTables"][0]["RouteTableId"] == rtb


def test_replace_route_table_association_including_main(ec2):
    vpc, subnet = vpc_with_subnet(ec2, "10.9.0.0/16", "10.9.1.0/24")
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
    main_assoc = main["Associations"][0]["RouteTableAssociationId"]
    a = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    b = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    assoc = ec2.associate_route_table(RouteTableId=a, SubnetId=subnet)["AssociationId"]
    res = ec2.replace_route_table_association(AssociationId=assoc, RouteTableId=b)
    assert res["AssociationState"]["State"] == "associated"
    assert [x["RouteTableId"] for x in ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["RouteTables"]] == [b]
    with pytest.raises(ClientError) as e:
        ec2.replace_route_table_association(AssociationId=assoc, RouteTableId=b)
    assert error(e)[0] == "InvalidAssociationID.NotFound"

    # The main association moves to another table of the VPC.
    new_main = ec2.replace_route_table_association(AssociationId=main_assoc, RouteTableId=a)["NewAssociationId"]
    mains = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}])["RouteTables"]
    assert [m["RouteTableId"] for m in mains] == [a]
    assert mains[0]["Associations"][0]["RouteTableAssociationId"] == new_main
    ec2.delete_route_table(RouteTableId=main["RouteTableId"])  # no longer main, so it can go
    with pytest.raises(ClientError) as e:
        ec2.delete_route_table(RouteTableId=a)
    assert error(e)[0] == "DependencyViolation"
    other = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    foreign = ec2.create_route_table(VpcId=other)["RouteTable"]["RouteTableId"]
    with pytest.raises(ClientError) as e:
        ec2.replace_route_table_association(AssociationId=new_main, RouteTableId=foreign)
    assert error(e)[0] == "InvalidParameterValue"


# --------------------------------------------------------------------------
# Secondary CIDR blocks
# --------------------------------------------------------------------------


def test_secondary_cidr_blocks(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.11.0.0/16")["Vpc"]["VpcId"]
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    res = ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.12.0.0/16")
    assoc = res["CidrBlockAssociation"]["AssociationId"]
    assert res["CidrBlockAssociation"]["CidrBlockState"]["State"] == "associating" and res["VpcId"] == vpc
    described = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]
    blocks = [(c["CidrBlock"], c["CidrBlockState"]["State"]) for c in described["CidrBlockAssociationSet"]]
    assert blocks == [("10.11.0.0/16", "associated"), ("10.12.0.0/16", "associated")]
    assert described["CidrBlock"] == "10.11.0.0/16"
    assert [v["VpcId"] for v in ec2.describe_vpcs(Filters=[{"Name": "cidr-block-association.cidr-block", "Values": ["10.12.0.0/16"]}])["Vpcs"]] == [vpc]

    # Every route table of the VPC routes the new block locally.
    for t in ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]:
        local = sorted(r["DestinationCidrBlock"] for r in t["Routes"] if r.get("GatewayId") == "local")
        assert local == ["10.11.0.0/16", "10.12.0.0/16"], t["RouteTableId"]
    later = ec2.create_route_table(VpcId=vpc)["RouteTable"]
    assert sorted(r["DestinationCidrBlock"] for r in later["Routes"]) == ["10.11.0.0/16", "10.12.0.0/16"]

    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.12.5.0/24")["Subnet"]["SubnetId"]
    with pytest.raises(ClientError) as e:
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.13.0.0/24")
    assert error(e)[0] == "InvalidSubnet.Range"

    with pytest.raises(ClientError) as e:
        ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="192.168.0.0/16")
    code, msg = error(e)
    assert code == "InvalidVpc.Range" and msg.startswith("The CIDR '192.168.0.0/16' is restricted.")
    with pytest.raises(ClientError) as e:
        ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.12.128.0/17")
    assert error(e)[0] == "InvalidVpc.Range"
    with pytest.raises(ClientError) as e:
        ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.20.0.0/29")
    assert error(e) == ("InvalidVpc.Range", "The CIDR '10.20.0.0/29' is invalid.")
    ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="100.64.0.0/16")  # shared address space joins any VPC
    for n in (21, 22):
        ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock=f"10.{n}.0.0/16")
    with pytest.raises(ClientError) as e:
        ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.23.0.0/16")
    assert error(e) == ("CidrLimitExceeded", f"This network '{vpc}' has met its maximum number of allowed CIDRs: 5")

    primary = described["CidrBlockAssociationSet"][0]["AssociationId"]
    with pytest.raises(ClientError) as e:
        ec2.disassociate_vpc_cidr_block(AssociationId=primary)
    assert error(e)[0] == "OperationNotPermitted"
    with pytest.raises(ClientError) as e:
        ec2.disassociate_vpc_cidr_block(AssociationId=assoc)
    assert error(e)[0] == "DependencyViolation"
    ec2.delete_subnet(SubnetId=subnet)
    res = ec2.disassociate_vpc_cidr_block(AssociationId=assoc)
    assert res["CidrBlockAssociation"]["CidrBlockState"]["State"] == "disassociating"
    t = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]
    assert "10.12.0.0/16" not in [r.get("DestinationCidrBlock") for r in t["Routes"]]
    with pytest.raises(ClientError) as e:
        ec2.disassociate_vpc_cidr_block(AssociationId=assoc)
    assert error(e)[0] == "InvalidVpcCidrBlockAssociationID.NotFound"


# --------------------------------------------------------------------------
# Peering
# --------------------------------------------------------------------------


def test_peering_lifecycle(server_factory):
    # Its own server: the test moves the clock by days.
    server = server_factory(args=["--ephemeral", "--test-mode"])
    ec2 = server.client("ec2")
    account = server.client("sts").get_caller_identity()["Account"]
    a = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    b = ec2.create_vpc(CidrBlock="10.31.0.0/16")["Vpc"]["VpcId"]
    created = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b, TagSpecifications=[{"ResourceType": "vpc-peering-connection", "Tags": [{"Key": "Name", "Value": "a-b"}]}])["VpcPeeringConnection"]
    pcx = created["VpcPeeringConnectionId"]
    assert created["Status"] == {"Code": "initiating-request", "Message": f"Initiating Request to {account}"}
    assert created["RequesterVpcInfo"]["CidrBlock"] == "10.30.0.0/16" and created["AccepterVpcInfo"]["VpcId"] == b
    got = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0]
    assert got["Status"] == {"Code": "pending-acceptance", "Message": f"Pending Acceptance by {account}"}
    assert "ExpirationTime" in got and got["Tags"] == [{"Key": "Name", "Value": "a-b"}]
    ec2.get_waiter("vpc_peering_connection_exists").wait(VpcPeeringConnectionIds=[pcx])

    # The VPCs cannot go while the request is open.
    with pytest.raises(ClientError) as e:
        ec2.delete_vpc(VpcId=b)
    assert error(e)[0] == "DependencyViolation"

    accepted = ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)["VpcPeeringConnection"]
    assert accepted["Status"] == {"Code": "active", "Message": "Active"}
    assert accepted["AccepterVpcInfo"]["CidrBlock"] == "10.31.0.0/16"
    with pytest.raises(ClientError) as e:
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    assert error(e) == ("InvalidStateTransition", f"Invalid state transition for {pcx}, attempted to transition from active to active")
    with pytest.raises(ClientError) as e:
        ec2.reject_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    assert error(e)[0] == "InvalidStateTransition"
    opts = ec2.modify_vpc_peering_connection_options(VpcPeeringConnectionId=pcx, RequesterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True})
    assert opts["RequesterPeeringConnectionOptions"]["AllowDnsResolutionFromRemoteVpc"] is True
    info = ec2.describe_vpc_peering_connections(Filters=[{"Name": "status-code", "Values": ["active"]}, {"Name": "requester-vpc-info.vpc-id", "Values": [a]}])["VpcPeeringConnections"]
    assert [p["VpcPeeringConnectionId"] for p in info] == [pcx]
    assert info[0]["RequesterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"] is True

    assert ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)["Return"] is True
    gone = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0]
    assert gone["Status"] == {"Code": "deleted", "Message": f"Deleted by {account}"}
    with pytest.raises(ClientError) as e:
        ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    assert error(e)[0] == "InvalidStateTransition"
    ec2.delete_vpc(VpcId=b)

    # Deleted connections fade from view after two days.
    server.advance(3 * 24 * 3600)
    assert ec2.describe_vpc_peering_connections(Filters=[{"Name": "vpc-peering-connection-id", "Values": [pcx]}])["VpcPeeringConnections"] == []
    with pytest.raises(ClientError) as e:
        ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])
    assert error(e) == ("InvalidVpcPeeringConnectionID.NotFound", f"The vpcPeeringConnection ID '{pcx}' does not exist")


def test_peering_rejects_failures_and_expiry(server_factory):
    # Its own server: the test moves the clock by days.
    server = server_factory(args=["--ephemeral", "--test-mode"])
    ec2 = server.client("ec2")
    account = server.client("sts").get_caller_identity()["Account"]
    a = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    b = ec2.create_vpc(CidrBlock="10.41.0.0/16")["Vpc"]["VpcId"]
    overlapping = ec2.create_vpc(CidrBlock="10.40.128.0/17")["Vpc"]["VpcId"]
    failed = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=overlapping)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    status = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[failed])["VpcPeeringConnections"][0]["Status"]
    assert status["Code"] == "failed"
    with pytest.raises(ClientError) as e:
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=failed)
    assert error(e)[0] == "InvalidStateTransition"
    ec2.delete_vpc(VpcId=overlapping)  # a failed request holds nothing

    rejected = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    assert ec2.reject_vpc_peering_connection(VpcPeeringConnectionId=rejected)["Return"] is True
    got = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[rejected])["VpcPeeringConnections"][0]
    assert got["Status"] == {"Code": "rejected", "Message": f"Rejected by {account}"}

    pending = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    server.advance(8 * 24 * 3600)
    got = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pending])["VpcPeeringConnections"][0]
    assert got["Status"]["Code"] == "expired"
    with pytest.raises(ClientError) as e:
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pending)
    assert error(e)[0] in ("InvalidStateTransition", "InvalidVpcPeeringConnectionID.NotFound")
    with pytest.raises(ClientError) as e:
        ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId="vpc-00000000000000000")
    assert error(e)[0] == "InvalidVpcID.NotFound"


# --------------------------------------------------------------------------
# Flow logs
# --------------------------------------------------------------------------


def test_flow_logs(ec2):
    vpc, subnet = vpc_with_subnet(ec2, "10.50.0.0/16", "10.50.1.0/24")
    role = "arn:aws:iam::000000000000:role/flow-logs"
    res = ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogGroupName="vpc-flows", DeliverLogsPermissionArn=role)
    assert res["Unsuccessful"] == [] and len(res["FlowLogIds"]) == 1
    fl = res["FlowLogIds"][0]
    s3 = ec2.create_flow_logs(ResourceIds=[subnet], ResourceType="Subnet", TrafficType="REJECT", LogDestinationType="s3", LogDestination="arn:aws:s3:::flow-bucket/prefix/", MaxAggregationInterval=60)["FlowLogIds"][0]
    again = ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogGroupName="vpc-flows", DeliverLogsPermissionArn=role)
    assert again["FlowLogIds"] == [] and again["Unsuccessful"][0]["Error"]["Code"] == "FlowLogAlreadyExists"

    logs = {f["FlowLogId"]: f for f in ec2.describe_flow_logs()["FlowLogs"]}
    assert logs[fl]["ResourceId"] == vpc and logs[fl]["LogGroupName"] == "vpc-flows" and logs[fl]["LogDestinationType"] == "cloud-watch-logs"
    assert logs[fl]["FlowLogStatus"] == "ACTIVE" and logs[fl]["MaxAggregationInterval"] == 600 and "${srcaddr}" in logs[fl]["LogFormat"]
    assert logs[s3]["LogDestination"] == "arn:aws:s3:::flow-bucket/prefix/" and logs[s3]["TrafficType"] == "REJECT"
    assert [f["FlowLogId"] for f in ec2.describe_flow_logs(Filter=[{"Name": "resource-id", "Values": [subnet]}])["FlowLogs"]] == [s3]
    assert [f["FlowLogId"] for f in ec2.describe_flow_logs(Filter=[{"Name": "log-destination-type", "Values": ["s3"]}])["FlowLogs"]] == [s3]

    with pytest.raises(ClientError) as e:
        ec2.create_flow_logs(ResourceIds=["vpc-00000000000000000"], ResourceType="VPC", TrafficType="ALL", LogGroupName="g", DeliverLogsPermissionArn=role)
    assert error(e)[0] == "InvalidVpcID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogGroupName="g")
    assert error(e)[0] == "InvalidParameter"
    with pytest.raises(ClientError) as e:
        ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogDestinationType="s3", LogDestination="arn:aws:s3:::b", MaxAggregationInterval=120)
    assert error(e) == ("InvalidParameter", "Invalid Flow Log Max Aggregation Interval")

    res = ec2.delete_flow_logs(FlowLogIds=[fl, "fl-00000000000000000"])
    assert [u["ResourceId"] for u in res["Unsuccessful"]] == ["fl-00000000000000000"]
    # Deleting the subnet takes its flow log along.
    ec2.delete_subnet(SubnetId=subnet)
    assert ec2.describe_flow_logs()["FlowLogs"] == []


# --------------------------------------------------------------------------
# Persistence and the CLI
# --------------------------------------------------------------------------


def test_extras_survive_a_restart(server_factory):
    srv = server_factory()
    ec2 = srv.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=10, Protocol="-1", RuleAction="allow", Egress=False, CidrBlock="10.0.0.0/8")
    ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.61.0.0/16")
    dopt = ec2.create_dhcp_options(DhcpConfigurations=[{"Key": "domain-name", "Values": ["lab.internal"]}])["DhcpOptions"]["DhcpOptionsId"]
    srv.restart()
    ec2 = srv.client("ec2")
    rules = [e["RuleNumber"] for e in ec2.describe_network_acls(NetworkAclIds=[acl])["NetworkAcls"][0]["Entries"] if not e["Egress"]]
    assert rules == [10, 32767]
    assert len(ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["CidrBlockAssociationSet"]) == 2
    assert ec2.describe_dhcp_options(DhcpOptionsIds=[dopt])["DhcpOptions"][0]["DhcpOptionsId"] == dopt


def test_cli_flow(aws):
    vpc = aws("ec2", "create-vpc", "--cidr-block", "10.70.0.0/16")["Vpc"]["VpcId"]
    acl = aws("ec2", "create-network-acl", "--vpc-id", vpc)["NetworkAcl"]["NetworkAclId"]
    aws("ec2", "create-network-acl-entry", "--network-acl-id", acl, "--ingress", "--rule-number", "100", "--protocol", "tcp", "--port-range", "From=22,To=22", "--cidr-block", "203.0.113.0/24", "--rule-action", "allow")
    out = aws("ec2", "describe-network-acls", "--network-acl-ids", acl)
    ingress = [e for e in out["NetworkAcls"][0]["Entries"] if not e["Egress"]]
    assert ingress[0]["PortRange"] == {"From": 22, "To": 22} and ingress[0]["Protocol"] == "6"
    dopt = aws("ec2", "create-dhcp-options", "--dhcp-configurations", "Key=domain-name,Values=lab.internal")["DhcpOptions"]["DhcpOptionsId"]
    aws("ec2", "associate-dhcp-options", "--dhcp-options-id", dopt, "--vpc-id", vpc)
    assoc = aws("ec2", "associate-vpc-cidr-block", "--vpc-id", vpc, "--cidr-block", "10.71.0.0/16")["CidrBlockAssociation"]
    assert assoc["CidrBlock"] == "10.71.0.0/16"
    peer = aws("ec2", "create-vpc", "--cidr-block", "10.72.0.0/16")["Vpc"]["VpcId"]
    pcx = aws("ec2", "create-vpc-peering-connection", "--vpc-id", vpc, "--peer-vpc-id", peer)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    aws("ec2", "accept-vpc-peering-connection", "--vpc-peering-connection-id", pcx)
    out = aws("ec2", "describe-vpc-peering-connections", "--filters", "Name=status-code,Values=active")
    assert [p["VpcPeeringConnectionId"] for p in out["VpcPeeringConnections"]] == [pcx]
