//! ListObjects (v1) and ListObjectsV2.

use s3s::dto::*;
use s3s::{S3ErrorCode, S3Request, S3Result};

use super::bucket::{decode_token, encode_token};
use super::{Api, access_denied, caller, err, etag, no_such_bucket, owner, ts};
use crate::listing::{self, Item, url_encode};
use crate::state::ObjectMeta;

fn max_keys(m: Option<i32>) -> S3Result<usize> {
    match m {
        Some(n) if n < 0 => Err(err(
            S3ErrorCode::InvalidArgument,
            "Argument maxKeys must be an integer between 0 and 2147483647",
        )),
        Some(n) => Ok((n as usize).min(1000)),
        None => Ok(1000),
    }
}

fn object(key: &str, o: &ObjectMeta, url: bool, with_owner: Option<&str>) -> Object {
    Object {
        key: Some(if url {
            url_encode(key)
        } else {
            key.to_string()
        }),
        e_tag: Some(etag(&o.etag)),
        last_modified: Some(ts(o.last_modified_ms)),
        size: Some(o.size as i64),
        storage_class: Some(ObjectStorageClass::from(
            o.storage_class.clone().unwrap_or_else(|| "STANDARD".into()),
        )),
        owner: with_owner.map(owner),
        checksum_algorithm: o
            .checksum
            .as_ref()
            .map(|c| vec![ChecksumAlgorithm::from(c.0.clone())]),
        checksum_type: o.checksum.as_ref().map(|c| ChecksumType::from(c.2.clone())),
        ..Default::default()
    }
}

fn is_url(e: Option<&EncodingType>) -> S3Result<bool> {
    match e.map(|e| e.as_str()) {
        None => Ok(false),
        Some("url") => Ok(true),
        Some(_) => Err(err(
            S3ErrorCode::InvalidArgument,
            "Invalid Encoding Method specified in Request",
        )),
    }
}

impl Api {
    pub(crate) async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<ListObjectsOutput> {
        let c = caller(&req);
        let i = req.input;
        let url = is_url(i.encoding_type.as_ref())?;
        let max = max_keys(i.max_keys)?;
        let prefix = i.prefix.clone().unwrap_or_default();
        let s = self.engine.db.state.read();
        let b = s.buckets.get(&i.bucket).ok_or_else(no_such_bucket)?;
        if b.meta.account != c.account {
            return Err(access_denied());
        }
        let page = listing::page(
            &b.objects,
            &prefix,
            i.delimiter.as_deref(),
            i.marker.as_deref().filter(|m| !m.is_empty()),
            max,
        );
        let enc = |s: &str| if url { url_encode(s) } else { s.to_string() };
        let next_marker = (page.truncated && i.delimiter.is_some())
            .then(|| page.items.last().map(|x| enc(x.name())))
            .flatten();
        let mut contents = Vec::new();
        let mut prefixes = Vec::new();
        for item in &page.items {
            match item {
                Item::Key(k, o) => contents.push(object(k, o, url, Some(&b.meta.account))),
                Item::Prefix(p) => prefixes.push(CommonPrefix {
                    prefix: Some(enc(p)),
                }),
            }
        }
        Ok(ListObjectsOutput {
            name: Some(i.bucket.clone()),
            prefix: Some(enc(&prefix)),
            marker: Some(enc(i.marker.as_deref().unwrap_or(""))),
            max_keys: Some(i.max_keys.unwrap_or(1000)),
            is_truncated: Some(page.truncated),
            contents: (!contents.is_empty()).then_some(contents),
            common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
            delimiter: i.delimiter.as_deref().map(enc),
            next_marker,
            encoding_type: i.encoding_type,
            ..Default::default()
        })
    }

    pub(crate) async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<ListObjectsV2Output> {
        let c = caller(&req);
        let i = req.input;
        let url = is_url(i.encoding_type.as_ref())?;
        let max = max_keys(i.max_keys)?;
        let prefix = i.prefix.clone().unwrap_or_default();
        let after = match i.continuation_token.as_deref() {
            Some(t) => Some(decode_token(t).ok_or_else(|| {
                err(
                    S3ErrorCode::InvalidArgument,
                    "The continuation token provided is incorrect",
                )
            })?),
            None => i.start_after.clone().filter(|s| !s.is_empty()),
        };
        let s = self.engine.db.state.read();
        let b = s.buckets.get(&i.bucket).ok_or_else(no_such_bucket)?;
        if b.meta.account != c.account {
            return Err(access_denied());
        }
        let page = listing::page(
            &b.objects,
            &prefix,
            i.delimiter.as_deref(),
            after.as_deref(),
            max,
        );
        let enc = |s: &str| if url { url_encode(s) } else { s.to_string() };
        let fetch_owner = i.fetch_owner.unwrap_or(false);
        let mut contents = Vec::new();
        let mut prefixes = Vec::new();
        for item in &page.items {
            match item {
                Item::Key(k, o) => contents.push(object(
                    k,
                    o,
                    url,
                    fetch_owner.then_some(b.meta.account.as_str()),
                )),
                Item::Prefix(p) => prefixes.push(CommonPrefix {
                    prefix: Some(enc(p)),
                }),
            }
        }
        let next = page
            .truncated
            .then(|| page.items.last().map(|x| encode_token(x.name())))
            .flatten();
        Ok(ListObjectsV2Output {
            name: Some(i.bucket.clone()),
            prefix: Some(enc(&prefix)),
            max_keys: Some(i.max_keys.unwrap_or(1000)),
            key_count: Some(page.items.len() as i32),
            continuation_token: i.continuation_token.clone(),
            is_truncated: Some(page.truncated),
            next_continuation_token: next,
            contents: (!contents.is_empty()).then_some(contents),
            common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
            delimiter: i.delimiter.as_deref().map(enc),
            encoding_type: i.encoding_type,
            start_after: i.start_after.as_deref().map(enc),
            ..Default::default()
        })
    }
}
