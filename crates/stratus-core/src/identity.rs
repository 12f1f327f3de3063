//! Who is calling: access keys resolved to an account and a principal.
//!
//! Services that issue keys (IAM users, STS sessions) register them here so
//! that later requests signed with them are attributed to the right principal.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;

use crate::ids::is_account_id;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityKind {
    Root,
    User,
    AssumedRole,
    FederatedUser,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub account_id: String,
    pub arn: String,
    /// The `UserId` GetCallerIdentity reports (`AIDA...`, `AROA...:session`, or the account id for root).
    pub user_id: String,
    pub kind: IdentityKind,
    pub access_key: String,
    /// Known only for keys Stratus issued; signatures can then be verified.
    pub secret_key: Option<String>,
    pub session_token: Option<String>,
    /// Epoch milliseconds after which temporary credentials stop working.
    pub expires_ms: Option<i64>,
    /// For assumed roles: the role's ARN (`arn:aws:iam::ACCT:role/NAME`).
    pub role_arn: Option<String>,
    pub source_identity: Option<String>,
}

impl Identity {
    pub fn root(account_id: &str, access_key: &str) -> Identity {
        Identity {
            account_id: account_id.to_string(),
            arn: format!("arn:aws:iam::{account_id}:root"),
            user_id: account_id.to_string(),
            kind: IdentityKind::Root,
            access_key: access_key.to_string(),
            secret_key: None,
            session_token: None,
            expires_ms: None,
            role_arn: None,
            source_identity: None,
        }
    }
}

/// The registry of access keys Stratus knows, shared by every service.
#[derive(Clone)]
pub struct Identities {
    default_account: Arc<str>,
    keys: Arc<RwLock<HashMap<String, Identity>>>,
}

impl Identities {
    pub fn new(default_account: &str) -> Self {
        Identities {
            default_account: default_account.into(),
            keys: Arc::default(),
        }
    }

    pub fn default_account(&self) -> &str {
        &self.default_account
    }

    /// The identity an access key stands for: a key Stratus issued, else the
    /// root of the account the key names (a 12-digit key id), else the root of
    /// the default account.
    pub fn resolve(&self, access_key: &str) -> Identity {
        if let Some(id) = self.keys.read().get(access_key) {
            return id.clone();
        }
        let account = if is_account_id(access_key) {
            access_key
        } else {
            &self.default_account
        };
        Identity::root(account, access_key)
    }

    /// The identity of a key Stratus issued, if it did.
    pub fn issued(&self, access_key: &str) -> Option<Identity> {
        self.keys.read().get(access_key).cloned()
    }

    pub fn register(&self, identity: Identity) {
        self.keys
            .write()
            .insert(identity.access_key.clone(), identity);
    }

    pub fn revoke(&self, access_key: &str) {
        self.keys.write().remove(access_key);
    }

    /// Forgets every key whose owner matches `pred` (used by resets).
    pub fn retain(&self, mut keep: impl FnMut(&Identity) -> bool) {
        self.keys.write().retain(|_, v| keep(v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_digit_keys_are_accounts() {
        let ids = Identities::new("000000000000");
        assert_eq!(ids.resolve("111122223333").account_id, "111122223333");
        assert_eq!(
            ids.resolve("AKIAIOSFODNN7EXAMPLE").account_id,
            "000000000000"
        );
        assert_eq!(ids.resolve("test").arn, "arn:aws:iam::000000000000:root");
    }

    #[test]
    fn issued_keys_win() {
        let ids = Identities::new("000000000000");
        let mut id = Identity::root("123456789012", "ASIAEXAMPLE");
        id.arn = "arn:aws:sts::123456789012:assumed-role/r/s".into();
        ids.register(id.clone());
        assert_eq!(ids.resolve("ASIAEXAMPLE"), id);
        ids.revoke("ASIAEXAMPLE");
        assert_eq!(ids.resolve("ASIAEXAMPLE").account_id, "000000000000");
    }
}
