//! Load balancer attributes: cross-zone load balancing, access logs,
//! connection draining, idle timeout and the additional key/value ones.

use stratus_core::{AwsError, RequestContext};

use super::common::{lb, update};
use crate::Elb;
use crate::errors::{attribute_not_found, validation};
use crate::generated::*;
use crate::state::AttributesRec;

const DESYNC: &str = "elb.http.desyncmitigationmode";

fn out(a: &AttributesRec) -> LoadBalancerAttributes {
    LoadBalancerAttributes {
        cross_zone_load_balancing: Some(CrossZoneLoadBalancing {
            enabled: a.cross_zone,
        }),
        access_log: Some(AccessLog {
            enabled: a.access_log_enabled,
            s3_bucket_name: a.access_log_bucket.clone(),
            emit_interval: a.access_log_interval,
            s3_bucket_prefix: a.access_log_prefix.clone(),
        }),
        connection_draining: Some(ConnectionDraining {
            enabled: a.draining_enabled,
            timeout: Some(a.draining_timeout),
        }),
        connection_settings: Some(ConnectionSettings {
            idle_timeout: a.idle_timeout,
        }),
        additional_attributes: Some(
            a.additional
                .iter()
                .map(|(k, v)| AdditionalAttribute {
                    key: Some(k.clone()),
                    value: Some(v.clone()),
                })
                .collect(),
        ),
    }
}

/// Applies the attributes a request gives over `a`, with AWS's ranges.
fn apply(a: &mut AttributesRec, input: LoadBalancerAttributes) -> Result<(), AwsError> {
    if let Some(c) = input.cross_zone_load_balancing {
        a.cross_zone = c.enabled;
    }
    if let Some(l) = input.access_log {
        if let Some(i) = l.emit_interval
            && !matches!(i, 5 | 60)
        {
            return Err(validation(format!(
                "AccessLog EmitInterval must be 5 or 60 minutes, not {i}"
            )));
        }
        let bucket = l.s3_bucket_name.filter(|b| !b.is_empty());
        if l.enabled && bucket.is_none() {
            return Err(validation(
                "An S3BucketName is required when access logs are enabled",
            ));
        }
        a.access_log_enabled = l.enabled;
        a.access_log_bucket = bucket;
        a.access_log_prefix = l.s3_bucket_prefix.filter(|p| !p.is_empty());
        a.access_log_interval = l.emit_interval.or(Some(60)).filter(|_| l.enabled);
    }
    if let Some(d) = input.connection_draining {
        let timeout = d.timeout.unwrap_or(a.draining_timeout);
        if !(1..=3600).contains(&timeout) {
            return Err(validation(format!(
                "ConnectionDraining Timeout must be between 1 and 3600 seconds, not {timeout}"
            )));
        }
        a.draining_enabled = d.enabled;
        a.draining_timeout = timeout;
    }
    if let Some(s) = input.connection_settings {
        if !(1..=4000).contains(&s.idle_timeout) {
            return Err(validation(format!(
                "ConnectionSettings IdleTimeout must be between 1 and 4000 seconds, not {}",
                s.idle_timeout
            )));
        }
        a.idle_timeout = s.idle_timeout;
    }
    for extra in input.additional_attributes.unwrap_or_default() {
        let key = extra.key.unwrap_or_default();
        let value = extra.value.unwrap_or_default();
        if key != DESYNC {
            return Err(attribute_not_found(&key));
        }
        if !matches!(value.as_str(), "monitor" | "defensive" | "strictest") {
            return Err(validation(format!(
                "{DESYNC} must be monitor, defensive or strictest, not '{value}'"
            )));
        }
        a.additional.insert(key, value);
    }
    Ok(())
}

pub fn describe_load_balancer_attributes(
    me: &Elb,
    ctx: &RequestContext,
    input: DescribeLoadBalancerAttributesInput,
) -> Result<DescribeLoadBalancerAttributesOutput, AwsError> {
    let inner = me.state.read();
    let r = lb(&inner, ctx, &input.load_balancer_name)?;
    Ok(DescribeLoadBalancerAttributesOutput {
        load_balancer_attributes: Some(out(&r.attributes)),
    })
}

pub fn modify_load_balancer_attributes(
    me: &Elb,
    ctx: &RequestContext,
    input: ModifyLoadBalancerAttributesInput,
) -> Result<ModifyLoadBalancerAttributesOutput, AwsError> {
    update(me, ctx, &input.load_balancer_name, |r| {
        apply(&mut r.attributes, input.load_balancer_attributes)?;
        Ok(ModifyLoadBalancerAttributesOutput {
            load_balancer_name: Some(r.name.clone()),
            load_balancer_attributes: Some(out(&r.attributes)),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::load_balancers::default_attributes;

    #[test]
    fn draining_and_idle_timeouts_keep_their_ranges() {
        let mut a = default_attributes();
        apply(
            &mut a,
            LoadBalancerAttributes {
                connection_draining: Some(ConnectionDraining {
                    enabled: true,
                    timeout: Some(60),
                }),
                connection_settings: Some(ConnectionSettings { idle_timeout: 120 }),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(a.draining_enabled);
        assert_eq!((a.draining_timeout, a.idle_timeout), (60, 120));
        let e = apply(
            &mut a,
            LoadBalancerAttributes {
                connection_settings: Some(ConnectionSettings { idle_timeout: 5000 }),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_eq!(e.code, "ValidationError");
    }

    #[test]
    fn unknown_additional_attributes_are_refused() {
        let mut a = default_attributes();
        let e = apply(
            &mut a,
            LoadBalancerAttributes {
                additional_attributes: Some(vec![AdditionalAttribute {
                    key: Some("elb.nope".into()),
                    value: Some("x".into()),
                }]),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_eq!(e.code, "LoadBalancerAttributeNotFoundException");
        assert_eq!(
            a.additional.get(DESYNC).map(String::as_str),
            Some("defensive")
        );
    }
}
