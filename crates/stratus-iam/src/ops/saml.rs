//! SAML identity providers: metadata documents kept by ARN.

use stratus_core::{AwsError, RequestContext, ids};

use super::common::*;
use crate::Iam;
use crate::generated::*;
use crate::state::{self, Account, SamlProvider, Tags};

const MAX_PROVIDERS: usize = 100;
/// Providers whose metadata has no `validUntil` stay valid this long.
const DEFAULT_VALIDITY_MS: i64 = 100 * 365 * 86_400_000;

fn missing(arn: &str) -> AwsError {
    state::no_such(format!("Manifest not found for arn {arn}"))
}

/// The metadata must be a SAML EntityDescriptor; its `validUntil`, if any,
/// bounds the provider.
fn valid_until(metadata: &str, created_ms: i64) -> Result<i64, AwsError> {
    if !metadata.contains("EntityDescriptor") {
        return Err(invalid("Could not parse metadata"));
    }
    let attr = metadata
        .split("validUntil=\"")
        .nth(1)
        .and_then(|r| r.split('"').next());
    Ok(attr
        .and_then(stratus_core::time::parse_iso8601)
        .unwrap_or(created_ms + DEFAULT_VALIDITY_MS))
}

fn provider_mut<'a>(a: &'a mut Account, arn: &str) -> Result<&'a mut SamlProvider, AwsError> {
    a.saml_providers.get_mut(arn).ok_or_else(|| missing(arn))
}

pub fn create_saml_provider(
    iam: &Iam,
    ctx: &RequestContext,
    i: CreateSAMLProviderRequest,
) -> Result<CreateSAMLProviderResponse, AwsError> {
    let now = now(ctx);
    let until = valid_until(&i.saml_metadata_document, now)?;
    let account = ctx.account_id().to_string();
    iam.state.write(&account, |a| {
        let arn = format!("arn:aws:iam::{account}:saml-provider/{}", i.name);
        if a.saml_providers.contains_key(&arn) {
            return Err(exists(format!("SAMLProvider {} already exists.", i.name)));
        }
        if a.saml_providers.len() >= MAX_PROVIDERS {
            return Err(limit(format!(
                "Cannot exceed quota for SAMLProvidersPerAccount: {MAX_PROVIDERS}"
            )));
        }
        let mut tags = Tags::default();
        tag(&mut tags, i.tags.unwrap_or_default())?;
        let out = tags_opt(&tags);
        a.saml_providers.insert(
            arn.clone(),
            SamlProvider {
                uuid: ids::uuid_v4(),
                metadata: i.saml_metadata_document,
                created_ms: now,
                valid_until_ms: until,
                tags,
            },
        );
        Ok(CreateSAMLProviderResponse {
            saml_provider_arn: Some(arn),
            tags: out,
        })
    })
}

pub fn get_saml_provider(
    iam: &Iam,
    ctx: &RequestContext,
    i: GetSAMLProviderRequest,
) -> Result<GetSAMLProviderResponse, AwsError> {
    iam.state.read(ctx.account_id(), |a| {
        let p = a
            .saml_providers
            .get(&i.saml_provider_arn)
            .ok_or_else(|| missing(&i.saml_provider_arn))?;
        Ok(GetSAMLProviderResponse {
            saml_provider_uuid: Some(p.uuid.clone()),
            saml_metadata_document: Some(p.metadata.clone()),
            create_date: Some(ts(p.created_ms)),
            valid_until: Some(ts(p.valid_until_ms)),
            tags: tags_opt(&p.tags),
            assertion_encryption_mode: Some("Allowed".into()),
            private_key_list: None,
        })
    })
}

pub fn list_saml_providers(
    iam: &Iam,
    ctx: &RequestContext,
    _i: ListSAMLProvidersRequest,
) -> Result<ListSAMLProvidersResponse, AwsError> {
    let list = iam.state.read(ctx.account_id(), |a| {
        a.saml_providers
            .iter()
            .map(|(arn, p)| SAMLProviderListEntry {
                arn: Some(arn.clone()),
                valid_until: Some(ts(p.valid_until_ms)),
                create_date: Some(ts(p.created_ms)),
            })
            .collect()
    });
    Ok(ListSAMLProvidersResponse {
        saml_provider_list: Some(list),
    })
}

pub fn update_saml_provider(
    iam: &Iam,
    ctx: &RequestContext,
    i: UpdateSAMLProviderRequest,
) -> Result<UpdateSAMLProviderResponse, AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        let p = provider_mut(a, &i.saml_provider_arn)?;
        if let Some(m) = i.saml_metadata_document {
            p.valid_until_ms = valid_until(&m, p.created_ms)?;
            p.metadata = m;
        }
        Ok(UpdateSAMLProviderResponse {
            saml_provider_arn: Some(i.saml_provider_arn.clone()),
        })
    })
}

pub fn delete_saml_provider(
    iam: &Iam,
    ctx: &RequestContext,
    i: DeleteSAMLProviderRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        a.saml_providers
            .remove(&i.saml_provider_arn)
            .map(|_| ())
            .ok_or_else(|| missing(&i.saml_provider_arn))
    })
}

pub fn tag_saml_provider(
    iam: &Iam,
    ctx: &RequestContext,
    i: TagSAMLProviderRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        tag(&mut provider_mut(a, &i.saml_provider_arn)?.tags, i.tags)
    })
}

pub fn untag_saml_provider(
    iam: &Iam,
    ctx: &RequestContext,
    i: UntagSAMLProviderRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        untag(
            &mut provider_mut(a, &i.saml_provider_arn)?.tags,
            &i.tag_keys,
        );
        Ok(())
    })
}

pub fn list_saml_provider_tags(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListSAMLProviderTagsRequest,
) -> Result<ListSAMLProviderTagsResponse, AwsError> {
    let tags = iam.state.read(ctx.account_id(), |a| {
        a.saml_providers
            .get(&i.saml_provider_arn)
            .map(|p| tags_out(&p.tags))
            .ok_or_else(|| missing(&i.saml_provider_arn))
    })?;
    let p = paginate(tags, i.marker, i.max_items)?;
    Ok(ListSAMLProviderTagsResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        tags: p.items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_comes_from_the_metadata() {
        let m = r#"<md:EntityDescriptor validUntil="2030-01-01T00:00:00Z" entityID="x"/>"#;
        assert_eq!(
            valid_until(m, 0).unwrap(),
            stratus_core::time::parse_iso8601("2030-01-01T00:00:00Z").unwrap()
        );
        assert_eq!(
            valid_until("<EntityDescriptor/>", 5).unwrap(),
            5 + DEFAULT_VALIDITY_MS
        );
        assert!(valid_until("not metadata", 0).is_err());
    }
}
