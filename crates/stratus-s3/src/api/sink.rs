//! S3 as other services write into it (`stratus_core::delivery::ObjectSink`):
//! an object put as its bucket's owner would put it, through PutObject's own
//! file and commit path.

use s3s::dto::StreamingBlob;
use stratus_core::AwsError;
use stratus_core::delivery::ObjectSink;

use super::Api;
use super::checksum;
use super::object::write_error;
use crate::S3;
use crate::state::ObjectMeta;

impl Api {
    async fn put_from_service(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
        now_ms: i64,
    ) -> s3s::S3Result<()> {
        let blob = StreamingBlob::from(s3s::Body::from(bytes::Bytes::from(body)));
        let written = self
            .engine
            .files
            .write(Some(blob), checksum::hasher(""), true)
            .await
            .map_err(write_error)?;
        let meta = ObjectMeta {
            key: key.to_string(),
            size: written.size,
            etag: hex::encode(written.md5),
            last_modified_ms: now_ms,
            content_type: Some(content_type.to_string()),
            sse: Some("AES256".into()),
            ..Default::default()
        };
        self.commit_object(bucket, meta, Some(written.staged), None, None)
            .await
            .map(drop)
    }
}

impl ObjectSink for S3 {
    fn bucket_owned(&self, account: &str, bucket: &str) -> bool {
        let s = self.engine.db.state.read();
        s.buckets
            .get(bucket)
            .is_some_and(|b| b.meta.account == account)
    }

    fn put(
        &self,
        account: &str,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
        now_ms: i64,
    ) -> Result<(), AwsError> {
        if !self.bucket_owned(account, bucket) {
            return Err(AwsError::bad_request(
                "NoSuchBucket",
                "The specified bucket does not exist",
            ));
        }
        let handle = tokio::runtime::Handle::try_current()
            .map_err(|_| AwsError::internal("S3 writes need the server's runtime"))?;
        let api = Api {
            engine: self.engine.clone(),
        };
        handle
            .block_on(api.put_from_service(bucket, key, body, content_type, now_ms))
            .map_err(|e| AwsError::internal(format!("S3 put failed: {e}")))
    }
}
