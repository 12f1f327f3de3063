//! Route tables: the main table of each VPC, explicit subnet associations,
//! and routes to gateways, with the local route every table keeps.

use stratus_core::{AwsError, RequestContext};

use super::{
    check_id, dry_run, invalid, not_found, page, spec_tags, subnets::subnet_or_err,
    vpcs::vpc_or_err, wire_tags,
};
use crate::Ec2;
use crate::cidr::Cidr;
use crate::filters::{Filterable, matches};
use crate::generated::*;
use crate::state::{AssocRec, RegionState, RouteRec, RtbRec, Tags, new_id};

impl Filterable for (&RtbRec, &str, &RegionState) {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        let (r, owner, s) = self;
        let targets = |prefixes: &[&str]| -> Vec<String> {
            r.routes
                .iter()
                .filter(|x| prefixes.iter().any(|p| x.target.starts_with(p)))
                .map(|x| x.target.clone())
                .collect()
        };
        Some(match name {
            "route-table-id" => vec![r.id.clone()],
            "vpc-id" => vec![r.vpc.clone()],
            "owner-id" => vec![owner.to_string()],
            "association.main" => vec![r.assocs.iter().any(|a| a.main).to_string()],
            "association.subnet-id" => r.assocs.iter().filter_map(|a| a.subnet.clone()).collect(),
            "association.route-table-association-id" => {
                r.assocs.iter().map(|a| a.id.clone()).collect()
            }
            "association.route-table-id" => r.assocs.iter().map(|_| r.id.clone()).collect(),
            "association.gateway-id" => vec![],
            "route.destination-cidr-block" => r
                .routes
                .iter()
                .filter(|x| !is_v6(&x.dest) && !x.dest.starts_with("pl-"))
                .map(|x| x.dest.clone())
                .collect(),
            "route.destination-ipv6-cidr-block" => r
                .routes
                .iter()
                .filter(|x| is_v6(&x.dest))
                .map(|x| x.dest.clone())
                .collect(),
            "route.destination-prefix-list-id" => r
                .routes
                .iter()
                .filter(|x| x.dest.starts_with("pl-"))
                .map(|x| x.dest.clone())
                .collect(),
            "route.gateway-id" => targets(&["local", "igw-", "vgw-", "vpce-"]),
            "route.egress-only-internet-gateway-id" => targets(&["eigw-"]),
            "route.nat-gateway-id" => targets(&["nat-"]),
            "route.instance-id" => targets(&["i-"]),
            "route.transit-gateway-id" => targets(&["tgw-"]),
            "route.vpc-peering-connection-id" => targets(&["pcx-"]),
            "route.origin" => r.routes.iter().map(|x| x.origin.clone()).collect(),
            "route.state" => r
                .routes
                .iter()
                .map(|x| route_state(s, &r.vpc, &x.target).to_string())
                .collect(),
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &self.0.tags
    }
}

fn is_v6(dest: &str) -> bool {
    dest.contains(':')
}

/// Whether a route target exists in the region at all (a peering
/// connection only while it is pending or active). Each kind of target is
/// known by its id prefix; new kinds of target join here.
pub fn target_exists(s: &RegionState, id: &str) -> bool {
    if id == "local" {
        return true;
    }
    match id.split('-').next().unwrap_or("") {
        "igw" => s.igws.contains_key(id),
        "eigw" => s.eigws.contains_key(id),
        "pcx" => s.peerings.get(id).is_some_and(|p| p.is_open()),
        "eni" => s.enis.contains_key(id),
        "i" => s.instance_eni(id, 0).is_some(),
        "nat" => super::nat::nat_exists(s, id),
        "vpce" => s.endpoints.contains_key(id),
        _ => false,
    }
}

/// The VPCs a target serves (both sides of a peering connection).
fn target_vpcs<'a>(s: &'a RegionState, id: &str) -> Vec<&'a str> {
    match id.split('-').next().unwrap_or("") {
        "igw" => s
            .igws
            .get(id)
            .and_then(|g| g.vpc.as_deref())
            .into_iter()
            .collect(),
        "eigw" => s
            .eigws
            .get(id)
            .map(|g| g.vpc.as_str())
            .into_iter()
            .collect(),
        "pcx" => s
            .peerings
            .get(id)
            .map(|p| vec![p.requester.vpc.as_str(), p.accepter.vpc.as_str()])
            .unwrap_or_default(),
        "eni" => s.enis.get(id).map(|e| e.vpc.as_str()).into_iter().collect(),
        "i" => s
            .instance_eni(id, 0)
            .map(|e| e.vpc.as_str())
            .into_iter()
            .collect(),
        _ => vec![],
    }
}

/// `active`, or `blackhole` when the target is gone or no longer reaches
/// the table's VPC (a detached gateway, a peering connection that is not
/// active).
pub fn route_state(s: &RegionState, vpc: &str, target: &str) -> &'static str {
    if target == "local" {
        return "active";
    }
    let alive = match target.split('-').next().unwrap_or("") {
        "igw" | "eigw" | "eni" | "i" => {
            target_exists(s, target) && target_vpcs(s, target).contains(&vpc)
        }
        "pcx" => s.peerings.get(target).is_some_and(|p| p.status == "active"),
        _ => target_exists(s, target),
    };
    if alive { "active" } else { "blackhole" }
}

/// Refuses a route whose target does not exist or serves another VPC.
fn check_target(s: &RegionState, rtb: &RtbRec, target: &str) -> Result<(), AwsError> {
    let kind = target.split('-').next().unwrap_or("");
    if !target_exists(s, target) {
        return Err(match kind {
            "igw" | "eigw" | "vgw" => not_found("InvalidGatewayID.NotFound", "gateway", target),
            "pcx" => not_found(
                "InvalidVpcPeeringConnectionID.NotFound",
                "vpcPeeringConnection",
                target,
            ),
            "eni" => not_found(
                "InvalidNetworkInterfaceID.NotFound",
                "networkInterface",
                target,
            ),
            "nat" => not_found("InvalidNatGatewayID.NotFound", "natGateway", target),
            "i" => not_found("InvalidInstanceID.NotFound", "instance", target),
            "tgw" => not_found("InvalidTransitGatewayID.NotFound", "transitGateway", target),
            _ => invalid(format!("Invalid id: \"{target}\"")),
        });
    }
    let vpcs = target_vpcs(s, target);
    if matches!(kind, "igw" | "eigw" | "pcx" | "eni" | "i") && !vpcs.contains(&rtb.vpc.as_str()) {
        let noun = match kind {
            "pcx" => "VPC peering connection",
            "eni" => "network interface",
            "i" => "instance",
            _ => "network gateway",
        };
        return Err(invalid(format!(
            "route table {} and {noun} {target} belong to different networks",
            rtb.id
        )));
    }
    Ok(())
}

/// The destination of a route request: an IPv4 or an IPv6 CIDR block.
fn destination(v4: &Option<String>, v6: &Option<String>) -> Result<String, AwsError> {
    match (v4, v6) {
        (Some(d), None) => Cidr::parse(d).map(|c| c.to_string()).ok_or_else(|| {
            invalid(format!(
                "Value ({d}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block."
            ))
        }),
        (None, Some(d)) => {
            let ok = d.split_once('/').is_some_and(|(a, p)| {
                a.parse::<std::net::Ipv6Addr>().is_ok() && p.parse::<u8>().is_ok_and(|p| p <= 128)
            });
            if ok {
                Ok(d.to_ascii_lowercase())
            } else {
                Err(invalid(format!(
                    "Value ({d}) for parameter destinationIpv6CidrBlock is invalid. This is not a valid IPv6 CIDR block."
                )))
            }
        }
        (Some(_), Some(_)) => Err(AwsError::bad_request(
            "InvalidParameterCombination",
            "Only one of destinationCidrBlock, destinationIpv6CidrBlock or destinationPrefixListId may be specified",
        )),
        (None, None) => Err(AwsError::bad_request(
            "MissingParameter",
            "The request must contain the parameter destinationCidrBlock or destinationIpv6CidrBlock",
        )),
    }
}

fn route_out(r: &RouteRec, vpc: &str, s: &RegionState) -> Route {
    let mut out = Route {
        origin: Some(r.origin.clone()),
        state: Some(route_state(s, vpc, &r.target).into()),
        ..Default::default()
    };
    if r.dest.starts_with("pl-") {
        out.destination_prefix_list_id = Some(r.dest.clone());
    } else if is_v6(&r.dest) {
        out.destination_ipv6_cidr_block = Some(r.dest.clone());
    } else {
        out.destination_cidr_block = Some(r.dest.clone());
    }
    let t = r.target.clone();
    match t.split('-').next().unwrap_or("") {
        "eigw" => out.egress_only_internet_gateway_id = Some(t),
        "nat" => out.nat_gateway_id = Some(t),
        "eni" => out.network_interface_id = Some(t),
        "pcx" => out.vpc_peering_connection_id = Some(t),
        "tgw" => out.transit_gateway_id = Some(t),
        "i" => {
            out.network_interface_id = s.instance_eni(&t, 0).map(|e| e.id.clone());
            out.instance_id = Some(t);
        }
        _ => out.gateway_id = Some(t),
    }
    out
}

fn out(r: &RtbRec, s: &RegionState, owner: &str) -> RouteTable {
    RouteTable {
        associations: Some(
            r.assocs
                .iter()
                .map(|a| RouteTableAssociation {
                    main: Some(a.main),
                    route_table_association_id: Some(a.id.clone()),
                    route_table_id: Some(r.id.clone()),
                    subnet_id: a.subnet.clone(),
                    association_state: Some(RouteTableAssociationState {
                        state: Some("associated".into()),
                        status_message: None,
                    }),
                    ..Default::default()
                })
                .collect(),
        ),
        propagating_vgws: Some(vec![]),
        route_table_id: Some(r.id.clone()),
        routes: Some(r.routes.iter().map(|x| route_out(x, &r.vpc, s)).collect()),
        tags: wire_tags(&r.tags),
        vpc_id: Some(r.vpc.clone()),
        owner_id: Some(owner.to_string()),
    }
}

fn rtb_or_err<'a>(s: &'a RegionState, id: &str) -> Result<&'a RtbRec, AwsError> {
    check_id(id, "rtb", "InvalidRouteTableID.Malformed")?;
    s.rtbs
        .get(id)
        .ok_or_else(|| not_found("InvalidRouteTableID.NotFound", "routeTable", id))
}

pub fn create_table(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CreateRouteTableRequest,
) -> Result<CreateRouteTableResult, AwsError> {
    let tags = spec_tags(&i.tag_specifications, "route-table")?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let vpc = vpc_or_err(&s, &i.vpc_id)?;
    let local: Vec<RouteRec> = vpc
        .cidrs()
        .into_iter()
        .map(|c| RouteRec {
            dest: c.to_string(),
            target: "local".into(),
            origin: "CreateRouteTable".into(),
        })
        .collect();
    dry_run(i.dry_run)?;
    let id = new_id("rtb");
    s.rtbs.insert(
        id.clone(),
        RtbRec {
            id: id.clone(),
            vpc: i.vpc_id.clone(),
            routes: local,
            assocs: vec![],
            tags,
        },
    );
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    let res = s.rtbs.get(&id).map(|r| out(r, &s, ctx.account_id()));
    Ok(CreateRouteTableResult {
        route_table: res,
        client_token: i.client_token,
    })
}

pub fn associate(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: AssociateRouteTableRequest,
) -> Result<AssociateRouteTableResult, AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let rtb = rtb_or_err(&s, &i.route_table_id)?;
    let subnet_id = i.subnet_id.clone().ok_or_else(|| {
        AwsError::bad_request(
            "MissingParameter",
            "Either 'subnetId' or 'gatewayId' should be provided.",
        )
    })?;
    let subnet = subnet_or_err(&s, &subnet_id)?;
    if subnet.vpc != rtb.vpc {
        return Err(invalid(format!(
            "Route table {} and subnet {} belong to different networks",
            rtb.id, subnet.id
        )));
    }
    if let Some(other) = s.rtbs.values().find(|r| {
        r.assocs
            .iter()
            .any(|a| a.subnet.as_deref() == Some(subnet_id.as_str()))
    }) {
        return Err(AwsError::bad_request(
            "Resource.AlreadyAssociated",
            format!(
                "the specified association for route table {} conflicts with an existing association",
                other.id
            ),
        ));
    }
    dry_run(i.dry_run)?;
    let assoc = new_id("rtbassoc");
    if let Some(r) = s.rtbs.get_mut(&i.route_table_id) {
        r.assocs.push(AssocRec {
            id: assoc.clone(),
            subnet: Some(subnet_id),
            main: false,
        });
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(AssociateRouteTableResult {
        association_id: Some(assoc),
        association_state: Some(RouteTableAssociationState {
            state: Some("associated".into()),
            status_message: None,
        }),
    })
}

pub fn disassociate(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DisassociateRouteTableRequest,
) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let found = s.rtbs.values().find_map(|r| {
        r.assocs
            .iter()
            .find(|a| a.id == i.association_id)
            .map(|a| (r.id.clone(), a.main))
    });
    let Some((rtb, main)) = found else {
        return Err(AwsError::bad_request(
            "InvalidAssociationID.NotFound",
            format!("The association ID '{}' does not exist", i.association_id),
        ));
    };
    if main {
        return Err(invalid(format!(
            "cannot disassociate the main route table association {}",
            i.association_id
        )));
    }
    dry_run(i.dry_run)?;
    if let Some(r) = s.rtbs.get_mut(&rtb) {
        r.assocs.retain(|a| a.id != i.association_id);
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

/// The one target a create or replace request names.
fn target_of(named: [&Option<String>; 7], local: Option<bool>) -> Result<String, AwsError> {
    let mut targets: Vec<String> = named.into_iter().flatten().cloned().collect();
    if local == Some(true) {
        targets.push("local".into());
    }
    const MSG: &str = "The request must contain exactly one of gatewayId, natGatewayId, networkInterfaceId, vpcPeeringConnectionId, instanceId, egressOnlyInternetGatewayId or transitGatewayId";
    match targets.len() {
        1 => Ok(targets.remove(0)),
        0 => Err(AwsError::bad_request("MissingParameter", MSG)),
        _ => Err(invalid(MSG)),
    }
}

pub fn create_route(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CreateRouteRequest,
) -> Result<CreateRouteResult, AwsError> {
    let dest = destination(&i.destination_cidr_block, &i.destination_ipv6_cidr_block)?;
    let target = target_of(
        [
            &i.gateway_id,
            &i.nat_gateway_id,
            &i.network_interface_id,
            &i.vpc_peering_connection_id,
            &i.instance_id,
            &i.egress_only_internet_gateway_id,
            &i.transit_gateway_id,
        ],
        None,
    )?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let rtb = rtb_or_err(&s, &i.route_table_id)?;
    check_target(&s, rtb, &target)?;
    if rtb.routes.iter().any(|r| r.dest == dest) {
        return Err(AwsError::bad_request(
            "RouteAlreadyExists",
            format!("The route identified by {dest} already exists."),
        ));
    }
    dry_run(i.dry_run)?;
    if let Some(r) = s.rtbs.get_mut(&i.route_table_id) {
        r.routes.push(RouteRec {
            dest,
            target,
            origin: "CreateRoute".into(),
        });
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(CreateRouteResult {
        r#return: Some(true),
    })
}

pub fn replace_route(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: ReplaceRouteRequest,
) -> Result<(), AwsError> {
    let dest = destination(&i.destination_cidr_block, &i.destination_ipv6_cidr_block)?;
    let target = target_of(
        [
            &i.gateway_id,
            &i.nat_gateway_id,
            &i.network_interface_id,
            &i.vpc_peering_connection_id,
            &i.instance_id,
            &i.egress_only_internet_gateway_id,
            &i.transit_gateway_id,
        ],
        i.local_target,
    )?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let rtb = rtb_or_err(&s, &i.route_table_id)?;
    let Some(route) = rtb.routes.iter().find(|r| r.dest == dest) else {
        return Err(AwsError::bad_request(
            "InvalidRoute.NotFound",
            format!(
                "no route with destination-cidr-block {dest} in route table {}",
                rtb.id
            ),
        ));
    };
    let vpc_block = s
        .vpcs
        .get(&rtb.vpc)
        .is_some_and(|v| v.cidrs().contains(&dest.as_str()));
    if route.target == "local" && target != "local" {
        return Err(invalid(format!(
            "cannot replace local route {dest} in route table {}",
            rtb.id
        )));
    }
    if target == "local" && !vpc_block {
        return Err(invalid(format!(
            "The destination {dest} is not a CIDR block of the route table's VPC; only those routes can target local"
        )));
    }
    check_target(&s, rtb, &target)?;
    dry_run(i.dry_run)?;
    if let Some(r) = s.rtbs.get_mut(&i.route_table_id) {
        for x in r.routes.iter_mut().filter(|x| x.dest == dest) {
            x.target = target.clone();
        }
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn replace_association(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: ReplaceRouteTableAssociationRequest,
) -> Result<ReplaceRouteTableAssociationResult, AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let found = s.rtbs.values().find_map(|r| {
        r.assocs
            .iter()
            .find(|a| a.id == i.association_id)
            .map(|a| (r.id.clone(), r.vpc.clone(), a.clone()))
    });
    let Some((old_rtb, vpc, assoc)) = found else {
        return Err(AwsError::bad_request(
            "InvalidAssociationID.NotFound",
            format!("The association ID '{}' does not exist", i.association_id),
        ));
    };
    let new = rtb_or_err(&s, &i.route_table_id)?;
    if new.vpc != vpc {
        return Err(invalid(format!(
            "Route table {} and association {} belong to different networks",
            new.id, assoc.id
        )));
    }
    dry_run(i.dry_run)?;
    let id = new_id("rtbassoc");
    if let Some(r) = s.rtbs.get_mut(&old_rtb) {
        r.assocs.retain(|a| a.id != assoc.id);
    }
    if let Some(r) = s.rtbs.get_mut(&i.route_table_id) {
        r.assocs.push(AssocRec {
            id: id.clone(),
            subnet: assoc.subnet,
            main: assoc.main,
        });
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(ReplaceRouteTableAssociationResult {
        new_association_id: Some(id),
        association_state: Some(RouteTableAssociationState {
            state: Some("associated".into()),
            status_message: None,
        }),
    })
}

pub fn delete_route(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DeleteRouteRequest,
) -> Result<(), AwsError> {
    let dest = destination(&i.destination_cidr_block, &i.destination_ipv6_cidr_block)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let rtb = rtb_or_err(&s, &i.route_table_id)?;
    let Some(route) = rtb.routes.iter().find(|r| r.dest == dest) else {
        return Err(AwsError::bad_request(
            "InvalidRoute.NotFound",
            format!(
                "no route with destination-cidr-block {dest} in route table {}",
                rtb.id
            ),
        ));
    };
    if route.target == "local" {
        return Err(invalid(format!(
            "cannot remove local route {dest} in route table {}",
            rtb.id
        )));
    }
    dry_run(i.dry_run)?;
    if let Some(r) = s.rtbs.get_mut(&i.route_table_id) {
        r.routes.retain(|x| x.dest != dest);
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn delete_table(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DeleteRouteTableRequest,
) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let rtb = rtb_or_err(&s, &i.route_table_id)?;
    if !rtb.assocs.is_empty() {
        return Err(AwsError::bad_request(
            "DependencyViolation",
            format!(
                "The routeTable '{}' has dependencies and cannot be deleted.",
                rtb.id
            ),
        ));
    }
    dry_run(i.dry_run)?;
    s.rtbs.remove(&i.route_table_id);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeRouteTablesRequest,
) -> Result<DescribeRouteTablesResult, AwsError> {
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    if let Some(ids) = &i.route_table_ids {
        for id in ids {
            rtb_or_err(&s, id)?;
        }
    }
    let filters = i.filters.clone().unwrap_or_default();
    let mut res = Vec::new();
    for r in s.rtbs.values() {
        if i.route_table_ids
            .as_ref()
            .is_some_and(|ids| !ids.contains(&r.id))
        {
            continue;
        }
        if matches(&(r, ctx.account_id(), &*s), &filters)? {
            res.push(out(r, &s, ctx.account_id()));
        }
    }
    let (route_tables, next_token) = page(res, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeRouteTablesResult {
        route_tables: Some(route_tables),
        next_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_follow_their_targets() {
        let mut s = RegionState::with_defaults("us-east-1");
        let vpc = s.vpcs.values().next().unwrap().id.clone();
        let rtb = s.main_rtb(&vpc).unwrap().clone();
        let igw = s.igws.values().next().unwrap().id.clone();
        assert_eq!(route_state(&s, &vpc, "local"), "active");
        assert_eq!(route_state(&s, &vpc, &igw), "active");
        assert!(check_target(&s, &rtb, &igw).is_ok());
        s.igws.get_mut(&igw).unwrap().vpc = None;
        assert_eq!(route_state(&s, &vpc, &igw), "blackhole");
        assert_eq!(
            check_target(&s, &rtb, &igw).unwrap_err().code,
            "InvalidParameterValue"
        );
        s.igws.remove(&igw);
        assert_eq!(
            check_target(&s, &rtb, &igw).unwrap_err().code,
            "InvalidGatewayID.NotFound"
        );
        let nat = "nat-0123456789abcdef0";
        assert!(!target_exists(&s, nat));
        assert_eq!(
            check_target(&s, &rtb, nat).unwrap_err().code,
            "InvalidNatGatewayID.NotFound"
        );
        assert_eq!(route_state(&s, &vpc, nat), "blackhole");
    }

    #[test]
    fn destinations_are_one_block() {
        assert_eq!(
            destination(&Some("10.0.0.0/16".into()), &None).unwrap(),
            "10.0.0.0/16"
        );
        assert_eq!(destination(&None, &Some("::/0".into())).unwrap(), "::/0");
        assert!(destination(&Some("10.0.0.1/16".into()), &None).is_err());
        assert!(destination(&None, &Some("nonsense".into())).is_err());
        assert_eq!(
            destination(&None, &None).unwrap_err().code,
            "MissingParameter"
        );
    }
}
