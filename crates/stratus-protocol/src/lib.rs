//! The protocol layer: AWS's service models, one codec per wire protocol,
//! validation from the model, SigV4, and routing a request to an operation.
//!
//! Outputs have two paths. The general one turns a handler's typed output
//! into a [`Value`] and walks it with the model, looking shapes and members
//! up by name; it serves every protocol. Query and ec2 responses, where
//! large answers are common (DescribeInstances of a thousand instances is
//! megabytes of XML), take a fast one instead: the output walks itself
//! ([`emit`]) into an emitter following a plan compiled once per output
//! shape ([`codec::xmlplan`]), writing into one buffer sized from the last
//! answer. The plan holds what the general path would look up (element
//! names, namespaces, flattening, timestamp formats) by member index, so
//! the bytes are the same; its tests compare both paths on every output of
//! those services. The generated code only announces members; what they
//! look like on the wire stays here.

pub mod codec;
pub mod embedded;
pub mod emit;
pub mod model;
pub mod router;
pub mod service;
pub mod sigv4;
pub mod validate;
pub mod value;
pub mod xml;

pub use codec::{Protocol, Request, Response};
pub use emit::{Emit, Emitter, Reply};
pub use model::ServiceModel;
pub use service::{Body, BoxError, HandlerFuture, HttpFuture, HttpHandler, RemoteAddr, Service};
pub use value::{Blob, FromValue, Timestamp, ToValue, Value};
