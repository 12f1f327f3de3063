//! Listeners: added and removed by port; HTTPS and SSL listeners get the
//! default security policy, as AWS gives them one.

use stratus_core::{AwsError, RequestContext};

use super::common::{check_certificate, same_listener, update};
use super::load_balancers::{MAX_LISTENERS, listeners_in};
use crate::Elb;
use crate::errors::{duplicate_listener, invalid_config, listener_not_found, validation};
use crate::generated::*;
use crate::policies::{DEFAULT_SECURITY_POLICY, SSL_NEGOTIATION};
use crate::state::{ListenerRec, PolicyRec};

fn secure(l: &ListenerRec) -> bool {
    matches!(l.protocol.as_str(), "HTTPS" | "SSL")
}

/// Gives secure listeners without policies the default security policy,
/// creating it on the load balancer when it is not there yet.
pub fn with_default_policies(listeners: &mut [ListenerRec], policies: &mut Vec<PolicyRec>) {
    for l in listeners
        .iter_mut()
        .filter(|l| secure(l) && l.policy_names.is_empty())
    {
        if !policies.iter().any(|p| p.name == DEFAULT_SECURITY_POLICY) {
            policies.push(PolicyRec {
                name: DEFAULT_SECURITY_POLICY.into(),
                type_name: SSL_NEGOTIATION.into(),
                attributes: vec![(
                    "Reference-Security-Policy".into(),
                    DEFAULT_SECURITY_POLICY.into(),
                )],
            });
        }
        l.policy_names = vec![DEFAULT_SECURITY_POLICY.into()];
    }
}

pub fn create_load_balancer_listeners(
    me: &Elb,
    ctx: &RequestContext,
    input: CreateLoadBalancerListenerInput,
) -> Result<CreateLoadBalancerListenerOutput, AwsError> {
    if input.listeners.is_empty() {
        return Err(validation("At least one listener must be specified"));
    }
    let new = listeners_in(input.listeners)?;
    update(me, ctx, &input.load_balancer_name, |r| {
        let mut added = Vec::new();
        for l in new {
            match r.listeners.iter().find(|o| o.lb_port == l.lb_port) {
                Some(old) if same_listener(old, &l) => {}
                Some(_) => return Err(duplicate_listener(l.lb_port)),
                None => added.push(l),
            }
        }
        if r.listeners.len() + added.len() > MAX_LISTENERS {
            return Err(AwsError::bad_request(
                "TooManyAccessPointsException",
                format!("Exceeded quota of {MAX_LISTENERS} listeners per load balancer"),
            ));
        }
        with_default_policies(&mut added, &mut r.policies);
        r.listeners.extend(added);
        Ok(CreateLoadBalancerListenerOutput {})
    })
}

pub fn delete_load_balancer_listeners(
    me: &Elb,
    ctx: &RequestContext,
    input: DeleteLoadBalancerListenerInput,
) -> Result<DeleteLoadBalancerListenerOutput, AwsError> {
    update(me, ctx, &input.load_balancer_name, |r| {
        r.listeners
            .retain(|l| !input.load_balancer_ports.contains(&l.lb_port));
        Ok(DeleteLoadBalancerListenerOutput {})
    })
}

pub fn set_load_balancer_listener_ssl_certificate(
    me: &Elb,
    ctx: &RequestContext,
    input: SetLoadBalancerListenerSSLCertificateInput,
) -> Result<SetLoadBalancerListenerSSLCertificateOutput, AwsError> {
    check_certificate(&input.ssl_certificate_id)?;
    update(me, ctx, &input.load_balancer_name, |r| {
        let name = r.name.clone();
        let l = r
            .listener_mut(input.load_balancer_port)
            .ok_or_else(|| listener_not_found(&name, input.load_balancer_port))?;
        if !secure(l) {
            return Err(invalid_config(format!(
                "The listener on port {} uses {}; a certificate applies only to HTTPS and SSL listeners",
                l.lb_port, l.protocol
            )));
        }
        l.ssl_certificate_id = Some(input.ssl_certificate_id.clone());
        Ok(SetLoadBalancerListenerSSLCertificateOutput {})
    })
}
