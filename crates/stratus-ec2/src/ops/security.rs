//! Security groups and their rules: ingress and egress by CIDR, prefix list
//! or group reference, each rule with its own id.

use stratus_core::{AwsError, RequestContext};

use super::{check_id, dry_run, invalid, page, spec_tags, vpcs::vpc_or_err, wire_tags};
use crate::Ec2;
use crate::cidr::Cidr;
use crate::filters::{Filterable, matches};
use crate::generated::*;
use crate::state::{RegionState, RuleRec, SgRec, Tags, new_id};

impl Filterable for (&SgRec, &str) {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        let (g, owner) = self;
        Some(match name {
            "group-id" => vec![g.id.clone()],
            "group-name" => vec![g.name.clone()],
            "description" => vec![g.description.clone()],
            "vpc-id" => vec![g.vpc.clone()],
            "owner-id" => vec![owner.to_string()],
            "ip-permission.cidr" => g.ingress.iter().filter_map(|r| r.cidr4.clone()).collect(),
            "ip-permission.from-port" => g.ingress.iter().map(|r| r.from.to_string()).collect(),
            "ip-permission.to-port" => g.ingress.iter().map(|r| r.to.to_string()).collect(),
            "ip-permission.protocol" => g.ingress.iter().map(|r| r.protocol.clone()).collect(),
            "ip-permission.group-id" => g.ingress.iter().filter_map(|r| r.group.clone()).collect(),
            "egress.ip-permission.cidr" => {
                g.egress.iter().filter_map(|r| r.cidr4.clone()).collect()
            }
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &self.0.tags
    }
}

fn not_found(id: &str) -> AwsError {
    AwsError::bad_request(
        "InvalidGroup.NotFound",
        format!("The security group '{id}' does not exist"),
    )
}

pub fn group_or_err<'a>(s: &'a RegionState, id: &str) -> Result<&'a SgRec, AwsError> {
    check_id(id, "sg", "InvalidGroupId.Malformed")?;
    s.sgs.get(id).ok_or_else(|| not_found(id))
}

/// The group a request names by id, or by name in the default VPC.
fn resolve(s: &RegionState, id: Option<&str>, name: Option<&str>) -> Result<String, AwsError> {
    match (id, name) {
        (Some(id), _) => group_or_err(s, id).map(|g| g.id.clone()),
        (None, Some(n)) => {
            let default_vpc = s.vpcs.values().find(|v| v.is_default).map(|v| v.id.clone());
            s.sgs
                .values()
                .find(|g| g.name == n && Some(&g.vpc) == default_vpc.as_ref())
                .map(|g| g.id.clone())
                .ok_or_else(|| {
                    AwsError::bad_request(
                        "InvalidGroup.NotFound",
                        format!(
                            "The security group '{n}' does not exist in default VPC '{}'",
                            default_vpc.unwrap_or_default()
                        ),
                    )
                })
        }
        (None, None) => Err(AwsError::bad_request(
            "MissingParameter",
            "Either 'groupId' or 'groupName' should be provided.",
        )),
    }
}

fn permission_out(r: &RuleRec, owner: &str) -> IpPermission {
    IpPermission {
        ip_protocol: Some(r.protocol.clone()),
        from_port: (r.protocol != "-1").then_some(r.from),
        to_port: (r.protocol != "-1").then_some(r.to),
        user_id_group_pairs: Some(
            r.group
                .iter()
                .map(|g| UserIdGroupPair {
                    group_id: Some(g.clone()),
                    user_id: Some(owner.to_string()),
                    description: r.description.clone(),
                    ..Default::default()
                })
                .collect(),
        ),
        ip_ranges: Some(
            r.cidr4
                .iter()
                .map(|c| IpRange {
                    cidr_ip: Some(c.clone()),
                    description: r.description.clone(),
                })
                .collect(),
        ),
        ipv6_ranges: Some(
            r.cidr6
                .iter()
                .map(|c| Ipv6Range {
                    cidr_ipv6: Some(c.clone()),
                    description: r.description.clone(),
                })
                .collect(),
        ),
        prefix_list_ids: Some(
            r.prefix_list
                .iter()
                .map(|p| PrefixListId {
                    prefix_list_id: Some(p.clone()),
                    description: r.description.clone(),
                })
                .collect(),
        ),
    }
}

/// AWS lists a group's rules merged by (protocol, ports) with all their sources.
fn permissions_out(rules: &[RuleRec], owner: &str) -> Vec<IpPermission> {
    let mut out: Vec<IpPermission> = Vec::new();
    for r in rules {
        let p = permission_out(r, owner);
        match out.iter_mut().find(|x| {
            x.ip_protocol == p.ip_protocol && x.from_port == p.from_port && x.to_port == p.to_port
        }) {
            Some(x) => {
                x.user_id_group_pairs
                    .get_or_insert_with(Vec::new)
                    .extend(p.user_id_group_pairs.unwrap_or_default());
                x.ip_ranges
                    .get_or_insert_with(Vec::new)
                    .extend(p.ip_ranges.unwrap_or_default());
                x.ipv6_ranges
                    .get_or_insert_with(Vec::new)
                    .extend(p.ipv6_ranges.unwrap_or_default());
                x.prefix_list_ids
                    .get_or_insert_with(Vec::new)
                    .extend(p.prefix_list_ids.unwrap_or_default());
            }
            None => out.push(p),
        }
    }
    out
}

fn group_out(g: &SgRec, owner: &str, region: &str) -> SecurityGroup {
    SecurityGroup {
        group_id: Some(g.id.clone()),
        ip_permissions_egress: Some(permissions_out(&g.egress, owner)),
        tags: wire_tags(&g.tags),
        vpc_id: Some(g.vpc.clone()),
        security_group_arn: Some(format!(
            "arn:aws:ec2:{region}:{owner}:security-group/{}",
            g.id
        )),
        owner_id: Some(owner.to_string()),
        group_name: Some(g.name.clone()),
        description: Some(g.description.clone()),
        ip_permissions: Some(permissions_out(&g.ingress, owner)),
    }
}

fn rule_out(r: &RuleRec, g: &SgRec, egress: bool, owner: &str, region: &str) -> SecurityGroupRule {
    SecurityGroupRule {
        security_group_rule_id: Some(r.id.clone()),
        group_id: Some(g.id.clone()),
        group_owner_id: Some(owner.to_string()),
        is_egress: Some(egress),
        ip_protocol: Some(r.protocol.clone()),
        from_port: Some(r.from),
        to_port: Some(r.to),
        cidr_ipv4: r.cidr4.clone(),
        cidr_ipv6: r.cidr6.clone(),
        prefix_list_id: r.prefix_list.clone(),
        referenced_group_info: r.group.as_ref().map(|id| ReferencedSecurityGroup {
            group_id: Some(id.clone()),
            user_id: Some(owner.to_string()),
            ..Default::default()
        }),
        description: r.description.clone(),
        tags: None,
        security_group_rule_arn: Some(format!(
            "arn:aws:ec2:{region}:{owner}:security-group-rule/{}",
            r.id
        )),
    }
}

pub fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CreateSecurityGroupRequest,
) -> Result<CreateSecurityGroupResult, AwsError> {
    let tags = spec_tags(&i.tag_specifications, "security-group")?;
    if i.group_name.starts_with("sg-") {
        return Err(invalid("Group names may not be in the format sg-*"));
    }
    if i.group_name.len() > 255 || i.description.len() > 255 {
        return Err(invalid(
            "Group name and description must be at most 255 characters",
        ));
    }
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let vpc = match &i.vpc_id {
        Some(v) => vpc_or_err(&s, v)?.id.clone(),
        None => s
            .vpcs
            .values()
            .find(|v| v.is_default)
            .map(|v| v.id.clone())
            .ok_or_else(|| {
                AwsError::bad_request("VPCIdNotSpecified", "No default VPC for this user")
            })?,
    };
    if s.sgs
        .values()
        .any(|g| g.vpc == vpc && g.name == i.group_name)
    {
        return Err(AwsError::bad_request(
            "InvalidGroup.Duplicate",
            format!(
                "The security group '{}' already exists for VPC '{vpc}'",
                i.group_name
            ),
        ));
    }
    dry_run(i.dry_run)?;
    let id = new_id("sg");
    // New groups allow all outbound traffic, as on AWS.
    let egress = vec![RuleRec {
        id: new_id("sgr"),
        protocol: "-1".into(),
        from: -1,
        to: -1,
        cidr4: Some("0.0.0.0/0".into()),
        ..Default::default()
    }];
    s.sgs.insert(
        id.clone(),
        SgRec {
            id: id.clone(),
            name: i.group_name,
            description: i.description,
            vpc,
            ingress: vec![],
            egress,
            tags: tags.clone(),
        },
    );
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(CreateSecurityGroupResult {
        security_group_arn: Some(format!(
            "arn:aws:ec2:{}:{}:security-group/{id}",
            ctx.region,
            ctx.account_id()
        )),
        group_id: Some(id),
        tags: wire_tags(&tags),
    })
}

fn protocol(p: &str) -> Result<String, AwsError> {
    Ok(match p.to_ascii_lowercase().as_str() {
        "-1" | "all" => "-1".into(),
        "tcp" | "6" => "tcp".into(),
        "udp" | "17" => "udp".into(),
        "icmp" | "1" => "icmp".into(),
        "icmpv6" | "58" => "icmpv6".into(),
        n if n.parse::<u8>().is_ok() => n.to_string(),
        other => {
            return Err(invalid(format!(
                "Invalid value '{other}' for IP protocol. Unknown protocol."
            )));
        }
    })
}

/// The rules a request describes, one per source, checked as AWS checks them.
fn rules_of(
    s: &RegionState,
    perms: Option<Vec<IpPermission>>,
    flat: (
        Option<String>,
        Option<i32>,
        Option<i32>,
        Option<String>,
        Option<String>,
    ),
) -> Result<Vec<RuleRec>, AwsError> {
    let (proto, from, to, cidr, source_group) = flat;
    let mut perms = perms.unwrap_or_default();
    if proto.is_some() || cidr.is_some() || source_group.is_some() {
        perms.push(IpPermission {
            ip_protocol: proto.or(Some("-1".into())),
            from_port: from,
            to_port: to,
            ip_ranges: cidr.map(|c| {
                vec![IpRange {
                    cidr_ip: Some(c),
                    description: None,
                }]
            }),
            user_id_group_pairs: source_group.map(|g| {
                vec![UserIdGroupPair {
                    group_name: Some(g),
                    ..Default::default()
                }]
            }),
            ..Default::default()
        });
    }
    let mut out = Vec::new();
    for p in perms {
        let proto = protocol(p.ip_protocol.as_deref().unwrap_or("-1"))?;
        let (from, to) = if proto == "-1" {
            (-1, -1)
        } else {
            let (f, t) = (p.from_port.unwrap_or(-1), p.to_port.unwrap_or(-1));
            if (proto == "tcp" || proto == "udp")
                && (!(0..=65535).contains(&f) || !(0..=65535).contains(&t) || f > t)
            {
                return Err(invalid(format!(
                    "Invalid TCP/UDP port range: from {f} to {t}"
                )));
            }
            (f, t)
        };
        let base = RuleRec {
            protocol: proto,
            from,
            to,
            ..Default::default()
        };
        for r in p.ip_ranges.iter().flatten() {
            let c = r.cidr_ip.clone().unwrap_or_default();
            Cidr::parse(&c).ok_or_else(|| invalid(format!("CIDR block {c} is malformed")))?;
            out.push(RuleRec {
                cidr4: Some(c),
                description: r.description.clone(),
                ..base.clone()
            });
        }
        for r in p.ipv6_ranges.iter().flatten() {
            out.push(RuleRec {
                cidr6: r.cidr_ipv6.clone(),
                description: r.description.clone(),
                ..base.clone()
            });
        }
        for r in p.prefix_list_ids.iter().flatten() {
            out.push(RuleRec {
                prefix_list: r.prefix_list_id.clone(),
                description: r.description.clone(),
                ..base.clone()
            });
        }
        for r in p.user_id_group_pairs.iter().flatten() {
            let id = resolve(s, r.group_id.as_deref(), r.group_name.as_deref())?;
            out.push(RuleRec {
                group: Some(id),
                description: r.description.clone(),
                ..base.clone()
            });
        }
    }
    if out.is_empty() {
        return Err(AwsError::bad_request(
            "MissingParameter",
            "The request must contain the parameter ipPermissions",
        ));
    }
    Ok(out)
}

fn describe_rule(r: &RuleRec) -> String {
    let peer = r
        .cidr4
        .clone()
        .or(r.cidr6.clone())
        .or(r.group.clone())
        .or(r.prefix_list.clone())
        .unwrap_or_default();
    let proto = if r.protocol == "-1" {
        "ALL".to_string()
    } else {
        r.protocol.to_ascii_uppercase()
    };
    format!(
        "peer: {peer}, {proto}, from port: {}, to port: {}, ALLOW",
        r.from, r.to
    )
}

fn authorize(
    ec2: &Ec2,
    ctx: &RequestContext,
    group: String,
    egress: bool,
    mut rules: Vec<RuleRec>,
    dry: Option<bool>,
) -> Result<Vec<SecurityGroupRule>, AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let g = s.sgs.get(&group).ok_or_else(|| not_found(&group))?;
    let existing = if egress { &g.egress } else { &g.ingress };
    for r in &rules {
        if existing.iter().any(|e| e.same_permission(r)) {
            return Err(AwsError::bad_request(
                "InvalidPermission.Duplicate",
                format!("the specified rule \"{}\" already exists", describe_rule(r)),
            ));
        }
    }
    dry_run(dry)?;
    for r in &mut rules {
        r.id = new_id("sgr");
    }
    let g = s.sgs.get_mut(&group).ok_or_else(|| not_found(&group))?;
    if egress {
        g.egress.extend(rules.clone())
    } else {
        g.ingress.extend(rules.clone())
    }
    let snapshot = g.clone();
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(rules
        .iter()
        .map(|r| rule_out(r, &snapshot, egress, ctx.account_id(), &ctx.region))
        .collect())
}

pub fn authorize_ingress(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: AuthorizeSecurityGroupIngressRequest,
) -> Result<AuthorizeSecurityGroupIngressResult, AwsError> {
    let (group, rules) = {
        let region = ec2.regions.get(ctx.account_id(), &ctx.region);
        let s = region.lock();
        let group = resolve(&s, i.group_id.as_deref(), i.group_name.as_deref())?;
        let rules = rules_of(
            &s,
            i.ip_permissions,
            (
                i.ip_protocol,
                i.from_port,
                i.to_port,
                i.cidr_ip,
                i.source_security_group_name,
            ),
        )?;
        (group, rules)
    };
    let out = authorize(ec2, ctx, group, false, rules, i.dry_run)?;
    Ok(AuthorizeSecurityGroupIngressResult {
        r#return: Some(true),
        security_group_rules: Some(out),
    })
}

pub fn authorize_egress(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: AuthorizeSecurityGroupEgressRequest,
) -> Result<AuthorizeSecurityGroupEgressResult, AwsError> {
    let rules = {
        let region = ec2.regions.get(ctx.account_id(), &ctx.region);
        let s = region.lock();
        group_or_err(&s, &i.group_id)?;
        rules_of(
            &s,
            i.ip_permissions,
            (
                i.ip_protocol,
                i.from_port,
                i.to_port,
                i.cidr_ip,
                i.source_security_group_name,
            ),
        )?
    };
    let out = authorize(ec2, ctx, i.group_id, true, rules, i.dry_run)?;
    Ok(AuthorizeSecurityGroupEgressResult {
        r#return: Some(true),
        security_group_rules: Some(out),
    })
}

fn revoke(
    ec2: &Ec2,
    ctx: &RequestContext,
    group: String,
    egress: bool,
    rules: Vec<RuleRec>,
    ids: Option<Vec<String>>,
    dry: Option<bool>,
) -> Result<Vec<IpPermission>, AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let g = s.sgs.get(&group).ok_or_else(|| not_found(&group))?;
    let existing = if egress { &g.egress } else { &g.ingress };
    let mut unknown = Vec::new();
    let mut remove: Vec<String> = Vec::new();
    for r in &rules {
        match existing.iter().find(|e| e.same_permission(r)) {
            Some(e) => remove.push(e.id.clone()),
            None => unknown.push(permission_out(r, ctx.account_id())),
        }
    }
    for id in ids.unwrap_or_default() {
        if !existing.iter().any(|e| e.id == id) {
            return Err(AwsError::bad_request(
                "InvalidSecurityGroupRuleId.NotFound",
                format!("The security group rule ID '{id}' does not exist"),
            ));
        }
        remove.push(id);
    }
    if remove.is_empty() && !unknown.is_empty() {
        return Err(AwsError::bad_request(
            "InvalidPermission.NotFound",
            "The specified rule does not exist in this security group.",
        ));
    }
    dry_run(dry)?;
    let g = s.sgs.get_mut(&group).ok_or_else(|| not_found(&group))?;
    let list = if egress {
        &mut g.egress
    } else {
        &mut g.ingress
    };
    list.retain(|e| !remove.contains(&e.id));
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(unknown)
}

pub fn revoke_ingress(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: RevokeSecurityGroupIngressRequest,
) -> Result<RevokeSecurityGroupIngressResult, AwsError> {
    let (group, rules) = {
        let region = ec2.regions.get(ctx.account_id(), &ctx.region);
        let s = region.lock();
        let group = resolve(&s, i.group_id.as_deref(), i.group_name.as_deref())?;
        let flat = (
            i.ip_protocol,
            i.from_port,
            i.to_port,
            i.cidr_ip,
            i.source_security_group_name,
        );
        let rules = if i.ip_permissions.is_some()
            || flat.0.is_some()
            || flat.3.is_some()
            || flat.4.is_some()
        {
            rules_of(&s, i.ip_permissions, flat)?
        } else {
            vec![]
        };
        (group, rules)
    };
    let unknown = revoke(
        ec2,
        ctx,
        group,
        false,
        rules,
        i.security_group_rule_ids,
        i.dry_run,
    )?;
    Ok(RevokeSecurityGroupIngressResult {
        r#return: Some(true),
        unknown_ip_permissions: (!unknown.is_empty()).then_some(unknown),
        revoked_security_group_rules: None,
    })
}

pub fn revoke_egress(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: RevokeSecurityGroupEgressRequest,
) -> Result<RevokeSecurityGroupEgressResult, AwsError> {
    let rules = {
        let region = ec2.regions.get(ctx.account_id(), &ctx.region);
        let s = region.lock();
        group_or_err(&s, &i.group_id)?;
        let flat = (
            i.ip_protocol,
            i.from_port,
            i.to_port,
            i.cidr_ip,
            i.source_security_group_name,
        );
        if i.ip_permissions.is_some() || flat.0.is_some() || flat.3.is_some() || flat.4.is_some() {
            rules_of(&s, i.ip_permissions, flat)?
        } else {
            vec![]
        }
    };
    let unknown = revoke(
        ec2,
        ctx,
        i.group_id,
        true,
        rules,
        i.security_group_rule_ids,
        i.dry_run,
    )?;
    Ok(RevokeSecurityGroupEgressResult {
        r#return: Some(true),
        unknown_ip_permissions: (!unknown.is_empty()).then_some(unknown),
        revoked_security_group_rules: None,
    })
}

pub fn delete(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DeleteSecurityGroupRequest,
) -> Result<DeleteSecurityGroupResult, AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let id = resolve(&s, i.group_id.as_deref(), i.group_name.as_deref())?;
    let g = s.sgs.get(&id).ok_or_else(|| not_found(&id))?;
    if g.name == "default" {
        return Err(AwsError::bad_request(
            "CannotDelete",
            format!("the specified group: \"{id}\" name: \"default\" cannot be deleted by a user"),
        ));
    }
    let referenced = s.sgs.values().any(|o| {
        o.id != id
            && o.ingress
                .iter()
                .chain(&o.egress)
                .any(|r| r.group.as_deref() == Some(id.as_str()))
    }) || s.enis.values().any(|e| e.groups.contains(&id));
    if referenced {
        return Err(AwsError::bad_request(
            "DependencyViolation",
            format!("resource {id} has a dependent object"),
        ));
    }
    dry_run(i.dry_run)?;
    s.sgs.remove(&id);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(DeleteSecurityGroupResult {
        r#return: Some(true),
        group_id: Some(id),
    })
}

pub fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeSecurityGroupsRequest,
) -> Result<DescribeSecurityGroupsResult, AwsError> {
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    let mut wanted: Option<Vec<String>> = None;
    if let Some(ids) = &i.group_ids {
        for id in ids {
            group_or_err(&s, id)?;
        }
        wanted = Some(ids.clone());
    }
    if let Some(names) = &i.group_names {
        let mut ids = wanted.take().unwrap_or_default();
        for n in names {
            ids.push(resolve(&s, None, Some(n))?);
        }
        wanted = Some(ids);
    }
    let filters = i.filters.clone().unwrap_or_default();
    let mut res = Vec::new();
    for g in s.sgs.values() {
        if wanted.as_ref().is_some_and(|w| !w.contains(&g.id)) {
            continue;
        }
        if matches(&(g, ctx.account_id()), &filters)? {
            res.push(group_out(g, ctx.account_id(), &ctx.region));
        }
    }
    let (security_groups, next_token) = page(res, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeSecurityGroupsResult {
        security_groups: Some(security_groups),
        next_token,
    })
}

pub fn describe_rules(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeSecurityGroupRulesRequest,
) -> Result<DescribeSecurityGroupRulesResult, AwsError> {
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    let group_filter: Vec<String> = i
        .filters
        .iter()
        .flatten()
        .filter(|f| f.name.as_deref() == Some("group-id"))
        .flat_map(|f| f.values.clone().unwrap_or_default())
        .collect();
    let mut res = Vec::new();
    for g in s.sgs.values() {
        if !group_filter.is_empty() && !group_filter.contains(&g.id) {
            continue;
        }
        for (egress, rules) in [(false, &g.ingress), (true, &g.egress)] {
            for r in rules {
                if i.security_group_rule_ids
                    .as_ref()
                    .is_some_and(|ids| !ids.contains(&r.id))
                {
                    continue;
                }
                res.push(rule_out(r, g, egress, ctx.account_id(), &ctx.region));
            }
        }
    }
    let (security_group_rules, next_token) = page(res, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeSecurityGroupRulesResult {
        security_group_rules: Some(security_group_rules),
        next_token,
    })
}
