//! Platform applications and endpoints (mobile push), and what is published
//! to an endpoint: recorded in the outbox as protocol `application`.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};
use stratus_core::{AwsError, RequestContext, ids, time};

use crate::Sns;
use crate::errors::invalid;
use crate::generated::*;
use crate::platform::{self, App, PLATFORMS, SECRET_ATTRIBUTES};

/// Entries per page of the list operations, as AWS pages them.
const PAGE: usize = 100;

fn app_not_found() -> AwsError {
    AwsError::not_found("NotFoundException", "PlatformApplication does not exist")
}

fn endpoint_not_found() -> AwsError {
    AwsError::not_found("NotFoundException", "Endpoint does not exist")
}

fn check_app_name(name: &str) -> Result<(), AwsError> {
    let ok = !name.is_empty()
        && name.len() <= 256
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "Invalid parameter: Invalid platform application name: can only contain alphanumeric characters, hyphens, underscores and periods, and be 1 to 256 characters long",
        ))
    }
}

/// The attributes a caller sees: secrets left out, `Enabled` always there.
fn shown(attributes: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = attributes
        .iter()
        .filter(|(k, _)| !SECRET_ATTRIBUTES.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    out.entry("Enabled".into()).or_insert_with(|| "true".into());
    out
}

fn page<T: Clone>(items: &[(String, T)], token: Option<&str>) -> (Vec<T>, Option<String>) {
    let start = token.map_or(0, |t| {
        items.iter().take_while(|(k, _)| k.as_str() <= t).count()
    });
    let chunk: Vec<T> = items[start..]
        .iter()
        .take(PAGE)
        .map(|(_, v)| v.clone())
        .collect();
    let next = (items.len() > start + PAGE).then(|| items[start + PAGE - 1].0.clone());
    (chunk, next)
}

pub fn create_platform_application(
    s: &Sns,
    ctx: &RequestContext,
    input: CreatePlatformApplicationInput,
) -> Result<CreatePlatformApplicationResponse, AwsError> {
    check_app_name(&input.name)?;
    if !PLATFORMS.contains(&input.platform.as_str()) {
        return Err(invalid(format!(
            "Invalid parameter: Platform Reason: {} is not supported",
            input.platform
        )));
    }
    if input
        .attributes
        .get("PlatformCredential")
        .is_none_or(String::is_empty)
    {
        return Err(invalid(
            "Invalid parameter: Attributes Reason: PlatformCredential attribute is required",
        ));
    }
    let arn = format!(
        "arn:aws:sns:{}:{}:app/{}/{}",
        ctx.region,
        ctx.account_id(),
        input.platform,
        input.name
    );
    let mut txn = s.platforms.begin();
    txn.inner.apps.insert(
        arn.clone(),
        App {
            arn: arn.clone(),
            name: input.name,
            platform: input.platform,
            attributes: input.attributes,
        },
    );
    txn.put_app(&arn)?;
    txn.commit()?;
    Ok(CreatePlatformApplicationResponse {
        platform_application_arn: Some(arn),
    })
}

pub fn delete_platform_application(
    s: &Sns,
    _ctx: &RequestContext,
    input: DeletePlatformApplicationInput,
) -> Result<(), AwsError> {
    let arn = input.platform_application_arn;
    let mut txn = s.platforms.begin();
    // Deleting an application also deletes its endpoints; deleting one
    // that is gone succeeds, as on AWS.
    if txn.inner.apps.remove(&arn).is_some() {
        txn.delete_app(&arn);
        let gone: Vec<String> = txn
            .inner
            .endpoints
            .values()
            .filter(|e| e.app_arn == arn)
            .map(|e| e.arn.clone())
            .collect();
        for e in gone {
            txn.inner.endpoints.remove(&e);
            txn.delete_endpoint(&e);
        }
    }
    txn.commit()
}

pub fn get_platform_application_attributes(
    s: &Sns,
    _ctx: &RequestContext,
    input: GetPlatformApplicationAttributesInput,
) -> Result<GetPlatformApplicationAttributesResponse, AwsError> {
    let txn = s.platforms.begin();
    let app = txn
        .inner
        .apps
        .get(&input.platform_application_arn)
        .ok_or_else(app_not_found)?;
    Ok(GetPlatformApplicationAttributesResponse {
        attributes: Some(shown(&app.attributes)),
    })
}

pub fn set_platform_application_attributes(
    s: &Sns,
    _ctx: &RequestContext,
    input: SetPlatformApplicationAttributesInput,
) -> Result<(), AwsError> {
    let mut txn = s.platforms.begin();
    let app = txn
        .inner
        .apps
        .get_mut(&input.platform_application_arn)
        .ok_or_else(app_not_found)?;
    for (k, v) in input.attributes {
        app.attributes.insert(k, v);
    }
    txn.put_app(&input.platform_application_arn)?;
    txn.commit()
}

pub fn list_platform_applications(
    s: &Sns,
    ctx: &RequestContext,
    input: ListPlatformApplicationsInput,
) -> Result<ListPlatformApplicationsResponse, AwsError> {
    let txn = s.platforms.begin();
    let prefix = format!("arn:aws:sns:{}:{}:app/", ctx.region, ctx.account_id());
    let items: Vec<(String, PlatformApplication)> = txn
        .inner
        .apps
        .values()
        .filter(|a| a.arn.starts_with(&prefix))
        .map(|a| {
            (
                a.arn.clone(),
                PlatformApplication {
                    platform_application_arn: Some(a.arn.clone()),
                    attributes: Some(shown(&a.attributes)),
                },
            )
        })
        .collect();
    let (apps, next) = page(&items, input.next_token.as_deref());
    Ok(ListPlatformApplicationsResponse {
        platform_applications: Some(apps),
        next_token: next,
    })
}

pub fn create_platform_endpoint(
    s: &Sns,
    _ctx: &RequestContext,
    input: CreatePlatformEndpointInput,
) -> Result<CreateEndpointResponse, AwsError> {
    if input.token.is_empty() {
        return Err(invalid("Invalid parameter: Token Reason: cannot be empty"));
    }
    let mut attributes = input.attributes.unwrap_or_default();
    attributes.insert("Token".into(), input.token.clone());
    if let Some(data) = input.custom_user_data {
        attributes.insert("CustomUserData".into(), data);
    }
    attributes
        .entry("Enabled".into())
        .or_insert_with(|| "true".into());
    let mut txn = s.platforms.begin();
    let app = txn
        .inner
        .apps
        .get(&input.platform_application_arn)
        .ok_or_else(app_not_found)?;
    let (platform, name) = (app.platform.clone(), app.name.clone());
    // The same token again is the same endpoint, when nothing else differs.
    if let Some(existing) = txn
        .inner
        .endpoints
        .values()
        .find(|e| e.app_arn == input.platform_application_arn && e.token() == input.token)
    {
        if existing.attributes == attributes {
            return Ok(CreateEndpointResponse {
                endpoint_arn: Some(existing.arn.clone()),
            });
        }
        return Err(invalid(format!(
            "Invalid parameter: Token Reason: Endpoint {} already exists with the same Token, but different attributes.",
            existing.arn
        )));
    }
    let base = input
        .platform_application_arn
        .rsplit_once(":app/")
        .map_or("", |(b, _)| b);
    let arn = format!("{base}:endpoint/{platform}/{name}/{}", ids::uuid_v4());
    txn.inner.endpoints.insert(
        arn.clone(),
        platform::Endpoint {
            arn: arn.clone(),
            app_arn: input.platform_application_arn,
            attributes,
        },
    );
    txn.put_endpoint(&arn)?;
    txn.commit()?;
    Ok(CreateEndpointResponse {
        endpoint_arn: Some(arn),
    })
}

pub fn delete_endpoint(
    s: &Sns,
    _ctx: &RequestContext,
    input: DeleteEndpointInput,
) -> Result<(), AwsError> {
    let mut txn = s.platforms.begin();
    if txn.inner.endpoints.remove(&input.endpoint_arn).is_some() {
        txn.delete_endpoint(&input.endpoint_arn);
    }
    txn.commit()
}

pub fn get_endpoint_attributes(
    s: &Sns,
    _ctx: &RequestContext,
    input: GetEndpointAttributesInput,
) -> Result<GetEndpointAttributesResponse, AwsError> {
    let txn = s.platforms.begin();
    let e = txn
        .inner
        .endpoints
        .get(&input.endpoint_arn)
        .ok_or_else(endpoint_not_found)?;
    Ok(GetEndpointAttributesResponse {
        attributes: Some(e.attributes.clone()),
    })
}

pub fn set_endpoint_attributes(
    s: &Sns,
    _ctx: &RequestContext,
    input: SetEndpointAttributesInput,
) -> Result<(), AwsError> {
    let mut txn = s.platforms.begin();
    let e = txn
        .inner
        .endpoints
        .get_mut(&input.endpoint_arn)
        .ok_or_else(endpoint_not_found)?;
    for (k, v) in input.attributes {
        if k == "Enabled" && !matches!(v.as_str(), "true" | "false") {
            return Err(invalid(format!(
                "Invalid parameter: Attributes Reason: Invalid value for attribute: Enabled: {v} is not a valid value"
            )));
        }
        e.attributes.insert(k, v);
    }
    txn.put_endpoint(&input.endpoint_arn)?;
    txn.commit()
}

pub fn list_endpoints_by_platform_application(
    s: &Sns,
    _ctx: &RequestContext,
    input: ListEndpointsByPlatformApplicationInput,
) -> Result<ListEndpointsByPlatformApplicationResponse, AwsError> {
    let txn = s.platforms.begin();
    if !txn.inner.apps.contains_key(&input.platform_application_arn) {
        return Err(app_not_found());
    }
    let items: Vec<(String, Endpoint)> = txn
        .inner
        .endpoints
        .values()
        .filter(|e| e.app_arn == input.platform_application_arn)
        .map(|e| {
            (
                e.arn.clone(),
                Endpoint {
                    endpoint_arn: Some(e.arn.clone()),
                    attributes: Some(e.attributes.clone()),
                },
            )
        })
        .collect();
    let (endpoints, next) = page(&items, input.next_token.as_deref());
    Ok(ListEndpointsByPlatformApplicationResponse {
        endpoints: Some(endpoints),
        next_token: next,
    })
}

/// The message an endpoint gets: with MessageStructure json, the body for
/// its platform, else `default`.
pub fn body_for(bodies: &Map<String, Json>, platform: &str) -> Option<String> {
    bodies
        .get(platform)
        .or_else(|| bodies.get("default"))
        .and_then(Json::as_str)
        .map(String::from)
}

/// Records a push to an endpoint in the outbox; a disabled endpoint refuses it.
pub fn deliver(
    s: &Sns,
    endpoint_arn: &str,
    bodies: &Map<String, Json>,
    topic_arn: Option<&str>,
    message_id: &str,
    now_ms: i64,
) -> Result<(), AwsError> {
    let (platform, enabled) = {
        let txn = s.platforms.begin();
        let e = txn.inner.endpoints.get(endpoint_arn).ok_or_else(|| {
            invalid("Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified")
        })?;
        let platform = txn
            .inner
            .apps
            .get(&e.app_arn)
            .map(|a| a.platform.clone())
            .unwrap_or_default();
        (platform, e.enabled())
    };
    if !enabled {
        return Err(AwsError::bad_request(
            "EndpointDisabledException",
            "Endpoint is disabled",
        ));
    }
    let Some(body) = body_for(bodies, &platform) else {
        return Err(invalid(
            "Invalid parameter: Message Structure - No default entry in JSON message body",
        ));
    };
    s.outbox.record(crate::outbox::Entry {
        protocol: "application".into(),
        endpoint: endpoint_arn.to_string(),
        topic_arn: topic_arn.map(String::from),
        message_id: message_id.to_string(),
        subject: None,
        body,
        timestamp: time::iso8601_millis(now_ms),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_bodies_fall_back_to_default() {
        let bodies: Map<String, Json> =
            serde_json::from_str(r#"{"default":"d","GCM":"{\"data\":1}"}"#).unwrap();
        assert_eq!(body_for(&bodies, "GCM").as_deref(), Some("{\"data\":1}"));
        assert_eq!(body_for(&bodies, "APNS").as_deref(), Some("d"));
        assert_eq!(body_for(&Map::new(), "APNS"), None);
    }

    #[test]
    fn pages_follow_the_last_key() {
        let items: Vec<(String, u32)> = (0..250).map(|i| (format!("k{i:03}"), i)).collect();
        let (first, next) = page(&items, None);
        assert_eq!((first.len(), next.as_deref()), (100, Some("k099")));
        let (second, next) = page(&items, next.as_deref());
        assert_eq!((second[0], next.as_deref()), (100, Some("k199")));
        let (third, next) = page(&items, next.as_deref());
        assert_eq!((third.len(), next), (50, None));
    }
}
