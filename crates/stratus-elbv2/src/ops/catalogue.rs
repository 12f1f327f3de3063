//! What AWS publishes rather than stores: security policies and quotas.

use stratus_core::{AwsError, RequestContext};

use super::common::page;
use crate::Elbv2;
use crate::generated::*;
use crate::policies::{LIMITS, ssl_policies};

pub fn describe_ssl_policies(
    _me: &Elbv2,
    _ctx: &RequestContext,
    input: DescribeSSLPoliciesInput,
) -> Result<DescribeSSLPoliciesOutput, AwsError> {
    let all = ssl_policies();
    let names = input.names.unwrap_or_default();
    for n in &names {
        if !all.iter().any(|p| p.name == n) {
            return Err(AwsError::bad_request(
                "SSLPolicyNotFoundException",
                format!("One or more SSL policies not found: '{n}'"),
            ));
        }
    }
    let kind = input.load_balancer_type;
    let out: Vec<SslPolicy> = all
        .into_iter()
        .filter(|p| names.is_empty() || names.iter().any(|n| n == p.name))
        .filter(|_| kind.as_deref() != Some("gateway"))
        .map(|p| SslPolicy {
            ssl_protocols: Some(p.protocols.iter().map(|s| s.to_string()).collect()),
            ciphers: Some(
                p.ciphers
                    .iter()
                    .enumerate()
                    .map(|(i, c)| Cipher {
                        name: Some(c.to_string()),
                        priority: Some(i as i32 + 1),
                    })
                    .collect(),
            ),
            name: Some(p.name.to_string()),
            supported_load_balancer_types: Some(vec!["application".into(), "network".into()]),
        })
        .collect();
    let (items, next) = page(out, input.marker.as_deref(), input.page_size)?;
    Ok(DescribeSSLPoliciesOutput {
        ssl_policies: Some(items),
        next_marker: next,
    })
}

pub fn describe_account_limits(
    _me: &Elbv2,
    _ctx: &RequestContext,
    input: DescribeAccountLimitsInput,
) -> Result<DescribeAccountLimitsOutput, AwsError> {
    let all: Vec<Limit> = LIMITS
        .iter()
        .map(|(n, v)| Limit {
            name: Some(n.to_string()),
            max: Some(v.to_string()),
        })
        .collect();
    let (items, next) = page(all, input.marker.as_deref(), input.page_size)?;
    Ok(DescribeAccountLimitsOutput {
        limits: Some(items),
        next_marker: next,
    })
}
