//! STS: who is calling, and temporary credentials that later requests are
//! attributed to (assumed roles, session tokens, federated users).

#[rustfmt::skip]
mod generated;
mod ops;
mod state;

use stratus_core::{AwsError, Identities};
use stratus_store::Store;

pub use state::Sessions;

/// The STS service: handlers over the issued-session state.
pub struct Sts {
    sessions: Sessions,
    identities: Identities,
}

impl Sts {
    /// Loads every session issued before a restart and registers its keys.
    pub fn new(store: Store, identities: Identities) -> Result<Sts, AwsError> {
        Ok(Sts {
            sessions: Sessions::load(store, identities.clone())?,
            identities,
        })
    }
}

stratus_protocol::service!(Sts, "sts", |me| me.sessions.reset());
