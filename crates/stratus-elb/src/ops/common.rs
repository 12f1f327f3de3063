//! What several operations share: finding the caller's load balancer,
//! changing one atomically, listeners and tags from requests, and paging.

use std::collections::BTreeMap;

use stratus_core::{AwsError, RequestContext};

use crate::Elb;
use crate::errors::{
    certificate_not_found, duplicate_tag_keys, invalid_config, lb_not_found, too_many_tags,
    validation,
};
use crate::generated::{Listener, Tag};
use crate::state::{Inner, ListenerRec, LoadBalancerRec, key};

pub const MAX_TAGS: usize = 10;

pub fn lb<'a>(
    inner: &'a Inner,
    ctx: &RequestContext,
    name: &str,
) -> Result<&'a LoadBalancerRec, AwsError> {
    inner
        .lbs
        .get(&key(ctx.account_id(), &ctx.region, name))
        .ok_or_else(|| lb_not_found(name))
}

/// Applies `f` to a copy of the named load balancer and stores the copy
/// only when `f` succeeds, so a refused request changes nothing.
pub fn update<T>(
    me: &Elb,
    ctx: &RequestContext,
    name: &str,
    f: impl FnOnce(&mut LoadBalancerRec) -> Result<T, AwsError>,
) -> Result<T, AwsError> {
    let k = key(ctx.account_id(), &ctx.region, name);
    let mut txn = me.state.begin();
    let mut copy = txn
        .inner
        .lbs
        .get(&k)
        .cloned()
        .ok_or_else(|| lb_not_found(name))?;
    let out = f(&mut copy)?;
    txn.inner.lbs.insert(k.clone(), copy);
    txn.put(&k)?;
    txn.commit()?;
    Ok(out)
}

const PROTOCOLS: [&str; 4] = ["HTTP", "HTTPS", "TCP", "SSL"];

fn layer7(protocol: &str) -> bool {
    matches!(protocol, "HTTP" | "HTTPS")
}

/// Certificates are named by ACM or IAM server certificate ARNs.
pub fn check_certificate(id: &str) -> Result<(), AwsError> {
    let ok = id.starts_with("arn:aws:acm:") && id.contains(":certificate/")
        || id.starts_with("arn:aws:iam::") && id.contains(":server-certificate/");
    if ok {
        Ok(())
    } else {
        Err(certificate_not_found(id))
    }
}

/// A listener from a request: protocols upper-cased and compatible, ports
/// in AWS's ranges, a certificate for HTTPS and SSL.
pub fn listener_in(l: Listener) -> Result<ListenerRec, AwsError> {
    let protocol = l.protocol.to_ascii_uppercase();
    if !PROTOCOLS.contains(&protocol.as_str()) {
        return Err(validation(format!(
            "Invalid protocol '{}': the listener protocol must be one of HTTP, HTTPS, TCP or SSL",
            l.protocol
        )));
    }
    let instance_protocol = match l.instance_protocol {
        Some(p) => {
            let p = p.to_ascii_uppercase();
            if !PROTOCOLS.contains(&p.as_str()) {
                return Err(validation(format!(
                    "Invalid instance protocol '{p}': it must be one of HTTP, HTTPS, TCP or SSL"
                )));
            }
            p
        }
        None if layer7(&protocol) => "HTTP".into(),
        None => "TCP".into(),
    };
    if layer7(&protocol) != layer7(&instance_protocol) {
        return Err(invalid_config(format!(
            "Listener protocol {protocol} and instance protocol {instance_protocol} are not compatible: both must be HTTP/HTTPS or both TCP/SSL"
        )));
    }
    let port = l.load_balancer_port;
    if !(matches!(port, 25 | 80 | 443 | 465 | 587) || (1024..=65535).contains(&port)) {
        return Err(validation(format!(
            "LoadBalancerPort {port} is not valid: it must be 25, 80, 443, 465, 587 or 1024-65535"
        )));
    }
    if !(1..=65535).contains(&l.instance_port) {
        return Err(validation(format!(
            "InstancePort {} is not valid: it must be 1-65535",
            l.instance_port
        )));
    }
    let ssl_certificate_id = l.ssl_certificate_id.filter(|c| !c.is_empty());
    if matches!(protocol.as_str(), "HTTPS" | "SSL") {
        match &ssl_certificate_id {
            None => {
                return Err(validation(format!(
                    "An SSLCertificateId is required for a {protocol} listener"
                )));
            }
            Some(c) => check_certificate(c)?,
        }
    }
    Ok(ListenerRec {
        protocol,
        lb_port: port,
        instance_protocol,
        instance_port: l.instance_port,
        ssl_certificate_id,
        policy_names: Vec::new(),
    })
}

pub fn listener_out(l: &ListenerRec) -> Listener {
    Listener {
        protocol: l.protocol.clone(),
        load_balancer_port: l.lb_port,
        instance_protocol: Some(l.instance_protocol.clone()),
        instance_port: l.instance_port,
        ssl_certificate_id: l.ssl_certificate_id.clone(),
    }
}

/// Whether two listeners are the same apart from their policies.
pub fn same_listener(a: &ListenerRec, b: &ListenerRec) -> bool {
    (
        &a.protocol,
        a.lb_port,
        &a.instance_protocol,
        a.instance_port,
        &a.ssl_certificate_id,
    ) == (
        &b.protocol,
        b.lb_port,
        &b.instance_protocol,
        b.instance_port,
        &b.ssl_certificate_id,
    )
}

/// Tags from a request, refusing a key given twice.
pub fn tags_in(tags: Vec<Tag>) -> Result<BTreeMap<String, String>, AwsError> {
    let mut out = BTreeMap::new();
    for t in tags {
        if out.contains_key(&t.key) {
            return Err(duplicate_tag_keys(&t.key));
        }
        out.insert(t.key, t.value.unwrap_or_default());
    }
    if out.len() > MAX_TAGS {
        return Err(too_many_tags());
    }
    Ok(out)
}

pub fn tags_out(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag {
            key: k.clone(),
            value: Some(v.clone()),
        })
        .collect()
}

pub use stratus_elbv2::page;

#[cfg(test)]
mod tests {
    use super::*;

    fn l(p: &str, port: i32, ip: Option<&str>, cert: Option<&str>) -> Listener {
        Listener {
            protocol: p.into(),
            load_balancer_port: port,
            instance_protocol: ip.map(str::to_string),
            instance_port: 8080,
            ssl_certificate_id: cert.map(str::to_string),
        }
    }

    #[test]
    fn listeners_default_their_instance_protocol_by_layer() {
        assert_eq!(
            listener_in(l("http", 80, None, None))
                .unwrap()
                .instance_protocol,
            "HTTP"
        );
        assert_eq!(
            listener_in(l("TCP", 25, None, None))
                .unwrap()
                .instance_protocol,
            "TCP"
        );
        let e = listener_in(l("HTTP", 80, Some("TCP"), None)).unwrap_err();
        assert_eq!(e.code, "InvalidConfigurationRequestException");
        assert_eq!(
            listener_in(l("UDP", 80, None, None)).unwrap_err().code,
            "ValidationError"
        );
        assert_eq!(
            listener_in(l("HTTP", 81, None, None)).unwrap_err().code,
            "ValidationError"
        );
        assert!(listener_in(l("HTTP", 8081, None, None)).is_ok());
    }

    #[test]
    fn secure_listeners_need_a_known_certificate() {
        assert_eq!(
            listener_in(l("HTTPS", 443, None, None)).unwrap_err().code,
            "ValidationError"
        );
        let e = listener_in(l("HTTPS", 443, None, Some("my-cert"))).unwrap_err();
        assert_eq!(e.code, "CertificateNotFoundException");
        let ok = listener_in(l(
            "SSL",
            443,
            None,
            Some("arn:aws:iam::123456789012:server-certificate/web"),
        ))
        .unwrap();
        assert_eq!(ok.instance_protocol, "TCP");
    }
}
