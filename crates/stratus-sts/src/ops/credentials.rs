//! Operations that issue temporary credentials.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use sha2::{Digest, Sha256};
use stratus_core::{
    AssumeRequest, AwsError, Identity, IdentityKind, RequestContext, SessionGrant, WebIdentity, ids,
};
use stratus_protocol::Timestamp;

use crate::Sts;
use crate::generated::*;

/// AWS's session-policy budget: packed policies are reported as a percentage of it.
const PACKED_POLICY_LIMIT: usize = 2048;
/// Account root users get at most one hour of session, whatever they ask.
const ROOT_MAX_SECONDS: i64 = 3600;

pub(super) struct RoleArn {
    pub account: String,
    partition: String,
    /// The role's name, without its path.
    name: String,
    /// The ARN as given.
    pub arn: String,
}

pub(super) fn parse_role_arn(arn: &str) -> Result<RoleArn, AwsError> {
    let invalid = || AwsError::bad_request("ValidationError", format!("{arn} is invalid"));
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(invalid());
    };
    let Some(path_name) = resource.strip_prefix("role/") else {
        return Err(invalid());
    };
    let name = path_name.rsplit('/').next().unwrap_or(path_name);
    if !ids::is_account_id(account) || name.is_empty() {
        return Err(invalid());
    }
    Ok(RoleArn {
        account: account.to_string(),
        partition: partition.to_string(),
        name: name.to_string(),
        arn: arn.to_string(),
    })
}

/// A role's unique id (`AROA` + 17 characters), stable for the same role ARN
/// until IAM holds real roles with their own ids.
fn role_id(role_arn: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = Sha256::digest(role_arn.as_bytes());
    let tail: String = digest
        .iter()
        .take(17)
        .map(|b| ALPHABET[(*b as usize) % 32] as char)
        .collect();
    format!("AROA{tail}")
}

/// A session token shaped like AWS's, derived from the key pair so it needs
/// no storage of its own.
fn session_token_for(access_key: &str, secret: &str) -> String {
    let mut bytes = Vec::with_capacity(288);
    let mut block = Sha256::digest(format!("{access_key}:{secret}").as_bytes()).to_vec();
    while bytes.len() < 288 {
        bytes.extend_from_slice(&block);
        block = Sha256::digest(&block).to_vec();
    }
    format!("IQoJb3JpZ2luX2VjE{}", B64.encode(&bytes))
}

fn packed_policy_size(policy: Option<&str>, arns: usize) -> Result<Option<i32>, AwsError> {
    if policy.is_none() && arns == 0 {
        return Ok(None);
    }
    let packed = policy
        .map(|p| p.split_whitespace().collect::<String>().len())
        .unwrap_or(0)
        + arns * 40;
    let percent = (packed * 100).div_ceil(PACKED_POLICY_LIMIT).max(1);
    if percent > 100 {
        return Err(AwsError::bad_request(
            "PackedPolicyTooLarge",
            format!(
                "Packed size of consumed session policies exceeds 2048 by {}%.",
                percent - 100
            ),
        ));
    }
    Ok(Some(percent as i32))
}

/// Checks the session policies a request passes and reports their packed
/// size, as AssumeRole, AssumeRoleWithWebIdentity and GetFederationToken do.
pub(super) fn session_policies(
    policy: Option<&str>,
    arns: Option<&[PolicyDescriptorType]>,
) -> Result<Option<i32>, AwsError> {
    check_policy_json(policy)?;
    packed_policy_size(policy, arns.map_or(0, <[_]>::len))
}

fn check_policy_json(policy: Option<&str>) -> Result<(), AwsError> {
    if let Some(p) = policy {
        if serde_json::from_str::<serde_json::Value>(p)
            .map(|v| !v.is_object())
            .unwrap_or(true)
        {
            return Err(AwsError::bad_request(
                "MalformedPolicyDocument",
                "The policy is not in the valid JSON format.",
            ));
        }
    }
    Ok(())
}

/// Issues a session for `template` (arn, user id, kind) lasting `seconds`.
pub(super) fn issue(
    sts: &Sts,
    ctx: &RequestContext,
    mut template: Identity,
    seconds: i64,
) -> Result<Credentials, AwsError> {
    let expires = ctx.clock.now_millis() / 1000 * 1000 + seconds * 1000;
    let secret = ids::secret(40);
    template.access_key = ids::key_id("ASIA", 16);
    template.expires_ms = Some(expires);
    let creds = Credentials {
        session_token: session_token_for(&template.access_key, &secret),
        access_key_id: template.access_key.clone(),
        secret_access_key: secret.clone(),
        expiration: Timestamp(expires),
    };
    template.secret_key = Some(secret);
    sts.sessions.issue(template)?;
    Ok(creds)
}

pub(super) fn assumed_role_identity(
    role: &RoleArn,
    role_unique_id: Option<String>,
    session: &str,
    source_identity: Option<String>,
) -> (Identity, AssumedRoleUser) {
    let arn = format!(
        "arn:{}:sts::{}:assumed-role/{}/{session}",
        role.partition, role.account, role.name
    );
    let user_id = format!(
        "{}:{session}",
        role_unique_id.unwrap_or_else(|| role_id(&role.arn))
    );
    let id = Identity {
        account_id: role.account.clone(),
        arn: arn.clone(),
        user_id: user_id.clone(),
        kind: IdentityKind::AssumedRole,
        access_key: String::new(),
        secret_key: None,
        session_token: None,
        expires_ms: None,
        role_arn: Some(role.arn.clone()),
        source_identity,
    };
    (
        id,
        AssumedRoleUser {
            assumed_role_id: user_id,
            arn,
        },
    )
}

pub fn service_session(
    sts: &Sts,
    ctx: &RequestContext,
    role_arn: &str,
    role_unique_id: Option<String>,
    session: &str,
    seconds: i64,
) -> Result<Credentials, AwsError> {
    let role = parse_role_arn(role_arn)?;
    let (id, _) = assumed_role_identity(&role, role_unique_id, session, None);
    issue(sts, ctx, id, seconds)
}

pub fn assume_role(
    sts: &Sts,
    ctx: &RequestContext,
    input: AssumeRoleRequest,
) -> Result<AssumeRoleResponse, AwsError> {
    let role = parse_role_arn(&input.role_arn)?;
    let packed = session_policies(input.policy.as_deref(), input.policy_arns.as_deref())?;
    let seconds = input.duration_seconds.map_or(3600, i64::from);
    let source = input
        .source_identity
        .clone()
        .or_else(|| ctx.identity.source_identity.clone());
    let mfa = check_mfa(sts, ctx, &input.serial_number, &input.token_code)?;
    let unique_id = match &sts.roles {
        Some(dir) => dir.assume(&AssumeRequest {
            caller: &ctx.identity,
            role_arn: &role.arn,
            action: "sts:AssumeRole",
            duration_seconds: seconds,
            web_identity: None,
            now_ms: ctx.clock.now_millis(),
        })?,
        None => None,
    };
    let (id, user) =
        assumed_role_identity(&role, unique_id, &input.role_session_name, source.clone());
    let creds = issue(sts, ctx, id, seconds)?;
    let arns = input
        .policy_arns
        .iter()
        .flatten()
        .filter_map(|p| p.arn.clone())
        .collect();
    grant(
        sts,
        ctx,
        &role.account,
        &creds,
        (input.policy.clone(), arns),
        mfa,
        None,
    )?;
    Ok(AssumeRoleResponse {
        credentials: Some(creds),
        assumed_role_user: Some(user),
        packed_policy_size: packed,
        source_identity: source,
        ..Default::default()
    })
}

/// The claims of a JWT, when the token is one; any token is accepted, as no
/// identity provider is configured to check signatures against.
fn jwt_claims(token: &str) -> serde_json::Value {
    token
        .split('.')
        .nth(1)
        .and_then(|p| B64URL.decode(p.trim_end_matches('=')).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// The provider a token names (its issuer) and the condition keys it brings.
fn web_identity(
    account: &str,
    claims: &serde_json::Value,
    audience: &Option<String>,
) -> WebIdentity {
    let iss = claims.get("iss").and_then(|v| v.as_str()).unwrap_or("");
    let host = iss
        .strip_prefix("https://")
        .unwrap_or(iss)
        .trim_end_matches('/');
    let mut keys = Vec::new();
    for claim in ["sub", "amr", "azp", "oaud"] {
        if let Some(v) = claims.get(claim).and_then(|v| v.as_str()) {
            keys.push((format!("{host}:{claim}"), v.to_string()));
        }
    }
    if let Some(aud) = audience {
        keys.push((format!("{host}:aud"), aud.clone()));
    }
    WebIdentity {
        provider_arn: format!("arn:aws:iam::{account}:oidc-provider/{host}"),
        claims: keys,
    }
}

pub fn assume_role_with_web_identity(
    sts: &Sts,
    ctx: &RequestContext,
    input: AssumeRoleWithWebIdentityRequest,
) -> Result<AssumeRoleWithWebIdentityResponse, AwsError> {
    let role = parse_role_arn(&input.role_arn)?;
    let packed = session_policies(input.policy.as_deref(), input.policy_arns.as_deref())?;
    let claims = jwt_claims(&input.web_identity_token);
    let claim = |k: &str| claims.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let audience = claim("aud").or_else(|| {
        claims
            .get("aud")?
            .as_array()?
            .first()?
            .as_str()
            .map(str::to_string)
    });
    let seconds = input.duration_seconds.map_or(3600, i64::from);
    let unique_id = match &sts.roles {
        Some(dir) => dir.assume(&AssumeRequest {
            caller: &ctx.identity,
            role_arn: &role.arn,
            action: "sts:AssumeRoleWithWebIdentity",
            duration_seconds: seconds,
            web_identity: Some(web_identity(&role.account, &claims, &audience)),
            now_ms: ctx.clock.now_millis(),
        })?,
        None => None,
    };
    let (id, user) = assumed_role_identity(&role, unique_id, &input.role_session_name, None);
    let creds = issue(sts, ctx, id, seconds)?;
    Ok(AssumeRoleWithWebIdentityResponse {
        credentials: Some(creds),
        subject_from_web_identity_token: Some(
            claim("sub").unwrap_or_else(|| input.role_session_name.clone()),
        ),
        assumed_role_user: Some(user),
        packed_policy_size: packed,
        provider: input.provider_id.clone().or_else(|| claim("iss")),
        audience,
        ..Default::default()
    })
}

/// A code given with a serial number must come from that MFA device;
/// true when one did.
fn check_mfa(
    sts: &Sts,
    ctx: &RequestContext,
    serial: &Option<String>,
    code: &Option<String>,
) -> Result<bool, AwsError> {
    match (&sts.roles, serial, code) {
        (Some(dir), Some(serial), Some(code)) => dir
            .verify_mfa(&ctx.identity, serial, code, ctx.clock.now_millis())
            .map(|()| true),
        _ => Ok(false),
    }
}

/// Tells IAM about a session's policies, MFA and federating principal, when
/// there is anything to tell.
pub(super) fn grant(
    sts: &Sts,
    ctx: &RequestContext,
    account: &str,
    creds: &Credentials,
    (policy, policy_arns): (Option<String>, Vec<String>),
    mfa: bool,
    federated_by: Option<String>,
) -> Result<(), AwsError> {
    match &sts.roles {
        Some(dir)
            if policy.is_some() || !policy_arns.is_empty() || mfa || federated_by.is_some() =>
        {
            dir.session_started(SessionGrant {
                account_id: account.to_string(),
                access_key: creds.access_key_id.clone(),
                policy,
                policy_arns,
                mfa,
                federated_by,
                issued_ms: ctx.clock.now_millis(),
                expires_ms: creds.expiration.0,
            })
        }
        _ => Ok(()),
    }
}

fn refuse_session_credentials(ctx: &RequestContext, op: &str) -> Result<(), AwsError> {
    if ctx.identity.expires_ms.is_some() {
        return Err(AwsError::access_denied(format!(
            "Cannot call {op} with session credentials"
        )));
    }
    Ok(())
}

fn capped(ctx: &RequestContext, asked: Option<i32>, default: i64) -> i64 {
    let s = asked.map_or(default, i64::from);
    if ctx.identity.kind == IdentityKind::Root {
        s.min(ROOT_MAX_SECONDS)
    } else {
        s
    }
}

pub fn session_token(
    sts: &Sts,
    ctx: &RequestContext,
    input: GetSessionTokenRequest,
) -> Result<GetSessionTokenResponse, AwsError> {
    refuse_session_credentials(ctx, "GetSessionToken")?;
    let mfa = check_mfa(sts, ctx, &input.serial_number, &input.token_code)?;
    let seconds = capped(ctx, input.duration_seconds, 43_200);
    let mut id = ctx.identity.clone();
    id.role_arn = None;
    let account = id.account_id.clone();
    let creds = issue(sts, ctx, id, seconds)?;
    grant(sts, ctx, &account, &creds, (None, Vec::new()), mfa, None)?;
    Ok(GetSessionTokenResponse {
        credentials: Some(creds),
        ..Default::default()
    })
}

pub fn federation_token(
    sts: &Sts,
    ctx: &RequestContext,
    input: GetFederationTokenRequest,
) -> Result<GetFederationTokenResponse, AwsError> {
    refuse_session_credentials(ctx, "GetFederationToken")?;
    let packed = session_policies(input.policy.as_deref(), input.policy_arns.as_deref())?;
    let seconds = capped(ctx, input.duration_seconds, 43_200);
    let account = ctx.account_id().to_string();
    let arn = format!("arn:aws:sts::{account}:federated-user/{}", input.name);
    let user_id = format!("{account}:{}", input.name);
    let id = Identity {
        account_id: account,
        arn: arn.clone(),
        user_id: user_id.clone(),
        kind: IdentityKind::FederatedUser,
        access_key: String::new(),
        secret_key: None,
        session_token: None,
        expires_ms: None,
        role_arn: None,
        source_identity: None,
    };
    let creds = issue(sts, ctx, id, seconds)?;
    let arns = input
        .policy_arns
        .iter()
        .flatten()
        .filter_map(|p| p.arn.clone())
        .collect();
    let by = Some(ctx.identity.arn.clone());
    grant(
        sts,
        ctx,
        ctx.account_id(),
        &creds,
        (input.policy.clone(), arns),
        false,
        by,
    )?;
    Ok(GetFederationTokenResponse {
        credentials: Some(creds),
        federated_user: Some(FederatedUser {
            federated_user_id: user_id,
            arn,
        }),
        packed_policy_size: packed,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns() {
        let r = parse_role_arn("arn:aws:iam::123456789012:role/path/to/web").unwrap();
        assert_eq!(
            (r.account.as_str(), r.name.as_str()),
            ("123456789012", "web")
        );
        assert!(parse_role_arn("arn:aws:iam::123456789012:user/bob").is_err());
        assert!(parse_role_arn("arn:aws:iam::12345:role/x").is_err());
        assert!(parse_role_arn("not an arn at all").is_err());
    }

    #[test]
    fn role_ids_are_stable_and_shaped() {
        let a = role_id("arn:aws:iam::123456789012:role/web");
        assert_eq!(a, role_id("arn:aws:iam::123456789012:role/web"));
        assert_ne!(a, role_id("arn:aws:iam::123456789012:role/db"));
        assert_eq!(a.len(), 21);
        assert!(a.starts_with("AROA"));
    }

    #[test]
    fn packed_sizes() {
        assert_eq!(packed_policy_size(None, 0).unwrap(), None);
        assert_eq!(packed_policy_size(Some("{}"), 0).unwrap(), Some(1));
        assert!(packed_policy_size(Some(&"x".repeat(5000)), 0).is_err());
    }

    #[test]
    fn web_identity_names_the_issuers_provider() {
        let claims = serde_json::json!({"iss": "https://token.actions.githubusercontent.com", "sub": "repo:o/r:ref:refs/heads/main"});
        let w = web_identity("123456789012", &claims, &Some("sts.amazonaws.com".into()));
        assert_eq!(
            w.provider_arn,
            "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
        );
        assert!(w.claims.contains(&(
            "token.actions.githubusercontent.com:aud".into(),
            "sts.amazonaws.com".into()
        )));
        assert!(w.claims.contains(&(
            "token.actions.githubusercontent.com:sub".into(),
            "repo:o/r:ref:refs/heads/main".into()
        )));
    }

    #[test]
    fn jwt_claims_are_read() {
        let payload = B64URL.encode(br#"{"sub":"alice","aud":"app","iss":"https://idp"}"#);
        let c = jwt_claims(&format!("e30.{payload}.sig"));
        assert_eq!(c["sub"], "alice");
        assert!(jwt_claims("opaque-token").is_null());
    }
}
