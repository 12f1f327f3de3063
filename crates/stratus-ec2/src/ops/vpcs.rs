//! VPCs: create with a CIDR block, describe with filters, attributes, delete
//! only when nothing depends on them.

use stratus_core::{AwsError, RequestContext};

use super::{check_id, dry_run, invalid, not_found, page, spec_tags, wire_tags};
use crate::Ec2;
use crate::cidr::Cidr;
use crate::filters::{Filterable, matches};
use crate::generated::*;
use crate::state::{CidrAssocRec, RegionState, RouteRec, Tags, VpcRec, new_id};

impl Filterable for (&VpcRec, &str) {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        let (v, owner) = self;
        Some(match name {
            "vpc-id" => vec![v.id.clone()],
            "cidr" => vec![v.cidr.clone()],
            "cidr-block-association.cidr-block" => {
                v.cidrs().into_iter().map(String::from).collect()
            }
            "cidr-block-association.association-id" => std::iter::once(v.cidr_assoc.clone())
                .chain(v.extra_cidrs.iter().map(|c| c.id.clone()))
                .collect(),
            "cidr-block-association.state" => vec!["associated".into()],
            "ipv6-cidr-block-association.ipv6-cidr-block"
            | "ipv6-cidr-block-association.ipv6-pool"
            | "ipv6-cidr-block-association.association-id"
            | "ipv6-cidr-block-association.state" => vec![],
            "state" => vec!["available".into()],
            "is-default" => vec![v.is_default.to_string()],
            "dhcp-options-id" => vec![v.dhcp_options.clone()],
            "owner-id" => vec![owner.to_string()],
            "instance-tenancy" => vec![v.tenancy.clone()],
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &self.0.tags
    }
}

pub fn vpc_out(v: &VpcRec, owner: &str) -> Vpc {
    Vpc {
        owner_id: Some(owner.to_string()),
        instance_tenancy: Some(v.tenancy.clone()),
        cidr_block_association_set: Some(
            std::iter::once((&v.cidr_assoc, &v.cidr))
                .chain(v.extra_cidrs.iter().map(|c| (&c.id, &c.cidr)))
                .map(|(id, cidr)| cidr_assoc_out(id, cidr, "associated"))
                .collect(),
        ),
        is_default: Some(v.is_default),
        tags: wire_tags(&v.tags),
        vpc_id: Some(v.id.clone()),
        state: Some("available".into()),
        cidr_block: Some(v.cidr.clone()),
        dhcp_options_id: Some(v.dhcp_options.clone()),
        ..Default::default()
    }
}

fn cidr_assoc_out(id: &str, cidr: &str, state: &str) -> VpcCidrBlockAssociation {
    VpcCidrBlockAssociation {
        association_id: Some(id.to_string()),
        cidr_block: Some(cidr.to_string()),
        cidr_block_state: Some(VpcCidrBlockState {
            state: Some(state.into()),
            status_message: None,
        }),
    }
}

pub fn vpc_or_err<'a>(s: &'a RegionState, id: &str) -> Result<&'a VpcRec, AwsError> {
    check_id(id, "vpc", "InvalidVpcID.Malformed")?;
    s.vpcs
        .get(id)
        .ok_or_else(|| not_found("InvalidVpcID.NotFound", "vpc", id))
}

pub fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CreateVpcRequest,
) -> Result<CreateVpcResult, AwsError> {
    let text = i.cidr_block.clone().ok_or_else(|| {
        AwsError::bad_request(
            "MissingParameter",
            "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.",
        )
    })?;
    let cidr = Cidr::parse(&text).ok_or_else(|| {
        invalid(format!(
            "Value ({text}) for parameter cidrBlock is invalid. This is not a valid CIDR block."
        ))
    })?;
    if !(16..=28).contains(&cidr.prefix) {
        return Err(AwsError::bad_request(
            "InvalidVpc.Range",
            format!("The CIDR '{text}' is invalid."),
        ));
    }
    let tags = spec_tags(&i.tag_specifications, "vpc")?;
    let tenancy = i
        .instance_tenancy
        .clone()
        .unwrap_or_else(|| "default".into());
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let id = s.add_vpc(&cidr.to_string(), false, &tenancy);
    if let Some(v) = s.vpcs.get_mut(&id) {
        v.tags = tags;
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(CreateVpcResult {
        vpc: s.vpcs.get(&id).map(|v| vpc_out(v, ctx.account_id())),
    })
}

pub fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeVpcsRequest,
) -> Result<DescribeVpcsResult, AwsError> {
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    let owner = ctx.account_id();
    if let Some(ids) = &i.vpc_ids {
        for id in ids {
            vpc_or_err(&s, id)?;
        }
    }
    let filters = i.filters.clone().unwrap_or_default();
    let mut out = Vec::new();
    for v in s.vpcs.values() {
        if i.vpc_ids.as_ref().is_some_and(|ids| !ids.contains(&v.id)) {
            continue;
        }
        if matches(&(v, owner), &filters)? {
            out.push(vpc_out(v, owner));
        }
    }
    let (vpcs, next_token) = page(out, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeVpcsResult {
        vpcs: Some(vpcs),
        next_token,
    })
}

pub fn delete(ec2: &Ec2, ctx: &RequestContext, i: DeleteVpcRequest) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    vpc_or_err(&s, &i.vpc_id)?;
    let id = &i.vpc_id;
    let busy = s.subnets.values().any(|x| &x.vpc == id)
        || s.igws.values().any(|g| g.vpc.as_deref() == Some(id))
        || s.rtbs
            .values()
            .any(|r| &r.vpc == id && !r.assocs.iter().any(|a| a.main))
        || s.sgs.values().any(|g| &g.vpc == id && g.name != "default")
        || s.acls.values().any(|a| &a.vpc == id && !a.is_default)
        || s.eigws.values().any(|g| &g.vpc == id)
        || s.peerings.values().any(|p| p.is_open() && p.involves(id))
        || s.endpoints.values().any(|e| &e.vpc == id)
        || s.nats.values().any(|n| &n.vpc == id && n.deleted.is_none());
    if busy {
        return Err(AwsError::bad_request(
            "DependencyViolation",
            format!("The vpc '{id}' has dependencies and cannot be deleted."),
        ));
    }
    dry_run(i.dry_run)?;
    s.vpcs.remove(id);
    s.rtbs.retain(|_, r| &r.vpc != id);
    s.sgs.retain(|_, g| &g.vpc != id);
    s.default_acls.remove(id);
    s.acls.retain(|_, a| &a.vpc != id);
    s.flow_logs.retain(|_, f| &f.resource != id);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn modify_attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: ModifyVpcAttributeRequest,
) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    vpc_or_err(&s, &i.vpc_id)?;
    let given = [
        i.enable_dns_hostnames.is_some(),
        i.enable_dns_support.is_some(),
        i.enable_network_address_usage_metrics.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(invalid(
            "Fields for multiple attribute types specified: enableDnsHostnames, enableDnsSupport",
        ));
    }
    let v = s
        .vpcs
        .get_mut(&i.vpc_id)
        .ok_or_else(|| not_found("InvalidVpcID.NotFound", "vpc", &i.vpc_id))?;
    if let Some(b) = i.enable_dns_hostnames.and_then(|b| b.value) {
        v.dns_hostnames = b;
    }
    if let Some(b) = i.enable_dns_support.and_then(|b| b.value) {
        v.dns_support = b;
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn describe_attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeVpcAttributeRequest,
) -> Result<DescribeVpcAttributeResult, AwsError> {
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    let v = vpc_or_err(&s, &i.vpc_id)?;
    let b = |x: bool| Some(AttributeBooleanValue { value: Some(x) });
    let mut out = DescribeVpcAttributeResult {
        vpc_id: Some(v.id.clone()),
        ..Default::default()
    };
    match i.attribute.as_str() {
        "enableDnsHostnames" => out.enable_dns_hostnames = b(v.dns_hostnames),
        "enableDnsSupport" => out.enable_dns_support = b(v.dns_support),
        "enableNetworkAddressUsageMetrics" => out.enable_network_address_usage_metrics = b(false),
        other => {
            return Err(invalid(format!(
                "Value ({other}) for parameter attribute is invalid. Unknown attribute."
            )));
        }
    }
    Ok(out)
}

/// The private ranges AWS does not mix in one VPC (RFC 1918 and 198.19/16).
const PRIVATE_RANGES: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "198.19.0.0/16",
];

fn private_range(c: &Cidr) -> Option<usize> {
    PRIVATE_RANGES
        .iter()
        .position(|r| Cidr::parse(r).is_some_and(|r| r.contains(c)))
}

/// Whether AWS refuses `new` as a secondary block beside the primary
/// `primary`: a block from one of the private ranges only joins a VPC whose
/// primary block is from the same range.
pub fn restricted(primary: &Cidr, new: &Cidr) -> bool {
    match private_range(new) {
        Some(r) => private_range(primary) != Some(r),
        None => false,
    }
}

/// How many IPv4 blocks a VPC may have (AWS's default quota).
const MAX_CIDRS: usize = 5;

pub fn associate_cidr(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: AssociateVpcCidrBlockRequest,
) -> Result<AssociateVpcCidrBlockResult, AwsError> {
    if i.ipv6_cidr_block.is_some()
        || i.amazon_provided_ipv6_cidr_block == Some(true)
        || i.ipv6_ipam_pool_id.is_some()
        || i.ipv4_ipam_pool_id.is_some()
    {
        return Err(invalid(
            "Only IPv4 CIDR blocks given as cidrBlock can be associated",
        ));
    }
    let text = i.cidr_block.clone().ok_or_else(|| {
        AwsError::bad_request(
            "MissingParameter",
            "Either 'cidrBlock' or 'amazonProvidedIpv6CidrBlock' should be provided.",
        )
    })?;
    let cidr = Cidr::parse(&text).ok_or_else(|| {
        invalid(format!(
            "Value ({text}) for parameter cidrBlock is invalid. This is not a valid CIDR block."
        ))
    })?;
    if !(16..=28).contains(&cidr.prefix) {
        return Err(AwsError::bad_request(
            "InvalidVpc.Range",
            format!("The CIDR '{text}' is invalid."),
        ));
    }
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let v = vpc_or_err(&s, &i.vpc_id)?;
    let primary =
        Cidr::parse(&v.cidr).ok_or_else(|| AwsError::internal("stored VPC CIDR unreadable"))?;
    if restricted(&primary, &cidr) {
        return Err(AwsError::bad_request(
            "InvalidVpc.Range",
            format!(
                "The CIDR '{text}' is restricted. Use a CIDR from the same private address range as the current VPC CIDR, or use a publicly-routable CIDR. For additional restrictions, see https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html"
            ),
        ));
    }
    if v.cidrs()
        .iter()
        .filter_map(|c| Cidr::parse(c))
        .any(|c| c.overlaps(&cidr))
    {
        return Err(AwsError::bad_request(
            "InvalidVpc.Range",
            format!("The CIDR '{text}' conflicts with another CIDR block of the VPC."),
        ));
    }
    if v.cidrs().len() >= MAX_CIDRS {
        return Err(AwsError::bad_request(
            "CidrLimitExceeded",
            format!(
                "This network '{}' has met its maximum number of allowed CIDRs: {MAX_CIDRS}",
                v.id
            ),
        ));
    }
    let id = new_id("vpc-cidr-assoc");
    let cidr = cidr.to_string();
    if let Some(v) = s.vpcs.get_mut(&i.vpc_id) {
        v.extra_cidrs.push(CidrAssocRec {
            id: id.clone(),
            cidr: cidr.clone(),
        });
    }
    for r in s.rtbs.values_mut().filter(|r| r.vpc == i.vpc_id) {
        r.routes.retain(|x| x.dest != cidr);
        r.routes.push(RouteRec {
            dest: cidr.clone(),
            target: "local".into(),
            origin: "CreateRouteTable".into(),
        });
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(AssociateVpcCidrBlockResult {
        cidr_block_association: Some(cidr_assoc_out(&id, &cidr, "associating")),
        vpc_id: Some(i.vpc_id),
        ipv6_cidr_block_association: None,
    })
}

pub fn disassociate_cidr(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DisassociateVpcCidrBlockRequest,
) -> Result<DisassociateVpcCidrBlockResult, AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let id = &i.association_id;
    if let Some(v) = s.vpcs.values().find(|v| &v.cidr_assoc == id) {
        return Err(AwsError::bad_request(
            "OperationNotPermitted",
            format!(
                "The vpc CIDR block with association ID {id} may not be disassociated. It is the primary IPv4 CIDR block of the VPC {}",
                v.id
            ),
        ));
    }
    let Some((vpc, cidr)) = s.vpcs.values().find_map(|v| {
        v.extra_cidrs
            .iter()
            .find(|c| &c.id == id)
            .map(|c| (v.id.clone(), c.cidr.clone()))
    }) else {
        return Err(not_found(
            "InvalidVpcCidrBlockAssociationID.NotFound",
            "vpc CIDR block association",
            id,
        ));
    };
    let block = Cidr::parse(&cidr).ok_or_else(|| AwsError::internal("stored CIDR unreadable"))?;
    if s.subnets
        .values()
        .any(|x| x.vpc == vpc && Cidr::parse(&x.cidr).is_some_and(|c| block.contains(&c)))
    {
        return Err(AwsError::bad_request(
            "DependencyViolation",
            format!(
                "The vpc CIDR block association '{id}' has dependencies and cannot be disassociated. Delete the subnets in {cidr} first."
            ),
        ));
    }
    if let Some(v) = s.vpcs.get_mut(&vpc) {
        v.extra_cidrs.retain(|c| &c.id != id);
    }
    for r in s.rtbs.values_mut().filter(|r| r.vpc == vpc) {
        r.routes
            .retain(|x| !(x.dest == cidr && x.target == "local"));
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(DisassociateVpcCidrBlockResult {
        cidr_block_association: Some(cidr_assoc_out(id, &cidr, "disassociating")),
        vpc_id: Some(vpc),
        ipv6_cidr_block_association: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Cidr {
        Cidr::parse(s).unwrap()
    }

    #[test]
    fn secondary_blocks_stay_in_the_primary_private_range() {
        assert!(!restricted(&c("10.0.0.0/16"), &c("10.1.0.0/16")));
        assert!(restricted(&c("10.0.0.0/16"), &c("192.168.0.0/16")));
        assert!(restricted(&c("172.31.0.0/16"), &c("10.0.0.0/16")));
        assert!(!restricted(&c("172.31.0.0/16"), &c("172.20.0.0/16")));
        assert!(restricted(&c("192.168.0.0/16"), &c("198.19.0.0/16")));
        // Public and shared address space may join any VPC.
        assert!(!restricted(&c("10.0.0.0/16"), &c("100.64.0.0/16")));
        assert!(!restricted(&c("10.0.0.0/16"), &c("54.10.0.0/16")));
        // A VPC with a public primary block takes no private block.
        assert!(restricted(&c("54.10.0.0/16"), &c("10.0.0.0/16")));
    }
}
