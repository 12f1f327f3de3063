//! The parts of a SAML 2.0 authentication response that AssumeRoleWithSAML
//! reads: issuer, subject, audience, validity and the AWS attributes.
//! Signatures are not verified: Stratus holds no trust anchor for an
//! identity provider beyond the metadata a user uploads.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use stratus_core::AwsError;
use stratus_protocol::xml::{self, Element};

pub const ROLE_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/Role";
pub const SESSION_NAME_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";
pub const SOURCE_IDENTITY_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/SourceIdentity";
pub const SESSION_DURATION_ATTRIBUTE: &str =
    "https://aws.amazon.com/SAML/Attributes/SessionDuration";
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

#[derive(Debug, Default, PartialEq)]
pub struct SamlResponse {
    pub issuer: String,
    pub name_id: String,
    pub name_id_format: Option<String>,
    /// SubjectConfirmationData's Recipient (`SAML:aud`), else the Audience.
    pub recipient: Option<String>,
    pub audience: Option<String>,
    /// The earliest NotOnOrAfter of the conditions and subject confirmation.
    pub not_on_or_after_ms: Option<i64>,
    pub status: Option<String>,
    /// (name, values) of each Attribute.
    pub attributes: Vec<(String, Vec<String>)>,
}

impl SamlResponse {
    pub fn attribute(&self, name: &str) -> &[String] {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map_or(&[], |(_, v)| v.as_slice())
    }

    pub fn succeeded(&self) -> bool {
        self.status.as_deref().is_none_or(|s| s == SUCCESS)
    }

    /// `SAML:sub_type`: `persistent`, `transient` or the full format URI.
    pub fn subject_type(&self) -> Option<String> {
        let f = self.name_id_format.as_deref()?;
        Some(
            f.strip_prefix("urn:oasis:names:tc:SAML:2.0:nameid-format:")
                .unwrap_or(f)
                .to_string(),
        )
    }
}

fn invalid(message: &str) -> AwsError {
    AwsError::bad_request("InvalidIdentityToken", message)
}

/// Decodes and reads a base64 SAML response.
pub fn parse(assertion: &str) -> Result<SamlResponse, AwsError> {
    let compact: String = assertion.split_whitespace().collect();
    let xml = B64
        .decode(compact.as_bytes())
        .map_err(|_| invalid("Invalid base64 SAML authentication response"))?;
    let root = xml::parse(&xml).map_err(|_| invalid("Invalid SAML authentication response"))?;
    read(&root).ok_or_else(|| invalid("Invalid SAML authentication response"))
}

fn find<'a>(e: &'a Element, name: &str, out: &mut Vec<&'a Element>) {
    for c in &e.children {
        if c.name == name {
            out.push(c);
        }
        find(c, name, out);
    }
}

fn all<'a>(e: &'a Element, name: &str) -> Vec<&'a Element> {
    let mut out = Vec::new();
    find(e, name, &mut out);
    out
}

fn first<'a>(e: &'a Element, name: &str) -> Option<&'a Element> {
    all(e, name).into_iter().next()
}

fn read(root: &Element) -> Option<SamlResponse> {
    if root.name != "Response" && root.name != "Assertion" {
        return None;
    }
    // The response's own issuer comes first, else the assertion's.
    let issuer = first(root, "Issuer")?.text.trim().to_string();
    if issuer.is_empty() {
        return None;
    }
    let name_id = first(root, "NameID");
    let confirmation = first(root, "SubjectConfirmationData");
    let audience = first(root, "Audience").map(|a| a.text.trim().to_string());
    let expiry = [confirmation, first(root, "Conditions")]
        .into_iter()
        .flatten()
        .filter_map(|e| e.attr("NotOnOrAfter"))
        .filter_map(stratus_core::time::parse_iso8601)
        .min();
    let attributes = all(root, "Attribute")
        .into_iter()
        .filter_map(|a| {
            let values = a
                .children_named("AttributeValue")
                .map(|v| v.text.trim().to_string())
                .collect();
            Some((a.attr("Name")?.to_string(), values))
        })
        .collect();
    Some(SamlResponse {
        issuer,
        name_id: name_id
            .map(|n| n.text.trim().to_string())
            .unwrap_or_default(),
        name_id_format: name_id.and_then(|n| n.attr("Format")).map(str::to_string),
        recipient: confirmation
            .and_then(|c| c.attr("Recipient"))
            .map(str::to_string)
            .or_else(|| audience.clone()),
        audience,
        not_on_or_after_ms: expiry,
        status: first(root, "StatusCode")
            .and_then(|c| c.attr("Value"))
            .map(str::to_string),
        attributes,
    })
}

/// The role a Role attribute value pairs with `provider_arn`
/// (`ROLE_ARN,PROVIDER_ARN`, in either order).
pub fn pairs_role(value: &str, role_arn: &str, provider_arn: &str) -> bool {
    let mut parts = value.split(',').map(str::trim);
    match (parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(b), None) => {
            (a == role_arn && b == provider_arn) || (a == provider_arn && b == role_arn)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESPONSE: &str = r#"<?xml version="1.0"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_1" Version="2.0">
  <saml:Issuer>https://idp.example.com/metadata</saml:Issuer>
  <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
  <saml:Assertion ID="_2" Version="2.0">
    <saml:Issuer>https://idp.example.com/metadata</saml:Issuer>
    <saml:Subject>
      <saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">ana@example.com</saml:NameID>
      <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
        <saml:SubjectConfirmationData NotOnOrAfter="2030-01-01T00:05:00Z" Recipient="https://signin.aws.amazon.com/saml"/>
      </saml:SubjectConfirmation>
    </saml:Subject>
    <saml:Conditions NotBefore="2029-12-31T23:55:00Z" NotOnOrAfter="2030-01-01T00:10:00Z">
      <saml:AudienceRestriction><saml:Audience>urn:amazon:webservices</saml:Audience></saml:AudienceRestriction>
    </saml:Conditions>
    <saml:AttributeStatement>
      <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">
        <saml:AttributeValue>arn:aws:iam::111122223333:role/Dev,arn:aws:iam::111122223333:saml-provider/Corp</saml:AttributeValue>
        <saml:AttributeValue>arn:aws:iam::111122223333:saml-provider/Corp,arn:aws:iam::111122223333:role/Ops</saml:AttributeValue>
      </saml:Attribute>
      <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName">
        <saml:AttributeValue>ana&amp;co</saml:AttributeValue>
      </saml:Attribute>
    </saml:AttributeStatement>
  </saml:Assertion>
</samlp:Response>"#;

    #[test]
    fn reads_issuer_subject_audience_expiry_and_attributes() {
        let r = parse(&B64.encode(RESPONSE)).unwrap();
        assert_eq!(r.issuer, "https://idp.example.com/metadata");
        assert_eq!(r.name_id, "ana@example.com");
        assert_eq!(r.subject_type().as_deref(), Some("persistent"));
        assert_eq!(
            r.recipient.as_deref(),
            Some("https://signin.aws.amazon.com/saml")
        );
        assert_eq!(r.audience.as_deref(), Some("urn:amazon:webservices"));
        assert_eq!(
            r.not_on_or_after_ms,
            stratus_core::time::parse_iso8601("2030-01-01T00:05:00Z")
        );
        assert!(r.succeeded());
        assert_eq!(r.attribute(SESSION_NAME_ATTRIBUTE), ["ana&co"]);
        let roles = r.attribute(ROLE_ATTRIBUTE);
        let provider = "arn:aws:iam::111122223333:saml-provider/Corp";
        assert!(pairs_role(
            &roles[0],
            "arn:aws:iam::111122223333:role/Dev",
            provider
        ));
        assert!(pairs_role(
            &roles[1],
            "arn:aws:iam::111122223333:role/Ops",
            provider
        ));
        assert!(!pairs_role(
            &roles[0],
            "arn:aws:iam::111122223333:role/Ops",
            provider
        ));
    }

    #[test]
    fn refuses_what_is_not_a_saml_response() {
        let code = |s: &str| parse(s).unwrap_err().code;
        assert_eq!(code("%%%"), "InvalidIdentityToken");
        assert_eq!(code(&B64.encode("<html/>")), "InvalidIdentityToken");
        assert_eq!(
            code(&B64.encode("<samlp:Response xmlns:samlp=\"x\"></samlp:Response>")),
            "InvalidIdentityToken"
        );
    }
}
