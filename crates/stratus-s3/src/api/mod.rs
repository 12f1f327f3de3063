//! The S3 REST API: s3s decodes each request into a typed input; these
//! handlers answer it from our own storage.

mod acl;
mod bucket;
mod checksum;
mod config;
mod list;
mod multipart;
mod object;
mod sink;
mod stored;
mod versioning;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use s3s::dto::*;
use s3s::{S3, S3Error, S3ErrorCode, S3Request, S3Response, S3Result};

use crate::{CallerInfo, Engine};

pub(crate) use acl::grants_public_read;
pub(crate) use object::{Content, Deleted, body_of};
pub(crate) use stored::config as stored_config;

pub struct Api {
    pub(crate) engine: Arc<Engine>,
}

pub(crate) fn err(code: S3ErrorCode, msg: impl Into<String>) -> S3Error {
    S3Error::with_message(code, msg.into())
}

/// An error code s3s does not know, with its HTTP status.
pub(crate) fn custom(code: &'static str, status: u16, msg: impl Into<String>) -> S3Error {
    let mut e = S3Error::with_message(S3ErrorCode::Custom(code.into()), msg.into());
    if let Ok(s) = http::StatusCode::from_u16(status) {
        e.set_status_code(s);
    }
    e
}

pub(crate) fn internal(e: impl std::fmt::Display) -> S3Error {
    err(
        S3ErrorCode::InternalError,
        format!("We encountered an internal error. Please try again. ({e})"),
    )
}

pub(crate) fn no_such_bucket() -> S3Error {
    err(
        S3ErrorCode::NoSuchBucket,
        "The specified bucket does not exist",
    )
}

pub(crate) fn no_such_key() -> S3Error {
    err(S3ErrorCode::NoSuchKey, "The specified key does not exist.")
}

pub(crate) fn access_denied() -> S3Error {
    err(S3ErrorCode::AccessDenied, "Access Denied")
}

pub(crate) fn ts(ms: i64) -> Timestamp {
    let t = if ms >= 0 {
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms as u64)
    } else {
        SystemTime::UNIX_EPOCH
    };
    Timestamp::from(t)
}

pub(crate) fn ms_of(t: &Timestamp) -> i64 {
    let odt: time::OffsetDateTime = t.clone().into();
    (odt.unix_timestamp_nanos() / 1_000_000) as i64
}

pub(crate) fn etag(e: &str) -> ETag {
    ETag::Strong(e.to_string())
}

/// The canonical user id S3 shows for an account.
pub(crate) fn owner(account: &str) -> Owner {
    use sha2::Digest;
    Owner {
        display_name: Some("webfile".to_string()),
        id: Some(hex::encode(sha2::Sha256::digest(account.as_bytes()))),
    }
}

pub(crate) fn caller<T>(req: &S3Request<T>) -> CallerInfo {
    req.extensions
        .get::<CallerInfo>()
        .cloned()
        .unwrap_or(CallerInfo {
            identity: stratus_core::Identity::root(stratus_core::DEFAULT_ACCOUNT, ""),
            account: stratus_core::DEFAULT_ACCOUNT.to_string(),
            region: stratus_core::DEFAULT_REGION.to_string(),
            request_id: String::new(),
            now_ms: 0,
        })
}

impl Api {
    /// Saves a key's versions; in memory only (`--ephemeral`) there is
    /// nothing to encode them for.
    pub(crate) fn persist_key(
        &self,
        b: &crate::state::BucketEntry,
        key: &str,
        ks: &crate::state::KeyState,
    ) -> S3Result<()> {
        if !self.engine.db.store.is_persistent() {
            return Ok(());
        }
        let mut batch = stratus_store::Batch::new();
        b.persist_key(&mut batch, key, ks).map_err(internal)?;
        self.persist(batch)
    }

    pub(crate) fn persist(&self, batch: stratus_store::Batch) -> S3Result<()> {
        if !self.engine.db.store.is_persistent() {
            return Ok(());
        }
        self.engine.db.commit(batch).map_err(internal)
    }

    /// The bucket, if it exists and the caller's account owns it.
    pub(crate) fn check_bucket(&self, c: &CallerInfo, bucket: &str) -> S3Result<()> {
        let s = self.engine.db.state.read();
        let b = s.buckets.get(bucket).ok_or_else(no_such_bucket)?;
        if b.meta.account != c.account {
            return Err(access_denied());
        }
        Ok(())
    }
}

macro_rules! delegate {
    ($($name:ident: $input:ty => $output:ty;)*) => {
        #[async_trait::async_trait]
        impl S3 for Api {
            $(
                async fn $name(&self, req: S3Request<$input>) -> S3Result<S3Response<$output>> {
                    let request_id = caller(&req).request_id;
                    self.$name(req).await.map(S3Response::new).map_err(|mut e| {
                        e.set_request_id(request_id);
                        e
                    })
                }
            )*
        }
    };
}

delegate! {
    create_bucket: CreateBucketInput => CreateBucketOutput;
    head_bucket: HeadBucketInput => HeadBucketOutput;
    list_buckets: ListBucketsInput => ListBucketsOutput;
    delete_bucket: DeleteBucketInput => DeleteBucketOutput;
    get_bucket_location: GetBucketLocationInput => GetBucketLocationOutput;
    put_object: PutObjectInput => PutObjectOutput;
    get_object: GetObjectInput => GetObjectOutput;
    head_object: HeadObjectInput => HeadObjectOutput;
    delete_object: DeleteObjectInput => DeleteObjectOutput;
    delete_objects: DeleteObjectsInput => DeleteObjectsOutput;
    copy_object: CopyObjectInput => CopyObjectOutput;
    get_object_tagging: GetObjectTaggingInput => GetObjectTaggingOutput;
    put_object_tagging: PutObjectTaggingInput => PutObjectTaggingOutput;
    delete_object_tagging: DeleteObjectTaggingInput => DeleteObjectTaggingOutput;
    list_objects: ListObjectsInput => ListObjectsOutput;
    list_objects_v2: ListObjectsV2Input => ListObjectsV2Output;
    create_multipart_upload: CreateMultipartUploadInput => CreateMultipartUploadOutput;
    upload_part: UploadPartInput => UploadPartOutput;
    upload_part_copy: UploadPartCopyInput => UploadPartCopyOutput;
    complete_multipart_upload: CompleteMultipartUploadInput => CompleteMultipartUploadOutput;
    abort_multipart_upload: AbortMultipartUploadInput => AbortMultipartUploadOutput;
    list_parts: ListPartsInput => ListPartsOutput;
    list_multipart_uploads: ListMultipartUploadsInput => ListMultipartUploadsOutput;
    put_bucket_policy: PutBucketPolicyInput => PutBucketPolicyOutput;
    get_bucket_policy: GetBucketPolicyInput => GetBucketPolicyOutput;
    delete_bucket_policy: DeleteBucketPolicyInput => DeleteBucketPolicyOutput;
    put_public_access_block: PutPublicAccessBlockInput => PutPublicAccessBlockOutput;
    get_public_access_block: GetPublicAccessBlockInput => GetPublicAccessBlockOutput;
    delete_public_access_block: DeletePublicAccessBlockInput => DeletePublicAccessBlockOutput;
    put_bucket_website: PutBucketWebsiteInput => PutBucketWebsiteOutput;
    get_bucket_website: GetBucketWebsiteInput => GetBucketWebsiteOutput;
    delete_bucket_website: DeleteBucketWebsiteInput => DeleteBucketWebsiteOutput;
    put_bucket_tagging: PutBucketTaggingInput => PutBucketTaggingOutput;
    get_bucket_tagging: GetBucketTaggingInput => GetBucketTaggingOutput;
    delete_bucket_tagging: DeleteBucketTaggingInput => DeleteBucketTaggingOutput;
    put_bucket_versioning: PutBucketVersioningInput => PutBucketVersioningOutput;
    get_bucket_versioning: GetBucketVersioningInput => GetBucketVersioningOutput;
    list_object_versions: ListObjectVersionsInput => ListObjectVersionsOutput;
    put_bucket_encryption: PutBucketEncryptionInput => PutBucketEncryptionOutput;
    get_bucket_encryption: GetBucketEncryptionInput => GetBucketEncryptionOutput;
    delete_bucket_encryption: DeleteBucketEncryptionInput => DeleteBucketEncryptionOutput;
    put_bucket_ownership_controls: PutBucketOwnershipControlsInput => PutBucketOwnershipControlsOutput;
    get_bucket_ownership_controls: GetBucketOwnershipControlsInput => GetBucketOwnershipControlsOutput;
    delete_bucket_ownership_controls: DeleteBucketOwnershipControlsInput => DeleteBucketOwnershipControlsOutput;
    put_bucket_logging: PutBucketLoggingInput => PutBucketLoggingOutput;
    get_bucket_logging: GetBucketLoggingInput => GetBucketLoggingOutput;
    put_bucket_notification_configuration: PutBucketNotificationConfigurationInput => PutBucketNotificationConfigurationOutput;
    get_bucket_notification_configuration: GetBucketNotificationConfigurationInput => GetBucketNotificationConfigurationOutput;
    put_bucket_replication: PutBucketReplicationInput => PutBucketReplicationOutput;
    get_bucket_replication: GetBucketReplicationInput => GetBucketReplicationOutput;
    delete_bucket_replication: DeleteBucketReplicationInput => DeleteBucketReplicationOutput;
    put_bucket_cors: PutBucketCorsInput => PutBucketCorsOutput;
    get_bucket_cors: GetBucketCorsInput => GetBucketCorsOutput;
    delete_bucket_cors: DeleteBucketCorsInput => DeleteBucketCorsOutput;
    put_bucket_lifecycle_configuration: PutBucketLifecycleConfigurationInput => PutBucketLifecycleConfigurationOutput;
    get_bucket_lifecycle_configuration: GetBucketLifecycleConfigurationInput => GetBucketLifecycleConfigurationOutput;
    delete_bucket_lifecycle: DeleteBucketLifecycleInput => DeleteBucketLifecycleOutput;
    get_bucket_acl: GetBucketAclInput => GetBucketAclOutput;
    put_bucket_acl: PutBucketAclInput => PutBucketAclOutput;
    get_object_acl: GetObjectAclInput => GetObjectAclOutput;
    put_object_acl: PutObjectAclInput => PutObjectAclOutput;
}
