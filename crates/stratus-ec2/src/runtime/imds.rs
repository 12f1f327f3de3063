//! The instance metadata service at `http://169.254.169.254/` (IMDSv1 and
//! IMDSv2 session tokens), and Stratus's own API at `169.254.169.254:4566`,
//! so the AWS CLI inside an instance reaches the local cloud. As on AWS the
//! address is outside the instance: it lives in the VPC's namespace, which
//! instances reach through their gateway, and a request is answered for
//! the instance whose private address it comes from. Both listen on
//! sockets opened inside that namespace and are served by this process.
//! Without root (see `rootless`) each instance reaches both through Unix
//! sockets of its own, so a request is answered for the socket's instance.

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
use stratus_core::{InstanceRoles, RoleSession};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, UnixListener};
use tokio::task::JoinHandle;

use super::netns::{METADATA_IP, in_namespace, vpc_ns};

/// The pause after a failed accept (most often descriptors ran out), so
/// the accepting loops do not spin.
const ACCEPT_PAUSE: Duration = Duration::from_millis(10);

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
    /// The instance profile's ARN and id, when it has one.
    pub profile: Option<(String, String)>,
}

/// Role credentials by instance, renewed before they expire.
pub struct Credentials {
    roles: Option<Arc<dyn InstanceRoles>>,
    cache: Mutex<HashMap<String, RoleSession>>,
}

impl Credentials {
    pub fn new(roles: Option<Arc<dyn InstanceRoles>>) -> Self {
        Credentials {
            roles,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn session(&self, m: &Meta, now_ms: i64) -> Option<RoleSession> {
        let (arn, _) = m.profile.as_ref()?;
        if let Some(s) = self.cache.lock().get(&m.instance_id)
            && s.expires_ms - now_ms > 15 * 60 * 1000
        {
            return Some(s.clone());
        }
        let fresh = self
            .roles
            .as_ref()?
            .session(&m.account, &m.region, arn, &m.instance_id)?;
        self.cache
            .lock()
            .insert(m.instance_id.clone(), fresh.clone());
        Some(fresh)
    }
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
    creds: &Credentials,
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
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let found = match iam(meta, path, || creds.session(meta, now_ms), now_ms) {
        Some(found) => found,
        None => lookup(meta, path),
    };
    match found {
        Some(body) => text(StatusCode::OK, body),
        None => text(StatusCode::NOT_FOUND, "Not Found"),
    }
}

/// The `iam/` part of the metadata, for instances with a profile: Some
/// answer (possibly not found) for its paths, None for other paths.
fn iam(
    m: &Meta,
    path: &str,
    session: impl FnOnce() -> Option<RoleSession>,
    now_ms: i64,
) -> Option<Option<Vec<u8>>> {
    let rest = path
        .trim_end_matches('/')
        .strip_prefix("/latest/meta-data/iam")?;
    let Some((arn, id)) = &m.profile else {
        return Some(None);
    };
    let updated = stratus_core::time::iso8601(now_ms);
    let body = match rest {
        "" => Some("info\nsecurity-credentials/".to_string()),
        "/info" => Some(
            serde_json::json!({
                "Code": "Success",
                "LastUpdated": updated,
                "InstanceProfileArn": arn,
                "InstanceProfileId": id,
            })
            .to_string(),
        ),
        "/security-credentials" => session().map(|s| s.role_name),
        r => r
            .strip_prefix("/security-credentials/")
            .and_then(|role| session().filter(|s| s.role_name == role))
            .map(|s| {
                serde_json::to_string_pretty(&serde_json::json!({
                    "Code": "Success",
                    "LastUpdated": updated,
                    "Type": "AWS-HMAC",
                    "AccessKeyId": s.access_key_id,
                    "SecretAccessKey": s.secret_access_key,
                    "Token": s.session_token,
                    "Expiration": stratus_core::time::iso8601(s.expires_ms),
                }))
                .unwrap_or_default()
            }),
    };
    Some(body.map(String::into_bytes))
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
            if m.profile.is_some() {
                keys.insert(3, "iam/");
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
    creds: Arc<Credentials>,
    api_port: u16,
) -> std::io::Result<Endpoints> {
    let _guard = rt.enter();
    let metadata = TcpListener::from_std(bind_inside(vpc, 80)?)?;
    let relay = TcpListener::from_std(bind_inside(vpc, 4566)?)?;
    let tokens = Arc::new(Tokens::default());
    let serve_meta = rt.spawn(async move {
        loop {
            let Ok((stream, from)) = metadata.accept().await else {
                tokio::time::sleep(ACCEPT_PAUSE).await;
                continue;
            };
            let Some(meta) = directory.lock().get(&from.ip().to_string()).cloned() else {
                continue;
            };
            tokio::spawn(metadata_connection(
                stream,
                meta,
                tokens.clone(),
                creds.clone(),
            ));
        }
    });
    let serve_relay = rt.spawn(async move {
        loop {
            let Ok((inside, _)) = relay.accept().await else {
                tokio::time::sleep(ACCEPT_PAUSE).await;
                continue;
            };
            tokio::spawn(api_connection(inside, api_port));
        }
    });
    Ok(Endpoints {
        tasks: vec![serve_meta, serve_relay],
    })
}

async fn metadata_connection<S>(stream: S, meta: Meta, tokens: Arc<Tokens>, creds: Arc<Credentials>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let svc = service_fn(move |req| {
        let r = answer(&meta, &tokens, &creds, &req);
        async move { Ok::<_, Infallible>(r) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), svc)
        .await;
}

async fn api_connection<S>(mut inside: S, api_port: u16)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    if let Ok(mut api) = tokio::net::TcpStream::connect(("127.0.0.1", api_port)).await {
        let _ = tokio::io::copy_bidirectional(&mut inside, &mut api).await;
    }
}

/// Serves one instance's metadata and API relay on the Unix sockets at
/// `metadata` and `api` (the reduced runtime's).
pub fn serve_unix(
    rt: &tokio::runtime::Handle,
    paths: (&std::path::Path, &std::path::Path),
    meta: Meta,
    creds: Arc<Credentials>,
    api_port: u16,
) -> std::io::Result<Endpoints> {
    let _guard = rt.enter();
    for p in [paths.0, paths.1] {
        let _ = std::fs::remove_file(p);
    }
    let metadata = UnixListener::bind(paths.0)?;
    let relay = UnixListener::bind(paths.1)?;
    let tokens = Arc::new(Tokens::default());
    let serve_meta = rt.spawn(async move {
        loop {
            let Ok((stream, _)) = metadata.accept().await else {
                tokio::time::sleep(ACCEPT_PAUSE).await;
                continue;
            };
            tokio::spawn(metadata_connection(
                stream,
                meta.clone(),
                tokens.clone(),
                creds.clone(),
            ));
        }
    });
    let serve_relay = rt.spawn(async move {
        loop {
            let Ok((inside, _)) = relay.accept().await else {
                tokio::time::sleep(ACCEPT_PAUSE).await;
                continue;
            };
            tokio::spawn(api_connection(inside, api_port));
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
    fn role_credentials_appear_under_iam_for_profiles_only() {
        let mut m = meta();
        let session = || {
            Some(RoleSession {
                role_name: "web".into(),
                access_key_id: "ASIA1".into(),
                secret_access_key: "s".into(),
                session_token: "t".into(),
                expires_ms: 0,
            })
        };
        assert_eq!(
            iam(&m, "/latest/meta-data/iam/info", session, 0),
            Some(None)
        );
        assert_eq!(iam(&m, "/latest/meta-data/instance-id", session, 0), None);
        m.profile = Some(("arn:aws:iam::1:instance-profile/web".into(), "AIPA1".into()));
        assert_eq!(
            iam(
                &m,
                "/latest/meta-data/iam/security-credentials/",
                session,
                0
            ),
            Some(Some(b"web".to_vec()))
        );
        let doc = iam(
            &m,
            "/latest/meta-data/iam/security-credentials/web",
            session,
            0,
        )
        .unwrap()
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&doc).unwrap();
        assert_eq!(
            (v["AccessKeyId"].as_str(), v["Token"].as_str()),
            (Some("ASIA1"), Some("t"))
        );
        assert_eq!(
            iam(
                &m,
                "/latest/meta-data/iam/security-credentials/other",
                session,
                0
            ),
            Some(None)
        );
        assert!(
            String::from_utf8(lookup(&m, "/latest/meta-data").unwrap())
                .unwrap()
                .contains("iam/")
        );
    }

    #[test]
    fn tokens_expire() {
        let t = Tokens::default();
        let tok = t.issue(60);
        assert!(t.valid(&tok));
        assert!(!t.valid("other"));
    }
}
