//! Who is calling: access keys resolved to an account and a principal.
//!
//! Services that issue keys (IAM users, STS sessions) register them here so
//! that later requests signed with them are attributed to the right principal.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;

use crate::ids::is_account_id;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

/// What many keys share: the principal a key stands for. Sessions of the
/// same role and session name (a test suite assuming one role over and over)
/// share one copy.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Principal {
    account_id: Box<str>,
    arn: Box<str>,
    user_id: Box<str>,
    kind: IdentityKind,
    role_arn: Option<Box<str>>,
    source_identity: Option<Box<str>>,
}

/// A string kept inline when it fits in `N` bytes (access key ids are 20,
/// secrets 40): a server may hold hundreds of thousands of issued keys, and a
/// heap allocation each would double their cost.
#[derive(Clone)]
enum Compact<const N: usize> {
    Inline { len: u8, buf: [u8; N] },
    Heap(Box<str>),
}

impl<const N: usize> Compact<N> {
    fn new(s: &str) -> Self {
        if s.len() <= N && N <= u8::MAX as usize {
            let mut buf = [0u8; N];
            buf[..s.len()].copy_from_slice(s.as_bytes());
            Compact::Inline {
                len: s.len() as u8,
                buf,
            }
        } else {
            Compact::Heap(s.into())
        }
    }

    fn as_str(&self) -> &str {
        match self {
            // Built from a &str, so the bytes are UTF-8 up to `len`.
            Compact::Inline { len, buf } => {
                std::str::from_utf8(&buf[..*len as usize]).unwrap_or_default()
            }
            Compact::Heap(s) => s,
        }
    }
}

// Hash and equality must agree with `[u8]`'s, as map lookups borrow as bytes.
impl<const N: usize> PartialEq for Compact<N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl<const N: usize> Eq for Compact<N> {}

impl<const N: usize> std::hash::Hash for Compact<N> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.as_str().as_bytes().hash(h)
    }
}

impl<const N: usize> std::borrow::Borrow<[u8]> for Compact<N> {
    fn borrow(&self) -> &[u8] {
        self.as_str().as_bytes()
    }
}

type KeyId = Compact<24>;

/// What is particular to one key.
struct Key {
    principal: Arc<Principal>,
    secret_key: Option<Compact<40>>,
    session_token: Option<Box<str>>,
    expires_ms: Option<i64>,
}

#[derive(Default)]
struct Registry {
    keys: HashMap<KeyId, Key>,
    principals: HashMap<Arc<Principal>, ()>,
}

impl Registry {
    fn intern(&mut self, p: Principal) -> Arc<Principal> {
        if let Some((existing, _)) = self.principals.get_key_value(&p) {
            return existing.clone();
        }
        let a = Arc::new(p);
        self.principals.insert(a.clone(), ());
        a
    }

    /// Forgets principals no key refers to any more.
    fn prune(&mut self) {
        self.principals.retain(|p, _| Arc::strong_count(p) > 1);
    }
}

fn to_identity(access_key: &str, k: &Key) -> Identity {
    let p = &k.principal;
    Identity {
        account_id: p.account_id.to_string(),
        arn: p.arn.to_string(),
        user_id: p.user_id.to_string(),
        kind: p.kind,
        access_key: access_key.to_string(),
        secret_key: k.secret_key.as_ref().map(|s| s.as_str().to_string()),
        session_token: k.session_token.as_deref().map(str::to_string),
        expires_ms: k.expires_ms,
        role_arn: p.role_arn.as_deref().map(str::to_string),
        source_identity: p.source_identity.as_deref().map(str::to_string),
    }
}

/// The registry of access keys Stratus knows, shared by every service.
#[derive(Clone)]
pub struct Identities {
    default_account: Arc<str>,
    inner: Arc<RwLock<Registry>>,
}

impl Identities {
    pub fn new(default_account: &str) -> Self {
        Identities {
            default_account: default_account.into(),
            inner: Arc::default(),
        }
    }

    pub fn default_account(&self) -> &str {
        &self.default_account
    }

    /// The identity an access key stands for: a key Stratus issued, else the
    /// root of the account the key names (a 12-digit key id), else the root of
    /// the default account.
    pub fn resolve(&self, access_key: &str) -> Identity {
        if let Some(id) = self.issued(access_key) {
            return id;
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
        let r = self.inner.read();
        r.keys
            .get(access_key.as_bytes())
            .map(|k| to_identity(access_key, k))
    }

    pub fn register(&self, identity: Identity) {
        let mut r = self.inner.write();
        let principal = r.intern(Principal {
            account_id: identity.account_id.into(),
            arn: identity.arn.into(),
            user_id: identity.user_id.into(),
            kind: identity.kind,
            role_arn: identity.role_arn.map(Into::into),
            source_identity: identity.source_identity.map(Into::into),
        });
        let key = Key {
            principal,
            secret_key: identity.secret_key.as_deref().map(Compact::new),
            session_token: identity.session_token.map(Into::into),
            expires_ms: identity.expires_ms,
        };
        r.keys.insert(KeyId::new(&identity.access_key), key);
    }

    pub fn revoke(&self, access_key: &str) {
        let mut r = self.inner.write();
        if r.keys.remove(access_key.as_bytes()).is_some() {
            r.prune();
        }
    }

    /// Forgets every key whose identity fails `keep` (used by resets).
    pub fn retain(&self, mut keep: impl FnMut(&Identity) -> bool) {
        let mut r = self.inner.write();
        r.keys.retain(|k, v| keep(&to_identity(k.as_str(), v)));
        r.keys.shrink_to_fit();
        r.prune();
    }

    /// Forgets every temporary key (all of them are STS sessions), without
    /// building an identity per key: resets must stay fast with many keys.
    pub fn forget_temporary(&self) {
        let mut r = self.inner.write();
        r.keys.retain(|_, v| v.expires_ms.is_none());
        r.keys.shrink_to_fit();
        r.prune();
    }

    /// How many keys Stratus has issued and still knows.
    pub fn len(&self) -> usize {
        self.inner.read().keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

    #[test]
    fn long_keys_and_secrets_are_kept_whole() {
        let ids = Identities::new("000000000000");
        let long = "K".repeat(100);
        let mut id = Identity::root("123456789012", &long);
        id.secret_key = Some("s".repeat(64));
        ids.register(id);
        assert_eq!(ids.resolve(&long).secret_key, Some("s".repeat(64)));
        assert_eq!(ids.resolve(&long).access_key, long);
    }

    #[test]
    fn keys_of_one_principal_share_it_and_resets_forget_them() {
        let ids = Identities::new("000000000000");
        for i in 0..100 {
            let mut id = Identity::root("123456789012", &format!("ASIA{i:016}"));
            id.arn = "arn:aws:sts::123456789012:assumed-role/r/s".into();
            id.expires_ms = Some(1);
            ids.register(id);
        }
        assert_eq!(ids.len(), 100);
        assert_eq!(ids.inner.read().principals.len(), 1);
        assert_eq!(
            ids.resolve("ASIA0000000000000042").arn,
            "arn:aws:sts::123456789012:assumed-role/r/s"
        );
        ids.forget_temporary();
        assert!(ids.is_empty());
        assert!(ids.inner.read().principals.is_empty());
    }
}
