//! The static website endpoint: anonymous GETs to
//! `BUCKET.s3-website-REGION.localhost`, answered from the bucket's website
//! configuration, with AWS's HTML error pages.

use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode};
use http_body_util::{BodyExt, Full};
use serde::{Deserialize, Serialize};
use stratus_protocol::Body;

use crate::Engine;
use crate::api::Content;
use crate::policy::{self, Decision, RequestFacts};
use crate::state::{BucketMeta, ObjectMeta};

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct RoutingRuleCfg {
    pub key_prefix_equals: Option<String>,
    pub error_code_equals: Option<String>,
    pub host: Option<String>,
    pub protocol: Option<String>,
    pub code: Option<String>,
    pub replace_prefix: Option<String>,
    pub replace_key: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct WebsiteConfig {
    pub index_suffix: Option<String>,
    pub error_key: Option<String>,
    /// (host name, protocol)
    pub redirect_all: Option<(String, Option<String>)>,
    pub rules: Vec<RoutingRuleCfg>,
}

impl WebsiteConfig {
    pub fn of(b: &BucketMeta) -> Option<WebsiteConfig> {
        b.configs
            .get("website")
            .and_then(|j| serde_json::from_str(j).ok())
    }
}

pub(crate) fn text_body(s: String) -> Body {
    Full::new(Bytes::from(s))
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// What the bucket policy says about an anonymous `action` on `resource`,
/// unless the public access block restricts public buckets.
fn policy_decision(b: &BucketMeta, action: &str, resource: &str, facts: &RequestFacts) -> Decision {
    let pab = b.public_access_block.clone().unwrap_or_default();
    match &b.policy {
        Some(doc) if !pab.restrict_public_buckets => {
            policy::anonymous(doc, action, resource, facts)
        }
        _ => Decision::Implicit,
    }
}

/// Whether a public-read ACL (`acl`) counts: ACLs enabled by the bucket's
/// ownership setting and not ignored by the public access block.
fn public_acl(b: &BucketMeta, acl: Option<&str>) -> bool {
    let pab = b.public_access_block.clone().unwrap_or_default();
    let acls_on = crate::api::stored_config::<s3s::dto::OwnershipControls>(b, "ownership")
        .is_none_or(|o| {
            o.rules
                .iter()
                .all(|r| r.object_ownership.as_str() != "BucketOwnerEnforced")
        });
    acls_on && !pab.ignore_public_acls && crate::api::grants_public_read(acl)
}

/// Whether an anonymous visitor may read `key`: the bucket policy must
/// allow `s3:GetObject` to everyone, and the public access block must not
/// restrict public buckets.
/// A public-read object ACL also opens the object, unless the block
/// ignores public ACLs or the bucket's ownership setting disables ACLs.
pub fn anonymous_read(
    b: &BucketMeta,
    key: &str,
    object_acl: Option<&str>,
    facts: &RequestFacts,
) -> bool {
    let resource = format!("arn:aws:s3:::{}/{key}", b.name);
    match policy_decision(b, "s3:GetObject", &resource, facts) {
        Decision::Allow => true,
        Decision::Deny => false,
        Decision::Implicit => public_acl(b, object_acl),
    }
}

/// Whether an anonymous visitor may list the bucket, which decides whether
/// a missing key is reported as missing (404) or hidden (403), as on S3.
pub fn anonymous_list(b: &BucketMeta, facts: &RequestFacts) -> bool {
    let resource = format!("arn:aws:s3:::{}", b.name);
    match policy_decision(b, "s3:ListBucket", &resource, facts) {
        Decision::Allow => true,
        Decision::Deny => false,
        Decision::Implicit => public_acl(b, b.configs.get("acl").map(String::as_str)),
    }
}

/// What the visitor's request tells a policy's conditions.
fn facts_of(parts: &http::request::Parts) -> RequestFacts {
    let header = |n: &str| {
        parts
            .headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    RequestFacts {
        source_ip: parts
            .extensions
            .get::<stratus_protocol::RemoteAddr>()
            .map(|a| a.0.ip()),
        // The listener speaks plain HTTP only.
        secure_transport: false,
        referer: header("referer"),
        user_agent: header("user-agent"),
        object_tags: Vec::new(),
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// AWS's website error page.
pub fn error_page(
    status: StatusCode,
    code: &str,
    message: &str,
    extra: &[(&str, &str)],
    request_id: &str,
) -> String {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let mut items = format!(
        "<li>Code: {}</li>\n<li>Message: {}</li>\n",
        html_escape(code),
        html_escape(message)
    );
    for (k, v) in extra {
        items.push_str(&format!("<li>{k}: {}</li>\n", html_escape(v)));
    }
    items.push_str(&format!(
        "<li>RequestId: {request_id}</li>\n<li>HostId: {request_id}</li>\n"
    ));
    format!(
        "<html>\n<head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n<ul>\n{items}</ul>\n<hr/>\n</body>\n</html>\n"
    )
}

struct Req<'a> {
    head: bool,
    host: &'a str,
    request_id: &'a str,
}

fn respond(
    r: &Req<'_>,
    status: StatusCode,
    headers: Vec<(&'static str, String)>,
    body: Body,
) -> http::Response<Body> {
    let body = if r.head {
        text_body(String::new())
    } else {
        body
    };
    let mut resp = http::Response::new(body);
    *resp.status_mut() = status;
    for (k, v) in headers {
        if let Ok(v) = HeaderValue::from_str(&v) {
            resp.headers_mut().insert(k, v);
        }
    }
    crate::with_request_id(resp, r.request_id)
}

fn error(
    r: &Req<'_>,
    status: StatusCode,
    code: &str,
    message: &str,
    extra: &[(&str, &str)],
) -> http::Response<Body> {
    let page = error_page(status, code, message, extra, r.request_id);
    let len = page.len().to_string();
    respond(
        r,
        status,
        vec![
            ("content-type", "text/html; charset=utf-8".into()),
            ("content-length", len),
        ],
        text_body(page),
    )
}

fn redirect(r: &Req<'_>, status: StatusCode, location: String) -> http::Response<Body> {
    respond(
        r,
        status,
        vec![("location", location), ("content-length", "0".into())],
        text_body(String::new()),
    )
}

fn rule_redirect(r: &Req<'_>, rule: &RoutingRuleCfg, key: &str) -> http::Response<Body> {
    let new_key = match (&rule.replace_key, &rule.replace_prefix) {
        (Some(k), _) => k.clone(),
        (None, Some(p)) => {
            let strip = rule.key_prefix_equals.as_deref().unwrap_or("");
            format!("{p}{}", key.strip_prefix(strip).unwrap_or(key))
        }
        _ => key.to_string(),
    };
    let proto = rule.protocol.as_deref().unwrap_or("http");
    let host = rule.host.as_deref().unwrap_or(r.host);
    let status = rule
        .code
        .as_deref()
        .and_then(|c| c.parse::<u16>().ok())
        .and_then(|c| StatusCode::from_u16(c).ok())
        .unwrap_or(StatusCode::MOVED_PERMANENTLY);
    redirect(r, status, format!("{proto}://{host}/{new_key}"))
}

impl Engine {
    fn open_object(&self, bucket: &str, key: &str) -> Option<(ObjectMeta, Option<Content>)> {
        let s = self.db.state.read();
        let o = s.buckets.get(bucket)?.objects.get(key)?.clone();
        let content = Content::open(&self.files, &o).ok()?;
        Some((o, content))
    }

    fn object_response(
        &self,
        r: &Req<'_>,
        status: StatusCode,
        o: ObjectMeta,
        f: Option<Content>,
    ) -> http::Response<Body> {
        let blob = match crate::api::body_of(f, 0, o.size) {
            Ok(b) => b,
            Err(_) => {
                return error(
                    r,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalError",
                    "We encountered an internal error. Please try again.",
                    &[],
                );
            }
        };
        let body: Body = s3s::Body::from(blob).boxed_unsync();
        let mut headers = vec![
            ("content-length", o.size.to_string()),
            ("etag", format!("\"{}\"", o.etag)),
            (
                "last-modified",
                stratus_core::time::http_date(o.last_modified_ms),
            ),
            (
                "content-type",
                o.content_type
                    .clone()
                    .unwrap_or_else(|| "binary/octet-stream".into()),
            ),
        ];
        for (k, v) in [
            ("cache-control", &o.cache_control),
            ("content-encoding", &o.content_encoding),
            ("content-disposition", &o.content_disposition),
            ("content-language", &o.content_language),
        ] {
            if let Some(v) = v {
                headers.push((k, v.clone()));
            }
        }
        respond(r, status, headers, body)
    }

    /// A 4xx answer: the configured error document if the visitor may read
    /// it, else the HTML error page.
    #[allow(clippy::too_many_arguments)]
    fn error_answer(
        &self,
        r: &Req<'_>,
        b: &BucketMeta,
        cfg: &WebsiteConfig,
        status: StatusCode,
        code: &str,
        message: &str,
        extra: &[(&str, &str)],
        facts: &RequestFacts,
    ) -> http::Response<Body> {
        if let Some(k) = &cfg.error_key {
            if let Some((o, f)) = self.open_object(&b.name, k) {
                let facts = RequestFacts {
                    object_tags: o.tags.clone(),
                    ..facts.clone()
                };
                if anonymous_read(b, k, o.acl.as_deref(), &facts) {
                    return self.object_response(r, status, o, f);
                }
            }
        }
        error(r, status, code, message, extra)
    }

    pub(crate) fn serve_website(
        &self,
        bucket: &str,
        parts: &http::request::Parts,
        request_id: &str,
    ) -> http::Response<Body> {
        let host = parts
            .headers
            .get(http::header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let r = Req {
            head: parts.method == Method::HEAD,
            host,
            request_id,
        };
        if parts.method != Method::GET && parts.method != Method::HEAD {
            return error(
                &r,
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                &[
                    ("Method", parts.method.as_str()),
                    ("ResourceType", "OBJECT"),
                ],
            );
        }
        let meta = {
            let s = self.db.state.read();
            s.buckets.get(bucket).map(|b| b.meta.clone())
        };
        let Some(b) = meta else {
            return error(
                &r,
                StatusCode::NOT_FOUND,
                "NoSuchBucket",
                "The specified bucket does not exist",
                &[("BucketName", bucket)],
            );
        };
        let Some(cfg) = WebsiteConfig::of(&b) else {
            return error(
                &r,
                StatusCode::NOT_FOUND,
                "NoSuchWebsiteConfiguration",
                "The specified bucket does not have a website configuration",
                &[("BucketName", bucket)],
            );
        };
        if let Some((to, proto)) = &cfg.redirect_all {
            let pq = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            return redirect(
                &r,
                StatusCode::MOVED_PERMANENTLY,
                format!("{}://{to}{pq}", proto.as_deref().unwrap_or("http")),
            );
        }
        let raw = parts.uri.path().trim_start_matches('/');
        let requested = percent_encoding::percent_decode_str(raw)
            .decode_utf8_lossy()
            .to_string();
        for rule in &cfg.rules {
            if rule.error_code_equals.is_none() {
                if let Some(p) = &rule.key_prefix_equals {
                    if requested.starts_with(p.as_str()) {
                        return rule_redirect(&r, rule, &requested);
                    }
                }
            }
        }
        let suffix = cfg
            .index_suffix
            .clone()
            .unwrap_or_else(|| "index.html".into());
        let key = if requested.is_empty() || requested.ends_with('/') {
            format!("{requested}{suffix}")
        } else {
            requested.clone()
        };
        let on_error = |status: StatusCode, code: &str| {
            cfg.rules
                .iter()
                .find(|rule| {
                    rule.error_code_equals.as_deref() == Some(status.as_str())
                        && rule
                            .key_prefix_equals
                            .as_deref()
                            .is_none_or(|p| key.starts_with(p))
                })
                .map(|rule| rule_redirect(&r, rule, &key))
                .map(|x| (x, code.to_string()))
        };
        let found = self.open_object(bucket, &key);
        let facts = facts_of(parts);
        let denied = || {
            if let Some((resp, _)) = on_error(StatusCode::FORBIDDEN, "AccessDenied") {
                return resp;
            }
            self.error_answer(
                &r,
                &b,
                &cfg,
                StatusCode::FORBIDDEN,
                "AccessDenied",
                "Access Denied",
                &[],
                &facts,
            )
        };
        let object_facts = RequestFacts {
            object_tags: found
                .as_ref()
                .map(|(o, _)| o.tags.clone())
                .unwrap_or_default(),
            ..facts.clone()
        };
        if !anonymous_read(
            &b,
            &key,
            found.as_ref().and_then(|(o, _)| o.acl.as_deref()),
            &object_facts,
        ) {
            return denied();
        }
        match found {
            Some((o, _)) if o.website_redirect.is_some() => {
                let loc = o.website_redirect.unwrap_or_default();
                redirect(&r, StatusCode::MOVED_PERMANENTLY, loc)
            }
            Some((o, f)) => self.object_response(&r, StatusCode::OK, o, f),
            None => {
                // A folder named without its slash: send the visitor to it.
                if key == requested {
                    let folder_index = format!("{key}/{suffix}");
                    let exists = {
                        let s = self.db.state.read();
                        s.buckets
                            .get(bucket)
                            .is_some_and(|bk| bk.objects.contains_key(&folder_index))
                    };
                    if exists {
                        return redirect(&r, StatusCode::FOUND, format!("/{raw}/"));
                    }
                }
                // Only a visitor who may list the bucket learns that a key
                // is missing; others are denied, as on S3.
                if !anonymous_list(&b, &facts) {
                    return denied();
                }
                if let Some((resp, _)) = on_error(StatusCode::NOT_FOUND, "NoSuchKey") {
                    return resp;
                }
                self.error_answer(
                    &r,
                    &b,
                    &cfg,
                    StatusCode::NOT_FOUND,
                    "NoSuchKey",
                    "The specified key does not exist.",
                    &[("Key", &key)],
                    &facts,
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_page_shape() {
        let p = error_page(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
            &[("Key", "a<b")],
            "RID",
        );
        assert!(p.contains("<title>404 Not Found</title>"));
        assert!(p.contains("<li>Code: NoSuchKey</li>"));
        assert!(p.contains("<li>Key: a&lt;b</li>"));
        assert!(p.contains("<li>RequestId: RID</li>"));
    }

    #[test]
    fn anonymous_read_needs_policy_and_open_block() {
        let mut b = BucketMeta {
            name: "site".into(),
            account: "1".into(),
            region: "us-east-1".into(),
            created_ms: 0,
            policy: None,
            public_access_block: None,
            tags: None,
            configs: Default::default(),
            versioning: None,
        };
        let f = RequestFacts::default();
        assert!(!anonymous_read(&b, "index.html", None, &f));
        b.policy = Some(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}]}"#.into());
        assert!(anonymous_read(&b, "index.html", None, &f));
        // GetObject alone does not reveal which keys exist.
        assert!(!anonymous_list(&b, &f));
        b.policy = Some(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"},
            {"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::site"}]}"#.into());
        assert!(anonymous_list(&b, &f));
        b.public_access_block = Some(crate::state::PublicAccessBlock {
            restrict_public_buckets: true,
            ..Default::default()
        });
        assert!(!anonymous_read(&b, "index.html", None, &f));
        assert!(!anonymous_list(&b, &f));
    }
}
