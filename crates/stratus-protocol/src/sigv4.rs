//! Placeholder until the verifier lands.
pub struct Credential {
    pub access_key: String,
    pub date: String,
    pub region: String,
    pub service: String,
}
pub struct SignedRequest {
    pub credential: Credential,
    pub signed_headers: Vec<String>,
    pub signature: String,
    pub amz_date: Option<String>,
    pub presigned: bool,
    pub expires_secs: Option<u64>,
}
pub enum SigError {
    Bad,
}
pub fn parse_presigned_query(
    _pairs: &[(String, String)],
) -> Result<Option<SignedRequest>, SigError> {
    Ok(None)
}
pub fn credential_scope_from_header(value: &str) -> Option<Credential> {
    let rest = value.split("Credential=").nth(1)?;
    let scope = rest.split([',', ' ']).next()?;
    let mut it = scope.split('/');
    Some(Credential {
        access_key: it.next()?.into(),
        date: it.next()?.into(),
        region: it.next()?.into(),
        service: it.next()?.into(),
    })
}
