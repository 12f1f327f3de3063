//! Policies: stickiness (LB and application cookies), proxy protocol, SSL
//! negotiation and back-end authentication, created on one load balancer
//! and set on its listeners or back-end ports.

use stratus_core::{AwsError, RequestContext};

use super::common::{lb, update};
use crate::Elb;
use crate::errors::{
    duplicate_policy, invalid_config, listener_not_found, policy_not_found, policy_type_not_found,
    validation,
};
use crate::generated::*;
use crate::policies::{
    APP_COOKIE, BACKEND_AUTH, LB_COOKIE, PREDEFINED, PROXY_PROTOCOL, PUBLIC_KEY, SSL_NEGOTIATION,
    TYPES, policy_type, predefined_attributes,
};
use crate::state::{LoadBalancerRec, PolicyRec};

const MAX_POLICIES: usize = 50;

fn add_policy(r: &mut LoadBalancerRec, p: PolicyRec) -> Result<(), AwsError> {
    if r.policy(&p.name).is_some() {
        return Err(duplicate_policy(&p.name, &r.name));
    }
    if r.policies.len() >= MAX_POLICIES {
        return Err(AwsError::bad_request(
            "TooManyPoliciesException",
            format!("Exceeded quota of {MAX_POLICIES} policies per load balancer"),
        ));
    }
    r.policies.push(p);
    Ok(())
}

fn check_policy_name(name: &str) -> Result<(), AwsError> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(validation(format!(
            "Policy name '{name}' may contain only alphanumeric characters, hyphens and underscores"
        )));
    }
    Ok(())
}

pub fn create_lb_cookie_stickiness_policy(
    me: &Elb,
    ctx: &RequestContext,
    input: CreateLBCookieStickinessPolicyInput,
) -> Result<CreateLBCookieStickinessPolicyOutput, AwsError> {
    check_policy_name(&input.policy_name)?;
    let period = input.cookie_expiration_period.unwrap_or(0);
    if period < 0 {
        return Err(validation("CookieExpirationPeriod must not be negative"));
    }
    update(me, ctx, &input.load_balancer_name, |r| {
        add_policy(
            r,
            PolicyRec {
                name: input.policy_name.clone(),
                type_name: LB_COOKIE.into(),
                attributes: vec![("CookieExpirationPeriod".into(), period.to_string())],
            },
        )?;
        Ok(CreateLBCookieStickinessPolicyOutput {})
    })
}

pub fn create_app_cookie_stickiness_policy(
    me: &Elb,
    ctx: &RequestContext,
    input: CreateAppCookieStickinessPolicyInput,
) -> Result<CreateAppCookieStickinessPolicyOutput, AwsError> {
    check_policy_name(&input.policy_name)?;
    update(me, ctx, &input.load_balancer_name, |r| {
        add_policy(
            r,
            PolicyRec {
                name: input.policy_name.clone(),
                type_name: APP_COOKIE.into(),
                attributes: vec![("CookieName".into(), input.cookie_name.clone())],
            },
        )?;
        Ok(CreateAppCookieStickinessPolicyOutput {})
    })
}

pub fn create_load_balancer_policy(
    me: &Elb,
    ctx: &RequestContext,
    input: CreateLoadBalancerPolicyInput,
) -> Result<CreateLoadBalancerPolicyOutput, AwsError> {
    check_policy_name(&input.policy_name)?;
    let t = policy_type(&input.policy_type_name)
        .ok_or_else(|| policy_type_not_found(&input.policy_type_name))?;
    let attributes: Vec<(String, String)> = input
        .policy_attributes
        .unwrap_or_default()
        .into_iter()
        .map(|a| {
            (
                a.attribute_name.unwrap_or_default(),
                a.attribute_value.unwrap_or_default(),
            )
        })
        .collect();
    for (name, value) in &attributes {
        let Some(known) = t.attributes.iter().find(|a| a.0 == name) else {
            if t.open {
                continue;
            }
            return Err(invalid_config(format!(
                "Attribute {name} is not valid for policy type {}",
                t.name
            )));
        };
        if known.1 == "Boolean" && !matches!(value.as_str(), "true" | "false") {
            return Err(invalid_config(format!(
                "Attribute {name} of policy type {} takes true or false, not '{value}'",
                t.name
            )));
        }
    }
    for required in t.attributes.iter().filter(|a| a.2.starts_with("ONE")) {
        if !attributes.iter().any(|(n, _)| n == required.0) {
            return Err(invalid_config(format!(
                "Policy type {} requires the attribute {}",
                t.name, required.0
            )));
        }
    }
    if t.name == SSL_NEGOTIATION
        && let Some((_, reference)) = attributes
            .iter()
            .find(|(n, _)| n == "Reference-Security-Policy")
        && predefined_attributes(reference).is_none()
    {
        return Err(policy_not_found(reference));
    }
    update(me, ctx, &input.load_balancer_name, |r| {
        if t.name == BACKEND_AUTH {
            for (_, key_policy) in &attributes {
                match r.policy(key_policy) {
                    Some(p) if p.type_name == PUBLIC_KEY => {}
                    _ => return Err(policy_not_found(key_policy)),
                }
            }
        }
        add_policy(
            r,
            PolicyRec {
                name: input.policy_name.clone(),
                type_name: t.name.into(),
                attributes: attributes.clone(),
            },
        )?;
        Ok(CreateLoadBalancerPolicyOutput {})
    })
}

fn in_use(r: &LoadBalancerRec, name: &str) -> bool {
    r.listeners
        .iter()
        .any(|l| l.policy_names.iter().any(|p| p == name))
        || r.backend_policies
            .values()
            .any(|v| v.iter().any(|p| p == name))
        || r.policies
            .iter()
            .any(|p| p.type_name == BACKEND_AUTH && p.attributes.iter().any(|(_, v)| v == name))
}

pub fn delete_load_balancer_policy(
    me: &Elb,
    ctx: &RequestContext,
    input: DeleteLoadBalancerPolicyInput,
) -> Result<DeleteLoadBalancerPolicyOutput, AwsError> {
    update(me, ctx, &input.load_balancer_name, |r| {
        if in_use(r, &input.policy_name) {
            return Err(invalid_config(format!(
                "Cannot delete policy {}: it is in use by a listener or back-end server",
                input.policy_name
            )));
        }
        r.policies.retain(|p| p.name != input.policy_name);
        Ok(DeleteLoadBalancerPolicyOutput {})
    })
}

/// The named policies exist on the load balancer; returns their types.
fn types_of<'a>(r: &'a LoadBalancerRec, names: &[String]) -> Result<Vec<&'a str>, AwsError> {
    names
        .iter()
        .map(|n| {
            r.policy(n)
                .map(|p| p.type_name.as_str())
                .ok_or_else(|| policy_not_found(n))
        })
        .collect()
}

pub fn set_load_balancer_policies_of_listener(
    me: &Elb,
    ctx: &RequestContext,
    input: SetLoadBalancerPoliciesOfListenerInput,
) -> Result<SetLoadBalancerPoliciesOfListenerOutput, AwsError> {
    update(me, ctx, &input.load_balancer_name, |r| {
        let types: Vec<String> = types_of(r, &input.policy_names)?
            .into_iter()
            .map(str::to_string)
            .collect();
        let name = r.name.clone();
        let l = r
            .listener_mut(input.load_balancer_port)
            .ok_or_else(|| listener_not_found(&name, input.load_balancer_port))?;
        let web = matches!(l.protocol.as_str(), "HTTP" | "HTTPS");
        let secure = matches!(l.protocol.as_str(), "HTTPS" | "SSL");
        for (p, t) in input.policy_names.iter().zip(&types) {
            let fits = match t.as_str() {
                LB_COOKIE | APP_COOKIE => web,
                SSL_NEGOTIATION => secure,
                PROXY_PROTOCOL => !web,
                _ => false,
            };
            if !fits {
                return Err(invalid_config(format!(
                    "Policy {p} of type {t} cannot be set on the {} listener on port {}",
                    l.protocol, l.lb_port
                )));
            }
        }
        let stickiness = types
            .iter()
            .filter(|t| matches!(t.as_str(), LB_COOKIE | APP_COOKIE))
            .count();
        if stickiness > 1 {
            return Err(invalid_config(
                "A listener takes at most one stickiness policy",
            ));
        }
        l.policy_names = input.policy_names.clone();
        Ok(SetLoadBalancerPoliciesOfListenerOutput {})
    })
}

pub fn set_load_balancer_policies_for_backend_server(
    me: &Elb,
    ctx: &RequestContext,
    input: SetLoadBalancerPoliciesForBackendServerInput,
) -> Result<SetLoadBalancerPoliciesForBackendServerOutput, AwsError> {
    update(me, ctx, &input.load_balancer_name, |r| {
        let types = types_of(r, &input.policy_names)?;
        if let Some((p, t)) = input
            .policy_names
            .iter()
            .zip(&types)
            .find(|(_, t)| !matches!(**t, BACKEND_AUTH | PROXY_PROTOCOL))
        {
            return Err(invalid_config(format!(
                "Policy {p} of type {t} cannot be set on a back-end server"
            )));
        }
        if input.policy_names.is_empty() {
            r.backend_policies.remove(&input.instance_port);
        } else {
            r.backend_policies
                .insert(input.instance_port, input.policy_names.clone());
        }
        Ok(SetLoadBalancerPoliciesForBackendServerOutput {})
    })
}

fn described(name: &str, type_name: &str, attrs: &[(String, String)]) -> PolicyDescription {
    PolicyDescription {
        policy_name: Some(name.into()),
        policy_type_name: Some(type_name.into()),
        policy_attribute_descriptions: Some(
            attrs
                .iter()
                .map(|(k, v)| PolicyAttributeDescription {
                    attribute_name: Some(k.clone()),
                    attribute_value: Some(v.clone()),
                })
                .collect(),
        ),
    }
}

pub fn describe_load_balancer_policies(
    me: &Elb,
    ctx: &RequestContext,
    input: DescribeLoadBalancerPoliciesInput,
) -> Result<DescribeLoadBalancerPoliciesOutput, AwsError> {
    let wanted = input.policy_names.unwrap_or_default();
    let all: Vec<PolicyDescription> = match &input.load_balancer_name {
        Some(name) => {
            let inner = me.state.read();
            let r = lb(&inner, ctx, name)?;
            r.policies
                .iter()
                .map(|p| described(&p.name, &p.type_name, &p.attributes))
                .collect()
        }
        None => PREDEFINED
            .iter()
            .filter_map(|(n, _)| {
                predefined_attributes(n).map(|a| described(n, SSL_NEGOTIATION, &a))
            })
            .collect(),
    };
    if wanted.is_empty() {
        return Ok(DescribeLoadBalancerPoliciesOutput {
            policy_descriptions: Some(all),
        });
    }
    let mut out = Vec::new();
    for w in &wanted {
        let p = all
            .iter()
            .find(|p| p.policy_name.as_deref() == Some(w.as_str()))
            .ok_or_else(|| policy_not_found(w))?;
        out.push(p.clone());
    }
    Ok(DescribeLoadBalancerPoliciesOutput {
        policy_descriptions: Some(out),
    })
}

pub fn describe_load_balancer_policy_types(
    _me: &Elb,
    _ctx: &RequestContext,
    input: DescribeLoadBalancerPolicyTypesInput,
) -> Result<DescribeLoadBalancerPolicyTypesOutput, AwsError> {
    let wanted = input.policy_type_names.unwrap_or_default();
    for w in &wanted {
        if policy_type(w).is_none() {
            return Err(policy_type_not_found(w));
        }
    }
    let out = TYPES
        .iter()
        .filter(|t| wanted.is_empty() || wanted.iter().any(|w| w == t.name))
        .map(|t| PolicyTypeDescription {
            policy_type_name: Some(t.name.into()),
            description: Some(t.description.into()),
            policy_attribute_type_descriptions: Some(
                t.attributes
                    .iter()
                    .map(
                        |(name, ty, card, default, desc)| PolicyAttributeTypeDescription {
                            attribute_name: Some((*name).into()),
                            attribute_type: Some((*ty).into()),
                            description: (!desc.is_empty()).then(|| (*desc).into()),
                            default_value: default.map(str::to_string),
                            cardinality: Some((*card).into()),
                        },
                    )
                    .collect(),
            ),
        })
        .collect();
    Ok(DescribeLoadBalancerPolicyTypesOutput {
        policy_type_descriptions: Some(out),
    })
}
