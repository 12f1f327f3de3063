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
    /// The SDK marked the call as a waiter's poll (feature `B` in the
    /// `m/` metadata of its User-Agent), so a service may hold the answer
    /// until the state the waiter waits for instead of making it sleep.
    pub from_waiter: bool,
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
            from_waiter: false,
        }
    }

    pub fn account_id(&self) -> &str {
        &self.identity.account_id
    }
}

/// Whether a User-Agent names the waiter feature (`m/...,B,...`), as AWS
/// SDKs that report their features do for every waiter poll.
pub fn user_agent_marks_waiter(ua: &str) -> bool {
    ua.split_whitespace()
        .filter_map(|t| t.strip_prefix("m/"))
        .any(|features| features.split(',').any(|f| f == "B"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiter_feature_is_read_from_the_metadata_token() {
        let boto = "Boto3/1.44.5 md/Botocore#1.44.5 ua/2.1 os/linux#6.8 lang/python#3.11 m/D,B cfg/retry-mode#legacy";
        assert!(user_agent_marks_waiter(boto));
        assert!(!user_agent_marks_waiter(&boto.replace("m/D,B", "m/D")));
        // Only the metadata token counts, not a `B` anywhere else.
        assert!(!user_agent_marks_waiter("aws-cli/2.0 md/B os/linux"));
        assert!(!user_agent_marks_waiter(""));
    }
}
