//! DHCP options sets: the region's default set, sets users create, and the
//! one set (or `default`, none) each VPC uses.

use stratus_core::{AwsError, RequestContext};

use super::{check_id, dry_run, invalid, not_found, page, spec_tags, vpcs::vpc_or_err, wire_tags};
use crate::Ec2;
use crate::filters::{Filterable, matches};
use crate::generated::*;
use crate::state::{DhcpRec, RegionState, Tags, new_id};

impl Filterable for (&DhcpRec, &str) {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        let (d, owner) = self;
        Some(match name {
            "dhcp-options-id" => vec![d.id.clone()],
            "key" => d.config.iter().map(|(k, _)| k.clone()).collect(),
            "value" => d.config.iter().flat_map(|(_, v)| v.clone()).collect(),
            "owner-id" => vec![owner.to_string()],
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &self.0.tags
    }
}

fn out(d: &DhcpRec, owner: &str) -> DhcpOptions {
    DhcpOptions {
        owner_id: Some(owner.to_string()),
        tags: wire_tags(&d.tags),
        dhcp_options_id: Some(d.id.clone()),
        dhcp_configurations: Some(
            d.config
                .iter()
                .map(|(k, vs)| DhcpConfiguration {
                    key: Some(k.clone()),
                    values: Some(
                        vs.iter()
                            .map(|v| AttributeValue {
                                value: Some(v.clone()),
                            })
                            .collect(),
                    ),
                })
                .collect(),
        ),
    }
}

fn dhcp_or_err<'a>(s: &'a RegionState, id: &str) -> Result<&'a DhcpRec, AwsError> {
    check_id(id, "dopt", "InvalidDhcpOptionsId.Malformed")?;
    s.dhcp
        .get(id)
        .ok_or_else(|| not_found("InvalidDhcpOptionID.NotFound", "dhcpOption", id))
}

/// Checks one option as AWS does: known names, at most four servers,
/// addresses where addresses are expected.
pub fn check_option(key: &str, values: &[String]) -> Result<(), AwsError> {
    let ip = |v: &String| v.parse::<std::net::IpAddr>().is_ok();
    let bad = |why: &str| {
        invalid(format!(
            "Value ({}) for parameter {key} is invalid. {why}",
            values.join(", ")
        ))
    };
    if values.is_empty() {
        return Err(invalid(format!("Value for parameter {key} is empty.")));
    }
    match key {
        "domain-name" => {
            if values.len() != 1 {
                return Err(bad("Only one domain name may be given."));
            }
        }
        "domain-name-servers" => {
            if values.len() > 4 {
                return Err(bad("At most 4 name servers may be given."));
            }
            if !values.iter().all(|v| v == "AmazonProvidedDNS" || ip(v)) {
                return Err(bad(
                    "Name servers must be IP addresses or AmazonProvidedDNS.",
                ));
            }
        }
        "ntp-servers" | "netbios-name-servers" => {
            if values.len() > 4 {
                return Err(bad("At most 4 servers may be given."));
            }
            if !values.iter().all(ip) {
                return Err(bad("Servers must be IP addresses."));
            }
        }
        "netbios-node-type" => {
            if values.len() != 1 || !["1", "2", "4", "8"].contains(&values[0].as_str()) {
                return Err(bad("The NetBIOS node type must be 1, 2, 4 or 8."));
            }
        }
        "ipv6-address-preferred-lease-time" => {
            let ok = values.len() == 1
                && values[0]
                    .parse::<u32>()
                    .is_ok_and(|n| (140..=2_147_483_647).contains(&n));
            if !ok {
                return Err(bad(
                    "The lease time must be from 140 to 2147483647 seconds.",
                ));
            }
        }
        other => {
            return Err(invalid(format!(
                "Value ({other}) for parameter name is invalid. Unrecognized DHCP option name."
            )));
        }
    }
    Ok(())
}

pub fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CreateDhcpOptionsRequest,
) -> Result<CreateDhcpOptionsResult, AwsError> {
    let tags = spec_tags(&i.tag_specifications, "dhcp-options")?;
    let mut config: Vec<(String, Vec<String>)> = Vec::new();
    for c in &i.dhcp_configurations {
        let key = c.key.clone().unwrap_or_default();
        let values = c.values.clone().unwrap_or_default();
        check_option(&key, &values)?;
        if config.iter().any(|(k, _)| *k == key) {
            return Err(invalid(format!(
                "The DHCP option {key} is given more than once."
            )));
        }
        config.push((key, values));
    }
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let d = DhcpRec {
        id: new_id("dopt"),
        config,
        tags,
    };
    let res = out(&d, ctx.account_id());
    s.dhcp.insert(d.id.clone(), d);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(CreateDhcpOptionsResult {
        dhcp_options: Some(res),
    })
}

pub fn delete(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DeleteDhcpOptionsRequest,
) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let d = dhcp_or_err(&s, &i.dhcp_options_id)?;
    if s.vpcs.values().any(|v| v.dhcp_options == d.id) {
        return Err(AwsError::bad_request(
            "DependencyViolation",
            format!(
                "The dhcpOptions '{}' has dependencies and cannot be deleted.",
                d.id
            ),
        ));
    }
    dry_run(i.dry_run)?;
    s.dhcp.remove(&i.dhcp_options_id);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn associate(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: AssociateDhcpOptionsRequest,
) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    if i.dhcp_options_id != "default" {
        dhcp_or_err(&s, &i.dhcp_options_id)?;
    }
    vpc_or_err(&s, &i.vpc_id)?;
    dry_run(i.dry_run)?;
    if let Some(v) = s.vpcs.get_mut(&i.vpc_id) {
        v.dhcp_options = i.dhcp_options_id.clone();
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeDhcpOptionsRequest,
) -> Result<DescribeDhcpOptionsResult, AwsError> {
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    if let Some(ids) = &i.dhcp_options_ids {
        for id in ids {
            dhcp_or_err(&s, id)?;
        }
    }
    let filters = i.filters.clone().unwrap_or_default();
    let mut res = Vec::new();
    for d in s.dhcp.values() {
        if i.dhcp_options_ids
            .as_ref()
            .is_some_and(|ids| !ids.contains(&d.id))
        {
            continue;
        }
        if matches(&(d, ctx.account_id()), &filters)? {
            res.push(out(d, ctx.account_id()));
        }
    }
    let (dhcp_options, next_token) = page(res, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeDhcpOptionsResult {
        dhcp_options: Some(dhcp_options),
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
    fn options_are_checked() {
        assert!(check_option("domain-name", &v(&["corp.example.com"])).is_ok());
        assert!(check_option("domain-name-servers", &v(&["AmazonProvidedDNS"])).is_ok());
        assert!(check_option("domain-name-servers", &v(&["10.0.0.2", "10.0.0.3"])).is_ok());
        assert!(check_option("domain-name-servers", &v(&["dns.example.com"])).is_err());
        let five = v(&["1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4", "1.1.1.5"]);
        assert!(check_option("ntp-servers", &five).is_err());
        assert!(check_option("netbios-node-type", &v(&["2"])).is_ok());
        assert!(check_option("netbios-node-type", &v(&["3"])).is_err());
        assert!(check_option("router", &v(&["10.0.0.1"])).is_err());
        assert!(check_option("domain-name", &[]).is_err());
    }

    #[test]
    fn region_default_set() {
        let east = DhcpRec::region_default("dopt-1", "us-east-1");
        assert_eq!(east.config[0].1, v(&["ec2.internal"]));
        let seoul = DhcpRec::region_default("dopt-2", "ap-northeast-2");
        assert_eq!(seoul.config[0].1, v(&["ap-northeast-2.compute.internal"]));
        assert_eq!(seoul.config[1].1, v(&["AmazonProvidedDNS"]));
    }
}
