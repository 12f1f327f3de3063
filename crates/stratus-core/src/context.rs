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
    /// A request one service makes of another on the account's behalf
    /// (Auto Scaling launching instances, an alarm stopping one).
    pub fn on_behalf(
        service: &str,
        operation: &str,
        account: &str,
        region: &str,
        clock: &Clock,
    ) -> RequestContext {
        RequestContext {
            request_id: crate::ids::request_id(),
            service: service.to_string(),
            operation: operation.to_string(),
            region: region.to_string(),
            identity: Identity::root(account, ""),
            clock: clock.clone(),
            host: String::new(),
        }
    }

    pub fn account_id(&self) -> &str {
        &self.identity.account_id
    }
}
