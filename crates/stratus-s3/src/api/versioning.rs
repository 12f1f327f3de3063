//! Bucket versioning and ListObjectVersions.

use s3s::dto::*;
use s3s::{S3ErrorCode, S3Request, S3Result};
use stratus_store::Batch;

use super::{Api, access_denied, caller, err, etag, internal, no_such_bucket, owner, ts};
use crate::listing::url_encode;
use crate::state::{self, ObjectMeta, TABLE};

impl Api {
    pub(crate) async fn put_bucket_versioning(
        &self,
        req: S3Request<PutBucketVersioningInput>,
    ) -> S3Result<PutBucketVersioningOutput> {
        let c = caller(&req);
        let i = req.input;
        let status = match i
            .versioning_configuration
            .status
            .as_ref()
            .map(|s| s.as_str())
        {
            Some(s @ ("Enabled" | "Suspended")) => s.to_string(),
            _ => {
                return Err(err(
                    S3ErrorCode::MalformedXML,
                    "The XML you provided was not well-formed or did not validate against our published schema",
                ));
            }
        };
        let mut s = self.engine.db.state.write();
        let b = s.buckets.get_mut(&i.bucket).ok_or_else(no_such_bucket)?;
        if b.meta.account != c.account {
            return Err(access_denied());
        }
        let mut next = b.meta.clone();
        next.versioning = Some(status);
        let mut batch = Batch::new();
        batch
            .put_json(TABLE, state::bucket_key(&i.bucket), &next)
            .map_err(internal)?;
        self.persist(batch)?;
        b.meta = next;
        Ok(PutBucketVersioningOutput::default())
    }

    pub(crate) async fn get_bucket_versioning(
        &self,
        req: S3Request<GetBucketVersioningInput>,
    ) -> S3Result<GetBucketVersioningOutput> {
        let c = caller(&req);
        self.check_bucket(&c, &req.input.bucket)?;
        let s = self.engine.db.state.read();
        let status = s
            .buckets
            .get(&req.input.bucket)
            .and_then(|b| b.meta.versioning.clone());
        Ok(GetBucketVersioningOutput {
            status: status.map(BucketVersioningStatus::from),
            mfa_delete: None,
        })
    }

    pub(crate) async fn list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<ListObjectVersionsOutput> {
        let c = caller(&req);
        let i = req.input;
        let url = match i.encoding_type.as_ref().map(|e| e.as_str()) {
            None => false,
            Some("url") => true,
            Some(_) => {
                return Err(err(
                    S3ErrorCode::InvalidArgument,
                    "Invalid Encoding Method specified in Request",
                ));
            }
        };
        let enc = |s: &str| if url { url_encode(s) } else { s.to_string() };
        let max = match i.max_keys {
            Some(n) if n < 0 => {
                return Err(err(
                    S3ErrorCode::InvalidArgument,
                    "max-keys cannot be negative",
                ));
            }
            Some(n) => (n as usize).min(1000),
            None => 1000,
        };
        let prefix = i.prefix.clone().unwrap_or_default();
        let key_marker = i.key_marker.clone().filter(|k| !k.is_empty());
        let vid_marker = i.version_id_marker.clone().filter(|v| !v.is_empty());
        let delimiter = i.delimiter.clone().filter(|d| !d.is_empty());
        let s = self.engine.db.state.read();
        let b = s.buckets.get(&i.bucket).ok_or_else(no_such_bucket)?;
        if b.meta.account != c.account {
            return Err(access_denied());
        }
        let mut keys: Vec<&String> = b
            .objects
            .keys()
            .chain(b.history.keys())
            .filter(|k| k.starts_with(&prefix))
            .collect();
        keys.sort();
        keys.dedup();
        let mut versions = Vec::new();
        let mut markers = Vec::new();
        let mut prefixes: Vec<String> = Vec::new();
        let mut count = 0;
        let mut truncated = false;
        let mut last: Option<(String, String)> = None;
        'keys: for key in keys {
            if let Some(km) = &key_marker {
                if key.as_str() < km.as_str() || (key == km && vid_marker.is_none()) {
                    continue;
                }
            }
            if let Some(d) = &delimiter {
                if let Some(pos) = key[prefix.len()..].find(d.as_str()) {
                    let cp = key[..prefix.len() + pos + d.len()].to_string();
                    if prefixes.last() == Some(&cp)
                        || key_marker.as_deref().is_some_and(|m| cp.as_str() <= m)
                    {
                        continue;
                    }
                    if count == max {
                        truncated = true;
                        break;
                    }
                    count += 1;
                    last = Some((cp.clone(), String::new()));
                    prefixes.push(cp);
                    continue;
                }
            }
            let ks = b.key_state(key);
            let entries: Vec<(bool, &ObjectMeta)> = ks
                .current
                .iter()
                .map(|o| (true, o))
                .chain(
                    ks.history
                        .iter()
                        .enumerate()
                        .map(|(n, o)| (n == 0 && ks.current.is_none(), o)),
                )
                .collect();
            let mut skipping = key_marker.as_deref() == Some(key.as_str()) && vid_marker.is_some();
            for (latest, o) in entries {
                let vid = o.version_id.clone().unwrap_or_else(|| "null".into());
                if skipping {
                    if Some(&vid) == vid_marker.as_ref() {
                        skipping = false;
                    }
                    continue;
                }
                if count == max {
                    truncated = true;
                    break 'keys;
                }
                count += 1;
                last = Some((key.clone(), vid.clone()));
                if o.delete_marker {
                    markers.push(DeleteMarkerEntry {
                        is_latest: Some(latest),
                        key: Some(enc(key)),
                        last_modified: Some(ts(o.last_modified_ms)),
                        owner: Some(owner(&b.meta.account)),
                        version_id: Some(vid),
                    });
                } else {
                    versions.push(ObjectVersion {
                        e_tag: Some(etag(&o.etag)),
                        is_latest: Some(latest),
                        key: Some(enc(key)),
                        last_modified: Some(ts(o.last_modified_ms)),
                        owner: Some(owner(&b.meta.account)),
                        size: Some(o.size as i64),
                        storage_class: Some(ObjectVersionStorageClass::from(
                            o.storage_class.clone().unwrap_or_else(|| "STANDARD".into()),
                        )),
                        version_id: Some(vid),
                        checksum_algorithm: o
                            .checksum
                            .as_ref()
                            .map(|c| vec![ChecksumAlgorithm::from(c.0.clone())]),
                        checksum_type: o.checksum.as_ref().map(|c| ChecksumType::from(c.2.clone())),
                        ..Default::default()
                    });
                }
            }
        }
        let (next_key, next_vid) = match (truncated, last) {
            (true, Some((k, v))) => (Some(enc(&k)), (!v.is_empty()).then_some(v)),
            _ => (None, None),
        };
        Ok(ListObjectVersionsOutput {
            name: Some(i.bucket.clone()),
            prefix: Some(enc(&prefix)),
            key_marker: Some(i.key_marker.clone().unwrap_or_default()),
            version_id_marker: Some(i.version_id_marker.clone().unwrap_or_default()),
            max_keys: Some(i.max_keys.unwrap_or(1000)),
            is_truncated: Some(truncated),
            next_key_marker: next_key,
            next_version_id_marker: next_vid,
            versions: (!versions.is_empty()).then_some(versions),
            delete_markers: (!markers.is_empty()).then_some(markers),
            common_prefixes: (!prefixes.is_empty()).then(|| {
                prefixes
                    .into_iter()
                    .map(|p| CommonPrefix {
                        prefix: Some(enc(&p)),
                    })
                    .collect()
            }),
            delimiter: i.delimiter.as_deref().map(enc),
            encoding_type: i.encoding_type,
            ..Default::default()
        })
    }
}
