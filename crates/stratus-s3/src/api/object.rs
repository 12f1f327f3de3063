//! Objects: put, get, head, delete, copy, tagging.

use std::io;

use bytes::Bytes;
use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Result};
use stratus_store::Batch;

use super::checksum;
use super::{
    Api, access_denied, caller, err, etag, internal, ms_of, no_such_bucket, no_such_key, ts,
};
use crate::conditions::{self, Conditions, Outcome, Tag};
use crate::files::{Piece, Staged, WriteError};
use crate::state::{self, ObjectMeta, TABLE};

const MAX_PUT: i64 = 5 << 30;
/// Objects up to this size are read in one go rather than streamed.
const SMALL: u64 = 256 << 10;

pub(crate) fn write_error(e: WriteError) -> S3Error {
    match e {
        WriteError::Io(e) => internal(e),
        // s3s checks aws-chunked signatures as the body streams.
        WriteError::Body(msg) if msg.contains("SignatureMismatch") => err(
            S3ErrorCode::SignatureDoesNotMatch,
            crate::signature::MSG_MISMATCH,
        ),
        // s3s checks a signed payload's SHA-256 as the body streams.
        WriteError::Body(msg) if msg.contains("Sha256Mismatch") => {
            let mut e = err(
                S3ErrorCode::Custom("XAmzContentSHA256Mismatch".into()),
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            );
            e.set_status_code(http::StatusCode::BAD_REQUEST);
            e
        }
        WriteError::Body(msg) => {
            tracing::debug!(%msg, "request body failed");
            err(
                S3ErrorCode::IncompleteBody,
                "You did not provide the number of bytes specified by the Content-Length HTTP header.",
            )
        }
    }
}

pub(crate) fn precondition_failed() -> S3Error {
    err(
        S3ErrorCode::PreconditionFailed,
        "At least one of the pre-conditions you specified did not hold",
    )
}

fn not_modified() -> S3Error {
    err(S3ErrorCode::NotModified, "Not Modified")
}

pub(crate) fn parse_tagging(s: &str) -> S3Result<Vec<(String, String)>> {
    let tags = stratus_protocol::codec::parse_form(s.as_bytes());
    validate_tags(&tags)?;
    Ok(tags)
}

pub(crate) fn validate_tags(tags: &[(String, String)]) -> S3Result<()> {
    if tags.len() > 10 {
        return Err(err(
            S3ErrorCode::InvalidTag,
            "Object tags cannot be greater than 10",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (k, v) in tags {
        if k.is_empty() || k.chars().count() > 128 {
            return Err(err(
                S3ErrorCode::InvalidTag,
                "The TagKey you have provided is invalid",
            ));
        }
        if v.chars().count() > 256 {
            return Err(err(
                S3ErrorCode::InvalidTag,
                "The TagValue you have provided is too long, max length is 256",
            ));
        }
        if !seen.insert(k) {
            return Err(err(
                S3ErrorCode::InvalidTag,
                "Cannot provide multiple Tags with the same key",
            ));
        }
    }
    Ok(())
}

pub(crate) fn tag_set(tags: &[(String, String)]) -> TagSet {
    tags.iter()
        .map(|(k, v)| s3s::dto::Tag {
            key: Some(k.clone()),
            value: Some(v.clone()),
        })
        .collect()
}

fn checksum_of(meta: &ObjectMeta) -> Checksum {
    let mut c = Checksum::default();
    if let Some((algo, value, _)) = &meta.checksum {
        checksum::set(&mut c, algo, value.clone());
    }
    c
}

fn storage_class_out(meta: &ObjectMeta) -> Option<StorageClass> {
    meta.storage_class
        .as_deref()
        .filter(|s| *s != "STANDARD")
        .map(|s| StorageClass::from(s.to_string()))
}

/// Reads and discards what is left of a refused upload (up to a bound), so
/// the client sees the error rather than a connection closed mid-send.
pub(crate) async fn drain(body: Option<StreamingBlob>) {
    use futures::StreamExt;
    const MAX_DRAIN: usize = 64 << 20;
    let Some(mut body) = body else { return };
    let mut seen = 0;
    while let Some(Ok(chunk)) = body.next().await {
        seen += chunk.len();
        if seen > MAX_DRAIN {
            break;
        }
    }
}

pub(crate) fn new_version_id() -> String {
    stratus_core::ids::alnum(32)
}

#[derive(Default)]
pub(crate) struct Deleted {
    pub delete_marker: bool,
    pub version_id: Option<String>,
}

/// Headers S3 adds when a delete marker answers a request.
fn marker_headers(marker: Option<&ObjectMeta>) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    h.insert(
        "content-type",
        http::HeaderValue::from_static("application/xml"),
    );
    h.insert(
        "x-amz-delete-marker",
        http::HeaderValue::from_static("true"),
    );
    if let Some(m) = marker {
        let v = m.version_id.clone().unwrap_or_else(|| "null".into());
        if let Ok(v) = http::HeaderValue::from_str(&v) {
            h.insert("x-amz-version-id", v);
        }
        if let Ok(v) =
            http::HeaderValue::from_str(&stratus_core::time::http_date(m.last_modified_ms))
        {
            h.insert("last-modified", v);
        }
    }
    h
}

/// A file read as a body, from its current position for `remaining` bytes.
/// Large bodies are read on a blocking thread a mebibyte at a time, a few
/// mebibytes ahead of the socket, so disk reads overlap with sending.
const READ_CHUNK: u64 = 1 << 20;
const READ_AHEAD: usize = 4;

fn file_stream(mut f: std::fs::File, len: u64) -> impl futures::Stream<Item = io::Result<Bytes>> {
    use std::io::Read;
    let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(READ_AHEAD);
    tokio::task::spawn_blocking(move || {
        let mut left = len;
        while left > 0 {
            let want = left.min(READ_CHUNK) as usize;
            let mut buf = vec![0u8; want];
            let read = f.read_exact(&mut buf).map_err(|e| {
                if e.kind() == io::ErrorKind::UnexpectedEof {
                    io::Error::new(e.kind(), "object file shorter than its metadata")
                } else {
                    e
                }
            });
            let failed = read.is_err();
            // A closed channel means the client went away: stop reading.
            if tx.blocking_send(read.map(|()| Bytes::from(buf))).is_err() || failed {
                return;
            }
            left -= want as u64;
        }
    });
    futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
}

/// An object's bytes, ready to read: its open data file, or the bytes its
/// metadata holds.
pub(crate) enum Content {
    File(std::fs::File),
    Inline(Bytes),
}

impl Content {
    /// Opens the object's bytes; `None` for an empty object.
    pub(crate) fn open(files: &crate::files::Files, o: &ObjectMeta) -> io::Result<Option<Content>> {
        if let Some(b) = &o.inline {
            return Ok(Some(Content::Inline(b.clone())));
        }
        if o.file.is_empty() {
            return Ok(None);
        }
        std::fs::File::open(files.data_path(&o.file)).map(|f| Some(Content::File(f)))
    }
}

/// The object's bytes `[start, start+len)` as a body.
pub(crate) fn body_of(content: Option<Content>, start: u64, len: u64) -> S3Result<StreamingBlob> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = match content {
        None => {
            return Ok(StreamingBlob::wrap(futures::stream::empty::<
                io::Result<Bytes>,
            >()));
        }
        Some(Content::Inline(b)) => {
            let start = usize::try_from(start).unwrap_or(usize::MAX).min(b.len());
            let end = start
                .saturating_add(usize::try_from(len).unwrap_or(usize::MAX))
                .min(b.len());
            let part = b.slice(start..end);
            return Ok(StreamingBlob::wrap(futures::stream::once(async move {
                Ok::<_, io::Error>(part)
            })));
        }
        Some(Content::File(f)) => f,
    };
    if start > 0 {
        f.seek(SeekFrom::Start(start)).map_err(internal)?;
    }
    if len <= SMALL {
        let mut buf = vec![0u8; len as usize];
        f.read_exact(&mut buf).map_err(internal)?;
        return Ok(StreamingBlob::wrap(futures::stream::once(async move {
            Ok::<_, io::Error>(Bytes::from(buf))
        })));
    }
    // A file shorter than its metadata says must not be mapped (reading
    // past its end would fault); the reader reports it instead.
    if f.metadata()
        .is_ok_and(|m| m.len() >= start.saturating_add(len))
    {
        return Ok(StreamingBlob::wrap(futures::stream::iter(
            crate::mapped::chunks(f, start, len),
        )));
    }
    Ok(StreamingBlob::wrap(file_stream(f, len)))
}

pub(crate) struct Found {
    pub meta: ObjectMeta,
    pub content: Option<Content>,
}

impl Api {
    /// The object and an open handle on its bytes, taken under the lock so
    /// a concurrent overwrite cannot remove the file first.
    pub(crate) fn find(
        &self,
        account: &str,
        bucket: &str,
        key: &str,
        open: bool,
    ) -> S3Result<Found> {
        self.find_version(account, bucket, key, None, open)
    }

    /// The current object, or the version asked for; a delete marker
    /// answers as S3 does (404 for the latest, 405 when named).
    pub(crate) fn find_version(
        &self,
        account: &str,
        bucket: &str,
        key: &str,
        version: Option<&str>,
        open: bool,
    ) -> S3Result<Found> {
        let s = self.engine.db.state.read();
        let b = s.buckets.get(bucket).ok_or_else(no_such_bucket)?;
        if b.meta.account != account {
            return Err(access_denied());
        }
        let meta = match version {
            None => match b.objects.get(key) {
                Some(o) => o.clone(),
                None => {
                    let ks = b.key_state(key);
                    let mut e = no_such_key();
                    if ks.marker_is_latest() {
                        e.set_headers(marker_headers(ks.history.first()));
                    }
                    return Err(e);
                }
            },
            Some(v) => {
                let ks = b.key_state(key);
                let o = ks.find(v).cloned().ok_or_else(|| {
                    err(
                        S3ErrorCode::NoSuchVersion,
                        "The specified version does not exist.",
                    )
                })?;
                if o.delete_marker {
                    let mut e = err(
                        S3ErrorCode::MethodNotAllowed,
                        "The specified method is not allowed against this resource.",
                    );
                    e.set_headers(marker_headers(Some(&o)));
                    return Err(e);
                }
                o
            }
        };
        let content = if open {
            Content::open(&self.engine.files, &meta).map_err(internal)?
        } else {
            None
        };
        Ok(Found { meta, content })
    }

    /// Conditional writes: `If-None-Match: *` and `If-Match: etag`.
    fn check_write(
        &self,
        bucket: &str,
        key: &str,
        if_match: Option<&Tag>,
        if_none_match: Option<&Tag>,
    ) -> S3Result<()> {
        let s = self.engine.db.state.read();
        let b = s.buckets.get(bucket).ok_or_else(no_such_bucket)?;
        let existing = b.objects.get(key);
        if let Some(t) = if_none_match {
            if !matches!(t, Tag::Any) {
                return Err(err(
                    S3ErrorCode::NotImplemented,
                    "A header you provided implies functionality that is not implemented",
                ));
            }
            if existing.is_some() {
                return Err(precondition_failed());
            }
        }
        if let Some(t) = if_match {
            let Some(o) = existing else {
                return Err(no_such_key());
            };
            let c = Conditions {
                if_match: Some(t.clone()),
                ..Default::default()
            };
            if conditions::evaluate(&c, &o.etag, o.last_modified_ms, i64::MAX) != Outcome::Proceed {
                return Err(precondition_failed());
            }
        }
        Ok(())
    }

    /// Makes staged bytes the object's, and the metadata visible, in that
    /// order; the conditions are checked again under the lock.
    pub(crate) async fn commit_object(
        &self,
        bucket: &str,
        mut meta: ObjectMeta,
        staged: Option<Staged>,
        if_match: Option<&Tag>,
        if_none_match: Option<&Tag>,
    ) -> S3Result<Option<String>> {
        if let Err(e) = self.check_write(bucket, &meta.key, if_match, if_none_match) {
            if let Some(t) = &staged {
                self.engine.files.discard(t).await;
            }
            return Err(e);
        }
        match staged {
            Some(t) if meta.size > 0 => {
                (meta.file, meta.inline) = self.engine.files.publish(t).await.map_err(internal)?;
            }
            Some(t) => {
                self.engine.files.discard(&t).await;
                meta.file = String::new();
                meta.inline = None;
            }
            None => {}
        }
        let (dropped, version_id) = {
            let mut s = self.engine.db.state.write();
            let recheck = {
                let b = s.buckets.get(bucket).ok_or_else(no_such_bucket);
                b.and_then(|b| {
                    let existing = b.objects.get(&meta.key);
                    if matches!(if_none_match, Some(Tag::Any)) && existing.is_some() {
                        return Err(precondition_failed());
                    }
                    if let Some(Tag::Is(t)) = if_match {
                        if existing.is_none_or(|o| o.etag != t.trim_matches('"')) {
                            return Err(precondition_failed());
                        }
                    }
                    Ok(())
                })
            };
            if let Err(e) = recheck {
                drop(s);
                if !meta.file.is_empty() {
                    self.engine.files.remove(&meta.file);
                }
                return Err(e);
            }
            let b = s.buckets.get_mut(bucket).ok_or_else(no_such_bucket)?;
            let key = meta.key.clone();
            let file = meta.file.clone();
            let mut ks = b.key_state(&key);
            let dropped = ks.put(meta, b.mode(), new_version_id());
            let version_id = ks.current.as_ref().and_then(|c| c.version_id.clone());
            if let Err(e) = self.persist_key(b, &key, &ks) {
                drop(s);
                if !file.is_empty() {
                    self.engine.files.remove(&file);
                }
                return Err(e);
            }
            b.set_key_state(&key, ks);
            (dropped, version_id)
        };
        for f in dropped {
            self.engine.files.remove(&f);
        }
        Ok(version_id)
    }

    /// Everything PutObject checks before reading the body.
    #[allow(clippy::type_complexity)]
    fn check_put(
        &self,
        c: &crate::CallerInfo,
        input: &PutObjectInput,
        headers: &http::HeaderMap,
    ) -> S3Result<(
        Option<Tag>,
        Option<Tag>,
        Vec<(String, String)>,
        Option<String>,
        Option<String>,
        checksum::Wanted,
    )> {
        self.check_bucket(c, &input.bucket)?;
        if input.content_length.is_some_and(|l| l > MAX_PUT) {
            return Err(err(
                S3ErrorCode::EntityTooLarge,
                "Your proposed upload exceeds the maximum allowed size",
            ));
        }
        let if_match = input.if_match.as_ref().map(Tag::from_condition);
        let if_none_match = input.if_none_match.as_ref().map(Tag::from_condition);
        self.check_write(
            &input.bucket,
            &input.key,
            if_match.as_ref(),
            if_none_match.as_ref(),
        )?;
        let tags = match &input.tagging {
            Some(t) => parse_tagging(t)?,
            None => Vec::new(),
        };
        let storage_class = input.storage_class.as_ref().map(|s| s.as_str().to_string());
        check_storage_class(storage_class.as_deref())?;
        let bucket_meta = self.read_bucket(c, &input.bucket, |b| Ok(b.clone()))?;
        let acl = super::acl::resolve(
            &bucket_meta,
            &c.account,
            super::acl::AclInput {
                canned: input.acl.as_ref().map(|a| a.as_str()),
                policy: None,
                full_control: &input.grant_full_control,
                read: &input.grant_read,
                read_acp: &input.grant_read_acp,
                write: &None,
                write_acp: &input.grant_write_acp,
            },
        )?;
        let given = Checksum {
            checksum_crc32: input.checksum_crc32.clone(),
            checksum_crc32c: input.checksum_crc32c.clone(),
            checksum_crc64nvme: input.checksum_crc64nvme.clone(),
            checksum_sha1: input.checksum_sha1.clone(),
            checksum_sha256: input.checksum_sha256.clone(),
            ..Default::default()
        };
        let wanted = checksum::wanted(
            headers,
            input.checksum_algorithm.as_ref().map(|a| a.as_str()),
            &given,
        )?;
        Ok((if_match, if_none_match, tags, storage_class, acl, wanted))
    }

    pub(crate) async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<PutObjectOutput> {
        let c = caller(&req);
        let form = req.extensions.get::<crate::post_form::FormFilename>();
        let form_filename = form.and_then(|f| f.0.lock().clone());
        // A browser form upload is reported as a POST, not a PUT.
        let posted = form
            .is_some()
            .then(|| req.extensions.get::<crate::notify::Recorded>().cloned())
            .flatten();
        let S3Request {
            mut input,
            headers,
            trailing_headers,
            ..
        } = req;
        if let Some(name) = form_filename {
            input.key = input.key.replace("${filename}", &name);
        }
        let body = input.body.take();
        let checked = self.check_put(&c, &input, &headers);
        let (if_match, if_none_match, tags, storage_class, acl, wanted) = match checked {
            Ok(x) => x,
            Err(e) => {
                drain(body).await;
                return Err(e);
            }
        };
        let written = self
            .engine
            .files
            .write(body, checksum::hasher(&wanted.algorithm), true)
            .await
            .map_err(write_error)?;
        let verified = checksum::verify_md5(input.content_md5.as_deref(), &written.md5)
            .and_then(|()| checksum::verify(&wanted, &written.checksum, trailing_headers.as_ref()))
            .and_then(|()| match input.content_length {
                Some(l) if l >= 0 && l as u64 != written.size && headers.get("x-amz-decoded-content-length").is_none() => Err(err(
                    S3ErrorCode::IncompleteBody,
                    "You did not provide the number of bytes specified by the Content-Length HTTP header.",
                )),
                _ => Ok(()),
            });
        if let Err(e) = verified {
            self.engine.files.discard(&written.staged).await;
            return Err(e);
        }
        let etag_hex = hex::encode(written.md5);
        let checksum_value = checksum::get(&written.checksum, &wanted.algorithm);
        let meta = ObjectMeta {
            key: input.key.clone(),
            size: written.size,
            etag: etag_hex.clone(),
            last_modified_ms: c.now_ms,
            file: String::new(),
            inline: None,
            content_type: input
                .content_type
                .map(|m| m.to_string())
                .or(Some("binary/octet-stream".into())),
            content_encoding: input
                .content_encoding
                .filter(|e| e != "aws-chunked")
                .map(|e| e.replace("aws-chunked,", "").trim().to_string()),
            content_disposition: input.content_disposition,
            content_language: input.content_language,
            cache_control: input.cache_control,
            expires_ms: input.expires.as_ref().map(ms_of),
            metadata: input.metadata.unwrap_or_default().into_iter().collect(),
            storage_class,
            tags,
            checksum: checksum_value
                .clone()
                .map(|v| (wanted.algorithm.clone(), v, "FULL_OBJECT".to_string())),
            website_redirect: input.website_redirect_location,
            parts_count: None,
            part_sizes: Vec::new(),
            sse: Some("AES256".into()),
            version_id: None,
            delete_marker: false,
            acl,
        };
        let version_id = self
            .commit_object(
                &input.bucket,
                meta,
                Some(written.staged),
                if_match.as_ref(),
                if_none_match.as_ref(),
            )
            .await?;
        if let Some(r) = posted {
            r.note("ObjectCreated:Post", &input.key, None);
        }
        let mut out = PutObjectOutput {
            version_id,
            e_tag: Some(etag(&etag_hex)),
            server_side_encryption: Some(ServerSideEncryption::from_static(
                ServerSideEncryption::AES256,
            )),
            ..Default::default()
        };
        if wanted.explicit || checksum_value.is_some() {
            let mut cs = Checksum::default();
            if let Some(v) = checksum_value {
                checksum::set(&mut cs, &wanted.algorithm, v);
            }
            out.checksum_crc32 = cs.checksum_crc32;
            out.checksum_crc32c = cs.checksum_crc32c;
            out.checksum_crc64nvme = cs.checksum_crc64nvme;
            out.checksum_sha1 = cs.checksum_sha1;
            out.checksum_sha256 = cs.checksum_sha256;
            out.checksum_type = Some(ChecksumType::from_static(ChecksumType::FULL_OBJECT));
        }
        Ok(out)
    }

    pub(crate) async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<GetObjectOutput> {
        let c = caller(&req);
        let i = req.input;
        let found =
            self.find_version(&c.account, &i.bucket, &i.key, i.version_id.as_deref(), true)?;
        let meta = &found.meta;
        let cond = Conditions {
            if_match: i.if_match.as_ref().map(Tag::from_condition),
            if_none_match: i.if_none_match.as_ref().map(Tag::from_condition),
            if_modified_since_ms: i.if_modified_since.as_ref().map(ms_of),
            if_unmodified_since_ms: i.if_unmodified_since.as_ref().map(ms_of),
        };
        match conditions::evaluate(&cond, &meta.etag, meta.last_modified_ms, c.now_ms) {
            Outcome::Proceed => {}
            Outcome::NotModified => return Err(not_modified()),
            Outcome::PreconditionFailed => return Err(precondition_failed()),
        }
        let (start, len, content_range, whole) =
            select_range(meta, i.range.as_ref(), i.part_number)?;
        let body = body_of(found.content, start, len)?;
        let mut out = GetObjectOutput {
            body: Some(body),
            accept_ranges: Some("bytes".into()),
            content_length: Some(len as i64),
            content_range,
            ..Default::default()
        };
        fill_common(&mut out_common(&mut out), meta);
        out.version_id = meta.version_id.clone();
        out.tag_count = (!meta.tags.is_empty()).then_some(meta.tags.len() as i32);
        out.parts_count = if i.part_number.is_some() {
            meta.parts_count.map(|n| n as i32)
        } else {
            None
        };
        if whole
            && i.checksum_mode
                .as_ref()
                .is_some_and(|m| m.as_str() == "ENABLED")
        {
            set_checksums(
                &mut out.checksum_crc32,
                &mut out.checksum_crc32c,
                &mut out.checksum_crc64nvme,
                &mut out.checksum_sha1,
                &mut out.checksum_sha256,
                &mut out.checksum_type,
                meta,
            );
        }
        Ok(out)
    }

    pub(crate) async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<HeadObjectOutput> {
        let c = caller(&req);
        let i = req.input;
        let found = self.find_version(
            &c.account,
            &i.bucket,
            &i.key,
            i.version_id.as_deref(),
            false,
        )?;
        let meta = &found.meta;
        let cond = Conditions {
            if_match: i.if_match.as_ref().map(Tag::from_condition),
            if_none_match: i.if_none_match.as_ref().map(Tag::from_condition),
            if_modified_since_ms: i.if_modified_since.as_ref().map(ms_of),
            if_unmodified_since_ms: i.if_unmodified_since.as_ref().map(ms_of),
        };
        match conditions::evaluate(&cond, &meta.etag, meta.last_modified_ms, c.now_ms) {
            Outcome::Proceed => {}
            Outcome::NotModified => return Err(not_modified()),
            Outcome::PreconditionFailed => return Err(precondition_failed()),
        }
        let (_, len, content_range, whole) = select_range(meta, i.range.as_ref(), i.part_number)?;
        let mut out = HeadObjectOutput {
            accept_ranges: Some("bytes".into()),
            content_length: Some(len as i64),
            content_range,
            ..Default::default()
        };
        let mut common = Common {
            cache_control: &mut out.cache_control,
            content_disposition: &mut out.content_disposition,
            content_encoding: &mut out.content_encoding,
            content_language: &mut out.content_language,
            content_type: &mut out.content_type,
            e_tag: &mut out.e_tag,
            expires: &mut out.expires,
            last_modified: &mut out.last_modified,
            metadata: &mut out.metadata,
            storage_class: &mut out.storage_class,
            website_redirect_location: &mut out.website_redirect_location,
            server_side_encryption: &mut out.server_side_encryption,
        };
        fill_common(&mut common, meta);
        out.version_id = meta.version_id.clone();
        out.parts_count = if i.part_number.is_some() {
            meta.parts_count.map(|n| n as i32)
        } else {
            None
        };
        if whole
            && i.checksum_mode
                .as_ref()
                .is_some_and(|m| m.as_str() == "ENABLED")
        {
            set_checksums(
                &mut out.checksum_crc32,
                &mut out.checksum_crc32c,
                &mut out.checksum_crc64nvme,
                &mut out.checksum_sha1,
                &mut out.checksum_sha256,
                &mut out.checksum_type,
                meta,
            );
        }
        Ok(out)
    }

    pub(crate) async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<DeleteObjectOutput> {
        let c = caller(&req);
        let i = req.input;
        self.check_bucket(&c, &i.bucket)?;
        if let Some(t) = i.if_match.as_ref().map(Tag::from_condition) {
            let s = self.engine.db.state.read();
            let o = s
                .buckets
                .get(&i.bucket)
                .and_then(|b| b.objects.get(&i.key))
                .ok_or_else(no_such_key)?;
            let cond = Conditions {
                if_match: Some(t),
                ..Default::default()
            };
            if conditions::evaluate(&cond, &o.etag, o.last_modified_ms, c.now_ms)
                != Outcome::Proceed
            {
                return Err(precondition_failed());
            }
        }
        let d = self.delete_key(&i.bucket, &i.key, i.version_id.as_deref(), c.now_ms)?;
        Ok(DeleteObjectOutput {
            delete_marker: d.delete_marker.then_some(true),
            version_id: d.version_id,
            ..Default::default()
        })
    }

    /// One DELETE: the current object (leaving a marker when versioning),
    /// or one version for good. Missing keys and versions are fine, as S3 has it.
    pub(crate) fn delete_key(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&str>,
        now_ms: i64,
    ) -> S3Result<Deleted> {
        let (dropped, out) = {
            let mut s = self.engine.db.state.write();
            let b = s.buckets.get_mut(bucket).ok_or_else(no_such_bucket)?;
            let mut ks = b.key_state(key);
            if ks.is_empty() {
                return Ok(Deleted::default());
            }
            let (dropped, out) = match version {
                None => {
                    let (dropped, marker) = ks.delete(key, b.mode(), new_version_id(), now_ms);
                    let out = Deleted {
                        delete_marker: marker.is_some(),
                        version_id: marker.and_then(|m| m.version_id.or(Some("null".into()))),
                    };
                    (dropped, out)
                }
                Some(v) => match ks.delete_version(v) {
                    Some((removed, dropped)) => (
                        dropped,
                        Deleted {
                            delete_marker: removed.delete_marker,
                            version_id: Some(v.to_string()),
                        },
                    ),
                    None => {
                        return Ok(Deleted {
                            delete_marker: false,
                            version_id: Some(v.to_string()),
                        });
                    }
                },
            };
            self.persist_key(b, key, &ks)?;
            b.set_key_state(key, ks);
            (dropped, out)
        };
        for f in dropped {
            self.engine.files.remove(&f);
        }
        Ok(out)
    }

    pub(crate) async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<DeleteObjectsOutput> {
        let c = caller(&req);
        let recorded = req.extensions.get::<crate::notify::Recorded>().cloned();
        let i = req.input;
        self.check_bucket(&c, &i.bucket)?;
        let objects = i.delete.objects;
        if objects.len() > 1000 {
            return Err(err(
                S3ErrorCode::MalformedXML,
                "The XML you provided was not well-formed or did not validate against our published schema",
            ));
        }
        let quiet = i.delete.quiet.unwrap_or(false);
        let mut deleted = Vec::new();
        for o in objects {
            let d = self.delete_key(&i.bucket, &o.key, o.version_id.as_deref(), c.now_ms)?;
            if let Some(r) = &recorded {
                let name =
                    crate::notify::removal_name(o.version_id.is_some(), d.delete_marker, false);
                r.note(name, &o.key, d.version_id.clone());
            }
            if quiet {
                continue;
            }
            let marker_version = if o.version_id.is_none() {
                d.version_id.clone()
            } else {
                None
            };
            deleted.push(DeletedObject {
                key: Some(o.key),
                version_id: o.version_id,
                delete_marker: d.delete_marker.then_some(true),
                delete_marker_version_id: if d.delete_marker {
                    marker_version.or(d.version_id)
                } else {
                    None
                },
            });
        }
        Ok(DeleteObjectsOutput {
            deleted: Some(deleted),
            errors: None,
            ..Default::default()
        })
    }

    pub(crate) async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<CopyObjectOutput> {
        let c = caller(&req);
        let i = req.input;
        let CopySource::Bucket {
            bucket: src_bucket,
            key: src_key,
            version_id: src_version,
        } = &i.copy_source
        else {
            return Err(err(
                S3ErrorCode::NotImplemented,
                "Copying from an access point is not implemented",
            ));
        };
        self.check_bucket(&c, &i.bucket)?;
        let found = self.find_version(
            &c.account,
            src_bucket,
            src_key,
            src_version.as_deref(),
            true,
        )?;
        let src = found.meta.clone();
        let cond = Conditions {
            if_match: i.copy_source_if_match.as_ref().map(Tag::from_condition),
            if_none_match: i
                .copy_source_if_none_match
                .as_ref()
                .map(Tag::from_condition),
            if_modified_since_ms: i.copy_source_if_modified_since.as_ref().map(ms_of),
            if_unmodified_since_ms: i.copy_source_if_unmodified_since.as_ref().map(ms_of),
        };
        if conditions::evaluate(&cond, &src.etag, src.last_modified_ms, c.now_ms)
            != Outcome::Proceed
        {
            return Err(precondition_failed());
        }
        let replace = i
            .metadata_directive
            .as_ref()
            .is_some_and(|d| d.as_str() == "REPLACE");
        if let Some(d) = &i.metadata_directive {
            if !matches!(d.as_str(), "COPY" | "REPLACE") {
                return Err(err(
                    S3ErrorCode::InvalidArgument,
                    "Unknown metadata directive.",
                ));
            }
        }
        let storage_class = i.storage_class.as_ref().map(|s| s.as_str().to_string());
        check_storage_class(storage_class.as_deref())?;
        let same = **src_bucket == *i.bucket && **src_key == *i.key;
        if same
            && !replace
            && storage_class.is_none()
            && i.website_redirect_location.is_none()
            && i.server_side_encryption.is_none()
        {
            return Err(err(
                S3ErrorCode::InvalidRequest,
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
            ));
        }
        let algo = i
            .checksum_algorithm
            .as_ref()
            .map(|a| a.as_str().to_ascii_uppercase())
            .or_else(|| src.checksum.as_ref().map(|c| c.0.clone()))
            .unwrap_or_else(|| "CRC64NVME".into());
        let pieces = if src.size > 0 {
            vec![(Piece::of(&src), 0, src.size)]
        } else {
            Vec::new()
        };
        drop(found);
        let written = self
            .engine
            .files
            .concat(&pieces, checksum::hasher(&algo), true)
            .await
            .map_err(internal)?;
        let tags = match i.tagging_directive.as_ref().map(|d| d.as_str().to_string()) {
            Some(d) if d == "REPLACE" => match &i.tagging {
                Some(t) => parse_tagging(t)?,
                None => Vec::new(),
            },
            _ => src.tags.clone(),
        };
        let mut meta = if replace {
            ObjectMeta {
                content_type: i
                    .content_type
                    .map(|m| m.to_string())
                    .or(Some("binary/octet-stream".into())),
                content_encoding: i.content_encoding,
                content_disposition: i.content_disposition,
                content_language: i.content_language,
                cache_control: i.cache_control,
                expires_ms: i.expires.as_ref().map(ms_of),
                metadata: i.metadata.unwrap_or_default().into_iter().collect(),
                ..Default::default()
            }
        } else {
            src.clone()
        };
        let etag_hex = hex::encode(written.md5);
        meta.key = i.key.clone();
        meta.size = written.size;
        meta.etag = etag_hex.clone();
        meta.last_modified_ms = c.now_ms;
        meta.file = String::new();
        meta.storage_class = storage_class.or(if replace {
            None
        } else {
            src.storage_class.clone()
        });
        meta.tags = tags;
        meta.website_redirect = i.website_redirect_location.or(if replace {
            None
        } else {
            src.website_redirect.clone()
        });
        meta.parts_count = None;
        meta.part_sizes = Vec::new();
        meta.sse = Some("AES256".into());
        meta.checksum = checksum::get(&written.checksum, &algo)
            .map(|v| (algo.clone(), v, "FULL_OBJECT".into()));
        let checksum_out = meta.checksum.clone();
        meta.version_id = None;
        meta.delete_marker = false;
        let bucket_meta = self.read_bucket(&c, &i.bucket, |b| Ok(b.clone()))?;
        meta.acl = super::acl::resolve(
            &bucket_meta,
            &c.account,
            super::acl::AclInput {
                canned: i.acl.as_ref().map(|a| a.as_str()),
                policy: None,
                full_control: &i.grant_full_control,
                read: &i.grant_read,
                read_acp: &i.grant_read_acp,
                write: &None,
                write_acp: &i.grant_write_acp,
            },
        )?;
        let version_id = self
            .commit_object(&i.bucket, meta, Some(written.staged), None, None)
            .await?;
        let mut result = CopyObjectResult {
            e_tag: Some(etag(&etag_hex)),
            last_modified: Some(ts(c.now_ms)),
            ..Default::default()
        };
        if let Some((a, v, t)) = checksum_out {
            let mut cs = Checksum::default();
            checksum::set(&mut cs, &a, v);
            result.checksum_crc32 = cs.checksum_crc32;
            result.checksum_crc32c = cs.checksum_crc32c;
            result.checksum_crc64nvme = cs.checksum_crc64nvme;
            result.checksum_sha1 = cs.checksum_sha1;
            result.checksum_sha256 = cs.checksum_sha256;
            result.checksum_type = Some(ChecksumType::from(t));
        }
        Ok(CopyObjectOutput {
            copy_object_result: Some(result),
            version_id,
            copy_source_version_id: src.version_id.clone(),
            server_side_encryption: Some(ServerSideEncryption::from_static(
                ServerSideEncryption::AES256,
            )),
            ..Default::default()
        })
    }

    pub(crate) async fn get_object_tagging(
        &self,
        req: S3Request<GetObjectTaggingInput>,
    ) -> S3Result<GetObjectTaggingOutput> {
        let c = caller(&req);
        let f = self.find(&c.account, &req.input.bucket, &req.input.key, false)?;
        Ok(GetObjectTaggingOutput {
            tag_set: tag_set(&f.meta.tags),
            version_id: None,
        })
    }

    pub(crate) fn update_object(
        &self,
        c: &crate::CallerInfo,
        bucket: &str,
        key: &str,
        f: impl FnOnce(&mut ObjectMeta),
    ) -> S3Result<()> {
        self.check_bucket(c, bucket)?;
        let mut s = self.engine.db.state.write();
        let b = s.buckets.get_mut(bucket).ok_or_else(no_such_bucket)?;
        let o = b.objects.get_mut(key).ok_or_else(no_such_key)?;
        let mut next = o.clone();
        f(&mut next);
        let mut batch = Batch::new();
        batch
            .put_json(TABLE, state::object_key(bucket, key), &next)
            .map_err(internal)?;
        self.persist(batch)?;
        *o = next;
        Ok(())
    }

    pub(crate) async fn put_object_tagging(
        &self,
        req: S3Request<PutObjectTaggingInput>,
    ) -> S3Result<PutObjectTaggingOutput> {
        let c = caller(&req);
        let i = req.input;
        let tags: Vec<(String, String)> = i
            .tagging
            .tag_set
            .into_iter()
            .map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()))
            .collect();
        validate_tags(&tags)?;
        self.update_object(&c, &i.bucket, &i.key, |o| o.tags = tags)?;
        Ok(PutObjectTaggingOutput::default())
    }

    pub(crate) async fn delete_object_tagging(
        &self,
        req: S3Request<DeleteObjectTaggingInput>,
    ) -> S3Result<DeleteObjectTaggingOutput> {
        let c = caller(&req);
        let i = req.input;
        self.update_object(&c, &i.bucket, &i.key, |o| o.tags.clear())?;
        Ok(DeleteObjectTaggingOutput::default())
    }
}

pub(crate) fn check_storage_class(sc: Option<&str>) -> S3Result<()> {
    const CLASSES: [&str; 10] = [
        "STANDARD",
        "REDUCED_REDUNDANCY",
        "STANDARD_IA",
        "ONEZONE_IA",
        "INTELLIGENT_TIERING",
        "GLACIER",
        "DEEP_ARCHIVE",
        "OUTPOSTS",
        "GLACIER_IR",
        "SNOW",
    ];
    match sc {
        Some(s) if !CLASSES.contains(&s) && s != "EXPRESS_ONEZONE" => Err(err(
            S3ErrorCode::InvalidStorageClass,
            "The storage class you specified is not valid",
        )),
        _ => Ok(()),
    }
}

/// `(start, length, Content-Range, whole object?)` for a GET or HEAD.
fn select_range(
    meta: &ObjectMeta,
    range: Option<&Range>,
    part: Option<i32>,
) -> S3Result<(u64, u64, Option<String>, bool)> {
    let size = meta.size;
    if let Some(p) = part {
        if range.is_some() {
            return Err(err(
                S3ErrorCode::InvalidRequest,
                "Cannot specify both Range header and partNumber query parameter",
            ));
        }
        let sizes = if meta.part_sizes.is_empty() {
            vec![size]
        } else {
            meta.part_sizes.clone()
        };
        let idx = usize::try_from(p - 1)
            .ok()
            .filter(|i| *i < sizes.len())
            .ok_or_else(|| {
                super::custom(
                    "InvalidPartNumber",
                    416,
                    "The requested partnumber is not satisfiable",
                )
            })?;
        let start: u64 = sizes[..idx].iter().sum();
        let len = sizes[idx];
        if meta.part_sizes.is_empty() {
            return Ok((0, size, None, true));
        }
        let end = (start + len).saturating_sub(1);
        return Ok((
            start,
            len,
            Some(format!("bytes {start}-{end}/{size}")),
            false,
        ));
    }
    let Some(r) = range else {
        return Ok((0, size, None, true));
    };
    let rr = r.check(size).map_err(|_| {
        err(
            S3ErrorCode::InvalidRange,
            "The requested range is not satisfiable",
        )
    })?;
    let len = rr.end - rr.start;
    Ok((
        rr.start,
        len,
        Some(format!("bytes {}-{}/{size}", rr.start, rr.end - 1)),
        false,
    ))
}

/// The response headers GetObject and HeadObject share.
struct Common<'a> {
    cache_control: &'a mut Option<String>,
    content_disposition: &'a mut Option<String>,
    content_encoding: &'a mut Option<String>,
    content_language: &'a mut Option<String>,
    content_type: &'a mut Option<ContentType>,
    e_tag: &'a mut Option<ETag>,
    expires: &'a mut Option<Timestamp>,
    last_modified: &'a mut Option<Timestamp>,
    metadata: &'a mut Option<Metadata>,
    storage_class: &'a mut Option<StorageClass>,
    website_redirect_location: &'a mut Option<String>,
    server_side_encryption: &'a mut Option<ServerSideEncryption>,
}

fn out_common(out: &mut GetObjectOutput) -> Common<'_> {
    Common {
        cache_control: &mut out.cache_control,
        content_disposition: &mut out.content_disposition,
        content_encoding: &mut out.content_encoding,
        content_language: &mut out.content_language,
        content_type: &mut out.content_type,
        e_tag: &mut out.e_tag,
        expires: &mut out.expires,
        last_modified: &mut out.last_modified,
        metadata: &mut out.metadata,
        storage_class: &mut out.storage_class,
        website_redirect_location: &mut out.website_redirect_location,
        server_side_encryption: &mut out.server_side_encryption,
    }
}

fn fill_common(o: &mut Common<'_>, meta: &ObjectMeta) {
    *o.cache_control = meta.cache_control.clone();
    *o.content_disposition = meta.content_disposition.clone();
    *o.content_encoding = meta.content_encoding.clone();
    *o.content_language = meta.content_language.clone();
    *o.content_type = meta.content_type.as_deref().and_then(|t| t.parse().ok());
    *o.e_tag = Some(etag(&meta.etag));
    *o.expires = meta.expires_ms.map(ts);
    *o.last_modified = Some(ts(meta.last_modified_ms));
    *o.metadata = (!meta.metadata.is_empty()).then(|| meta.metadata.clone().into_iter().collect());
    *o.storage_class = storage_class_out(meta);
    *o.website_redirect_location = meta.website_redirect.clone();
    *o.server_side_encryption = meta.sse.clone().map(ServerSideEncryption::from);
}

#[allow(clippy::too_many_arguments)]
fn set_checksums(
    crc32: &mut Option<String>,
    crc32c: &mut Option<String>,
    crc64: &mut Option<String>,
    sha1: &mut Option<String>,
    sha256: &mut Option<String>,
    kind: &mut Option<ChecksumType>,
    meta: &ObjectMeta,
) {
    let cs = checksum_of(meta);
    *crc32 = cs.checksum_crc32;
    *crc32c = cs.checksum_crc32c;
    *crc64 = cs.checksum_crc64nvme;
    *sha1 = cs.checksum_sha1;
    *sha256 = cs.checksum_sha256;
    *kind = meta
        .checksum
        .as_ref()
        .map(|c| ChecksumType::from(c.2.clone()));
}
