//! IAM: users, groups, roles, policies, access keys and MFA, and the policy
//! engine that enforces them on every service when asked to.

mod authz;
#[rustfmt::skip]
mod generated;
mod managed;
mod ops;
mod png;
pub mod policy;
mod qr;
mod resources;
mod state;
mod totp;

use stratus_core::{AwsError, Identities, Identity, IdentityKind};
use stratus_protocol::{HandlerFuture, Service, Value};
use stratus_store::Store;

use state::State;

/// The IAM service; also the server's authorizer and STS's role directory.
pub struct Iam {
    state: State,
    identities: Identities,
    enforce: bool,
}

impl Iam {
    /// Loads every account's IAM state and registers its users' access keys.
    pub fn new(store: Store, identities: Identities, enforce: bool) -> Result<Iam, AwsError> {
        let iam = Iam {
            state: State::load(store)?,
            identities,
            enforce,
        };
        for (account, a) in iam.state.accounts() {
            for u in a.users.values() {
                iam.register_keys(&account, u);
            }
            for (key, arn) in &a.retired_keys {
                iam.retire_key(&account, key, arn);
            }
        }
        Ok(iam)
    }

    /// Publishes a user's access keys (all of them: disabled ones are refused
    /// by the authorizer, which can then say why).
    fn register_keys(&self, account: &str, u: &state::User) {
        for k in &u.access_keys {
            self.identities.register(Identity {
                account_id: account.to_string(),
                arn: u.arn.clone(),
                user_id: u.id.clone(),
                kind: IdentityKind::User,
                access_key: k.id.clone(),
                secret_key: Some(k.secret.clone()),
                session_token: None,
                expires_ms: None,
                role_arn: None,
                source_identity: None,
            });
        }
    }
}

impl Iam {
    /// Keeps a deleted key known as its former user's, with no usable
    /// secret; the authorizer refuses it (`InvalidClientTokenId`).
    fn retire_key(&self, account: &str, key: &str, user_arn: &str) {
        self.identities.register(Identity {
            account_id: account.to_string(),
            arn: user_arn.to_string(),
            user_id: String::new(),
            kind: IdentityKind::User,
            access_key: key.to_string(),
            secret_key: Some(String::new()),
            session_token: None,
            expires_ms: None,
            role_arn: None,
            source_identity: None,
        });
    }
}

impl Iam {
    /// The role of an instance profile named by ARN or name: its ARN and
    /// unique id.
    pub fn profile_role(&self, account: &str, profile: &str) -> Option<(String, String)> {
        let name = profile.rsplit('/').next().unwrap_or(profile);
        self.state.read(account, |a| {
            let p = a.profile(name).ok()?;
            let role = a.role(p.roles.first()?).ok()?;
            Some((role.arn.clone(), role.id.clone()))
        })
    }
}

impl Service for Iam {
    fn name(&self) -> &'static str {
        "iam"
    }

    fn operations(&self) -> &'static [&'static str] {
        generated::OPERATIONS
    }

    fn call<'a>(
        &'a self,
        ctx: &'a stratus_core::RequestContext,
        operation: &'a str,
        input: Value,
    ) -> HandlerFuture<'a> {
        generated::dispatch(self, ctx, operation, input)
    }

    fn reset(&self) -> Result<(), AwsError> {
        self.state.reset()?;
        // Long-term user keys are IAM's; session keys belong to STS.
        self.identities
            .retain(|id| !(id.kind == IdentityKind::User && id.expires_ms.is_none()));
        Ok(())
    }

    fn resource_arns(
        &self,
        caller: &Identity,
        _region: &str,
        operation: &str,
        input: &Value,
    ) -> Vec<String> {
        resources::for_operation(self, caller, operation, input)
    }
}
