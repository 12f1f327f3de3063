//! DB instances, subnet groups, parameter groups, snapshots and events, in
//! memory and written through to the store: one record per resource, keyed
//! `account/region/kind/id`.

use std::collections::BTreeMap;

use parking_lot::{Mutex, MutexGuard};
use serde::{Deserialize, Serialize};
use stratus_core::AwsError;
use stratus_store::{Batch, Store, scope_key};

const INSTANCES: &str = "rds.instances";
const SUBNET_GROUPS: &str = "rds.subnet_groups";
const PARAM_GROUPS: &str = "rds.parameter_groups";
const SNAPSHOTS: &str = "rds.snapshots";
const OPTION_GROUPS: &str = "rds.option_groups";
const EVENTS: &str = "rds.events";
const CLUSTERS: &str = "rds.clusters";

pub type Tags = Vec<(String, String)>;

/// The in-memory key of a resource: `account/region/id`.
pub fn key(account: &str, region: &str, id: &str) -> String {
    format!("{account}/{region}/{id}")
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct SubnetRec {
    pub id: String,
    pub zone: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SubnetGroupRec {
    pub account: String,
    pub region: String,
    pub name: String,
    pub description: String,
    pub vpc_id: String,
    pub subnets: Vec<SubnetRec>,
    pub tags: Tags,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ParamGroupRec {
    pub account: String,
    pub region: String,
    pub name: String,
    pub family: String,
    pub description: String,
    /// Values set by the user, by parameter name.
    pub values: BTreeMap<String, String>,
    pub tags: Tags,
}

/// An option of an option group, with its settings.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct OptionRec {
    pub name: String,
    pub port: Option<i32>,
    pub version: Option<String>,
    pub settings: Vec<(String, String)>,
    pub security_groups: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct OptionGroupRec {
    pub account: String,
    pub region: String,
    pub name: String,
    pub engine: String,
    pub major: String,
    pub description: String,
    pub options: Vec<OptionRec>,
    /// The group this one copies, and when.
    pub source: Option<String>,
    pub copied_ms: Option<i64>,
    pub tags: Tags,
}

/// Changes asked for without ApplyImmediately, shown as
/// PendingModifiedValues until the maintenance window.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct PendingRec {
    pub class: Option<String>,
    pub storage: Option<i32>,
    pub multi_az: Option<bool>,
    pub backup_retention: Option<i32>,
}

impl PendingRec {
    pub fn is_empty(&self) -> bool {
        *self == PendingRec::default()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct InstanceRec {
    pub account: String,
    pub region: String,
    pub id: String,
    /// `db-` and 26 upper-case letters and digits; names the data directory.
    pub resource_id: String,
    pub engine: String,
    pub engine_version: String,
    pub class: String,
    pub status: String,
    /// When the current status began (clock millis).
    pub status_since_ms: i64,
    pub created_ms: i64,
    pub master_username: String,
    /// Kept only until the server has been initialised with it, or until a
    /// changed password has been applied to the server.
    pub pending_password: Option<String>,
    /// Stratus's own administrative login on the server (`rdsadmin`).
    pub admin_password: String,
    pub db_name: Option<String>,
    pub port: i32,
    pub storage: i32,
    pub storage_type: String,
    pub iops: Option<i32>,
    pub multi_az: bool,
    pub zone: String,
    pub secondary_zone: Option<String>,
    pub publicly_accessible: bool,
    pub security_groups: Vec<String>,
    pub subnet_group: String,
    pub parameter_group: String,
    /// The option group; None: the engine's default group.
    pub option_group: Option<String>,
    pub backup_retention: i32,
    pub backup_window: String,
    pub maintenance_window: String,
    pub deletion_protection: bool,
    pub copy_tags_to_snapshot: bool,
    pub auto_minor_version_upgrade: bool,
    pub storage_encrypted: bool,
    pub license_model: String,
    pub ca_certificate: String,
    pub iam_auth: bool,
    pub manage_master_password: bool,
    pub pending: PendingRec,
    /// When the oldest pending change was asked for: the next maintenance
    /// window after it applies the pending changes.
    pub pending_since_ms: Option<i64>,
    /// Applied when the current `modifying` ends.
    pub applying: PendingRec,
    /// The snapshot whose data the server starts from (a restore).
    pub restore_from: Option<String>,
    pub restored_snapshot_id: Option<String>,
    /// A point-in-time restore's backup and logs.
    pub point_in_time: Option<PointInTimeRec>,
    /// The reboot under way moves the primary to the standby's zone.
    pub failover: bool,
    /// The instance this read replica follows.
    pub replica_source: Option<String>,
    /// The `modifying` under way promotes the replica.
    pub promoting: bool,
    /// The final snapshot DeleteDBInstance takes before the data goes.
    pub final_snapshot: Option<String>,
    /// Whether the server has been initialised (its data directory exists).
    pub initialised: bool,
    pub latest_restorable_ms: Option<i64>,
    /// Dynamic parameter group values not yet applied to the server.
    pub params_applying: bool,
    /// Static parameter group values (or a new group) that wait for the
    /// next reboot.
    pub params_pending_reboot: bool,
    /// The Aurora cluster the instance belongs to.
    pub cluster: Option<String>,
    pub promotion_tier: i32,
    /// A cluster member being rebuilt as a reader of the cluster's new
    /// writer after a failover: 1 while its old files go, 2 while the
    /// new copy starts.
    pub rejoin: u8,
    pub tags: Tags,
}

/// An Aurora DB cluster. Its instances are `InstanceRec`s naming it; the
/// writer is a server of its own, the readers its read replicas.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ClusterRec {
    pub account: String,
    pub region: String,
    pub id: String,
    /// `cluster-` and 26 upper-case letters and digits.
    pub resource_id: String,
    pub engine: String,
    pub engine_version: String,
    pub status: String,
    pub status_since_ms: i64,
    pub created_ms: i64,
    pub master_username: String,
    /// The master password a new writer starts with: kept because the
    /// cluster outlives its instances.
    pub master_password: Option<String>,
    /// ManageMasterUserPassword: the cluster shows a `MasterUserSecret`
    /// (Secrets Manager is not involved; the master user has no password).
    pub manage_master_password: bool,
    /// Stratus's own login, shared by every member so readers can copy
    /// from any writer.
    pub admin_password: String,
    pub db_name: Option<String>,
    /// The cluster endpoint's port; the reader endpoint listens on the
    /// next one.
    pub port: i32,
    pub subnet_group: String,
    pub security_groups: Vec<String>,
    pub zones: Vec<String>,
    pub backup_retention: i32,
    pub backup_window: String,
    pub maintenance_window: String,
    pub deletion_protection: bool,
    pub storage_encrypted: bool,
    pub copy_tags_to_snapshot: bool,
    pub iam_auth: bool,
    /// The member that takes writes.
    pub writer: Option<String>,
    /// The failover under way promotes this member.
    pub failing_over_to: Option<String>,
    pub tags: Tags,
}

/// Where a point-in-time restore starts: the source's automated backup
/// before the restore time, then the source's logs up to that time.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct PointInTimeRec {
    pub source_id: String,
    pub source_resource_id: String,
    /// The backup's directory under the snapshots folder; empty when the
    /// source had no server.
    pub base_dir: String,
    /// The restore time on the servers' clock (millis); None: the latest.
    pub until_ms: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SnapshotRec {
    pub account: String,
    pub region: String,
    pub id: String,
    pub instance_id: String,
    pub resource_id: String,
    /// `manual` or `automated`.
    pub kind: String,
    pub status: String,
    pub created_ms: i64,
    pub instance_created_ms: i64,
    pub engine: String,
    pub engine_version: String,
    pub class: String,
    pub storage: i32,
    pub storage_type: String,
    pub port: i32,
    pub zone: String,
    pub vpc_id: String,
    pub master_username: String,
    pub admin_password: String,
    pub db_name: Option<String>,
    pub license_model: String,
    /// The directory under the snapshots folder holding the data copy;
    /// empty when the instance had no running server.
    pub dir: String,
    /// Whether the data copy is complete.
    pub has_data: bool,
    /// When the copy was complete (clock millis): point-in-time restores
    /// start from a backup complete before the restore time.
    pub taken_ms: i64,
    /// The snapshot this one copies (its ARN), for CopyDBSnapshot.
    pub source_snapshot: Option<String>,
    /// Accounts (or `all`) that may restore it: the `restore` attribute.
    pub shared_with: Vec<String>,
    pub tags: Tags,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct EventRec {
    pub account: String,
    pub region: String,
    pub seq: u64,
    pub source_id: String,
    pub source_type: String,
    pub source_arn: String,
    pub message: String,
    pub categories: Vec<String>,
    pub date_ms: i64,
}

#[derive(Default)]
pub struct Inner {
    pub instances: BTreeMap<String, InstanceRec>,
    pub subnet_groups: BTreeMap<String, SubnetGroupRec>,
    pub param_groups: BTreeMap<String, ParamGroupRec>,
    pub option_groups: BTreeMap<String, OptionGroupRec>,
    pub snapshots: BTreeMap<String, SnapshotRec>,
    pub events: Vec<EventRec>,
    pub event_seq: u64,
    pub clusters: BTreeMap<String, ClusterRec>,
}

pub struct State {
    store: Store,
    inner: Mutex<Inner>,
}

fn store_err(e: stratus_store::StoreError) -> AwsError {
    AwsError::internal(e.to_string())
}

/// How long events are kept, as AWS does.
pub const EVENT_RETENTION_MS: i64 = 14 * 24 * 3600 * 1000;

/// Changes gathered under the lock, committed before answering.
pub struct Txn<'a> {
    pub inner: MutexGuard<'a, Inner>,
    batch: Batch,
    store: &'a Store,
}

fn event_id(e: &EventRec) -> String {
    format!("{:016}-{:012}", e.date_ms.max(0), e.seq)
}

impl Txn<'_> {
    pub fn put_instance(&mut self, k: &str) -> Result<(), AwsError> {
        if let Some(r) = self.inner.instances.get(k) {
            let key = scope_key(&r.account, &r.region, "db", &r.id);
            self.batch.put_json(INSTANCES, key, r).map_err(store_err)?;
        }
        Ok(())
    }

    pub fn delete_instance(&mut self, k: &str) -> Option<InstanceRec> {
        let r = self.inner.instances.remove(k)?;
        self.batch
            .delete(INSTANCES, scope_key(&r.account, &r.region, "db", &r.id));
        Some(r)
    }

    pub fn put_cluster(&mut self, k: &str) -> Result<(), AwsError> {
        if let Some(r) = self.inner.clusters.get(k) {
            let key = scope_key(&r.account, &r.region, "cluster", &r.id);
            self.batch.put_json(CLUSTERS, key, r).map_err(store_err)?;
        }
        Ok(())
    }

    pub fn delete_cluster(&mut self, k: &str) -> Option<ClusterRec> {
        let r = self.inner.clusters.remove(k)?;
        self.batch
            .delete(CLUSTERS, scope_key(&r.account, &r.region, "cluster", &r.id));
        Some(r)
    }

    pub fn put_subnet_group(&mut self, k: &str) -> Result<(), AwsError> {
        if let Some(r) = self.inner.subnet_groups.get(k) {
            let key = scope_key(&r.account, &r.region, "subgrp", &r.name);
            self.batch
                .put_json(SUBNET_GROUPS, key, r)
                .map_err(store_err)?;
        }
        Ok(())
    }

    pub fn delete_subnet_group(&mut self, k: &str) {
        if let Some(r) = self.inner.subnet_groups.remove(k) {
            self.batch.delete(
                SUBNET_GROUPS,
                scope_key(&r.account, &r.region, "subgrp", &r.name),
            );
        }
    }

    pub fn put_param_group(&mut self, k: &str) -> Result<(), AwsError> {
        if let Some(r) = self.inner.param_groups.get(k) {
            let key = scope_key(&r.account, &r.region, "pg", &r.name);
            self.batch
                .put_json(PARAM_GROUPS, key, r)
                .map_err(store_err)?;
        }
        Ok(())
    }

    pub fn delete_param_group(&mut self, k: &str) {
        if let Some(r) = self.inner.param_groups.remove(k) {
            self.batch.delete(
                PARAM_GROUPS,
                scope_key(&r.account, &r.region, "pg", &r.name),
            );
        }
    }

    pub fn put_option_group(&mut self, k: &str) -> Result<(), AwsError> {
        if let Some(r) = self.inner.option_groups.get(k) {
            let key = scope_key(&r.account, &r.region, "og", &r.name);
            self.batch
                .put_json(OPTION_GROUPS, key, r)
                .map_err(store_err)?;
        }
        Ok(())
    }

    pub fn delete_option_group(&mut self, k: &str) {
        if let Some(r) = self.inner.option_groups.remove(k) {
            self.batch.delete(
                OPTION_GROUPS,
                scope_key(&r.account, &r.region, "og", &r.name),
            );
        }
    }

    pub fn put_snapshot(&mut self, k: &str) -> Result<(), AwsError> {
        if let Some(r) = self.inner.snapshots.get(k) {
            let key = scope_key(&r.account, &r.region, "snapshot", &r.id);
            self.batch.put_json(SNAPSHOTS, key, r).map_err(store_err)?;
        }
        Ok(())
    }

    pub fn delete_snapshot(&mut self, k: &str) -> Option<SnapshotRec> {
        let r = self.inner.snapshots.remove(k)?;
        self.batch.delete(
            SNAPSHOTS,
            scope_key(&r.account, &r.region, "snapshot", &r.id),
        );
        Some(r)
    }

    /// Records an event and drops those older than AWS keeps them.
    #[allow(clippy::too_many_arguments)]
    /// An event whose source is an Aurora cluster.
    pub fn cluster_event(
        &mut self,
        c: &ClusterRec,
        message: &str,
        categories: &[&str],
        now_ms: i64,
    ) -> Result<(), AwsError> {
        let arn = crate::names::arn(&c.region, &c.account, "cluster", &c.id);
        self.event(
            &c.account,
            &c.region,
            "db-cluster",
            &c.id,
            &arn,
            message,
            categories,
            now_ms,
        )
    }

    pub fn event(
        &mut self,
        account: &str,
        region: &str,
        source_type: &str,
        source_id: &str,
        source_arn: &str,
        message: &str,
        categories: &[&str],
        now_ms: i64,
    ) -> Result<(), AwsError> {
        self.inner.event_seq += 1;
        let e = EventRec {
            account: account.to_string(),
            region: region.to_string(),
            seq: self.inner.event_seq,
            source_id: source_id.to_string(),
            source_type: source_type.to_string(),
            source_arn: source_arn.to_string(),
            message: message.to_string(),
            categories: categories.iter().map(|c| c.to_string()).collect(),
            date_ms: now_ms,
        };
        let key = scope_key(account, region, "event", &event_id(&e));
        self.batch.put_json(EVENTS, key, &e).map_err(store_err)?;
        self.inner.events.push(e);
        let cutoff = now_ms - EVENT_RETENTION_MS;
        let old: Vec<EventRec> = self
            .inner
            .events
            .iter()
            .filter(|e| e.date_ms < cutoff)
            .cloned()
            .collect();
        for e in &old {
            self.batch.delete(
                EVENTS,
                scope_key(&e.account, &e.region, "event", &event_id(e)),
            );
        }
        if !old.is_empty() {
            self.inner.events.retain(|e| e.date_ms >= cutoff);
        }
        Ok(())
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
            .scan_json::<InstanceRec>(INSTANCES, b"")
            .map_err(store_err)?
        {
            inner.instances.insert(key(&r.account, &r.region, &r.id), r);
        }
        for r in store
            .scan_json::<ClusterRec>(CLUSTERS, b"")
            .map_err(store_err)?
        {
            inner.clusters.insert(key(&r.account, &r.region, &r.id), r);
        }
        for r in store
            .scan_json::<SubnetGroupRec>(SUBNET_GROUPS, b"")
            .map_err(store_err)?
        {
            inner
                .subnet_groups
                .insert(key(&r.account, &r.region, &r.name), r);
        }
        for r in store
            .scan_json::<ParamGroupRec>(PARAM_GROUPS, b"")
            .map_err(store_err)?
        {
            inner
                .param_groups
                .insert(key(&r.account, &r.region, &r.name), r);
        }
        for r in store
            .scan_json::<OptionGroupRec>(OPTION_GROUPS, b"")
            .map_err(store_err)?
        {
            inner
                .option_groups
                .insert(key(&r.account, &r.region, &r.name), r);
        }
        for r in store
            .scan_json::<SnapshotRec>(SNAPSHOTS, b"")
            .map_err(store_err)?
        {
            inner.snapshots.insert(key(&r.account, &r.region, &r.id), r);
        }
        let mut events = store
            .scan_json::<EventRec>(EVENTS, b"")
            .map_err(store_err)?;
        events.sort_by_key(|e| (e.date_ms, e.seq));
        inner.event_seq = events.iter().map(|e| e.seq).max().unwrap_or(0);
        inner.events = events;
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
        for t in [
            INSTANCES,
            SUBNET_GROUPS,
            PARAM_GROUPS,
            OPTION_GROUPS,
            SNAPSHOTS,
            EVENTS,
            CLUSTERS,
        ] {
            self.store.clear(t).map_err(store_err)?;
        }
        *inner = Inner::default();
        Ok(())
    }
}
