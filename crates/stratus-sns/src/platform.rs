//! Mobile push: platform applications and their endpoints, stored. Nothing
//! reaches a push service from here; what is published to an endpoint goes
//! to the outbox (protocol `application`).

use std::collections::BTreeMap;

use parking_lot::{Mutex, MutexGuard};
use serde::{Deserialize, Serialize};
use stratus_core::AwsError;
use stratus_store::{Batch, Store};

const APPS: &str = "sns.platform-applications";
const ENDPOINTS: &str = "sns.platform-endpoints";

/// The push services SNS knows.
pub const PLATFORMS: &[&str] = &[
    "ADM",
    "APNS",
    "APNS_SANDBOX",
    "APNS_VOIP",
    "APNS_VOIP_SANDBOX",
    "BAIDU",
    "GCM",
    "MPNS",
    "WNS",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct App {
    pub arn: String,
    pub name: String,
    pub platform: String,
    pub attributes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Endpoint {
    pub arn: String,
    pub app_arn: String,
    pub attributes: BTreeMap<String, String>,
}

impl Endpoint {
    pub fn token(&self) -> &str {
        self.attributes.get("Token").map_or("", String::as_str)
    }

    pub fn enabled(&self) -> bool {
        self.attributes.get("Enabled").is_none_or(|v| v == "true")
    }
}

/// Attributes a platform application keeps but never shows.
pub const SECRET_ATTRIBUTES: &[&str] = &["PlatformCredential", "PlatformPrincipal"];

#[derive(Default)]
pub struct Inner {
    pub apps: BTreeMap<String, App>,
    pub endpoints: BTreeMap<String, Endpoint>,
}

pub struct Platforms {
    store: Store,
    inner: Mutex<Inner>,
}

fn store_err(e: stratus_store::StoreError) -> AwsError {
    AwsError::internal(e.to_string())
}

/// Changes gathered under the lock, committed before answering.
pub struct Txn<'a> {
    pub inner: MutexGuard<'a, Inner>,
    batch: Batch,
    store: &'a Store,
}

impl Txn<'_> {
    pub fn put_app(&mut self, arn: &str) -> Result<(), AwsError> {
        if let Some(a) = self.inner.apps.get(arn) {
            self.batch
                .put_json(APPS, arn.as_bytes().to_vec(), a)
                .map_err(store_err)?;
        }
        Ok(())
    }

    pub fn put_endpoint(&mut self, arn: &str) -> Result<(), AwsError> {
        if let Some(e) = self.inner.endpoints.get(arn) {
            self.batch
                .put_json(ENDPOINTS, arn.as_bytes().to_vec(), e)
                .map_err(store_err)?;
        }
        Ok(())
    }

    pub fn delete_app(&mut self, arn: &str) {
        self.batch.delete(APPS, arn.as_bytes().to_vec());
    }

    pub fn delete_endpoint(&mut self, arn: &str) {
        self.batch.delete(ENDPOINTS, arn.as_bytes().to_vec());
    }

    pub fn commit(self) -> Result<(), AwsError> {
        let Txn {
            inner,
            batch,
            store,
        } = self;
        if !batch.is_empty() {
            store.commit(batch).map_err(store_err)?;
        }
        drop(inner);
        Ok(())
    }
}

impl Platforms {
    pub fn load(store: Store) -> Result<Platforms, AwsError> {
        let apps = store
            .scan_json::<App>(APPS, b"")
            .map_err(store_err)?
            .into_iter()
            .map(|a| (a.arn.clone(), a))
            .collect();
        let endpoints = store
            .scan_json::<Endpoint>(ENDPOINTS, b"")
            .map_err(store_err)?
            .into_iter()
            .map(|e| (e.arn.clone(), e))
            .collect();
        Ok(Platforms {
            store,
            inner: Mutex::new(Inner { apps, endpoints }),
        })
    }

    pub fn begin(&self) -> Txn<'_> {
        Txn {
            inner: self.inner.lock(),
            batch: Batch::new(),
            store: &self.store,
        }
    }

    pub fn reset(&self) -> Result<(), AwsError> {
        let mut inner = self.inner.lock();
        self.store.clear(APPS).map_err(store_err)?;
        self.store.clear(ENDPOINTS).map_err(store_err)?;
        inner.apps.clear();
        inner.endpoints.clear();
        Ok(())
    }
}

/// Whether an ARN names a platform endpoint (`...:endpoint/PLATFORM/APP/ID`).
pub fn is_endpoint_arn(arn: &str) -> bool {
    arn.splitn(6, ':')
        .nth(5)
        .is_some_and(|r| r.starts_with("endpoint/") && r.split('/').count() == 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_arns() {
        assert!(is_endpoint_arn(
            "arn:aws:sns:us-east-1:000000000000:endpoint/GCM/my-app/1234"
        ));
        assert!(!is_endpoint_arn("arn:aws:sns:us-east-1:000000000000:topic"));
    }
}
