//! The contract between the server and a service crate.

use std::future::Future;
use std::pin::Pin;

use stratus_core::{AwsError, RequestContext};

use crate::value::Value;

pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<Value, AwsError>> + Send + 'a>>;

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
}
