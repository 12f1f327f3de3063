//! Listener and rule actions: reading them from requests with AWS's checks
//! (forward with weighted groups, redirects and their `#{...}` placeholders,
//! fixed responses, one terminal action last), the checks that need the
//! target groups, and how Describe* shows them.

use stratus_core::AwsError;

use crate::errors::{action_tg_not_found, invalid_action, invalid_config, validation};
use crate::generated::{
    Action, FixedResponseActionConfig, ForwardActionConfig, RedirectActionConfig,
    TargetGroupStickinessConfig, TargetGroupTuple,
};
use crate::state::{
    ActionRec, FixedResponseRec, ForwardRec, Inner, LoadBalancerRec, RedirectRec, TargetWeight,
};

const TERMINAL: &[&str] = &["forward", "redirect", "fixed-response"];
const PLACEHOLDERS: &[&str] = &["#{protocol}", "#{host}", "#{port}", "#{path}", "#{query}"];
pub const CONTENT_TYPES: &[&str] = &[
    "text/plain",
    "text/css",
    "text/html",
    "application/javascript",
    "application/json",
];

fn json_of<T: stratus_protocol::ToValue>(v: T) -> serde_json::Value {
    fn conv(v: stratus_protocol::Value) -> serde_json::Value {
        use stratus_protocol::Value as V;
        match v {
            V::Null => serde_json::Value::Null,
            V::Bool(b) => b.into(),
            V::Int(i) => i.into(),
            V::Float(f) => f.into(),
            V::String(s) => s.into(),
            V::Blob(b) => String::from_utf8_lossy(&b).into_owned().into(),
            V::Timestamp(t) => t.into(),
            V::List(l) => l.into_iter().map(conv).collect(),
            V::Map(m) => m.into_iter().map(|(k, v)| (k, conv(v))).collect(),
            V::Document(d) => d,
        }
    }
    conv(v.to_value())
}

fn value_of(j: &serde_json::Value) -> stratus_protocol::Value {
    use stratus_protocol::Value as V;
    match j {
        serde_json::Value::Null => V::Null,
        serde_json::Value::Bool(b) => V::Bool(*b),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map_or(V::Float(n.as_f64().unwrap_or(0.0)), V::Int),
        serde_json::Value::String(s) => V::String(s.clone()),
        serde_json::Value::Array(a) => V::List(a.iter().map(value_of).collect()),
        serde_json::Value::Object(o) => {
            V::Map(o.iter().map(|(k, v)| (k.clone(), value_of(v))).collect())
        }
    }
}

/// Stored JSON back into a generated shape (authentication configurations).
pub fn shape_of<T: stratus_protocol::FromValue>(j: &serde_json::Value) -> Option<T> {
    T::from_value(value_of(j)).ok()
}

pub fn to_json<T: stratus_protocol::ToValue>(v: T) -> serde_json::Value {
    json_of(v)
}

fn check_redirect(r: &RedirectActionConfig) -> Result<RedirectRec, AwsError> {
    let rec = RedirectRec {
        protocol: r.protocol.clone().unwrap_or_else(|| "#{protocol}".into()),
        port: r.port.clone().unwrap_or_else(|| "#{port}".into()),
        host: r.host.clone().unwrap_or_else(|| "#{host}".into()),
        path: r.path.clone().unwrap_or_else(|| "/#{path}".into()),
        query: r.query.clone().unwrap_or_else(|| "#{query}".into()),
        status_code: r.status_code.clone(),
    };
    if !matches!(rec.protocol.as_str(), "HTTP" | "HTTPS" | "#{protocol}") {
        return Err(validation(format!(
            "The redirect protocol '{}' is not valid; it must be 'HTTP', 'HTTPS' or '#{{protocol}}'",
            rec.protocol
        )));
    }
    if rec.port != "#{port}" && !rec.port.parse::<u16>().is_ok_and(|p| p >= 1) {
        return Err(validation(format!(
            "The redirect port '{}' is not valid; it must be a number between 1 and 65535 or '#{{port}}'",
            rec.port
        )));
    }
    if !rec.path.starts_with('/') {
        return Err(validation(
            "The redirect path must begin with a '/' character",
        ));
    }
    if rec.query.starts_with('?') {
        return Err(validation(
            "The redirect query must not begin with a '?' character",
        ));
    }
    if rec.host.is_empty() {
        return Err(validation("The redirect host cannot be empty"));
    }
    for part in [&rec.host, &rec.path, &rec.query] {
        let mut rest = part.as_str();
        while let Some(i) = rest.find("#{") {
            let tail = &rest[i..];
            let end = tail.find('}').map_or(tail.len(), |e| e + 1);
            let ph = &tail[..end];
            if !PLACEHOLDERS.contains(&ph) {
                return Err(validation(format!(
                    "The redirect configuration contains an unsupported placeholder '{ph}'; supported placeholders are {}",
                    PLACEHOLDERS.join(", ")
                )));
            }
            rest = &tail[end..];
        }
    }
    if rec.protocol == "#{protocol}"
        && rec.port == "#{port}"
        && rec.host == "#{host}"
        && rec.path == "/#{path}"
        && rec.query == "#{query}"
    {
        return Err(invalid_action(
            "The redirect configuration is not valid because it creates a loop.",
        ));
    }
    Ok(rec)
}

fn check_fixed(f: &FixedResponseActionConfig) -> Result<FixedResponseRec, AwsError> {
    let code_ok = f.status_code.len() == 3
        && f.status_code.chars().all(|c| c.is_ascii_digit())
        && matches!(f.status_code.as_bytes()[0], b'2' | b'4' | b'5');
    if !code_ok {
        return Err(validation(format!(
            "The fixed response status code '{}' is not valid; it must be a 2XX, 4XX or 5XX code",
            f.status_code
        )));
    }
    if let Some(ct) = &f.content_type
        && !CONTENT_TYPES.contains(&ct.as_str())
    {
        return Err(validation(format!(
            "The content type '{ct}' is not valid; it must be one of '{}'",
            CONTENT_TYPES.join(", ")
        )));
    }
    if f.message_body.as_ref().is_some_and(|b| b.len() > 1024) {
        return Err(validation(
            "The fixed response message body cannot be longer than 1024 characters",
        ));
    }
    Ok(FixedResponseRec {
        status_code: f.status_code.clone(),
        content_type: f.content_type.clone(),
        message_body: f.message_body.clone(),
    })
}

fn check_forward(a: &Action) -> Result<(Option<String>, ForwardRec), AwsError> {
    let groups: Vec<TargetWeight> = a
        .forward_config
        .as_ref()
        .and_then(|f| f.target_groups.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|t| TargetWeight {
            arn: t.target_group_arn.unwrap_or_default(),
            weight: t.weight,
        })
        .collect();
    if groups.iter().any(|g| g.arn.is_empty()) {
        return Err(validation(
            "A target group ARN must be specified for each target group in a forward configuration",
        ));
    }
    let mut forward = ForwardRec {
        groups,
        stickiness: a
            .forward_config
            .as_ref()
            .and_then(|f| f.target_group_stickiness_config.as_ref())
            .map(|s| (s.enabled.unwrap_or(false), s.duration_seconds)),
    };
    match (&a.target_group_arn, forward.groups.len()) {
        (None, 0) => {
            return Err(validation(
                "A target group ARN must be specified for an action of type 'forward'",
            ));
        }
        (Some(arn), 0) => forward.groups.push(TargetWeight {
            arn: arn.clone(),
            weight: None,
        }),
        (Some(arn), 1) if forward.groups[0].arn == *arn => {}
        (Some(_), _) => {
            return Err(validation(
                "You cannot specify both a target group ARN and a forward configuration with different target groups",
            ));
        }
        _ => {}
    }
    for (i, g) in forward.groups.iter().enumerate() {
        if forward.groups[..i].iter().any(|o| o.arn == g.arn) {
            return Err(validation(format!(
                "Target group '{}' cannot be specified more than once in a forward configuration",
                g.arn
            )));
        }
    }
    if let Some((enabled, d)) = forward.stickiness
        && enabled
        && !d.is_some_and(|d| (1..=604_800).contains(&d))
    {
        return Err(validation(
            "The target group stickiness duration must be between 1 and 604800 seconds",
        ));
    }
    let single = (forward.groups.len() == 1).then(|| forward.groups[0].arn.clone());
    Ok((single, forward))
}

/// Reads a list of actions with the checks that need nothing but the request.
pub fn from_api(actions: Vec<Action>) -> Result<Vec<ActionRec>, AwsError> {
    if actions.is_empty() {
        return Err(validation("At least one action must be specified"));
    }
    let mut out = Vec::with_capacity(actions.len());
    for a in actions {
        let mut rec = ActionRec {
            kind: a.r#type.clone(),
            order: a.order,
            ..Default::default()
        };
        match a.r#type.as_str() {
            "forward" => {
                let (single, forward) = check_forward(&a)?;
                rec.target_group_arn = single;
                rec.forward = Some(forward);
            }
            "redirect" => {
                let Some(r) = &a.redirect_config else {
                    return Err(validation(
                        "A redirect configuration must be specified for an action of type 'redirect'",
                    ));
                };
                rec.redirect = Some(check_redirect(r)?);
            }
            "fixed-response" => {
                let Some(f) = &a.fixed_response_config else {
                    return Err(validation(
                        "A fixed response configuration must be specified for an action of type 'fixed-response'",
                    ));
                };
                rec.fixed_response = Some(check_fixed(f)?);
            }
            "authenticate-oidc" => {
                let Some(c) = a.authenticate_oidc_config.clone() else {
                    return Err(validation(
                        "An OIDC configuration must be specified for an action of type 'authenticate-oidc'",
                    ));
                };
                rec.other = Some(json_of(c));
            }
            "authenticate-cognito" => {
                let Some(c) = a.authenticate_cognito_config.clone() else {
                    return Err(validation(
                        "An Amazon Cognito configuration must be specified for an action of type 'authenticate-cognito'",
                    ));
                };
                rec.other = Some(json_of(c));
            }
            _ => {
                let Some(c) = a.jwt_validation_config.clone() else {
                    return Err(validation(
                        "A JWT validation configuration must be specified for an action of type 'jwt-validation'",
                    ));
                };
                rec.other = Some(json_of(c));
            }
        }
        out.push(rec);
    }
    // Orders, when given, are unique and decide the sequence.
    let orders: Vec<i32> = out.iter().filter_map(|a| a.order).collect();
    if orders.len() != out.len() && out.len() > 1 {
        return Err(validation(
            "An order must be specified for every action when there is more than one action",
        ));
    }
    for (i, o) in orders.iter().enumerate() {
        if orders[..i].contains(o) {
            return Err(invalid_action(format!(
                "The action order '{o}' is specified more than once"
            )));
        }
    }
    out.sort_by_key(|a| a.order.unwrap_or(0));
    let terminal = out
        .iter()
        .filter(|a| TERMINAL.contains(&a.kind.as_str()))
        .count();
    if terminal != 1 || !TERMINAL.contains(&out[out.len() - 1].kind.as_str()) {
        return Err(invalid_action(
            "The last action must be of type 'forward', 'redirect' or 'fixed-response', and only one of them can be specified",
        ));
    }
    Ok(out)
}

/// Checks that need the state: the target groups exist, speak a protocol
/// the listener can forward to, live in the load balancer's VPC and serve no
/// other load balancer; action types the load balancer supports.
pub fn check_in_context(
    inner: &Inner,
    lb: &LoadBalancerRec,
    listener_protocol: Option<&str>,
    actions: &[ActionRec],
) -> Result<(), AwsError> {
    let used = inner.groups_in_use();
    for a in actions {
        if lb.kind != "application" && a.kind != "forward" {
            return Err(invalid_action(format!(
                "Action type '{}' is not supported for load balancers of type '{}'",
                a.kind, lb.kind
            )));
        }
        if a.kind.starts_with("authenticate-") && listener_protocol != Some("HTTPS") {
            return Err(invalid_action(format!(
                "Actions of type '{}' are supported only on HTTPS listeners",
                a.kind
            )));
        }
        let Some(f) = &a.forward else { continue };
        let max = if lb.kind == "application" { 5 } else { 1 };
        if f.groups.len() > max {
            return Err(validation(format!(
                "A forward action on a load balancer of type '{}' can have at most '{max}' target groups",
                lb.kind
            )));
        }
        for g in &f.groups {
            let tg = inner
                .tgs
                .get(&g.arn)
                .filter(|t| t.account == lb.account && t.region == lb.region)
                .ok_or_else(|| action_tg_not_found(&g.arn))?;
            let proto = tg.protocol.as_deref().unwrap_or("");
            let compatible = match (lb.kind.as_str(), listener_protocol.unwrap_or("")) {
                ("application", _) => {
                    tg.target_type == "lambda" || matches!(proto, "HTTP" | "HTTPS")
                }
                ("network", "TCP") => matches!(proto, "TCP" | "TCP_UDP") || tg.target_type == "alb",
                ("network", "UDP") => matches!(proto, "UDP" | "TCP_UDP"),
                ("network", "TCP_UDP") => proto == "TCP_UDP",
                ("network", "TLS") => matches!(proto, "TCP" | "TLS"),
                ("network", _) => true,
                _ => proto == "GENEVE",
            };
            if !compatible {
                return Err(AwsError::bad_request(
                    "IncompatibleProtocolsException",
                    format!(
                        "The listener and the following target groups have incompatible protocols: {}",
                        g.arn
                    ),
                ));
            }
            if let Some(vpc) = &tg.vpc_id
                && *vpc != lb.vpc_id
            {
                return Err(invalid_config(format!(
                    "The target group '{}' is in VPC '{vpc}' and cannot be used with a load balancer in VPC '{}'",
                    g.arn, lb.vpc_id
                )));
            }
            if let Some(lbs) = used.get(g.arn.as_str())
                && lbs.iter().any(|l| *l != lb.arn)
            {
                return Err(AwsError::bad_request(
                    "TargetGroupAssociationLimitException",
                    format!(
                        "The following target groups cannot be associated with more than one load balancer: {}",
                        g.arn
                    ),
                ));
            }
            if f.groups.len() > 1
                && tg.attribute("stickiness.enabled") == Some("true")
                && tg.attribute("stickiness.type") == Some("app_cookie")
            {
                return Err(invalid_action(
                    "When configuring a rule with multiple target groups, none of them can have stickiness of type 'app_cookie' enabled.",
                ));
            }
        }
    }
    Ok(())
}

/// The action as Describe* shows it: plain forwards also carry their
/// forward configuration with weight 1, as AWS adds it.
pub fn to_api(a: &ActionRec) -> Action {
    let mut out = Action {
        r#type: a.kind.clone(),
        order: a.order,
        target_group_arn: a.target_group_arn.clone(),
        ..Default::default()
    };
    if let Some(f) = &a.forward {
        out.forward_config = Some(ForwardActionConfig {
            target_groups: Some(
                f.groups
                    .iter()
                    .map(|g| TargetGroupTuple {
                        target_group_arn: Some(g.arn.clone()),
                        weight: Some(g.weight.unwrap_or(1)),
                    })
                    .collect(),
            ),
            target_group_stickiness_config: Some(match f.stickiness {
                Some((enabled, d)) => TargetGroupStickinessConfig {
                    enabled: Some(enabled),
                    duration_seconds: if enabled { d } else { None },
                },
                None => TargetGroupStickinessConfig {
                    enabled: Some(false),
                    duration_seconds: None,
                },
            }),
        });
    }
    if let Some(r) = &a.redirect {
        out.redirect_config = Some(RedirectActionConfig {
            protocol: Some(r.protocol.clone()),
            port: Some(r.port.clone()),
            host: Some(r.host.clone()),
            path: Some(r.path.clone()),
            query: Some(r.query.clone()),
            status_code: r.status_code.clone(),
        });
    }
    if let Some(f) = &a.fixed_response {
        out.fixed_response_config = Some(FixedResponseActionConfig {
            message_body: f.message_body.clone(),
            status_code: f.status_code.clone(),
            content_type: f.content_type.clone(),
        });
    }
    if let Some(j) = &a.other {
        match a.kind.as_str() {
            "authenticate-oidc" => out.authenticate_oidc_config = shape_of(j),
            "authenticate-cognito" => out.authenticate_cognito_config = shape_of(j),
            _ => out.jwt_validation_config = shape_of(j),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redirect(cfg: RedirectActionConfig) -> Result<Vec<ActionRec>, String> {
        from_api(vec![Action {
            r#type: "redirect".into(),
            redirect_config: Some(cfg),
            ..Default::default()
        }])
        .map_err(|e| e.message)
    }

    #[test]
    fn redirects_keep_placeholders_and_refuse_loops() {
        let ok = redirect(RedirectActionConfig {
            protocol: Some("HTTPS".into()),
            port: Some("443".into()),
            status_code: "HTTP_301".into(),
            ..Default::default()
        })
        .unwrap();
        let r = ok[0].redirect.as_ref().unwrap();
        assert_eq!(
            (r.host.as_str(), r.path.as_str(), r.query.as_str()),
            ("#{host}", "/#{path}", "#{query}")
        );
        assert_eq!(
            redirect(RedirectActionConfig {
                status_code: "HTTP_302".into(),
                ..Default::default()
            })
            .unwrap_err(),
            "The redirect configuration is not valid because it creates a loop."
        );
        assert!(
            redirect(RedirectActionConfig {
                host: Some("#{hostname}.example.com".into()),
                status_code: "HTTP_301".into(),
                ..Default::default()
            })
            .is_err()
        );
        assert!(
            redirect(RedirectActionConfig {
                path: Some("no-slash".into()),
                status_code: "HTTP_301".into(),
                ..Default::default()
            })
            .is_err()
        );
    }

    #[test]
    fn fixed_responses_check_code_and_content_type() {
        let fixed = |code: &str, ct: &str| {
            from_api(vec![Action {
                r#type: "fixed-response".into(),
                fixed_response_config: Some(FixedResponseActionConfig {
                    status_code: code.into(),
                    content_type: Some(ct.into()),
                    message_body: Some("gone".into()),
                }),
                ..Default::default()
            }])
        };
        assert!(fixed("503", "text/plain").is_ok());
        assert!(fixed("302", "text/plain").is_err());
        assert!(fixed("200", "text/xml").is_err());
    }

    #[test]
    fn forwards_take_one_arn_or_weighted_groups() {
        let tuple = |arn: &str, w: i32| TargetGroupTuple {
            target_group_arn: Some(arn.into()),
            weight: Some(w),
        };
        let a = from_api(vec![Action {
            r#type: "forward".into(),
            forward_config: Some(ForwardActionConfig {
                target_groups: Some(vec![tuple("a", 80), tuple("b", 20)]),
                target_group_stickiness_config: Some(TargetGroupStickinessConfig {
                    enabled: Some(true),
                    duration_seconds: Some(300),
                }),
            }),
            ..Default::default()
        }])
        .unwrap();
        assert_eq!(a[0].target_groups(), vec!["a", "b"]);
        assert_eq!(a[0].target_group_arn, None);
        let shown = to_api(&a[0]);
        assert_eq!(
            shown.forward_config.unwrap().target_groups.unwrap().len(),
            2
        );
        let single = from_api(vec![Action {
            r#type: "forward".into(),
            target_group_arn: Some("a".into()),
            ..Default::default()
        }])
        .unwrap();
        let shown = to_api(&single[0]);
        assert_eq!(shown.target_group_arn.as_deref(), Some("a"));
        assert_eq!(
            shown.forward_config.unwrap().target_groups.unwrap()[0].weight,
            Some(1)
        );
        assert!(
            from_api(vec![Action {
                r#type: "forward".into(),
                ..Default::default()
            }])
            .is_err()
        );
    }

    #[test]
    fn one_terminal_action_comes_last() {
        let fwd = |order| Action {
            r#type: "forward".into(),
            target_group_arn: Some("a".into()),
            order: Some(order),
            ..Default::default()
        };
        assert!(from_api(vec![fwd(1), fwd(2)]).is_err());
        assert!(from_api(vec![]).is_err());
    }
}
