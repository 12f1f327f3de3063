//! Carrying one request to one target through the [`Network`]: a fresh
//! HTTP/1.1 connection per request, the body streamed both ways, and the
//! failures ELB turns into 502 and 504.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use stratus_core::network::Network;
use stratus_protocol::{Body, BoxError};

/// How long ELB waits for a target to accept a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Refused, reset, or not an HTTP answer: 502.
    BadGateway,
    /// No connection or no answer in time: 504.
    Timeout,
}

impl Failure {
    pub fn status(self) -> u16 {
        match self {
            Failure::BadGateway => 502,
            Failure::Timeout => 504,
        }
    }
}

/// Where a request goes.
#[derive(Debug, Clone)]
pub struct Dest {
    pub vpc: Option<String>,
    pub addr: IpAddr,
    pub port: u16,
}

/// Sends `req` to `dest` and waits up to `idle` for the response head.
/// Returns the response with the seconds it took.
pub async fn send(
    network: Arc<dyn Network>,
    dest: Dest,
    mut req: http::Request<Body>,
    idle: Duration,
) -> Result<(http::Response<Body>, f64), Failure> {
    let Dest { vpc, addr, port } = dest;
    let dialled = tokio::task::spawn_blocking(move || {
        network.dial(vpc.as_deref(), addr, port, CONNECT_TIMEOUT)
    })
    .await
    .map_err(|_| Failure::BadGateway)?;
    let stream = dialled.map_err(|e| match e.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => Failure::Timeout,
        _ => Failure::BadGateway,
    })?;
    let _ = stream.set_nodelay(true);
    stream
        .set_nonblocking(true)
        .map_err(|_| Failure::BadGateway)?;
    let stream = tokio::net::TcpStream::from_std(stream).map_err(|_| Failure::BadGateway)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Body>(TokioIo::new(stream))
        .await
        .map_err(|_| Failure::BadGateway)?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    // Targets get origin-form request targets whatever the client sent.
    let origin = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    if let Ok(u) = origin.parse() {
        *req.uri_mut() = u;
    }
    *req.version_mut() = http::Version::HTTP_11;
    let started = Instant::now();
    let resp = match tokio::time::timeout(idle, sender.send_request(req)).await {
        Err(_) => return Err(Failure::Timeout),
        Ok(Err(_)) => return Err(Failure::BadGateway),
        Ok(Ok(r)) => r,
    };
    let took = started.elapsed().as_secs_f64();
    let resp = resp.map(|b| b.map_err(|e| -> BoxError { Box::new(e) }).boxed_unsync());
    Ok((resp, took))
}
