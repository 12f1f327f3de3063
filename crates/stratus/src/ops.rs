//! Operational endpoints: health, reset and the test clock, plus the
//! LocalStack and moto paths that existing tooling waits on.

use bytes::Bytes;
use serde_json::json;
use stratus_core::time::iso8601;
use stratus_protocol::codec::{Request, Response};

use crate::app::App;

fn json_response(status: u16, body: serde_json::Value) -> Response {
    Response {
        status,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Bytes::from(body.to_string()),
    }
}

/// Answers operational paths; `None` for everything else.
pub fn handle(app: &App, req: &Request) -> Option<Response> {
    let path = req.path.as_str();
    let m = req.method.as_str();
    Some(match (m, path) {
        ("GET" | "HEAD", "/_stratus/health" | "/_localstack/health" | "/health") => health(app),
        ("POST", "/_stratus/reset" | "/_localstack/state/reset" | "/moto-api/reset") => {
            let only = req
                .query_pairs()
                .into_iter()
                .find(|(k, _)| k == "service")
                .map(|(_, v)| v);
            match app.reset(only.as_deref()) {
                Ok(done) => json_response(200, json!({ "reset": done })),
                Err(e) => json_response(e.status, json!({ "error": e.message })),
            }
        }
        ("GET", "/_stratus/clock") => clock(app),
        ("GET", "/_stratus/s3/buckets") => {
            let buckets: Vec<serde_json::Value> = app
                .s3
                .as_ref()
                .map(|s3| s3.buckets())
                .unwrap_or_default()
                .into_iter()
                .map(|(name, region)| json!({ "name": name, "region": region }))
                .collect();
            json_response(200, json!({ "buckets": buckets }))
        }
        ("POST", "/_stratus/clock") => {
            if !app.config.test_mode {
                return Some(json_response(
                    403,
                    json!({ "error": "moving the clock needs the server to run with --test-mode" }),
                ));
            }
            let q = req.query_pairs();
            let param = |name: &str| q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
            let secs = match param("advance").map(str::parse::<f64>) {
                None => None,
                Some(Ok(s)) if s >= 0.0 && s.is_finite() => Some(s),
                Some(_) => {
                    return Some(json_response(
                        400,
                        json!({ "error": "give ?advance=SECONDS, a non-negative number" }),
                    ));
                }
            };
            let hold = match param("hold") {
                None => None,
                Some("true") => Some(true),
                Some("false") => Some(false),
                Some(_) => {
                    return Some(json_response(
                        400,
                        json!({ "error": "give ?hold=true or ?hold=false" }),
                    ));
                }
            };
            if secs.is_none() && hold.is_none() {
                return Some(json_response(
                    400,
                    json!({ "error": "give ?advance=SECONDS and/or ?hold=true|false" }),
                ));
            }
            if let Some(h) = hold {
                app.clock.hold(h);
            }
            if let Some(s) = secs {
                app.clock.advance_millis((s * 1000.0) as i64);
            }
            clock(app)
        }
        (_, p) if p.starts_with("/_stratus/") => {
            json_response(404, json!({ "error": format!("no such endpoint {p}") }))
        }
        _ => return None,
    })
}

fn health(app: &App) -> Response {
    let services: serde_json::Map<String, serde_json::Value> = app
        .service_names()
        .into_iter()
        .map(|n| (n.to_string(), json!("running")))
        .collect();
    json_response(
        200,
        json!({
            "version": env!("CARGO_PKG_VERSION"),
            "edition": "stratus",
            "services": services,
            "state": if app.config.data_dir.is_some() { app.store.engine_name() } else { "memory" },
        }),
    )
}

fn clock(app: &App) -> Response {
    json_response(
        200,
        json!({
            "now": iso8601(app.clock.now_millis()),
            "offset_ms": app.clock.offset_millis(),
            "held": app.clock.is_held(),
        }),
    )
}
