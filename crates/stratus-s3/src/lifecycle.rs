//! Lifecycle rules: validation, and the background task that applies
//! expirations on the (injectable) clock, as S3 does once a day.

use std::sync::Arc;

use s3s::dto::{BucketLifecycleConfiguration, LifecycleRule};

use crate::Engine;
use crate::api::{self, Api, Deleted};
use crate::notify;
use crate::state::ObjectMeta;

const DAY_MS: i64 = 86_400_000;

pub fn validate(cfg: &BucketLifecycleConfiguration) -> Result<(), String> {
    if cfg.rules.is_empty() || cfg.rules.len() > 1000 {
        return Err("The number of lifecycle rules must be between 1 and 1000".into());
    }
    for r in &cfg.rules {
        if r.id.as_ref().is_some_and(|id| id.len() > 255) {
            return Err("ID length should not exceed allowed limit of 255".into());
        }
        if r.expiration.is_none()
            && r.noncurrent_version_expiration.is_none()
            && r.abort_incomplete_multipart_upload.is_none()
            && r.transitions.as_ref().is_none_or(|t| t.is_empty())
            && r.noncurrent_version_transitions
                .as_ref()
                .is_none_or(|t| t.is_empty())
        {
            return Err("At least one action needs to be specified in a rule".into());
        }
        if let Some(e) = &r.expiration {
            if e.days.is_some_and(|d| d <= 0) {
                return Err("'Days' for Expiration action must be a positive integer".into());
            }
        }
        if r.noncurrent_version_expiration
            .as_ref()
            .and_then(|n| n.noncurrent_days)
            .is_some_and(|d| d <= 0)
        {
            return Err("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer".into());
        }
    }
    Ok(())
}

/// S3 counts days from the event and rounds up to the next midnight UTC.
pub fn due(from_ms: i64, days: i32) -> i64 {
    let t = from_ms + i64::from(days) * DAY_MS;
    t.div_euclid(DAY_MS) * DAY_MS + if t.rem_euclid(DAY_MS) == 0 { 0 } else { DAY_MS }
}

fn enabled(r: &LifecycleRule) -> bool {
    r.status.as_str() == "Enabled"
}

/// Whether the rule's filter (prefix, tags, sizes) selects the object.
pub fn selects(r: &LifecycleRule, key: &str, o: &ObjectMeta) -> bool {
    let mut prefix = r.prefix.clone();
    let mut tags = Vec::new();
    let (mut gt, mut lt) = (None, None);
    if let Some(f) = &r.filter {
        prefix = prefix.or(f.prefix.clone());
        tags.extend(f.tag.iter().cloned());
        gt = f.object_size_greater_than;
        lt = f.object_size_less_than;
        if let Some(a) = &f.and {
            prefix = prefix.or(a.prefix.clone());
            tags.extend(a.tags.iter().flatten().cloned());
            gt = gt.or(a.object_size_greater_than);
            lt = lt.or(a.object_size_less_than);
        }
    }
    let size = o.size as i64;
    key.starts_with(prefix.as_deref().unwrap_or(""))
        && tags.iter().all(|t| {
            o.tags
                .iter()
                .any(|(k, v)| Some(k) == t.key.as_ref() && Some(v) == t.value.as_ref())
        })
        && gt.is_none_or(|g| size > g)
        && lt.is_none_or(|l| size < l)
}

/// Applies every bucket's lifecycle rules as of `now_ms`.
pub struct LifecycleTask {
    pub(crate) api: Api,
    /// For the notifications expirations send through SNS.
    clock: stratus_core::Clock,
}

impl LifecycleTask {
    pub(crate) fn new(engine: Arc<Engine>, clock: stratus_core::Clock) -> LifecycleTask {
        LifecycleTask {
            api: Api { engine },
            clock,
        }
    }

    /// Reports an expiration to the bucket's notification targets, as S3
    /// itself (`s3.amazonaws.com`) made it.
    fn notify(&self, bucket: &str, key: &str, d: &Deleted, version_requested: bool, now_ms: i64) {
        let targets = &self.api.engine.targets;
        if !targets.any() {
            return;
        }
        let name = notify::removal_name(version_requested, d.delete_marker, true);
        let (out, ctx) = {
            let s = self.api.engine.db.state.read();
            let Some(b) = s.buckets.get(bucket) else {
                return;
            };
            let ctx = stratus_core::RequestContext::on_behalf(
                "s3",
                "LifecycleExpiration",
                &b.meta.account,
                &b.meta.region,
                &self.clock,
            );
            let out = notify::messages(&notify::Event {
                name,
                bucket: &b.meta,
                key,
                object: None,
                version_id: d.version_id.as_deref(),
                principal: "s3.amazonaws.com",
                request_id: &ctx.request_id,
                now_ms,
            });
            (out, ctx)
        };
        targets.send_all(&ctx, out, now_ms);
    }

    fn run(&self, now_ms: i64) {
        let buckets: Vec<(String, BucketLifecycleConfiguration)> = {
            let s = self.api.engine.db.state.read();
            s.buckets
                .values()
                .filter_map(|b| {
                    api::stored_config(&b.meta, "lifecycle").map(|c| (b.meta.name.clone(), c))
                })
                .collect()
        };
        for (bucket, cfg) in buckets {
            for rule in cfg.rules.iter().filter(|r| enabled(r)) {
                self.apply(&bucket, rule, now_ms);
            }
        }
    }

    fn apply(&self, bucket: &str, rule: &LifecycleRule, now_ms: i64) {
        let mut expire_current = Vec::new();
        let mut expire_versions = Vec::new();
        let mut abort = Vec::new();
        {
            let s = self.api.engine.db.state.read();
            let Some(b) = s.buckets.get(bucket) else {
                return;
            };
            if let Some(e) = &rule.expiration {
                let date = e.date.as_ref().map(api::ms_of);
                for (k, o) in &b.objects {
                    let is_due = match (e.days, date) {
                        (Some(d), _) => now_ms >= due(o.last_modified_ms, d),
                        (None, Some(at)) => now_ms >= at,
                        _ => false,
                    };
                    if is_due && selects(rule, k, o) {
                        expire_current.push(k.clone());
                    }
                }
                if e.expired_object_delete_marker == Some(true) {
                    for (k, h) in &b.history {
                        if !b.objects.contains_key(k)
                            && h.len() == 1
                            && h[0].delete_marker
                            && selects(rule, k, &h[0])
                        {
                            expire_versions.push((
                                k.clone(),
                                h[0].version_id.clone().unwrap_or_else(|| "null".into()),
                            ));
                        }
                    }
                }
            }
            if let Some(days) = rule
                .noncurrent_version_expiration
                .as_ref()
                .and_then(|n| n.noncurrent_days)
            {
                for (k, h) in &b.history {
                    // A version became noncurrent when its successor was written.
                    let mut newer = b.objects.get(k).map(|o| o.last_modified_ms);
                    for o in h {
                        if let Some(since) = newer {
                            if !o.delete_marker && now_ms >= due(since, days) && selects(rule, k, o)
                            {
                                expire_versions.push((
                                    k.clone(),
                                    o.version_id.clone().unwrap_or_else(|| "null".into()),
                                ));
                            }
                        }
                        newer = Some(o.last_modified_ms);
                    }
                }
            }
            if let Some(days) = rule
                .abort_incomplete_multipart_upload
                .as_ref()
                .and_then(|a| a.days_after_initiation)
            {
                for u in b.uploads.values() {
                    let prefix_ok = selects(rule, &u.key, &u.template);
                    if prefix_ok && now_ms >= due(u.initiated_ms, days) {
                        abort.push(u.id.clone());
                    }
                }
            }
        }
        for k in expire_current {
            match self.api.delete_key(bucket, &k, None, now_ms) {
                Ok(d) => self.notify(bucket, &k, &d, false, now_ms),
                Err(e) => {
                    tracing::warn!(bucket, key = %k, error = ?e, "lifecycle expiration failed")
                }
            }
        }
        for (k, v) in expire_versions {
            match self.api.delete_key(bucket, &k, Some(&v), now_ms) {
                Ok(d) => self.notify(bucket, &k, &d, true, now_ms),
                Err(e) => {
                    tracing::warn!(bucket, key = %k, error = ?e, "lifecycle version expiration failed")
                }
            }
        }
        for id in abort {
            if let Err(e) = self.api.drop_upload(bucket, &id) {
                tracing::warn!(bucket, upload = %id, error = ?e, "lifecycle abort failed");
            }
        }
    }
}

impl stratus_core::tasks::Task for LifecycleTask {
    fn name(&self) -> &str {
        "s3-lifecycle"
    }

    fn tick(&self, now_ms: i64) {
        self.run(now_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_rounds_up_to_midnight() {
        let noon = 10 * DAY_MS + DAY_MS / 2;
        assert_eq!(due(noon, 1), 12 * DAY_MS);
        assert_eq!(due(10 * DAY_MS, 1), 11 * DAY_MS);
    }
}
