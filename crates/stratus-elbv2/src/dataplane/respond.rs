//! Answers the load balancer gives itself: redirects (with the `#{...}`
//! placeholders expanded from the request), fixed responses, and the
//! HTML error pages ELB sends when it cannot reach a target.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use stratus_protocol::Body;

use crate::state::{FixedResponseRec, RedirectRec};

/// What the placeholders of a redirect read from the request.
#[derive(Debug, Clone)]
pub struct Origin<'a> {
    /// The listener's protocol (`HTTP`, `HTTPS`).
    pub protocol: &'a str,
    pub host: &'a str,
    pub port: u16,
    /// The path with its leading `/`.
    pub path: &'a str,
    /// The raw query without `?`.
    pub query: &'a str,
}

fn expand(template: &str, o: &Origin) -> String {
    template
        .replace("#{protocol}", &o.protocol.to_ascii_lowercase())
        .replace("#{host}", o.host)
        .replace("#{port}", &o.port.to_string())
        .replace("#{path}", o.path.strip_prefix('/').unwrap_or(o.path))
        .replace("#{query}", o.query)
}

/// The Location a redirect answers with, and its status. AWS always names
/// the port and drops an empty query.
pub fn redirect_location(r: &RedirectRec, o: &Origin) -> (u16, String) {
    let protocol = expand(&r.protocol, o).to_ascii_lowercase();
    let host = expand(&r.host, o);
    let port = expand(&r.port, o);
    let mut path = expand(&r.path, o);
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    let query = expand(&r.query, o);
    let status = if r.status_code == "HTTP_301" {
        301
    } else {
        302
    };
    let mut loc = format!("{protocol}://{host}:{port}{path}");
    if !query.is_empty() {
        loc.push('?');
        loc.push_str(&query);
    }
    (status, loc)
}

pub fn body(b: impl Into<Bytes>) -> Body {
    Full::new(b.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

fn response(status: u16, content_type: &str, payload: impl Into<Bytes>) -> http::Response<Body> {
    let mut resp = http::Response::new(body(payload));
    *resp.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = http::HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    resp.headers_mut().insert(
        http::header::SERVER,
        http::HeaderValue::from_static("awselb/2.0"),
    );
    resp
}

pub fn redirect(r: &RedirectRec, o: &Origin) -> http::Response<Body> {
    let (status, loc) = redirect_location(r, o);
    let mut resp = response(status, "text/html", error_html(status));
    if let Ok(v) = http::HeaderValue::from_str(&loc) {
        resp.headers_mut().insert(http::header::LOCATION, v);
    }
    resp
}

pub fn fixed(f: &FixedResponseRec) -> http::Response<Body> {
    let status = f.status_code.parse().unwrap_or(200);
    let ctype = f.content_type.as_deref().unwrap_or("text/plain");
    response(
        status,
        &format!("{ctype}; charset=utf-8"),
        f.message_body.clone().unwrap_or_default(),
    )
}

fn reason(status: u16) -> &'static str {
    // ELB's pages use nginx's wording for these.
    match status {
        503 => return "Service Temporarily Unavailable",
        504 => return "Gateway Time-out",
        _ => {}
    }
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
}

fn error_html(status: u16) -> String {
    let title = format!("{status} {}", reason(status));
    format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    )
}

/// An error the load balancer itself answers with (502, 503, 504 ...).
pub fn error(status: u16) -> http::Response<Body> {
    response(status, "text/html", error_html(status))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin<'static> {
        Origin {
            protocol: "HTTP",
            host: "web.example.com",
            port: 80,
            path: "/a/b",
            query: "x=1",
        }
    }

    fn rec(protocol: &str, port: &str, host: &str, path: &str, query: &str) -> RedirectRec {
        RedirectRec {
            protocol: protocol.into(),
            port: port.into(),
            host: host.into(),
            path: path.into(),
            query: query.into(),
            status_code: "HTTP_301".into(),
        }
    }

    #[test]
    fn defaults_keep_the_request() {
        let r = rec("#{protocol}", "#{port}", "#{host}", "/#{path}", "#{query}");
        assert_eq!(
            redirect_location(&r, &origin()),
            (301, "http://web.example.com:80/a/b?x=1".into())
        );
    }

    #[test]
    fn placeholders_compose_with_fixed_parts() {
        let mut r = rec(
            "HTTPS",
            "443",
            "new.#{host}",
            "/v2/#{path}/index",
            "#{query}&y=2",
        );
        r.status_code = "HTTP_302".into();
        assert_eq!(
            redirect_location(&r, &origin()),
            (
                302,
                "https://new.web.example.com:443/v2/a/b/index?x=1&y=2".into()
            )
        );
        let o = Origin {
            query: "",
            ..origin()
        };
        let r = rec("HTTPS", "443", "#{host}", "/#{path}", "#{query}");
        assert_eq!(
            redirect_location(&r, &o).1,
            "https://web.example.com:443/a/b"
        );
    }

    #[test]
    fn error_pages_are_elb_shaped() {
        let page = error_html(502);
        assert!(page.contains("<title>502 Bad Gateway</title>"));
        assert!(error_html(504).contains("<h1>504 Gateway Time-out</h1>"));
    }
}
