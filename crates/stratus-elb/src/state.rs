//! Classic load balancers in memory, written through to the store: one
//! record per load balancer (its listeners, policies, instances and their
//! health live inside it), keyed `account/region/loadbalancer/NAME`.

use std::collections::BTreeMap;

use parking_lot::{Mutex, MutexGuard};
use serde::{Deserialize, Serialize};
use stratus_core::AwsError;
use stratus_elbv2::health::TargetHealthRec;
use stratus_store::{Batch, Store, scope_key};

const LBS: &str = "elb.load_balancers";

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct ListenerRec {
    pub protocol: String,
    pub lb_port: i32,
    pub instance_protocol: String,
    pub instance_port: i32,
    pub ssl_certificate_id: Option<String>,
    pub policy_names: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct PolicyRec {
    pub name: String,
    pub type_name: String,
    pub attributes: Vec<(String, String)>,
}

impl PolicyRec {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct HealthCheckRec {
    /// `PROTOCOL:PORT[/PATH]`, as the user gave it.
    pub target: String,
    pub interval: i32,
    pub timeout: i32,
    pub unhealthy: i32,
    pub healthy: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct AttributesRec {
    pub cross_zone: bool,
    pub access_log_enabled: bool,
    pub access_log_bucket: Option<String>,
    pub access_log_prefix: Option<String>,
    pub access_log_interval: Option<i32>,
    pub draining_enabled: bool,
    pub draining_timeout: i32,
    pub idle_timeout: i32,
    pub additional: BTreeMap<String, String>,
}

/// A registered instance and its health as DescribeInstanceHealth shows it.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct MemberRec {
    pub id: String,
    pub registered_ms: i64,
    pub health: TargetHealthRec,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct LoadBalancerRec {
    pub account: String,
    pub region: String,
    pub name: String,
    pub dns_name: String,
    pub scheme: String,
    pub vpc_id: Option<String>,
    pub subnets: Vec<String>,
    pub zones: Vec<String>,
    pub security_groups: Vec<String>,
    pub listeners: Vec<ListenerRec>,
    pub policies: Vec<PolicyRec>,
    /// Policies per instance port (SetLoadBalancerPoliciesForBackendServer).
    pub backend_policies: BTreeMap<i32, Vec<String>>,
    pub health_check: HealthCheckRec,
    pub instances: Vec<MemberRec>,
    pub attributes: AttributesRec,
    pub created_ms: i64,
    pub tags: BTreeMap<String, String>,
}

impl LoadBalancerRec {
    pub fn member(&self, id: &str) -> Option<&MemberRec> {
        self.instances.iter().find(|m| m.id == id)
    }

    pub fn policy(&self, name: &str) -> Option<&PolicyRec> {
        self.policies.iter().find(|p| p.name == name)
    }

    pub fn listener_mut(&mut self, port: i32) -> Option<&mut ListenerRec> {
        self.listeners.iter_mut().find(|l| l.lb_port == port)
    }
}

/// Load balancers by (account, region, name).
pub type Key = (String, String, String);

#[derive(Default)]
pub struct Inner {
    pub lbs: BTreeMap<Key, LoadBalancerRec>,
}

pub fn key(account: &str, region: &str, name: &str) -> Key {
    (account.to_string(), region.to_string(), name.to_string())
}

pub struct State {
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
    pub fn put(&mut self, k: &Key) -> Result<(), AwsError> {
        if let Some(r) = self.inner.lbs.get(k) {
            let sk = scope_key(&r.account, &r.region, "loadbalancer", &r.name);
            self.batch.put_json(LBS, sk, r).map_err(store_err)?;
        }
        Ok(())
    }

    pub fn delete(&mut self, k: &Key) {
        if let Some(r) = self.inner.lbs.remove(k) {
            let sk = scope_key(&r.account, &r.region, "loadbalancer", &r.name);
            self.batch.delete(LBS, sk);
        }
    }

    pub fn commit(self) -> Result<(), AwsError> {
        let Txn {
            inner,
            batch,
            store,
        } = self;
        if batch.is_empty() {
            return Ok(());
        }
        // Queue under the lock so writes keep their order; wait outside it.
        let ticket = store.submit(batch).map_err(store_err)?;
        drop(inner);
        ticket.wait().map_err(store_err)
    }
}

impl State {
    pub fn load(store: Store) -> Result<State, AwsError> {
        let mut inner = Inner::default();
        for r in store
            .scan_json::<LoadBalancerRec>(LBS, b"")
            .map_err(store_err)?
        {
            inner.lbs.insert(key(&r.account, &r.region, &r.name), r);
        }
        Ok(State {
            store,
            inner: Mutex::new(inner),
        })
    }

    pub fn begin(&self) -> Txn<'_> {
        Txn {
            inner: self.inner.lock(),
            batch: Batch::new(),
            store: &self.store,
        }
    }

    /// Read-only access, for describes.
    pub fn read(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock()
    }

    pub fn reset(&self) -> Result<(), AwsError> {
        let mut inner = self.inner.lock();
        self.store.clear(LBS).map_err(store_err)?;
        *inner = Inner::default();
        Ok(())
    }
}
