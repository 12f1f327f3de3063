//! Network ACLs: each VPC's default ACL (allow all, then deny), ACLs users
//! add, their numbered rules, and the one ACL every subnet is associated with.

use stratus_core::{AwsError, RequestContext};

use super::{check_id, dry_run, invalid, not_found, page, spec_tags, vpcs::vpc_or_err, wire_tags};
use crate::Ec2;
use crate::cidr::Cidr;
use crate::filters::{Filterable, matches};
use crate::generated::*;
use crate::state::{ACL_LAST_RULE, AclAssocRec, AclEntryRec, AclRec, RegionState, Tags, new_id};

impl Filterable for (&AclRec, &str) {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        let (a, owner) = self;
        let entries = |f: &dyn Fn(&AclEntryRec) -> Option<String>| -> Vec<String> {
            a.entries.iter().filter_map(f).collect()
        };
        Some(match name {
            "network-acl-id" => vec![a.id.clone()],
            "vpc-id" => vec![a.vpc.clone()],
            "default" => vec![a.is_default.to_string()],
            "owner-id" => vec![owner.to_string()],
            "association.association-id" => a.assocs.iter().map(|x| x.id.clone()).collect(),
            "association.network-acl-id" => a.assocs.iter().map(|_| a.id.clone()).collect(),
            "association.subnet-id" => a.assocs.iter().map(|x| x.subnet.clone()).collect(),
            "entry.cidr" => entries(&|e| e.cidr4.clone()),
            "entry.ipv6-cidr" => entries(&|e| e.cidr6.clone()),
            "entry.icmp.code" => entries(&|e| e.icmp.map(|x| x.1.to_string())),
            "entry.icmp.type" => entries(&|e| e.icmp.map(|x| x.0.to_string())),
            "entry.port-range.from" => entries(&|e| e.ports.map(|x| x.0.to_string())),
            "entry.port-range.to" => entries(&|e| e.ports.map(|x| x.1.to_string())),
            "entry.protocol" => entries(&|e| Some(e.protocol.clone())),
            "entry.rule-action" => entries(&|e| Some(e.action.clone())),
            "entry.egress" => entries(&|e| Some(e.egress.to_string())),
            "entry.rule-number" => entries(&|e| Some(e.rule.to_string())),
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &self.0.tags
    }
}

fn entry_out(e: &AclEntryRec) -> NetworkAclEntry {
    NetworkAclEntry {
        cidr_block: e.cidr4.clone(),
        egress: Some(e.egress),
        icmp_type_code: e.icmp.map(|(t, c)| IcmpTypeCode {
            code: Some(c),
            r#type: Some(t),
        }),
        ipv6_cidr_block: e.cidr6.clone(),
        port_range: e.ports.map(|(f, t)| PortRange {
            from: Some(f),
            to: Some(t),
        }),
        protocol: Some(e.protocol.clone()),
        rule_action: Some(e.action.clone()),
        rule_number: Some(e.rule),
    }
}

fn out(a: &AclRec, owner: &str) -> NetworkAcl {
    // AWS lists egress rules first, each direction by rule number.
    let mut entries: Vec<&AclEntryRec> = a.entries.iter().collect();
    entries.sort_by_key(|e| (!e.egress, e.rule));
    NetworkAcl {
        associations: Some(
            a.assocs
                .iter()
                .map(|x| NetworkAclAssociation {
                    network_acl_association_id: Some(x.id.clone()),
                    network_acl_id: Some(a.id.clone()),
                    subnet_id: Some(x.subnet.clone()),
                })
                .collect(),
        ),
        entries: Some(entries.into_iter().map(entry_out).collect()),
        is_default: Some(a.is_default),
        network_acl_id: Some(a.id.clone()),
        tags: wire_tags(&a.tags),
        vpc_id: Some(a.vpc.clone()),
        owner_id: Some(owner.to_string()),
    }
}

fn acl_or_err<'a>(s: &'a RegionState, id: &str) -> Result<&'a AclRec, AwsError> {
    check_id(id, "acl", "InvalidNetworkAclID.Malformed")?;
    s.acls
        .get(id)
        .ok_or_else(|| not_found("InvalidNetworkAclID.NotFound", "networkAcl", id))
}

/// A protocol as AWS stores it: a number, `-1` for all.
pub fn protocol_number(p: &str) -> Result<String, AwsError> {
    let n = match p.to_ascii_lowercase().as_str() {
        "-1" | "all" => return Ok("-1".into()),
        "tcp" => 6,
        "udp" => 17,
        "icmp" => 1,
        "icmpv6" => 58,
        other => other.parse::<i32>().ok().filter(|n| (0..=255).contains(n)).ok_or_else(|| {
            invalid(format!(
                "Invalid value '{p}' for protocol. Valid values are -1 (all), a protocol number from 0 to 255, tcp, udp or icmp."
            ))
        })?,
    };
    Ok(n.to_string())
}

/// The parts of a create or replace entry request.
pub struct EntryInput<'a> {
    pub rule: i32,
    pub egress: bool,
    pub protocol: &'a str,
    pub action: &'a str,
    pub cidr4: &'a Option<String>,
    pub cidr6: &'a Option<String>,
    pub icmp: &'a Option<IcmpTypeCode>,
    pub ports: &'a Option<PortRange>,
}

/// Checks an entry as AWS does and gives it its stored shape.
pub fn entry_from(i: EntryInput) -> Result<AclEntryRec, AwsError> {
    if !(1..ACL_LAST_RULE).contains(&i.rule) {
        return Err(invalid(format!(
            "Value ({}) for parameter ruleNumber is invalid. Rule number must be between 1 and 32766.",
            i.rule
        )));
    }
    let action = i.action.to_ascii_lowercase();
    if action != "allow" && action != "deny" {
        return Err(invalid(format!(
            "Value ({}) for parameter ruleAction is invalid. Valid values are allow and deny.",
            i.action
        )));
    }
    let protocol = protocol_number(i.protocol)?;
    let (cidr4, cidr6) = match (i.cidr4, i.cidr6) {
        (Some(c), None) => {
            let c = Cidr::parse(c).ok_or_else(|| {
                invalid(format!(
                    "Value ({c}) for parameter cidrBlock is invalid. This is not a valid CIDR block."
                ))
            })?;
            (Some(c.to_string()), None)
        }
        (None, Some(c)) => (None, Some(c.to_ascii_lowercase())),
        (Some(_), Some(_)) => {
            return Err(AwsError::bad_request(
                "InvalidParameterCombination",
                "Only one of cidrBlock or ipv6CidrBlock may be specified",
            ));
        }
        (None, None) => {
            return Err(AwsError::bad_request(
                "MissingParameter",
                "The request must contain the parameter cidrBlock or ipv6CidrBlock",
            ));
        }
    };
    let mut e = AclEntryRec {
        rule: i.rule,
        egress: i.egress,
        protocol,
        action,
        cidr4,
        cidr6,
        icmp: None,
        ports: None,
    };
    match e.protocol.as_str() {
        "6" | "17" => {
            let p = i.ports.as_ref().ok_or_else(|| {
                AwsError::bad_request(
                    "MissingParameter",
                    "The request must contain the parameter portRange",
                )
            })?;
            let (from, to) = (p.from.unwrap_or(-1), p.to.unwrap_or(-1));
            let ok = |x: i32| (0..=65535).contains(&x);
            if !ok(from) || !ok(to) || from > to {
                return Err(invalid(format!(
                    "Invalid value for portRange. Must specify a valid port range from 0 to 65535 (from {from} to {to})."
                )));
            }
            e.ports = Some((from, to));
        }
        "1" | "58" => {
            let c = i.icmp.as_ref().ok_or_else(|| {
                AwsError::bad_request(
                    "MissingParameter",
                    "The request must contain the parameter icmpTypeCode",
                )
            })?;
            let (t, code) = (c.r#type.unwrap_or(-1), c.code.unwrap_or(-1));
            if !(-1..=255).contains(&t) || !(-1..=255).contains(&code) {
                return Err(invalid(format!(
                    "Invalid value for icmpTypeCode: type {t}, code {code}. Both must be -1 (all) or from 0 to 255."
                )));
            }
            e.icmp = Some((t, code));
        }
        _ => {}
    }
    Ok(e)
}

pub fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CreateNetworkAclRequest,
) -> Result<CreateNetworkAclResult, AwsError> {
    let tags = spec_tags(&i.tag_specifications, "network-acl")?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    vpc_or_err(&s, &i.vpc_id)?;
    dry_run(i.dry_run)?;
    let mut a = AclRec::new(&i.vpc_id, false);
    a.tags = tags;
    let res = out(&a, ctx.account_id());
    s.acls.insert(a.id.clone(), a);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(CreateNetworkAclResult {
        network_acl: Some(res),
        client_token: i.client_token,
    })
}

pub fn delete(ec2: &Ec2, ctx: &RequestContext, i: DeleteNetworkAclRequest) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let a = acl_or_err(&s, &i.network_acl_id)?;
    if a.is_default {
        return Err(invalid(format!(
            "cannot delete default network ACL {}",
            a.id
        )));
    }
    if !a.assocs.is_empty() {
        return Err(AwsError::bad_request(
            "DependencyViolation",
            format!(
                "The networkAcl '{}' has dependencies and cannot be deleted.",
                a.id
            ),
        ));
    }
    dry_run(i.dry_run)?;
    s.acls.remove(&i.network_acl_id);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

fn entry_not_found(rule: i32, egress: bool, acl: &str) -> AwsError {
    AwsError::bad_request(
        "InvalidNetworkAclEntry.NotFound",
        format!(
            "The network acl entry identified by {rule} ({}) does not exist in {acl}.",
            if egress { "egress" } else { "ingress" }
        ),
    )
}

pub fn create_entry(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CreateNetworkAclEntryRequest,
) -> Result<(), AwsError> {
    let e = entry_from(EntryInput {
        rule: i.rule_number,
        egress: i.egress,
        protocol: &i.protocol,
        action: &i.rule_action,
        cidr4: &i.cidr_block,
        cidr6: &i.ipv6_cidr_block,
        icmp: &i.icmp_type_code,
        ports: &i.port_range,
    })?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let a = acl_or_err(&s, &i.network_acl_id)?;
    if a.entries
        .iter()
        .any(|x| x.rule == e.rule && x.egress == e.egress)
    {
        return Err(AwsError::bad_request(
            "NetworkAclEntryAlreadyExists",
            format!(
                "The network acl entry identified by {} already exists.",
                e.rule
            ),
        ));
    }
    dry_run(i.dry_run)?;
    if let Some(a) = s.acls.get_mut(&i.network_acl_id) {
        a.entries.push(e);
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn replace_entry(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: ReplaceNetworkAclEntryRequest,
) -> Result<(), AwsError> {
    let e = entry_from(EntryInput {
        rule: i.rule_number,
        egress: i.egress,
        protocol: &i.protocol,
        action: &i.rule_action,
        cidr4: &i.cidr_block,
        cidr6: &i.ipv6_cidr_block,
        icmp: &i.icmp_type_code,
        ports: &i.port_range,
    })?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let a = acl_or_err(&s, &i.network_acl_id)?;
    if !a
        .entries
        .iter()
        .any(|x| x.rule == e.rule && x.egress == e.egress)
    {
        return Err(entry_not_found(e.rule, e.egress, &a.id));
    }
    dry_run(i.dry_run)?;
    if let Some(a) = s.acls.get_mut(&i.network_acl_id) {
        for x in a.entries.iter_mut() {
            if x.rule == e.rule && x.egress == e.egress {
                *x = e.clone();
            }
        }
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn delete_entry(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DeleteNetworkAclEntryRequest,
) -> Result<(), AwsError> {
    if !(1..ACL_LAST_RULE).contains(&i.rule_number) {
        return Err(invalid(format!(
            "Value ({}) for parameter ruleNumber is invalid. Rule number must be between 1 and 32766.",
            i.rule_number
        )));
    }
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let a = acl_or_err(&s, &i.network_acl_id)?;
    if !a
        .entries
        .iter()
        .any(|x| x.rule == i.rule_number && x.egress == i.egress)
    {
        return Err(entry_not_found(i.rule_number, i.egress, &a.id));
    }
    dry_run(i.dry_run)?;
    if let Some(a) = s.acls.get_mut(&i.network_acl_id) {
        a.entries
            .retain(|x| !(x.rule == i.rule_number && x.egress == i.egress));
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn replace_association(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: ReplaceNetworkAclAssociationRequest,
) -> Result<ReplaceNetworkAclAssociationResult, AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let found = s.acls.values().find_map(|a| {
        a.assocs
            .iter()
            .find(|x| x.id == i.association_id)
            .map(|x| (a.id.clone(), x.subnet.clone()))
    });
    let Some((old, subnet)) = found else {
        return Err(AwsError::bad_request(
            "InvalidAssociationID.NotFound",
            format!("The association ID '{}' does not exist", i.association_id),
        ));
    };
    let new = acl_or_err(&s, &i.network_acl_id)?;
    let subnet_vpc = s.subnets.get(&subnet).map(|x| x.vpc.as_str());
    if subnet_vpc != Some(new.vpc.as_str()) {
        return Err(invalid(format!(
            "Network ACL {} and subnet {subnet} belong to different networks",
            new.id
        )));
    }
    dry_run(i.dry_run)?;
    let id = new_id("aclassoc");
    if let Some(a) = s.acls.get_mut(&old) {
        a.assocs.retain(|x| x.id != i.association_id);
    }
    if let Some(a) = s.acls.get_mut(&i.network_acl_id) {
        a.assocs.push(AclAssocRec {
            id: id.clone(),
            subnet,
        });
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(ReplaceNetworkAclAssociationResult {
        new_association_id: Some(id),
    })
}

pub fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeNetworkAclsRequest,
) -> Result<DescribeNetworkAclsResult, AwsError> {
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    if let Some(ids) = &i.network_acl_ids {
        for id in ids {
            acl_or_err(&s, id)?;
        }
    }
    let filters = i.filters.clone().unwrap_or_default();
    let mut res = Vec::new();
    for a in s.acls.values() {
        if i.network_acl_ids
            .as_ref()
            .is_some_and(|ids| !ids.contains(&a.id))
        {
            continue;
        }
        if matches(&(a, ctx.account_id()), &filters)? {
            res.push(out(a, ctx.account_id()));
        }
    }
    let (network_acls, next_token) = page(res, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeNetworkAclsResult {
        network_acls: Some(network_acls),
        next_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(
        rule: i32,
        protocol: &'a str,
        cidr: &'a Option<String>,
        ports: &'a Option<PortRange>,
        icmp: &'a Option<IcmpTypeCode>,
    ) -> EntryInput<'a> {
        EntryInput {
            rule,
            egress: false,
            protocol,
            action: "allow",
            cidr4: cidr,
            cidr6: &None,
            icmp,
            ports,
        }
    }

    #[test]
    fn entries_are_checked_and_normalised() {
        let cidr = Some("10.0.0.0/16".to_string());
        let web = Some(PortRange {
            from: Some(443),
            to: Some(443),
        });
        let e = entry_from(input(110, "tcp", &cidr, &web, &None)).unwrap();
        assert_eq!((e.protocol.as_str(), e.ports), ("6", Some((443, 443))));
        // Port ranges only matter to TCP and UDP.
        let e = entry_from(input(120, "all", &cidr, &web, &None)).unwrap();
        assert_eq!((e.protocol.as_str(), e.ports), ("-1", None));
        assert!(entry_from(input(0, "-1", &cidr, &None, &None)).is_err());
        assert!(entry_from(input(32767, "-1", &cidr, &None, &None)).is_err());
        assert!(entry_from(input(32766, "-1", &cidr, &None, &None)).is_ok());
        let missing = entry_from(input(130, "udp", &cidr, &None, &None)).unwrap_err();
        assert_eq!(missing.code, "MissingParameter");
        let reversed = Some(PortRange {
            from: Some(90),
            to: Some(80),
        });
        assert!(entry_from(input(140, "6", &cidr, &reversed, &None)).is_err());
        let ping = Some(IcmpTypeCode {
            code: Some(-1),
            r#type: Some(8),
        });
        let e = entry_from(input(150, "icmp", &cidr, &None, &ping)).unwrap();
        assert_eq!((e.protocol.as_str(), e.icmp), ("1", Some((8, -1))));
        assert!(entry_from(input(160, "icmp", &cidr, &None, &None)).is_err());
        assert!(entry_from(input(170, "tcpx", &cidr, &web, &None)).is_err());
        assert!(entry_from(input(180, "-1", &None, &None, &None)).is_err());
    }

    #[test]
    fn default_acl_allows_then_denies() {
        let a = AclRec::new("vpc-1", true);
        let o = out(&a, "123456789012");
        let rules: Vec<(bool, i32, String)> = o
            .entries
            .unwrap()
            .into_iter()
            .map(|e| {
                (
                    e.egress.unwrap(),
                    e.rule_number.unwrap(),
                    e.rule_action.unwrap(),
                )
            })
            .collect();
        assert_eq!(
            rules,
            vec![
                (true, 100, "allow".to_string()),
                (true, 32767, "deny".to_string()),
                (false, 100, "allow".to_string()),
                (false, 32767, "deny".to_string()),
            ]
        );
        assert_eq!(AclRec::new("vpc-1", false).entries.len(), 2);
    }
}
