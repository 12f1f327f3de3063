//! STS: who is calling, and temporary credentials that later requests are
//! attributed to (assumed roles, session tokens, federated users).

#[rustfmt::skip]
pub mod generated;
mod ops;
mod saml;
mod state;

use std::sync::Arc;

use stratus_core::{AwsError, Identities, Identity, RequestContext, RoleDirectory};
use stratus_protocol::Value;
use stratus_store::Store;

pub use state::Sessions;

/// The STS service: handlers over the issued-session state.
pub struct Sts {
    sessions: Sessions,
    identities: Identities,
    /// IAM's roles, when IAM runs beside STS: trust policies, session limits, MFA.
    roles: Option<Arc<dyn RoleDirectory>>,
}

impl Sts {
    /// Loads every session issued before a restart and registers its keys.
    pub fn new(store: Store, identities: Identities) -> Result<Sts, AwsError> {
        Ok(Sts {
            sessions: Sessions::load(store, identities.clone())?,
            identities,
            roles: None,
        })
    }

    /// Consults `roles` on AssumeRole and MFA codes.
    pub fn with_roles(mut self, roles: Arc<dyn RoleDirectory>) -> Sts {
        self.roles = Some(roles);
        self
    }
}

impl Sts {
    /// A session of a role for a service acting with it (EC2 for an
    /// instance profile): no caller's trust is checked, as AWS trusts its
    /// own service principals.
    pub fn service_session(
        &self,
        ctx: &RequestContext,
        role_arn: &str,
        role_unique_id: Option<String>,
        session: &str,
        seconds: i64,
    ) -> Result<generated::Credentials, AwsError> {
        ops::service_session(self, ctx, role_arn, role_unique_id, session, seconds)
    }
}

stratus_protocol::service!(Sts, "sts", |me| me.sessions.reset();
    /// Assuming a role is authorized on the role.
    fn resource_arns(
        &self,
        _caller: &Identity,
        _region: &str,
        operation: &str,
        input: &Value,
    ) -> Vec<String> {
        match (operation, input) {
            ("AssumeRole" | "AssumeRoleWithWebIdentity" | "AssumeRoleWithSAML", Value::Map(m)) => match m.get("RoleArn") {
                Some(Value::String(arn)) => vec![arn.clone()],
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }
);
