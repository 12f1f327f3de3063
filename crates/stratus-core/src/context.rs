//! What a handler knows about the request it serves.

use crate::clock::Clock;
use crate::identity::Identity;

#[derive(Clone)]
pub struct RequestContext {
    pub request_id: String,
    /// The service's model name, e.g. `sts`, `ec2`.
    pub service: String,
    pub operation: String,
    pub region: String,
    /// The caller, resolved from the access key.
    pub identity: Identity,
    pub clock: Clock,
    /// Host header of the request, for URLs a service hands back.
    pub host: String,
}

impl RequestContext {
    pub fn account_id(&self) -> &str {
        &self.identity.account_id
    }
}
