//! The hooks through which IAM reaches every request: an [`Authorizer`] that
//! the server consults for each call (refusing disabled keys always, and
//! applying policies when enforcement is on), and a [`RoleDirectory`] that
//! STS asks about roles. Both are traits so that neither the server nor STS
//! depends on the IAM crate; raw HTTP handlers (S3) call the same
//! [`Authorizer`] with the action and resources they parse themselves.

use crate::error::AwsError;
use crate::identity::Identity;

/// One authorization question: may `identity` do `action` on `resources`?
pub struct AccessRequest<'a> {
    pub identity: &'a Identity,
    /// `service:Operation`, e.g. `iam:CreateUser`, `s3:PutObject`.
    pub action: &'a str,
    /// Resource ARNs, or `*` when the operation names none.
    pub resources: &'a [String],
    /// Resource-based policies (JSON) attached to those resources: bucket,
    /// queue or topic policies. Evaluated with the caller's own policies.
    pub resource_policies: &'a [String],
    pub region: &'a str,
    /// Whether the request arrived over TLS (`aws:SecureTransport`).
    pub secure_transport: bool,
    pub now_ms: i64,
}

/// May a service principal act on a resource on behalf of a source (SNS
/// sending to a queue for a topic, S3 publishing to a topic for a bucket)?
/// Only the resource's own policies decide, as on AWS.
pub struct ServiceAccess<'a> {
    /// `sns.amazonaws.com`, `s3.amazonaws.com`.
    pub service: &'a str,
    /// `sqs:SendMessage`, `sns:Publish`.
    pub action: &'a str,
    pub resource: &'a str,
    pub resource_policies: &'a [String],
    /// `aws:SourceArn` and `aws:SourceAccount`.
    pub source_arn: &'a str,
    pub source_account: &'a str,
    pub region: &'a str,
    pub now_ms: i64,
}

/// Operations whose IAM action has another name than the operation.
const RENAMED: &[(&str, &str, &str)] = &[
    ("s3", "ListBuckets", "ListAllMyBuckets"),
    ("s3", "ListDirectoryBuckets", "ListAllMyDirectoryBuckets"),
    ("s3", "HeadBucket", "ListBucket"),
    ("s3", "ListObjects", "ListBucket"),
    ("s3", "ListObjectsV2", "ListBucket"),
    ("s3", "ListObjectVersions", "ListBucketVersions"),
    ("s3", "ListMultipartUploads", "ListBucketMultipartUploads"),
    ("s3", "ListParts", "ListMultipartUploadParts"),
    ("s3", "HeadObject", "GetObject"),
    ("s3", "GetObjectAttributes", "GetObject"),
    ("s3", "CopyObject", "PutObject"),
    ("s3", "CreateMultipartUpload", "PutObject"),
    ("s3", "UploadPart", "PutObject"),
    ("s3", "UploadPartCopy", "PutObject"),
    ("s3", "CompleteMultipartUpload", "PutObject"),
    ("s3", "DeleteObjects", "DeleteObject"),
    ("s3", "DeleteBucketCors", "PutBucketCORS"),
    ("s3", "GetBucketCors", "GetBucketCORS"),
    ("s3", "PutBucketCors", "PutBucketCORS"),
    ("s3", "DeleteBucketLifecycle", "PutLifecycleConfiguration"),
    (
        "s3",
        "GetBucketLifecycleConfiguration",
        "GetLifecycleConfiguration",
    ),
    (
        "s3",
        "PutBucketLifecycleConfiguration",
        "PutLifecycleConfiguration",
    ),
    ("s3", "DeleteBucketEncryption", "PutEncryptionConfiguration"),
    ("s3", "GetBucketEncryption", "GetEncryptionConfiguration"),
    ("s3", "PutBucketEncryption", "PutEncryptionConfiguration"),
    (
        "s3",
        "DeleteBucketReplication",
        "PutReplicationConfiguration",
    ),
    ("s3", "GetBucketReplication", "GetReplicationConfiguration"),
    ("s3", "PutBucketReplication", "PutReplicationConfiguration"),
    (
        "s3",
        "GetBucketNotificationConfiguration",
        "GetBucketNotification",
    ),
    (
        "s3",
        "PutBucketNotificationConfiguration",
        "PutBucketNotification",
    ),
    ("s3", "DeleteBucketTagging", "PutBucketTagging"),
    (
        "s3",
        "GetObjectLockConfiguration",
        "GetBucketObjectLockConfiguration",
    ),
    (
        "s3",
        "PutObjectLockConfiguration",
        "PutBucketObjectLockConfiguration",
    ),
    (
        "s3",
        "DeletePublicAccessBlock",
        "PutBucketPublicAccessBlock",
    ),
    ("s3", "GetPublicAccessBlock", "GetBucketPublicAccessBlock"),
    ("s3", "PutPublicAccessBlock", "PutBucketPublicAccessBlock"),
    (
        "s3",
        "DeleteBucketOwnershipControls",
        "PutBucketOwnershipControls",
    ),
    (
        "s3",
        "DeleteBucketAnalyticsConfiguration",
        "PutAnalyticsConfiguration",
    ),
    (
        "s3",
        "DeleteBucketMetricsConfiguration",
        "PutMetricsConfiguration",
    ),
    (
        "s3",
        "DeleteBucketInventoryConfiguration",
        "PutInventoryConfiguration",
    ),
    ("s3", "SelectObjectContent", "GetObject"),
    ("lambda", "Invoke", "InvokeFunction"),
    ("lambda", "InvokeWithResponseStream", "InvokeFunction"),
    ("lambda", "InvokeAsync", "InvokeFunction"),
];

/// The IAM action an operation is authorized as: `prefix:Operation`, except
/// where IAM names it differently (S3's ListBuckets is s3:ListAllMyBuckets).
/// Raw handlers use the same mapping for the operations they parse.
pub fn action_name(prefix: &str, operation: &str) -> String {
    let name = RENAMED
        .iter()
        .find(|(p, op, _)| *p == prefix && *op == operation)
        .map_or(operation, |(_, _, a)| a);
    format!("{prefix}:{name}")
}

/// The message of an AccessDenied error; its code depends on the protocol
/// (`AccessDenied` for query and XML, `AccessDeniedException` for JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct Denial {
    pub message: String,
}

impl Denial {
    /// The error in the code style a protocol uses.
    pub fn into_error(self, json_style: bool) -> AwsError {
        let code = if json_style {
            "AccessDeniedException"
        } else {
            "AccessDenied"
        };
        AwsError::new(403, code, self.message)
    }
}

pub trait Authorizer: Send + Sync {
    /// Runs for every request signed with a key Stratus issued: refuses
    /// disabled keys and records their use.
    fn authenticate(
        &self,
        identity: &Identity,
        service: &str,
        region: &str,
        now_ms: i64,
    ) -> Result<(), AwsError>;
    /// Whether policies are enforced on every request.
    fn enforcing(&self) -> bool;
    /// Applies the policies that govern `req`.
    fn authorize(&self, req: &AccessRequest) -> Result<(), Denial>;
    /// Whether the resource's policies allow a service principal's access
    /// (a delivery between services); asked only while enforcing.
    fn service_allowed(&self, req: &ServiceAccess) -> bool;
}

/// What a session STS issued carries beyond its identity.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionGrant {
    pub account_id: String,
    pub access_key: String,
    /// The inline session policy passed to AssumeRole.
    pub policy: Option<String>,
    /// Managed session policies (PolicyArns).
    pub policy_arns: Vec<String>,
    /// Whether the session was created with a valid MFA code.
    pub mfa: bool,
    /// For federated users: the ARN of the principal that called
    /// GetFederationToken, whose permissions the session policies narrow.
    pub federated_by: Option<String>,
    pub issued_ms: i64,
    pub expires_ms: i64,
}

/// An identity provider's token presented to AssumeRoleWithWebIdentity, or
/// a SAML response presented to AssumeRoleWithSAML.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WebIdentity {
    /// `arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH`, from the token's
    /// issuer, or `arn:aws:iam::ACCOUNT:saml-provider/NAME`.
    pub provider_arn: String,
    /// Condition keys from the token (`HOST/PATH:sub`, `HOST/PATH:aud`,
    /// `SAML:aud`, ...).
    pub claims: Vec<(String, String)>,
}

/// One request to assume a role.
pub struct AssumeRequest<'a> {
    pub caller: &'a Identity,
    pub role_arn: &'a str,
    /// `sts:AssumeRole`, `sts:AssumeRoleWithWebIdentity` or `sts:AssumeRoleWithSAML`.
    pub action: &'a str,
    pub duration_seconds: i64,
    pub web_identity: Option<WebIdentity>,
    pub now_ms: i64,
}

/// What STS needs to know about roles.
pub trait RoleDirectory: Send + Sync {
    /// Checks that the caller may assume the role for the duration asked:
    /// the role's unique id when the role exists, `None` when it does not
    /// and enforcement is off.
    fn assume(&self, req: &AssumeRequest) -> Result<Option<String>, AwsError>;
    /// Checks a one-time code from an MFA device of the caller's account.
    fn verify_mfa(
        &self,
        caller: &Identity,
        serial: &str,
        code: &str,
        now_ms: i64,
    ) -> Result<(), AwsError>;
    /// The issuer (metadata entityID) of a SAML provider, by ARN; `None` when
    /// the account has no such provider.
    fn saml_issuer(&self, provider_arn: &str) -> Option<String>;
    /// Records a new session's session policies and MFA state, which later
    /// authorization of its requests takes into account.
    fn session_started(&self, grant: SessionGrant) -> Result<(), AwsError>;
}

/// Temporary credentials of an instance profile's role, as EC2 hands them
/// to an instance through its metadata service.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleSession {
    pub role_name: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expires_ms: i64,
}

/// What the metadata service asks of IAM and STS for an instance profile.
pub trait InstanceRoles: Send + Sync {
    /// The role of the instance profile (`profile` is its ARN or name) and a
    /// fresh session of it named after the instance; None when the profile
    /// or its role does not exist.
    fn session(
        &self,
        account: &str,
        region: &str,
        profile: &str,
        instance_id: &str,
    ) -> Option<RoleSession>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names() {
        assert_eq!(action_name("iam", "CreateUser"), "iam:CreateUser");
        assert_eq!(action_name("s3", "ListBuckets"), "s3:ListAllMyBuckets");
        assert_eq!(action_name("s3", "HeadObject"), "s3:GetObject");
        assert_eq!(action_name("s3", "ListObjectsV2"), "s3:ListBucket");
        assert_eq!(action_name("s3", "PutObject"), "s3:PutObject");
        assert_eq!(action_name("lambda", "Invoke"), "lambda:InvokeFunction");
    }

    #[test]
    fn denial_codes_follow_the_protocol() {
        let d = Denial {
            message: "no".into(),
        };
        assert_eq!(d.clone().into_error(false).code, "AccessDenied");
        let e = d.into_error(true);
        assert_eq!((e.code.as_str(), e.status), ("AccessDeniedException", 403));
    }
}
