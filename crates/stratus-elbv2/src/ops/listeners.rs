//! Listeners: protocols per load balancer type, certificates and security
//! policies (certificates are stored as given until ACM exists), default
//! actions, one listener per port, and listener attributes.

use stratus_core::{AwsError, RequestContext};

use super::common::{lb, listener, owned, page, tags_in};
use crate::Elbv2;
use crate::actions;
use crate::attributes;
use crate::errors::{listeners_not_found, operation_not_permitted, validation};
use crate::generated::*;
use crate::monitor::refresh_usage;
use crate::names;
use crate::policies::{DEFAULT_SSL_POLICY, limit, ssl_policy_exists};
use crate::state::{ActionRec, CertificateRec, ListenerRec, LoadBalancerRec};

pub fn view(r: &ListenerRec) -> Listener {
    Listener {
        listener_arn: Some(r.arn.clone()),
        load_balancer_arn: Some(r.lb_arn.clone()),
        port: r.port,
        protocol: r.protocol.clone(),
        certificates: r.certificates.iter().find(|c| c.is_default).map(|c| {
            vec![Certificate {
                certificate_arn: Some(c.arn.clone()),
                is_default: None,
            }]
        }),
        ssl_policy: r.ssl_policy.clone(),
        default_actions: Some(r.default_actions.iter().map(actions::to_api).collect()),
        alpn_policy: (!r.alpn_policy.is_empty()).then(|| r.alpn_policy.clone()),
        mutual_authentication: r.mutual_authentication.as_ref().and_then(actions::shape_of),
    }
}

fn secure(protocol: Option<&str>) -> bool {
    matches!(protocol, Some("HTTPS" | "TLS"))
}

/// The protocol, port, certificate and policy a listener may have on this
/// load balancer.
fn check_listener_settings(
    lb: &LoadBalancerRec,
    protocol: Option<&str>,
    port: Option<i32>,
    ssl_policy: Option<&str>,
    certificates: &[CertificateRec],
    alpn: &[String],
) -> Result<(), AwsError> {
    match lb.kind.as_str() {
        "gateway" => {
            if protocol.is_some() || port.is_some() {
                return Err(validation(
                    "A protocol and port cannot be specified for listeners of load balancers of type 'gateway'",
                ));
            }
            return Ok(());
        }
        kind => {
            let Some(p) = protocol else {
                return Err(validation("A listener protocol must be specified"));
            };
            if port.is_none() {
                return Err(validation("A listener port must be specified"));
            }
            let allowed: &[&str] = if kind == "application" {
                &["HTTPS", "HTTP"]
            } else {
                &["TCP_UDP", "TLS", "UDP", "TCP"]
            };
            if !allowed.contains(&p) {
                return Err(validation(format!(
                    "Listener protocol '{p}' must be one of '{}'",
                    allowed.join(", ")
                )));
            }
        }
    }
    let p = protocol.unwrap_or("");
    if secure(protocol) {
        if certificates.is_empty() {
            return Err(validation(format!(
                "A certificate must be specified for {p} listeners"
            )));
        }
    } else {
        if ssl_policy.is_some() {
            return Err(validation(format!(
                "An SSL policy cannot be specified for {p} listeners"
            )));
        }
        if !certificates.is_empty() {
            return Err(validation(format!(
                "A certificate cannot be specified for {p} listeners"
            )));
        }
    }
    if let Some(s) = ssl_policy
        && !ssl_policy_exists(s)
    {
        return Err(AwsError::bad_request(
            "SSLPolicyNotFoundException",
            format!("SSL policy '{s}' not found"),
        ));
    }
    if !alpn.is_empty() && p != "TLS" {
        return Err(validation(
            "An ALPN policy can be specified only for TLS listeners",
        ));
    }
    Ok(())
}

fn certificates_in(certs: Option<Vec<Certificate>>) -> Result<Vec<CertificateRec>, AwsError> {
    let certs = certs.unwrap_or_default();
    if certs.len() > 1 {
        return Err(validation(
            "Only one certificate can be specified; add more with AddListenerCertificates",
        ));
    }
    certs
        .into_iter()
        .map(|c| {
            let arn = c.certificate_arn.unwrap_or_default();
            if !arn.starts_with("arn:") {
                return Err(AwsError::bad_request(
                    "CertificateNotFoundException",
                    format!("Certificate '{arn}' not found"),
                ));
            }
            Ok(CertificateRec {
                arn,
                is_default: true,
            })
        })
        .collect()
}

fn check_port_free(
    me_inner: &crate::state::Inner,
    lb_arn: &str,
    port: Option<i32>,
    except: Option<&str>,
) -> Result<(), AwsError> {
    if port.is_some()
        && me_inner
            .listeners
            .values()
            .any(|l| l.lb_arn == lb_arn && l.port == port && Some(l.arn.as_str()) != except)
    {
        return Err(AwsError::bad_request(
            "DuplicateListenerException",
            "A listener already exists on this port for this load balancer",
        ));
    }
    Ok(())
}

pub fn create_listener(
    me: &Elbv2,
    ctx: &RequestContext,
    input: CreateListenerInput,
) -> Result<CreateListenerOutput, AwsError> {
    let now = ctx.clock.now_millis();
    let tags = tags_in(input.tags.clone())?;
    let certificates = certificates_in(input.certificates.clone())?;
    let default_actions = actions::from_api(input.default_actions.clone())?;
    let alpn = input.alpn_policy.clone().unwrap_or_default();
    let mut txn = me.state.begin();
    let lbr = lb(&txn.inner, ctx, &input.load_balancer_arn)?.clone();
    let protocol = input.protocol.clone();
    check_listener_settings(
        &lbr,
        protocol.as_deref(),
        input.port,
        input.ssl_policy.as_deref(),
        &certificates,
        &alpn,
    )?;
    actions::check_in_context(&txn.inner, &lbr, protocol.as_deref(), &default_actions)?;
    let ssl_policy = if secure(protocol.as_deref()) {
        Some(
            input
                .ssl_policy
                .clone()
                .unwrap_or_else(|| DEFAULT_SSL_POLICY.into()),
        )
    } else {
        None
    };
    if let Some(existing) = txn
        .inner
        .listeners
        .values()
        .find(|l| l.lb_arn == lbr.arn && l.port == input.port && input.port.is_some())
    {
        // Creating the same listener again answers with the one that exists.
        if existing.protocol == protocol
            && existing.default_actions == default_actions
            && existing.ssl_policy == ssl_policy
        {
            return Ok(CreateListenerOutput {
                listeners: Some(vec![view(existing)]),
            });
        }
    }
    check_port_free(&txn.inner, &lbr.arn, input.port, None)?;
    let quota = if lbr.kind == "network" {
        "listeners-per-network-load-balancer"
    } else {
        "listeners-per-application-load-balancer"
    };
    let count = txn
        .inner
        .listeners
        .values()
        .filter(|l| l.lb_arn == lbr.arn)
        .count();
    if count >= limit(quota) {
        return Err(AwsError::bad_request(
            "TooManyListenersException",
            format!(
                "You've reached the limit on the number of listeners per load balancer: {}",
                limit(quota)
            ),
        ));
    }
    let arn = names::listener_arn(&lbr.arn);
    let rec = ListenerRec {
        default_rule_arn: names::rule_arn(&arn),
        arn: arn.clone(),
        account: lbr.account.clone(),
        region: lbr.region.clone(),
        lb_arn: lbr.arn.clone(),
        attributes: attributes::listener_defaults(&lbr.kind, protocol.as_deref()),
        protocol,
        port: input.port,
        ssl_policy,
        certificates,
        default_actions,
        alpn_policy: alpn,
        mutual_authentication: input.mutual_authentication.map(actions::to_json),
        default_rule_tags: Default::default(),
        tags,
    };
    let out = view(&rec);
    txn.inner.listeners.insert(arn.clone(), rec);
    txn.put_listener(&arn)?;
    for tg in refresh_usage(&mut txn.inner, now) {
        txn.put_tg(&tg)?;
    }
    txn.commit()?;
    Ok(CreateListenerOutput {
        listeners: Some(vec![out]),
    })
}

pub fn describe_listeners(
    me: &Elbv2,
    ctx: &RequestContext,
    input: DescribeListenersInput,
) -> Result<DescribeListenersOutput, AwsError> {
    let inner = me.state.read();
    let mut found: Vec<&ListenerRec> = Vec::new();
    match (
        &input.load_balancer_arn,
        input.listener_arns.filter(|a| !a.is_empty()),
    ) {
        (Some(_), Some(_)) => {
            return Err(validation(
                "Listener ARNs and a load balancer ARN cannot be specified at the same time",
            ));
        }
        (Some(lb_arn), None) => {
            lb(&inner, ctx, lb_arn)?;
            found = inner
                .listeners
                .values()
                .filter(|l| &l.lb_arn == lb_arn)
                .collect();
        }
        (None, Some(arns)) => {
            for arn in &arns {
                names::check_arn(arn, "listener", "listener")?;
                let l = inner
                    .listeners
                    .get(arn)
                    .filter(|l| owned(ctx, &l.account, &l.region))
                    .ok_or_else(listeners_not_found)?;
                found.push(l);
            }
        }
        (None, None) => {
            return Err(validation(
                "You must specify either listener ARNs or a load balancer ARN",
            ));
        }
    }
    found.sort_by_key(|l| (l.lb_arn.clone(), l.port));
    let views: Vec<Listener> = found.into_iter().map(view).collect();
    let (items, next) = page(views, input.marker.as_deref(), input.page_size)?;
    Ok(DescribeListenersOutput {
        listeners: Some(items),
        next_marker: next,
    })
}

pub fn modify_listener(
    me: &Elbv2,
    ctx: &RequestContext,
    input: ModifyListenerInput,
) -> Result<ModifyListenerOutput, AwsError> {
    let now = ctx.clock.now_millis();
    let new_actions: Option<Vec<ActionRec>> = input
        .default_actions
        .clone()
        .map(actions::from_api)
        .transpose()?;
    let new_certs = match input.certificates.clone() {
        Some(c) => Some(certificates_in(Some(c))?),
        None => None,
    };
    let mut txn = me.state.begin();
    let cur = listener(&txn.inner, ctx, &input.listener_arn)?.clone();
    let lbr = txn.inner.lbs.get(&cur.lb_arn).cloned().unwrap_or_default();
    let protocol = input.protocol.clone().or(cur.protocol.clone());
    let port = input.port.or(cur.port);
    let was_secure = secure(cur.protocol.as_deref());
    let now_secure = secure(protocol.as_deref());
    let mut certificates = cur.certificates.clone();
    if let Some(c) = new_certs {
        certificates.retain(|x| !x.is_default);
        certificates.splice(0..0, c);
    }
    if !now_secure {
        certificates.clear();
    }
    let ssl_policy = match (&input.ssl_policy, now_secure) {
        (Some(p), _) => Some(p.clone()),
        (None, true) if was_secure => cur.ssl_policy.clone(),
        (None, true) => Some(DEFAULT_SSL_POLICY.into()),
        (None, false) => None,
    };
    let alpn = input.alpn_policy.clone().unwrap_or(cur.alpn_policy.clone());
    let default_certs: Vec<CertificateRec> = certificates
        .iter()
        .filter(|c| c.is_default)
        .cloned()
        .collect();
    check_listener_settings(
        &lbr,
        protocol.as_deref(),
        port,
        if now_secure {
            ssl_policy.as_deref()
        } else {
            input.ssl_policy.as_deref()
        },
        &default_certs,
        &alpn,
    )?;
    let default_actions = new_actions.unwrap_or(cur.default_actions.clone());
    actions::check_in_context(&txn.inner, &lbr, protocol.as_deref(), &default_actions)?;
    check_port_free(&txn.inner, &cur.lb_arn, port, Some(&cur.arn))?;
    let arn = cur.arn.clone();
    let r = txn.inner.listeners.get_mut(&arn).expect("found above");
    if r.protocol != protocol {
        r.attributes = attributes::listener_defaults(&lbr.kind, protocol.as_deref());
    }
    r.protocol = protocol;
    r.port = port;
    r.ssl_policy = ssl_policy;
    r.certificates = certificates;
    r.default_actions = default_actions;
    r.alpn_policy = alpn;
    if let Some(m) = input.mutual_authentication {
        r.mutual_authentication = Some(actions::to_json(m));
    }
    let out = view(r);
    txn.put_listener(&arn)?;
    for tg in refresh_usage(&mut txn.inner, now) {
        txn.put_tg(&tg)?;
    }
    txn.commit()?;
    Ok(ModifyListenerOutput {
        listeners: Some(vec![out]),
    })
}

pub fn delete_listener(
    me: &Elbv2,
    ctx: &RequestContext,
    input: DeleteListenerInput,
) -> Result<DeleteListenerOutput, AwsError> {
    let mut txn = me.state.begin();
    let arn = listener(&txn.inner, ctx, &input.listener_arn)?.arn.clone();
    let rules: Vec<String> = txn
        .inner
        .rules
        .values()
        .filter(|r| r.listener_arn == arn)
        .map(|r| r.arn.clone())
        .collect();
    for r in rules {
        txn.delete_rule(&r);
    }
    txn.delete_listener(&arn);
    for tg in refresh_usage(&mut txn.inner, ctx.clock.now_millis()) {
        txn.put_tg(&tg)?;
    }
    txn.commit()?;
    Ok(DeleteListenerOutput {})
}

pub fn add_listener_certificates(
    me: &Elbv2,
    ctx: &RequestContext,
    input: AddListenerCertificatesInput,
) -> Result<AddListenerCertificatesOutput, AwsError> {
    let mut txn = me.state.begin();
    let arn = listener(&txn.inner, ctx, &input.listener_arn)?.arn.clone();
    let r = txn.inner.listeners.get_mut(&arn).expect("found above");
    if !secure(r.protocol.as_deref()) {
        return Err(validation(format!(
            "Certificates cannot be added to {} listeners",
            r.protocol.as_deref().unwrap_or("")
        )));
    }
    for c in &input.certificates {
        let cert = c.certificate_arn.clone().unwrap_or_default();
        if !cert.starts_with("arn:") {
            return Err(AwsError::bad_request(
                "CertificateNotFoundException",
                format!("Certificate '{cert}' not found"),
            ));
        }
        if !r.certificates.iter().any(|x| x.arn == cert) {
            r.certificates.push(CertificateRec {
                arn: cert,
                is_default: false,
            });
        }
    }
    let max = limit("certificates-per-application-load-balancer");
    if r.certificates.len() > max + 1 {
        return Err(AwsError::bad_request(
            "TooManyCertificatesException",
            format!(
                "You've reached the limit on the number of certificates per load balancer: {max}"
            ),
        ));
    }
    let out = input
        .certificates
        .iter()
        .map(|c| Certificate {
            certificate_arn: c.certificate_arn.clone(),
            is_default: Some(false),
        })
        .collect();
    txn.put_listener(&arn)?;
    txn.commit()?;
    Ok(AddListenerCertificatesOutput {
        certificates: Some(out),
    })
}

pub fn remove_listener_certificates(
    me: &Elbv2,
    ctx: &RequestContext,
    input: RemoveListenerCertificatesInput,
) -> Result<RemoveListenerCertificatesOutput, AwsError> {
    let mut txn = me.state.begin();
    let arn = listener(&txn.inner, ctx, &input.listener_arn)?.arn.clone();
    let r = txn.inner.listeners.get_mut(&arn).expect("found above");
    for c in &input.certificates {
        let cert = c.certificate_arn.clone().unwrap_or_default();
        if r.certificates.iter().any(|x| x.arn == cert && x.is_default) {
            return Err(operation_not_permitted(
                "The default certificate cannot be removed from a listener; use ModifyListener to replace it",
            ));
        }
        r.certificates.retain(|x| x.arn != cert);
    }
    txn.put_listener(&arn)?;
    txn.commit()?;
    Ok(RemoveListenerCertificatesOutput {})
}

pub fn describe_listener_certificates(
    me: &Elbv2,
    ctx: &RequestContext,
    input: DescribeListenerCertificatesInput,
) -> Result<DescribeListenerCertificatesOutput, AwsError> {
    let inner = me.state.read();
    let r = listener(&inner, ctx, &input.listener_arn)?;
    let certs: Vec<Certificate> = r
        .certificates
        .iter()
        .map(|c| Certificate {
            certificate_arn: Some(c.arn.clone()),
            is_default: Some(c.is_default),
        })
        .collect();
    let (items, next) = page(certs, input.marker.as_deref(), input.page_size)?;
    Ok(DescribeListenerCertificatesOutput {
        certificates: Some(items),
        next_marker: next,
    })
}

fn attrs_out(r: &ListenerRec) -> Vec<ListenerAttribute> {
    attributes::to_wire(&r.attributes, |key, value| ListenerAttribute { key, value })
}

pub fn describe_listener_attributes(
    me: &Elbv2,
    ctx: &RequestContext,
    input: DescribeListenerAttributesInput,
) -> Result<DescribeListenerAttributesOutput, AwsError> {
    let inner = me.state.read();
    let r = listener(&inner, ctx, &input.listener_arn)?;
    Ok(DescribeListenerAttributesOutput {
        attributes: Some(attrs_out(r)),
    })
}

pub fn modify_listener_attributes(
    me: &Elbv2,
    ctx: &RequestContext,
    input: ModifyListenerAttributesInput,
) -> Result<ModifyListenerAttributesOutput, AwsError> {
    let changes = attributes::requested(input.attributes, |a| (a.key, a.value));
    let mut txn = me.state.begin();
    let arn = listener(&txn.inner, ctx, &input.listener_arn)?.arn.clone();
    let kind = txn
        .inner
        .lbs
        .get(&txn.inner.listeners[&arn].lb_arn)
        .map(|l| l.kind.clone())
        .unwrap_or_default();
    let r = txn.inner.listeners.get_mut(&arn).expect("found above");
    let protocol = r.protocol.clone();
    attributes::modify_listener(&kind, protocol.as_deref(), &mut r.attributes, &changes)?;
    let out = attrs_out(r);
    txn.put_listener(&arn)?;
    txn.commit()?;
    Ok(ModifyListenerAttributesOutput {
        attributes: Some(out),
    })
}
