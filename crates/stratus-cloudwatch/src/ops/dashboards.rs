//! Dashboards: global per account, bodies checked against the dashboard
//! body structure with CloudWatch's validation messages.

use serde_json::{Value as Json, json};
use stratus_core::{AwsError, RequestContext};
use stratus_protocol::Timestamp;

use super::shapes::{page, tags_in};
use crate::Core;
use crate::generated::*;
use crate::records::Dashboard;

const WIDGET_TYPES: &[&str] = &["metric", "text", "log", "alarm", "explorer", "custom"];

pub fn dashboard_arn(account: &str, name: &str) -> String {
    format!("arn:aws:cloudwatch::{account}:dashboard/{name}")
}

/// `(dataPath, message)` for each problem in a dashboard body.
pub fn validate_body(body: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Ok(doc) = serde_json::from_str::<Json>(body) else {
        out.push((String::new(), "Should be object".to_string()));
        return out;
    };
    let Some(obj) = doc.as_object() else {
        out.push((String::new(), "Should be object".into()));
        return out;
    };
    let Some(widgets) = obj.get("widgets") else {
        out.push((
            String::new(),
            "Should have required property 'widgets'".into(),
        ));
        return out;
    };
    let Some(widgets) = widgets.as_array() else {
        out.push(("/widgets".into(), "Should be array".into()));
        return out;
    };
    for (i, w) in widgets.iter().enumerate() {
        let at = format!("/widgets/{i}");
        let Some(w) = w.as_object() else {
            out.push((at, "Should be object".into()));
            continue;
        };
        let kind = match w.get("type") {
            None => {
                out.push((at.clone(), "Should have required property 'type'".into()));
                continue;
            }
            Some(Json::String(t)) if WIDGET_TYPES.contains(&t.as_str()) => t.as_str(),
            Some(_) => {
                out.push((
                    format!("{at}/type"),
                    "Should be equal to one of the allowed values".into(),
                ));
                continue;
            }
        };
        for (field, lo, hi) in [
            ("x", 0, 23),
            ("y", 0, i64::MAX),
            ("width", 1, 24),
            ("height", 1, 1000),
        ] {
            match w.get(field) {
                None => {}
                Some(v) => match v.as_i64() {
                    None => out.push((format!("{at}/{field}"), "Should be integer".into())),
                    Some(n) if n < lo => {
                        out.push((format!("{at}/{field}"), format!("Should be >= {lo}")))
                    }
                    Some(n) if n > hi => {
                        out.push((format!("{at}/{field}"), format!("Should be <= {hi}")))
                    }
                    _ => {}
                },
            }
        }
        let Some(props) = w.get("properties") else {
            out.push((at, "Should have required property 'properties'".into()));
            continue;
        };
        let Some(props) = props.as_object() else {
            out.push((format!("{at}/properties"), "Should be object".into()));
            continue;
        };
        match kind {
            "text" if !props.get("markdown").is_some_and(Json::is_string) => {
                out.push((
                    format!("{at}/properties"),
                    "Should have required property 'markdown'".into(),
                ));
            }
            "metric" => {
                if let Some(m) = props.get("metrics") {
                    let Some(rows) = m.as_array() else {
                        out.push((format!("{at}/properties/metrics"), "Should be array".into()));
                        continue;
                    };
                    for (j, row) in rows.iter().enumerate() {
                        let ok = row.as_array().is_some_and(|r| {
                            r.iter().enumerate().all(|(k, cell)| {
                                cell.is_string() || (k + 1 == r.len() && cell.is_object())
                            })
                        });
                        if !ok {
                            let path = format!("{at}/properties/metrics/{j}");
                            if !row.is_array() {
                                out.push((path.clone(), "Should be array".into()));
                            }
                            out.push((
                                path,
                                "Field \"metrics\" has to be an array of array of strings, with an optional metricRenderer object as last element".into(),
                            ));
                        }
                    }
                } else if !props.contains_key("annotations") {
                    out.push((
                        format!("{at}/properties"),
                        "Should have required property 'metrics'".into(),
                    ));
                }
            }
            "alarm" if !props.get("alarms").is_some_and(Json::is_array) => {
                out.push((
                    format!("{at}/properties"),
                    "Should have required property 'alarms'".into(),
                ));
            }
            "log" if !props.get("query").is_some_and(Json::is_string) => {
                out.push((
                    format!("{at}/properties"),
                    "Should have required property 'query'".into(),
                ));
            }
            _ => {}
        }
    }
    out
}

fn invalid_input(problems: &[(String, String)]) -> AwsError {
    let list: Vec<Json> = problems
        .iter()
        .map(|(p, m)| json!({"dataPath": p, "message": m}))
        .collect();
    let shown = serde_json::to_string_pretty(&list).unwrap_or_default();
    let head = if problems.len() == 1 {
        "there is 1 validation error".to_string()
    } else {
        format!("there are {} validation errors", problems.len())
    };
    let fields: Vec<Json> = problems
        .iter()
        .map(|(p, m)| json!({"DataPath": p, "Message": m}))
        .collect();
    AwsError::bad_request(
        "InvalidParameterInput",
        format!("The dashboard body is invalid, {head}:\n{shown}"),
    )
    .with_json_field(
        "dashboardValidationMessages",
        Json::Array(fields).to_string(),
    )
}

pub fn put_dashboard(
    cw: &Core,
    ctx: &RequestContext,
    input: PutDashboardInput,
) -> Result<PutDashboardOutput, AwsError> {
    if input.dashboard_name.is_empty()
        || !input
            .dashboard_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(AwsError::bad_request(
            "InvalidParameterInput",
            "The value for field DashboardName contains invalid characters. It can only contain alphanumerics, dash (-) and underscore (_).",
        ));
    }
    let problems = validate_body(&input.dashboard_body);
    if !problems.is_empty() {
        return Err(invalid_input(&problems));
    }
    let account = ctx.account_id().to_string();
    let mut txn = cw.state.begin();
    let key = (account.clone(), input.dashboard_name.clone());
    let mut tags = txn
        .inner
        .dashboards
        .get(&key)
        .map(|d| d.tags.clone())
        .unwrap_or_default();
    super::shapes::merge_tags(&mut tags, tags_in(input.tags));
    txn.put_dashboard(Dashboard {
        arn: dashboard_arn(&account, &input.dashboard_name),
        account,
        name: input.dashboard_name,
        body: input.dashboard_body,
        modified_ms: ctx.clock.now_millis(),
        tags,
    })?;
    txn.commit()?;
    Ok(PutDashboardOutput {
        dashboard_validation_messages: Some(Vec::new()),
    })
}

pub fn get_dashboard(
    cw: &Core,
    ctx: &RequestContext,
    input: GetDashboardInput,
) -> Result<GetDashboardOutput, AwsError> {
    let txn = cw.state.begin();
    let d = txn
        .inner
        .dashboards
        .get(&(ctx.account_id().to_string(), input.dashboard_name.clone()))
        .ok_or_else(|| {
            AwsError::not_found(
                "ResourceNotFound",
                format!("Dashboard {} does not exist", input.dashboard_name),
            )
        })?;
    Ok(GetDashboardOutput {
        dashboard_arn: Some(d.arn.clone()),
        dashboard_body: Some(d.body.clone()),
        dashboard_name: Some(d.name.clone()),
    })
}

pub fn list_dashboards(
    cw: &Core,
    ctx: &RequestContext,
    input: ListDashboardsInput,
) -> Result<ListDashboardsOutput, AwsError> {
    let entries: Vec<DashboardEntry> = {
        let txn = cw.state.begin();
        txn.inner
            .dashboards
            .values()
            .filter(|d| d.account == ctx.account_id())
            .filter(|d| {
                input
                    .dashboard_name_prefix
                    .as_ref()
                    .is_none_or(|p| d.name.starts_with(p.as_str()))
            })
            .map(|d| DashboardEntry {
                dashboard_name: Some(d.name.clone()),
                dashboard_arn: Some(d.arn.clone()),
                last_modified: Some(Timestamp(d.modified_ms)),
                size: Some(d.body.len() as i64),
            })
            .collect()
    };
    let (shown, next_token) = page(&entries, input.next_token.as_deref(), 1000)?;
    Ok(ListDashboardsOutput {
        dashboard_entries: Some(shown),
        next_token,
    })
}

pub fn delete_dashboards(
    cw: &Core,
    ctx: &RequestContext,
    input: DeleteDashboardsInput,
) -> Result<DeleteDashboardsOutput, AwsError> {
    let account = ctx.account_id().to_string();
    let mut txn = cw.state.begin();
    let absent: Vec<&String> = input
        .dashboard_names
        .iter()
        .filter(|n| {
            !txn.inner
                .dashboards
                .contains_key(&(account.clone(), n.to_string()))
        })
        .collect();
    if !absent.is_empty() {
        let names: Vec<&str> = absent.iter().map(|s| s.as_str()).collect();
        return Err(AwsError::not_found(
            "ResourceNotFound",
            format!(
                "The specified dashboard does not exist. [{}]",
                names.join(", ")
            ),
        ));
    }
    for n in &input.dashboard_names {
        txn.delete_dashboard(&account, n);
    }
    txn.commit()?;
    Ok(DeleteDashboardsOutput {})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_checked() {
        assert!(validate_body(r#"{"widgets": []}"#).is_empty());
        assert!(
            validate_body(
                r#"{"widgets":[{"type":"metric","x":0,"y":0,"width":6,"height":6,"properties":{"metrics":[["AWS/EC2","CPUUtilization","InstanceId","i-1",{"stat":"Average"}]],"region":"us-east-1"}}]}"#
            )
            .is_empty()
        );
        assert_eq!(validate_body("not json")[0].1, "Should be object");
        assert_eq!(
            validate_body("{}")[0].1,
            "Should have required property 'widgets'"
        );
        let p = validate_body(r#"{"widgets":[{"type":"metric","properties":{"metrics":["x"]}}]}"#);
        assert_eq!(
            p[0],
            (
                "/widgets/0/properties/metrics/0".into(),
                "Should be array".into()
            )
        );
        let p = validate_body(
            r#"{"widgets":[{"type":"chart","properties":{}},{"type":"text","width":30,"properties":{}}]}"#,
        );
        assert_eq!(p.len(), 3);
        let e = invalid_input(&p);
        assert!(
            e.message
                .starts_with("The dashboard body is invalid, there are 3 validation errors:")
        );
    }
}
