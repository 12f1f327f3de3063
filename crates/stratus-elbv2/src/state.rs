//! Load balancers, target groups (with their targets), listeners and rules,
//! in memory and written through to the store: one record per resource,
//! keyed `account/region/kind/id`.

use std::collections::BTreeMap;

use parking_lot::{Mutex, MutexGuard};
use serde::{Deserialize, Serialize};
use stratus_core::AwsError;
use stratus_store::{Batch, Store, scope_key};

use crate::health::TargetHealthRec;

const LBS: &str = "elbv2.load_balancers";
const TGS: &str = "elbv2.target_groups";
const LISTENERS: &str = "elbv2.listeners";
const RULES: &str = "elbv2.rules";

pub type Tags = BTreeMap<String, String>;

/// A load balancer's place in one subnet.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct ZoneRec {
    pub subnet_id: String,
    pub zone: String,
    pub allocation_id: Option<String>,
    pub private_ipv4: Option<String>,
    pub ipv6: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct LoadBalancerRec {
    pub arn: String,
    pub account: String,
    pub region: String,
    pub name: String,
    /// `application`, `network` or `gateway`.
    pub kind: String,
    pub scheme: String,
    pub vpc_id: String,
    pub zones: Vec<ZoneRec>,
    pub security_groups: Vec<String>,
    pub ip_address_type: String,
    pub dns_name: String,
    pub created_ms: i64,
    pub attributes: BTreeMap<String, String>,
    pub enforce_sg_inbound_private_link: Option<String>,
    pub tags: Tags,
}

/// A target group's health check settings, as DescribeTargetGroups shows them.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct HealthCheckRec {
    pub enabled: bool,
    pub protocol: Option<String>,
    /// A port number or `traffic-port`.
    pub port: Option<String>,
    pub path: Option<String>,
    pub interval: i32,
    pub timeout: i32,
    pub healthy: i32,
    pub unhealthy: i32,
    pub http_code: Option<String>,
    pub grpc_code: Option<String>,
}

/// One registered target (an instance id, an IP address, a Lambda or ALB ARN)
/// on one port, with its health.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct TargetRec {
    pub id: String,
    pub port: Option<i32>,
    pub availability_zone: Option<String>,
    pub registered_ms: i64,
    pub health: TargetHealthRec,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct TargetGroupRec {
    pub arn: String,
    pub account: String,
    pub region: String,
    pub name: String,
    pub target_type: String,
    pub protocol: Option<String>,
    pub protocol_version: Option<String>,
    pub port: Option<i32>,
    pub vpc_id: Option<String>,
    pub ip_address_type: Option<String>,
    pub health_check: HealthCheckRec,
    pub attributes: BTreeMap<String, String>,
    pub targets: Vec<TargetRec>,
    pub tags: Tags,
}

impl TargetGroupRec {
    pub fn target(&self, id: &str, port: Option<i32>) -> Option<&TargetRec> {
        self.targets
            .iter()
            .find(|t| t.id == id && (port.is_none() || t.port == port))
    }

    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct TargetWeight {
    pub arn: String,
    pub weight: Option<i32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct ForwardRec {
    pub groups: Vec<TargetWeight>,
    pub stickiness: Option<(bool, Option<i32>)>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct RedirectRec {
    pub protocol: String,
    pub port: String,
    pub host: String,
    pub path: String,
    pub query: String,
    pub status_code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct FixedResponseRec {
    pub status_code: String,
    pub content_type: Option<String>,
    pub message_body: Option<String>,
}

/// A listener or rule action. Authentication configurations are kept as the
/// JSON the request gave, since nothing acts on them yet.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct ActionRec {
    pub kind: String,
    pub order: Option<i32>,
    /// The single group a plain `forward` names.
    pub target_group_arn: Option<String>,
    pub forward: Option<ForwardRec>,
    pub redirect: Option<RedirectRec>,
    pub fixed_response: Option<FixedResponseRec>,
    pub other: Option<serde_json::Value>,
}

impl ActionRec {
    /// Every target group the action sends traffic to.
    pub fn target_groups(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.target_group_arn.iter().map(String::as_str).collect();
        if let Some(f) = &self.forward {
            for g in &f.groups {
                if !v.contains(&g.arn.as_str()) {
                    v.push(&g.arn);
                }
            }
        }
        v
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct CertificateRec {
    pub arn: String,
    pub is_default: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ListenerRec {
    pub arn: String,
    pub account: String,
    pub region: String,
    pub lb_arn: String,
    pub protocol: Option<String>,
    pub port: Option<i32>,
    pub ssl_policy: Option<String>,
    /// The default certificate first, then those AddListenerCertificates added.
    pub certificates: Vec<CertificateRec>,
    pub default_actions: Vec<ActionRec>,
    pub alpn_policy: Vec<String>,
    pub mutual_authentication: Option<serde_json::Value>,
    pub attributes: BTreeMap<String, String>,
    /// The ARN of the listener's default rule (shown by DescribeRules).
    pub default_rule_arn: String,
    pub default_rule_tags: Tags,
    pub tags: Tags,
}

/// One rule condition, normalized: the legacy `Values` and the per-field
/// configurations both end up here.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct ConditionRec {
    pub field: String,
    pub values: Vec<String>,
    pub regex_values: Vec<String>,
    pub header_name: Option<String>,
    /// query-string pairs; a missing key matches any key.
    pub query: Vec<(Option<String>, String)>,
    /// Whether the request used the legacy top-level `Values`.
    pub legacy: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct RuleRec {
    pub arn: String,
    pub account: String,
    pub region: String,
    pub listener_arn: String,
    pub priority: i32,
    pub conditions: Vec<ConditionRec>,
    pub actions: Vec<ActionRec>,
    pub transforms: Option<serde_json::Value>,
    pub tags: Tags,
}

#[derive(Default)]
pub struct Inner {
    pub lbs: BTreeMap<String, LoadBalancerRec>,
    pub tgs: BTreeMap<String, TargetGroupRec>,
    pub listeners: BTreeMap<String, ListenerRec>,
    pub rules: BTreeMap<String, RuleRec>,
}

/// The part of an ARN after its kind (`app/my-lb/50dc6c495c0c9188`), the
/// store key's id.
fn arn_id(arn: &str) -> &str {
    arn.split_once(':')
        .and_then(|_| arn.rsplit(':').next())
        .and_then(|r| r.split_once('/'))
        .map_or(arn, |(_, id)| id)
}

impl Inner {
    /// The target groups some listener or rule forwards to, with the load
    /// balancers they serve.
    pub fn groups_in_use(&self) -> BTreeMap<&str, Vec<&str>> {
        let mut used: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for l in self.listeners.values() {
            for a in &l.default_actions {
                for tg in a.target_groups() {
                    let e = used.entry(tg).or_default();
                    if !e.contains(&l.lb_arn.as_str()) {
                        e.push(&l.lb_arn);
                    }
                }
            }
        }
        for r in self.rules.values() {
            let Some(l) = self.listeners.get(&r.listener_arn) else {
                continue;
            };
            for a in &r.actions {
                for tg in a.target_groups() {
                    let e = used.entry(tg).or_default();
                    if !e.contains(&l.lb_arn.as_str()) {
                        e.push(&l.lb_arn);
                    }
                }
            }
        }
        used
    }
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
    pub fn put_lb(&mut self, arn: &str) -> Result<(), AwsError> {
        if let Some(r) = self.inner.lbs.get(arn) {
            let key = scope_key(&r.account, &r.region, "loadbalancer", arn_id(arn));
            self.batch.put_json(LBS, key, r).map_err(store_err)?;
        }
        Ok(())
    }

    pub fn put_tg(&mut self, arn: &str) -> Result<(), AwsError> {
        if let Some(r) = self.inner.tgs.get(arn) {
            let key = scope_key(&r.account, &r.region, "targetgroup", arn_id(arn));
            self.batch.put_json(TGS, key, r).map_err(store_err)?;
        }
        Ok(())
    }

    pub fn put_listener(&mut self, arn: &str) -> Result<(), AwsError> {
        if let Some(r) = self.inner.listeners.get(arn) {
            let key = scope_key(&r.account, &r.region, "listener", arn_id(arn));
            self.batch.put_json(LISTENERS, key, r).map_err(store_err)?;
        }
        Ok(())
    }

    pub fn put_rule(&mut self, arn: &str) -> Result<(), AwsError> {
        if let Some(r) = self.inner.rules.get(arn) {
            let key = scope_key(&r.account, &r.region, "listener-rule", arn_id(arn));
            self.batch.put_json(RULES, key, r).map_err(store_err)?;
        }
        Ok(())
    }

    pub fn delete_lb(&mut self, arn: &str) {
        if let Some(r) = self.inner.lbs.remove(arn) {
            let key = scope_key(&r.account, &r.region, "loadbalancer", arn_id(arn));
            self.batch.delete(LBS, key);
        }
    }

    pub fn delete_tg(&mut self, arn: &str) {
        if let Some(r) = self.inner.tgs.remove(arn) {
            let key = scope_key(&r.account, &r.region, "targetgroup", arn_id(arn));
            self.batch.delete(TGS, key);
        }
    }

    pub fn delete_listener(&mut self, arn: &str) {
        if let Some(r) = self.inner.listeners.remove(arn) {
            let key = scope_key(&r.account, &r.region, "listener", arn_id(arn));
            self.batch.delete(LISTENERS, key);
        }
    }

    pub fn delete_rule(&mut self, arn: &str) {
        if let Some(r) = self.inner.rules.remove(arn) {
            let key = scope_key(&r.account, &r.region, "listener-rule", arn_id(arn));
            self.batch.delete(RULES, key);
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
            inner.lbs.insert(r.arn.clone(), r);
        }
        for r in store
            .scan_json::<TargetGroupRec>(TGS, b"")
            .map_err(store_err)?
        {
            inner.tgs.insert(r.arn.clone(), r);
        }
        for r in store
            .scan_json::<ListenerRec>(LISTENERS, b"")
            .map_err(store_err)?
        {
            inner.listeners.insert(r.arn.clone(), r);
        }
        for r in store.scan_json::<RuleRec>(RULES, b"").map_err(store_err)? {
            inner.rules.insert(r.arn.clone(), r);
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
        for t in [LBS, TGS, LISTENERS, RULES] {
            self.store.clear(t).map_err(store_err)?;
        }
        *inner = Inner::default();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_ids_are_the_arn_resource_parts() {
        assert_eq!(
            arn_id(
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"
            ),
            "app/web/50dc6c495c0c9188"
        );
        assert_eq!(
            arn_id(
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/0123456789abcdef"
            ),
            "tg/0123456789abcdef"
        );
    }
}
