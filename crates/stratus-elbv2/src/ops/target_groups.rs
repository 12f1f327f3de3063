//! Target groups: target type, protocol, port and VPC rules, health check
//! settings with AWS's defaults per protocol and their validation,
//! attributes, and deletion refused while a listener or rule uses a group.

use stratus_core::{AwsError, RequestContext};

use super::common::{lb, owned, page, tags_in, tg};
use crate::Elbv2;
use crate::attributes;
use crate::errors::{invalid_config, resource_in_use, tgs_not_found, validation};
use crate::generated::*;
use crate::monitor::restart_checks;
use crate::names;
use crate::state::{HealthCheckRec, Inner, TargetGroupRec};

pub fn view(inner: &Inner, r: &TargetGroupRec) -> TargetGroup {
    let used = inner.groups_in_use();
    let mut lbs: Vec<String> = used
        .get(r.arn.as_str())
        .map(|v| v.iter().map(|s| s.to_string()).collect())
        .unwrap_or_default();
    lbs.sort();
    let hc = &r.health_check;
    let lambda = r.target_type == "lambda";
    TargetGroup {
        target_group_arn: Some(r.arn.clone()),
        target_group_name: Some(r.name.clone()),
        protocol: r.protocol.clone(),
        port: r.port,
        vpc_id: r.vpc_id.clone(),
        health_check_protocol: hc.protocol.clone(),
        health_check_port: hc.port.clone(),
        health_check_enabled: Some(hc.enabled),
        health_check_interval_seconds: Some(hc.interval),
        health_check_timeout_seconds: Some(hc.timeout),
        healthy_threshold_count: Some(hc.healthy),
        unhealthy_threshold_count: Some(hc.unhealthy),
        health_check_path: hc.path.clone(),
        matcher: (hc.http_code.is_some() || hc.grpc_code.is_some()).then(|| Matcher {
            http_code: hc.http_code.clone(),
            grpc_code: hc.grpc_code.clone(),
        }),
        load_balancer_arns: Some(lbs),
        target_type: Some(r.target_type.clone()),
        protocol_version: r.protocol_version.clone(),
        ip_address_type: (!lambda)
            .then(|| r.ip_address_type.clone().unwrap_or_else(|| "ipv4".into())),
        target_control_port: None,
    }
}

/// AWS's health check defaults for a group's target type and protocol.
fn default_health_check(
    target_type: &str,
    protocol: Option<&str>,
    version: Option<&str>,
    hc_protocol: Option<&str>,
) -> HealthCheckRec {
    if target_type == "lambda" {
        return HealthCheckRec {
            enabled: false,
            protocol: None,
            port: None,
            path: Some("/".into()),
            interval: 35,
            timeout: 30,
            healthy: 5,
            unhealthy: 2,
            http_code: Some("200".into()),
            grpc_code: None,
        };
    }
    match protocol.unwrap_or("") {
        "HTTP" | "HTTPS" => {
            let grpc = version == Some("GRPC");
            HealthCheckRec {
                enabled: true,
                protocol: protocol.map(str::to_string),
                port: Some("traffic-port".into()),
                path: Some(if grpc { "/AWS.ALB/healthcheck" } else { "/" }.into()),
                interval: 30,
                timeout: 5,
                healthy: 5,
                unhealthy: 2,
                http_code: (!grpc).then(|| "200".into()),
                grpc_code: grpc.then(|| "12".into()),
            }
        }
        "GENEVE" => HealthCheckRec {
            enabled: true,
            protocol: Some("TCP".into()),
            port: Some("80".into()),
            interval: 10,
            timeout: 5,
            healthy: 5,
            unhealthy: 2,
            ..Default::default()
        },
        _ => {
            let http = matches!(hc_protocol, Some("HTTP" | "HTTPS"));
            HealthCheckRec {
                enabled: true,
                protocol: Some(hc_protocol.unwrap_or("TCP").to_string()),
                port: Some("traffic-port".into()),
                path: http.then(|| "/".into()),
                interval: 30,
                timeout: if hc_protocol == Some("HTTP") { 6 } else { 10 },
                healthy: 5,
                unhealthy: 2,
                http_code: http.then(|| "200-399".into()),
                grpc_code: None,
            }
        }
    }
}

/// Checks a matcher's code list: `200`, `200,202`, `200-299`, within the
/// range the kind of code allows.
fn codes_ok(codes: &str, lo: u32, hi: u32) -> bool {
    !codes.is_empty()
        && codes.split(',').all(|part| {
            let (a, b) = part.split_once('-').unwrap_or((part, part));
            match (a.parse::<u32>(), b.parse::<u32>()) {
                (Ok(a), Ok(b)) => lo <= a && a <= b && b <= hi,
                _ => false,
            }
        })
}

struct HealthInput {
    enabled: Option<bool>,
    protocol: Option<String>,
    port: Option<String>,
    path: Option<String>,
    interval: Option<i32>,
    timeout: Option<i32>,
    healthy: Option<i32>,
    unhealthy: Option<i32>,
    matcher: Option<Matcher>,
}

/// Applies requested health check settings over `hc` and checks the result
/// against the group's protocol.
fn apply_health(
    hc: &mut HealthCheckRec,
    target_type: &str,
    protocol: Option<&str>,
    version: Option<&str>,
    h: HealthInput,
) -> Result<(), AwsError> {
    if let Some(e) = h.enabled {
        hc.enabled = e;
    }
    let http_group = matches!(protocol, Some("HTTP" | "HTTPS")) || target_type == "lambda";
    if let Some(p) = &h.protocol {
        let allowed: &[&str] = if http_group {
            &["HTTP", "HTTPS"]
        } else {
            &["HTTP", "HTTPS", "TCP"]
        };
        if !allowed.contains(&p.as_str()) {
            return Err(validation(format!(
                "Health check protocol '{p}' is not supported for target groups with the {} protocol",
                protocol.unwrap_or("HTTP")
            )));
        }
        hc.protocol = Some(p.clone());
    }
    if let Some(p) = &h.port {
        if p != "traffic-port" && !p.parse::<u16>().is_ok_and(|n| n >= 1) {
            return Err(validation(format!(
                "Health check port '{p}' must be 'traffic-port' or a number between 1 and 65535"
            )));
        }
        hc.port = Some(p.clone());
    }
    let hc_proto = hc.protocol.clone().unwrap_or_else(|| "HTTP".into());
    let tcp_check = hc_proto == "TCP";
    if tcp_check && !http_group {
        // A TCP check has no path and no matcher; switching to it drops them.
        if h.path.is_some() {
            return Err(invalid_config(
                "Health check paths are not supported for health checks for target groups with the TCP protocol",
            ));
        }
        if h.matcher.is_some() {
            return Err(invalid_config(
                "Custom health check matchers are not supported for health checks for target groups with the TCP protocol",
            ));
        }
        hc.path = None;
        hc.http_code = None;
        hc.grpc_code = None;
    } else if hc.path.is_none() {
        hc.path = Some("/".into());
        hc.http_code = Some(if http_group { "200" } else { "200-399" }.into());
    }
    if let Some(p) = &h.path {
        if !p.starts_with('/') {
            return Err(validation(
                "Health check path must begin with a '/' character",
            ));
        }
        hc.path = Some(p.clone());
    }
    if let Some(v) = h.interval {
        hc.interval = v;
    }
    if let Some(v) = h.timeout {
        hc.timeout = v;
    }
    if let Some(v) = h.healthy {
        hc.healthy = v;
    }
    if let Some(v) = h.unhealthy {
        hc.unhealthy = v;
    }
    if hc.timeout == hc.interval {
        return Err(validation(format!(
            "Health check timeout '{}' must be smaller than the interval '{}'",
            hc.timeout, hc.interval
        )));
    }
    if hc.timeout > hc.interval {
        return Err(validation(
            "Health check interval must be greater than the timeout.",
        ));
    }
    if let Some(m) = h.matcher {
        let grpc = version == Some("GRPC");
        match (m.http_code, m.grpc_code) {
            (Some(_), Some(_)) => {
                return Err(validation(
                    "You cannot specify both an HTTP code and a gRPC code in a matcher",
                ));
            }
            (Some(c), None) if !grpc => {
                if !codes_ok(&c, 200, 499) {
                    return Err(validation(format!(
                        "Health check matcher HTTP code '{c}' must be within '200-499' range"
                    )));
                }
                hc.http_code = Some(c);
                hc.grpc_code = None;
            }
            (None, Some(c)) if grpc => {
                if !codes_ok(&c, 0, 99) {
                    return Err(validation(format!(
                        "Health check matcher gRPC code '{c}' must be within '0-99' range"
                    )));
                }
                hc.grpc_code = Some(c);
                hc.http_code = None;
            }
            (None, None) => {}
            _ => {
                return Err(validation(if grpc {
                    "A gRPC code must be specified in the matcher of a target group with the GRPC protocol version"
                } else {
                    "A gRPC code can be specified only for target groups with the GRPC protocol version"
                }));
            }
        }
    }
    Ok(())
}

pub fn create_target_group(
    me: &Elbv2,
    ctx: &RequestContext,
    input: CreateTargetGroupInput,
) -> Result<CreateTargetGroupOutput, AwsError> {
    names::check_name("Target group", &input.name)?;
    let target_type = input
        .target_type
        .clone()
        .unwrap_or_else(|| "instance".into());
    let tags = tags_in(input.tags.clone())?;
    if target_type == "lambda" {
        for (given, what) in [
            (input.protocol.is_some(), "Protocol"),
            (input.port.is_some(), "Port"),
            (input.vpc_id.is_some(), "VPC ID"),
        ] {
            if given {
                return Err(validation(format!(
                    "{what} cannot be specified for target groups with target type 'lambda'"
                )));
            }
        }
    } else {
        let Some(protocol) = &input.protocol else {
            return Err(validation("A protocol must be specified"));
        };
        if input.port.is_none() {
            return Err(validation("A port must be specified"));
        }
        let Some(vpc) = &input.vpc_id else {
            return Err(validation("A VPC ID must be specified"));
        };
        if protocol == "GENEVE" && input.port != Some(6081) {
            return Err(validation(
                "The port must be 6081 for target groups with the GENEVE protocol",
            ));
        }
        if target_type == "alb" && protocol != "TCP" {
            return Err(validation(
                "Target groups with target type 'alb' support only the 'TCP' protocol",
            ));
        }
        if me
            .ec2()?
            .vpc_cidrs(ctx.account_id(), &ctx.region, vpc)
            .is_none()
        {
            return Err(validation(format!("The VPC ID '{vpc}' is not found")));
        }
    }
    let protocol = input.protocol.clone();
    let version = match (&input.protocol_version, protocol.as_deref()) {
        (Some(v), Some("HTTP" | "HTTPS")) => Some(v.to_ascii_uppercase()),
        (Some(_), _) => {
            return Err(validation(
                "A protocol version can be specified only for target groups with the HTTP or HTTPS protocol",
            ));
        }
        (None, Some("HTTP" | "HTTPS")) => Some("HTTP1".into()),
        (None, _) => None,
    };
    if let Some(v) = &version
        && !matches!(v.as_str(), "HTTP1" | "HTTP2" | "GRPC")
    {
        return Err(validation(format!(
            "Protocol version '{v}' must be one of 'GRPC, HTTP1, HTTP2'"
        )));
    }
    let mut hc = default_health_check(
        &target_type,
        protocol.as_deref(),
        version.as_deref(),
        input.health_check_protocol.as_deref(),
    );
    apply_health(
        &mut hc,
        &target_type,
        protocol.as_deref(),
        version.as_deref(),
        HealthInput {
            enabled: input.health_check_enabled,
            protocol: input.health_check_protocol.clone(),
            port: input.health_check_port.clone(),
            path: input.health_check_path.clone(),
            interval: input.health_check_interval_seconds,
            timeout: input.health_check_timeout_seconds,
            healthy: input.healthy_threshold_count,
            unhealthy: input.unhealthy_threshold_count,
            matcher: input.matcher.clone(),
        },
    )?;
    let ip_type = match (&input.ip_address_type, target_type.as_str()) {
        (Some(_), "lambda" | "alb") => {
            return Err(validation(format!(
                "An IP address type cannot be specified for target groups with target type '{target_type}'"
            )));
        }
        (Some(t), "instance") if t == "ipv6" => {
            return Err(validation(
                "The IP address type 'ipv6' is supported only for target groups with target type 'ip'",
            ));
        }
        (t, _) => t.clone(),
    };

    let mut txn = me.state.begin();
    let same = txn
        .inner
        .tgs
        .values()
        .find(|r| owned(ctx, &r.account, &r.region) && r.name == input.name);
    if let Some(existing) = same {
        if existing.target_type == target_type
            && existing.protocol == protocol
            && existing.port == input.port
            && existing.vpc_id == input.vpc_id
            && existing.health_check == hc
        {
            let out = view(&txn.inner, existing);
            return Ok(CreateTargetGroupOutput {
                target_groups: Some(vec![out]),
            });
        }
        return Err(AwsError::bad_request(
            "DuplicateTargetGroupNameException",
            format!(
                "A target group with the same name '{}' exists, but with different settings",
                input.name
            ),
        ));
    }
    let count = txn
        .inner
        .tgs
        .values()
        .filter(|r| owned(ctx, &r.account, &r.region))
        .count();
    if count >= crate::policies::limit("target-groups") {
        return Err(AwsError::bad_request(
            "TooManyTargetGroupsException",
            "The quota for the number of target groups has been reached",
        ));
    }
    let arn = names::tg_arn(&ctx.region, ctx.account_id(), &input.name);
    let rec = TargetGroupRec {
        arn: arn.clone(),
        account: ctx.account_id().to_string(),
        region: ctx.region.clone(),
        name: input.name.clone(),
        attributes: attributes::tg_defaults(&target_type, protocol.as_deref()),
        target_type,
        protocol,
        protocol_version: version,
        port: input.port,
        vpc_id: input.vpc_id.clone(),
        ip_address_type: ip_type,
        health_check: hc,
        targets: Vec::new(),
        tags,
    };
    let out = view(&txn.inner, &rec);
    txn.inner.tgs.insert(arn.clone(), rec);
    txn.put_tg(&arn)?;
    txn.commit()?;
    Ok(CreateTargetGroupOutput {
        target_groups: Some(vec![out]),
    })
}

pub fn describe_target_groups(
    me: &Elbv2,
    ctx: &RequestContext,
    input: DescribeTargetGroupsInput,
) -> Result<DescribeTargetGroupsOutput, AwsError> {
    let inner = me.state.read();
    let mine: Vec<&TargetGroupRec> = inner
        .tgs
        .values()
        .filter(|r| owned(ctx, &r.account, &r.region))
        .collect();
    let mut found: Vec<&TargetGroupRec> =
        if let Some(arns) = input.target_group_arns.filter(|a| !a.is_empty()) {
            let mut v = Vec::new();
            for arn in &arns {
                names::check_arn(arn, "targetgroup", "target group")?;
                v.push(
                    *mine
                        .iter()
                        .find(|r| &r.arn == arn)
                        .ok_or_else(tgs_not_found)?,
                );
            }
            v
        } else if let Some(wanted) = input.names.filter(|n| !n.is_empty()) {
            let mut v = Vec::new();
            for n in &wanted {
                v.push(
                    *mine
                        .iter()
                        .find(|r| &r.name == n)
                        .ok_or_else(tgs_not_found)?,
                );
            }
            v
        } else {
            mine
        };
    if let Some(lb_arn) = &input.load_balancer_arn {
        lb(&inner, ctx, lb_arn)?;
        let used = inner.groups_in_use();
        found.retain(|r| {
            used.get(r.arn.as_str())
                .is_some_and(|lbs| lbs.contains(&lb_arn.as_str()))
        });
    }
    found.sort_by(|a, b| a.name.cmp(&b.name).then(a.arn.cmp(&b.arn)));
    found.dedup_by(|a, b| a.arn == b.arn);
    let views: Vec<TargetGroup> = found.iter().map(|r| view(&inner, r)).collect();
    let (items, next) = page(views, input.marker.as_deref(), input.page_size)?;
    Ok(DescribeTargetGroupsOutput {
        target_groups: Some(items),
        next_marker: next,
    })
}

pub fn modify_target_group(
    me: &Elbv2,
    ctx: &RequestContext,
    input: ModifyTargetGroupInput,
) -> Result<ModifyTargetGroupOutput, AwsError> {
    let now = ctx.clock.now_millis();
    let mut txn = me.state.begin();
    let arn = tg(&txn.inner, ctx, &input.target_group_arn)?.arn.clone();
    let in_use = txn.inner.groups_in_use().contains_key(arn.as_str());
    let r = txn.inner.tgs.get_mut(&arn).expect("found above");
    let mut hc = r.health_check.clone();
    apply_health(
        &mut hc,
        &r.target_type,
        r.protocol.as_deref(),
        r.protocol_version.as_deref(),
        HealthInput {
            enabled: input.health_check_enabled,
            protocol: input.health_check_protocol,
            port: input.health_check_port,
            path: input.health_check_path,
            interval: input.health_check_interval_seconds,
            timeout: input.health_check_timeout_seconds,
            healthy: input.healthy_threshold_count,
            unhealthy: input.unhealthy_threshold_count,
            matcher: input.matcher,
        },
    )?;
    let toggled = hc.enabled != r.health_check.enabled;
    r.health_check = hc;
    if toggled {
        restart_checks(r, in_use, now);
    }
    txn.put_tg(&arn)?;
    let out = view(&txn.inner, &txn.inner.tgs[&arn]);
    txn.commit()?;
    Ok(ModifyTargetGroupOutput {
        target_groups: Some(vec![out]),
    })
}

pub fn delete_target_group(
    me: &Elbv2,
    ctx: &RequestContext,
    input: DeleteTargetGroupInput,
) -> Result<DeleteTargetGroupOutput, AwsError> {
    let arn = input.target_group_arn;
    names::check_arn(&arn, "targetgroup", "target group")?;
    let mut txn = me.state.begin();
    if tg(&txn.inner, ctx, &arn).is_err() {
        return Ok(DeleteTargetGroupOutput {});
    }
    if txn.inner.groups_in_use().contains_key(arn.as_str()) {
        return Err(resource_in_use(format!(
            "The target group '{arn}' is currently in use by a listener or a rule"
        )));
    }
    txn.delete_tg(&arn);
    txn.commit()?;
    Ok(DeleteTargetGroupOutput {})
}

fn attrs_out(r: &TargetGroupRec) -> Vec<TargetGroupAttribute> {
    attributes::to_wire(&r.attributes, |key, value| TargetGroupAttribute {
        key,
        value,
    })
}

pub fn describe_target_group_attributes(
    me: &Elbv2,
    ctx: &RequestContext,
    input: DescribeTargetGroupAttributesInput,
) -> Result<DescribeTargetGroupAttributesOutput, AwsError> {
    let inner = me.state.read();
    let r = tg(&inner, ctx, &input.target_group_arn)?;
    Ok(DescribeTargetGroupAttributesOutput {
        attributes: Some(attrs_out(r)),
    })
}

pub fn modify_target_group_attributes(
    me: &Elbv2,
    ctx: &RequestContext,
    input: ModifyTargetGroupAttributesInput,
) -> Result<ModifyTargetGroupAttributesOutput, AwsError> {
    let changes = attributes::requested(input.attributes, |a| (a.key, a.value));
    let mut txn = me.state.begin();
    let arn = tg(&txn.inner, ctx, &input.target_group_arn)?.arn.clone();
    let r = txn.inner.tgs.get_mut(&arn).expect("found above");
    let (kind, proto) = (r.target_type.clone(), r.protocol.clone());
    attributes::modify_tg(&kind, proto.as_deref(), &mut r.attributes, &changes)?;
    let out = attrs_out(r);
    txn.put_tg(&arn)?;
    txn.commit()?;
    Ok(ModifyTargetGroupAttributesOutput {
        attributes: Some(out),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matcher_codes_accept_lists_and_ranges_within_bounds() {
        assert!(codes_ok("200", 200, 499));
        assert!(codes_ok("200,202,301-302", 200, 499));
        assert!(!codes_ok("600", 200, 499));
        assert!(!codes_ok("299-200", 200, 499));
        assert!(!codes_ok("ok", 200, 499));
        assert!(codes_ok("0-99", 0, 99));
    }

    #[test]
    fn defaults_depend_on_the_protocol() {
        let http = default_health_check("instance", Some("HTTP"), Some("HTTP1"), None);
        assert_eq!(
            (http.interval, http.timeout, http.healthy, http.unhealthy),
            (30, 5, 5, 2)
        );
        assert_eq!(http.http_code.as_deref(), Some("200"));
        let tcp = default_health_check("instance", Some("TCP"), None, None);
        assert_eq!(tcp.protocol.as_deref(), Some("TCP"));
        assert_eq!((tcp.timeout, tcp.path.as_deref()), (10, None));
        let lambda = default_health_check("lambda", None, None, None);
        assert!(!lambda.enabled);
        assert_eq!((lambda.interval, lambda.timeout), (35, 30));
    }

    #[test]
    fn health_settings_are_checked_against_each_other() {
        let mut hc = default_health_check("instance", Some("HTTP"), Some("HTTP1"), None);
        let input = |interval, timeout| HealthInput {
            enabled: None,
            protocol: None,
            port: None,
            path: None,
            interval: Some(interval),
            timeout: Some(timeout),
            healthy: None,
            unhealthy: None,
            matcher: None,
        };
        let e =
            apply_health(&mut hc.clone(), "instance", Some("HTTP"), None, input(5, 5)).unwrap_err();
        assert_eq!(
            e.message,
            "Health check timeout '5' must be smaller than the interval '5'"
        );
        assert!(
            apply_health(&mut hc.clone(), "instance", Some("HTTP"), None, input(5, 6)).is_err()
        );
        apply_health(&mut hc, "instance", Some("HTTP"), None, input(10, 3)).unwrap();
        assert_eq!((hc.interval, hc.timeout), (10, 3));
        let mut tcp = default_health_check("instance", Some("TCP"), None, None);
        let e = apply_health(
            &mut tcp,
            "instance",
            Some("TCP"),
            None,
            HealthInput {
                matcher: Some(Matcher {
                    http_code: Some("200".into()),
                    grpc_code: None,
                }),
                ..input(30, 10)
            },
        )
        .unwrap_err();
        assert_eq!(e.code, "InvalidConfigurationRequestException");
    }
}
