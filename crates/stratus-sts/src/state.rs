//! Sessions STS issued, persisted so their keys keep working after a restart.

use serde::{Deserialize, Serialize};
use stratus_core::{AwsError, Identities, Identity, IdentityKind};
use stratus_store::{Batch, Store};

const TABLE: &str = "sts.sessions";

/// What is stored per issued access key.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    account_id: String,
    arn: String,
    user_id: String,
    kind: String,
    access_key: String,
    secret_key: String,
    expires_ms: i64,
    role_arn: Option<String>,
    source_identity: Option<String>,
}

fn kind_name(k: IdentityKind) -> &'static str {
    match k {
        IdentityKind::Root => "root",
        IdentityKind::User => "user",
        IdentityKind::AssumedRole => "assumed-role",
        IdentityKind::FederatedUser => "federated-user",
    }
}

fn kind_of(s: &str) -> IdentityKind {
    match s {
        "user" => IdentityKind::User,
        "assumed-role" => IdentityKind::AssumedRole,
        "federated-user" => IdentityKind::FederatedUser,
        _ => IdentityKind::Root,
    }
}

impl Record {
    fn identity(&self) -> Identity {
        Identity {
            account_id: self.account_id.clone(),
            arn: self.arn.clone(),
            user_id: self.user_id.clone(),
            kind: kind_of(&self.kind),
            access_key: self.access_key.clone(),
            secret_key: Some(self.secret_key.clone()),
            // The token is derived from the secret when needed, never stored.
            session_token: None,
            expires_ms: Some(self.expires_ms),
            role_arn: self.role_arn.clone(),
            source_identity: self.source_identity.clone(),
        }
    }

    fn of(id: &Identity) -> Record {
        Record {
            account_id: id.account_id.clone(),
            arn: id.arn.clone(),
            user_id: id.user_id.clone(),
            kind: kind_name(id.kind).to_string(),
            access_key: id.access_key.clone(),
            secret_key: id.secret_key.clone().unwrap_or_default(),
            expires_ms: id.expires_ms.unwrap_or(i64::MAX),
            role_arn: id.role_arn.clone(),
            source_identity: id.source_identity.clone(),
        }
    }
}

fn store_err(e: stratus_store::StoreError) -> AwsError {
    AwsError::internal(e.to_string())
}

/// Issued sessions: the store holds them, the identity registry resolves them.
pub struct Sessions {
    store: Store,
    identities: Identities,
}

impl Sessions {
    pub fn load(store: Store, identities: Identities) -> Result<Sessions, AwsError> {
        for r in store.scan_json::<Record>(TABLE, b"").map_err(store_err)? {
            identities.register(r.identity());
        }
        Ok(Sessions { store, identities })
    }

    /// Persists, then publishes: a key is usable only once it is durable.
    /// With an in-memory store the identity registry itself is the state.
    pub fn issue(&self, mut id: Identity) -> Result<(), AwsError> {
        id.session_token = None;
        if self.store.is_persistent() {
            let mut b = Batch::new();
            b.put_json(TABLE, id.access_key.as_bytes().to_vec(), &Record::of(&id))
                .map_err(store_err)?;
            self.store.commit(b).map_err(store_err)?;
        }
        self.identities.register(id);
        Ok(())
    }

    pub fn reset(&self) -> Result<(), AwsError> {
        self.store.clear(TABLE).map_err(store_err)?;
        // Every temporary key is a session STS issued.
        self.identities.forget_temporary();
        Ok(())
    }
}
