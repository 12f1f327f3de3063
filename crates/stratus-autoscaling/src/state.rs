//! Each region's launch configurations, groups (with their instances,
//! policies, scheduled actions, hooks, notifications, warm pool and
//! refreshes) and scaling activities, persisted as one document per account
//! and region, written through before a request answers.

use std::collections::BTreeMap;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use stratus_core::AwsError;
use stratus_store::{Batch, Store};

const TABLE: &str = "autoscaling.regions";

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct LaunchConfig {
    pub name: String,
    pub arn: String,
    pub image_id: String,
    pub instance_type: String,
    pub key_name: Option<String>,
    pub security_groups: Vec<String>,
    pub user_data: Option<String>,
    pub iam_instance_profile: Option<String>,
    pub monitoring: Option<bool>,
    pub associate_public_ip: Option<bool>,
    pub ebs_optimized: Option<bool>,
    pub placement_tenancy: Option<String>,
    pub spot_price: Option<String>,
    pub kernel_id: Option<String>,
    pub ramdisk_id: Option<String>,
    pub block_devices: Option<Json>,
    pub metadata_options: Option<Json>,
    pub created_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct TemplateSpec {
    pub id: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct TagRec {
    pub key: String,
    pub value: String,
    pub propagate: bool,
}

/// A lifecycle hook an instance waits on.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct HookWait {
    pub hook: String,
    pub token: String,
    pub transition: String,
    pub deadline_ms: i64,
    /// The global timeout: 100 heartbeats or 48 hours, whichever is smaller.
    pub global_deadline_ms: i64,
    pub default_result: String,
    /// Set by CompleteLifecycleAction (or the timeout): CONTINUE or ABANDON.
    pub result: Option<String>,
    /// Hooks of the same transition still to run after this one.
    pub remaining: Vec<String>,
}

/// An instance as its group sees it.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Member {
    pub id: String,
    pub az: String,
    pub subnet: Option<String>,
    /// Pending, Pending:Wait, Pending:Proceed, InService, Standby,
    /// Terminating, Terminating:Wait, Terminating:Proceed, Detaching, ...
    pub lifecycle: String,
    pub health: String,
    pub launch_config: Option<String>,
    pub template: Option<TemplateSpec>,
    pub instance_type: String,
    pub image_id: String,
    pub protected: bool,
    pub launched_ms: i64,
    pub registered: bool,
    pub hook: Option<HookWait>,
    /// The activity that launches or terminates it.
    pub activity: Option<String>,
    /// Set when the instance is replaced for failing a health check.
    pub unhealthy_cause: Option<String>,
    /// The launch template version number it was launched with (for
    /// OldestLaunchTemplate and instance refresh).
    pub template_version: Option<i64>,
    /// A launch configuration's creation time, for OldestLaunchConfiguration.
    pub config_created_ms: Option<i64>,
}

impl Member {
    /// Counts toward the group's capacity.
    pub fn counts(&self) -> bool {
        self.lifecycle.starts_with("Pending") || self.lifecycle == "InService"
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct Step {
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub adjustment: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Policy {
    pub name: String,
    pub arn: String,
    pub policy_type: String,
    pub adjustment_type: Option<String>,
    pub min_adjustment_step: Option<i64>,
    pub min_adjustment_magnitude: Option<i64>,
    pub scaling_adjustment: Option<i64>,
    pub cooldown: Option<i64>,
    pub metric_aggregation_type: Option<String>,
    pub steps: Vec<Step>,
    pub estimated_instance_warmup: Option<i64>,
    /// The TargetTrackingConfiguration as given.
    pub target_tracking: Option<Json>,
    pub target_value: f64,
    pub disable_scale_in: bool,
    /// (name, arn) of the alarms the policy owns or is run by.
    pub alarms: Vec<(String, String)>,
    pub enabled: bool,
    pub predictive: Option<Json>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Scheduled {
    pub name: String,
    pub arn: String,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub recurrence: Option<String>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub desired: Option<i64>,
    pub time_zone: Option<String>,
    /// When it runs next; None once a one-time action has run.
    pub next_ms: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Hook {
    pub name: String,
    pub transition: String,
    pub target: Option<String>,
    pub role: Option<String>,
    pub metadata: Option<String>,
    pub heartbeat_secs: i64,
    pub default_result: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Refresh {
    pub id: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub start_ms: i64,
    pub end_ms: Option<i64>,
    pub instances_to_update: i64,
    pub total: i64,
    pub strategy: String,
    pub preferences: Option<Json>,
    pub desired: Option<Json>,
    /// Instances still to replace.
    pub pending: Vec<String>,
    /// Instances launched by the refresh that are still warming up.
    pub replaced: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Group {
    pub name: String,
    pub arn: String,
    pub created_ms: i64,
    pub launch_config: Option<String>,
    pub template: Option<TemplateSpec>,
    /// The MixedInstancesPolicy as given.
    pub mixed: Option<Json>,
    pub min: i64,
    pub max: i64,
    pub desired: i64,
    pub default_cooldown: i64,
    pub azs: Vec<String>,
    pub vpc_zone_identifier: Option<String>,
    /// (subnet, availability zone), in the order given.
    pub subnets: Vec<(String, String)>,
    pub target_groups: Vec<String>,
    pub load_balancers: Vec<String>,
    /// (identifier, type) of traffic sources other than target groups.
    pub traffic_sources: Vec<(String, String)>,
    pub health_check_type: String,
    pub grace_secs: i64,
    pub placement_group: Option<String>,
    pub termination_policies: Vec<String>,
    pub new_protected: bool,
    pub capacity_rebalance: bool,
    pub max_instance_lifetime: Option<i64>,
    pub default_instance_warmup: Option<i64>,
    pub desired_capacity_type: Option<String>,
    pub service_linked_role: Option<String>,
    pub context: Option<String>,
    pub deletion_protection: Option<String>,
    pub maintenance_policy: Option<Json>,
    pub tags: Vec<TagRec>,
    pub suspended: BTreeMap<String, String>,
    pub metrics: Vec<(String, String)>,
    pub instances: Vec<Member>,
    /// Simple scaling waits until this moment after a scaling activity.
    pub cooldown_until_ms: i64,
    /// After a failed launch the group waits until then to try again.
    pub retry_at_ms: i64,
    /// What changed the desired capacity, waiting for the reconciler to
    /// add what it does to the activity's cause.
    pub pending_cause: Option<String>,
    pub status: Option<String>,
    pub policies: Vec<Policy>,
    pub scheduled: Vec<Scheduled>,
    pub hooks: Vec<Hook>,
    /// Topic ARN -> notification types.
    pub notifications: BTreeMap<String, Vec<String>>,
    pub warm_pool: Option<Json>,
    pub refreshes: Vec<Refresh>,
}

impl Group {
    /// Where the group's instances are registered: its target groups, then
    /// its Classic load balancers.
    pub fn balancers(&self) -> Vec<String> {
        self.target_groups
            .iter()
            .chain(&self.load_balancers)
            .cloned()
            .collect()
    }

    pub fn capacity(&self) -> i64 {
        self.instances.iter().filter(|m| m.counts()).count() as i64
    }

    pub fn suspended(&self, process: &str) -> bool {
        self.suspended.contains_key(process)
    }

    pub fn member(&self, id: &str) -> Option<&Member> {
        self.instances.iter().find(|m| m.id == id)
    }

    pub fn member_mut(&mut self, id: &str) -> Option<&mut Member> {
        self.instances.iter_mut().find(|m| m.id == id)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Activity {
    pub id: String,
    pub group: String,
    pub group_arn: String,
    pub description: String,
    pub cause: String,
    pub start_ms: i64,
    pub end_ms: Option<i64>,
    pub status: String,
    pub status_message: Option<String>,
    pub progress: i64,
    pub details: String,
    pub group_deleted: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Region {
    pub launch_configs: BTreeMap<String, LaunchConfig>,
    pub groups: BTreeMap<String, Group>,
    /// Oldest first.
    pub activities: Vec<Activity>,
}

impl Region {
    /// AWS's refusal while a group's scaling activity (or its cooldown) holds
    /// a change that honours it.
    pub fn blocked(&self, group: &str) -> AwsError {
        let id = self
            .activities
            .iter()
            .rev()
            .find(|a| a.group == group && !a.group_deleted)
            .map(|a| a.id.clone())
            .unwrap_or_default();
        AwsError::bad_request(
            "ScalingActivityInProgress",
            format!("Scaling activity {id} is in progress and blocks this action"),
        )
    }

    /// The group and policy a policy ARN names.
    pub fn policy_by_arn(&self, arn: &str) -> Option<(&Group, &Policy)> {
        self.groups
            .values()
            .find_map(|g| g.policies.iter().find(|p| p.arn == arn).map(|p| (g, p)))
    }
}

type Key = (String, String);

pub struct State {
    store: Store,
    regions: Mutex<BTreeMap<Key, Region>>,
}

fn store_err(e: stratus_store::StoreError) -> AwsError {
    AwsError::internal(e.to_string())
}

impl State {
    pub fn load(store: Store) -> Result<State, AwsError> {
        let mut regions = BTreeMap::new();
        for (k, v) in store.scan(TABLE, b"").map_err(store_err)? {
            let key = String::from_utf8_lossy(&k).to_string();
            let Some((account, region)) = key.split_once('/') else {
                continue;
            };
            let doc: Region = serde_json::from_slice(&v)
                .map_err(|e| AwsError::internal(format!("corrupt {TABLE} entry: {e}")))?;
            regions.insert((account.to_string(), region.to_string()), doc);
        }
        Ok(State {
            store,
            regions: Mutex::new(regions),
        })
    }

    fn save(&self, account: &str, region: &str, doc: &Region) -> Result<(), AwsError> {
        let mut b = Batch::new();
        b.put_json(TABLE, format!("{account}/{region}").into_bytes(), doc)
            .map_err(store_err)?;
        self.store.commit(b).map_err(store_err)
    }

    /// Runs `f` on the region's document and writes it through; an error
    /// leaves the document as it was.
    pub fn with<T>(
        &self,
        account: &str,
        region: &str,
        f: impl FnOnce(&mut Region) -> Result<T, AwsError>,
    ) -> Result<T, AwsError> {
        let mut regions = self.regions.lock();
        let doc = regions
            .entry((account.to_string(), region.to_string()))
            .or_default();
        let before = doc.clone();
        match f(doc) {
            Ok(v) => {
                self.save(account, region, doc)?;
                Ok(v)
            }
            Err(e) => {
                *doc = before;
                Err(e)
            }
        }
    }

    /// Like `with`, but writes only when `f` says it changed something.
    pub fn maybe<T>(
        &self,
        account: &str,
        region: &str,
        f: impl FnOnce(&mut Region) -> (bool, T),
    ) -> T {
        let mut regions = self.regions.lock();
        let Some(doc) = regions.get_mut(&(account.to_string(), region.to_string())) else {
            let mut empty = Region::default();
            return f(&mut empty).1;
        };
        let (changed, v) = f(doc);
        if changed {
            if let Err(e) = self.save(account, region, doc) {
                tracing::error!(error = %e.message, "autoscaling: saving state failed");
            }
        }
        v
    }

    pub fn read<T>(&self, account: &str, region: &str, f: impl FnOnce(&Region) -> T) -> T {
        let regions = self.regions.lock();
        match regions.get(&(account.to_string(), region.to_string())) {
            Some(doc) => f(doc),
            None => f(&Region::default()),
        }
    }

    /// Every account and region that has a document.
    pub fn keys(&self) -> Vec<Key> {
        self.regions.lock().keys().cloned().collect()
    }

    pub fn reset(&self) -> Result<(), AwsError> {
        let mut regions = self.regions.lock();
        self.store.clear(TABLE).map_err(store_err)?;
        regions.clear();
        Ok(())
    }
}
