//! The contract between the server and a service crate.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use stratus_core::{AwsError, Identity, RequestContext};

use crate::emit::Reply;
use crate::router::Caller;
use crate::value::Value;

pub type HandlerFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Box<dyn Reply>, AwsError>> + Send + 'a>>;

/// A service: a set of handlers over its own state.
pub trait Service: Send + Sync + 'static {
    /// The model name the service answers for (`sts`, `ec2`, ...).
    fn name(&self) -> &'static str;
    /// The operations it implements; every other modelled operation answers 501.
    fn operations(&self) -> &'static [&'static str];
    /// Runs one operation with its decoded, validated input.
    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: Value,
    ) -> HandlerFuture<'a>;
    /// Drops all state and restores each region's default resources.
    fn reset(&self) -> Result<(), AwsError>;
    /// True for services that check enum-typed members themselves (with
    /// their own errors, or accepting values the model does not list).
    fn checks_enums_itself(&self) -> bool {
        false
    }

    /// The code model validation errors carry when the service uses its own
    /// (CloudWatch Logs answers `InvalidParameterException`); `None` keeps
    /// the protocol's.
    fn validation_code(&self) -> Option<&'static str> {
        None
    }

    /// The ARNs of the resources an operation acts on, for IAM authorization,
    /// in the region the request is for. Empty means the operation names no
    /// resource and is authorized on `*`.
    fn resource_arns(
        &self,
        caller: &Identity,
        region: &str,
        operation: &str,
        input: &Value,
    ) -> Vec<String> {
        let _ = (caller, region, operation, input);
        Vec::new()
    }

    /// The resource-based policies (JSON) attached to `resources` (queue and
    /// topic policies), which IAM evaluates with the caller's own.
    fn resource_policies(&self, resources: &[String]) -> Vec<String> {
        let _ = resources;
        Vec::new()
    }
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// A streaming HTTP body, as raw handlers receive and answer them.
pub type Body = http_body_util::combinators::UnsyncBoxBody<Bytes, BoxError>;
pub type HttpFuture<'a> = Pin<Box<dyn Future<Output = http::Response<Body>> + Send + 'a>>;

/// The client's address, which the server puts in a raw request's
/// extensions (data planes match and forward it).
#[derive(Debug, Clone, Copy)]
pub struct RemoteAddr(pub std::net::SocketAddr);

/// A service that takes whole HTTP requests and streams its bodies itself:
/// S3's wire format, and data planes reached by host name (websites, load
/// balancers). The server asks each one, by the request head alone, whether
/// it claims the request, before any body is read.
pub trait HttpHandler: Send + Sync + 'static {
    /// The model name it answers for (`s3`), or the data plane's name.
    fn name(&self) -> &'static str;
    fn claims(&self, head: &http::request::Parts, caller: &Caller) -> bool;
    /// `ctx` carries the resolved caller, region, request id and clock;
    /// `service` and `operation` are left for the handler to fill in.
    fn handle<'a>(&'a self, ctx: RequestContext, req: http::Request<Body>) -> HttpFuture<'a>;
    /// Drops all state, as [`Service::reset`].
    fn reset(&self) -> Result<(), AwsError>;
}

/// Implements [`Service`] for a service crate's handler type, from the
/// `generated` module at the crate root (`cargo xtask codegen`):
///
/// ```text
/// stratus_protocol::service!(Sts, "sts", |sts| sts.sessions.reset());
/// ```
///
/// Further trait items (overrides such as `checks_enums_itself`) may follow
/// after a `;`.
#[macro_export]
macro_rules! service {
    ($ty:ty, $name:literal, |$me:ident| $reset:expr $(; $($extra:tt)*)?) => {
        impl $crate::Service for $ty {
            fn name(&self) -> &'static str {
                $name
            }

            fn operations(&self) -> &'static [&'static str] {
                generated::OPERATIONS
            }

            fn call<'a>(
                &'a self,
                ctx: &'a ::stratus_core::RequestContext,
                operation: &'a str,
                input: $crate::Value,
            ) -> $crate::HandlerFuture<'a> {
                generated::dispatch(self, ctx, operation, input)
            }

            fn reset(&self) -> ::std::result::Result<(), ::stratus_core::AwsError> {
                let $me = self;
                $reset
            }

            $($($extra)*)?
        }
    };
}
