//! VPC peering connections between VPCs of one account and region: a
//! request waits for acceptance (and expires after a week), fails at once
//! when the VPCs' blocks overlap, and closed connections stay visible for a
//! while with AWS's status codes and messages.

use stratus_core::{AwsError, RequestContext, time::iso8601};
use stratus_protocol::Timestamp;

use super::{check_id, dry_run, invalid, not_found, page, spec_tags, vpcs::vpc_or_err, wire_tags};
use crate::Ec2;
use crate::cidr::Cidr;
use crate::filters::{Filterable, matches};
use crate::generated::*;
use crate::state::{PeerSide, PeeringRec, RegionState, Tags, new_id};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
/// How long a request waits for acceptance.
const PENDING_FOR: i64 = 7 * DAY;
/// How long failed connections stay listed.
const FAILED_VISIBLE: i64 = 2 * HOUR;
/// How long rejected, deleted and expired connections stay listed.
const CLOSED_VISIBLE: i64 = 2 * DAY;

impl Filterable for &PeeringRec {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        let p = *self;
        let side = |s: &PeerSide, what: &str| -> Vec<String> {
            match what {
                "cidr-block" => s.cidrs.clone(),
                "owner-id" => vec![s.owner.clone()],
                _ => vec![s.vpc.clone()],
            }
        };
        Some(match name {
            "vpc-peering-connection-id" => vec![p.id.clone()],
            "status-code" => vec![p.status.clone()],
            "status-message" => vec![p.message.clone()],
            "expiration-time" => {
                if p.status == "pending-acceptance" {
                    vec![iso8601(p.expires)]
                } else {
                    vec![]
                }
            }
            _ => {
                if let Some(what) = name.strip_prefix("accepter-vpc-info.") {
                    if !["cidr-block", "owner-id", "vpc-id"].contains(&what) {
                        return None;
                    }
                    side(&p.accepter, what)
                } else if let Some(what) = name.strip_prefix("requester-vpc-info.") {
                    if !["cidr-block", "owner-id", "vpc-id"].contains(&what) {
                        return None;
                    }
                    side(&p.requester, what)
                } else {
                    return None;
                }
            }
        })
    }

    fn tags(&self) -> &Tags {
        &self.tags
    }
}

fn side_out(s: &PeerSide, show_cidrs: bool, active: bool) -> VpcPeeringConnectionVpcInfo {
    VpcPeeringConnectionVpcInfo {
        cidr_block: if show_cidrs {
            s.cidrs.first().cloned()
        } else {
            None
        },
        cidr_block_set: show_cidrs.then(|| {
            s.cidrs
                .iter()
                .map(|c| CidrBlock {
                    cidr_block: Some(c.clone()),
                })
                .collect()
        }),
        owner_id: Some(s.owner.clone()),
        peering_options: active.then(|| VpcPeeringConnectionOptionsDescription {
            allow_dns_resolution_from_remote_vpc: Some(s.dns_from_remote),
            allow_egress_from_local_classic_link_to_remote_vpc: Some(false),
            allow_egress_from_local_vpc_to_remote_classic_link: Some(false),
            ..Default::default()
        }),
        vpc_id: Some(s.vpc.clone()),
        region: Some(s.region.clone()),
        ipv6_cidr_block_set: None,
    }
}

fn out(p: &PeeringRec) -> VpcPeeringConnection {
    let active = p.status == "active";
    VpcPeeringConnection {
        accepter_vpc_info: Some(side_out(
            &p.accepter,
            active || p.status == "deleted",
            active,
        )),
        expiration_time: (p.status == "pending-acceptance").then_some(Timestamp(p.expires)),
        requester_vpc_info: Some(side_out(&p.requester, true, active)),
        status: Some(VpcPeeringConnectionStateReason {
            code: Some(p.status.clone()),
            message: Some(p.message.clone()),
        }),
        tags: wire_tags(&p.tags),
        vpc_peering_connection_id: Some(p.id.clone()),
        multipath_resilience_status: None,
    }
}

/// Brings a connection up to date: a request nobody accepted in time expires.
pub fn refresh(p: &mut PeeringRec, now: i64) {
    if p.status == "pending-acceptance" && now >= p.expires {
        p.status = "expired".into();
        p.message = "Expired".into();
        p.hide_at = Some(p.expires + CLOSED_VISIBLE);
    }
}

fn visible(p: &PeeringRec, now: i64) -> bool {
    p.hide_at.is_none_or(|t| now < t)
}

/// Expires what is due, forgets what is no longer listed.
fn tidy(s: &mut RegionState, now: i64) {
    for p in s.peerings.values_mut() {
        refresh(p, now);
    }
    s.peerings.retain(|_, p| visible(p, now));
}

fn peering_or_err<'a>(s: &'a RegionState, id: &str) -> Result<&'a PeeringRec, AwsError> {
    check_id(id, "pcx", "InvalidVpcPeeringConnectionId.Malformed")?;
    s.peerings.get(id).ok_or_else(|| {
        not_found(
            "InvalidVpcPeeringConnectionID.NotFound",
            "vpcPeeringConnection",
            id,
        )
    })
}

fn transition_err(p: &PeeringRec, to: &str) -> AwsError {
    AwsError::bad_request(
        "InvalidStateTransition",
        format!(
            "Invalid state transition for {}, attempted to transition from {} to {to}",
            p.id, p.status
        ),
    )
}

/// Whether any block of one VPC overlaps any block of the other.
pub fn overlapping(a: &[String], b: &[String]) -> bool {
    a.iter().filter_map(|x| Cidr::parse(x)).any(|x| {
        b.iter()
            .filter_map(|y| Cidr::parse(y))
            .any(|y| x.overlaps(&y))
    })
}

pub fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CreateVpcPeeringConnectionRequest,
) -> Result<CreateVpcPeeringConnectionResult, AwsError> {
    let tags = spec_tags(&i.tag_specifications, "vpc-peering-connection")?;
    let owner = ctx.account_id().to_string();
    let peer_vpc = i.peer_vpc_id.clone().ok_or_else(|| {
        AwsError::bad_request(
            "MissingParameter",
            "The request must contain the parameter peerVpcId",
        )
    })?;
    let peer_owner = i.peer_owner_id.clone().unwrap_or_else(|| owner.clone());
    let peer_region = i.peer_region.clone().unwrap_or_else(|| ctx.region.clone());
    if peer_owner != owner || peer_region != ctx.region {
        return Err(invalid(
            "Peering with a VPC of another account or region is not supported; the peer VPC must be in this account and region.",
        ));
    }
    let now = ec2.now();
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let requester = vpc_or_err(&s, &i.vpc_id)?;
    let accepter = vpc_or_err(&s, &peer_vpc)?;
    if requester.id == accepter.id {
        return Err(invalid(format!(
            "Cannot peer VPC {} with itself.",
            requester.id
        )));
    }
    dry_run(i.dry_run)?;
    let side = |v: &crate::state::VpcRec| PeerSide {
        vpc: v.id.clone(),
        owner: owner.clone(),
        region: ctx.region.clone(),
        cidrs: v.cidrs().into_iter().map(String::from).collect(),
        dns_from_remote: false,
    };
    let mut p = PeeringRec {
        id: new_id("pcx"),
        requester: side(requester),
        accepter: side(accepter),
        status: "pending-acceptance".into(),
        message: format!("Pending Acceptance by {owner}"),
        expires: now + PENDING_FOR,
        hide_at: None,
        tags,
    };
    if overlapping(&p.requester.cidrs, &p.accepter.cidrs) {
        p.status = "failed".into();
        p.message = "Overlapping CIDR range".into();
        p.hide_at = Some(now + FAILED_VISIBLE);
    }
    // The answer shows the request as it starts, as AWS's does.
    let mut res = out(&p);
    res.status = Some(VpcPeeringConnectionStateReason {
        code: Some("initiating-request".into()),
        message: Some(format!("Initiating Request to {peer_owner}")),
    });
    res.expiration_time = None;
    tidy(&mut s, now);
    s.peerings.insert(p.id.clone(), p);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(CreateVpcPeeringConnectionResult {
        vpc_peering_connection: Some(res),
    })
}

pub fn accept(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: AcceptVpcPeeringConnectionRequest,
) -> Result<AcceptVpcPeeringConnectionResult, AwsError> {
    let now = ec2.now();
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    tidy(&mut s, now);
    let p = peering_or_err(&s, &i.vpc_peering_connection_id)?;
    if p.status != "pending-acceptance" {
        return Err(transition_err(p, "active"));
    }
    dry_run(i.dry_run)?;
    let cidrs = |vpc: &str| -> Option<Vec<String>> {
        s.vpcs
            .get(vpc)
            .map(|v| v.cidrs().into_iter().map(String::from).collect())
    };
    let (req, acc) = (cidrs(&p.requester.vpc), cidrs(&p.accepter.vpc));
    let Some(p) = s.peerings.get_mut(&i.vpc_peering_connection_id) else {
        return Err(AwsError::internal("peering connection vanished"));
    };
    if let Some(c) = req {
        p.requester.cidrs = c;
    }
    if let Some(c) = acc {
        p.accepter.cidrs = c;
    }
    p.status = "active".into();
    p.message = "Active".into();
    let res = out(p);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(AcceptVpcPeeringConnectionResult {
        vpc_peering_connection: Some(res),
    })
}

/// Closes a connection (rejected or deleted) by this account.
fn close(
    ec2: &Ec2,
    ctx: &RequestContext,
    id: &str,
    dry: Option<bool>,
    to: &str,
) -> Result<(), AwsError> {
    let now = ec2.now();
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    tidy(&mut s, now);
    let p = peering_or_err(&s, id)?;
    let allowed = match to {
        "rejected" => p.status == "pending-acceptance",
        _ => p.is_open(),
    };
    if !allowed {
        return Err(transition_err(p, to));
    }
    dry_run(dry)?;
    if let Some(p) = s.peerings.get_mut(id) {
        let verb = if to == "rejected" {
            "Rejected"
        } else {
            "Deleted"
        };
        p.status = to.to_string();
        p.message = format!("{verb} by {}", ctx.account_id());
        p.hide_at = Some(now + CLOSED_VISIBLE);
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn reject(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: RejectVpcPeeringConnectionRequest,
) -> Result<RejectVpcPeeringConnectionResult, AwsError> {
    close(
        ec2,
        ctx,
        &i.vpc_peering_connection_id,
        i.dry_run,
        "rejected",
    )?;
    Ok(RejectVpcPeeringConnectionResult {
        r#return: Some(true),
    })
}

pub fn delete(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DeleteVpcPeeringConnectionRequest,
) -> Result<DeleteVpcPeeringConnectionResult, AwsError> {
    close(ec2, ctx, &i.vpc_peering_connection_id, i.dry_run, "deleted")?;
    Ok(DeleteVpcPeeringConnectionResult {
        r#return: Some(true),
    })
}

fn options_out(s: &PeerSide) -> PeeringConnectionOptions {
    PeeringConnectionOptions {
        allow_dns_resolution_from_remote_vpc: Some(s.dns_from_remote),
        allow_egress_from_local_classic_link_to_remote_vpc: Some(false),
        allow_egress_from_local_vpc_to_remote_classic_link: Some(false),
        ..Default::default()
    }
}

pub fn modify_options(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: ModifyVpcPeeringConnectionOptionsRequest,
) -> Result<ModifyVpcPeeringConnectionOptionsResult, AwsError> {
    let now = ec2.now();
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    tidy(&mut s, now);
    let p = peering_or_err(&s, &i.vpc_peering_connection_id)?;
    if p.status != "active" {
        return Err(AwsError::bad_request(
            "OperationNotPermitted",
            format!(
                "Peering connection {} is not active; its options can be modified only while it is active.",
                p.id
            ),
        ));
    }
    if i.accepter_peering_connection_options.is_none()
        && i.requester_peering_connection_options.is_none()
    {
        return Err(AwsError::bad_request(
            "MissingParameter",
            "The request must contain the parameter requesterPeeringConnectionOptions or accepterPeeringConnectionOptions",
        ));
    }
    dry_run(i.dry_run)?;
    let Some(p) = s.peerings.get_mut(&i.vpc_peering_connection_id) else {
        return Err(AwsError::internal("peering connection vanished"));
    };
    let mut res = ModifyVpcPeeringConnectionOptionsResult::default();
    if let Some(o) = &i.requester_peering_connection_options {
        if let Some(b) = o.allow_dns_resolution_from_remote_vpc {
            p.requester.dns_from_remote = b;
        }
        res.requester_peering_connection_options = Some(options_out(&p.requester));
    }
    if let Some(o) = &i.accepter_peering_connection_options {
        if let Some(b) = o.allow_dns_resolution_from_remote_vpc {
            p.accepter.dns_from_remote = b;
        }
        res.accepter_peering_connection_options = Some(options_out(&p.accepter));
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(res)
}

pub fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeVpcPeeringConnectionsRequest,
) -> Result<DescribeVpcPeeringConnectionsResult, AwsError> {
    dry_run(i.dry_run)?;
    let now = ec2.now();
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    let ids = &i.vpc_peering_connection_ids;
    let current = |p: &PeeringRec| {
        let mut p = p.clone();
        refresh(&mut p, now);
        p
    };
    if let Some(ids) = ids {
        for id in ids {
            let p = peering_or_err(&s, id)?;
            if !visible(&current(p), now) {
                return Err(not_found(
                    "InvalidVpcPeeringConnectionID.NotFound",
                    "vpcPeeringConnection",
                    id,
                ));
            }
        }
    }
    let filters = i.filters.clone().unwrap_or_default();
    let mut res = Vec::new();
    for p in s.peerings.values() {
        if ids.as_ref().is_some_and(|ids| !ids.contains(&p.id)) {
            continue;
        }
        let p = current(p);
        if visible(&p, now) && matches(&&p, &filters)? {
            res.push(out(&p));
        }
    }
    let (list, next_token) = page(res, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeVpcPeeringConnectionsResult {
        vpc_peering_connections: Some(list),
        next_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn overlap_over_every_block() {
        assert!(!overlapping(&v(&["10.0.0.0/16"]), &v(&["10.1.0.0/16"])));
        assert!(overlapping(&v(&["10.0.0.0/16"]), &v(&["10.0.128.0/17"])));
        assert!(overlapping(
            &v(&["10.0.0.0/16", "10.5.0.0/16"]),
            &v(&["10.1.0.0/16", "10.5.4.0/24"])
        ));
    }

    #[test]
    fn pending_requests_expire_and_closed_ones_fade() {
        let mut p = PeeringRec {
            status: "pending-acceptance".into(),
            expires: 1000,
            ..Default::default()
        };
        refresh(&mut p, 999);
        assert_eq!(p.status, "pending-acceptance");
        refresh(&mut p, 1000);
        assert_eq!(
            (p.status.as_str(), p.message.as_str()),
            ("expired", "Expired")
        );
        assert!(visible(&p, 1000 + CLOSED_VISIBLE - 1));
        assert!(!visible(&p, 1000 + CLOSED_VISIBLE));
    }
}
