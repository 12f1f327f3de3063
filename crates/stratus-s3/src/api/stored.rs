//! Bucket configurations S3 stores and returns as given: default
//! encryption, ownership controls, logging, notifications, replication,
//! CORS and lifecycle rules. Each is kept as the XML document s3s decoded.

use s3s::dto::*;
use s3s::xml::{Deserialize, Deserializer, Serialize, Serializer};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Result};

use super::{Api, caller, custom, err, internal};
use crate::state::BucketMeta;

pub(crate) fn to_xml<T: Serialize>(v: &T) -> S3Result<String> {
    let mut buf = Vec::new();
    v.serialize(&mut Serializer::new(&mut buf))
        .map_err(internal)?;
    String::from_utf8(buf).map_err(internal)
}

pub(crate) fn from_xml<T: for<'x> Deserialize<'x>>(s: &str) -> Option<T> {
    T::deserialize(&mut Deserializer::new(s.as_bytes())).ok()
}

/// The stored configuration `name`, decoded.
pub(crate) fn config<T: for<'x> Deserialize<'x>>(b: &BucketMeta, name: &str) -> Option<T> {
    b.configs.get(name).and_then(|x| from_xml(x))
}

fn sse_s3_default() -> ServerSideEncryptionConfiguration {
    ServerSideEncryptionConfiguration {
        rules: vec![ServerSideEncryptionRule {
            apply_server_side_encryption_by_default: Some(ServerSideEncryptionByDefault {
                kms_master_key_id: None,
                sse_algorithm: ServerSideEncryption::from_static(ServerSideEncryption::AES256),
            }),
            bucket_key_enabled: Some(false),
        }],
    }
}

fn missing(code: S3ErrorCode, msg: &str) -> S3Error {
    err(code, msg.to_string())
}

impl Api {
    fn put_config<T: Serialize>(
        &self,
        req_caller: &crate::CallerInfo,
        bucket: &str,
        name: &str,
        v: &T,
    ) -> S3Result<()> {
        let xml = to_xml(v)?;
        self.update_bucket(req_caller, bucket, |b| {
            b.configs.insert(name.to_string(), xml);
            Ok(())
        })
    }

    fn delete_config(&self, c: &crate::CallerInfo, bucket: &str, name: &str) -> S3Result<()> {
        self.update_bucket(c, bucket, |b| {
            b.configs.remove(name);
            Ok(())
        })
    }

    fn get_config<T: for<'x> Deserialize<'x>>(
        &self,
        c: &crate::CallerInfo,
        bucket: &str,
        name: &str,
    ) -> S3Result<Option<T>> {
        self.read_bucket(c, bucket, |b| Ok(config(b, name)))
    }

    pub(crate) async fn put_bucket_encryption(
        &self,
        req: S3Request<PutBucketEncryptionInput>,
    ) -> S3Result<PutBucketEncryptionOutput> {
        let c = caller(&req);
        let cfg = req.input.server_side_encryption_configuration;
        if cfg.rules.is_empty() {
            return Err(err(
                S3ErrorCode::MalformedXML,
                "The XML you provided was not well-formed or did not validate against our published schema",
            ));
        }
        self.put_config(&c, &req.input.bucket, "encryption", &cfg)?;
        Ok(PutBucketEncryptionOutput::default())
    }

    pub(crate) async fn get_bucket_encryption(
        &self,
        req: S3Request<GetBucketEncryptionInput>,
    ) -> S3Result<GetBucketEncryptionOutput> {
        let c = caller(&req);
        let cfg = self.get_config(&c, &req.input.bucket, "encryption")?;
        // Every bucket encrypts with SSE-S3 unless told otherwise.
        Ok(GetBucketEncryptionOutput {
            server_side_encryption_configuration: Some(cfg.unwrap_or_else(sse_s3_default)),
        })
    }

    pub(crate) async fn delete_bucket_encryption(
        &self,
        req: S3Request<DeleteBucketEncryptionInput>,
    ) -> S3Result<DeleteBucketEncryptionOutput> {
        let c = caller(&req);
        self.delete_config(&c, &req.input.bucket, "encryption")?;
        Ok(DeleteBucketEncryptionOutput::default())
    }

    pub(crate) async fn put_bucket_ownership_controls(
        &self,
        req: S3Request<PutBucketOwnershipControlsInput>,
    ) -> S3Result<PutBucketOwnershipControlsOutput> {
        let c = caller(&req);
        let oc = req.input.ownership_controls;
        if oc.rules.len() != 1 {
            return Err(err(
                S3ErrorCode::MalformedXML,
                "The XML you provided was not well-formed or did not validate against our published schema",
            ));
        }
        self.put_config(&c, &req.input.bucket, "ownership", &oc)?;
        Ok(PutBucketOwnershipControlsOutput::default())
    }

    pub(crate) async fn get_bucket_ownership_controls(
        &self,
        req: S3Request<GetBucketOwnershipControlsInput>,
    ) -> S3Result<GetBucketOwnershipControlsOutput> {
        let c = caller(&req);
        let oc: Option<OwnershipControls> = self.get_config(&c, &req.input.bucket, "ownership")?;
        let oc = oc.ok_or_else(|| {
            custom(
                "OwnershipControlsNotFoundError",
                404,
                "The bucket ownership controls were not found",
            )
        })?;
        Ok(GetBucketOwnershipControlsOutput {
            ownership_controls: Some(oc),
        })
    }

    pub(crate) async fn delete_bucket_ownership_controls(
        &self,
        req: S3Request<DeleteBucketOwnershipControlsInput>,
    ) -> S3Result<DeleteBucketOwnershipControlsOutput> {
        let c = caller(&req);
        self.delete_config(&c, &req.input.bucket, "ownership")?;
        Ok(DeleteBucketOwnershipControlsOutput::default())
    }

    pub(crate) async fn put_bucket_logging(
        &self,
        req: S3Request<PutBucketLoggingInput>,
    ) -> S3Result<PutBucketLoggingOutput> {
        let c = caller(&req);
        let status = req.input.bucket_logging_status;
        if let Some(target) = status
            .logging_enabled
            .as_ref()
            .map(|l| l.target_bucket.clone())
        {
            let exists = self.engine.db.state.read().buckets.contains_key(&target);
            if !exists {
                return Err(custom(
                    "InvalidTargetBucketForLogging",
                    400,
                    "The target bucket for logging does not exist",
                ));
            }
        }
        self.put_config(&c, &req.input.bucket, "logging", &status)?;
        Ok(PutBucketLoggingOutput::default())
    }

    pub(crate) async fn get_bucket_logging(
        &self,
        req: S3Request<GetBucketLoggingInput>,
    ) -> S3Result<GetBucketLoggingOutput> {
        let c = caller(&req);
        let status: Option<BucketLoggingStatus> =
            self.get_config(&c, &req.input.bucket, "logging")?;
        Ok(GetBucketLoggingOutput {
            logging_enabled: status.and_then(|s| s.logging_enabled),
        })
    }

    pub(crate) async fn put_bucket_notification_configuration(
        &self,
        req: S3Request<PutBucketNotificationConfigurationInput>,
    ) -> S3Result<PutBucketNotificationConfigurationOutput> {
        let c = caller(&req);
        // Destinations must exist and accept S3's deliveries for the
        // bucket; a missing bucket is still NoSuchBucket.
        let cfg = &req.input.notification_configuration;
        let bucket = {
            let s = self.engine.db.state.read();
            s.buckets.get(&req.input.bucket).map(|b| b.meta.clone())
        };
        if let Some(bucket) = bucket {
            let refused = self.engine.targets.refusals(cfg, &bucket, c.now_ms);
            if !refused.is_empty() {
                let e = crate::notify::refusal_error(&refused);
                let message = e.message.clone();
                if let Some(slot) = req.extensions.get::<crate::notify::Refused>() {
                    slot.set(e);
                }
                return Err(err(S3ErrorCode::InvalidArgument, message));
            }
        }
        self.put_config(
            &c,
            &req.input.bucket,
            "notification",
            &req.input.notification_configuration,
        )?;
        Ok(PutBucketNotificationConfigurationOutput::default())
    }

    pub(crate) async fn get_bucket_notification_configuration(
        &self,
        req: S3Request<GetBucketNotificationConfigurationInput>,
    ) -> S3Result<GetBucketNotificationConfigurationOutput> {
        let c = caller(&req);
        let n: Option<NotificationConfiguration> =
            self.get_config(&c, &req.input.bucket, "notification")?;
        let n = n.unwrap_or_default();
        Ok(GetBucketNotificationConfigurationOutput {
            event_bridge_configuration: n.event_bridge_configuration,
            lambda_function_configurations: n.lambda_function_configurations,
            queue_configurations: n.queue_configurations,
            topic_configurations: n.topic_configurations,
        })
    }

    pub(crate) async fn put_bucket_replication(
        &self,
        req: S3Request<PutBucketReplicationInput>,
    ) -> S3Result<PutBucketReplicationOutput> {
        let c = caller(&req);
        let enabled = self.read_bucket(&c, &req.input.bucket, |b| {
            Ok(b.versioning.as_deref() == Some("Enabled"))
        })?;
        if !enabled {
            return Err(err(
                S3ErrorCode::InvalidRequest,
                "Versioning must be 'Enabled' on the bucket to apply a replication configuration",
            ));
        }
        self.put_config(
            &c,
            &req.input.bucket,
            "replication",
            &req.input.replication_configuration,
        )?;
        Ok(PutBucketReplicationOutput::default())
    }

    pub(crate) async fn get_bucket_replication(
        &self,
        req: S3Request<GetBucketReplicationInput>,
    ) -> S3Result<GetBucketReplicationOutput> {
        let c = caller(&req);
        let r: Option<ReplicationConfiguration> =
            self.get_config(&c, &req.input.bucket, "replication")?;
        let r = r.ok_or_else(|| {
            custom(
                "ReplicationConfigurationNotFoundError",
                404,
                "The replication configuration was not found",
            )
        })?;
        Ok(GetBucketReplicationOutput {
            replication_configuration: Some(r),
        })
    }

    pub(crate) async fn delete_bucket_replication(
        &self,
        req: S3Request<DeleteBucketReplicationInput>,
    ) -> S3Result<DeleteBucketReplicationOutput> {
        let c = caller(&req);
        self.delete_config(&c, &req.input.bucket, "replication")?;
        Ok(DeleteBucketReplicationOutput::default())
    }

    pub(crate) async fn put_bucket_cors(
        &self,
        req: S3Request<PutBucketCorsInput>,
    ) -> S3Result<PutBucketCorsOutput> {
        let c = caller(&req);
        let cfg = req.input.cors_configuration;
        if cfg.cors_rules.is_empty() || cfg.cors_rules.len() > 100 {
            return Err(err(
                S3ErrorCode::MalformedXML,
                "The XML you provided was not well-formed or did not validate against our published schema",
            ));
        }
        for r in &cfg.cors_rules {
            for m in &r.allowed_methods {
                if !matches!(m.as_str(), "GET" | "PUT" | "POST" | "DELETE" | "HEAD") {
                    return Err(err(
                        S3ErrorCode::InvalidRequest,
                        format!(
                            "Found unsupported HTTP method in CORS config. Unsupported method is {m}"
                        ),
                    ));
                }
            }
        }
        self.put_config(&c, &req.input.bucket, "cors", &cfg)?;
        Ok(PutBucketCorsOutput::default())
    }

    pub(crate) async fn get_bucket_cors(
        &self,
        req: S3Request<GetBucketCorsInput>,
    ) -> S3Result<GetBucketCorsOutput> {
        let c = caller(&req);
        let cfg: Option<CORSConfiguration> = self.get_config(&c, &req.input.bucket, "cors")?;
        let cfg = cfg.ok_or_else(|| {
            missing(
                S3ErrorCode::NoSuchCORSConfiguration,
                "The CORS configuration does not exist",
            )
        })?;
        Ok(GetBucketCorsOutput {
            cors_rules: Some(cfg.cors_rules),
        })
    }

    pub(crate) async fn delete_bucket_cors(
        &self,
        req: S3Request<DeleteBucketCorsInput>,
    ) -> S3Result<DeleteBucketCorsOutput> {
        let c = caller(&req);
        self.delete_config(&c, &req.input.bucket, "cors")?;
        Ok(DeleteBucketCorsOutput::default())
    }

    pub(crate) async fn put_bucket_lifecycle_configuration(
        &self,
        req: S3Request<PutBucketLifecycleConfigurationInput>,
    ) -> S3Result<PutBucketLifecycleConfigurationOutput> {
        let c = caller(&req);
        let cfg = req.input.lifecycle_configuration.ok_or_else(|| {
            err(S3ErrorCode::MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema")
        })?;
        crate::lifecycle::validate(&cfg).map_err(|m| err(S3ErrorCode::InvalidArgument, m))?;
        self.put_config(&c, &req.input.bucket, "lifecycle", &cfg)?;
        Ok(PutBucketLifecycleConfigurationOutput {
            transition_default_minimum_object_size: Some(
                TransitionDefaultMinimumObjectSize::from_static(
                    TransitionDefaultMinimumObjectSize::ALL_STORAGE_CLASSES_128K,
                ),
            ),
        })
    }

    pub(crate) async fn get_bucket_lifecycle_configuration(
        &self,
        req: S3Request<GetBucketLifecycleConfigurationInput>,
    ) -> S3Result<GetBucketLifecycleConfigurationOutput> {
        let c = caller(&req);
        let cfg: Option<BucketLifecycleConfiguration> =
            self.get_config(&c, &req.input.bucket, "lifecycle")?;
        let cfg = cfg.ok_or_else(|| {
            missing(
                S3ErrorCode::NoSuchLifecycleConfiguration,
                "The lifecycle configuration does not exist",
            )
        })?;
        Ok(GetBucketLifecycleConfigurationOutput {
            rules: Some(cfg.rules),
            transition_default_minimum_object_size: Some(
                TransitionDefaultMinimumObjectSize::from_static(
                    TransitionDefaultMinimumObjectSize::ALL_STORAGE_CLASSES_128K,
                ),
            ),
        })
    }

    pub(crate) async fn delete_bucket_lifecycle(
        &self,
        req: S3Request<DeleteBucketLifecycleInput>,
    ) -> S3Result<DeleteBucketLifecycleOutput> {
        let c = caller(&req);
        self.delete_config(&c, &req.input.bucket, "lifecycle")?;
        Ok(DeleteBucketLifecycleOutput::default())
    }
}
