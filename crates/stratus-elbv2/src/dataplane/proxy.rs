//! Carrying one request to one target through the [`Network`]: HTTP/1.1
//! connections kept alive and reused per target (as ELB keeps them), the
//! body streamed both ways, and the failures ELB turns into 502 and 504.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use stratus_core::network::Network;
use stratus_protocol::{Body, BoxError};

/// How long ELB waits for a target to accept a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle connections kept per target.
const MAX_IDLE: usize = 64;
/// Idle connections older than this are not reused: targets close theirs
/// after a keep-alive timeout of their own.
const MAX_IDLE_AGE: Duration = Duration::from_secs(4);

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
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Dest {
    pub vpc: Option<String>,
    pub addr: IpAddr,
    pub port: u16,
}

/// A kept connection with the time it became idle.
type Idle = (Instant, SendRequest<Body>);

/// Connections to targets that finished their last exchange.
#[derive(Default)]
pub struct Pool {
    idle: Mutex<HashMap<Dest, Vec<Idle>>>,
}

impl Pool {
    fn take(&self, dest: &Dest) -> Option<SendRequest<Body>> {
        let mut idle = self.idle.lock();
        let list = idle.get_mut(dest)?;
        while let Some((since, s)) = list.pop() {
            if since.elapsed() < MAX_IDLE_AGE && s.is_ready() && !s.is_closed() {
                return Some(s);
            }
        }
        None
    }

    /// Puts the connection back once its response has been read through.
    fn recycle(self: &Arc<Self>, dest: Dest, mut s: SendRequest<Body>) {
        let pool = self.clone();
        tokio::spawn(async move {
            if s.ready().await.is_ok() {
                let mut idle = pool.idle.lock();
                let list = idle.entry(dest).or_default();
                if list.len() < MAX_IDLE {
                    list.push((Instant::now(), s));
                }
            }
        });
    }

    pub fn clear(&self) {
        self.idle.lock().clear();
    }
}

async fn connect(network: Arc<dyn Network>, dest: &Dest) -> Result<SendRequest<Body>, Failure> {
    let Dest { vpc, addr, port } = dest.clone();
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
    let (sender, conn) = hyper::client::conn::http1::handshake::<_, Body>(TokioIo::new(stream))
        .await
        .map_err(|_| Failure::BadGateway)?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

type Exchange = Result<(http::Response<Body>, f64), Failure>;

/// Sends `req` to `dest` and waits up to `idle` for the response head.
/// Returns the response with the seconds it took.
pub async fn send(
    pool: &Arc<Pool>,
    network: Arc<dyn Network>,
    dest: Dest,
    mut req: http::Request<Body>,
    idle: Duration,
) -> Exchange {
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

    // A kept connection the target closed meanwhile hands the request back
    // unsent: it then goes on a new one.
    if let Some(mut s) = pool.take(&dest) {
        let started = Instant::now();
        match tokio::time::timeout(idle, s.try_send_request(req)).await {
            Err(_) => return Err(Failure::Timeout),
            Ok(Ok(resp)) => return Ok(finish(pool, dest, s, resp, started)),
            Ok(Err(mut e)) => match e.take_message() {
                Some(back) => req = back,
                None => return Err(Failure::BadGateway),
            },
        }
    }
    let mut s = connect(network, &dest).await?;
    let started = Instant::now();
    match tokio::time::timeout(idle, s.send_request(req)).await {
        Err(_) => Err(Failure::Timeout),
        Ok(Err(_)) => Err(Failure::BadGateway),
        Ok(Ok(resp)) => Ok(finish(pool, dest, s, resp, started)),
    }
}

fn finish(
    pool: &Arc<Pool>,
    dest: Dest,
    s: SendRequest<Body>,
    resp: http::Response<hyper::body::Incoming>,
    started: Instant,
) -> (http::Response<Body>, f64) {
    let took = started.elapsed().as_secs_f64();
    pool.recycle(dest, s);
    let resp = resp.map(|b| b.map_err(|e| -> BoxError { Box::new(e) }).boxed_unsync());
    (resp, took)
}
