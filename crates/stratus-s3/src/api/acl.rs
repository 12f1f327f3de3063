//! Access control lists: canned ACLs and grants, stored and returned, and
//! refused where the bucket's object ownership disables ACLs.

use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Result};

use super::stored::{config, from_xml, to_xml};
use super::{Api, caller, custom, err, owner};
use crate::state::BucketMeta;

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTH_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

fn group(uri: &str, permission: &'static str) -> Grant {
    Grant {
        grantee: Some(Grantee {
            type_: Type::from_static(Type::GROUP),
            uri: Some(uri.to_string()),
            display_name: None,
            email_address: None,
            id: None,
        }),
        permission: Some(Permission::from_static(permission)),
    }
}

fn user(id: &str, display: Option<String>, permission: String) -> Grant {
    Grant {
        grantee: Some(Grantee {
            type_: Type::from_static(Type::CANONICAL_USER),
            id: Some(id.to_string()),
            display_name: display,
            email_address: None,
            uri: None,
        }),
        permission: Some(Permission::from(permission)),
    }
}

/// The policy a canned ACL stands for; `None` for an unknown name.
pub fn canned(name: &str, account: &str) -> Option<AccessControlPolicy> {
    let o = owner(account);
    let id = o.id.clone().unwrap_or_default();
    let mut grants = vec![user(
        &id,
        o.display_name.clone(),
        Permission::FULL_CONTROL.to_string(),
    )];
    match name {
        "private" | "bucket-owner-read" | "bucket-owner-full-control" | "aws-exec-read" => {}
        "public-read" => grants.push(group(ALL_USERS, Permission::READ)),
        "public-read-write" => {
            grants.push(group(ALL_USERS, Permission::READ));
            grants.push(group(ALL_USERS, Permission::WRITE));
        }
        "authenticated-read" => grants.push(group(AUTH_USERS, Permission::READ)),
        "log-delivery-write" => {
            grants.push(group(LOG_DELIVERY, Permission::WRITE));
            grants.push(group(LOG_DELIVERY, Permission::READ_ACP));
        }
        _ => return None,
    }
    Some(AccessControlPolicy {
        grants: Some(grants),
        owner: Some(o),
    })
}

/// Whether the policy lets anyone read.
pub fn grants_public_read(xml: Option<&str>) -> bool {
    let Some(p) = xml.and_then(from_xml::<AccessControlPolicy>) else {
        return false;
    };
    p.grants.iter().flatten().any(|g| {
        g.grantee.as_ref().and_then(|x| x.uri.as_deref()) == Some(ALL_USERS)
            && g.permission
                .as_ref()
                .is_some_and(|p| matches!(p.as_str(), "READ" | "FULL_CONTROL"))
    })
}

/// Grants from `x-amz-grant-*` headers: `uri="...", id="..."` lists.
fn header_grants(
    pairs: &[(&Option<String>, &'static str)],
    account: &str,
) -> S3Result<Option<AccessControlPolicy>> {
    let mut grants = Vec::new();
    for (value, permission) in pairs {
        let Some(v) = value else { continue };
        for item in v.split(',') {
            let (k, val) = item
                .trim()
                .split_once('=')
                .ok_or_else(|| err(S3ErrorCode::InvalidArgument, "Invalid grant header"))?;
            let val = val.trim().trim_matches('"');
            let grant = match k.trim() {
                "uri" => group(val, permission),
                "id" => user(val, None, permission.to_string()),
                "emailAddress" => {
                    return Err(custom(
                        "UnresolvableGrantByEmailAddress",
                        400,
                        "The e-mail address you provided does not match any account on record.",
                    ));
                }
                _ => return Err(err(S3ErrorCode::InvalidArgument, "Invalid grant header")),
            };
            grants.push(grant);
        }
    }
    if grants.is_empty() {
        return Ok(None);
    }
    Ok(Some(AccessControlPolicy {
        grants: Some(grants),
        owner: Some(owner(account)),
    }))
}

fn acls_disabled(b: &BucketMeta) -> bool {
    let oc: Option<OwnershipControls> = config(b, "ownership");
    oc.is_some_and(|o| {
        o.rules
            .iter()
            .any(|r| r.object_ownership.as_str() == ObjectOwnership::BUCKET_OWNER_ENFORCED)
    })
}

fn not_supported() -> S3Error {
    custom(
        "AccessControlListNotSupported",
        400,
        "The bucket does not allow ACLs",
    )
}

/// Whether a policy only gives the owner full control (allowed even with ACLs disabled).
fn owner_only(p: &AccessControlPolicy, account: &str) -> bool {
    let id = owner(account).id;
    p.grants.iter().flatten().all(|g| {
        g.grantee.as_ref().and_then(|x| x.id.clone()) == id
            && g.permission
                .as_ref()
                .is_some_and(|p| p.as_str() == "FULL_CONTROL")
    })
}

pub(crate) struct AclInput<'a> {
    pub canned: Option<&'a str>,
    pub policy: Option<AccessControlPolicy>,
    pub full_control: &'a Option<String>,
    pub read: &'a Option<String>,
    pub read_acp: &'a Option<String>,
    pub write: &'a Option<String>,
    pub write_acp: &'a Option<String>,
}

/// The ACL a request sets, as stored XML; `Ok(None)` when it sets none.
pub(crate) fn resolve(
    b: &BucketMeta,
    account: &str,
    input: AclInput<'_>,
) -> S3Result<Option<String>> {
    let from_headers = header_grants(
        &[
            (input.full_control, Permission::FULL_CONTROL),
            (input.read, Permission::READ),
            (input.read_acp, Permission::READ_ACP),
            (input.write, Permission::WRITE),
            (input.write_acp, Permission::WRITE_ACP),
        ],
        account,
    )?;
    let given = [
        input.canned.is_some(),
        input.policy.is_some(),
        from_headers.is_some(),
    ];
    if given.iter().filter(|x| **x).count() > 1 {
        return Err(err(
            S3ErrorCode::InvalidRequest,
            "Specifying both Canned ACLs and Header Grants is not allowed",
        ));
    }
    let policy = match (input.canned, input.policy, from_headers) {
        (Some(c), _, _) => canned(c, account)
            .ok_or_else(|| err(S3ErrorCode::InvalidArgument, "Invalid canned ACL"))?,
        (None, Some(p), _) => p,
        (None, None, Some(p)) => p,
        (None, None, None) => return Ok(None),
    };
    if acls_disabled(b) && !owner_only(&policy, account) {
        return Err(not_supported());
    }
    to_xml(&policy).map(Some)
}

impl Api {
    pub(crate) async fn get_bucket_acl(
        &self,
        req: S3Request<GetBucketAclInput>,
    ) -> S3Result<GetBucketAclOutput> {
        let c = caller(&req);
        let p = self.read_bucket(&c, &req.input.bucket, |b| {
            Ok(config::<AccessControlPolicy>(b, "acl").or_else(|| canned("private", &b.account)))
        })?;
        let p = p.unwrap_or_default();
        Ok(GetBucketAclOutput {
            grants: p.grants,
            owner: p.owner,
        })
    }

    pub(crate) async fn put_bucket_acl(
        &self,
        req: S3Request<PutBucketAclInput>,
    ) -> S3Result<PutBucketAclOutput> {
        let c = caller(&req);
        let i = req.input;
        self.update_bucket(&c, &i.bucket, |b| {
            let xml = resolve(
                b,
                &c.account,
                AclInput {
                    canned: i.acl.as_ref().map(|a| a.as_str()),
                    policy: i.access_control_policy.clone(),
                    full_control: &i.grant_full_control,
                    read: &i.grant_read,
                    read_acp: &i.grant_read_acp,
                    write: &i.grant_write,
                    write_acp: &i.grant_write_acp,
                },
            )?
            .ok_or_else(|| {
                err(
                    S3ErrorCode::MissingSecurityHeader,
                    "Your request was missing a required header",
                )
            })?;
            b.configs.insert("acl".into(), xml);
            Ok(())
        })?;
        Ok(PutBucketAclOutput::default())
    }

    pub(crate) async fn get_object_acl(
        &self,
        req: S3Request<GetObjectAclInput>,
    ) -> S3Result<GetObjectAclOutput> {
        let c = caller(&req);
        let i = req.input;
        let f = self.find_version(
            &c.account,
            &i.bucket,
            &i.key,
            i.version_id.as_deref(),
            false,
        )?;
        let p = f
            .meta
            .acl
            .as_deref()
            .and_then(from_xml::<AccessControlPolicy>)
            .or_else(|| canned("private", &c.account))
            .unwrap_or_default();
        Ok(GetObjectAclOutput {
            grants: p.grants,
            owner: p.owner,
            ..Default::default()
        })
    }

    pub(crate) async fn put_object_acl(
        &self,
        req: S3Request<PutObjectAclInput>,
    ) -> S3Result<PutObjectAclOutput> {
        let c = caller(&req);
        let i = req.input;
        let meta = self.read_bucket(&c, &i.bucket, |b| Ok(b.clone()))?;
        let xml = resolve(
            &meta,
            &c.account,
            AclInput {
                canned: i.acl.as_ref().map(|a| a.as_str()),
                policy: i.access_control_policy.clone(),
                full_control: &i.grant_full_control,
                read: &i.grant_read,
                read_acp: &i.grant_read_acp,
                write: &None,
                write_acp: &i.grant_write_acp,
            },
        )?
        .ok_or_else(|| {
            err(
                S3ErrorCode::MissingSecurityHeader,
                "Your request was missing a required header",
            )
        })?;
        self.update_object(&c, &i.bucket, &i.key, |o| o.acl = Some(xml))?;
        Ok(PutObjectAclOutput::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canned_policies() {
        let p = canned("public-read", "111122223333").unwrap();
        let grants = p.grants.unwrap();
        assert_eq!(grants.len(), 2);
        assert_eq!(
            grants[1].grantee.as_ref().unwrap().uri.as_deref(),
            Some(ALL_USERS)
        );
        assert!(canned("nonsense", "1").is_none());
        let xml = to_xml(&canned("public-read", "1").unwrap()).unwrap();
        assert!(grants_public_read(Some(&xml)));
        let private = to_xml(&canned("private", "1").unwrap()).unwrap();
        assert!(!grants_public_read(Some(&private)));
    }
}
