//! IAM's resources, per account (IAM is global: no region in any key), and
//! their persistence. Each change writes the account's whole record in one
//! batch before it is acknowledged; accounts are small.

use std::collections::{BTreeMap, HashMap};

use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use stratus_core::AwsError;
use stratus_store::{Batch, Store};

const TABLE: &str = "iam.accounts";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Tags(pub Vec<(String, String)>);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessKey {
    pub id: String,
    pub secret: String,
    pub active: bool,
    pub created_ms: i64,
    #[serde(default)]
    pub last_used: Option<LastUsed>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastUsed {
    pub at_ms: i64,
    pub service: String,
    pub region: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginProfile {
    pub password_hash: String,
    pub salt: String,
    pub created_ms: i64,
    pub reset_required: bool,
    /// Earlier hashes (newest last), for the reuse-prevention rule.
    #[serde(default)]
    pub history: Vec<String>,
    #[serde(default)]
    pub changed_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub created_ms: i64,
    pub tags: Tags,
    pub boundary: Option<String>,
    pub inline: BTreeMap<String, String>,
    pub attached: Vec<String>,
    pub groups: Vec<String>,
    pub access_keys: Vec<AccessKey>,
    pub login: Option<LoginProfile>,
    pub mfa: Vec<String>,
    #[serde(default)]
    pub password_last_used_ms: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub created_ms: i64,
    pub inline: BTreeMap<String, String>,
    pub attached: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub created_ms: i64,
    pub trust: String,
    pub description: Option<String>,
    pub max_session: i32,
    pub boundary: Option<String>,
    pub tags: Tags,
    pub inline: BTreeMap<String, String>,
    pub attached: Vec<String>,
    #[serde(default)]
    pub last_used: Option<LastUsed>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceProfile {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub created_ms: i64,
    pub roles: Vec<String>,
    pub tags: Tags,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyVersion {
    pub id: String,
    pub document: String,
    pub created_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub description: Option<String>,
    pub default_version: String,
    pub versions: Vec<PolicyVersion>,
    pub next_version: u32,
    pub tags: Tags,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MfaDevice {
    pub serial: String,
    pub path: String,
    pub name: String,
    /// Base32 seed, as handed out.
    pub seed: String,
    pub user: Option<String>,
    pub enabled_ms: Option<i64>,
    pub tags: Tags,
    /// The last time step accepted, so a code is not reused.
    #[serde(default)]
    pub last_step: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PasswordPolicy {
    pub minimum_length: i32,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub allow_users_to_change: bool,
    pub max_age: Option<i32>,
    pub reuse_prevention: Option<i32>,
    pub hard_expiry: bool,
}

/// What an STS session carries for authorization (see RoleDirectory).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
    pub mfa: bool,
    #[serde(default)]
    pub federated_by: Option<String>,
    pub issued_ms: i64,
    pub expires_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OidcProvider {
    /// Without its `https://` scheme, as AWS reports it.
    pub url: String,
    pub client_ids: Vec<String>,
    pub thumbprints: Vec<String>,
    pub created_ms: i64,
    pub tags: Tags,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SamlProvider {
    pub uuid: String,
    pub metadata: String,
    pub created_ms: i64,
    pub valid_until_ms: i64,
    pub tags: Tags,
}

/// Everything IAM holds for one account. Maps are keyed by lower-cased name
/// because IAM names are unique regardless of case.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Account {
    pub users: BTreeMap<String, User>,
    pub groups: BTreeMap<String, Group>,
    pub roles: BTreeMap<String, Role>,
    pub instance_profiles: BTreeMap<String, InstanceProfile>,
    /// Customer managed policies by ARN.
    pub policies: BTreeMap<String, ManagedPolicy>,
    pub mfa_devices: BTreeMap<String, MfaDevice>,
    pub password_policy: Option<PasswordPolicy>,
    pub alias: Option<String>,
    pub credential_report_ms: Option<i64>,
    /// Deleted access keys (id -> the user ARN they belonged to): still
    /// known, so that requests signed with them are refused rather than
    /// taken for an unknown key.
    #[serde(default)]
    pub retired_keys: BTreeMap<String, String>,
    /// OpenID Connect identity providers by ARN.
    #[serde(default)]
    pub oidc_providers: BTreeMap<String, OidcProvider>,
    /// SAML identity providers by ARN.
    #[serde(default)]
    pub saml_providers: BTreeMap<String, SamlProvider>,
    /// STS sessions with session policies or MFA, by access key.
    #[serde(default)]
    pub sessions: BTreeMap<String, Session>,
}

impl Account {
    pub fn user(&self, name: &str) -> Result<&User, AwsError> {
        self.users
            .get(&name.to_lowercase())
            .ok_or_else(|| no_such(format!("The user with name {name} cannot be found.")))
    }

    pub fn user_mut(&mut self, name: &str) -> Result<&mut User, AwsError> {
        self.users
            .get_mut(&name.to_lowercase())
            .ok_or_else(|| no_such(format!("The user with name {name} cannot be found.")))
    }

    pub fn group(&self, name: &str) -> Result<&Group, AwsError> {
        self.groups
            .get(&name.to_lowercase())
            .ok_or_else(|| no_such(format!("The group with name {name} cannot be found.")))
    }

    pub fn group_mut(&mut self, name: &str) -> Result<&mut Group, AwsError> {
        self.groups
            .get_mut(&name.to_lowercase())
            .ok_or_else(|| no_such(format!("The group with name {name} cannot be found.")))
    }

    pub fn role(&self, name: &str) -> Result<&Role, AwsError> {
        self.roles
            .get(&name.to_lowercase())
            .ok_or_else(|| no_such(format!("The role with name {name} cannot be found.")))
    }

    pub fn role_mut(&mut self, name: &str) -> Result<&mut Role, AwsError> {
        self.roles
            .get_mut(&name.to_lowercase())
            .ok_or_else(|| no_such(format!("The role with name {name} cannot be found.")))
    }

    pub fn profile_mut(&mut self, name: &str) -> Result<&mut InstanceProfile, AwsError> {
        self.instance_profiles
            .get_mut(&name.to_lowercase())
            .ok_or_else(|| no_such(format!("Instance Profile {name} cannot be found.")))
    }

    pub fn profile(&self, name: &str) -> Result<&InstanceProfile, AwsError> {
        self.instance_profiles
            .get(&name.to_lowercase())
            .ok_or_else(|| no_such(format!("Instance Profile {name} cannot be found.")))
    }

    /// The user that owns an access key.
    pub fn key_owner(&self, key_id: &str) -> Option<&User> {
        self.users
            .values()
            .find(|u| u.access_keys.iter().any(|k| k.id == key_id))
    }

    /// Attachments of a managed policy: (users, groups, roles, as boundary).
    pub fn attachment_count(&self, arn: &str) -> (usize, usize) {
        let attached = self
            .users
            .values()
            .filter(|u| u.attached.iter().any(|a| a == arn))
            .count()
            + self
                .groups
                .values()
                .filter(|g| g.attached.iter().any(|a| a == arn))
                .count()
            + self
                .roles
                .values()
                .filter(|r| r.attached.iter().any(|a| a == arn))
                .count();
        let boundary = self
            .users
            .values()
            .filter(|u| u.boundary.as_deref() == Some(arn))
            .count()
            + self
                .roles
                .values()
                .filter(|r| r.boundary.as_deref() == Some(arn))
                .count();
        (attached, boundary)
    }
}

pub fn no_such(msg: impl Into<String>) -> AwsError {
    AwsError::not_found("NoSuchEntity", msg)
}

fn store_err(e: stratus_store::StoreError) -> AwsError {
    AwsError::internal(e.to_string())
}

/// All accounts' IAM state: memory first, written through to the store.
pub struct State {
    store: Store,
    accounts: RwLock<HashMap<String, Account>>,
}

impl State {
    pub fn load(store: Store) -> Result<State, AwsError> {
        let mut accounts = HashMap::new();
        for (k, v) in store.scan(TABLE, b"").map_err(store_err)? {
            let account = String::from_utf8_lossy(&k).into_owned();
            let a: Account = serde_json::from_slice(&v)
                .map_err(|e| AwsError::internal(format!("iam state of {account}: {e}")))?;
            accounts.insert(account, a);
        }
        Ok(State {
            store,
            accounts: RwLock::new(accounts),
        })
    }

    /// Reads one account (an empty one if it has no state yet).
    pub fn read<R>(&self, account: &str, f: impl FnOnce(&Account) -> R) -> R {
        let guard = self.accounts.read();
        match guard.get(account) {
            Some(a) => f(a),
            None => f(&Account::default()),
        }
    }

    /// Changes one account: `f` works on a copy that replaces the account
    /// only once it is stored, so a failed call changes nothing.
    pub fn write<R>(
        &self,
        account: &str,
        f: impl FnOnce(&mut Account) -> Result<R, AwsError>,
    ) -> Result<R, AwsError> {
        let mut guard = self.accounts.write();
        let mut copy = guard.get(account).cloned().unwrap_or_default();
        let out = f(&mut copy)?;
        self.persist(account, &copy)?;
        guard.insert(account.to_string(), copy);
        Ok(out)
    }

    /// Changes that need not be durable at once (last-used stamps): kept in
    /// memory and written with the account's next change.
    pub fn touch(&self, account: &str, f: impl FnOnce(&mut Account)) {
        if let Some(a) = self.accounts.write().get_mut(account) {
            f(a);
        }
    }

    fn persist(&self, account: &str, a: &Account) -> Result<(), AwsError> {
        let mut b = Batch::new();
        b.put_json(TABLE, account.as_bytes().to_vec(), a)
            .map_err(store_err)?;
        self.store.commit(b).map_err(store_err)
    }

    pub fn accounts(&self) -> Vec<(String, Account)> {
        self.accounts
            .read()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    pub fn reset(&self) -> Result<(), AwsError> {
        self.store.clear(TABLE).map_err(store_err)?;
        self.accounts.write().clear();
        Ok(())
    }
}
