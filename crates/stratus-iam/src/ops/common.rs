//! What every IAM operation shares: ids, dates, ARNs, tags, paging, errors.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use stratus_core::{AwsError, RequestContext, ids};
use stratus_protocol::Timestamp;

use crate::generated::{AttachedPermissionsBoundary, Tag};
use crate::policy::document::{malformed, packed_len};
use crate::policy::{PolicyDocument, PolicyKind};
use crate::state::Tags;

/// AWS reports IAM dates to the second.
pub fn now(ctx: &RequestContext) -> i64 {
    ctx.clock.now_millis() / 1000 * 1000
}

pub fn ts(ms: i64) -> Timestamp {
    Timestamp(ms)
}

/// A unique id: `AIDA`, `AGPA`, `AROA`, `ANPA`, `AIPA` + 17 characters.
pub fn unique_id(prefix: &str) -> String {
    ids::key_id(prefix, 17)
}

pub fn arn(account: &str, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:{kind}{path}{name}")
}

pub fn path_or_root(p: Option<String>) -> String {
    p.unwrap_or_else(|| "/".to_string())
}

pub fn exists(msg: impl Into<String>) -> AwsError {
    AwsError::new(409, "EntityAlreadyExists", msg)
}

pub fn conflict(msg: impl Into<String>) -> AwsError {
    AwsError::new(409, "DeleteConflict", msg)
}

pub fn limit(msg: impl Into<String>) -> AwsError {
    AwsError::new(409, "LimitExceeded", msg)
}

pub fn invalid(msg: impl Into<String>) -> AwsError {
    AwsError::bad_request("InvalidInput", msg)
}

pub fn validation(msg: impl Into<String>) -> AwsError {
    AwsError::bad_request("ValidationError", msg)
}

/// The caller's own user name, for operations whose UserName defaults to the
/// caller (GetUser, CreateAccessKey, ...).
pub fn self_user(ctx: &RequestContext, given: Option<String>) -> Result<Option<String>, AwsError> {
    if given.is_some() {
        return Ok(given);
    }
    match ctx.identity.kind {
        stratus_core::IdentityKind::User => {
            Ok(ctx.identity.arn.rsplit('/').next().map(str::to_string))
        }
        stratus_core::IdentityKind::Root => Ok(None),
        _ => Err(validation(
            "Must specify userName when calling with non-User credentials",
        )),
    }
}

pub fn tags_out(t: &Tags) -> Vec<Tag> {
    t.0.iter()
        .map(|(k, v)| Tag {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}

pub fn tags_opt(t: &Tags) -> Option<Vec<Tag>> {
    (!t.0.is_empty()).then(|| tags_out(t))
}

const MAX_TAGS: usize = 50;

/// Adds or replaces tags (keys compare case-insensitively, as IAM does).
pub fn tag(t: &mut Tags, new: Vec<Tag>) -> Result<(), AwsError> {
    let mut seen = std::collections::HashSet::new();
    for n in &new {
        if !seen.insert(n.key.to_lowercase()) {
            return Err(invalid(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
    }
    let mut out = t.0.clone();
    for n in new {
        match out.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(&n.key)) {
            Some(slot) => *slot = (n.key, n.value),
            None => out.push((n.key, n.value)),
        }
    }
    if out.len() > MAX_TAGS {
        return Err(limit("The number of tags has reached the maximum limit."));
    }
    t.0 = out;
    Ok(())
}

pub fn untag(t: &mut Tags, keys: &[String]) {
    t.0.retain(|(k, _)| !keys.iter().any(|x| x.eq_ignore_ascii_case(k)));
}

pub fn boundary_out(b: &Option<String>) -> Option<AttachedPermissionsBoundary> {
    b.as_ref().map(|arn| AttachedPermissionsBoundary {
        permissions_boundary_type: Some("PermissionsBoundaryPolicy".into()),
        permissions_boundary_arn: Some(arn.clone()),
    })
}

/// One page of `items`: (page, is_truncated, next marker).
pub struct Page<T> {
    pub items: Vec<T>,
    pub truncated: bool,
    pub marker: Option<String>,
}

impl<T> Page<T> {
    pub fn truncated(&self) -> Option<bool> {
        Some(self.truncated)
    }
}

pub fn paginate<T>(
    items: Vec<T>,
    marker: Option<String>,
    max_items: Option<i32>,
) -> Result<Page<T>, AwsError> {
    let start = match marker {
        None => 0,
        Some(m) => B64
            .decode(m.as_bytes())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.parse::<usize>().ok())
            .ok_or_else(|| invalid("Invalid Marker."))?,
    };
    let max = max_items.map_or(100, |m| m.max(1) as usize);
    let total = items.len();
    let end = (start + max).min(total);
    let page: Vec<T> = items.into_iter().skip(start).take(max).collect();
    let truncated = end < total;
    Ok(Page {
        items: page,
        truncated,
        marker: truncated.then(|| B64.encode(end.to_string())),
    })
}

pub fn under_prefix(path: &str, prefix: &Option<String>) -> bool {
    prefix.as_deref().is_none_or(|p| path.starts_with(p))
}

/// Per-kind size limits for documents (characters, whitespace excluded).
pub enum DocUse<'a> {
    Managed,
    UserInline(&'a str),
    GroupInline(&'a str),
    RoleInline(&'a str),
    Trust,
}

/// Validates a document for storage, with AWS's limits and reasons.
pub fn check_document(text: &str, usage: DocUse) -> Result<PolicyDocument, AwsError> {
    let size = packed_len(text);
    let too_big =
        |quota: &str, max: usize| limit(format!("Cannot exceed quota for {quota}: {max}"));
    match usage {
        DocUse::Managed if size > 6144 => return Err(too_big("PolicySize", 6144)),
        DocUse::UserInline(u) if size > 2048 => {
            return Err(limit(format!(
                "Maximum policy size of 2048 bytes exceeded for user {u}"
            )));
        }
        DocUse::GroupInline(g) if size > 5120 => {
            return Err(limit(format!(
                "Maximum policy size of 5120 bytes exceeded for group {g}"
            )));
        }
        DocUse::RoleInline(r) if size > 10240 => {
            return Err(limit(format!(
                "Maximum policy size of 10240 bytes exceeded for role {r}"
            )));
        }
        DocUse::Trust if size > 2048 => return Err(too_big("ACLSizePerRole", 2048)),
        _ => {}
    }
    let kind = match usage {
        DocUse::Trust => PolicyKind::Trust,
        _ => PolicyKind::Identity,
    };
    let doc = PolicyDocument::parse(text, kind)?;
    if matches!(usage, DocUse::Managed) && doc.version.as_deref() != Some("2012-10-17") {
        return Err(malformed(
            "Policy document must be version 2012-10-17 or greater.",
        ));
    }
    Ok(doc)
}

/// IAM hands documents back URL-encoded on the query wire (as AWS does);
/// boto3 and the CLI decode them.
pub fn doc_out(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, DOC_ENCODE).to_string()
}

const DOC_ENCODE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_walk_the_list() {
        let p = paginate((0..5).collect::<Vec<_>>(), None, Some(2)).unwrap();
        assert_eq!((p.items.clone(), p.truncated), (vec![0, 1], true));
        let p2 = paginate((0..5).collect::<Vec<_>>(), p.marker, Some(2)).unwrap();
        assert_eq!(p2.items, vec![2, 3]);
        let p3 = paginate((0..5).collect::<Vec<_>>(), p2.marker, Some(2)).unwrap();
        assert_eq!((p3.items, p3.truncated, p3.marker), (vec![4], false, None));
        assert!(paginate(vec![1], Some("!!".into()), None).is_err());
    }

    #[test]
    fn tags_merge_case_insensitively() {
        let mut t = Tags::default();
        tag(
            &mut t,
            vec![Tag {
                key: "Env".into(),
                value: "a".into(),
            }],
        )
        .unwrap();
        tag(
            &mut t,
            vec![Tag {
                key: "env".into(),
                value: "b".into(),
            }],
        )
        .unwrap();
        assert_eq!(t.0, vec![("env".to_string(), "b".to_string())]);
        untag(&mut t, &["ENV".into()]);
        assert!(t.0.is_empty());
    }

    #[test]
    fn documents_are_url_encoded() {
        assert_eq!(doc_out("{\"a\": 1}"), "%7B%22a%22%3A%201%7D");
    }
}
