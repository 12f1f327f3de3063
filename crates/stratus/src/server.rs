//! The listener: one port, HTTP/1.1 and h2c, graceful shutdown on SIGINT/SIGTERM.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use stratus_core::{AwsError, ids};
use stratus_protocol::codec::{self, Protocol, Request};
use stratus_protocol::router;
use stratus_protocol::{Body, BoxError, RemoteAddr};
use tokio::net::TcpListener;

use crate::app::App;
use crate::config::{Config, LogFormat};
use crate::{ops, pipeline};

/// The largest request body an API call may carry.
const MAX_BODY: usize = 64 << 20;
/// Bounds the connection's read buffer (and so the request head).
const MAX_HEADER_BUF: usize = 64 << 10;
/// The most header bytes a request may carry; AWS's front ends refuse more.
const MAX_HEADER_BYTES: usize = 32 << 10;
/// How long in-flight requests get to finish on shutdown.
const DRAIN: Duration = Duration::from_secs(2);
/// The pause after a failed accept (most often descriptors ran out), so
/// the accepting loops do not spin.
pub(crate) const ACCEPT_PAUSE: Duration = Duration::from_millis(10);

fn init_logging(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&cfg.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match cfg.log_format {
        LogFormat::Json => b.json().init(),
        LogFormat::Text => b.init(),
    }
}

pub fn run(cfg: Config) -> ExitCode {
    init_logging(&cfg);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("stratus: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(serve(cfg))
}

async fn serve(cfg: Config) -> ExitCode {
    let addr = SocketAddr::new(cfg.host, cfg.port);
    // Bind first: a client polling the port gets an answer as soon as possible.
    let listener = match TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Port 0 asks for any free port: instances need the real one.
    let mut cfg = cfg;
    if let Ok(bound) = listener.local_addr() {
        cfg.port = bound.port();
    }
    let app = match App::new(cfg.clone()) {
        Ok(a) => Arc::new(a),
        Err(e) => {
            tracing::error!("cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    if !cfg.host.is_loopback() {
        tracing::warn!("listening on {addr}: every service is reachable from the network");
    }
    let shutdown = shutdown_signal();
    tracing::info!(
        %addr,
        state = %cfg.data_dir.as_ref().map_or("memory".to_string(), |d| d.display().to_string()),
        fsync = ?cfg.fsync,
        "Stratus {} ready",
        env!("CARGO_PKG_VERSION")
    );
    if cfg.lb_listen
        && let Some(dp) = &app.load_balancers
    {
        tokio::spawn(crate::lb_listen::run(dp.clone()));
    }
    // Warm the routing index off the request path.
    tokio::task::spawn_blocking(|| {
        let _ = stratus_protocol::model::index();
    });

    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .max_buf_size(MAX_HEADER_BUF)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            conn = listener.accept() => {
                let Ok((stream, peer)) = conn else {
                    // Most often descriptors ran out: pause rather than spin.
                    tokio::time::sleep(ACCEPT_PAUSE).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                let svc = service_fn(move |mut req: hyper::Request<Incoming>| {
                    let app = app.clone();
                    req.extensions_mut().insert(RemoteAddr(peer));
                    async move { Ok::<_, Infallible>(dispatch(&app, req).await) }
                });
                let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), svc);
                let conn = graceful.watch(conn.into_owned());
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            _ = &mut shutdown => break,
        }
    }
    tracing::info!("shutting down");
    drop(listener);
    let _ = tokio::time::timeout(DRAIN, graceful.shutdown()).await;
    let app2 = app.clone();
    let _ = tokio::task::spawn_blocking(move || app2.shutdown()).await;
    ExitCode::SUCCESS
}

/// Resolves on SIGINT or SIGTERM. Both are taken over when this is called,
/// not when first polled (as an async fn would), so a signal that comes as
/// soon as the server answers still shuts it down cleanly.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut i), Ok(mut t)) => {
                    tokio::select! {
                        _ = i.recv() => {}
                        _ = t.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn dispatch(app: &App, req: hyper::Request<Incoming>) -> hyper::Response<Body> {
    let (parts, body) = req.into_parts();
    let header_bytes: usize = parts
        .headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if header_bytes > MAX_HEADER_BYTES {
        let err = AwsError::new(
            431,
            "RequestHeaderSectionTooLarge",
            "Your request header section exceeds the maximum allowed size.",
        );
        return to_hyper(codec::encode_error(
            Protocol::RestJson,
            None,
            &err,
            &ids::request_id(),
        ));
    }
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("").to_string();
    // Services that stream their own bodies (S3) and data planes claim
    // requests by their head, before anything is read.
    let caller = router::caller_from(&parts.headers, &query);
    if let Some(h) = app
        .http_handlers()
        .iter()
        .find(|h| h.claims(&parts, &caller))
    {
        let host = parts
            .headers
            .get(http::header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        return match pipeline::raw_context(app, &caller, host) {
            Ok(ctx) => {
                let body: Body = body.map_err(|e| -> BoxError { Box::new(e) }).boxed_unsync();
                h.handle(ctx, hyper::Request::from_parts(parts, body)).await
            }
            Err(e) => to_hyper(codec::encode_error(
                Protocol::RestXml,
                None,
                &e,
                &ids::request_id(),
            )),
        };
    }
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            let too_large = e
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            let err = if too_large {
                AwsError::new(
                    413,
                    "RequestEntityTooLarge",
                    "The request body is too large",
                )
            } else {
                AwsError::bad_request(
                    "IncompleteBody",
                    "The request body ended before its declared length",
                )
            };
            let resp = codec::encode_error(Protocol::RestJson, None, &err, &ids::request_id());
            return to_hyper(resp);
        }
    };
    let mut headers = parts.headers;
    if !headers.contains_key(http::header::HOST) {
        if let Some(a) = parts.uri.authority() {
            if let Ok(v) = http::HeaderValue::from_str(a.as_str()) {
                headers.insert(http::header::HOST, v);
            }
        }
    }
    let req = Request {
        method: parts.method.as_str().to_string(),
        path,
        query,
        headers,
        body,
    };
    if let Some(resp) = ops::handle(app, &req) {
        return to_hyper(resp);
    }
    to_hyper(pipeline::handle(app, req).await)
}

fn full(b: Bytes) -> Body {
    Full::new(b).map_err(|never| match never {}).boxed_unsync()
}

fn to_hyper(resp: codec::Response) -> hyper::Response<Body> {
    let mut b = hyper::Response::builder().status(resp.status);
    for (k, v) in &resp.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    b.body(full(resp.body)).unwrap_or_else(|_| {
        let mut r = hyper::Response::new(full(Bytes::from_static(b"invalid response header")));
        *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}
