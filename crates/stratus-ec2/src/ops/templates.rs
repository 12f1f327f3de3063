//! Launch templates and their numbered versions. A version's data is kept
//! as the request's members in JSON and turned back into the request shape
//! (for RunInstances) or the response shape (for describe calls).

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use stratus_core::compute::{ResolvedTemplate, TemplateRef};
use stratus_core::{AwsError, RequestContext};
use stratus_protocol::{FromValue, Timestamp, ToValue, Value};

use super::{dry_run, invalid, page, spec_tags, wire_tags};
use crate::Ec2;
use crate::filters::{Filterable, matches};
use crate::generated::*;
use crate::state::{LaunchTemplateRec, LaunchTemplateVersionRec, RegionState, Tags, new_id};

/// The protocol value of launch template data as JSON that keeps its kinds.
pub fn value_to_json(v: Value) -> serde_json::Value {
    use serde_json::{Value as J, json};
    match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(b),
        Value::Int(i) => json!(i),
        Value::Float(f) => json!({ "$float": f }),
        Value::String(s) => J::String(s),
        Value::Blob(b) => json!({ "$blob": B64.encode(b) }),
        Value::Timestamp(t) => json!({ "$timestamp": t }),
        Value::List(l) => J::Array(l.into_iter().map(value_to_json).collect()),
        Value::Map(m) => J::Object(m.into_iter().map(|(k, v)| (k, value_to_json(v))).collect()),
        Value::Document(d) => json!({ "$document": d }),
    }
}

pub fn json_to_value(j: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match j {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => n
            .as_i64()
            .map(Value::Int)
            .unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or(0.0))),
        J::String(s) => Value::String(s.clone()),
        J::Array(a) => Value::List(a.iter().map(json_to_value).collect()),
        J::Object(o) => {
            if o.len() == 1 {
                let (k, v) = o.iter().next().expect("one member");
                match k.as_str() {
                    "$float" => return Value::Float(v.as_f64().unwrap_or(0.0)),
                    "$timestamp" => return Value::Timestamp(v.as_i64().unwrap_or(0)),
                    "$blob" => {
                        return Value::Blob(
                            B64.decode(v.as_str().unwrap_or("")).unwrap_or_default(),
                        );
                    }
                    "$document" => return Value::Document(v.clone()),
                    _ => {}
                }
            }
            Value::Map(
                o.iter()
                    .map(|(k, v)| (k.clone(), json_to_value(v)))
                    .collect(),
            )
        }
    }
}

fn data_to_json(d: RequestLaunchTemplateData) -> serde_json::Value {
    value_to_json(d.to_value())
}

fn response_data(j: &serde_json::Value) -> Result<ResponseLaunchTemplateData, AwsError> {
    ResponseLaunchTemplateData::from_value(json_to_value(j))
}

fn malformed_name() -> AwsError {
    AwsError::bad_request(
        "InvalidLaunchTemplateName.MalformedException",
        "A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.",
    )
}

pub fn check_name(name: &str) -> Result<(), AwsError> {
    let ok = |c: char| c.is_ascii_alphanumeric() || "-()./_".contains(c);
    if !(3..=128).contains(&name.len()) || !name.chars().all(ok) {
        return Err(malformed_name());
    }
    Ok(())
}

fn id_not_found(id: &str) -> AwsError {
    AwsError::bad_request(
        "InvalidLaunchTemplateId.NotFound",
        format!("The specified launch template, with template ID {id}, does not exist."),
    )
}

fn name_not_found() -> AwsError {
    AwsError::bad_request(
        "InvalidLaunchTemplateName.NotFoundException",
        "At least one of the launch templates specified in the request does not exist.",
    )
}

fn version_not_found() -> AwsError {
    AwsError::bad_request(
        "InvalidLaunchTemplateId.VersionNotFound",
        "The specified launch template version does not exist.",
    )
}

fn check_lt_id(id: &str) -> Result<(), AwsError> {
    let hex = id.strip_prefix("lt-").unwrap_or("");
    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AwsError::bad_request(
            "InvalidLaunchTemplateId.Malformed",
            format!(
                "The specified ID for the launch template is not valid: {id}. Ensure that you specify the launch template ID in the form lt-xxxxxxxxxxxxxxxxx."
            ),
        ));
    }
    Ok(())
}

/// The template named by id or name (exactly one of them).
fn template<'a>(
    s: &'a RegionState,
    id: Option<&str>,
    name: Option<&str>,
) -> Result<&'a LaunchTemplateRec, AwsError> {
    match (id, name) {
        (Some(_), Some(_)) => Err(AwsError::bad_request(
            "InvalidParameterCombination",
            "The parameters LaunchTemplateId and LaunchTemplateName cannot be specified together.",
        )),
        (Some(id), None) => {
            check_lt_id(id)?;
            s.launch_templates.get(id).ok_or_else(|| id_not_found(id))
        }
        (None, Some(name)) => s
            .launch_templates
            .values()
            .find(|t| t.name == name)
            .ok_or_else(name_not_found),
        (None, None) => Err(AwsError::bad_request(
            "MissingParameter",
            "The request must contain the parameter LaunchTemplateName or LaunchTemplateId",
        )),
    }
}

/// A template version as another service pins it (Auto Scaling shows the
/// id, the name and the number `$Latest` or `$Default` stood for).
pub fn resolve_ref(s: &RegionState, r: &TemplateRef) -> Result<ResolvedTemplate, AwsError> {
    let t = template(s, r.id.as_deref(), r.name.as_deref())?;
    let v = version(t, r.version.as_deref().unwrap_or("$Default"))?;
    let d = RequestLaunchTemplateData::from_value(json_to_value(&v.data))?;
    Ok(ResolvedTemplate {
        id: t.id.clone(),
        name: t.name.clone(),
        version_number: v.number,
        image_id: d.image_id,
        instance_type: d.instance_type,
    })
}

/// A version number from `1`, `$Latest` or `$Default`.
fn version_number(t: &LaunchTemplateRec, v: &str) -> Result<i64, AwsError> {
    match v {
        "$Latest" => Ok(t.latest_version),
        "$Default" => Ok(t.default_version),
        n => n.parse::<i64>().map_err(|_| {
            invalid(format!(
                "Value ({n}) for parameter version is invalid. The version must be a number, $Latest or $Default."
            ))
        }),
    }
}

fn version<'a>(
    t: &'a LaunchTemplateRec,
    v: &str,
) -> Result<&'a LaunchTemplateVersionRec, AwsError> {
    let n = version_number(t, v)?;
    t.versions.get(&n).ok_or_else(version_not_found)
}

/// The launch data a RunInstances call gets from a template version
/// (`$Default` when no version is named).
pub fn resolve_launch_template(
    s: &RegionState,
    id: Option<&str>,
    name: Option<&str>,
    version_name: Option<&str>,
) -> Result<RequestLaunchTemplateData, AwsError> {
    let t = template(s, id, name)?;
    let v = version(t, version_name.unwrap_or("$Default"))?;
    RequestLaunchTemplateData::from_value(json_to_value(&v.data))
}

fn wire(t: &LaunchTemplateRec) -> LaunchTemplate {
    LaunchTemplate {
        launch_template_id: Some(t.id.clone()),
        launch_template_name: Some(t.name.clone()),
        create_time: Some(Timestamp(t.created_ms)),
        created_by: Some(t.created_by.clone()),
        default_version_number: Some(t.default_version),
        latest_version_number: Some(t.latest_version),
        tags: wire_tags(&t.tags),
        operator: None,
    }
}

fn wire_version(
    t: &LaunchTemplateRec,
    v: &LaunchTemplateVersionRec,
) -> Result<LaunchTemplateVersion, AwsError> {
    Ok(LaunchTemplateVersion {
        launch_template_id: Some(t.id.clone()),
        launch_template_name: Some(t.name.clone()),
        version_number: Some(v.number),
        version_description: v.description.clone(),
        create_time: Some(Timestamp(v.created_ms)),
        created_by: Some(t.created_by.clone()),
        default_version: Some(v.number == t.default_version),
        launch_template_data: Some(response_data(&v.data)?),
        operator: None,
    })
}

fn check_description(d: &Option<String>) -> Result<(), AwsError> {
    if d.as_ref().is_some_and(|d| d.len() > 255) {
        return Err(invalid(
            "Value for parameter versionDescription is invalid. Length exceeds maximum of 255.",
        ));
    }
    Ok(())
}

fn created_by(ctx: &RequestContext) -> String {
    format!("arn:aws:iam::{}:root", ctx.account_id())
}

pub fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CreateLaunchTemplateRequest,
) -> Result<CreateLaunchTemplateResult, AwsError> {
    check_name(&i.launch_template_name)?;
    check_description(&i.version_description)?;
    let data = data_to_json(i.launch_template_data);
    if data.as_object().is_none_or(|o| o.is_empty()) {
        return Err(AwsError::bad_request(
            "MissingParameter",
            "The request must contain the parameter launchTemplateData",
        ));
    }
    let tags = spec_tags(&i.tag_specifications, "launch-template")?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    if s.launch_templates
        .values()
        .any(|t| t.name == i.launch_template_name)
    {
        return Err(AwsError::bad_request(
            "InvalidLaunchTemplateName.AlreadyExistsException",
            "Launch template name already in use.",
        ));
    }
    dry_run(i.dry_run)?;
    let now = ec2.now();
    let mut t = LaunchTemplateRec {
        id: new_id("lt"),
        name: i.launch_template_name.clone(),
        created_ms: now,
        created_by: created_by(ctx),
        default_version: 1,
        latest_version: 1,
        versions: BTreeMap::new(),
        tags,
    };
    t.versions.insert(
        1,
        LaunchTemplateVersionRec {
            number: 1,
            description: i.version_description.clone(),
            created_ms: now,
            data,
        },
    );
    let res = wire(&t);
    s.launch_templates.insert(t.id.clone(), t);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(CreateLaunchTemplateResult {
        launch_template: Some(res),
        warning: None,
    })
}

/// A new version's data: the source version's members, each replaced by
/// the one given.
fn merged(source: &serde_json::Value, given: serde_json::Value) -> serde_json::Value {
    match (source, given) {
        (serde_json::Value::Object(src), serde_json::Value::Object(new)) => {
            let mut out = src.clone();
            for (k, v) in new {
                out.insert(k, v);
            }
            serde_json::Value::Object(out)
        }
        (_, given) => given,
    }
}

pub fn create_version(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CreateLaunchTemplateVersionRequest,
) -> Result<CreateLaunchTemplateVersionResult, AwsError> {
    check_description(&i.version_description)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let t = template(
        &s,
        i.launch_template_id.as_deref(),
        i.launch_template_name.as_deref(),
    )?;
    let given = data_to_json(i.launch_template_data);
    let data = match &i.source_version {
        Some(v) => merged(&version(t, v)?.data, given),
        None => given,
    };
    dry_run(i.dry_run)?;
    let id = t.id.clone();
    let now = ec2.now();
    let Some(t) = s.launch_templates.get_mut(&id) else {
        return Err(id_not_found(&id));
    };
    t.latest_version += 1;
    let v = LaunchTemplateVersionRec {
        number: t.latest_version,
        description: i.version_description.clone(),
        created_ms: now,
        data,
    };
    let res = wire_version(t, &v)?;
    t.versions.insert(v.number, v);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(CreateLaunchTemplateVersionResult {
        launch_template_version: Some(res),
        warning: None,
    })
}

pub fn modify(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: ModifyLaunchTemplateRequest,
) -> Result<ModifyLaunchTemplateResult, AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let t = template(
        &s,
        i.launch_template_id.as_deref(),
        i.launch_template_name.as_deref(),
    )?;
    let default = match &i.default_version {
        Some(v) => Some(version(t, v)?.number),
        None => None,
    };
    dry_run(i.dry_run)?;
    let id = t.id.clone();
    let Some(t) = s.launch_templates.get_mut(&id) else {
        return Err(id_not_found(&id));
    };
    if let Some(n) = default {
        t.default_version = n;
    }
    let res = wire(t);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(ModifyLaunchTemplateResult {
        launch_template: Some(res),
    })
}

impl Filterable for LaunchTemplateRec {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        Some(match name {
            "create-time" => vec![stratus_core::time::iso8601_millis(self.created_ms)],
            "launch-template-name" => vec![self.name.clone()],
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &self.tags
    }
}

pub fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeLaunchTemplatesRequest,
) -> Result<DescribeLaunchTemplatesResult, AwsError> {
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    for id in i.launch_template_ids.iter().flatten() {
        template(&s, Some(id), None)?;
    }
    for name in i.launch_template_names.iter().flatten() {
        template(&s, None, Some(name))?;
    }
    let filters = i.filters.clone().unwrap_or_default();
    let mut res = Vec::new();
    for t in s.launch_templates.values() {
        if i.launch_template_ids
            .as_ref()
            .is_some_and(|ids| !ids.contains(&t.id))
            || i.launch_template_names
                .as_ref()
                .is_some_and(|n| !n.contains(&t.name))
            || !matches(t, &filters)?
        {
            continue;
        }
        res.push(wire(t));
    }
    let (launch_templates, next_token) = page(res, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeLaunchTemplatesResult {
        launch_templates: Some(launch_templates),
        next_token,
    })
}

struct VersionView<'a> {
    data: &'a serde_json::Value,
    v: &'a LaunchTemplateVersionRec,
    default: bool,
}

impl Filterable for VersionView<'_> {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        let d = self.data;
        let s = |path: &[&str]| {
            let mut cur = vec![d];
            for p in path {
                cur = cur
                    .into_iter()
                    .filter_map(|c| c.get(p))
                    // Lists of structures: each element's member.
                    .flat_map(|c| match c {
                        serde_json::Value::Array(a) if a.iter().any(|x| x.is_object()) => {
                            a.iter().collect::<Vec<_>>()
                        }
                        other => vec![other],
                    })
                    .collect();
            }
            cur.into_iter()
                .flat_map(|c| match c {
                    serde_json::Value::String(x) => vec![x.clone()],
                    serde_json::Value::Bool(b) => vec![b.to_string()],
                    serde_json::Value::Number(n) => vec![n.to_string()],
                    serde_json::Value::Array(a) => a
                        .iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect(),
                    _ => Vec::new(),
                })
                .collect::<Vec<_>>()
        };
        Some(match name {
            "create-time" => vec![stratus_core::time::iso8601_millis(self.v.created_ms)],
            "ebs-optimized" => s(&["EbsOptimized"]),
            "iam-instance-profile" => {
                let mut v = s(&["IamInstanceProfile", "Arn"]);
                v.extend(s(&["IamInstanceProfile", "Name"]));
                v
            }
            "image-id" => s(&["ImageId"]),
            "instance-type" => s(&["InstanceType"]),
            "is-default-version" => vec![self.default.to_string()],
            "kernel-id" => s(&["KernelId"]),
            "ram-disk-id" => s(&["RamDiskId"]),
            "http-endpoint" => s(&["MetadataOptions", "HttpEndpoint"]),
            // Instance metadata over IPv4 is always on.
            "http-protocol-ipv4" => vec!["enabled".to_string()],
            "http-tokens" => s(&["MetadataOptions", "HttpTokens"]),
            "host-resource-group-arn" => s(&["Placement", "HostResourceGroupArn"]),
            "license-configuration-arn" => s(&["LicenseSpecifications", "LicenseConfigurationArn"]),
            "network-card-index" => s(&["NetworkInterfaces", "NetworkCardIndex"]),
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        static NONE: Tags = BTreeMap::new();
        &NONE
    }
}

pub fn describe_versions(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeLaunchTemplateVersionsRequest,
) -> Result<DescribeLaunchTemplateVersionsResult, AwsError> {
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    let filters = i.filters.clone().unwrap_or_default();
    // Without a template, the call lists the `$Latest`/`$Default` versions
    // asked for across all templates (or every version of every template).
    let templates: Vec<&LaunchTemplateRec> =
        if i.launch_template_id.is_none() && i.launch_template_name.is_none() {
            s.launch_templates.values().collect()
        } else {
            vec![template(
                &s,
                i.launch_template_id.as_deref(),
                i.launch_template_name.as_deref(),
            )?]
        };
    let min = i
        .min_version
        .as_deref()
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| invalid(format!("Invalid value '{v}' for minVersion")))
        })
        .transpose()?;
    let max = i
        .max_version
        .as_deref()
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| invalid(format!("Invalid value '{v}' for maxVersion")))
        })
        .transpose()?;
    let mut res = Vec::new();
    for t in templates {
        let numbers: Vec<i64> = match &i.versions {
            Some(vs) if !vs.is_empty() => {
                let mut n = Vec::new();
                for v in vs {
                    let num = version_number(t, v)?;
                    if !t.versions.contains_key(&num) {
                        return Err(version_not_found());
                    }
                    if !n.contains(&num) {
                        n.push(num);
                    }
                }
                n
            }
            _ => t.versions.keys().rev().copied().collect(),
        };
        for n in numbers {
            if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                continue;
            }
            let Some(v) = t.versions.get(&n) else {
                continue;
            };
            let view = VersionView {
                data: &v.data,
                v,
                default: n == t.default_version,
            };
            if matches(&view, &filters)? {
                res.push(wire_version(t, v)?);
            }
        }
    }
    let (versions, next_token) = page(res, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeLaunchTemplateVersionsResult {
        launch_template_versions: Some(versions),
        next_token,
    })
}

pub fn delete(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DeleteLaunchTemplateRequest,
) -> Result<DeleteLaunchTemplateResult, AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let t = template(
        &s,
        i.launch_template_id.as_deref(),
        i.launch_template_name.as_deref(),
    )?;
    dry_run(i.dry_run)?;
    let res = wire(t);
    let id = t.id.clone();
    s.launch_templates.remove(&id);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(DeleteLaunchTemplateResult {
        launch_template: Some(res),
    })
}

pub fn delete_versions(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DeleteLaunchTemplateVersionsRequest,
) -> Result<DeleteLaunchTemplateVersionsResult, AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let id = template(
        &s,
        i.launch_template_id.as_deref(),
        i.launch_template_name.as_deref(),
    )?
    .id
    .clone();
    dry_run(i.dry_run)?;
    let Some(t) = s.launch_templates.get_mut(&id) else {
        return Err(id_not_found(&id));
    };
    let mut ok = Vec::new();
    let mut failed = Vec::new();
    for v in &i.versions {
        let fail =
            |code: &str, msg: &str, n: Option<i64>| DeleteLaunchTemplateVersionsResponseErrorItem {
                launch_template_id: Some(t.id.clone()),
                launch_template_name: Some(t.name.clone()),
                version_number: n,
                response_error: Some(ResponseError {
                    code: Some(code.into()),
                    message: Some(msg.into()),
                }),
            };
        let Ok(n) = v.parse::<i64>() else {
            failed.push(fail(
                "launchTemplateVersionDoesNotExist",
                "Could not find launch template version",
                None,
            ));
            continue;
        };
        if n == t.default_version {
            failed.push(fail(
                "launchTemplateVersionIsDefault",
                "The default version of a launch template cannot be deleted",
                Some(n),
            ));
        } else if t.versions.remove(&n).is_some() {
            ok.push(DeleteLaunchTemplateVersionsResponseSuccessItem {
                launch_template_id: Some(t.id.clone()),
                launch_template_name: Some(t.name.clone()),
                version_number: Some(n),
            });
        } else {
            failed.push(fail(
                "launchTemplateVersionDoesNotExist",
                "Could not find launch template version",
                Some(n),
            ));
        }
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(DeleteLaunchTemplateVersionsResult {
        successfully_deleted_launch_template_versions: Some(ok),
        unsuccessfully_deleted_launch_template_versions: Some(failed),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_name("web-server_v1.0/(a)").is_ok());
        assert!(check_name("ab").is_err());
        assert!(check_name("has space").is_err());
    }

    #[test]
    fn data_round_trips_through_json() {
        let d = RequestLaunchTemplateData {
            image_id: Some("ami-0123456789abcdef0".into()),
            instance_type: Some("t3.micro".into()),
            security_group_ids: Some(vec!["sg-1".into()]),
            ebs_optimized: Some(true),
            ..Default::default()
        };
        let j = data_to_json(d.clone());
        let back = RequestLaunchTemplateData::from_value(json_to_value(&j)).unwrap();
        assert_eq!(back, d);
        let r = response_data(&j).unwrap();
        assert_eq!(r.instance_type.as_deref(), Some("t3.micro"));
        assert_eq!(r.security_group_ids, Some(vec!["sg-1".to_string()]));
    }

    #[test]
    fn versions_merge_over_their_source() {
        let src = serde_json::json!({"ImageId": "ami-1", "InstanceType": "t3.micro"});
        let m = merged(&src, serde_json::json!({"InstanceType": "t3.small"}));
        assert_eq!(
            m,
            serde_json::json!({"ImageId": "ami-1", "InstanceType": "t3.small"})
        );
    }

    #[test]
    fn resolves_versions() {
        let mut s = RegionState::default();
        let mut t = LaunchTemplateRec {
            id: "lt-0123456789abcdef0".into(),
            name: "web".into(),
            default_version: 1,
            latest_version: 2,
            ..Default::default()
        };
        for (n, ty) in [(1, "t3.micro"), (2, "t3.large")] {
            t.versions.insert(
                n,
                LaunchTemplateVersionRec {
                    number: n,
                    data: serde_json::json!({ "InstanceType": ty }),
                    ..Default::default()
                },
            );
        }
        s.launch_templates.insert(t.id.clone(), t);
        let d = resolve_launch_template(&s, None, Some("web"), None).unwrap();
        assert_eq!(d.instance_type.as_deref(), Some("t3.micro"));
        let d = resolve_launch_template(&s, Some("lt-0123456789abcdef0"), None, Some("$Latest"))
            .unwrap();
        assert_eq!(d.instance_type.as_deref(), Some("t3.large"));
        let e = resolve_launch_template(&s, None, Some("web"), Some("7")).unwrap_err();
        assert_eq!(e.code, "InvalidLaunchTemplateId.VersionNotFound");
        let e = resolve_launch_template(&s, None, Some("nope"), None).unwrap_err();
        assert_eq!(e.code, "InvalidLaunchTemplateName.NotFoundException");
        let e = resolve_launch_template(&s, Some("lt-0000000000000000f"), None, None).unwrap_err();
        assert_eq!(e.code, "InvalidLaunchTemplateId.NotFound");
    }
}
