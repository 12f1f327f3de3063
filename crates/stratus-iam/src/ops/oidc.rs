//! OpenID Connect identity providers (for web identity federation, such as
//! CI systems assuming roles).

use stratus_core::{AwsError, RequestContext};

use super::common::*;
use crate::Iam;
use crate::generated::*;
use crate::state::{self, Account, OidcProvider, Tags};

const MAX_PROVIDERS: usize = 100;
const MAX_CLIENT_IDS: usize = 100;
const MAX_THUMBPRINTS: usize = 5;

fn missing(arn: &str) -> AwsError {
    state::no_such(format!("OpenIDConnect Provider not found for arn {arn}"))
}

fn provider_mut<'a>(a: &'a mut Account, arn: &str) -> Result<&'a mut OidcProvider, AwsError> {
    a.oidc_providers.get_mut(arn).ok_or_else(|| missing(arn))
}

fn check_thumbprints(t: &[String]) -> Result<(), AwsError> {
    if t.len() > MAX_THUMBPRINTS {
        return Err(limit(format!(
            "Cannot exceed quota for ThumbprintsPerIdentityProvider: {MAX_THUMBPRINTS}"
        )));
    }
    Ok(())
}

pub fn create_open_id_connect_provider(
    iam: &Iam,
    ctx: &RequestContext,
    i: CreateOpenIDConnectProviderRequest,
) -> Result<CreateOpenIDConnectProviderResponse, AwsError> {
    let Some(host_path) = i.url.strip_prefix("https://").filter(|h| !h.is_empty()) else {
        return Err(invalid(
            "Invalid IdentityProvider URL. It must begin with https://",
        ));
    };
    let host_path = host_path.trim_end_matches('/').to_string();
    let client_ids = i.client_id_list.unwrap_or_default();
    if client_ids.len() > MAX_CLIENT_IDS {
        return Err(limit(format!(
            "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}"
        )));
    }
    let thumbprints = i.thumbprint_list.unwrap_or_default();
    check_thumbprints(&thumbprints)?;
    let account = ctx.account_id().to_string();
    let now = now(ctx);
    iam.state.write(&account, |a| {
        let arn = format!("arn:aws:iam::{account}:oidc-provider/{host_path}");
        if a.oidc_providers.contains_key(&arn) {
            return Err(exists(format!(
                "Provider with url {} already exists.",
                i.url
            )));
        }
        if a.oidc_providers.len() >= MAX_PROVIDERS {
            return Err(limit(format!(
                "Cannot exceed quota for OpenIdConnectProvidersPerAccount: {MAX_PROVIDERS}"
            )));
        }
        let mut tags = Tags::default();
        tag(&mut tags, i.tags.unwrap_or_default())?;
        let out = tags_opt(&tags);
        a.oidc_providers.insert(
            arn.clone(),
            OidcProvider {
                url: host_path,
                client_ids,
                thumbprints,
                created_ms: now,
                tags,
            },
        );
        Ok(CreateOpenIDConnectProviderResponse {
            open_id_connect_provider_arn: Some(arn),
            tags: out,
        })
    })
}

pub fn get_open_id_connect_provider(
    iam: &Iam,
    ctx: &RequestContext,
    i: GetOpenIDConnectProviderRequest,
) -> Result<GetOpenIDConnectProviderResponse, AwsError> {
    iam.state.read(ctx.account_id(), |a| {
        let p = a
            .oidc_providers
            .get(&i.open_id_connect_provider_arn)
            .ok_or_else(|| missing(&i.open_id_connect_provider_arn))?;
        Ok(GetOpenIDConnectProviderResponse {
            url: Some(p.url.clone()),
            client_id_list: Some(p.client_ids.clone()),
            thumbprint_list: Some(p.thumbprints.clone()),
            create_date: Some(ts(p.created_ms)),
            tags: tags_opt(&p.tags),
        })
    })
}

pub fn list_open_id_connect_providers(
    iam: &Iam,
    ctx: &RequestContext,
    _i: ListOpenIDConnectProvidersRequest,
) -> Result<ListOpenIDConnectProvidersResponse, AwsError> {
    let list = iam.state.read(ctx.account_id(), |a| {
        a.oidc_providers
            .keys()
            .map(|arn| OpenIDConnectProviderListEntry {
                arn: Some(arn.clone()),
            })
            .collect()
    });
    Ok(ListOpenIDConnectProvidersResponse {
        open_id_connect_provider_list: Some(list),
    })
}

pub fn delete_open_id_connect_provider(
    iam: &Iam,
    ctx: &RequestContext,
    i: DeleteOpenIDConnectProviderRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        a.oidc_providers
            .remove(&i.open_id_connect_provider_arn)
            .map(|_| ())
            .ok_or_else(|| missing(&i.open_id_connect_provider_arn))
    })
}

pub fn add_client_id_to_open_id_connect_provider(
    iam: &Iam,
    ctx: &RequestContext,
    i: AddClientIDToOpenIDConnectProviderRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        let p = provider_mut(a, &i.open_id_connect_provider_arn)?;
        if !p.client_ids.contains(&i.client_id) {
            if p.client_ids.len() >= MAX_CLIENT_IDS {
                return Err(limit(format!(
                    "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}"
                )));
            }
            p.client_ids.push(i.client_id);
        }
        Ok(())
    })
}

pub fn remove_client_id_from_open_id_connect_provider(
    iam: &Iam,
    ctx: &RequestContext,
    i: RemoveClientIDFromOpenIDConnectProviderRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        provider_mut(a, &i.open_id_connect_provider_arn)?
            .client_ids
            .retain(|c| *c != i.client_id);
        Ok(())
    })
}

pub fn update_open_id_connect_provider_thumbprint(
    iam: &Iam,
    ctx: &RequestContext,
    i: UpdateOpenIDConnectProviderThumbprintRequest,
) -> Result<(), AwsError> {
    check_thumbprints(&i.thumbprint_list)?;
    iam.state.write(ctx.account_id(), |a| {
        provider_mut(a, &i.open_id_connect_provider_arn)?.thumbprints = i.thumbprint_list;
        Ok(())
    })
}

pub fn tag_open_id_connect_provider(
    iam: &Iam,
    ctx: &RequestContext,
    i: TagOpenIDConnectProviderRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        tag(
            &mut provider_mut(a, &i.open_id_connect_provider_arn)?.tags,
            i.tags,
        )
    })
}

pub fn untag_open_id_connect_provider(
    iam: &Iam,
    ctx: &RequestContext,
    i: UntagOpenIDConnectProviderRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        untag(
            &mut provider_mut(a, &i.open_id_connect_provider_arn)?.tags,
            &i.tag_keys,
        );
        Ok(())
    })
}

pub fn list_open_id_connect_provider_tags(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListOpenIDConnectProviderTagsRequest,
) -> Result<ListOpenIDConnectProviderTagsResponse, AwsError> {
    let tags = iam.state.read(ctx.account_id(), |a| {
        a.oidc_providers
            .get(&i.open_id_connect_provider_arn)
            .map(|p| tags_out(&p.tags))
            .ok_or_else(|| missing(&i.open_id_connect_provider_arn))
    })?;
    let p = paginate(tags, i.marker, i.max_items)?;
    Ok(ListOpenIDConnectProviderTagsResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        tags: p.items,
    })
}
