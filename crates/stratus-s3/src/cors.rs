//! CORS: preflight answers and the headers added to actual requests, from
//! the bucket's CORS rules (first matching rule wins, as on S3).

use s3s::dto::CORSConfiguration;

use crate::policy::glob;

#[derive(Debug, PartialEq, Eq)]
pub struct Allowed {
    pub allow_origin: String,
    pub allow_methods: String,
    /// The requested headers, echoed when allowed.
    pub allow_headers: Option<String>,
    pub expose_headers: Option<String>,
    pub max_age: Option<i32>,
    pub credentials: bool,
}

pub fn evaluate(
    cfg: &CORSConfiguration,
    origin: &str,
    method: &str,
    request_headers: &[String],
) -> Option<Allowed> {
    cfg.cors_rules.iter().find_map(|r| {
        let origin_rule = r.allowed_origins.iter().find(|o| glob(o, origin))?;
        if !r.allowed_methods.iter().any(|m| m == method) {
            return None;
        }
        let allowed = r.allowed_headers.as_deref().unwrap_or_default();
        let headers_ok = request_headers.iter().all(|h| {
            allowed
                .iter()
                .any(|a| glob(&a.to_ascii_lowercase(), &h.to_ascii_lowercase()))
        });
        if !headers_ok {
            return None;
        }
        let any = origin_rule == "*";
        Some(Allowed {
            allow_origin: if any { "*".into() } else { origin.to_string() },
            allow_methods: r.allowed_methods.join(", "),
            allow_headers: (!request_headers.is_empty()).then(|| request_headers.join(", ")),
            expose_headers: r
                .expose_headers
                .as_ref()
                .filter(|e| !e.is_empty())
                .map(|e| e.join(", ")),
            max_age: r.max_age_seconds,
            credentials: !any,
        })
    })
}

pub fn apply(headers: &mut http::HeaderMap, a: &Allowed) {
    let mut set = |k: &'static str, v: &str| {
        if let Ok(v) = http::HeaderValue::from_str(v) {
            headers.insert(k, v);
        }
    };
    set("access-control-allow-origin", &a.allow_origin);
    set("access-control-allow-methods", &a.allow_methods);
    if let Some(h) = &a.allow_headers {
        set("access-control-allow-headers", h);
    }
    if let Some(e) = &a.expose_headers {
        set("access-control-expose-headers", e);
    }
    if let Some(m) = a.max_age {
        set("access-control-max-age", &m.to_string());
    }
    if a.credentials {
        set("access-control-allow-credentials", "true");
    }
    set(
        "vary",
        "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3s::dto::CORSRule;

    fn cfg() -> CORSConfiguration {
        CORSConfiguration {
            cors_rules: vec![
                CORSRule {
                    allowed_origins: vec!["https://*.example.com".into()],
                    allowed_methods: vec!["GET".into(), "PUT".into()],
                    allowed_headers: Some(vec!["x-amz-*".into(), "content-type".into()]),
                    expose_headers: Some(vec!["ETag".into()]),
                    max_age_seconds: Some(600),
                    id: None,
                },
                CORSRule {
                    allowed_origins: vec!["*".into()],
                    allowed_methods: vec!["GET".into()],
                    allowed_headers: None,
                    expose_headers: None,
                    max_age_seconds: None,
                    id: None,
                },
            ],
        }
    }

    #[test]
    fn first_matching_rule() {
        let a = evaluate(
            &cfg(),
            "https://app.example.com",
            "PUT",
            &["Content-Type".into(), "x-amz-meta-a".into()],
        )
        .unwrap();
        assert_eq!(a.allow_origin, "https://app.example.com");
        assert_eq!(a.allow_methods, "GET, PUT");
        assert!(a.credentials);
        assert_eq!(a.max_age, Some(600));
        let b = evaluate(&cfg(), "http://other.org", "GET", &[]).unwrap();
        assert_eq!(b.allow_origin, "*");
        assert!(!b.credentials);
    }

    #[test]
    fn refusals() {
        assert!(evaluate(&cfg(), "http://other.org", "PUT", &[]).is_none());
        assert!(evaluate(&cfg(), "https://app.example.com", "DELETE", &[]).is_none());
        assert!(
            evaluate(
                &cfg(),
                "https://app.example.com",
                "PUT",
                &["authorization".into()]
            )
            .is_none()
        );
    }
}
