//! Network interfaces: private addresses from their subnet, security groups,
//! secondary addresses, and the public address an interface may hold.

use stratus_core::{AwsError, RequestContext};
use stratus_protocol::Timestamp;

use super::{
    check_id, dry_run, invalid, not_found, page, spec_tags, subnets::subnet_or_err, wire_tags,
};
use crate::Ec2;
use crate::cidr::Cidr;
use crate::filters::{Filterable, matches};
use crate::generated::*;
use crate::state::{EniAttachment, EniRec, PublicIpRec, RegionState, Tags, new_id};

/// `ip-10-0-1-4.ec2.internal` in us-east-1, `ip-...REGION.compute.internal` elsewhere.
pub fn private_dns(ip: &str, region: &str) -> String {
    let host = format!("ip-{}", ip.replace('.', "-"));
    if region == "us-east-1" {
        format!("{host}.ec2.internal")
    } else {
        format!("{host}.{region}.compute.internal")
    }
}

/// `ec2-192-0-2-1.compute-1.amazonaws.com` in us-east-1, `...REGION.compute.amazonaws.com` elsewhere.
pub fn public_dns(ip: &str, region: &str) -> String {
    let host = format!("ec2-{}", ip.replace('.', "-"));
    if region == "us-east-1" {
        format!("{host}.compute-1.amazonaws.com")
    } else {
        format!("{host}.{region}.compute.amazonaws.com")
    }
}

/// The attachment AWS gives interfaces it manages for a service (no instance).
pub fn service_attachment(now: i64) -> EniAttachment {
    EniAttachment {
        id: new_id("ela-attach"),
        instance: String::new(),
        device_index: 1,
        delete_on_termination: false,
        attached_at: now,
    }
}

pub fn eni_or_err<'a>(s: &'a RegionState, id: &str) -> Result<&'a EniRec, AwsError> {
    check_id(id, "eni", "InvalidNetworkInterfaceID.Malformed")?;
    s.enis
        .get(id)
        .ok_or_else(|| not_found("InvalidNetworkInterfaceID.NotFound", "networkInterface", id))
}

/// The public address on one private address of an interface, if any: the
/// primary's is on the interface, a secondary's is an Elastic IP.
pub fn public_on(s: &RegionState, e: &EniRec, private_ip: &str) -> Option<PublicIpRec> {
    if private_ip == e.private_ip {
        return e.public_ip.clone();
    }
    s.addresses
        .values()
        .find(|a| {
            a.eni.as_deref() == Some(e.id.as_str()) && a.private_ip.as_deref() == Some(private_ip)
        })
        .map(|a| PublicIpRec {
            ip: a.ip.clone(),
            allocation: Some(a.allocation.clone()),
            association: a.association.clone(),
        })
}

/// Security groups for an interface: the VPC's default when none are given;
/// every group must exist and be in the interface's VPC.
pub fn groups_for(
    s: &RegionState,
    vpc: &str,
    subnet: &str,
    asked: Option<&Vec<String>>,
) -> Result<Vec<String>, AwsError> {
    let Some(asked) = asked.filter(|a| !a.is_empty()) else {
        return Ok(s
            .sgs
            .values()
            .find(|g| g.vpc == vpc && g.name == "default")
            .map(|g| vec![g.id.clone()])
            .unwrap_or_default());
    };
    let mut out = Vec::new();
    for id in asked {
        let g = super::security::group_or_err(s, id)?;
        if g.vpc != vpc {
            return Err(AwsError::bad_request(
                "InvalidParameter",
                format!("Security group {id} and subnet {subnet} belong to different networks."),
            ));
        }
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    Ok(out)
}

/// Checks an address a caller names for a subnet: inside it, not reserved, free.
pub fn check_ip(s: &RegionState, subnet: &str, ip: &str) -> Result<(), AwsError> {
    if s.ip_usable(subnet, ip) {
        return Ok(());
    }
    let cidr = s.subnets.get(subnet).and_then(|x| Cidr::parse(&x.cidr));
    let addr = ip.parse::<std::net::Ipv4Addr>().ok().map(u32::from);
    match (cidr, addr) {
        (_, None) => Err(invalid(format!(
            "Value ({ip}) for parameter privateIpAddress is invalid. This is not a valid IP address."
        ))),
        (Some(c), Some(a))
            if (a as u64) >= c.base as u64 && (a as u64) < c.base as u64 + c.size() =>
        {
            let host = a as u64 >= c.base as u64 + 4 && (a as u64) < c.base as u64 + c.size() - 1;
            if host {
                Err(AwsError::bad_request(
                    "InvalidIPAddress.InUse",
                    format!("Address {ip} is in use."),
                ))
            } else {
                Err(invalid(format!(
                    "Address {ip} is in subnet's reserved address range"
                )))
            }
        }
        _ => Err(invalid(format!(
            "Address {ip} does not fall within the subnet's address range"
        ))),
    }
}

/// Gives an interface one more secondary address (the named one, already
/// checked, or the lowest free) and counts it against the subnet.
pub fn add_secondary(s: &mut RegionState, eni: &str, ip: Option<String>) -> Option<String> {
    let subnet = s.enis.get(eni)?.subnet.clone();
    let ip = match ip {
        Some(ip) => ip,
        None => s.free_ip(&subnet)?,
    };
    s.enis.get_mut(eni)?.secondary_ips.push(ip.clone());
    if let Some(sn) = s.subnets.get_mut(&subnet) {
        sn.used += 1;
    }
    Some(ip)
}

fn insufficient(subnet: &str) -> AwsError {
    AwsError::bad_request(
        "InsufficientFreeAddressesInSubnet",
        format!(
            "There are not enough free addresses in subnet '{subnet}' to satisfy the requested number of addresses."
        ),
    )
}

struct EniView<'a> {
    e: &'a EniRec,
    s: &'a RegionState,
    owner: &'a str,
    region: &'a str,
}

impl Filterable for EniView<'_> {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        let e = self.e;
        let att = e.attachment.as_ref();
        let publics: Vec<PublicIpRec> = std::iter::once(&e.private_ip)
            .chain(&e.secondary_ips)
            .filter_map(|ip| public_on(self.s, e, ip))
            .collect();
        Some(match name {
            "network-interface-id" => vec![e.id.clone()],
            "subnet-id" => vec![e.subnet.clone()],
            "vpc-id" => vec![e.vpc.clone()],
            "availability-zone" => vec![e.az.clone()],
            "status" => vec![status(e).to_string()],
            "attachment.instance-id" => att
                .filter(|a| !a.instance.is_empty())
                .map(|a| a.instance.clone())
                .into_iter()
                .collect(),
            "attachment.device-index" => att
                .map(|a| a.device_index.to_string())
                .into_iter()
                .collect(),
            "attachment.attachment-id" => att.map(|a| a.id.clone()).into_iter().collect(),
            "attachment.status" => att.map(|_| "attached".to_string()).into_iter().collect(),
            "attachment.delete-on-termination" => att
                .map(|a| a.delete_on_termination.to_string())
                .into_iter()
                .collect(),
            "attachment.instance-owner-id" => att
                .map(|a| instance_owner(a, self.owner))
                .into_iter()
                .collect(),
            "private-ip-address" | "addresses.private-ip-address" => std::iter::once(&e.private_ip)
                .chain(&e.secondary_ips)
                .cloned()
                .collect(),
            "addresses.primary" => std::iter::once("true".to_string())
                .chain(e.secondary_ips.first().map(|_| "false".to_string()))
                .collect(),
            "private-dns-name" => vec![private_dns(&e.private_ip, self.region)],
            "group-id" => e.groups.clone(),
            "group-name" => e
                .groups
                .iter()
                .filter_map(|g| self.s.sgs.get(g).map(|g| g.name.clone()))
                .collect(),
            "interface-type" => vec![e.kind.clone()],
            "requester-managed" => vec![e.requester_managed.to_string()],
            "requester-id" => e.requester_id().into_iter().collect(),
            "source-dest-check" => vec![e.source_dest_check.to_string()],
            "association.public-ip" | "addresses.association.public-ip" => {
                publics.iter().map(|p| p.ip.clone()).collect()
            }
            "association.allocation-id" => publics
                .iter()
                .filter_map(|p| p.allocation.clone())
                .collect(),
            "association.association-id" => publics
                .iter()
                .filter_map(|p| p.association.clone())
                .collect(),
            "association.ip-owner-id" => publics.iter().map(|p| ip_owner(p, self.owner)).collect(),
            "association.public-dns-name" => publics
                .iter()
                .map(|p| public_dns(&p.ip, self.region))
                .collect(),
            "description" => vec![e.description.clone()],
            "mac-address" => vec![e.mac.clone()],
            "owner-id" => vec![self.owner.to_string()],
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &self.e.tags
    }
}

fn status(e: &EniRec) -> &'static str {
    if e.attachment.is_some() {
        "in-use"
    } else {
        "available"
    }
}

fn instance_owner(a: &EniAttachment, owner: &str) -> String {
    if a.instance.is_empty() {
        "amazon-aws".into()
    } else {
        owner.to_string()
    }
}

fn ip_owner(p: &PublicIpRec, owner: &str) -> String {
    if p.allocation.is_some() {
        owner.to_string()
    } else {
        "amazon".into()
    }
}

fn association_out(p: &PublicIpRec, owner: &str, region: &str) -> NetworkInterfaceAssociation {
    NetworkInterfaceAssociation {
        allocation_id: p.allocation.clone(),
        association_id: p.association.clone(),
        ip_owner_id: Some(ip_owner(p, owner)),
        public_dns_name: Some(public_dns(&p.ip, region)),
        public_ip: Some(p.ip.clone()),
        ..Default::default()
    }
}

pub fn group_ids_out(s: &RegionState, groups: &[String]) -> Vec<GroupIdentifier> {
    groups
        .iter()
        .map(|g| GroupIdentifier {
            group_id: Some(g.clone()),
            group_name: s.sgs.get(g).map(|x| x.name.clone()),
        })
        .collect()
}

fn attachment_out(a: &EniAttachment, owner: &str) -> NetworkInterfaceAttachment {
    NetworkInterfaceAttachment {
        attach_time: Some(Timestamp(a.attached_at)),
        attachment_id: Some(a.id.clone()),
        delete_on_termination: Some(a.delete_on_termination),
        device_index: Some(a.device_index),
        network_card_index: Some(0),
        instance_id: (!a.instance.is_empty()).then(|| a.instance.clone()),
        instance_owner_id: Some(instance_owner(a, owner)),
        status: Some("attached".into()),
        ..Default::default()
    }
}

pub fn eni_out(e: &EniRec, s: &RegionState, owner: &str, region: &str) -> NetworkInterface {
    let addrs = std::iter::once((&e.private_ip, true))
        .chain(e.secondary_ips.iter().map(|ip| (ip, false)))
        .map(|(ip, primary)| NetworkInterfacePrivateIpAddress {
            association: public_on(s, e, ip).map(|p| association_out(&p, owner, region)),
            primary: Some(primary),
            private_dns_name: Some(private_dns(ip, region)),
            private_ip_address: Some(ip.clone()),
        })
        .collect();
    NetworkInterface {
        association: e
            .public_ip
            .as_ref()
            .map(|p| association_out(p, owner, region)),
        attachment: e.attachment.as_ref().map(|a| attachment_out(a, owner)),
        availability_zone: Some(e.az.clone()),
        availability_zone_id: s.subnets.get(&e.subnet).map(|x| x.az_id.clone()),
        description: Some(e.description.clone()),
        groups: Some(group_ids_out(s, &e.groups)),
        interface_type: Some(e.kind.clone()),
        ipv6_addresses: Some(vec![]),
        mac_address: Some(e.mac.clone()),
        network_interface_id: Some(e.id.clone()),
        owner_id: Some(owner.to_string()),
        private_dns_name: Some(private_dns(&e.private_ip, region)),
        public_dns_name: e.public_ip.as_ref().map(|p| public_dns(&p.ip, region)),
        private_ip_address: Some(e.private_ip.clone()),
        private_ip_addresses: Some(addrs),
        requester_id: e.requester_id(),
        requester_managed: Some(e.requester_managed),
        source_dest_check: Some(e.source_dest_check),
        status: Some(status(e).into()),
        subnet_id: Some(e.subnet.clone()),
        tag_set: Some(wire_tags(&e.tags).unwrap_or_default()),
        vpc_id: Some(e.vpc.clone()),
        deny_all_igw_traffic: Some(false),
        ipv6_native: Some(false),
        ..Default::default()
    }
}

/// The primary and secondary addresses a create call names, in order.
fn named_ips(i: &CreateNetworkInterfaceRequest) -> Result<(Option<String>, Vec<String>), AwsError> {
    let mut primary = i.private_ip_address.clone();
    let mut secondary = Vec::new();
    for spec in i.private_ip_addresses.iter().flatten() {
        let Some(ip) = spec.private_ip_address.clone() else {
            continue;
        };
        if spec.primary == Some(true) {
            if primary.as_ref().is_some_and(|p| p != &ip) {
                return Err(AwsError::bad_request(
                    "InvalidParameterCombination",
                    "Multiple primary addresses specified",
                ));
            }
            primary = Some(ip);
        } else if primary.as_ref() != Some(&ip) && !secondary.contains(&ip) {
            secondary.push(ip);
        }
    }
    Ok((primary, secondary))
}

pub fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CreateNetworkInterfaceRequest,
) -> Result<CreateNetworkInterfaceResult, AwsError> {
    let tags = spec_tags(&i.tag_specifications, "network-interface")?;
    let kind = i
        .interface_type
        .clone()
        .unwrap_or_else(|| "interface".into());
    if !["interface", "efa", "efa-only", "trunk"].contains(&kind.as_str()) {
        return Err(invalid(format!(
            "Value ({kind}) for parameter interfaceType is invalid."
        )));
    }
    let (primary, secondary) = named_ips(&i)?;
    let count = i.secondary_private_ip_address_count.unwrap_or(0);
    if count < 0 {
        return Err(invalid(format!(
            "Value ({count}) for parameter secondaryPrivateIpAddressCount is invalid."
        )));
    }
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let sn = subnet_or_err(&s, &i.subnet_id)?;
    let (vpc, subnet, cidr) = (sn.vpc.clone(), sn.id.clone(), sn.cidr.clone());
    let groups = groups_for(&s, &vpc, &subnet, i.groups.as_ref())?;
    for ip in primary.iter().chain(&secondary) {
        check_ip(&s, &subnet, ip)?;
    }
    let wanted = 1 + secondary.len() as u64 + count as u64;
    let left = Cidr::parse(&cidr).map_or(0, |c| c.usable()) - s.subnets[&subnet].used as u64;
    if wanted > left {
        return Err(insufficient(&subnet));
    }
    dry_run(i.dry_run)?;
    let eni = EniRec {
        subnet: subnet.clone(),
        description: i.description.clone().unwrap_or_default(),
        kind,
        groups,
        source_dest_check: true,
        secondary_ips: secondary,
        tags,
        ..Default::default()
    };
    let id = s
        .add_eni(eni, primary)
        .ok_or_else(|| insufficient(&subnet))?;
    for _ in 0..count {
        add_secondary(&mut s, &id, None).ok_or_else(|| insufficient(&subnet))?;
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(CreateNetworkInterfaceResult {
        network_interface: Some(eni_out(&s.enis[&id], &s, ctx.account_id(), &ctx.region)),
        client_token: i.client_token,
    })
}

pub fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeNetworkInterfacesRequest,
) -> Result<DescribeNetworkInterfacesResult, AwsError> {
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    if let Some(ids) = &i.network_interface_ids {
        for id in ids {
            eni_or_err(&s, id)?;
        }
    }
    let filters = i.filters.clone().unwrap_or_default();
    let mut res = Vec::new();
    for e in s.enis.values() {
        if i.network_interface_ids
            .as_ref()
            .is_some_and(|ids| !ids.contains(&e.id))
        {
            continue;
        }
        let view = EniView {
            e,
            s: &s,
            owner: ctx.account_id(),
            region: &ctx.region,
        };
        if matches(&view, &filters)? {
            res.push(eni_out(e, &s, ctx.account_id(), &ctx.region));
        }
    }
    let (network_interfaces, next_token) = page(res, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeNetworkInterfacesResult {
        network_interfaces: Some(network_interfaces),
        next_token,
    })
}

pub fn delete(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DeleteNetworkInterfaceRequest,
) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let e = eni_or_err(&s, &i.network_interface_id)?;
    if e.attachment.is_some() {
        return Err(AwsError::bad_request(
            "InvalidNetworkInterface.InUse",
            format!("Interface: [{}] in use.", e.id),
        ));
    }
    dry_run(i.dry_run)?;
    s.remove_eni(&i.network_interface_id);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn modify_attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: ModifyNetworkInterfaceAttributeRequest,
) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let e = eni_or_err(&s, &i.network_interface_id)?;
    let description = i
        .description
        .as_ref()
        .map(|d| d.value.clone().unwrap_or_default());
    let sdc = i.source_dest_check.as_ref().and_then(|b| b.value);
    let groups = match &i.groups {
        Some(g) if g.is_empty() => {
            return Err(invalid(
                "Value () for parameter groupId is invalid. The value cannot be empty",
            ));
        }
        Some(g) => Some(groups_for(&s, &e.vpc, &e.subnet, Some(g))?),
        None => None,
    };
    let given = [description.is_some(), sdc.is_some(), groups.is_some()];
    if !given.iter().any(|g| *g) && i.attachment.is_none() {
        return Err(AwsError::bad_request(
            "MissingParameter",
            "The request must contain one of the parameters: description, sourceDestCheck, groupSet, attachment",
        ));
    }
    if i.attachment.is_some() && e.attachment.is_none() {
        return Err(AwsError::bad_request(
            "InvalidAttachmentID.NotFound",
            format!("Interface {} is not attached", e.id),
        ));
    }
    dry_run(i.dry_run)?;
    let Some(e) = s.enis.get_mut(&i.network_interface_id) else {
        return Ok(());
    };
    if let Some(d) = description {
        e.description = d;
    }
    if let Some(b) = sdc {
        e.source_dest_check = b;
    }
    if let Some(g) = groups {
        e.groups = g;
    }
    if let (Some(ch), Some(a)) = (&i.attachment, e.attachment.as_mut()) {
        if let Some(d) = ch.delete_on_termination {
            a.delete_on_termination = d;
        }
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn describe_attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeNetworkInterfaceAttributeRequest,
) -> Result<DescribeNetworkInterfaceAttributeResult, AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    let e = eni_or_err(&s, &i.network_interface_id)?;
    let attr = i.attribute.clone().ok_or_else(|| {
        AwsError::bad_request(
            "MissingParameter",
            "The request must contain the parameter attribute",
        )
    })?;
    dry_run(i.dry_run)?;
    let mut out = DescribeNetworkInterfaceAttributeResult {
        network_interface_id: Some(e.id.clone()),
        ..Default::default()
    };
    match attr.as_str() {
        "description" => {
            out.description = Some(AttributeValue {
                value: Some(e.description.clone()),
            })
        }
        "groupSet" => out.groups = Some(group_ids_out(&s, &e.groups)),
        "sourceDestCheck" => {
            out.source_dest_check = Some(AttributeBooleanValue {
                value: Some(e.source_dest_check),
            })
        }
        "attachment" => {
            out.attachment = e
                .attachment
                .as_ref()
                .map(|a| attachment_out(a, ctx.account_id()))
        }
        "associatePublicIpAddress" => {
            out.associate_public_ip_address =
                Some(e.public_ip.as_ref().is_some_and(|p| p.allocation.is_none()))
        }
        other => {
            return Err(invalid(format!(
                "Value ({other}) for parameter attribute is invalid. Unknown attribute."
            )));
        }
    }
    Ok(out)
}

pub fn assign(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: AssignPrivateIpAddressesRequest,
) -> Result<AssignPrivateIpAddressesResult, AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let e = eni_or_err(&s, &i.network_interface_id)?;
    let (eni, subnet) = (e.id.clone(), e.subnet.clone());
    let named = i.private_ip_addresses.clone().unwrap_or_default();
    let count = i.secondary_private_ip_address_count.unwrap_or(0);
    if named.is_empty() && count <= 0 {
        return Err(AwsError::bad_request(
            "MissingParameter",
            "Either 'privateIpAddresses' or 'secondaryPrivateIpAddressCount' should be provided.",
        ));
    }
    if !named.is_empty() && count > 0 {
        return Err(AwsError::bad_request(
            "InvalidParameterCombination",
            "Only one of 'privateIpAddresses' or 'secondaryPrivateIpAddressCount' may be provided.",
        ));
    }
    // With AllowReassignment an address may move here from another
    // interface's secondaries in the same subnet.
    let mut moves = Vec::new();
    for ip in &named {
        let holder = s
            .enis
            .values()
            .find(|x| x.subnet == subnet && x.id != eni && x.secondary_ips.iter().any(|a| a == ip));
        match holder {
            Some(h) if i.allow_reassignment == Some(true) => moves.push((h.id.clone(), ip.clone())),
            _ => check_ip(&s, &subnet, ip)?,
        }
    }
    let left = s.subnets.get(&subnet).map_or(0, |x| {
        Cidr::parse(&x.cidr).map_or(0, |c| c.usable() as i64) - x.used as i64
    });
    if (count as i64) > left {
        return Err(insufficient(&subnet));
    }
    for (from, ip) in moves {
        release_secondary(&mut s, &from, &ip);
    }
    let mut assigned = Vec::new();
    for ip in named {
        assigned.extend(add_secondary(&mut s, &eni, Some(ip)));
    }
    for _ in 0..count {
        assigned.push(add_secondary(&mut s, &eni, None).ok_or_else(|| insufficient(&subnet))?);
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(AssignPrivateIpAddressesResult {
        network_interface_id: Some(eni),
        assigned_private_ip_addresses: Some(
            assigned
                .into_iter()
                .map(|ip| AssignedPrivateIpAddress {
                    private_ip_address: Some(ip),
                })
                .collect(),
        ),
        assigned_ipv4_prefixes: Some(vec![]),
    })
}

/// Takes a secondary address off an interface, unmapping any Elastic IP on it.
fn release_secondary(s: &mut RegionState, eni: &str, ip: &str) {
    let allocs: Vec<String> = s
        .addresses
        .values()
        .filter(|a| a.eni.as_deref() == Some(eni) && a.private_ip.as_deref() == Some(ip))
        .map(|a| a.allocation.clone())
        .collect();
    for a in allocs {
        super::addresses::unmap(s, &a);
    }
    let Some(e) = s.enis.get_mut(eni) else {
        return;
    };
    let before = e.secondary_ips.len();
    e.secondary_ips.retain(|x| x != ip);
    let gone = (before - e.secondary_ips.len()) as u32;
    let subnet = e.subnet.clone();
    if let Some(sn) = s.subnets.get_mut(&subnet) {
        sn.used = sn.used.saturating_sub(gone);
    }
}

pub fn unassign(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: UnassignPrivateIpAddressesRequest,
) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let e = eni_or_err(&s, &i.network_interface_id)?;
    let ips = i.private_ip_addresses.clone().unwrap_or_default();
    if ips.is_empty() {
        return Err(AwsError::bad_request(
            "MissingParameter",
            "The request must contain the parameter privateIpAddress",
        ));
    }
    if let Some(bad) = ips.iter().find(|ip| !e.secondary_ips.contains(ip)) {
        return Err(invalid(format!(
            "Some of the specified addresses are not assigned to interface {}: {bad}",
            e.id
        )));
    }
    let eni = e.id.clone();
    for ip in &ips {
        release_secondary(&mut s, &eni, ip);
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region() -> (RegionState, String) {
        let s = RegionState::with_defaults("us-east-1");
        let subnet = s.subnets.values().next().unwrap().id.clone();
        (s, subnet)
    }

    #[test]
    fn dns_names_follow_the_region() {
        assert_eq!(
            private_dns("10.0.1.4", "us-east-1"),
            "ip-10-0-1-4.ec2.internal"
        );
        assert_eq!(
            private_dns("10.0.1.4", "eu-west-1"),
            "ip-10-0-1-4.eu-west-1.compute.internal"
        );
        assert_eq!(
            public_dns("192.0.2.1", "us-east-1"),
            "ec2-192-0-2-1.compute-1.amazonaws.com"
        );
    }

    #[test]
    fn named_addresses_are_checked() {
        let (mut s, subnet) = region();
        let first = s.free_ip(&subnet).unwrap();
        s.add_eni(
            EniRec {
                subnet: subnet.clone(),
                ..Default::default()
            },
            None,
        );
        let code = |r: Result<(), AwsError>| r.unwrap_err().code;
        assert_eq!(
            code(check_ip(&s, &subnet, &first)),
            "InvalidIPAddress.InUse"
        );
        let base = first.rsplit_once('.').unwrap().0;
        assert_eq!(
            code(check_ip(&s, &subnet, &format!("{base}.1"))),
            "InvalidParameterValue"
        );
        assert_eq!(
            code(check_ip(&s, &subnet, "10.9.9.9")),
            "InvalidParameterValue"
        );
        assert!(check_ip(&s, &subnet, &format!("{base}.9")).is_ok());
    }

    #[test]
    fn secondaries_count_against_the_subnet() {
        let (mut s, subnet) = region();
        let id = s
            .add_eni(
                EniRec {
                    subnet: subnet.clone(),
                    ..Default::default()
                },
                None,
            )
            .unwrap();
        let ip = add_secondary(&mut s, &id, None).unwrap();
        assert_eq!(s.subnets[&subnet].used, 2);
        assert!(!s.ip_usable(&subnet, &ip));
        release_secondary(&mut s, &id, &ip);
        assert_eq!(s.subnets[&subnet].used, 1);
        assert!(s.ip_usable(&subnet, &ip));
        s.remove_eni(&id);
        assert_eq!(s.subnets[&subnet].used, 0);
    }

    #[test]
    fn default_group_when_none_asked() {
        let (s, subnet) = region();
        let vpc = s.subnets[&subnet].vpc.clone();
        let g = groups_for(&s, &vpc, &subnet, None).unwrap();
        assert_eq!(s.sgs[&g[0]].name, "default");
    }
}
