//! The data plane as the server sees it: it claims requests whose Host is
//! an application load balancer's DNS name, arriving on Stratus's port.

use std::sync::Arc;

use stratus_core::{AwsError, RequestContext};
use stratus_protocol::router::Caller;
use stratus_protocol::{Body, HttpFuture, HttpHandler, RemoteAddr};

use super::DataPlane;

/// Named after ELBv2 so that resetting it also forgets the traffic.
pub struct AlbHandler(pub Arc<DataPlane>);

fn host_name(head: &http::request::Parts) -> &str {
    let h = head
        .headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| head.uri.authority().map(|a| a.as_str()))
        .unwrap_or("");
    super::split_host(h).0
}

impl HttpHandler for AlbHandler {
    fn name(&self) -> &'static str {
        "elbv2"
    }

    fn claims(&self, head: &http::request::Parts, _caller: &Caller) -> bool {
        self.0.serves_host(host_name(head))
    }

    fn handle<'a>(&'a self, _ctx: RequestContext, req: http::Request<Body>) -> HttpFuture<'a> {
        let client = req.extensions().get::<RemoteAddr>().map(|a| a.0.ip());
        Box::pin(async move { self.0.serve(req, client, None).await })
    }

    fn reset(&self) -> Result<(), AwsError> {
        self.0.reset();
        Ok(())
    }
}
