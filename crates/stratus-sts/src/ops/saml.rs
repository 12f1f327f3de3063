//! AssumeRoleWithSAML: a session for a role named in an identity provider's
//! SAML response, for a provider registered in the role's account.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use stratus_core::{AssumeRequest, AwsError, RequestContext, WebIdentity};

use super::credentials::{assumed_role_identity, grant, issue, parse_role_arn, session_policies};
use crate::Sts;
use crate::generated::*;
use crate::saml::{self, SamlResponse};

fn invalid(message: &str) -> AwsError {
    AwsError::bad_request("InvalidIdentityToken", message)
}

fn valid_session_name(name: &str) -> bool {
    (2..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

/// `SAML:namequalifier`: base64 of SHA-1 over issuer, account and provider name.
fn name_qualifier(issuer: &str, account: &str, provider_arn: &str) -> String {
    let provider = provider_arn.rsplit('/').next().unwrap_or(provider_arn);
    let digest =
        <sha1::Sha1 as sha1::Digest>::digest(format!("{issuer}{account}/{provider}").as_bytes());
    B64.encode(digest)
}

/// The condition keys a trust policy can test.
fn claims(r: &SamlResponse, qualifier: &str) -> Vec<(String, String)> {
    let mut keys = vec![
        ("SAML:iss".to_string(), r.issuer.clone()),
        ("SAML:sub".to_string(), r.name_id.clone()),
        ("SAML:namequalifier".to_string(), qualifier.to_string()),
    ];
    if let Some(aud) = &r.recipient {
        keys.push(("SAML:aud".into(), aud.clone()));
    }
    if let Some(t) = r.subject_type() {
        keys.push(("SAML:sub_type".into(), t));
    }
    keys
}

pub fn assume_role_with_saml(
    sts: &Sts,
    ctx: &RequestContext,
    input: AssumeRoleWithSAMLRequest,
) -> Result<AssumeRoleWithSAMLResponse, AwsError> {
    let role = parse_role_arn(&input.role_arn)?;
    let packed = session_policies(input.policy.as_deref(), input.policy_arns.as_deref())?;
    let response = saml::parse(&input.saml_assertion)?;
    if !response.succeeded() {
        return Err(AwsError::bad_request(
            "IDPRejectedClaim",
            "The identity provider reported that authentication failed.",
        ));
    }
    let now = ctx.clock.now_millis();
    if response.not_on_or_after_ms.is_some_and(|t| t <= now) {
        return Err(AwsError::bad_request(
            "ExpiredTokenException",
            "Token is expired",
        ));
    }
    if let Some(dir) = &sts.roles {
        match dir.saml_issuer(&input.principal_arn) {
            None => return Err(invalid("Specified provider doesn't exist.")),
            Some(issuer) if issuer != response.issuer => {
                return Err(invalid("Issuer not present in specified provider"));
            }
            Some(_) => {}
        }
    }
    let pairs = response.attribute(saml::ROLE_ATTRIBUTE);
    if !pairs
        .iter()
        .any(|v| saml::pairs_role(v, &role.arn, &input.principal_arn))
    {
        return Err(AwsError::access_denied(
            "Not authorized to perform sts:AssumeRoleWithSAML",
        ));
    }
    let session = response
        .attribute(saml::SESSION_NAME_ATTRIBUTE)
        .first()
        .cloned()
        .ok_or_else(|| invalid("RoleSessionName is required in AuthnResponse"))?;
    if !valid_session_name(&session) {
        return Err(invalid(
            "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
        ));
    }
    let source = response
        .attribute(saml::SOURCE_IDENTITY_ATTRIBUTE)
        .first()
        .cloned();
    if source.as_deref().is_some_and(|s| !valid_session_name(s)) {
        return Err(invalid(
            "Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with \"aws:\"",
        ));
    }
    let seconds = input.duration_seconds.map(i64::from).unwrap_or_else(|| {
        response
            .attribute(saml::SESSION_DURATION_ATTRIBUTE)
            .first()
            .and_then(|d| d.parse().ok())
            .unwrap_or(3600)
    });
    let qualifier = name_qualifier(&response.issuer, &role.account, &input.principal_arn);
    let unique_id = match &sts.roles {
        Some(dir) => dir.assume(&AssumeRequest {
            caller: &ctx.identity,
            role_arn: &role.arn,
            action: "sts:AssumeRoleWithSAML",
            duration_seconds: seconds,
            web_identity: Some(WebIdentity {
                provider_arn: input.principal_arn.clone(),
                claims: claims(&response, &qualifier),
            }),
            now_ms: now,
        })?,
        None => None,
    };
    let (id, user) = assumed_role_identity(&role, unique_id, &session, source.clone());
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
        false,
        None,
    )?;
    Ok(AssumeRoleWithSAMLResponse {
        credentials: Some(creds),
        assumed_role_user: Some(user),
        packed_policy_size: packed,
        subject: Some(response.name_id.clone()),
        subject_type: response.subject_type(),
        issuer: Some(response.issuer.clone()),
        audience: response.recipient.clone(),
        name_qualifier: Some(qualifier),
        source_identity: source,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_follow_aws_pattern() {
        assert!(valid_session_name("ana@example.com"));
        assert!(!valid_session_name("a"));
        assert!(!valid_session_name("ana smith"));
    }

    #[test]
    fn name_qualifier_hashes_issuer_account_and_provider() {
        let q = name_qualifier(
            "https://idp.example.com",
            "111122223333",
            "arn:aws:iam::111122223333:saml-provider/Corp",
        );
        let want = B64.encode(<sha1::Sha1 as sha1::Digest>::digest(
            b"https://idp.example.com111122223333/Corp",
        ));
        assert_eq!(q, want);
        assert_eq!(B64.decode(&q).unwrap().len(), 20);
    }
}
