//! Multipart uploads.

use std::collections::BTreeMap;

use base64::Engine as _;
use md5::{Digest, Md5};
use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Result};
use stratus_store::Batch;

use super::checksum;
use super::object::{check_storage_class, parse_tagging, precondition_failed, write_error};
use super::{Api, caller, err, etag, internal, ms_of, no_such_bucket, owner, ts};
use crate::conditions::{self, Conditions, Outcome, Tag};
use crate::files::Piece;
use crate::state::{self, ObjectMeta, Part, TABLE, Upload};

const MIN_PART: u64 = 5 << 20;
const MAX_PART: i64 = 5 << 30;

fn no_such_upload() -> S3Error {
    err(
        S3ErrorCode::NoSuchUpload,
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    )
}

fn check_part_number(n: i32) -> S3Result<u32> {
    if (1..=10000).contains(&n) {
        Ok(n as u32)
    } else {
        Err(err(
            S3ErrorCode::InvalidArgument,
            "Part number must be an integer between 1 and 10000, inclusive",
        ))
    }
}

fn new_upload_id() -> String {
    let raw = stratus_core::ids::random_bytes(48);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// `bytes=first-last` of an UploadPartCopy, within an object of `size` bytes.
fn copy_range(r: Option<&str>, size: u64) -> S3Result<(u64, u64)> {
    let Some(r) = r else { return Ok((0, size)) };
    let bad = || {
        err(
            S3ErrorCode::InvalidArgument,
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
        )
    };
    let (a, b) = r
        .strip_prefix("bytes=")
        .and_then(|x| x.split_once('-'))
        .ok_or_else(bad)?;
    let (a, b): (u64, u64) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
    if a > b {
        return Err(bad());
    }
    if b >= size {
        return Err(err(
            S3ErrorCode::InvalidRange,
            format!("Range specified is not valid for source object of size: {size}"),
        ));
    }
    Ok((a, b - a + 1))
}

impl Api {
    fn upload_of(&self, bucket: &str, key: &str, id: &str) -> S3Result<Upload> {
        let s = self.engine.db.state.read();
        let b = s.buckets.get(bucket).ok_or_else(no_such_bucket)?;
        b.uploads
            .get(id)
            .filter(|u| u.key == key)
            .cloned()
            .ok_or_else(no_such_upload)
    }

    fn save_part(&self, bucket: &str, id: &str, part: Part) -> S3Result<()> {
        let old = {
            let mut s = self.engine.db.state.write();
            let b = s.buckets.get_mut(bucket).ok_or_else(no_such_bucket)?;
            let Some(u) = b.uploads.get_mut(id) else {
                drop(s);
                self.engine.files.remove(&part.file);
                return Err(no_such_upload());
            };
            let mut next = u.clone();
            let old = next.parts.insert(part.number, part);
            let mut batch = Batch::new();
            batch
                .put_json(TABLE, state::upload_key(bucket, id), &next)
                .map_err(internal)?;
            self.persist(batch)?;
            *u = next;
            old
        };
        if let Some(p) = old {
            self.engine.files.remove(&p.file);
        }
        Ok(())
    }

    pub(crate) async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<CreateMultipartUploadOutput> {
        let c = caller(&req);
        let i = req.input;
        self.check_bucket(&c, &i.bucket)?;
        let storage_class = i.storage_class.as_ref().map(|s| s.as_str().to_string());
        check_storage_class(storage_class.as_deref())?;
        let tags = match &i.tagging {
            Some(t) => parse_tagging(t)?,
            None => Vec::new(),
        };
        let algo = i
            .checksum_algorithm
            .as_ref()
            .map(|a| a.as_str().to_ascii_uppercase());
        let kind = i
            .checksum_type
            .as_ref()
            .map(|t| t.as_str().to_string())
            .or_else(|| {
                algo.as_ref().map(|a| {
                    if a == "CRC64NVME" {
                        "FULL_OBJECT".into()
                    } else {
                        "COMPOSITE".into()
                    }
                })
            });
        let id = new_upload_id();
        let upload = Upload {
            id: id.clone(),
            bucket: i.bucket.clone(),
            key: i.key.clone(),
            initiated_ms: c.now_ms,
            template: ObjectMeta {
                key: i.key.clone(),
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
                storage_class,
                tags,
                website_redirect: i.website_redirect_location,
                checksum: algo
                    .clone()
                    .map(|a| (a, String::new(), kind.clone().unwrap_or_default())),
                sse: Some("AES256".into()),
                ..Default::default()
            },
            checksum_algorithm: algo.clone(),
            parts: BTreeMap::new(),
        };
        {
            let mut s = self.engine.db.state.write();
            let b = s.buckets.get_mut(&i.bucket).ok_or_else(no_such_bucket)?;
            let mut batch = Batch::new();
            batch
                .put_json(TABLE, state::upload_key(&i.bucket, &id), &upload)
                .map_err(internal)?;
            self.persist(batch)?;
            b.uploads.insert(id.clone(), upload);
        }
        Ok(CreateMultipartUploadOutput {
            bucket: Some(i.bucket),
            key: Some(i.key),
            upload_id: Some(id),
            checksum_algorithm: algo.map(ChecksumAlgorithm::from),
            checksum_type: kind.map(ChecksumType::from),
            server_side_encryption: Some(ServerSideEncryption::from_static(
                ServerSideEncryption::AES256,
            )),
            ..Default::default()
        })
    }

    pub(crate) async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<UploadPartOutput> {
        let c = caller(&req);
        let S3Request {
            input: mut i,
            headers,
            trailing_headers,
            ..
        } = req;
        let body = i.body.take();
        let checked = (|| {
            self.check_bucket(&c, &i.bucket)?;
            let number = check_part_number(i.part_number)?;
            let upload = self.upload_of(&i.bucket, &i.key, &i.upload_id)?;
            if i.content_length.is_some_and(|l| l > MAX_PART) {
                return Err(err(
                    S3ErrorCode::EntityTooLarge,
                    "Your proposed upload exceeds the maximum allowed size",
                ));
            }
            let given = Checksum {
                checksum_crc32: i.checksum_crc32.clone(),
                checksum_crc32c: i.checksum_crc32c.clone(),
                checksum_crc64nvme: i.checksum_crc64nvme.clone(),
                checksum_sha1: i.checksum_sha1.clone(),
                checksum_sha256: i.checksum_sha256.clone(),
                ..Default::default()
            };
            let algo_in = i
                .checksum_algorithm
                .as_ref()
                .map(|a| a.as_str().to_string())
                .or(upload.checksum_algorithm.clone());
            let wanted = checksum::wanted(&headers, algo_in.as_deref(), &given)?;
            Ok((number, wanted))
        })();
        let (number, wanted) = match checked {
            Ok(x) => x,
            Err(e) => {
                super::object::drain(body).await;
                return Err(e);
            }
        };
        let written = self
            .engine
            .files
            .write(body, checksum::hasher(&wanted.algorithm), false)
            .await
            .map_err(write_error)?;
        let verified = checksum::verify_md5(i.content_md5.as_deref(), &written.md5)
            .and_then(|()| checksum::verify(&wanted, &written.checksum, trailing_headers.as_ref()));
        if let Err(e) = verified {
            self.engine.files.discard(&written.staged).await;
            return Err(e);
        }
        let (file, _) = self
            .engine
            .files
            .publish(written.staged)
            .await
            .map_err(internal)?;
        let etag_hex = hex::encode(written.md5);
        let value = checksum::get(&written.checksum, &wanted.algorithm);
        self.save_part(
            &i.bucket,
            &i.upload_id,
            Part {
                number,
                etag: etag_hex.clone(),
                size: written.size,
                file,
                last_modified_ms: c.now_ms,
                checksum: value.clone().map(|v| (wanted.algorithm.clone(), v)),
            },
        )?;
        let mut cs = Checksum::default();
        if wanted.explicit {
            if let Some(v) = value {
                checksum::set(&mut cs, &wanted.algorithm, v);
            }
        }
        Ok(UploadPartOutput {
            e_tag: Some(etag(&etag_hex)),
            checksum_crc32: cs.checksum_crc32,
            checksum_crc32c: cs.checksum_crc32c,
            checksum_crc64nvme: cs.checksum_crc64nvme,
            checksum_sha1: cs.checksum_sha1,
            checksum_sha256: cs.checksum_sha256,
            server_side_encryption: Some(ServerSideEncryption::from_static(
                ServerSideEncryption::AES256,
            )),
            ..Default::default()
        })
    }

    pub(crate) async fn upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<UploadPartCopyOutput> {
        let c = caller(&req);
        let i = req.input;
        self.check_bucket(&c, &i.bucket)?;
        let number = check_part_number(i.part_number)?;
        let upload = self.upload_of(&i.bucket, &i.key, &i.upload_id)?;
        let CopySource::Bucket {
            bucket: sb,
            key: sk,
            ..
        } = &i.copy_source
        else {
            return Err(err(
                S3ErrorCode::NotImplemented,
                "Copying from an access point is not implemented",
            ));
        };
        let found = self.find(&c.account, sb, sk, false)?;
        let src = found.meta;
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
        let (start, len) = copy_range(i.copy_source_range.as_deref(), src.size)?;
        let algo = upload
            .checksum_algorithm
            .clone()
            .unwrap_or_else(|| "CRC64NVME".into());
        let pieces = if len > 0 {
            vec![(Piece::of(&src), start, len)]
        } else {
            Vec::new()
        };
        let written = self
            .engine
            .files
            .concat(&pieces, checksum::hasher(&algo), false)
            .await
            .map_err(internal)?;
        let (file, _) = self
            .engine
            .files
            .publish(written.staged)
            .await
            .map_err(internal)?;
        let etag_hex = hex::encode(written.md5);
        self.save_part(
            &i.bucket,
            &i.upload_id,
            Part {
                number,
                etag: etag_hex.clone(),
                size: written.size,
                file,
                last_modified_ms: c.now_ms,
                checksum: checksum::get(&written.checksum, &algo).map(|v| (algo.clone(), v)),
            },
        )?;
        Ok(UploadPartCopyOutput {
            copy_part_result: Some(CopyPartResult {
                e_tag: Some(etag(&etag_hex)),
                last_modified: Some(ts(c.now_ms)),
                ..Default::default()
            }),
            ..Default::default()
        })
    }

    pub(crate) async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<CompleteMultipartUploadOutput> {
        let c = caller(&req);
        let i = req.input;
        self.check_bucket(&c, &i.bucket)?;
        let upload = self.upload_of(&i.bucket, &i.key, &i.upload_id)?;
        let requested = i.multipart_upload.and_then(|m| m.parts).unwrap_or_default();
        if requested.is_empty() {
            return Err(err(
                S3ErrorCode::MalformedXML,
                "The XML you provided was not well-formed or did not validate against our published schema",
            ));
        }
        let invalid_part = || {
            err(
                S3ErrorCode::InvalidPart,
                "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
            )
        };
        let mut chosen: Vec<&Part> = Vec::new();
        let mut last = 0;
        for p in &requested {
            let n = p.part_number.unwrap_or(0);
            if n <= last {
                return Err(err(
                    S3ErrorCode::InvalidPartOrder,
                    "The list of parts was not in ascending order. Parts must be ordered by part number.",
                ));
            }
            last = n;
            let stored = upload.parts.get(&(n as u32)).ok_or_else(invalid_part)?;
            let given = p
                .e_tag
                .as_ref()
                .map(|e| e.value().trim_matches('"').to_string());
            if given.as_deref() != Some(stored.etag.as_str()) {
                return Err(invalid_part());
            }
            chosen.push(stored);
        }
        if chosen[..chosen.len() - 1].iter().any(|p| p.size < MIN_PART) {
            return Err(err(
                S3ErrorCode::EntityTooSmall,
                "Your proposed upload is smaller than the minimum allowed size",
            ));
        }
        let mut md5s = Md5::new();
        for p in &chosen {
            md5s.update(hex::decode(&p.etag).map_err(internal)?);
        }
        let etag_hex = format!("{}-{}", hex::encode(md5s.finalize()), chosen.len());
        let algo = upload.checksum_algorithm.clone();
        let kind = upload
            .template
            .checksum
            .as_ref()
            .map(|c| c.2.clone())
            .unwrap_or_default();
        let full_algo = match (&algo, kind.as_str()) {
            (Some(a), "FULL_OBJECT") => a.clone(),
            (None, _) => "CRC64NVME".into(),
            _ => String::new(),
        };
        let pieces: Vec<(Piece, u64, u64)> = chosen
            .iter()
            .filter(|p| p.size > 0)
            .map(|p| (Piece::File(p.file.clone()), 0, p.size))
            .collect();
        let written = self
            .engine
            .files
            .concat(&pieces, checksum::hasher(&full_algo), false)
            .await
            .map_err(internal)?;
        let checksum = match &algo {
            Some(a) if kind != "FULL_OBJECT" => {
                composite(a, &chosen).map(|v| (a.clone(), v, "COMPOSITE".to_string()))
            }
            _ => checksum::get(&written.checksum, &full_algo)
                .map(|v| (full_algo.clone(), v, "FULL_OBJECT".to_string())),
        };
        let mut meta = upload.template.clone();
        meta.size = written.size;
        meta.etag = etag_hex.clone();
        meta.last_modified_ms = c.now_ms;
        meta.parts_count = Some(chosen.len() as u32);
        meta.part_sizes = chosen.iter().map(|p| p.size).collect();
        meta.checksum = checksum.clone();
        let if_match = i.if_match.as_ref().map(Tag::from_condition);
        let if_none_match = i.if_none_match.as_ref().map(Tag::from_condition);
        let version_id = self
            .commit_object(
                &i.bucket,
                meta,
                Some(written.staged),
                if_match.as_ref(),
                if_none_match.as_ref(),
            )
            .await?;
        let parts: Vec<String> = {
            let mut s = self.engine.db.state.write();
            let mut batch = Batch::new();
            batch.delete(TABLE, state::upload_key(&i.bucket, &i.upload_id));
            self.persist(batch)?;
            s.buckets
                .get_mut(&i.bucket)
                .and_then(|b| b.uploads.remove(&i.upload_id))
                .map(|u| u.parts.into_values().map(|p| p.file).collect())
                .unwrap_or_default()
        };
        for f in parts {
            self.engine.files.remove(&f);
        }
        let mut out = CompleteMultipartUploadOutput {
            bucket: Some(i.bucket.clone()),
            key: Some(i.key.clone()),
            e_tag: Some(etag(&etag_hex)),
            location: Some(format!("/{}/{}", i.bucket, i.key)),
            version_id,
            server_side_encryption: Some(ServerSideEncryption::from_static(
                ServerSideEncryption::AES256,
            )),
            ..Default::default()
        };
        if let (Some(_), Some((a, v, t))) = (&algo, checksum) {
            let mut cs = Checksum::default();
            checksum::set(&mut cs, &a, v);
            out.checksum_crc32 = cs.checksum_crc32;
            out.checksum_crc32c = cs.checksum_crc32c;
            out.checksum_crc64nvme = cs.checksum_crc64nvme;
            out.checksum_sha1 = cs.checksum_sha1;
            out.checksum_sha256 = cs.checksum_sha256;
            out.checksum_type = Some(ChecksumType::from(t));
        }
        Ok(out)
    }

    pub(crate) async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<AbortMultipartUploadOutput> {
        let c = caller(&req);
        let i = req.input;
        self.check_bucket(&c, &i.bucket)?;
        self.upload_of(&i.bucket, &i.key, &i.upload_id)?;
        self.drop_upload(&i.bucket, &i.upload_id)?;
        Ok(AbortMultipartUploadOutput::default())
    }

    /// Forgets an upload and removes its parts' files.
    pub(crate) fn drop_upload(&self, bucket: &str, id: &str) -> S3Result<()> {
        let files: Vec<String> = {
            let mut s = self.engine.db.state.write();
            let mut batch = Batch::new();
            batch.delete(TABLE, state::upload_key(bucket, id));
            self.persist(batch)?;
            s.buckets
                .get_mut(bucket)
                .and_then(|b| b.uploads.remove(id))
                .map(|u| u.parts.into_values().map(|p| p.file).collect())
                .unwrap_or_default()
        };
        for f in files {
            self.engine.files.remove(&f);
        }
        Ok(())
    }

    pub(crate) async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<ListPartsOutput> {
        let c = caller(&req);
        let i = req.input;
        self.check_bucket(&c, &i.bucket)?;
        let upload = self.upload_of(&i.bucket, &i.key, &i.upload_id)?;
        let max = i.max_parts.unwrap_or(1000).clamp(0, 1000) as usize;
        let marker = i.part_number_marker.unwrap_or(0).max(0) as u32;
        let after: Vec<&Part> = upload
            .parts
            .values()
            .filter(|p| p.number > marker)
            .collect();
        let truncated = after.len() > max;
        let page = &after[..after.len().min(max)];
        let parts: Vec<s3s::dto::Part> = page
            .iter()
            .map(|p| {
                let mut cs = Checksum::default();
                if let Some((a, v)) = &p.checksum {
                    if upload.checksum_algorithm.is_some() {
                        checksum::set(&mut cs, a, v.clone());
                    }
                }
                s3s::dto::Part {
                    e_tag: Some(etag(&p.etag)),
                    last_modified: Some(ts(p.last_modified_ms)),
                    part_number: Some(p.number as i32),
                    size: Some(p.size as i64),
                    checksum_crc32: cs.checksum_crc32,
                    checksum_crc32c: cs.checksum_crc32c,
                    checksum_crc64nvme: cs.checksum_crc64nvme,
                    checksum_sha1: cs.checksum_sha1,
                    checksum_sha256: cs.checksum_sha256,
                }
            })
            .collect();
        let o = owner(&c.account);
        Ok(ListPartsOutput {
            bucket: Some(i.bucket),
            key: Some(i.key),
            upload_id: Some(i.upload_id),
            part_number_marker: i.part_number_marker,
            next_part_number_marker: page.last().map(|p| p.number as i32),
            max_parts: Some(max as i32),
            is_truncated: Some(truncated),
            parts: Some(parts),
            initiator: Some(Initiator {
                display_name: o.display_name.clone(),
                id: o.id.clone(),
            }),
            owner: Some(o),
            storage_class: Some(StorageClass::from(
                upload
                    .template
                    .storage_class
                    .clone()
                    .unwrap_or_else(|| "STANDARD".into()),
            )),
            checksum_algorithm: upload
                .checksum_algorithm
                .clone()
                .map(ChecksumAlgorithm::from),
            ..Default::default()
        })
    }

    pub(crate) async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<ListMultipartUploadsOutput> {
        let c = caller(&req);
        let i = req.input;
        self.check_bucket(&c, &i.bucket)?;
        let max = i.max_uploads.unwrap_or(1000).clamp(0, 1000) as usize;
        let prefix = i.prefix.clone().unwrap_or_default();
        let s = self.engine.db.state.read();
        let b = s.buckets.get(&i.bucket).ok_or_else(no_such_bucket)?;
        let mut all: Vec<&Upload> = b
            .uploads
            .values()
            .filter(|u| u.key.starts_with(&prefix))
            .collect();
        all.sort_by(|a, b| (&a.key, a.initiated_ms, &a.id).cmp(&(&b.key, b.initiated_ms, &b.id)));
        let key_marker = i.key_marker.clone().unwrap_or_default();
        let id_marker = i.upload_id_marker.clone();
        let mut uploads = Vec::new();
        let mut prefixes: Vec<String> = Vec::new();
        let mut truncated = false;
        let mut next: Option<(String, String)> = None;
        for u in all {
            if !key_marker.is_empty() {
                match &id_marker {
                    Some(m) if u.key == key_marker => {
                        if u.id <= *m {
                            continue;
                        }
                    }
                    _ if u.key <= key_marker => continue,
                    _ => {}
                }
            }
            if let Some(d) = i.delimiter.as_deref().filter(|d| !d.is_empty()) {
                if let Some(pos) = u.key[prefix.len()..].find(d) {
                    let cp = u.key[..prefix.len() + pos + d.len()].to_string();
                    if prefixes.last() == Some(&cp) {
                        continue;
                    }
                    if uploads.len() + prefixes.len() == max {
                        truncated = true;
                        break;
                    }
                    prefixes.push(cp);
                    continue;
                }
            }
            if uploads.len() + prefixes.len() == max {
                truncated = true;
                break;
            }
            next = Some((u.key.clone(), u.id.clone()));
            let o = owner(&b.meta.account);
            uploads.push(MultipartUpload {
                initiated: Some(ts(u.initiated_ms)),
                initiator: Some(Initiator {
                    display_name: o.display_name.clone(),
                    id: o.id.clone(),
                }),
                key: Some(u.key.clone()),
                owner: Some(o),
                storage_class: Some(StorageClass::from(
                    u.template
                        .storage_class
                        .clone()
                        .unwrap_or_else(|| "STANDARD".into()),
                )),
                upload_id: Some(u.id.clone()),
                checksum_algorithm: u.checksum_algorithm.clone().map(ChecksumAlgorithm::from),
                ..Default::default()
            });
        }
        Ok(ListMultipartUploadsOutput {
            bucket: Some(i.bucket.clone()),
            prefix: i.prefix,
            delimiter: i.delimiter,
            key_marker: Some(key_marker),
            upload_id_marker: Some(id_marker.unwrap_or_default()),
            next_key_marker: if truncated {
                next.as_ref().map(|n| n.0.clone())
            } else {
                None
            },
            next_upload_id_marker: if truncated { next.map(|n| n.1) } else { None },
            max_uploads: Some(max as i32),
            is_truncated: Some(truncated),
            uploads: (!uploads.is_empty()).then_some(uploads),
            common_prefixes: (!prefixes.is_empty()).then(|| {
                prefixes
                    .into_iter()
                    .map(|p| CommonPrefix { prefix: Some(p) })
                    .collect()
            }),
            encoding_type: i.encoding_type,
            ..Default::default()
        })
    }
}

/// The checksum of the parts' checksums, `-N` suffixed, as S3 reports a
/// composite multipart checksum.
fn composite(algo: &str, parts: &[&Part]) -> Option<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut h = checksum::hasher(algo);
    for p in parts {
        let (_, v) = p.checksum.as_ref()?;
        h.update(&b64.decode(v).ok()?);
    }
    let c = h.finalize();
    checksum::get(&c, algo).map(|v| format!("{v}-{}", parts.len()))
}

#[cfg(test)]
mod tests {
    use super::copy_range;

    #[test]
    fn copy_ranges() {
        assert_eq!(copy_range(None, 10).unwrap(), (0, 10));
        assert_eq!(copy_range(Some("bytes=2-5"), 10).unwrap(), (2, 4));
        assert!(copy_range(Some("bytes=5-2"), 10).is_err());
        assert!(copy_range(Some("bytes=0-10"), 10).is_err());
        assert!(copy_range(Some("2-5"), 10).is_err());
    }
}
