//! NAT gateways: a requester-managed interface in a subnet holding an
//! Elastic IP (public) or only a private address (private); `pending` then
//! `available`, `deleting` then `deleted`, on the service clock.

use stratus_core::{AwsError, RequestContext};
use stratus_protocol::Timestamp;

use super::enis::{check_ip, service_attachment};
use super::{dry_run, invalid, not_found, page, spec_tags, wire_tags};
use crate::Ec2;
use crate::filters::{Filterable, matches};
use crate::generated::*;
use crate::state::{EniRec, NatRec, RegionState, Tags, new_id};

/// How long a new gateway stays `pending`.
pub const NAT_PENDING_MS: i64 = 2_000;
/// How long a gateway stays `deleting`.
pub const NAT_DELETING_MS: i64 = 2_000;
/// How long a deleted gateway stays visible.
pub const NAT_DELETED_VISIBLE_MS: i64 = 3_600_000;

/// A gateway's state at `now`.
pub fn state_at(n: &NatRec, now: i64) -> &'static str {
    match n.deleted {
        Some(d) if now - d < NAT_DELETING_MS => "deleting",
        Some(_) => "deleted",
        None if now - n.created < NAT_PENDING_MS => "pending",
        None => "available",
    }
}

fn visible(n: &NatRec, now: i64) -> bool {
    n.deleted.is_none_or(|d| now - d < NAT_DELETED_VISIBLE_MS)
}

/// Whether a route may target this gateway (it exists and is not deleted).
pub fn nat_exists(s: &RegionState, id: &str) -> bool {
    s.nats.get(id).is_some_and(|n| n.deleted.is_none())
}

fn malformed(id: &str) -> AwsError {
    AwsError::bad_request(
        "NatGatewayMalformed",
        format!("The natGateway ID '{id}' is malformed"),
    )
}

fn nat_or_err<'a>(s: &'a RegionState, id: &str, now: i64) -> Result<&'a NatRec, AwsError> {
    let ok = id
        .strip_prefix("nat-")
        .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()));
    if !ok {
        return Err(malformed(id));
    }
    s.nats
        .get(id)
        .filter(|n| visible(n, now))
        .ok_or_else(|| not_found("NatGatewayNotFound", "natGateway", id))
}

impl Filterable for (&NatRec, i64) {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        let (n, now) = self;
        Some(match name {
            "nat-gateway-id" => vec![n.id.clone()],
            "state" => vec![state_at(n, *now).into()],
            "subnet-id" => vec![n.subnet.clone()],
            "vpc-id" => vec![n.vpc.clone()],
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &self.0.tags
    }
}

fn out(n: &NatRec, s: &RegionState, now: i64) -> NatGateway {
    let state = state_at(n, now);
    let status = match state {
        "pending" => "associating",
        "deleting" => "disassociating",
        _ => "succeeded",
    };
    let zone = s.subnets.get(&n.subnet);
    NatGateway {
        create_time: Some(Timestamp(n.created)),
        delete_time: n.deleted.map(Timestamp),
        nat_gateway_addresses: Some(vec![NatGatewayAddress {
            allocation_id: n.allocation.clone(),
            network_interface_id: Some(n.eni.clone()),
            private_ip: Some(n.private_ip.clone()),
            public_ip: n.public_ip.clone(),
            association_id: n.association.clone(),
            is_primary: Some(true),
            status: Some(status.into()),
            availability_zone: zone.map(|z| z.az.clone()),
            availability_zone_id: zone.map(|z| z.az_id.clone()),
            ..Default::default()
        }]),
        nat_gateway_id: Some(n.id.clone()),
        state: Some(state.into()),
        subnet_id: Some(n.subnet.clone()),
        vpc_id: Some(n.vpc.clone()),
        tags: wire_tags(&n.tags),
        connectivity_type: Some(n.connectivity.clone()),
        availability_mode: Some("zonal".into()),
        ..Default::default()
    }
}

pub fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CreateNatGatewayRequest,
) -> Result<CreateNatGatewayResult, AwsError> {
    let tags = spec_tags(&i.tag_specifications, "natgateway")?;
    let connectivity = i
        .connectivity_type
        .clone()
        .unwrap_or_else(|| "public".into());
    if connectivity != "public" && connectivity != "private" {
        return Err(invalid(format!(
            "Value ({connectivity}) for parameter connectivityType is invalid. Valid values: public, private"
        )));
    }
    let subnet_id = i.subnet_id.clone().ok_or_else(|| {
        AwsError::bad_request(
            "MissingParameter",
            "The request must include the SubnetId parameter. Add the required parameter and retry the request.",
        )
    })?;
    let now = ec2.now();
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    if let Some(t) = &i.client_token {
        if let Some(n) = s
            .nats
            .values()
            .find(|n| n.client_token.as_ref() == Some(t) && visible(n, now))
        {
            return Ok(CreateNatGatewayResult {
                client_token: Some(t.clone()),
                nat_gateway: Some(out(n, &s, now)),
            });
        }
    }
    if !subnet_id
        .strip_prefix("subnet-")
        .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(AwsError::bad_request(
            "InvalidSubnet",
            format!("The subnet ID '{subnet_id}' is malformed"),
        ));
    }
    let sn = s
        .subnets
        .get(&subnet_id)
        .ok_or_else(|| not_found("InvalidSubnetID.NotFound", "subnet", &subnet_id))?;
    let vpc = sn.vpc.clone();
    let allocation = match (connectivity.as_str(), &i.allocation_id) {
        ("public", None) => {
            return Err(AwsError::bad_request(
                "MissingParameter",
                "The request must include the AllocationId parameter. Add the required parameter and retry the request.",
            ));
        }
        ("private", Some(_)) => {
            return Err(AwsError::bad_request(
                "InvalidParameterCombination",
                "AllocationId is not supported for private NAT gateways.",
            ));
        }
        (_, Some(id)) => {
            if !id
                .strip_prefix("eipalloc-")
                .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                return Err(AwsError::bad_request(
                    "InvalidElasticIpID.Malformed",
                    format!("The elastic-ip ID '{id}' is malformed"),
                ));
            }
            let a = s.addresses.get(id).ok_or_else(|| {
                AwsError::bad_request(
                    "InvalidAllocationID.NotFound",
                    format!("The allocation ID '{id}' does not exist"),
                )
            })?;
            if a.association.is_some() {
                return Err(AwsError::bad_request(
                    "Resource.AlreadyAssociated",
                    format!("Elastic IP address [{id}] is already associated"),
                ));
            }
            Some(id.clone())
        }
        _ => None,
    };
    if let Some(ip) = &i.private_ip_address {
        check_ip(&s, &subnet_id, ip)?;
    }
    if s.free_ip(&subnet_id).is_none() {
        return Err(AwsError::bad_request(
            "InsufficientFreeAddressesInSubnet",
            format!(
                "Subnet {subnet_id} has insufficient free addresses to create this NAT gateway"
            ),
        ));
    }
    dry_run(i.dry_run)?;
    let id = new_id("nat");
    let eni = EniRec {
        subnet: subnet_id.clone(),
        description: format!("Interface for NAT Gateway {id}"),
        kind: "nat_gateway".into(),
        requester_managed: true,
        source_dest_check: false,
        attachment: Some(service_attachment(now)),
        ..Default::default()
    };
    let eni = s
        .add_eni(eni, i.private_ip_address.clone())
        .ok_or_else(|| AwsError::internal("subnet vanished"))?;
    let private_ip = s.enis[&eni].private_ip.clone();
    let (association, public_ip) = match &allocation {
        Some(a) => (
            Some(super::addresses::map(&mut s, a, &eni, &private_ip)),
            Some(s.addresses[a].ip.clone()),
        ),
        None => (None, None),
    };
    let n = NatRec {
        id: id.clone(),
        subnet: subnet_id,
        vpc,
        connectivity,
        allocation,
        association,
        public_ip,
        eni,
        private_ip,
        created: now,
        deleted: None,
        client_token: i.client_token.clone(),
        tags,
    };
    let res = out(&n, &s, now);
    s.nats.insert(id, n);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(CreateNatGatewayResult {
        client_token: i.client_token,
        nat_gateway: Some(res),
    })
}

pub fn delete(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DeleteNatGatewayRequest,
) -> Result<DeleteNatGatewayResult, AwsError> {
    let now = ec2.now();
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let n = nat_or_err(&s, &i.nat_gateway_id, now)?;
    dry_run(i.dry_run)?;
    if n.deleted.is_none() {
        let (eni, allocation) = (n.eni.clone(), n.allocation.clone());
        if let Some(a) = &allocation {
            super::addresses::unmap(&mut s, a);
        }
        s.remove_eni(&eni);
        if let Some(n) = s.nats.get_mut(&i.nat_gateway_id) {
            n.deleted = Some(now);
        }
        // Gateways deleted over an hour ago are gone for good.
        s.nats.retain(|_, n| visible(n, now));
        ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    }
    Ok(DeleteNatGatewayResult {
        nat_gateway_id: Some(i.nat_gateway_id),
    })
}

pub fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeNatGatewaysRequest,
) -> Result<DescribeNatGatewaysResult, AwsError> {
    dry_run(i.dry_run)?;
    let now = ec2.now();
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    for id in i.nat_gateway_ids.iter().flatten() {
        nat_or_err(&s, id, now)?;
    }
    let filters = i.filter.clone().unwrap_or_default();
    let mut res = Vec::new();
    for n in s.nats.values().filter(|n| visible(n, now)) {
        if i.nat_gateway_ids
            .as_ref()
            .is_some_and(|ids| !ids.contains(&n.id))
        {
            continue;
        }
        if matches(&(n, now), &filters)? {
            res.push(out(n, &s, now));
        }
    }
    let (nat_gateways, next_token) = page(res, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeNatGatewaysResult {
        nat_gateways: Some(nat_gateways),
        next_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_on_the_clock() {
        let mut n = NatRec {
            created: 1_000,
            ..Default::default()
        };
        assert_eq!(state_at(&n, 1_000), "pending");
        assert_eq!(state_at(&n, 1_000 + NAT_PENDING_MS - 1), "pending");
        assert_eq!(state_at(&n, 1_000 + NAT_PENDING_MS), "available");
        n.deleted = Some(10_000);
        assert_eq!(state_at(&n, 10_000), "deleting");
        assert_eq!(state_at(&n, 10_000 + NAT_DELETING_MS), "deleted");
        assert!(visible(&n, 10_000 + NAT_DELETED_VISIBLE_MS - 1));
        assert!(!visible(&n, 10_000 + NAT_DELETED_VISIBLE_MS));
    }

    #[test]
    fn deleted_gateways_take_no_routes() {
        let mut s = RegionState::default();
        s.nats.insert(
            "nat-1".into(),
            NatRec {
                id: "nat-1".into(),
                ..Default::default()
            },
        );
        assert!(nat_exists(&s, "nat-1"));
        s.nats.get_mut("nat-1").unwrap().deleted = Some(5);
        assert!(!nat_exists(&s, "nat-1"));
        assert!(!nat_exists(&s, "nat-2"));
    }
}
