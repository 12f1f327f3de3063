//! The path of an AWS API call: route, identify, decode, validate, handle,
//! encode. Every failure on the way is an AWS error in the request's protocol.

use sha2::{Digest, Sha256};
use stratus_core::{AccessRequest, AwsError, Identity, RequestContext, ids};
use stratus_protocol::codec::{self, Protocol, Request, Response};
use stratus_protocol::router::{self, Caller};
use stratus_protocol::{sigv4, validate};

use crate::app::App;

/// Handles one AWS API request.
pub async fn handle(app: &App, req: Request) -> Response {
    let request_id = ids::request_id();
    let caller = router::caller(&req);
    let route = match router::route(&req, &caller) {
        Ok(r) => r,
        Err(e) => return codec::encode_error(guess_protocol(&req), None, &e, &request_id),
    };
    let model = route.model.clone();
    let protocol = route.protocol;
    let fail = |e: AwsError| codec::encode_error(protocol, Some(&model), &e, &request_id);

    let identity = match identify(app, &req, &caller, protocol) {
        Ok(i) => i,
        Err(e) => return fail(e),
    };
    let Some(op_name) = route.operation.clone() else {
        return fail(router::unknown_operation(&route));
    };
    let Some(op) = model.operation(&op_name) else {
        return fail(router::unknown_operation(&route));
    };
    // Decoding and validation need only the model, so bad input gets its
    // 4xx even for operations no handler implements yet.
    let input = match codec::decode_input(protocol, &model, op, &req) {
        Ok(v) => v,
        Err(e) => return fail(e),
    };
    let (_, host_region) = router::host_hint(req.header("host").unwrap_or(""));
    let region = caller
        .region
        .clone()
        .or(host_region)
        .unwrap_or_else(|| stratus_core::DEFAULT_REGION.to_string());
    if let Err(e) = authorize(app, &identity, &model, protocol, &op_name, &input, &region) {
        return fail(e);
    }
    if let Some(r) = &op.input {
        let rules = validate::Rules {
            enums: !app
                .service(model.serves())
                .is_some_and(|s| s.checks_enums_itself()),
        };
        if let Err(mut e) = validate::validate_with(protocol, &model, r, &input, rules) {
            if let Some(code) = app
                .service(model.serves())
                .and_then(|s| s.validation_code())
            {
                e.code = code.to_string();
            }
            return fail(e);
        }
    }
    // A legacy model (an older protocol of a service) is served by the
    // service's handlers.
    let service_name = model.serves().to_string();
    let service = match app.service(&service_name) {
        Some(s) if s.operations().contains(&op_name.as_str()) => s.clone(),
        _ => return fail(AwsError::not_implemented(&service_name, &op_name)),
    };
    let ctx = RequestContext {
        request_id: request_id.clone(),
        service: service_name.clone(),
        operation: op_name.clone(),
        region,
        identity,
        clock: app.clock.clone(),
        host: req.header("host").unwrap_or("").to_string(),
        from_waiter: ["user-agent", "x-amz-user-agent"].iter().any(|h| {
            req.header(h)
                .is_some_and(stratus_core::context::user_agent_marks_waiter)
        }),
    };
    match service.call(&ctx, &op_name, input).await {
        Ok(out) => codec::encode_reply(protocol, &model, op, out, &request_id),
        Err(e) => {
            if e.status >= 500 {
                tracing::error!(service = %model.name, operation = %op_name, error = %e, "request failed");
            }
            fail(e)
        }
    }
}

/// The prefix of a service's IAM actions: its signing name, except where IAM
/// names the service differently.
pub fn action_prefix(model: &stratus_protocol::ServiceModel) -> &str {
    match model.metadata.signing_name() {
        "monitoring" => "cloudwatch",
        "email" => "ses",
        other => other,
    }
}

/// Applies IAM policies when enforcement is on. Every operation is
/// authorized as `prefix:Operation` on the resources its service names
/// (`*` when it names none).
fn authorize(
    app: &App,
    identity: &Identity,
    model: &stratus_protocol::ServiceModel,
    protocol: Protocol,
    operation: &str,
    input: &stratus_protocol::Value,
    region: &str,
) -> Result<(), AwsError> {
    let Some(authz) = app.authorizer.as_ref().filter(|a| a.enforcing()) else {
        return Ok(());
    };
    // A legacy model's requests are its current service's.
    let service = app.service(model.serves());
    let mut resources = service
        .map(|s| s.resource_arns(identity, region, operation, input))
        .unwrap_or_default();
    if resources.is_empty() {
        resources.push("*".to_string());
    }
    let policies = service
        .map(|s| s.resource_policies(&resources))
        .unwrap_or_default();
    let action = stratus_core::action_name(action_prefix(model), operation);
    let req = AccessRequest {
        identity,
        action: &action,
        resources: &resources,
        resource_policies: &policies,
        region,
        secure_transport: false,
        now_ms: app.clock.now_millis(),
    };
    authz
        .authorize(&req)
        .map_err(|d| match (model.serves(), protocol) {
            // Services that answer a denial in their own code or status.
            ("sns", _) => AwsError::new(403, "AuthorizationError", d.message),
            // SQS names the action in lower case (`sqs:sendmessage`), in both
            // protocols, under the query code.
            ("sqs", _) => AwsError::new(
                403,
                "AccessDenied",
                d.message.replace(&action, &action.to_ascii_lowercase()),
            ),
            ("dynamodb" | "dynamodbstreams", _) => {
                AwsError::bad_request("AccessDeniedException", d.message)
            }
            (_, protocol) => match protocol {
                Protocol::Ec2 => AwsError::new(
                    403,
                    "UnauthorizedOperation",
                    format!(
                        "You are not authorized to perform this operation. {}",
                        d.message
                    ),
                ),
                Protocol::Json | Protocol::RestJson | Protocol::Cbor => d.into_error(true),
                Protocol::Query | Protocol::RestXml => d.into_error(false),
            },
        })
}

/// The protocol to answer in when the request could not be routed.
fn guess_protocol(req: &Request) -> Protocol {
    if req.header("smithy-protocol").is_some() {
        Protocol::Cbor
    } else if req.header("x-amz-target").is_some() {
        Protocol::Json
    } else if req
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
    {
        Protocol::Query
    } else {
        Protocol::RestJson
    }
}

fn expired(protocol: Protocol) -> AwsError {
    let code = match protocol {
        Protocol::Query | Protocol::Ec2 | Protocol::RestXml => "ExpiredToken",
        _ => "ExpiredTokenException",
    };
    AwsError::bad_request(
        code,
        "The security token included in the request is expired",
    )
}

/// The context a raw HTTP handler gets: the caller resolved and checked for
/// expiry (signatures of streamed bodies are the handler's to check).
pub fn raw_context(app: &App, caller: &Caller, host: &str) -> Result<RequestContext, AwsError> {
    let identity = app
        .identities
        .resolve(caller.access_key.as_deref().unwrap_or(""));
    if identity
        .expires_ms
        .is_some_and(|t| t <= app.clock.now_millis())
    {
        return Err(expired(Protocol::RestXml));
    }
    authenticate(
        app,
        &identity,
        caller.signing_service.as_deref().unwrap_or(""),
        caller.region.as_deref(),
    )?;
    let (_, host_region) = router::host_hint(host);
    Ok(RequestContext {
        request_id: ids::request_id(),
        service: String::new(),
        operation: String::new(),
        region: caller
            .region
            .clone()
            .or(host_region)
            .unwrap_or_else(|| stratus_core::DEFAULT_REGION.to_string()),
        identity,
        clock: app.clock.clone(),
        host: host.to_string(),
        from_waiter: false,
    })
}

/// Refuses disabled keys and records each key's use (through IAM).
fn authenticate(
    app: &App,
    identity: &Identity,
    service: &str,
    region: Option<&str>,
) -> Result<(), AwsError> {
    match &app.authorizer {
        Some(a) if identity.secret_key.is_some() => a.authenticate(
            identity,
            service,
            region.unwrap_or(stratus_core::DEFAULT_REGION),
            app.clock.now_millis(),
        ),
        _ => Ok(()),
    }
}

/// Resolves the caller; checks expiry, and the signature when asked to.
fn identify(
    app: &App,
    req: &Request,
    caller: &Caller,
    protocol: Protocol,
) -> Result<Identity, AwsError> {
    let Some(key) = caller.access_key.as_deref() else {
        return Ok(app.identities.resolve(""));
    };
    let identity = app.identities.resolve(key);
    if identity
        .expires_ms
        .is_some_and(|t| t <= app.clock.now_millis())
    {
        return Err(expired(protocol));
    }
    // A disabled or deleted key is refused before its signature is looked at.
    authenticate(
        app,
        &identity,
        caller.signing_service.as_deref().unwrap_or(""),
        caller.region.as_deref(),
    )?;
    if app.config.verify_signatures {
        if let Some(secret) = identity.secret_key.as_deref() {
            verify_signature(app, req, secret)?;
        }
    }
    Ok(identity)
}

fn verify_signature(app: &App, req: &Request, secret: &str) -> Result<(), AwsError> {
    let sig_err = |e: sigv4::SigError| AwsError::new(e.status(), e.code(), e.message());
    let signed = match req.header("authorization") {
        Some(h) => sigv4::parse_authorization_header(h).map_err(sig_err)?,
        None => match sigv4::parse_presigned_query(&req.query_pairs()).map_err(sig_err)? {
            Some(s) => s,
            None => return Ok(()),
        },
    };
    let s3 = signed.credential.service.starts_with("s3");
    let headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let payload = match req.header("x-amz-content-sha256") {
        Some(h) => h.to_string(),
        None if signed.presigned && s3 => "UNSIGNED-PAYLOAD".to_string(),
        None => hex::encode(Sha256::digest(&req.body)),
    };
    let parts = sigv4::RequestParts {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        headers: &headers,
        payload_sha256: &payload,
    };
    sigv4::verify(&parts, &signed, secret, app.clock.now_secs(), s3).map_err(sig_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_action_prefixes() {
        let prefix = |svc: &str| {
            let m = stratus_protocol::model::load(svc).unwrap();
            action_prefix(&m).to_string()
        };
        assert_eq!(prefix("iam"), "iam");
        assert_eq!(prefix("sts"), "sts");
        assert_eq!(prefix("s3"), "s3");
        assert_eq!(prefix("dynamodb"), "dynamodb");
        assert_eq!(prefix("cloudwatch"), "cloudwatch");
        assert_eq!(prefix("ses"), "ses");
    }
}
