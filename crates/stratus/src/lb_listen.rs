//! `--lb-listen`: each application load balancer's HTTP listeners also
//! answer on their own port of 127.0.0.1, followed as listeners come and go.
//! A port something else holds (or that needs privileges) is skipped and
//! logged once.

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use stratus_elbv2::dataplane::DataPlane;
use stratus_protocol::{Body, BoxError};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// How often the set of listener ports is compared with what is bound.
const FOLLOW: Duration = Duration::from_secs(1);

pub async fn run(dp: Arc<DataPlane>) {
    let mut bound: BTreeMap<u16, JoinHandle<()>> = BTreeMap::new();
    let mut skipped: BTreeSet<u16> = BTreeSet::new();
    loop {
        let want = dp.listener_ports();
        bound.retain(|port, h| {
            let keep = want.contains(port);
            if !keep {
                h.abort();
                tracing::info!(port, "load balancer listener port closed");
            }
            keep
        });
        skipped.retain(|p| want.contains(p));
        for port in want {
            if bound.contains_key(&port) {
                continue;
            }
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            match TcpListener::bind(addr).await {
                Ok(l) => {
                    tracing::info!(%addr, "load balancer listener serving");
                    skipped.remove(&port);
                    bound.insert(port, tokio::spawn(accept(dp.clone(), l, port)));
                }
                Err(e) => {
                    if skipped.insert(port) {
                        tracing::warn!(%addr, error = %e, "load balancer listener port skipped");
                    }
                }
            }
        }
        tokio::time::sleep(FOLLOW).await;
    }
}

async fn accept(dp: Arc<DataPlane>, listener: TcpListener, port: u16) {
    let builder = auto::Builder::new(TokioExecutor::new());
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            tokio::time::sleep(crate::server::ACCEPT_PAUSE).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let dp = dp.clone();
        let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
            let dp = dp.clone();
            async move {
                let req = req.map(|b| b.map_err(|e| -> BoxError { Box::new(e) }).boxed_unsync());
                let resp: hyper::Response<Body> = dp.serve(req, Some(peer.ip()), Some(port)).await;
                Ok::<_, Infallible>(resp)
            }
        });
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), svc)
            .into_owned();
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
}
