//! What several operations share: AWS's errors for missing resources,
//! tags, filters and paging.

use stratus_core::{AwsError, RequestContext};

use crate::generated::{Filter, Tag, TagSpecification};
use crate::state::{Inner, InstanceRec, Tags, key};
use crate::validate::invalid_value;

pub fn instance_not_found(id: &str) -> AwsError {
    AwsError::not_found("DBInstanceNotFound", format!("DBInstance {id} not found."))
}

pub fn snapshot_not_found(id: &str) -> AwsError {
    AwsError::not_found("DBSnapshotNotFound", format!("DBSnapshot {id} not found."))
}

pub fn subnet_group_not_found(name: &str) -> AwsError {
    AwsError::not_found(
        "DBSubnetGroupNotFoundFault",
        format!("DBSubnetGroup {name} not found."),
    )
}

pub fn param_group_not_found(name: &str) -> AwsError {
    AwsError::not_found(
        "DBParameterGroupNotFound",
        format!("DBParameterGroup not found: {name}"),
    )
}

pub fn invalid_state(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("InvalidDBInstanceState", message)
}

pub fn not_available(id: &str) -> AwsError {
    invalid_state(format!("Instance {id} is not in available state."))
}

/// The identifier in an ARN, or the identifier given.
pub fn bare_id(id: &str) -> &str {
    if id.starts_with("arn:") {
        id.rsplit(':').next().unwrap_or(id)
    } else {
        id
    }
}

/// The caller's key for a resource named by identifier or ARN. AWS keeps
/// identifiers in lower case and takes them in any case.
pub fn my_key(ctx: &RequestContext, id: &str) -> String {
    key(
        ctx.account_id(),
        &ctx.region,
        &bare_id(id).to_ascii_lowercase(),
    )
}

pub fn instance<'a>(
    inner: &'a Inner,
    ctx: &RequestContext,
    id: &str,
) -> Result<&'a InstanceRec, AwsError> {
    inner
        .instances
        .get(&my_key(ctx, id))
        .ok_or_else(|| instance_not_found(id))
}

pub fn tags_in(tags: Option<Vec<Tag>>) -> Result<Tags, AwsError> {
    let mut out: Tags = Vec::new();
    for t in tags.unwrap_or_default() {
        let k = t.key.unwrap_or_default();
        if k.is_empty() {
            return Err(invalid_value("Tag key must not be empty"));
        }
        let v = t.value.unwrap_or_default();
        merge_tag(&mut out, k, v);
    }
    if out.len() > 50 {
        return Err(AwsError::bad_request(
            "TagQuotaPerResourceExceeded",
            "Cannot have more than 50 tags per resource",
        ));
    }
    Ok(out)
}

/// A new resource's `Tags` with those of its `TagSpecifications` merged in.
pub fn tags_with_specs(
    tags: Option<Vec<Tag>>,
    specs: Option<Vec<TagSpecification>>,
) -> Result<Tags, AwsError> {
    let mut out = tags_in(tags)?;
    for spec in specs.unwrap_or_default() {
        for (k, v) in tags_in(spec.tags)? {
            merge_tag(&mut out, k, v);
        }
    }
    Ok(out)
}

pub fn merge_tag(tags: &mut Tags, k: String, v: String) {
    match tags.iter_mut().find(|(x, _)| *x == k) {
        Some(t) => t.1 = v,
        None => tags.push((k, v)),
    }
}

pub fn tags_out(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag {
            key: Some(k.clone()),
            value: Some(v.clone()),
        })
        .collect()
}

/// Filters as name -> accepted values, refusing names the operation does
/// not know.
pub fn filters(
    given: Option<Vec<Filter>>,
    known: &[&str],
) -> Result<Vec<(String, Vec<String>)>, AwsError> {
    let mut out = Vec::new();
    for f in given.unwrap_or_default() {
        if !known.contains(&f.name.as_str()) {
            return Err(invalid_value(format!(
                "Unrecognized filter name: {}.",
                f.name
            )));
        }
        out.push((f.name, f.values));
    }
    Ok(out)
}

/// Whether `value` passes every filter named `name`.
pub fn passes(filters: &[(String, Vec<String>)], name: &str, values: &[&str]) -> bool {
    filters
        .iter()
        .filter(|(n, _)| n == name)
        .all(|(_, want)| want.iter().any(|w| values.contains(&w.as_str())))
}

/// AWS pages with MaxRecords between 20 and 100 (default 100) and an
/// opaque marker.
pub fn page<T>(
    items: Vec<T>,
    marker: Option<&str>,
    max: Option<i32>,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let size = max.unwrap_or(100);
    if !(20..=100).contains(&size) {
        return Err(invalid_value(format!(
            "Invalid value {size} for MaxRecords. Must be between 20 and 100"
        )));
    }
    let start = match marker {
        None | Some("") => 0,
        Some(m) => m
            .strip_prefix("m-")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| invalid_value(format!("Invalid marker: {m}")))?,
    };
    let size = size as usize;
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(start).take(size).collect();
    let next = (start + size < total).then(|| format!("m-{}", start + size));
    Ok((page, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_hold_between_20_and_100_records() {
        let items: Vec<i32> = (0..45).collect();
        let (p, next) = page(items.clone(), None, Some(20)).unwrap();
        assert_eq!(p.len(), 20);
        let (p2, next2) = page(items.clone(), next.as_deref(), Some(20)).unwrap();
        assert_eq!(p2[0], 20);
        let (p3, next3) = page(items.clone(), next2.as_deref(), Some(20)).unwrap();
        assert_eq!(p3.len(), 5);
        assert!(next3.is_none());
        assert!(page(items.clone(), None, Some(10)).is_err());
        assert!(page(items, Some("bogus"), None).is_err());
    }

    #[test]
    fn filters_match_any_of_their_values() {
        let f = vec![(
            "engine".to_string(),
            vec!["mysql".into(), "postgres".into()],
        )];
        assert!(passes(&f, "engine", &["postgres"]));
        assert!(!passes(&f, "engine", &["mariadb"]));
        assert!(passes(&f, "db-instance-id", &["x"]));
    }
}
