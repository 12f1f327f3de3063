//! VPC endpoints: gateway endpoints (S3, DynamoDB) add a route to the
//! service's prefix list in each route table; interface endpoints put one
//! requester-managed interface in each subnet.

use stratus_core::{AwsError, RequestContext};
use stratus_protocol::Timestamp;

use super::enis::{groups_for, service_attachment};
use super::prefix_lists::aws_list_for;
use super::{check_id, dry_run, invalid, page, spec_tags, vpcs::vpc_or_err, wire_tags};
use crate::Ec2;
use crate::filters::{Filterable, matches};
use crate::generated::*;
use crate::state::{EndpointRec, EniRec, RegionState, RouteRec, Tags, new_id, zones};

/// How long a new interface endpoint stays `pending`.
pub const ENDPOINT_PENDING_MS: i64 = 2_000;

/// Services offered as gateway endpoints.
const GATEWAY_SERVICES: &[&str] = &["dynamodb", "s3"];
/// Services offered as interface endpoints (those Stratus runs).
const INTERFACE_SERVICES: &[&str] = &["dynamodb", "ec2", "s3", "sns", "sqs", "sts"];

const FULL_ACCESS: &str = r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;

/// Every (service name, endpoint type) of a region, sorted by name.
fn services(region: &str) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = GATEWAY_SERVICES
        .iter()
        .map(|s| (format!("com.amazonaws.{region}.{s}"), "Gateway"))
        .chain(
            INTERFACE_SERVICES
                .iter()
                .map(|s| (format!("com.amazonaws.{region}.{s}"), "Interface")),
        )
        .collect();
    out.sort();
    out
}

fn short(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// `vpce-svc-` and 17 hex digits, stable per region and service.
fn service_id(region: &str, name: &str, kind: &str) -> String {
    format!(
        "vpce-svc-{}",
        &hash_hex(&format!("{region}/{name}/{kind}"))[..17]
    )
}

fn hash_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The eight characters AWS puts after an endpoint id in its DNS names.
fn dns_suffix(id: &str) -> String {
    hash_hex(id)[..8].to_string()
}

struct SvcView {
    name: String,
    kind: &'static str,
    tags: Tags,
}

impl Filterable for SvcView {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        Some(match name {
            "service-name" => vec![self.name.clone()],
            "service-type" => vec![self.kind.to_string()],
            "owner" => vec!["amazon".into()],
            "supported-ip-address-types" => vec!["ipv4".into()],
            "service-region" => vec![self.name.split('.').nth(2).unwrap_or("").to_string()],
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &self.tags
    }
}

fn service_out(region: &str, name: &str, kind: &str) -> ServiceDetail {
    let svc = short(name);
    let zs = zones(region);
    ServiceDetail {
        service_name: Some(name.to_string()),
        service_id: Some(service_id(region, name, kind)),
        service_type: Some(vec![ServiceTypeDetail {
            service_type: Some(kind.into()),
        }]),
        service_region: Some(region.to_string()),
        availability_zones: Some(zs.iter().map(|z| z.0.clone()).collect()),
        availability_zone_ids: Some(zs.iter().map(|z| z.1.clone()).collect()),
        owner: Some("amazon".into()),
        base_endpoint_dns_names: Some(vec![format!("{svc}.{region}.vpce.amazonaws.com")]),
        private_dns_name: (kind == "Interface").then(|| private_dns_name(svc, region)),
        vpc_endpoint_policy_supported: Some(true),
        acceptance_required: Some(false),
        manages_vpc_endpoints: Some(false),
        tags: Some(vec![]),
        private_dns_name_verification_state: (kind == "Interface").then(|| "verified".into()),
        supported_ip_address_types: Some(vec!["ipv4".into()]),
        ..Default::default()
    }
}

fn private_dns_name(svc: &str, region: &str) -> String {
    if svc == "s3" {
        format!("*.s3.{region}.amazonaws.com")
    } else {
        format!("{svc}.{region}.amazonaws.com")
    }
}

pub fn describe_services(
    _ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeVpcEndpointServicesRequest,
) -> Result<DescribeVpcEndpointServicesResult, AwsError> {
    dry_run(i.dry_run)?;
    let all = services(&ctx.region);
    for n in i.service_names.iter().flatten() {
        if !all.iter().any(|(x, _)| x == n) {
            return Err(AwsError::bad_request(
                "InvalidServiceName",
                format!("The Vpc Endpoint Service '{n}' does not exist"),
            ));
        }
    }
    let filters = i.filters.clone().unwrap_or_default();
    let mut details = Vec::new();
    for (name, kind) in &all {
        if i.service_names.as_ref().is_some_and(|n| !n.contains(name)) {
            continue;
        }
        let view = SvcView {
            name: name.clone(),
            kind,
            tags: Tags::new(),
        };
        if matches(&view, &filters)? {
            details.push(service_out(&ctx.region, name, kind));
        }
    }
    let (details, next_token) = page(details, i.max_results, i.next_token.as_deref())?;
    let mut names: Vec<String> = details
        .iter()
        .filter_map(|d| d.service_name.clone())
        .collect();
    names.dedup();
    Ok(DescribeVpcEndpointServicesResult {
        service_names: Some(names),
        service_details: Some(details),
        next_token,
    })
}

fn endpoint_not_found(id: &str) -> AwsError {
    AwsError::bad_request(
        "InvalidVpcEndpointId.NotFound",
        format!("The Vpc Endpoint Id '{id}' does not exist"),
    )
}

fn endpoint_or_err<'a>(s: &'a RegionState, id: &str) -> Result<&'a EndpointRec, AwsError> {
    check_id(id, "vpce", "InvalidVpcEndpointId.Malformed")?;
    s.endpoints.get(id).ok_or_else(|| endpoint_not_found(id))
}

fn state_at(e: &EndpointRec, now: i64) -> &'static str {
    if e.kind == "Interface" && now - e.created < ENDPOINT_PENDING_MS {
        "pending"
    } else {
        "available"
    }
}

impl Filterable for (&EndpointRec, i64) {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        let (e, now) = self;
        Some(match name {
            "service-name" => vec![e.service.clone()],
            "vpc-id" => vec![e.vpc.clone()],
            "vpc-endpoint-id" => vec![e.id.clone()],
            "vpc-endpoint-state" => vec![state_at(e, *now).into()],
            "vpc-endpoint-type" => vec![e.kind.clone()],
            "ip-address-type" => vec!["ipv4".into()],
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &self.0.tags
    }
}

fn out(e: &EndpointRec, s: &RegionState, owner: &str, region: &str, now: i64) -> VpcEndpoint {
    let interface = e.kind == "Interface";
    let svc = short(&e.service);
    let dns_entries = if interface {
        let suffix = dns_suffix(&e.id);
        let base = format!("{}-{suffix}.{svc}.{region}.vpce.amazonaws.com", e.id);
        let mut d = vec![DnsEntry {
            dns_name: Some(base.clone()),
            hosted_zone_id: Some("Z7HUB22UULQXV".into()),
        }];
        for sn in &e.subnets {
            if let Some(x) = s.subnets.get(sn) {
                d.push(DnsEntry {
                    dns_name: Some(format!(
                        "{}-{suffix}-{}.{svc}.{region}.vpce.amazonaws.com",
                        e.id, x.az
                    )),
                    hosted_zone_id: Some("Z7HUB22UULQXV".into()),
                });
            }
        }
        if e.private_dns {
            d.push(DnsEntry {
                dns_name: Some(private_dns_name(svc, region)),
                hosted_zone_id: Some("ZONEIDPENDING".into()),
            });
        }
        d
    } else {
        vec![]
    };
    VpcEndpoint {
        vpc_endpoint_id: Some(e.id.clone()),
        vpc_endpoint_type: Some(e.kind.clone()),
        vpc_id: Some(e.vpc.clone()),
        service_name: Some(e.service.clone()),
        state: Some(state_at(e, now).into()),
        policy_document: Some(e.policy.clone()),
        route_table_ids: Some(e.route_tables.clone()),
        subnet_ids: Some(e.subnets.clone()),
        groups: Some(
            e.groups
                .iter()
                .map(|g| SecurityGroupIdentifier {
                    group_id: Some(g.clone()),
                    group_name: s.sgs.get(g).map(|x| x.name.clone()),
                })
                .collect(),
        ),
        ip_address_type: Some("ipv4".into()),
        dns_options: interface.then(|| DnsOptions {
            dns_record_ip_type: Some("ipv4".into()),
            ..Default::default()
        }),
        private_dns_enabled: Some(e.private_dns),
        requester_managed: Some(false),
        network_interface_ids: Some(e.enis.clone()),
        dns_entries: Some(dns_entries),
        creation_timestamp: Some(Timestamp(e.created)),
        tags: Some(wire_tags(&e.tags).unwrap_or_default()),
        owner_id: Some(owner.to_string()),
        ..Default::default()
    }
}

/// Route tables a gateway endpoint may use: existing, in its VPC, without a
/// route to the list already.
fn check_route_tables(
    s: &RegionState,
    vpc: &str,
    pl: &str,
    ids: &[String],
) -> Result<(), AwsError> {
    for id in ids {
        check_id(id, "rtb", "InvalidRouteTableID.Malformed")?;
        let r = s.rtbs.get(id).ok_or_else(|| {
            AwsError::bad_request(
                "InvalidRouteTableID.NotFound",
                format!("The routeTable ID '{id}' does not exist"),
            )
        })?;
        if r.vpc != vpc {
            return Err(AwsError::bad_request(
                "InvalidParameter",
                format!("Route table {id} does not belong to vpc {vpc}"),
            ));
        }
        if r.routes.iter().any(|x| x.dest == pl) {
            return Err(AwsError::bad_request(
                "RouteAlreadyExists",
                format!(
                    "route table {id} already has a route with destination-prefix-list-id {pl}"
                ),
            ));
        }
    }
    Ok(())
}

/// Subnets an interface endpoint may use: existing, in its VPC, one per zone.
fn check_subnets(
    s: &RegionState,
    vpc: &str,
    have: &[String],
    ids: &[String],
) -> Result<(), AwsError> {
    let mut zones: Vec<String> = have
        .iter()
        .filter_map(|x| s.subnets.get(x).map(|x| x.az.clone()))
        .collect();
    for id in ids {
        let sn = super::subnets::subnet_or_err(s, id)?;
        if sn.vpc != vpc {
            return Err(AwsError::bad_request(
                "InvalidParameter",
                format!("The subnet ID '{id}' does not belong to vpc {vpc}"),
            ));
        }
        if zones.contains(&sn.az) {
            return Err(AwsError::bad_request(
                "DuplicateSubnetsInSameZone",
                format!(
                    "Found another VPC endpoint subnet in the availability zone of {id}. VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service."
                ),
            ));
        }
        if s.free_ip(id).is_none() {
            return Err(AwsError::bad_request(
                "InsufficientFreeAddressesInSubnet",
                format!("Subnet {id} has no free addresses"),
            ));
        }
        zones.push(sn.az.clone());
    }
    Ok(())
}

fn add_route(s: &mut RegionState, rtb: &str, pl: &str, endpoint: &str) {
    if let Some(r) = s.rtbs.get_mut(rtb) {
        r.routes.push(RouteRec {
            dest: pl.to_string(),
            target: endpoint.to_string(),
            origin: "CreateRoute".into(),
        });
    }
}

fn remove_route(s: &mut RegionState, rtb: &str, endpoint: &str) {
    if let Some(r) = s.rtbs.get_mut(rtb) {
        r.routes.retain(|x| x.target != endpoint);
    }
}

fn add_interface(s: &mut RegionState, e: &EndpointRec, subnet: &str, now: i64) -> Option<String> {
    let eni = EniRec {
        subnet: subnet.to_string(),
        description: format!("VPC Endpoint Interface {}", e.id),
        kind: "vpc_endpoint".into(),
        requester_managed: true,
        source_dest_check: true,
        groups: e.groups.clone(),
        attachment: Some(service_attachment(now)),
        ..Default::default()
    };
    s.add_eni(eni, None)
}

fn dns_flags_ok(s: &RegionState, vpc: &str) -> Result<(), AwsError> {
    let v = s.vpcs.get(vpc);
    if v.is_some_and(|v| v.dns_support && v.dns_hostnames) {
        return Ok(());
    }
    Err(AwsError::bad_request(
        "InvalidParameter",
        format!(
            "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for {vpc}"
        ),
    ))
}

pub fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CreateVpcEndpointRequest,
) -> Result<CreateVpcEndpointResult, AwsError> {
    let tags = spec_tags(&i.tag_specifications, "vpc-endpoint")?;
    let kind = i
        .vpc_endpoint_type
        .clone()
        .unwrap_or_else(|| "Gateway".into());
    if kind != "Gateway" && kind != "Interface" {
        return Err(invalid(format!(
            "Value ({kind}) for parameter vpcEndpointType is invalid."
        )));
    }
    let service = i.service_name.clone().ok_or_else(|| {
        AwsError::bad_request(
            "MissingParameter",
            "The request must contain the parameter ServiceName",
        )
    })?;
    let all = services(&ctx.region);
    if !all.iter().any(|(n, _)| n == &service) {
        return Err(AwsError::bad_request(
            "InvalidServiceName",
            format!("The Vpc Endpoint Service '{service}' does not exist"),
        ));
    }
    if !all.iter().any(|(n, k)| n == &service && *k == kind) {
        return Err(AwsError::bad_request(
            "InvalidParameter",
            format!(
                "The Vpc Endpoint Service '{service}' does not support endpoint type '{kind}'."
            ),
        ));
    }
    let now = ec2.now();
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    if let Some(t) = &i.client_token {
        if let Some(e) = s
            .endpoints
            .values()
            .find(|e| e.client_token.as_ref() == Some(t))
        {
            return Ok(CreateVpcEndpointResult {
                vpc_endpoint: Some(out(e, &s, ctx.account_id(), &ctx.region, now)),
                client_token: Some(t.clone()),
            });
        }
    }
    vpc_or_err(&s, &i.vpc_id)?;
    let rtbs = i.route_table_ids.clone().unwrap_or_default();
    let subnets = i.subnet_ids.clone().unwrap_or_default();
    let id = new_id("vpce");
    let mut e = EndpointRec {
        id: id.clone(),
        vpc: i.vpc_id.clone(),
        service: service.clone(),
        kind: kind.clone(),
        policy: i
            .policy_document
            .clone()
            .unwrap_or_else(|| FULL_ACCESS.into()),
        created: now,
        client_token: i.client_token.clone(),
        tags,
        ..Default::default()
    };
    let pl = if kind == "Gateway" {
        if !subnets.is_empty() || i.security_group_ids.as_ref().is_some_and(|g| !g.is_empty()) {
            return Err(AwsError::bad_request(
                "InvalidParameter",
                "Subnets and security groups are not supported for Gateway VPC endpoints.",
            ));
        }
        if i.private_dns_enabled == Some(true) {
            return Err(AwsError::bad_request(
                "InvalidParameter",
                "Private DNS is not supported for Gateway VPC endpoints.",
            ));
        }
        let pl = aws_list_for(&ctx.region, &service)
            .map(|l| l.id)
            .ok_or_else(|| AwsError::internal("gateway service without a prefix list"))?;
        check_route_tables(&s, &i.vpc_id, &pl, &rtbs)?;
        Some(pl)
    } else {
        if !rtbs.is_empty() {
            return Err(AwsError::bad_request(
                "InvalidParameter",
                "Route tables are not supported for Interface VPC endpoints.",
            ));
        }
        let first = subnets.first().cloned().unwrap_or_default();
        check_subnets(&s, &i.vpc_id, &[], &subnets)?;
        e.groups = groups_for(&s, &i.vpc_id, &first, i.security_group_ids.as_ref())?;
        e.private_dns = i.private_dns_enabled.unwrap_or(true);
        if e.private_dns {
            dns_flags_ok(&s, &i.vpc_id)?;
        }
        None
    };
    dry_run(i.dry_run)?;
    if let Some(pl) = &pl {
        for r in &rtbs {
            add_route(&mut s, r, pl, &id);
        }
        e.route_tables = rtbs;
    } else {
        for sn in &subnets {
            let eni = add_interface(&mut s, &e, sn, now)
                .ok_or_else(|| AwsError::internal("subnet vanished"))?;
            e.enis.push(eni);
        }
        e.subnets = subnets;
    }
    let res = out(&e, &s, ctx.account_id(), &ctx.region, now);
    s.endpoints.insert(id, e);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(CreateVpcEndpointResult {
        vpc_endpoint: Some(res),
        client_token: i.client_token,
    })
}

pub fn modify(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: ModifyVpcEndpointRequest,
) -> Result<ModifyVpcEndpointResult, AwsError> {
    let now = ec2.now();
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let e = endpoint_or_err(&s, &i.vpc_endpoint_id)?.clone();
    let add_rtbs = i.add_route_table_ids.clone().unwrap_or_default();
    let remove_rtbs = i.remove_route_table_ids.clone().unwrap_or_default();
    let add_subnets = i.add_subnet_ids.clone().unwrap_or_default();
    let remove_subnets = i.remove_subnet_ids.clone().unwrap_or_default();
    let add_groups = i.add_security_group_ids.clone().unwrap_or_default();
    let remove_groups = i.remove_security_group_ids.clone().unwrap_or_default();
    let gateway = e.kind == "Gateway";
    if gateway
        && (!add_subnets.is_empty()
            || !remove_subnets.is_empty()
            || !add_groups.is_empty()
            || !remove_groups.is_empty()
            || i.private_dns_enabled.is_some())
    {
        return Err(AwsError::bad_request(
            "InvalidParameter",
            "Subnets, security groups and private DNS are not supported for Gateway VPC endpoints.",
        ));
    }
    if !gateway && (!add_rtbs.is_empty() || !remove_rtbs.is_empty()) {
        return Err(AwsError::bad_request(
            "InvalidParameter",
            "Route tables are not supported for Interface VPC endpoints.",
        ));
    }
    let pl = aws_list_for(&ctx.region, &e.service).map(|l| l.id);
    if gateway {
        let fresh: Vec<String> = add_rtbs
            .iter()
            .filter(|r| !e.route_tables.contains(r))
            .cloned()
            .collect();
        check_route_tables(&s, &e.vpc, pl.as_deref().unwrap_or(""), &fresh)?;
        for r in &remove_rtbs {
            if !e.route_tables.contains(r) {
                return Err(invalid(format!(
                    "Route table {r} is not associated with {}",
                    e.id
                )));
            }
        }
    } else {
        let kept: Vec<String> = e
            .subnets
            .iter()
            .filter(|x| !remove_subnets.contains(x))
            .cloned()
            .collect();
        for r in &remove_subnets {
            if !e.subnets.contains(r) {
                return Err(invalid(format!(
                    "Subnet {r} is not associated with {}",
                    e.id
                )));
            }
        }
        let fresh: Vec<String> = add_subnets
            .iter()
            .filter(|x| !kept.contains(x))
            .cloned()
            .collect();
        check_subnets(&s, &e.vpc, &kept, &fresh)?;
        if !add_groups.is_empty() {
            groups_for(&s, &e.vpc, "", Some(&add_groups))?;
        }
        if i.private_dns_enabled == Some(true) {
            dns_flags_ok(&s, &e.vpc)?;
        }
    }
    dry_run(i.dry_run)?;
    let mut e = e;
    if gateway {
        let pl = pl.unwrap_or_default();
        for r in &remove_rtbs {
            remove_route(&mut s, r, &e.id);
        }
        e.route_tables.retain(|r| !remove_rtbs.contains(r));
        for r in add_rtbs {
            if !e.route_tables.contains(&r) {
                add_route(&mut s, &r, &pl, &e.id);
                e.route_tables.push(r);
            }
        }
    } else {
        for g in add_groups {
            if !e.groups.contains(&g) {
                e.groups.push(g);
            }
        }
        e.groups.retain(|g| !remove_groups.contains(g));
        let gone: Vec<String> = e
            .enis
            .iter()
            .filter(|x| {
                s.enis
                    .get(*x)
                    .is_some_and(|n| remove_subnets.contains(&n.subnet))
            })
            .cloned()
            .collect();
        for x in &gone {
            s.remove_eni(x);
        }
        e.enis.retain(|x| !gone.contains(x));
        e.subnets.retain(|x| !remove_subnets.contains(x));
        for sn in add_subnets {
            if !e.subnets.contains(&sn) {
                let eni = add_interface(&mut s, &e, &sn, now)
                    .ok_or_else(|| AwsError::internal("subnet vanished"))?;
                e.enis.push(eni);
                e.subnets.push(sn);
            }
        }
        for x in &e.enis {
            if let Some(n) = s.enis.get_mut(x) {
                n.groups = e.groups.clone();
            }
        }
        if let Some(p) = i.private_dns_enabled {
            e.private_dns = p;
        }
    }
    if i.reset_policy == Some(true) {
        e.policy = FULL_ACCESS.into();
    } else if let Some(p) = &i.policy_document {
        e.policy = p.clone();
    }
    s.endpoints.insert(e.id.clone(), e);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(ModifyVpcEndpointResult {
        r#return: Some(true),
    })
}

pub fn delete(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DeleteVpcEndpointsRequest,
) -> Result<DeleteVpcEndpointsResult, AwsError> {
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let mut unsuccessful = Vec::new();
    for id in &i.vpc_endpoint_ids {
        let Some(e) = s.endpoints.remove(id) else {
            let err = endpoint_or_err(&s, id)
                .err()
                .unwrap_or_else(|| endpoint_not_found(id));
            unsuccessful.push(UnsuccessfulItem {
                error: Some(UnsuccessfulItemError {
                    code: Some(err.code),
                    message: Some(err.message),
                }),
                resource_id: Some(id.clone()),
            });
            continue;
        };
        for r in &e.route_tables {
            remove_route(&mut s, r, &e.id);
        }
        for x in &e.enis {
            s.remove_eni(x);
        }
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(DeleteVpcEndpointsResult {
        unsuccessful: Some(unsuccessful),
    })
}

pub fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeVpcEndpointsRequest,
) -> Result<DescribeVpcEndpointsResult, AwsError> {
    dry_run(i.dry_run)?;
    let now = ec2.now();
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    for id in i.vpc_endpoint_ids.iter().flatten() {
        endpoint_or_err(&s, id)?;
    }
    let filters = i.filters.clone().unwrap_or_default();
    let mut res = Vec::new();
    for e in s.endpoints.values() {
        if i.vpc_endpoint_ids
            .as_ref()
            .is_some_and(|ids| !ids.contains(&e.id))
        {
            continue;
        }
        if matches(&(e, now), &filters)? {
            res.push(out(e, &s, ctx.account_id(), &ctx.region, now));
        }
    }
    let (vpc_endpoints, next_token) = page(res, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeVpcEndpointsResult {
        vpc_endpoints: Some(vpc_endpoints),
        next_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_catalogue() {
        let all = services("eu-west-1");
        assert!(all.contains(&("com.amazonaws.eu-west-1.s3".into(), "Gateway")));
        assert!(all.contains(&("com.amazonaws.eu-west-1.s3".into(), "Interface")));
        assert!(all.contains(&("com.amazonaws.eu-west-1.sqs".into(), "Interface")));
        assert!(!all.contains(&("com.amazonaws.eu-west-1.sqs".into(), "Gateway")));
        assert_eq!(
            service_id("eu-west-1", "com.amazonaws.eu-west-1.sqs", "Interface"),
            service_id("eu-west-1", "com.amazonaws.eu-west-1.sqs", "Interface")
        );
        assert_eq!(
            private_dns_name("s3", "eu-west-1"),
            "*.s3.eu-west-1.amazonaws.com"
        );
    }

    #[test]
    fn gateway_routes_come_and_go() {
        let mut s = RegionState::with_defaults("us-east-1");
        let vpc = s.vpcs.keys().next().unwrap().clone();
        let rtb = s.main_rtb(&vpc).unwrap().id.clone();
        check_route_tables(&s, &vpc, "pl-1", std::slice::from_ref(&rtb)).unwrap();
        add_route(&mut s, &rtb, "pl-1", "vpce-1");
        assert!(check_route_tables(&s, &vpc, "pl-1", std::slice::from_ref(&rtb)).is_err());
        remove_route(&mut s, &rtb, "vpce-1");
        assert!(s.rtbs[&rtb].routes.iter().all(|r| r.target != "vpce-1"));
    }

    #[test]
    fn one_subnet_per_zone() {
        let s = RegionState::with_defaults("us-east-1");
        let vpc = s.vpcs.keys().next().unwrap().clone();
        let sn: Vec<String> = s.subnets.keys().cloned().collect();
        check_subnets(&s, &vpc, &[], &sn[..2]).unwrap();
        let err = check_subnets(&s, &vpc, &sn[..1], &sn[..1]).unwrap_err();
        assert_eq!(err.code, "DuplicateSubnetsInSameZone");
    }
}
