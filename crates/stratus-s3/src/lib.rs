//! Amazon S3: the REST API through s3s over our own storage, and the static
//! website endpoint (`BUCKET.s3-website-REGION.localhost`).

mod api;
mod chunked;
mod conditions;
mod cors;
mod files;
pub mod host;
mod lifecycle;
mod listing;
mod mapped;
mod metrics;
pub mod names;
mod notify;
pub use notify::Targets;
pub mod policy;
mod policy_conditions;
mod post_form;
mod resign;
mod signature;
pub use signature::Verifier;
mod state;
mod versions;
mod website;

use std::sync::Arc;

use http_body_util::BodyExt;
use s3s::service::{S3Service, S3ServiceBuilder};
use stratus_core::{AwsError, RequestContext};
use stratus_protocol::router::Caller;
use stratus_protocol::{Body, HttpFuture, HttpHandler};
use stratus_store::Store;

use crate::api::Api;
use crate::files::Files;
use crate::host::HostKind;
use crate::state::Db;

/// What a handler learns about the caller, carried in request extensions.
#[derive(Clone, Debug)]
pub(crate) struct CallerInfo {
    pub identity: stratus_core::Identity,
    pub account: String,
    pub region: String,
    pub request_id: String,
    pub now_ms: i64,
}

/// Shared by the API and the website endpoint.
pub(crate) struct Engine {
    pub db: Db,
    pub files: Files,
    /// Where event notifications go (SQS, SNS).
    pub targets: Targets,
}

impl Engine {
    fn open(store: Store, targets: Targets) -> Result<Engine, String> {
        let files = Files::open(&store).map_err(|e| e.to_string())?;
        let db = Db::load(store)?;
        let removed = files.clean_orphans(&db.referenced_files());
        if removed > 0 {
            tracing::info!(removed, "removed unfinished S3 uploads");
        }
        Ok(Engine { db, files, targets })
    }
}

/// The secret s3s checks a signature with: the key's own when its
/// signature is verified (`--verify-signatures`, a key Stratus issued), else
/// the internal one the request was re-signed with.
struct InternalAuth {
    verifier: Option<Verifier>,
}

#[async_trait::async_trait]
impl s3s::auth::S3Auth for InternalAuth {
    async fn get_secret_key(&self, access_key: &str) -> s3s::S3Result<s3s::auth::SecretKey> {
        if let Some(v) = &self.verifier {
            if let Ok(Some(secret)) = v.secret(access_key) {
                return Ok(secret.into());
            }
        }
        Ok(resign::INTERNAL_SECRET.into())
    }
}

/// Access: the server resolved the caller already (an unsigned request acts
/// as the default account, as elsewhere); with `--enforce-iam` each
/// operation is authorized as `s3:Action` on its bucket or object ARN, with
/// the bucket's policy as the resource policy.
struct Authorize {
    authorizer: Option<Arc<dyn stratus_core::Authorizer>>,
    engine: Arc<Engine>,
}

#[async_trait::async_trait]
impl s3s::access::S3Access for Authorize {
    async fn check(&self, cx: &mut s3s::access::S3AccessContext<'_>) -> s3s::S3Result<()> {
        let Some(authz) = self.authorizer.as_ref().filter(|a| a.enforcing()) else {
            return Ok(());
        };
        let Some(caller) = cx.extensions_mut().get::<CallerInfo>().cloned() else {
            return Ok(());
        };
        let (resource, bucket) = match cx.s3_path() {
            s3s::path::S3Path::Root => ("*".to_string(), None),
            s3s::path::S3Path::Bucket { bucket } => {
                (format!("arn:aws:s3:::{bucket}"), Some(bucket.to_string()))
            }
            s3s::path::S3Path::Object { bucket, key } => (
                format!("arn:aws:s3:::{bucket}/{key}"),
                Some(bucket.to_string()),
            ),
        };
        let policy = bucket.and_then(|b| {
            let s = self.engine.db.state.read();
            s.buckets.get(&b).and_then(|e| e.meta.policy.clone())
        });
        let action = stratus_core::authz::action_name("s3", cx.s3_op().name());
        let resources = [resource];
        let policies: Vec<String> = policy.into_iter().collect();
        let req = stratus_core::AccessRequest {
            identity: &caller.identity,
            action: &action,
            resources: &resources,
            resource_policies: &policies,
            region: &caller.region,
            secure_transport: false,
            now_ms: caller.now_ms,
        };
        authz
            .authorize(&req)
            .map_err(|d| s3s::S3Error::with_message(s3s::S3ErrorCode::AccessDenied, d.message))
    }
}

/// Host parsing for s3s: ours knows `localhost:4566` and the region label.
struct Hosts;

impl s3s::host::S3Host for Hosts {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> s3s::S3Result<s3s::host::VirtualHost<'a>> {
        Ok(match host::classify(host) {
            HostKind::Api { bucket, region } => {
                let mut vh = s3s::host::VirtualHost::new(host);
                if let Some(b) = bucket {
                    vh = vh.with_bucket(b);
                }
                if let Some(r) = region {
                    vh = vh.with_region(r);
                }
                vh
            }
            _ => s3s::host::VirtualHost::new(host),
        })
    }
}

/// Bucket names are checked by CreateBucket; other requests for a badly
/// named bucket simply find no such bucket, as on AWS.
struct AnyBucketName;

impl s3s::validation::NameValidation for AnyBucketName {
    fn validate_bucket_name(&self, name: &str) -> bool {
        !name.is_empty() && name.len() <= 255
    }
}

pub struct S3 {
    engine: Arc<Engine>,
    service: S3Service,
    /// Set by `--verify-signatures`.
    verifier: Option<Verifier>,
}

impl S3 {
    /// `authorizer` applies IAM policies to every operation when enforcing;
    /// `targets` receive event notifications; `verifier`, when given,
    /// checks the signatures of keys Stratus issued.
    pub fn new(
        store: Store,
        authorizer: Option<Arc<dyn stratus_core::Authorizer>>,
        targets: Targets,
        verifier: Option<Verifier>,
    ) -> Result<S3, String> {
        let engine = Arc::new(Engine::open(store, targets)?);
        let mut b = S3ServiceBuilder::new(Api {
            engine: engine.clone(),
        });
        b.set_host(Hosts);
        b.set_auth(InternalAuth {
            verifier: verifier.clone(),
        });
        b.set_access(Authorize {
            authorizer,
            engine: engine.clone(),
        });
        b.set_validation(AnyBucketName);
        Ok(S3 {
            engine,
            service: b.build(),
            verifier,
        })
    }
}

impl S3 {
    /// The bucket a REST request names, by virtual host or first path segment.
    fn bucket_of(&self, head: &http::request::Parts) -> Option<String> {
        if let HostKind::Api {
            bucket: Some(b), ..
        } = host::classify(host_of(head))
        {
            return Some(b);
        }
        let seg = head.uri.path().trim_start_matches('/').split('/').next()?;
        let seg = percent_encoding::percent_decode_str(seg)
            .decode_utf8()
            .ok()?;
        (!seg.is_empty()).then(|| seg.to_string())
    }

    /// A browser's CORS preflight (OPTIONS), answered from the bucket's rules.
    fn preflight(&self, head: &http::request::Parts, request_id: &str) -> http::Response<Body> {
        let header = |n: &str| {
            head.headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let (Some(origin), Some(method)) =
            (header("origin"), header("access-control-request-method"))
        else {
            return error_response(
                &AwsError::bad_request(
                    "BadRequest",
                    "Insufficient information. Origin request header needed.",
                ),
                request_id,
            );
        };
        let requested: Vec<String> = header("access-control-request-headers")
            .map(|h| {
                h.split(',')
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let forbidden =
            |msg: &str| error_response(&AwsError::new(403, "AccessForbidden", msg), request_id);
        let cfg: Option<s3s::dto::CORSConfiguration> = self.bucket_of(head).and_then(|b| {
            let s = self.engine.db.state.read();
            api::stored_config(&s.buckets.get(&b)?.meta, "cors")
        });
        let Some(cfg) = cfg else {
            return forbidden("CORSResponse: CORS is not enabled for this bucket.");
        };
        match cors::evaluate(&cfg, &origin, &method, &requested) {
            Some(a) => {
                let mut resp = http::Response::new(website::text_body(String::new()));
                cors::apply(resp.headers_mut(), &a);
                with_request_id(resp, request_id)
            }
            None => forbidden(
                "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
            ),
        }
    }

    /// What a request may change that notifications report, known before
    /// s3s consumes it.
    fn change_of(&self, head: &http::request::Parts) -> Option<Change> {
        if !self.engine.targets.any() {
            return None;
        }
        let query = head.uri.query().unwrap_or("");
        let has = |name: &str| query.split('&').any(|p| p.split('=').next() == Some(name));
        let key = match host::classify(host_of(head)) {
            HostKind::Api {
                bucket: Some(_), ..
            } => head.uri.path().trim_start_matches('/'),
            _ => head
                .uri
                .path()
                .trim_start_matches('/')
                .split_once('/')
                .map_or("", |(_, k)| k),
        };
        let key = percent_encoding::percent_decode_str(key)
            .decode_utf8()
            .ok()?
            .into_owned();
        let kind = match head.method {
            http::Method::PUT if key.is_empty() && has("notification") => ChangeKind::Configured,
            _ if key.is_empty() => return None,
            // Sub-resources of an object are not new objects.
            http::Method::PUT
                if ["partNumber", "tagging", "acl", "retention", "legal-hold"]
                    .into_iter()
                    .any(has) =>
            {
                return None;
            }
            http::Method::PUT if head.headers.contains_key("x-amz-copy-source") => {
                ChangeKind::Created("ObjectCreated:Copy")
            }
            http::Method::PUT => ChangeKind::Created("ObjectCreated:Put"),
            http::Method::POST if has("uploadId") => {
                ChangeKind::Created("ObjectCreated:CompleteMultipartUpload")
            }
            http::Method::DELETE if !has("uploadId") && !has("tagging") => ChangeKind::Removed,
            _ => return None,
        };
        Some(Change { key, kind })
    }

    /// Sends the notifications a successful change calls for: the one the
    /// request head announced, and those its handler noted.
    fn notify(
        &self,
        bucket: String,
        c: Option<Change>,
        noted: Vec<notify::Noted>,
        resp: &http::Response<Body>,
        ctx: &RequestContext,
    ) {
        let now_ms = ctx.clock.now_millis();
        let removed = if resp
            .headers()
            .get("x-amz-delete-marker")
            .is_some_and(|v| v == "true")
        {
            "ObjectRemoved:DeleteMarkerCreated"
        } else {
            "ObjectRemoved:Delete"
        };
        let out = {
            let s = self.engine.db.state.read();
            let Some(b) = s.buckets.get(&bucket) else {
                return;
            };
            let event = |name, key: &str, object, version_id| {
                notify::messages(&notify::Event {
                    name,
                    bucket: &b.meta,
                    key,
                    object,
                    version_id,
                    principal: &ctx.identity.user_id,
                    request_id: &ctx.request_id,
                    now_ms,
                })
            };
            let mut out = match c {
                None => Vec::new(),
                Some(c) => match c.kind {
                    ChangeKind::Configured => {
                        notify::test_messages(&b.meta, &ctx.request_id, now_ms)
                    }
                    ChangeKind::Created(name) => event(name, &c.key, b.objects.get(&c.key), None),
                    ChangeKind::Removed => event(removed, &c.key, None, None),
                },
            };
            for n in &noted {
                let object = b.objects.get(&n.key).filter(|_| n.version_id.is_none());
                out.extend(event(n.name, &n.key, object, n.version_id.as_deref()));
            }
            out
        };
        self.engine.targets.send_all(ctx, out, now_ms);
    }

    /// Every bucket of every account, with its region, by name.
    pub fn buckets(&self) -> Vec<(String, String)> {
        let s = self.engine.db.state.read();
        let mut out: Vec<(String, String)> = s
            .buckets
            .values()
            .map(|b| (b.meta.name.clone(), b.meta.region.clone()))
            .collect();
        out.sort();
        out
    }

    /// Publishes the buckets' AWS/S3 storage metrics to `sink` once a day.
    pub fn storage_metrics_task(
        &self,
        sink: Arc<dyn stratus_core::metrics::MetricSink>,
    ) -> Arc<dyn stratus_core::tasks::Task> {
        Arc::new(metrics::StorageMetrics {
            engine: self.engine.clone(),
            sink,
            last_day: Default::default(),
        })
    }

    /// The background work that applies lifecycle rules.
    pub fn lifecycle_task(&self, clock: stratus_core::Clock) -> Arc<dyn stratus_core::tasks::Task> {
        Arc::new(lifecycle::LifecycleTask::new(self.engine.clone(), clock))
    }
}

/// A change to a bucket that may be reported to its notification targets.
struct Change {
    key: String,
    kind: ChangeKind,
}

enum ChangeKind {
    /// The notification configuration was put: each queue gets a test event.
    Configured,
    Created(&'static str),
    Removed,
}

fn host_of(head: &http::request::Parts) -> &str {
    head.headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

impl HttpHandler for S3 {
    fn name(&self) -> &'static str {
        "s3"
    }

    fn claims(&self, head: &http::request::Parts, caller: &Caller) -> bool {
        if head.method == http::Method::OPTIONS
            && head.headers.contains_key("access-control-request-method")
        {
            return self
                .bucket_of(head)
                .is_some_and(|b| self.engine.db.state.read().buckets.contains_key(&b));
        }
        // Browser form uploads carry no Authorization header: path-style
        // ones are known by their bucket.
        if post_form::is_form_upload(head) && caller.signing_service.is_none() {
            if let HostKind::Other = host::classify(host_of(head)) {
                return self
                    .bucket_of(head)
                    .is_some_and(|b| self.engine.db.state.read().buckets.contains_key(&b));
            }
        }
        match host::classify(host_of(head)) {
            HostKind::Website { .. } => true,
            _ if caller.signing_service.is_some() => {
                caller.signing_service.as_deref() == Some("s3")
            }
            _ if resign::is_sigv2(head) => true,
            HostKind::Api { .. } => true,
            HostKind::Other => false,
        }
    }

    fn handle<'a>(&'a self, ctx: RequestContext, req: http::Request<Body>) -> HttpFuture<'a> {
        Box::pin(async move {
            let (mut parts, body) = req.into_parts();
            if let HostKind::Website { bucket, .. } = host::classify(host_of(&parts)) {
                drop(body);
                return self.engine.serve_website(&bucket, &parts, &ctx.request_id);
            }
            if parts.method == http::Method::OPTIONS {
                drop(body);
                return self.preflight(&parts, &ctx.request_id);
            }
            let origin = parts
                .headers
                .get("origin")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let cors = origin.and_then(|o| {
                let bucket = self.bucket_of(&parts)?;
                let s = self.engine.db.state.read();
                let cfg: s3s::dto::CORSConfiguration =
                    api::stored_config(&s.buckets.get(&bucket)?.meta, "cors")?;
                cors::evaluate(&cfg, &o, parts.method.as_str(), &[])
            });
            let now_secs = ctx.clock.now_secs();
            let is_form = post_form::is_form_upload(&parts);
            let mut identity = ctx.identity.clone();
            // With `--verify-signatures`, a key Stratus issued keeps its own
            // signature for s3s to check; anything else is re-signed.
            let (verified, body) = match &self.verifier {
                Some(v) => match self
                    .check_signature(v, &parts, body, is_form, now_secs)
                    .await
                {
                    Ok(x) => x,
                    Err(e) => return s3_error_response(&e, &ctx.request_id),
                },
                None => (None, body),
            };
            let body = match &verified {
                Some(checked) => {
                    if let Err(e) = resign::check_expiry(&parts, now_secs) {
                        return error_response(&e, &ctx.request_id);
                    }
                    if let Some(id) = &checked.identity {
                        identity = id.clone();
                    }
                    body
                }
                None => match resign::resign(&mut parts, now_secs) {
                    Ok(Some(s)) => chunked::resign_body(body, s),
                    Ok(None) => body,
                    Err(e) => return s3_error_response(&e, &ctx.request_id),
                },
            };
            parts.extensions.insert(CallerInfo {
                account: identity.account_id.clone(),
                identity,
                region: ctx.region.clone(),
                request_id: ctx.request_id.clone(),
                now_ms: ctx.clock.now_millis(),
            });
            let body = if is_form {
                let filename = post_form::FormFilename::default();
                parts.extensions.insert(filename.clone());
                if verified.is_some() {
                    // The form's own signature is for s3s to check.
                    post_form::capture_only(body, filename)
                } else {
                    post_form::strip_signature(body, filename)
                }
            } else {
                body
            };
            let is_head = parts.method == http::Method::HEAD;
            let change = self.change_of(&parts);
            let recorded = self.engine.targets.any().then(notify::Recorded::default);
            let notify_bucket = recorded.as_ref().and_then(|_| self.bucket_of(&parts));
            if let Some(r) = &recorded {
                parts.extensions.insert(r.clone());
            }
            let refused = matches!(
                change,
                Some(Change {
                    kind: ChangeKind::Configured,
                    ..
                })
            )
            .then(notify::Refused::default);
            if let Some(r) = &refused {
                parts.extensions.insert(r.clone());
            }
            let req = http::Request::from_parts(parts, s3s::Body::http_body_unsync(body));
            let resp = match self.service.call(req).await {
                Ok(r) => r.map(|b| b.boxed_unsync()),
                Err(e) => {
                    tracing::error!(error = ?e, "s3 request failed");
                    let mut r = http::Response::new(website::text_body(String::new()));
                    *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
                    r
                }
            };
            let mut resp = with_request_id(resp, &ctx.request_id);
            if let Some(e) = refused.and_then(|r| r.take()) {
                resp = s3_error_response(&e, &ctx.request_id);
            }
            if let Some(m) = verified.and_then(|v| v.mismatch) {
                resp = explain_mismatch(resp, &m, &ctx.request_id).await;
            }
            // s3s answers a ranged HEAD with 200; S3 says 206 as for GET.
            if is_head
                && resp.status() == http::StatusCode::OK
                && resp.headers().contains_key(http::header::CONTENT_RANGE)
            {
                *resp.status_mut() = http::StatusCode::PARTIAL_CONTENT;
            }
            if let Some(a) = cors {
                cors::apply(resp.headers_mut(), &a);
            }
            if let (Some(bucket), Some(r)) = (notify_bucket, recorded) {
                if resp.status().is_success() {
                    self.notify(bucket, change, r.take(), &resp, &ctx);
                }
            }
            resp
        })
    }

    fn reset(&self) -> Result<(), AwsError> {
        let mut s = self.engine.db.state.write();
        self.engine
            .db
            .store
            .clear(state::TABLE)
            .map_err(|e| AwsError::internal(e.to_string()))?;
        s.buckets.clear();
        self.engine.files.remove_all_data();
        Ok(())
    }
}

/// A signature checked under `--verify-signatures`.
struct Verified {
    /// The issuer's identity for a SigV2 key or a form's key, which the
    /// server could not tell from the request head.
    identity: Option<stratus_core::Identity>,
    /// What to report should s3s find the signature wrong (SigV2, POST
    /// policies: s3s checks those).
    mismatch: Option<signature::Mismatch>,
}

impl S3 {
    /// Checks what can be checked of the request's signature before s3s
    /// reads it; `None` when its key's signatures are not checked.
    async fn check_signature(
        &self,
        v: &Verifier,
        parts: &http::request::Parts,
        body: Body,
        is_form: bool,
        now_secs: i64,
    ) -> Result<(Option<Verified>, Body), AwsError> {
        use signature::HeadSignature;
        let checked = match signature::head_signature(parts)? {
            HeadSignature::V4(signed) => match v.secret(&signed.credential.access_key)? {
                Some(secret) => {
                    signature::check_v4(parts, &signed, &secret, now_secs)?;
                    Some(Verified {
                        identity: None,
                        mismatch: None,
                    })
                }
                None => None,
            },
            HeadSignature::V2 {
                key,
                signature: provided,
                presigned,
            } => v.secret(&key)?.map(|_| Verified {
                identity: v.identities.issued(&key),
                mismatch: Some(signature::Mismatch {
                    string_to_sign: signature::v2_string_to_sign(parts, presigned),
                    access_key: key,
                    signature_provided: provided,
                    canonical_request: None,
                }),
            }),
            HeadSignature::None if is_form => {
                let (fields, body) = post_form::read_fields(parts, body).await;
                let field = |n: &str| fields.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
                let key = field("x-amz-credential")
                    .map(|c| c.split('/').next().unwrap_or("").to_string())
                    .or_else(|| field("awsaccesskeyid"));
                let checked = match key {
                    Some(key) => v.secret(&key)?.map(|_| Verified {
                        identity: v.identities.issued(&key),
                        mismatch: Some(signature::Mismatch {
                            string_to_sign: field("policy").unwrap_or_default(),
                            signature_provided: field("x-amz-signature")
                                .or_else(|| field("signature"))
                                .unwrap_or_default(),
                            access_key: key,
                            canonical_request: None,
                        }),
                    }),
                    None => None,
                };
                return Ok((checked, body));
            }
            HeadSignature::None => None,
        };
        Ok((checked, body))
    }
}

/// s3s reports a wrong SigV2 or POST signature without S3's details; the
/// answer gains them here.
async fn explain_mismatch(
    resp: http::Response<Body>,
    m: &signature::Mismatch,
    request_id: &str,
) -> http::Response<Body> {
    if resp.status() != http::StatusCode::FORBIDDEN {
        return resp;
    }
    let (parts, mut body) = resp.into_parts();
    // An error body is small; read no more than a few of its frames.
    let mut buf = Vec::new();
    while buf.len() < 64 << 10 {
        match body.frame().await {
            Some(Ok(f)) => {
                if let Ok(d) = f.into_data() {
                    buf.extend_from_slice(&d);
                }
            }
            _ => break,
        }
    }
    let bytes = bytes::Bytes::from(buf);
    if bytes
        .windows(b"<Code>SignatureDoesNotMatch</Code>".len())
        .any(|w| w == b"<Code>SignatureDoesNotMatch</Code>")
    {
        return s3_error_response(&m.error(), request_id);
    }
    let body = http_body_util::Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync();
    http::Response::from_parts(parts, body)
}

/// An error with S3's extra fields (StringToSign, ...), in S3's XML shape.
fn s3_error_response(err: &AwsError, request_id: &str) -> http::Response<Body> {
    let r = stratus_protocol::codec::rest::encode_s3_error(err, request_id);
    let mut resp = http::Response::new(
        http_body_util::Full::new(r.body)
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *resp.status_mut() =
        http::StatusCode::from_u16(r.status).unwrap_or(http::StatusCode::FORBIDDEN);
    for (k, v) in r.headers {
        if let (Ok(k), Ok(v)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            http::HeaderValue::from_str(&v),
        ) {
            resp.headers_mut().insert(k, v);
        }
    }
    with_request_id(resp, request_id)
}

/// An error answered before s3s sees the request, in S3's XML shape.
fn error_response(err: &AwsError, request_id: &str) -> http::Response<Body> {
    let mut e = s3s::S3Error::with_message(
        s3s::S3ErrorCode::from_bytes(err.code.as_bytes())
            .unwrap_or_else(|| s3s::S3ErrorCode::Custom(err.code.clone().into())),
        err.message.clone(),
    );
    e.set_request_id(request_id);
    if let Ok(status) = http::StatusCode::from_u16(err.status) {
        e.set_status_code(status);
    }
    let resp = match e.to_http_response() {
        Ok(r) => r.map(|b| b.boxed_unsync()),
        Err(_) => {
            let mut r = http::Response::new(website::text_body(String::new()));
            *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            r
        }
    };
    with_request_id(resp, request_id)
}

pub(crate) fn with_request_id(mut resp: http::Response<Body>, id: &str) -> http::Response<Body> {
    if let Ok(v) = http::HeaderValue::from_str(id) {
        resp.headers_mut().insert("x-amz-request-id", v.clone());
        resp.headers_mut().insert("x-amz-id-2", v);
    }
    resp
}
