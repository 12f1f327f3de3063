//! The instance metadata service at `http://169.254.169.254/` (IMDSv1 and
//! IMDSv2 session tokens), and Stratus's own API at `169.254.169.254:4566`,
//! so the AWS CLI inside an instance reaches the local cloud. As on AWS the
//! address is outside the instance: it lives in the VPC's namespace, which
//! instances reach through their gateway, and a request is answered for
//! the instance whose private address it comes from. Both listen on
//! sockets opened inside that namespace and are served by this process.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::netns::{METADATA_IP, in_namespace, vpc_ns};

/// What the metadata service tells an instance.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub instance_id: String,
    pub image_id: String,
    pub instance_type: String,
    pub launch_index: i32,
    pub az: String,
    pub region: String,
    pub account: String,
    pub private_ip: String,
    pub public_ip: Option<String>,
    pub hostname: String,
    pub mac: String,
    pub security_groups: Vec<String>,
    pub user_data: Option<Vec<u8>>,
    pub tokens_required: bool,
    pub launch_ms: i64,
}

const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
const TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";

#[derive(Default)]
struct Tokens(Mutex<HashMap<String, Instant>>);

impl Tokens {
    fn issue(&self, ttl: u64) -> String {
        let t = stratus_core::ids::alnum(56);
        let mut m = self.0.lock();
        let now = Instant::now();
        m.retain(|_, until| *until > now);
        m.insert(t.clone(), now + Duration::from_secs(ttl));
        t
    }

    fn valid(&self, t: &str) -> bool {
        self.0.lock().get(t).is_some_and(|u| *u > Instant::now())
    }
}

fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert("content-type", "text/plain".parse().expect("static header"));
    r
}

/// The answer to one metadata request.
fn answer(
    meta: &Meta,
    tokens: &Tokens,
    req: &Request<hyper::body::Incoming>,
) -> Response<Full<Bytes>> {
    let path = req.uri().path();
    if req.method() == Method::PUT {
        if path != "/latest/api/token" {
            return text(StatusCode::FORBIDDEN, "Forbidden");
        }
        let ttl = req
            .headers()
            .get(TTL_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        return match ttl {
            Some(ttl @ 1..=21600) => text(StatusCode::OK, tokens.issue(ttl)),
            _ => text(StatusCode::BAD_REQUEST, "Bad Request"),
        };
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    }
    match req
        .headers()
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        Some(t) if !tokens.valid(t) => return text(StatusCode::UNAUTHORIZED, "Unauthorized"),
        None if meta.tokens_required => return text(StatusCode::UNAUTHORIZED, "Unauthorized"),
        _ => {}
    }
    match lookup(meta, path) {
        Some(body) => text(StatusCode::OK, body),
        None => text(StatusCode::NOT_FOUND, "Not Found"),
    }
}

/// The document at a metadata path, or None.
pub fn lookup(m: &Meta, path: &str) -> Option<Vec<u8>> {
    let path = path.trim_end_matches('/');
    let s = |v: &str| Some(v.as_bytes().to_vec());
    match path {
        "/latest/user-data" => m.user_data.clone(),
        "/latest/meta-data" => {
            let mut keys = vec![
                "ami-id",
                "ami-launch-index",
                "hostname",
                "instance-id",
                "instance-type",
                "local-hostname",
                "local-ipv4",
                "mac",
                "placement/",
            ];
            if m.public_ip.is_some() {
                keys.push("public-ipv4");
            }
            keys.push("security-groups");
            s(&keys.join("\n"))
        }
        "/latest/meta-data/ami-id" => s(&m.image_id),
        "/latest/meta-data/ami-launch-index" => s(&m.launch_index.to_string()),
        "/latest/meta-data/hostname" | "/latest/meta-data/local-hostname" => s(&m.hostname),
        "/latest/meta-data/instance-id" => s(&m.instance_id),
        "/latest/meta-data/instance-type" => s(&m.instance_type),
        "/latest/meta-data/local-ipv4" => s(&m.private_ip),
        "/latest/meta-data/mac" => s(&m.mac),
        "/latest/meta-data/public-ipv4" => m.public_ip.as_deref().and_then(s),
        "/latest/meta-data/security-groups" => s(&m.security_groups.join("\n")),
        "/latest/meta-data/placement" => s("availability-zone\nregion"),
        "/latest/meta-data/placement/availability-zone" => s(&m.az),
        "/latest/meta-data/placement/region" => s(&m.region),
        "/latest/dynamic/instance-identity/document" => {
            let doc = serde_json::json!({
                "accountId": m.account,
                "architecture": "x86_64",
                "availabilityZone": m.az,
                "imageId": m.image_id,
                "instanceId": m.instance_id,
                "instanceType": m.instance_type,
                "pendingTime": stratus_core::time::iso8601(m.launch_ms),
                "privateIp": m.private_ip,
                "region": m.region,
                "version": "2017-09-30",
            });
            serde_json::to_vec_pretty(&doc).ok()
        }
        _ => None,
    }
}

/// The instances of one VPC by private address.
pub type Directory = Arc<Mutex<HashMap<String, Meta>>>;

/// The listeners serving one VPC; dropping them stops them.
pub struct Endpoints {
    tasks: Vec<JoinHandle<()>>,
}

impl Endpoints {
    pub fn also(&mut self, task: JoinHandle<()>) {
        self.tasks.push(task);
    }
}

impl Drop for Endpoints {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn bind_inside(vpc: &str, port: u16) -> std::io::Result<std::net::TcpListener> {
    let addr = format!("{METADATA_IP}:{port}");
    in_namespace(&vpc_ns(vpc), move || {
        let l = std::net::TcpListener::bind(&addr)?;
        l.set_nonblocking(true)?;
        Ok(l)
    })
}

/// Starts the metadata service and the API relay (to Stratus on
/// `127.0.0.1:api_port`) in a VPC's namespace.
pub fn serve(
    rt: &tokio::runtime::Handle,
    vpc: &str,
    directory: Directory,
    api_port: u16,
) -> std::io::Result<Endpoints> {
    let _guard = rt.enter();
    let metadata = TcpListener::from_std(bind_inside(vpc, 80)?)?;
    let relay = TcpListener::from_std(bind_inside(vpc, 4566)?)?;
    let tokens = Arc::new(Tokens::default());
    let serve_meta = rt.spawn(async move {
        loop {
            let Ok((stream, from)) = metadata.accept().await else {
                continue;
            };
            let Some(meta) = directory.lock().get(&from.ip().to_string()).cloned() else {
                continue;
            };
            let tokens = tokens.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| {
                    let r = answer(&meta, &tokens, &req);
                    async move { Ok::<_, Infallible>(r) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    let serve_relay = rt.spawn(async move {
        loop {
            let Ok((mut inside, _)) = relay.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                if let Ok(mut api) = tokio::net::TcpStream::connect(("127.0.0.1", api_port)).await {
                    let _ = tokio::io::copy_bidirectional(&mut inside, &mut api).await;
                }
            });
        }
    });
    Ok(Endpoints {
        tasks: vec![serve_meta, serve_relay],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Meta {
        Meta {
            instance_id: "i-1".into(),
            private_ip: "10.0.1.5".into(),
            az: "us-east-1a".into(),
            region: "us-east-1".into(),
            user_data: Some(b"#!/bin/sh\n".to_vec()),
            ..Default::default()
        }
    }

    #[test]
    fn paths_answer_as_imds_does() {
        let m = meta();
        assert_eq!(lookup(&m, "/latest/meta-data/instance-id").unwrap(), b"i-1");
        assert_eq!(
            lookup(&m, "/latest/meta-data/local-ipv4/").unwrap(),
            b"10.0.1.5"
        );
        assert_eq!(
            lookup(&m, "/latest/meta-data/placement/availability-zone").unwrap(),
            b"us-east-1a"
        );
        assert!(lookup(&m, "/latest/meta-data/public-ipv4").is_none());
        let listing = String::from_utf8(lookup(&m, "/latest/meta-data/").unwrap()).unwrap();
        assert!(listing.contains("instance-id") && !listing.contains("public-ipv4"));
        assert_eq!(lookup(&m, "/latest/user-data").unwrap(), b"#!/bin/sh\n");
        assert!(lookup(&m, "/latest/nope").is_none());
    }

    #[test]
    fn tokens_expire() {
        let t = Tokens::default();
        let tok = t.issue(60);
        assert!(t.valid(&tok));
        assert!(!t.valid("other"));
    }
}
