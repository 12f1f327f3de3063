//! Regions, zones and account attributes.

use stratus_core::{AwsError, RequestContext};

use super::{dry_run, invalid};
use crate::Ec2;
use crate::filters::glob;
use crate::generated::*;
use crate::state::{REGIONS, zones as zone_list};

fn filter_ok(filters: &Option<Vec<Filter>>, field: impl Fn(&str) -> Option<String>) -> bool {
    filters.iter().flatten().all(|f| {
        let have = field(f.name.as_deref().unwrap_or(""));
        have.is_some_and(|h| f.values.iter().flatten().any(|w| glob(w, &h)))
    })
}

pub fn zones(
    ctx: &RequestContext,
    i: DescribeAvailabilityZonesRequest,
) -> Result<DescribeAvailabilityZonesResult, AwsError> {
    dry_run(i.dry_run)?;
    let all = zone_list(&ctx.region);
    for n in i.zone_names.iter().flatten() {
        if !all.iter().any(|(z, _)| z == n) {
            return Err(invalid(format!("The zone '{n}' does not exist.")));
        }
    }
    let out = all
        .iter()
        .filter(|(n, id)| {
            i.zone_names.as_ref().is_none_or(|w| w.contains(n))
                && i.zone_ids.as_ref().is_none_or(|w| w.contains(id))
        })
        .filter(|(n, id)| {
            filter_ok(&i.filters, |f| match f {
                "zone-name" => Some(n.clone()),
                "zone-id" => Some(id.clone()),
                "state" => Some("available".into()),
                "region-name" => Some(ctx.region.clone()),
                "zone-type" => Some("availability-zone".into()),
                _ => None,
            })
        })
        .map(|(n, id)| AvailabilityZone {
            opt_in_status: Some("opt-in-not-required".into()),
            messages: Some(vec![]),
            region_name: Some(ctx.region.clone()),
            zone_name: Some(n.clone()),
            zone_id: Some(id.clone()),
            group_name: Some(ctx.region.clone()),
            network_border_group: Some(ctx.region.clone()),
            zone_type: Some("availability-zone".into()),
            state: Some("available".into()),
            ..Default::default()
        })
        .collect();
    Ok(DescribeAvailabilityZonesResult {
        availability_zones: Some(out),
    })
}

pub fn regions(
    ctx: &RequestContext,
    i: DescribeRegionsRequest,
) -> Result<DescribeRegionsResult, AwsError> {
    dry_run(i.dry_run)?;
    let _ = ctx;
    let out = REGIONS
        .iter()
        .filter(|r| {
            i.region_names
                .as_ref()
                .is_none_or(|w| w.iter().any(|x| x == *r))
        })
        .filter(|r| {
            filter_ok(&i.filters, |f| match f {
                "region-name" => Some(r.to_string()),
                "endpoint" => Some(format!("ec2.{r}.amazonaws.com")),
                "opt-in-status" => Some("opt-in-not-required".into()),
                _ => None,
            })
        })
        .map(|r| Region {
            opt_in_status: Some("opt-in-not-required".into()),
            region_name: Some(r.to_string()),
            endpoint: Some(format!("ec2.{r}.amazonaws.com")),
            ..Default::default()
        })
        .collect();
    Ok(DescribeRegionsResult { regions: Some(out) })
}

pub fn account_attributes(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeAccountAttributesRequest,
) -> Result<DescribeAccountAttributesResult, AwsError> {
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let default_vpc = region
        .lock()
        .vpcs
        .values()
        .find(|v| v.is_default)
        .map(|v| v.id.clone())
        .unwrap_or_else(|| "none".into());
    let attrs = [
        ("supported-platforms", vec!["VPC".to_string()]),
        ("default-vpc", vec![default_vpc]),
        ("max-instances", vec!["20".into()]),
        ("vpc-max-security-groups-per-interface", vec!["5".into()]),
        ("max-elastic-ips", vec!["5".into()]),
        ("vpc-max-elastic-ips", vec!["5".into()]),
    ];
    let out = attrs
        .into_iter()
        .filter(|(n, _)| {
            i.attribute_names
                .as_ref()
                .is_none_or(|w| w.iter().any(|x| x == n))
        })
        .map(|(n, vals)| AccountAttribute {
            attribute_name: Some(n.to_string()),
            attribute_values: Some(
                vals.into_iter()
                    .map(|v| AccountAttributeValue {
                        attribute_value: Some(v),
                    })
                    .collect(),
            ),
        })
        .collect();
    Ok(DescribeAccountAttributesResult {
        account_attributes: Some(out),
    })
}
