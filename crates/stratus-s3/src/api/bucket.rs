//! Buckets: create, head, list, delete, location.

use std::collections::BTreeMap;

use s3s::dto::*;
use s3s::{S3ErrorCode, S3Request, S3Result};
use stratus_store::Batch;

use super::{Api, caller, custom, err, no_such_bucket, owner, ts};
use crate::state::{self, BucketEntry, BucketMeta, PublicAccessBlock, TABLE};

/// Regions a LocationConstraint may name.
const REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// The region a CreateBucket request creates its bucket in, or AWS's error.
pub(crate) fn bucket_region(endpoint_region: &str, constraint: Option<&str>) -> S3Result<String> {
    let constraint = constraint.filter(|c| !c.is_empty());
    let constraint = constraint.map(|c| if c == "EU" { "eu-west-1" } else { c });
    match constraint {
        None if endpoint_region == "us-east-1" => Ok("us-east-1".into()),
        None => Err(err(
            S3ErrorCode::IllegalLocationConstraintException,
            "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.",
        )),
        Some(c) if !REGIONS.contains(&c) || c == "us-east-1" => Err(err(
            S3ErrorCode::InvalidLocationConstraint,
            "The specified location-constraint is not valid",
        )),
        Some(c) if endpoint_region != "us-east-1" && c != endpoint_region => Err(err(
            S3ErrorCode::IllegalLocationConstraintException,
            format!(
                "The {c} location constraint is incompatible for the region specific endpoint this request was sent to."
            ),
        )),
        Some(c) => Ok(c.to_string()),
    }
}

impl Api {
    pub(crate) async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<CreateBucketOutput> {
        let c = caller(&req);
        let name = req.input.bucket.clone();
        if !crate::names::valid_bucket_name(&name) {
            return Err(err(
                S3ErrorCode::InvalidBucketName,
                "The specified bucket is not valid.",
            ));
        }
        let constraint = req
            .input
            .create_bucket_configuration
            .as_ref()
            .and_then(|cfg| cfg.location_constraint.as_ref())
            .map(|l| l.as_str().to_string());
        let region = bucket_region(&c.region, constraint.as_deref())?;
        let ownership = req
            .input
            .object_ownership
            .as_ref()
            .map_or(ObjectOwnership::BUCKET_OWNER_ENFORCED.to_string(), |o| {
                o.as_str().to_string()
            });
        if !matches!(
            ownership.as_str(),
            "BucketOwnerEnforced" | "BucketOwnerPreferred" | "ObjectWriter"
        ) {
            return Err(err(
                S3ErrorCode::InvalidArgument,
                "Invalid x-amz-object-ownership header",
            ));
        }
        let ownership_xml = super::stored::to_xml(&OwnershipControls {
            rules: vec![OwnershipControlsRule {
                object_ownership: ObjectOwnership::from(ownership.clone()),
            }],
        })?;
        let mut s = self.engine.db.state.write();
        if let Some(existing) = s.buckets.get(&name) {
            if existing.meta.account != c.account {
                return Err(err(
                    S3ErrorCode::BucketAlreadyExists,
                    "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
                ));
            }
            // us-east-1 answers a repeated create by the owner with success.
            if existing.meta.region == "us-east-1" && region == "us-east-1" {
                return Ok(CreateBucketOutput {
                    location: Some(format!("/{name}")),
                    ..Default::default()
                });
            }
            return Err(err(
                S3ErrorCode::BucketAlreadyOwnedByYou,
                "Your previous request to create the named bucket succeeded and you already own it.",
            ));
        }
        // New buckets block public access, as AWS's have since April 2023.
        let meta = BucketMeta {
            name: name.clone(),
            account: c.account.clone(),
            region: region.clone(),
            created_ms: c.now_ms,
            policy: None,
            public_access_block: Some(PublicAccessBlock {
                block_public_acls: true,
                ignore_public_acls: true,
                block_public_policy: true,
                restrict_public_buckets: true,
            }),
            tags: None,
            configs: BTreeMap::new(),
            versioning: None,
        };
        let mut meta = meta;
        meta.configs.insert("ownership".into(), ownership_xml);
        let i = &req.input;
        let acl = super::acl::resolve(&meta, &c.account, super::acl::AclInput {
            canned: i.acl.as_ref().map(|a| a.as_str()),
            policy: None,
            full_control: &i.grant_full_control,
            read: &i.grant_read,
            read_acp: &i.grant_read_acp,
            write: &i.grant_write,
            write_acp: &i.grant_write_acp,
        })
        .map_err(|e| {
            if e.code().as_str() == "AccessControlListNotSupported" {
                custom(
                    "InvalidBucketAclWithObjectOwnership",
                    400,
                    "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
                )
            } else {
                e
            }
        })?;
        if let Some(acl) = acl {
            meta.configs.insert("acl".into(), acl);
        }
        let mut batch = Batch::new();
        batch
            .put_json(TABLE, state::bucket_key(&name), &meta)
            .map_err(super::internal)?;
        self.persist(batch)?;
        s.buckets.insert(name.clone(), BucketEntry::new(meta));
        let location = if region == "us-east-1" {
            format!("/{name}")
        } else {
            format!("http://{name}.s3.amazonaws.com/")
        };
        Ok(CreateBucketOutput {
            location: Some(location),
            ..Default::default()
        })
    }

    pub(crate) async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<HeadBucketOutput> {
        let c = caller(&req);
        self.check_bucket(&c, &req.input.bucket)?;
        let s = self.engine.db.state.read();
        let region = s
            .buckets
            .get(&req.input.bucket)
            .map(|b| b.meta.region.clone());
        Ok(HeadBucketOutput {
            bucket_region: region,
            ..Default::default()
        })
    }

    pub(crate) async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<ListBucketsOutput> {
        let c = caller(&req);
        let i = &req.input;
        let max = match i.max_buckets {
            Some(m) if !(1..=10000).contains(&m) => {
                return Err(err(
                    S3ErrorCode::InvalidArgument,
                    "Argument max-buckets must be an integer between 1 and 10000",
                ));
            }
            Some(m) => m as usize,
            None => usize::MAX,
        };
        let after = i
            .continuation_token
            .as_deref()
            .and_then(|t| decode_token(t));
        let prefix = i.prefix.clone().unwrap_or_default();
        let s = self.engine.db.state.read();
        let mut out = Vec::new();
        let mut next = None;
        for (name, b) in &s.buckets {
            if b.meta.account != c.account || !name.starts_with(&prefix) {
                continue;
            }
            if after.as_deref().is_some_and(|a| name.as_str() <= a) {
                continue;
            }
            if i.bucket_region
                .as_deref()
                .is_some_and(|r| r != b.meta.region)
            {
                continue;
            }
            if out.len() == max {
                next = out
                    .last()
                    .and_then(|x: &Bucket| x.name.as_deref())
                    .map(encode_token);
                break;
            }
            out.push(Bucket {
                bucket_region: Some(b.meta.region.clone()),
                creation_date: Some(ts(b.meta.created_ms)),
                name: Some(name.clone()),
            });
        }
        Ok(ListBucketsOutput {
            buckets: Some(out),
            continuation_token: next,
            owner: Some(owner(&c.account)),
            prefix: i.prefix.clone(),
        })
    }

    pub(crate) async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<DeleteBucketOutput> {
        let c = caller(&req);
        let name = &req.input.bucket;
        self.check_bucket(&c, name)?;
        let mut s = self.engine.db.state.write();
        let b = s.buckets.get(name).ok_or_else(no_such_bucket)?;
        if !b.is_empty() {
            return Err(err(
                S3ErrorCode::BucketNotEmpty,
                "The bucket you tried to delete is not empty",
            ));
        }
        let mut batch = Batch::new();
        batch.delete(TABLE, state::bucket_key(name));
        batch.delete_prefix(TABLE, format!("u/{name}/"));
        self.persist(batch)?;
        if let Some(b) = s.buckets.remove(name) {
            for u in b.uploads.values() {
                for p in u.parts.values() {
                    self.engine.files.remove(&p.file);
                }
            }
        }
        Ok(DeleteBucketOutput::default())
    }

    pub(crate) async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<GetBucketLocationOutput> {
        let c = caller(&req);
        self.check_bucket(&c, &req.input.bucket)?;
        let s = self.engine.db.state.read();
        let region = s
            .buckets
            .get(&req.input.bucket)
            .map(|b| b.meta.region.clone())
            .unwrap_or_default();
        Ok(GetBucketLocationOutput {
            location_constraint: (region != "us-east-1")
                .then(|| BucketLocationConstraint::from(region)),
        })
    }
}

pub(crate) fn encode_token(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
}

pub(crate) fn decode_token(t: &str) -> Option<String> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(t)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
}

#[allow(dead_code)]
pub(crate) fn no_such_config(code: &'static str, msg: &str) -> s3s::S3Error {
    custom(code, 404, msg)
}

#[cfg(test)]
mod tests {
    use super::bucket_region;

    #[test]
    fn location_constraints() {
        assert_eq!(bucket_region("us-east-1", None).unwrap(), "us-east-1");
        assert_eq!(
            bucket_region("us-east-1", Some("eu-west-1")).unwrap(),
            "eu-west-1"
        );
        assert_eq!(
            bucket_region("eu-west-1", Some("eu-west-1")).unwrap(),
            "eu-west-1"
        );
        assert_eq!(bucket_region("us-east-1", Some("EU")).unwrap(), "eu-west-1");
        let code =
            |r: &str, c: Option<&str>| bucket_region(r, c).unwrap_err().code().as_str().to_string();
        assert_eq!(
            code("eu-west-1", None),
            "IllegalLocationConstraintException"
        );
        assert_eq!(
            code("eu-west-1", Some("us-west-2")),
            "IllegalLocationConstraintException"
        );
        assert_eq!(
            code("us-east-1", Some("us-east-1")),
            "InvalidLocationConstraint"
        );
        assert_eq!(
            code("us-east-1", Some("mars-1")),
            "InvalidLocationConstraint"
        );
    }
}
