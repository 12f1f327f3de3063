//! Instance health as Classic ELB speaks of it: the health check target
//! (`HTTP:80/index.html`), and the InService / OutOfService states with the
//! reason codes and descriptions DescribeInstanceHealth shows. The state
//! machine under them is ELBv2's (same thresholds, same clock).

use stratus_core::AwsError;
use stratus_elbv2::health::{
    self as h, DRAINING, HEALTHY, INITIAL, INITIAL_HEALTH_CHECKING, INVALID_STATE, NOT_IN_USE,
    TargetHealthRec, UNHEALTHY,
};

use crate::errors::validation;

pub const IN_SERVICE: &str = "InService";
pub const OUT_OF_SERVICE: &str = "OutOfService";
pub const UNKNOWN: &str = "Unknown";

/// A parsed health check target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckTarget {
    pub protocol: String,
    pub port: i32,
    pub path: Option<String>,
}

/// Reads `PROTOCOL:PORT[/PATH]`: HTTP and HTTPS need a path, TCP and SSL
/// take none; the port is 1-65535.
pub fn parse_target(target: &str) -> Result<CheckTarget, AwsError> {
    let bad = || {
        validation(format!(
            "HealthCheck Target must be specified as <protocol>:<port>[/<path>] with protocol TCP, SSL, HTTP or HTTPS, not '{target}'"
        ))
    };
    let (protocol, rest) = target.split_once(':').ok_or_else(bad)?;
    let protocol = protocol.to_ascii_uppercase();
    let (port, path) = match rest.find('/') {
        Some(i) => (&rest[..i], Some(rest[i..].to_string())),
        None => (rest, None),
    };
    let port: i32 = port.parse().map_err(|_| bad())?;
    if !(1..=65535).contains(&port) {
        return Err(bad());
    }
    match (protocol.as_str(), &path) {
        ("HTTP" | "HTTPS", Some(_)) | ("TCP" | "SSL", None) => {}
        ("HTTP" | "HTTPS", None) => {
            return Err(validation(format!(
                "HealthCheck HTTP and HTTPS targets must include a path: '{target}'"
            )));
        }
        ("TCP" | "SSL", Some(_)) => {
            return Err(validation(format!(
                "HealthCheck TCP and SSL targets must not include a path: '{target}'"
            )));
        }
        _ => return Err(bad()),
    }
    Ok(CheckTarget {
        protocol,
        port,
        path,
    })
}

/// State, reason code and description of a registered instance.
pub fn shown(health: &TargetHealthRec) -> (&'static str, &'static str, String) {
    match (health.state.as_str(), health.reason.as_deref()) {
        (HEALTHY, _) => (IN_SERVICE, "N/A", "N/A".into()),
        // Connection draining: still serving the requests it has.
        (DRAINING, _) => (
            IN_SERVICE,
            "N/A",
            "Instance deregistration currently in progress.".into(),
        ),
        (UNHEALTHY, _) => (
            OUT_OF_SERVICE,
            "Instance",
            "Instance has failed at least the UnhealthyThreshold number of health checks consecutively."
                .into(),
        ),
        (INITIAL, Some(INITIAL_HEALTH_CHECKING)) => (
            OUT_OF_SERVICE,
            "Instance",
            "Instance has not passed the configured HealthyThreshold number of health checks consecutively."
                .into(),
        ),
        (_, Some(INVALID_STATE)) => (
            OUT_OF_SERVICE,
            "Instance",
            format!(
                "Instance is in {} state.",
                health.detail.as_deref().unwrap_or("stopped")
            ),
        ),
        (_, Some(NOT_IN_USE)) => (
            OUT_OF_SERVICE,
            "ELB",
            "Instance is in the EC2 Availability Zone for which LoadBalancer is not configured to route traffic to."
                .into(),
        ),
        _ => (
            OUT_OF_SERVICE,
            "ELB",
            "Instance registration is still in progress.".into(),
        ),
    }
}

/// What an instance outside the load balancer shows when asked for by id.
pub fn not_registered() -> (&'static str, &'static str, String) {
    (
        UNKNOWN,
        "N/A",
        "Instance is not currently registered with the LoadBalancer.".into(),
    )
}

/// The health an instance starts with, or after coming back.
pub fn starting(now_ms: i64, interval_s: i32) -> TargetHealthRec {
    TargetHealthRec::initial(now_ms, interval_s)
}

/// Health for an instance EC2 shows in a state that takes no traffic.
pub fn in_state(state: &str) -> TargetHealthRec {
    TargetHealthRec::unused(INVALID_STATE, Some(state))
}

/// Health for an instance in a zone the load balancer does not serve.
pub fn zone_not_served() -> TargetHealthRec {
    TargetHealthRec::unused(NOT_IN_USE, None)
}

/// Whether the instance counts as healthy for Auto Scaling's ELB checks.
pub fn as_target_state(health: &TargetHealthRec) -> &'static str {
    match health.state.as_str() {
        HEALTHY => h::HEALTHY,
        UNHEALTHY => h::UNHEALTHY,
        INITIAL => h::INITIAL,
        _ => h::UNUSED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stratus_elbv2::health::{Outcome, apply};

    #[test]
    fn targets_parse_with_paths_only_for_http() {
        assert_eq!(
            parse_target("HTTP:80/index.html").unwrap(),
            CheckTarget {
                protocol: "HTTP".into(),
                port: 80,
                path: Some("/index.html".into())
            }
        );
        assert_eq!(parse_target("tcp:8080").unwrap().protocol, "TCP");
        assert_eq!(parse_target("SSL:443").unwrap().path, None);
        for bad in [
            "HTTP:80",
            "TCP:80/x",
            "UDP:53",
            "HTTP:0/",
            "HTTP:70000/",
            "HTTP/",
            "80",
            "HTTP:x/",
        ] {
            let e = parse_target(bad).unwrap_err();
            assert_eq!(e.code, "ValidationError", "{bad}");
        }
    }

    #[test]
    fn states_follow_the_thresholds() {
        let mut hr = starting(0, 30);
        assert_eq!(shown(&hr).2, "Instance registration is still in progress.");
        apply(&mut hr, &Outcome::Pass, 1, 3, 2);
        let (s, r, d) = shown(&hr);
        assert_eq!((s, r), (OUT_OF_SERVICE, "Instance"));
        assert!(d.contains("HealthyThreshold"), "{d}");
        apply(&mut hr, &Outcome::Pass, 2, 3, 2);
        assert_eq!(shown(&hr), (IN_SERVICE, "N/A", "N/A".into()));
        apply(&mut hr, &Outcome::Timeout, 2, 3, 2);
        let (s, r, d) = shown(&hr);
        assert_eq!((s, r), (OUT_OF_SERVICE, "Instance"));
        assert!(d.contains("UnhealthyThreshold"), "{d}");
        assert_eq!(
            shown(&in_state("stopped")).2,
            "Instance is in stopped state."
        );
        assert_eq!(shown(&zone_not_served()).1, "ELB");
    }
}
