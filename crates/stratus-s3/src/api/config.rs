//! Bucket sub-resources: policy, public access block, website, tagging.

use s3s::dto::*;
use s3s::{S3ErrorCode, S3Request, S3Result};
use stratus_store::Batch;

use super::object::{tag_set, validate_tags};
use super::{Api, access_denied, caller, custom, err, internal, no_such_bucket};
use crate::CallerInfo;
use crate::state::{self, BucketMeta, PublicAccessBlock, TABLE};
use crate::website::{RoutingRuleCfg, WebsiteConfig};

impl Api {
    /// Applies `f` to the bucket's metadata and writes it through.
    pub(crate) fn update_bucket<T>(
        &self,
        c: &CallerInfo,
        bucket: &str,
        f: impl FnOnce(&mut BucketMeta) -> S3Result<T>,
    ) -> S3Result<T> {
        let mut s = self.engine.db.state.write();
        let b = s.buckets.get_mut(bucket).ok_or_else(no_such_bucket)?;
        if b.meta.account != c.account {
            return Err(access_denied());
        }
        let mut next = b.meta.clone();
        let out = f(&mut next)?;
        let mut batch = Batch::new();
        batch
            .put_json(TABLE, state::bucket_key(bucket), &next)
            .map_err(internal)?;
        self.persist(batch)?;
        b.meta = next;
        Ok(out)
    }

    pub(crate) fn read_bucket<T>(
        &self,
        c: &CallerInfo,
        bucket: &str,
        f: impl FnOnce(&BucketMeta) -> S3Result<T>,
    ) -> S3Result<T> {
        let s = self.engine.db.state.read();
        let b = s.buckets.get(bucket).ok_or_else(no_such_bucket)?;
        if b.meta.account != c.account {
            return Err(access_denied());
        }
        f(&b.meta)
    }

    pub(crate) async fn put_bucket_policy(
        &self,
        req: S3Request<PutBucketPolicyInput>,
    ) -> S3Result<PutBucketPolicyOutput> {
        let c = caller(&req);
        let i = req.input;
        crate::policy::validate(&i.policy, &i.bucket)
            .map_err(|m| err(S3ErrorCode::MalformedPolicy, m))?;
        self.update_bucket(&c, &i.bucket, |b| {
            let blocked = b
                .public_access_block
                .as_ref()
                .is_some_and(|p| p.block_public_policy);
            if blocked && crate::policy::is_public(&i.policy) {
                return Err(access_denied());
            }
            b.policy = Some(i.policy.clone());
            Ok(())
        })?;
        Ok(PutBucketPolicyOutput::default())
    }

    pub(crate) async fn get_bucket_policy(
        &self,
        req: S3Request<GetBucketPolicyInput>,
    ) -> S3Result<GetBucketPolicyOutput> {
        let c = caller(&req);
        let policy = self.read_bucket(&c, &req.input.bucket, |b| {
            b.policy.clone().ok_or_else(|| {
                err(
                    S3ErrorCode::NoSuchBucketPolicy,
                    "The bucket policy does not exist",
                )
            })
        })?;
        Ok(GetBucketPolicyOutput {
            policy: Some(policy),
        })
    }

    pub(crate) async fn delete_bucket_policy(
        &self,
        req: S3Request<DeleteBucketPolicyInput>,
    ) -> S3Result<DeleteBucketPolicyOutput> {
        let c = caller(&req);
        self.update_bucket(&c, &req.input.bucket, |b| {
            b.policy = None;
            Ok(())
        })?;
        Ok(DeleteBucketPolicyOutput::default())
    }

    pub(crate) async fn put_public_access_block(
        &self,
        req: S3Request<PutPublicAccessBlockInput>,
    ) -> S3Result<PutPublicAccessBlockOutput> {
        let c = caller(&req);
        let cfg = req.input.public_access_block_configuration;
        let pab = PublicAccessBlock {
            block_public_acls: cfg.block_public_acls.unwrap_or(false),
            ignore_public_acls: cfg.ignore_public_acls.unwrap_or(false),
            block_public_policy: cfg.block_public_policy.unwrap_or(false),
            restrict_public_buckets: cfg.restrict_public_buckets.unwrap_or(false),
        };
        self.update_bucket(&c, &req.input.bucket, |b| {
            b.public_access_block = Some(pab);
            Ok(())
        })?;
        Ok(PutPublicAccessBlockOutput::default())
    }

    pub(crate) async fn get_public_access_block(
        &self,
        req: S3Request<GetPublicAccessBlockInput>,
    ) -> S3Result<GetPublicAccessBlockOutput> {
        let c = caller(&req);
        let p = self.read_bucket(&c, &req.input.bucket, |b| {
            b.public_access_block.clone().ok_or_else(|| {
                custom(
                    "NoSuchPublicAccessBlockConfiguration",
                    404,
                    "The public access block configuration was not found",
                )
            })
        })?;
        Ok(GetPublicAccessBlockOutput {
            public_access_block_configuration: Some(PublicAccessBlockConfiguration {
                block_public_acls: Some(p.block_public_acls),
                block_public_policy: Some(p.block_public_policy),
                ignore_public_acls: Some(p.ignore_public_acls),
                restrict_public_buckets: Some(p.restrict_public_buckets),
            }),
        })
    }

    pub(crate) async fn delete_public_access_block(
        &self,
        req: S3Request<DeletePublicAccessBlockInput>,
    ) -> S3Result<DeletePublicAccessBlockOutput> {
        let c = caller(&req);
        self.update_bucket(&c, &req.input.bucket, |b| {
            b.public_access_block = None;
            Ok(())
        })?;
        Ok(DeletePublicAccessBlockOutput::default())
    }

    pub(crate) async fn put_bucket_website(
        &self,
        req: S3Request<PutBucketWebsiteInput>,
    ) -> S3Result<PutBucketWebsiteOutput> {
        let c = caller(&req);
        let w = req.input.website_configuration;
        let invalid = |m: &str| err(S3ErrorCode::InvalidArgument, m.to_string());
        if w.redirect_all_requests_to.is_some()
            && (w.index_document.is_some()
                || w.error_document.is_some()
                || w.routing_rules.is_some())
        {
            return Err(invalid(
                "RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.",
            ));
        }
        if w.redirect_all_requests_to.is_none() && w.index_document.is_none() {
            return Err(invalid(
                "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
            ));
        }
        if let Some(ix) = &w.index_document {
            if ix.suffix.is_empty() || ix.suffix.contains('/') {
                return Err(invalid("The IndexDocument Suffix is not well formed"));
            }
        }
        let cfg = WebsiteConfig {
            index_suffix: w.index_document.map(|i| i.suffix),
            error_key: w.error_document.map(|e| e.key),
            redirect_all: w
                .redirect_all_requests_to
                .map(|r| (r.host_name, r.protocol.map(|p| p.as_str().to_string()))),
            rules: w
                .routing_rules
                .unwrap_or_default()
                .into_iter()
                .map(|r| RoutingRuleCfg {
                    key_prefix_equals: r
                        .condition
                        .as_ref()
                        .and_then(|c| c.key_prefix_equals.clone()),
                    error_code_equals: r
                        .condition
                        .as_ref()
                        .and_then(|c| c.http_error_code_returned_equals.clone()),
                    host: r.redirect.host_name,
                    protocol: r.redirect.protocol.map(|p| p.as_str().to_string()),
                    code: r.redirect.http_redirect_code,
                    replace_prefix: r.redirect.replace_key_prefix_with,
                    replace_key: r.redirect.replace_key_with,
                })
                .collect(),
        };
        let json = serde_json::to_string(&cfg).map_err(internal)?;
        self.update_bucket(&c, &req.input.bucket, |b| {
            b.configs.insert("website".into(), json);
            Ok(())
        })?;
        Ok(PutBucketWebsiteOutput::default())
    }

    pub(crate) async fn get_bucket_website(
        &self,
        req: S3Request<GetBucketWebsiteInput>,
    ) -> S3Result<GetBucketWebsiteOutput> {
        let c = caller(&req);
        let cfg = self.read_bucket(&c, &req.input.bucket, |b| {
            WebsiteConfig::of(b).ok_or_else(|| {
                err(
                    S3ErrorCode::NoSuchWebsiteConfiguration,
                    "The specified bucket does not have a website configuration",
                )
            })
        })?;
        let rules: Vec<RoutingRule> =
            cfg.rules
                .iter()
                .map(|r| RoutingRule {
                    condition: (r.key_prefix_equals.is_some() || r.error_code_equals.is_some())
                        .then(|| Condition {
                            key_prefix_equals: r.key_prefix_equals.clone(),
                            http_error_code_returned_equals: r.error_code_equals.clone(),
                        }),
                    redirect: Redirect {
                        host_name: r.host.clone(),
                        http_redirect_code: r.code.clone(),
                        protocol: r.protocol.clone().map(Protocol::from),
                        replace_key_prefix_with: r.replace_prefix.clone(),
                        replace_key_with: r.replace_key.clone(),
                    },
                })
                .collect();
        Ok(GetBucketWebsiteOutput {
            error_document: cfg.error_key.map(|key| ErrorDocument { key }),
            index_document: cfg.index_suffix.map(|suffix| IndexDocument { suffix }),
            redirect_all_requests_to: cfg.redirect_all.map(|(h, p)| RedirectAllRequestsTo {
                host_name: h,
                protocol: p.map(Protocol::from),
            }),
            routing_rules: (!rules.is_empty()).then_some(rules),
        })
    }

    pub(crate) async fn delete_bucket_website(
        &self,
        req: S3Request<DeleteBucketWebsiteInput>,
    ) -> S3Result<DeleteBucketWebsiteOutput> {
        let c = caller(&req);
        self.update_bucket(&c, &req.input.bucket, |b| {
            b.configs.remove("website");
            Ok(())
        })?;
        Ok(DeleteBucketWebsiteOutput::default())
    }

    pub(crate) async fn put_bucket_tagging(
        &self,
        req: S3Request<PutBucketTaggingInput>,
    ) -> S3Result<PutBucketTaggingOutput> {
        let c = caller(&req);
        let tags: Vec<(String, String)> = req
            .input
            .tagging
            .tag_set
            .into_iter()
            .map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()))
            .collect();
        if tags.len() > 50 {
            return Err(err(
                S3ErrorCode::InvalidTag,
                "Bucket tag count cannot be greater than 50",
            ));
        }
        if tags.len() <= 10 {
            validate_tags(&tags)?;
        }
        self.update_bucket(&c, &req.input.bucket, |b| {
            b.tags = Some(tags);
            Ok(())
        })?;
        Ok(PutBucketTaggingOutput::default())
    }

    pub(crate) async fn get_bucket_tagging(
        &self,
        req: S3Request<GetBucketTaggingInput>,
    ) -> S3Result<GetBucketTaggingOutput> {
        let c = caller(&req);
        let tags = self.read_bucket(&c, &req.input.bucket, |b| {
            b.tags
                .clone()
                .ok_or_else(|| err(S3ErrorCode::NoSuchTagSet, "The TagSet does not exist"))
        })?;
        Ok(GetBucketTaggingOutput {
            tag_set: tag_set(&tags),
        })
    }

    pub(crate) async fn delete_bucket_tagging(
        &self,
        req: S3Request<DeleteBucketTaggingInput>,
    ) -> S3Result<DeleteBucketTaggingOutput> {
        let c = caller(&req);
        self.update_bucket(&c, &req.input.bucket, |b| {
            b.tags = None;
            Ok(())
        })?;
        Ok(DeleteBucketTaggingOutput::default())
    }
}
