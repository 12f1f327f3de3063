//! The protocol layer: AWS's service models, one codec per wire protocol,
//! validation from the model, SigV4, and routing a request to an operation.

pub mod codec;
pub mod embedded;
pub mod model;
pub mod router;
pub mod service;
pub mod sigv4;
pub mod validate;
pub mod value;
pub mod xml;

pub use codec::{Protocol, Request, Response};
pub use model::ServiceModel;
pub use service::{Body, BoxError, HandlerFuture, HttpFuture, HttpHandler, RemoteAddr, Service};
pub use value::{Blob, FromValue, Timestamp, ToValue, Value};
