//! Load balancer, target group and listener attributes: AWS's defaults per
//! type and protocol, and the checks Modify*Attributes applies to keys and
//! values.

use std::collections::BTreeMap;

use stratus_core::AwsError;

use crate::errors::{invalid_config, validation};

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The attributes a new load balancer of `kind` has.
pub fn lb_defaults(kind: &str) -> BTreeMap<String, String> {
    match kind {
        "network" => map(&[
            ("access_logs.s3.enabled", "false"),
            ("access_logs.s3.bucket", ""),
            ("access_logs.s3.prefix", ""),
            ("deletion_protection.enabled", "false"),
            ("dns_record.client_routing_policy", "any_availability_zone"),
            ("load_balancing.cross_zone.enabled", "false"),
            ("zonal_shift.config.enabled", "false"),
        ]),
        "gateway" => map(&[
            ("deletion_protection.enabled", "false"),
            ("load_balancing.cross_zone.enabled", "false"),
        ]),
        _ => map(&[
            ("access_logs.s3.enabled", "false"),
            ("access_logs.s3.bucket", ""),
            ("access_logs.s3.prefix", ""),
            ("client_keep_alive.seconds", "3600"),
            ("connection_logs.s3.enabled", "false"),
            ("connection_logs.s3.bucket", ""),
            ("connection_logs.s3.prefix", ""),
            ("deletion_protection.enabled", "false"),
            ("idle_timeout.timeout_seconds", "60"),
            ("load_balancing.cross_zone.enabled", "true"),
            ("routing.http.desync_mitigation_mode", "defensive"),
            ("routing.http.drop_invalid_header_fields.enabled", "false"),
            ("routing.http.preserve_host_header.enabled", "false"),
            (
                "routing.http.x_amzn_tls_version_and_cipher_suite.enabled",
                "false",
            ),
            ("routing.http.xff_client_port.enabled", "false"),
            ("routing.http.xff_header_processing.mode", "append"),
            ("routing.http2.enabled", "true"),
            ("waf.fail_open.enabled", "false"),
            ("zonal_shift.config.enabled", "false"),
        ]),
    }
}

/// Attributes in the key/value shape each resource kind has on the wire.
pub fn to_wire<T>(
    attrs: &BTreeMap<String, String>,
    make: impl Fn(Option<String>, Option<String>) -> T,
) -> Vec<T> {
    attrs
        .iter()
        .map(|(k, v)| make(Some(k.clone()), Some(v.clone())))
        .collect()
}

/// The pairs a Modify*Attributes call names, missing parts as empty.
pub fn requested<T>(
    attrs: Vec<T>,
    split: impl Fn(T) -> (Option<String>, Option<String>),
) -> Vec<(String, String)> {
    attrs
        .into_iter()
        .map(|a| {
            let (k, v) = split(a);
            (k.unwrap_or_default(), v.unwrap_or_default())
        })
        .collect()
}

fn is_bool(v: &str) -> bool {
    v == "true" || v == "false"
}

fn in_range(v: &str, lo: i64, hi: i64) -> bool {
    v.parse::<i64>().is_ok_and(|n| (lo..=hi).contains(&n))
}

/// Checks and applies changes to a load balancer's attributes.
pub fn modify_lb(
    kind: &str,
    attrs: &mut BTreeMap<String, String>,
    changes: &[(String, String)],
) -> Result<(), AwsError> {
    let known = lb_defaults(kind);
    let mut next = attrs.clone();
    for (k, v) in changes {
        if !known.contains_key(k) {
            return Err(validation(format!(
                "Load balancer attribute key '{k}' is not recognized"
            )));
        }
        let ok = match k.as_str() {
            k if k.ends_with(".enabled") => is_bool(v),
            "idle_timeout.timeout_seconds" => in_range(v, 1, 4000),
            "client_keep_alive.seconds" => in_range(v, 60, 604_800),
            "routing.http.desync_mitigation_mode" => {
                matches!(v.as_str(), "monitor" | "defensive" | "strictest")
            }
            "routing.http.xff_header_processing.mode" => {
                matches!(v.as_str(), "append" | "preserve" | "remove")
            }
            "dns_record.client_routing_policy" => matches!(
                v.as_str(),
                "availability_zone_affinity"
                    | "partial_availability_zone_affinity"
                    | "any_availability_zone"
            ),
            _ => true,
        };
        if !ok {
            return Err(validation(format!(
                "Load balancer attribute value '{v}' is not valid for attribute key '{k}'"
            )));
        }
        next.insert(k.clone(), v.clone());
    }
    for logs in ["access_logs", "connection_logs"] {
        let enabled = next.get(&format!("{logs}.s3.enabled")).map(String::as_str);
        let bucket = next.get(&format!("{logs}.s3.bucket")).map(String::as_str);
        if enabled == Some("true") && bucket.unwrap_or("").is_empty() {
            return Err(validation(format!(
                "The value of '{logs}.s3.bucket' cannot be empty when '{logs}.s3.enabled' is 'true'"
            )));
        }
    }
    *attrs = next;
    Ok(())
}

/// The attributes a new target group has, by target type and protocol.
pub fn tg_defaults(target_type: &str, protocol: Option<&str>) -> BTreeMap<String, String> {
    let health = [
        (
            "target_group_health.dns_failover.minimum_healthy_targets.count",
            "1",
        ),
        (
            "target_group_health.dns_failover.minimum_healthy_targets.percentage",
            "off",
        ),
        (
            "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count",
            "1",
        ),
        (
            "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage",
            "off",
        ),
    ];
    if target_type == "lambda" {
        return map(&[("lambda.multi_value_headers.enabled", "false")]);
    }
    let mut m = match protocol.unwrap_or("HTTP") {
        "HTTP" | "HTTPS" => map(&[
            ("deregistration_delay.timeout_seconds", "300"),
            ("load_balancing.algorithm.anomaly_mitigation", "off"),
            ("load_balancing.algorithm.type", "round_robin"),
            (
                "load_balancing.cross_zone.enabled",
                "use_load_balancer_configuration",
            ),
            ("slow_start.duration_seconds", "0"),
            ("stickiness.app_cookie.cookie_name", ""),
            ("stickiness.app_cookie.duration_seconds", "86400"),
            ("stickiness.enabled", "false"),
            ("stickiness.lb_cookie.duration_seconds", "86400"),
            ("stickiness.type", "lb_cookie"),
        ]),
        "GENEVE" => map(&[
            ("deregistration_delay.timeout_seconds", "300"),
            ("stickiness.enabled", "false"),
            ("stickiness.type", "source_ip_dest_ip"),
            ("target_failover.on_deregistration", "no_rebalance"),
            ("target_failover.on_unhealthy", "no_rebalance"),
        ]),
        p => {
            let mut m = map(&[
                (
                    "deregistration_delay.connection_termination.enabled",
                    "false",
                ),
                ("deregistration_delay.timeout_seconds", "300"),
                (
                    "load_balancing.cross_zone.enabled",
                    "use_load_balancer_configuration",
                ),
                ("preserve_client_ip.enabled", "true"),
                ("proxy_protocol_v2.enabled", "false"),
                ("stickiness.enabled", "false"),
                ("stickiness.type", "source_ip"),
                (
                    "target_health_state.unhealthy.connection_termination.enabled",
                    "true",
                ),
                (
                    "target_health_state.unhealthy.draining_interval_seconds",
                    "0",
                ),
            ]);
            // Client IPs reach ip targets only for UDP by default, as on AWS.
            if target_type == "ip" && !matches!(p, "UDP" | "TCP_UDP") {
                m.insert("preserve_client_ip.enabled".into(), "false".into());
            }
            m
        }
    };
    if target_type != "alb" {
        for (k, v) in health {
            m.insert(k.into(), v.into());
        }
    }
    m
}

/// Checks and applies changes to a target group's attributes.
pub fn modify_tg(
    target_type: &str,
    protocol: Option<&str>,
    attrs: &mut BTreeMap<String, String>,
    changes: &[(String, String)],
) -> Result<(), AwsError> {
    let known = tg_defaults(target_type, protocol);
    let http = target_type != "lambda" && matches!(protocol.unwrap_or("HTTP"), "HTTP" | "HTTPS");
    let mut next = attrs.clone();
    for (k, v) in changes {
        if !known.contains_key(k) {
            return Err(validation(format!(
                "Target group attribute key '{k}' is not recognized"
            )));
        }
        let ok = match k.as_str() {
            k if k.ends_with(".enabled") && k != "load_balancing.cross_zone.enabled" => is_bool(v),
            "load_balancing.cross_zone.enabled" => {
                matches!(
                    v.as_str(),
                    "true" | "false" | "use_load_balancer_configuration"
                )
            }
            "deregistration_delay.timeout_seconds" => in_range(v, 0, 3600),
            "stickiness.lb_cookie.duration_seconds" | "stickiness.app_cookie.duration_seconds" => {
                in_range(v, 1, 604_800)
            }
            "slow_start.duration_seconds" => v == "0" || in_range(v, 30, 900),
            "load_balancing.algorithm.type" => matches!(
                v.as_str(),
                "round_robin" | "least_outstanding_requests" | "weighted_random"
            ),
            "load_balancing.algorithm.anomaly_mitigation" => matches!(v.as_str(), "on" | "off"),
            "stickiness.type" => {
                if http {
                    matches!(v.as_str(), "lb_cookie" | "app_cookie")
                } else if protocol == Some("GENEVE") {
                    matches!(v.as_str(), "source_ip_dest_ip" | "source_ip_dest_ip_proto")
                } else {
                    v == "source_ip"
                }
            }
            "stickiness.app_cookie.cookie_name" => {
                !["AWSALB", "AWSALBAPP", "AWSALBTG"]
                    .iter()
                    .any(|p| v.to_ascii_uppercase().starts_with(p))
                    && v.len() <= 256
            }
            "target_health_state.unhealthy.draining_interval_seconds" => in_range(v, 0, 360_000),
            k if k.ends_with(".count") => in_range(v, 1, 10_000),
            k if k.ends_with(".percentage") => v == "off" || in_range(v, 1, 100),
            _ => true,
        };
        if !ok {
            return Err(validation(format!(
                "Target group attribute value '{v}' is not valid for attribute key '{k}'"
            )));
        }
        next.insert(k.clone(), v.clone());
    }
    if http {
        let get = |k: &str| next.get(k).map(String::as_str).unwrap_or("");
        if get("stickiness.enabled") == "true"
            && get("stickiness.type") == "app_cookie"
            && get("stickiness.app_cookie.cookie_name").is_empty()
        {
            return Err(validation(
                "An application cookie name must be specified when the stickiness type is 'app_cookie'",
            ));
        }
        if get("load_balancing.algorithm.type") == "least_outstanding_requests"
            && get("slow_start.duration_seconds") != "0"
        {
            return Err(invalid_config(
                "Slow start mode cannot be enabled with the 'least_outstanding_requests' load balancing algorithm",
            ));
        }
    }
    *attrs = next;
    Ok(())
}

/// A listener's attributes by load balancer type and protocol.
pub fn listener_defaults(lb_kind: &str, protocol: Option<&str>) -> BTreeMap<String, String> {
    match (lb_kind, protocol.unwrap_or("")) {
        ("application", _) => map(&[
            (
                "routing.http.request.x_amzn_mtls_clientcert.header_name",
                "",
            ),
            ("routing.http.request.x_amzn_tls_version.header_name", ""),
            ("routing.http.response.server.enabled", "true"),
            (
                "routing.http.response.strict_transport_security.header_value",
                "",
            ),
            (
                "routing.http.response.x_content_type_options.header_value",
                "",
            ),
            ("routing.http.response.x_frame_options.header_value", ""),
        ]),
        ("network", "TCP") => map(&[("tcp.idle_timeout.seconds", "350")]),
        ("gateway", _) => map(&[("tcp.idle_timeout.seconds", "350")]),
        _ => BTreeMap::new(),
    }
}

pub fn modify_listener(
    lb_kind: &str,
    protocol: Option<&str>,
    attrs: &mut BTreeMap<String, String>,
    changes: &[(String, String)],
) -> Result<(), AwsError> {
    let known = listener_defaults(lb_kind, protocol);
    for (k, v) in changes {
        if !known.contains_key(k) {
            return Err(validation(format!(
                "Listener attribute key '{k}' is not recognized"
            )));
        }
        let ok = match k.as_str() {
            "tcp.idle_timeout.seconds" => in_range(v, 60, 6000),
            k if k.ends_with(".enabled") => is_bool(v),
            _ => v.len() <= 1024,
        };
        if !ok {
            return Err(validation(format!(
                "Listener attribute value '{v}' is not valid for attribute key '{k}'"
            )));
        }
    }
    for (k, v) in changes {
        attrs.insert(k.clone(), v.clone());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(k: &str, v: &str) -> Vec<(String, String)> {
        vec![(k.to_string(), v.to_string())]
    }

    #[test]
    fn load_balancer_attributes_are_checked_by_type() {
        let mut a = lb_defaults("application");
        assert_eq!(a["idle_timeout.timeout_seconds"], "60");
        modify_lb(
            "application",
            &mut a,
            &ch("idle_timeout.timeout_seconds", "120"),
        )
        .unwrap();
        assert_eq!(a["idle_timeout.timeout_seconds"], "120");
        assert!(
            modify_lb(
                "application",
                &mut a,
                &ch("idle_timeout.timeout_seconds", "0")
            )
            .is_err()
        );
        assert!(
            modify_lb(
                "application",
                &mut a,
                &ch("deletion_protection.enabled", "yes")
            )
            .is_err()
        );
        assert!(modify_lb("application", &mut a, &ch("access_logs.s3.enabled", "true")).is_err());
        let mut n = lb_defaults("network");
        let e =
            modify_lb("network", &mut n, &ch("idle_timeout.timeout_seconds", "60")).unwrap_err();
        assert_eq!(
            e.message,
            "Load balancer attribute key 'idle_timeout.timeout_seconds' is not recognized"
        );
    }

    #[test]
    fn target_group_attributes_follow_protocol_rules() {
        let mut a = tg_defaults("instance", Some("HTTP"));
        assert_eq!(a["deregistration_delay.timeout_seconds"], "300");
        assert_eq!(a["stickiness.type"], "lb_cookie");
        modify_tg(
            "instance",
            Some("HTTP"),
            &mut a,
            &ch("stickiness.type", "app_cookie"),
        )
        .unwrap();
        assert!(
            modify_tg(
                "instance",
                Some("HTTP"),
                &mut a,
                &ch("stickiness.type", "source_ip")
            )
            .is_err()
        );
        let both = vec![
            ("stickiness.enabled".to_string(), "true".to_string()),
            ("stickiness.type".to_string(), "app_cookie".to_string()),
        ];
        assert!(modify_tg("instance", Some("HTTP"), &mut a, &both).is_err());
        assert!(
            modify_tg(
                "instance",
                Some("HTTP"),
                &mut a,
                &ch("slow_start.duration_seconds", "10")
            )
            .is_err()
        );
        modify_tg(
            "instance",
            Some("HTTP"),
            &mut a,
            &ch("slow_start.duration_seconds", "30"),
        )
        .unwrap();
        assert!(
            modify_tg(
                "instance",
                Some("HTTP"),
                &mut a,
                &ch(
                    "load_balancing.algorithm.type",
                    "least_outstanding_requests"
                )
            )
            .is_err()
        );
        let t = tg_defaults("instance", Some("TCP"));
        assert_eq!(t["stickiness.type"], "source_ip");
        assert_eq!(
            tg_defaults("ip", Some("TCP"))["preserve_client_ip.enabled"],
            "false"
        );
    }
}
