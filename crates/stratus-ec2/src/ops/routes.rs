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

impl Filterable for (&RtbRec, &str) {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        let (r, owner) = self;
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
            "route.destination-cidr-block" => r
                .routes
                .iter()
                .filter(|x| !x.dest.starts_with("pl-"))
                .map(|x| x.dest.clone())
                .collect(),
            "route.destination-prefix-list-id" => r
                .routes
                .iter()
                .filter(|x| x.dest.starts_with("pl-"))
                .map(|x| x.dest.clone())
                .collect(),
            "route.gateway-id" => r
                .routes
                .iter()
                .filter(|x| {
                    x.target == "local"
                        || x.target.starts_with("igw-")
                        || x.target.starts_with("vpce-")
                })
                .map(|x| x.target.clone())
                .collect(),
            "route.nat-gateway-id" => r
                .routes
                .iter()
                .filter(|x| x.target.starts_with("nat-"))
                .map(|x| x.target.clone())
                .collect(),
            "route.state" => vec!["active".into()],
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &self.0.tags
    }
}

fn route_out(r: &RouteRec, s: &RegionState) -> Route {
    let prefix_list = r.dest.starts_with("pl-");
    let mut out = Route {
        destination_cidr_block: (!prefix_list).then(|| r.dest.clone()),
        destination_prefix_list_id: prefix_list.then(|| r.dest.clone()),
        origin: Some(r.origin.clone()),
        ..Default::default()
    };
    let t = r.target.as_str();
    // A route to a gateway that is gone is a blackhole, as on AWS.
    let alive = t == "local"
        || s.igws.get(t).is_some()
        || super::nat::nat_exists(s, t)
        || !(t.starts_with("igw-") || t.starts_with("nat-"));
    out.state = Some(if alive { "active" } else { "blackhole" }.into());
    if t == "local" || t.starts_with("igw-") || t.starts_with("vpce-") {
        out.gateway_id = Some(t.to_string());
    } else if t.starts_with("nat-") {
        out.nat_gateway_id = Some(t.to_string());
    } else if t.starts_with("eni-") {
        out.network_interface_id = Some(t.to_string());
    } else if t.starts_with("pcx-") {
        out.vpc_peering_connection_id = Some(t.to_string());
    } else if t.starts_with("i-") {
        out.instance_id = Some(t.to_string());
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
        routes: Some(r.routes.iter().map(|x| route_out(x, s)).collect()),
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
    let local = RouteRec {
        dest: vpc.cidr.clone(),
        target: "local".into(),
        origin: "CreateRouteTable".into(),
    };
    dry_run(i.dry_run)?;
    let id = new_id("rtb");
    s.rtbs.insert(
        id.clone(),
        RtbRec {
            id: id.clone(),
            vpc: i.vpc_id.clone(),
            routes: vec![local],
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

fn target_of(i: &CreateRouteRequest) -> Result<String, AwsError> {
    let targets: Vec<&String> = [
        &i.gateway_id,
        &i.nat_gateway_id,
        &i.network_interface_id,
        &i.vpc_peering_connection_id,
        &i.instance_id,
        &i.egress_only_internet_gateway_id,
        &i.transit_gateway_id,
    ]
    .into_iter()
    .flatten()
    .collect();
    match targets.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(AwsError::bad_request(
            "MissingParameter",
            "The request must contain exactly one of gatewayId, natGatewayId, networkInterfaceId, vpcPeeringConnectionId, instanceId or transitGatewayId",
        )),
        _ => Err(invalid(
            "The request must contain exactly one of gatewayId, natGatewayId, networkInterfaceId, vpcPeeringConnectionId, instanceId or transitGatewayId",
        )),
    }
}

pub fn create_route(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CreateRouteRequest,
) -> Result<CreateRouteResult, AwsError> {
    let dest = i.destination_cidr_block.clone().ok_or_else(|| AwsError::bad_request("MissingParameter", "The request must contain the parameter destinationCidrBlock or destinationIpv6CidrBlock"))?;
    let cidr = Cidr::parse(&dest).ok_or_else(|| {
        invalid(format!("Value ({dest}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block."))
    })?;
    let target = target_of(&i)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let rtb = rtb_or_err(&s, &i.route_table_id)?;
    if target.starts_with("igw-") {
        let g = s
            .igws
            .get(&target)
            .ok_or_else(|| not_found("InvalidGatewayID.NotFound", "gateway", &target))?;
        if g.vpc.as_deref() != Some(rtb.vpc.as_str()) {
            return Err(invalid(format!(
                "route table {} and network gateway {} belong to different networks",
                rtb.id, target
            )));
        }
    }
    if rtb.routes.iter().any(|r| r.dest == cidr.to_string()) {
        return Err(AwsError::bad_request(
            "RouteAlreadyExists",
            format!("The route identified by {dest} already exists."),
        ));
    }
    dry_run(i.dry_run)?;
    if let Some(r) = s.rtbs.get_mut(&i.route_table_id) {
        r.routes.push(RouteRec {
            dest: cidr.to_string(),
            target,
            origin: "CreateRoute".into(),
        });
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(CreateRouteResult {
        r#return: Some(true),
    })
}

pub fn delete_route(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DeleteRouteRequest,
) -> Result<(), AwsError> {
    let dest = i.destination_cidr_block.clone().unwrap_or_default();
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
        if matches(&(r, ctx.account_id()), &filters)? {
            res.push(out(r, &s, ctx.account_id()));
        }
    }
    let (route_tables, next_token) = page(res, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeRouteTablesResult {
        route_tables: Some(route_tables),
        next_token,
    })
}
