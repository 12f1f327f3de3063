//! Elastic IPs: allocated to the account, associated with a private address
//! of an interface (an instance's primary interface, or one named).

use stratus_core::{AwsError, RequestContext};

use super::enis::eni_or_err;
use super::{check_id, dry_run, invalid, page, spec_tags, wire_tags};
use crate::Ec2;
use crate::filters::{Filterable, matches};
use crate::generated::*;
use crate::state::{AddressRec, PublicIpRec, RegionState, Tags, new_id};

fn alloc_not_found(id: &str) -> AwsError {
    AwsError::bad_request(
        "InvalidAllocationID.NotFound",
        format!("The allocation ID '{id}' does not exist"),
    )
}

fn address_not_found(ip: &str) -> AwsError {
    AwsError::bad_request(
        "InvalidAddress.NotFound",
        format!("Address '{ip}' not found."),
    )
}

pub fn address_or_err<'a>(s: &'a RegionState, id: &str) -> Result<&'a AddressRec, AwsError> {
    check_id(id, "eipalloc", "InvalidAllocationID.Malformed")?;
    s.addresses.get(id).ok_or_else(|| alloc_not_found(id))
}

fn by_ip<'a>(s: &'a RegionState, ip: &str) -> Option<&'a AddressRec> {
    s.addresses.values().find(|a| a.ip == ip)
}

/// The instance an address reaches through its interface, if any.
fn instance_of(s: &RegionState, a: &AddressRec) -> Option<String> {
    let e = s.enis.get(a.eni.as_deref()?)?;
    e.attachment
        .as_ref()
        .filter(|x| !x.instance.is_empty())
        .map(|x| x.instance.clone())
}

/// Takes an Elastic IP off whatever it is associated with; it stays allocated.
/// An interface's auto-assigned public address does not come back, as on AWS.
pub fn unmap(s: &mut RegionState, allocation: &str) {
    let Some(a) = s.addresses.get_mut(allocation) else {
        return;
    };
    let eni = a.eni.take();
    a.private_ip = None;
    a.association = None;
    if let Some(e) = eni.and_then(|id| s.enis.get_mut(&id)) {
        if e.public_ip
            .as_ref()
            .is_some_and(|p| p.allocation.as_deref() == Some(allocation))
        {
            e.public_ip = None;
        }
    }
}

/// Associates an Elastic IP with one private address of an interface, taking
/// off whatever public address that private address had. Returns the
/// association id.
pub fn map(s: &mut RegionState, allocation: &str, eni: &str, private_ip: &str) -> String {
    unmap(s, allocation);
    let previous: Vec<String> = s
        .addresses
        .values()
        .filter(|a| a.eni.as_deref() == Some(eni) && a.private_ip.as_deref() == Some(private_ip))
        .map(|a| a.allocation.clone())
        .collect();
    for p in previous {
        unmap(s, &p);
    }
    let assoc = new_id("eipassoc");
    let Some(a) = s.addresses.get_mut(allocation) else {
        return assoc;
    };
    a.eni = Some(eni.to_string());
    a.private_ip = Some(private_ip.to_string());
    a.association = Some(assoc.clone());
    let rec = PublicIpRec {
        ip: a.ip.clone(),
        allocation: Some(allocation.to_string()),
        association: Some(assoc.clone()),
    };
    if let Some(e) = s.enis.get_mut(eni) {
        if e.private_ip == private_ip {
            e.public_ip = Some(rec);
        }
    }
    assoc
}

struct AddrView<'a> {
    a: &'a AddressRec,
    instance: Option<String>,
    owner: &'a str,
}

impl Filterable for AddrView<'_> {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        let a = self.a;
        Some(match name {
            "allocation-id" => vec![a.allocation.clone()],
            "association-id" => a.association.iter().cloned().collect(),
            "domain" => vec!["vpc".into()],
            "instance-id" => self.instance.iter().cloned().collect(),
            "network-interface-id" => a.eni.iter().cloned().collect(),
            "network-interface-owner-id" => a.eni.iter().map(|_| self.owner.to_string()).collect(),
            "private-ip-address" => a.private_ip.iter().cloned().collect(),
            "public-ip" => vec![a.ip.clone()],
            "network-border-group" => vec![a.border_group.clone()],
            "public-ipv4-pool" => vec!["amazon".into()],
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &self.a.tags
    }
}

fn out(s: &RegionState, a: &AddressRec, owner: &str) -> Address {
    Address {
        allocation_id: Some(a.allocation.clone()),
        association_id: a.association.clone(),
        domain: Some("vpc".into()),
        network_interface_id: a.eni.clone(),
        network_interface_owner_id: a.eni.as_ref().map(|_| owner.to_string()),
        private_ip_address: a.private_ip.clone(),
        tags: wire_tags(&a.tags),
        public_ipv4_pool: Some("amazon".into()),
        network_border_group: Some(a.border_group.clone()),
        instance_id: instance_of(s, a),
        public_ip: Some(a.ip.clone()),
        ..Default::default()
    }
}

pub fn allocate(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: AllocateAddressRequest,
) -> Result<AllocateAddressResult, AwsError> {
    let tags = spec_tags(&i.tag_specifications, "elastic-ip")?;
    if let Some(d) = i
        .domain
        .as_deref()
        .filter(|d| *d != "vpc" && *d != "standard")
    {
        return Err(invalid(format!(
            "Value ({d}) for parameter domain is invalid."
        )));
    }
    if let Some(g) = i
        .network_border_group
        .as_deref()
        .filter(|g| *g != ctx.region)
    {
        return Err(invalid(format!(
            "The network border group '{g}' is invalid."
        )));
    }
    if let Some(ip) = &i.address {
        // Only addresses from a pool the account brought could be named.
        return Err(address_not_found(ip));
    }
    if let Some(p) = i.public_ipv4_pool.as_deref().filter(|p| *p != "amazon") {
        return Err(AwsError::bad_request(
            "InvalidPublicIpv4PoolID.NotFound",
            format!("The publicIpv4Pool ID '{p}' does not exist"),
        ));
    }
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let allocation = new_id("eipalloc");
    let ip = ec2.regions.public_ip();
    s.addresses.insert(
        allocation.clone(),
        AddressRec {
            allocation: allocation.clone(),
            ip: ip.clone(),
            border_group: ctx.region.clone(),
            tags,
            ..Default::default()
        },
    );
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(AllocateAddressResult {
        allocation_id: Some(allocation),
        public_ipv4_pool: Some("amazon".into()),
        network_border_group: Some(ctx.region.clone()),
        domain: Some("vpc".into()),
        public_ip: Some(ip),
        ..Default::default()
    })
}

pub fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeAddressesRequest,
) -> Result<DescribeAddressesResult, AwsError> {
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    for id in i.allocation_ids.iter().flatten() {
        address_or_err(&s, id)?;
    }
    for ip in i.public_ips.iter().flatten() {
        by_ip(&s, ip).ok_or_else(|| address_not_found(ip))?;
    }
    let filters = i.filters.clone().unwrap_or_default();
    let mut res = Vec::new();
    for a in s.addresses.values() {
        if i.allocation_ids
            .as_ref()
            .is_some_and(|ids| !ids.contains(&a.allocation))
            || i.public_ips
                .as_ref()
                .is_some_and(|ips| !ips.contains(&a.ip))
        {
            continue;
        }
        let view = AddrView {
            a,
            instance: instance_of(&s, a),
            owner: ctx.account_id(),
        };
        if matches(&view, &filters)? {
            res.push(out(&s, a, ctx.account_id()));
        }
    }
    Ok(DescribeAddressesResult {
        addresses: Some(res),
    })
}

/// The allocation a call names by id or (deprecated) by public address.
fn named(
    s: &RegionState,
    allocation: Option<&str>,
    ip: Option<&str>,
    unknown_ip: fn(&str) -> AwsError,
) -> Result<String, AwsError> {
    match (allocation, ip) {
        (Some(id), _) => address_or_err(s, id).map(|a| a.allocation.clone()),
        (None, Some(ip)) => by_ip(s, ip)
            .map(|a| a.allocation.clone())
            .ok_or_else(|| unknown_ip(ip)),
        (None, None) => Err(AwsError::bad_request(
            "MissingParameter",
            "Either public IP or allocation id must be specified",
        )),
    }
}

pub fn associate(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: AssociateAddressRequest,
) -> Result<AssociateAddressResult, AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let allocation = named(
        &s,
        i.allocation_id.as_deref(),
        i.public_ip.as_deref(),
        address_not_found,
    )?;
    let eni = match (&i.instance_id, &i.network_interface_id) {
        (Some(_), Some(_)) => {
            return Err(AwsError::bad_request(
                "InvalidParameterCombination",
                "You may specify either an instance ID or a network interface ID, but not both.",
            ));
        }
        (None, None) => {
            return Err(AwsError::bad_request(
                "MissingParameter",
                "Either instance ID or network interface id must be specified",
            ));
        }
        (Some(inst), None) => {
            check_id(inst, "i", "InvalidInstanceID.Malformed")?;
            s.instance_eni(inst, 0).ok_or_else(|| {
                AwsError::bad_request(
                    "InvalidInstanceID.NotFound",
                    format!("The instance ID '{inst}' does not exist"),
                )
            })?
        }
        (None, Some(id)) => eni_or_err(&s, id)?,
    };
    if eni.requester_managed {
        return Err(AwsError::bad_request(
            "AuthFailure",
            "You do not have permission to access the specified resource.",
        ));
    }
    let private_ip = i
        .private_ip_address
        .clone()
        .unwrap_or_else(|| eni.private_ip.clone());
    if private_ip != eni.private_ip && !eni.secondary_ips.contains(&private_ip) {
        return Err(invalid(format!(
            "The specified private IP address {private_ip} is not assigned to network interface {}",
            eni.id
        )));
    }
    if !s
        .igws
        .values()
        .any(|g| g.vpc.as_deref() == Some(eni.vpc.as_str()))
    {
        return Err(AwsError::bad_request(
            "Gateway.NotAttached",
            format!(
                "Network {} is not attached to any internet gateway",
                eni.vpc
            ),
        ));
    }
    let eni_id = eni.id.clone();
    let a = &s.addresses[&allocation];
    let same = a.eni.as_deref() == Some(eni_id.as_str())
        && a.private_ip.as_deref() == Some(private_ip.as_str());
    if let (Some(assoc), false) = (&a.association, same) {
        if let Some(nat) = s
            .nats
            .values()
            .find(|n| n.allocation.as_deref() == Some(allocation.as_str()) && n.deleted.is_none())
        {
            return Err(AwsError::bad_request(
                "Resource.AlreadyAssociated",
                format!(
                    "resource {allocation} is already associated with associate-id {assoc} (NAT gateway {})",
                    nat.id
                ),
            ));
        }
        if i.allow_reassociation == Some(false) {
            return Err(AwsError::bad_request(
                "Resource.AlreadyAssociated",
                format!("resource {allocation} is already associated with associate-id {assoc}"),
            ));
        }
    }
    dry_run(i.dry_run)?;
    if same {
        return Ok(AssociateAddressResult {
            association_id: a.association.clone(),
        });
    }
    let assoc = map(&mut s, &allocation, &eni_id, &private_ip);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(AssociateAddressResult {
        association_id: Some(assoc),
    })
}

pub fn disassociate(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DisassociateAddressRequest,
) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let allocation = match (&i.association_id, &i.public_ip) {
        (Some(assoc), _) => {
            check_id(assoc, "eipassoc", "InvalidAssociationID.Malformed")?;
            s.addresses
                .values()
                .find(|a| a.association.as_deref() == Some(assoc.as_str()))
                .map(|a| a.allocation.clone())
                .ok_or_else(|| {
                    AwsError::bad_request(
                        "InvalidAssociationID.NotFound",
                        format!("The association ID '{assoc}' does not exist"),
                    )
                })?
        }
        (None, Some(ip)) => {
            let a = by_ip(&s, ip).ok_or_else(|| address_not_found(ip))?;
            if a.association.is_none() {
                return Err(AwsError::bad_request(
                    "InvalidAssociationID.NotFound",
                    format!("The address '{ip}' is not associated"),
                ));
            }
            a.allocation.clone()
        }
        (None, None) => {
            return Err(AwsError::bad_request(
                "MissingParameter",
                "Either public IP or association id must be specified",
            ));
        }
    };
    let on_managed = s.addresses[&allocation]
        .eni
        .as_ref()
        .and_then(|e| s.enis.get(e))
        .is_some_and(|e| e.requester_managed);
    if on_managed {
        return Err(AwsError::bad_request(
            "AuthFailure",
            "You do not have permission to access the specified resource.",
        ));
    }
    dry_run(i.dry_run)?;
    unmap(&mut s, &allocation);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn release(ec2: &Ec2, ctx: &RequestContext, i: ReleaseAddressRequest) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let allocation = named(
        &s,
        i.allocation_id.as_deref(),
        i.public_ip.as_deref(),
        |ip| {
            AwsError::bad_request(
                "AuthFailure",
                format!("The address '{ip}' does not belong to you."),
            )
        },
    )?;
    if let Some(g) = i
        .network_border_group
        .as_deref()
        .filter(|g| *g != ctx.region)
    {
        return Err(address_not_found(g));
    }
    let a = &s.addresses[&allocation];
    if a.association.is_some() {
        return Err(AwsError::bad_request(
            "InvalidIPAddress.InUse",
            format!("Address {} is in use.", a.ip),
        ));
    }
    dry_run(i.dry_run)?;
    s.addresses.remove(&allocation);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn describe_attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeAddressesAttributeRequest,
) -> Result<DescribeAddressesAttributeResult, AwsError> {
    if let Some(a) = i.attribute.as_deref().filter(|a| *a != "domain-name") {
        return Err(invalid(format!(
            "Value ({a}) for parameter attribute is invalid."
        )));
    }
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    for id in i.allocation_ids.iter().flatten() {
        address_or_err(&s, id)?;
    }
    let res: Vec<AddressAttribute> = s
        .addresses
        .values()
        .filter(|a| {
            i.allocation_ids
                .as_ref()
                .is_none_or(|ids| ids.contains(&a.allocation))
        })
        .map(|a| AddressAttribute {
            public_ip: Some(a.ip.clone()),
            allocation_id: Some(a.allocation.clone()),
            ptr_record: None,
            ptr_record_update: None,
        })
        .collect();
    let (addresses, next_token) = page(res, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeAddressesAttributeResult {
        addresses: Some(addresses),
        next_token,
    })
}

/// Whether any interface in the VPC holds a public address (which keeps its
/// internet gateway attached).
pub fn vpc_has_public(s: &RegionState, vpc: &str) -> bool {
    s.enis
        .values()
        .any(|e| e.vpc == vpc && e.public_ip.is_some())
        || s.addresses.values().any(|a| {
            a.eni
                .as_ref()
                .and_then(|e| s.enis.get(e))
                .is_some_and(|e| e.vpc == vpc)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::EniRec;

    fn setup() -> (RegionState, String, String) {
        let mut s = RegionState::with_defaults("us-east-1");
        let subnet = s.subnets.values().next().unwrap().id.clone();
        let eni = s
            .add_eni(
                EniRec {
                    subnet,
                    public_ip: Some(PublicIpRec {
                        ip: "198.51.100.7".into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                None,
            )
            .unwrap();
        s.addresses.insert(
            "eipalloc-1".into(),
            AddressRec {
                allocation: "eipalloc-1".into(),
                ip: "192.0.2.9".into(),
                ..Default::default()
            },
        );
        (s, eni, "eipalloc-1".into())
    }

    #[test]
    fn an_elastic_ip_replaces_the_auto_assigned_address_for_good() {
        let (mut s, eni, alloc) = setup();
        let primary = s.enis[&eni].private_ip.clone();
        let assoc = map(&mut s, &alloc, &eni, &primary);
        let p = s.enis[&eni].public_ip.clone().unwrap();
        assert_eq!(p.ip, "192.0.2.9");
        assert_eq!(p.association.as_deref(), Some(assoc.as_str()));
        assert!(!s.public_ips().contains(&"198.51.100.7"));
        unmap(&mut s, &alloc);
        assert!(s.enis[&eni].public_ip.is_none());
        assert!(s.addresses[&alloc].association.is_none());
        assert_eq!(s.public_ips(), vec!["192.0.2.9"]);
    }

    #[test]
    fn a_second_address_takes_the_place_of_the_first() {
        let (mut s, eni, alloc) = setup();
        s.addresses.insert(
            "eipalloc-2".into(),
            AddressRec {
                allocation: "eipalloc-2".into(),
                ip: "192.0.2.10".into(),
                ..Default::default()
            },
        );
        let primary = s.enis[&eni].private_ip.clone();
        map(&mut s, &alloc, &eni, &primary);
        map(&mut s, "eipalloc-2", &eni, &primary);
        assert!(s.addresses[&alloc].eni.is_none());
        assert_eq!(s.enis[&eni].public_ip.as_ref().unwrap().ip, "192.0.2.10");
        let vpc = s.enis[&eni].vpc.clone();
        assert!(vpc_has_public(&s, &vpc));
    }
}
