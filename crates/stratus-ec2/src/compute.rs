//! Instances, EBS volumes and snapshots, and the clock that moves them through
//! their lifecycles. A state is stored with the time it began; reading it
//! first settles every transition that is due, so the state a caller sees is
//! always the one the clock says, without a timer per resource.

use serde::{Deserialize, Serialize};

use crate::state::{RegionState, Tags};

/// How long an instance stays `pending` before it is `running`.
pub const PENDING_MS: i64 = 2_000;
/// How long `stopping` lasts before `stopped`.
pub const STOPPING_MS: i64 = 2_000;
/// How long `shutting-down` lasts before `terminated`.
pub const SHUTTING_DOWN_MS: i64 = 2_000;
/// Terminated instances stay visible this long, as on AWS.
pub const TERMINATED_VISIBLE_MS: i64 = 3_600_000;
/// How long a new volume is `creating` and a snapshot `pending`.
pub const VOLUME_CREATING_MS: i64 = 1_000;
pub const SNAPSHOT_PENDING_MS: i64 = 2_000;

/// AWS's instance state codes.
pub fn state_code(name: &str) -> i32 {
    match name {
        "pending" => 0,
        "running" => 16,
        "shutting-down" => 32,
        "terminated" => 48,
        "stopping" => 64,
        "stopped" => 80,
        _ => 0,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct BlockRec {
    pub device: String,
    pub volume: String,
    pub delete_on_termination: bool,
    pub attached_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct MetadataRec {
    pub http_tokens: String,
    pub hop_limit: i32,
    pub endpoint: String,
    pub tags: String,
    pub ipv6: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct InstanceRec {
    pub id: String,
    pub reservation: String,
    pub image: String,
    pub instance_type: String,
    pub key_name: Option<String>,
    pub launch_index: i32,
    pub launch_ms: i64,
    pub state: String,
    pub state_ms: i64,
    /// `State.Reason` text, and `StateReason` code/message.
    pub transition_reason: String,
    pub reason_code: Option<String>,
    pub reason_message: Option<String>,
    pub subnet: String,
    pub vpc: String,
    pub az: String,
    /// Base64 as the caller sent it.
    pub user_data: Option<String>,
    pub profile_arn: Option<String>,
    pub profile_id: Option<String>,
    pub disable_api_termination: bool,
    pub disable_api_stop: bool,
    pub shutdown_behavior: String,
    pub ebs_optimized: bool,
    pub monitoring: bool,
    pub blocks: Vec<BlockRec>,
    pub root_device: String,
    pub architecture: String,
    pub platform: Option<String>,
    pub virtualization: String,
    pub ena_support: bool,
    pub client_token: Option<String>,
    /// Whether the primary interface gets an automatic public address
    /// whenever the instance starts.
    pub auto_public_ip: bool,
    pub metadata: MetadataRec,
    pub launch_template: Option<(String, String, String)>,
    pub tenancy: String,
    /// Times the instance has entered `running` (console output, runtimes).
    pub boots: u32,
    /// The image's filesystem layers and root directory at launch; the
    /// instance keeps them if the image is deregistered.
    pub layers: Vec<String>,
    pub root_dir: Option<String>,
    pub tags: Tags,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct VolumeAttachRec {
    pub instance: String,
    pub device: String,
    pub attached_ms: i64,
    pub delete_on_termination: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct VolumeRec {
    pub id: String,
    pub size: i32,
    pub az: String,
    pub volume_type: String,
    pub iops: Option<i32>,
    pub throughput: Option<i32>,
    pub encrypted: bool,
    pub kms_key: Option<String>,
    pub snapshot: Option<String>,
    pub created_ms: i64,
    pub multi_attach: bool,
    pub attachment: Option<VolumeAttachRec>,
    /// The last ModifyVolume: (original size, type, iops, throughput, started).
    pub modification: Option<(i32, String, Option<i32>, Option<i32>, i64)>,
    pub auto_enable_io: bool,
    pub tags: Tags,
}

impl VolumeRec {
    pub fn state(&self, now: i64) -> &'static str {
        if now < self.created_ms + VOLUME_CREATING_MS && self.attachment.is_none() {
            "creating"
        } else if self.attachment.is_some() {
            "in-use"
        } else {
            "available"
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SnapshotRec {
    pub id: String,
    pub volume: String,
    pub size: i32,
    pub description: String,
    pub started_ms: i64,
    pub encrypted: bool,
    pub kms_key: Option<String>,
    /// Accounts allowed to create volumes from it; `all` makes it public.
    pub create_volume_users: Vec<String>,
    pub public: bool,
    pub tags: Tags,
}

impl SnapshotRec {
    pub fn state(&self, now: i64) -> &'static str {
        if now < self.started_ms + SNAPSHOT_PENDING_MS {
            "pending"
        } else {
            "completed"
        }
    }
}

/// A state change the clock made: (instance, from, to). The instance
/// runtime does not need them (it reconciles with the states themselves).
pub type Transition = (String, String, String);

impl RegionState {
    /// Applies every instance transition due by `now`, in order, and returns them.
    pub fn settle(&mut self, now: i64) -> Vec<Transition> {
        let mut out = Vec::new();
        if now < self.settled_until_ms {
            return out;
        }
        let mut gone = Vec::new();
        let mut next_due = i64::MAX;
        for inst in self.instances.values_mut() {
            loop {
                let (next, after) = match inst.state.as_str() {
                    "pending" => ("running", PENDING_MS),
                    "stopping" => ("stopped", STOPPING_MS),
                    "shutting-down" => ("terminated", SHUTTING_DOWN_MS),
                    "terminated" => {
                        let at = inst.state_ms + TERMINATED_VISIBLE_MS;
                        if now >= at {
                            gone.push(inst.id.clone());
                        } else {
                            next_due = next_due.min(at);
                        }
                        break;
                    }
                    _ => break,
                };
                let at = inst.state_ms + after;
                if now < at {
                    next_due = next_due.min(at);
                    break;
                }
                out.push((inst.id.clone(), inst.state.clone(), next.to_string()));
                inst.state = next.to_string();
                inst.state_ms = at;
                match next {
                    "running" => inst.boots += 1,
                    "stopped" => {
                        inst.reason_code = Some("Client.UserInitiatedShutdown".into());
                        inst.reason_message =
                            Some("Client.UserInitiatedShutdown: User initiated shutdown".into());
                    }
                    _ => {}
                }
            }
        }
        for (id, _, to) in &out {
            if to == "terminated" {
                self.release_instance(id);
            }
        }
        for id in gone {
            self.instances.remove(&id);
        }
        self.settled_until_ms = next_due;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(state: &str, at: i64) -> RegionState {
        let mut s = RegionState::default();
        s.instances.insert(
            "i-1".into(),
            InstanceRec {
                id: "i-1".into(),
                state: state.into(),
                state_ms: at,
                ..Default::default()
            },
        );
        s
    }

    #[test]
    fn pending_becomes_running_when_due() {
        let mut s = with("pending", 1000);
        assert!(s.settle(1000 + PENDING_MS - 1).is_empty());
        assert_eq!(s.instances["i-1"].state, "pending");
        let t = s.settle(1000 + PENDING_MS);
        assert_eq!(t, vec![("i-1".into(), "pending".into(), "running".into())]);
        assert_eq!(s.instances["i-1"].boots, 1);
        assert_eq!(s.instances["i-1"].state_ms, 1000 + PENDING_MS);
    }

    #[test]
    fn settling_skips_the_scan_until_a_transition_is_due() {
        let mut s = with("pending", 1000);
        s.instances.insert(
            "i-2".into(),
            InstanceRec {
                id: "i-2".into(),
                state: "running".into(),
                ..Default::default()
            },
        );
        assert!(s.settle(1000).is_empty());
        assert_eq!(s.settled_until_ms, 1000 + PENDING_MS);
        assert_eq!(s.settle(1000 + PENDING_MS).len(), 1);
        // Nothing left to move: no scan until something starts moving.
        assert_eq!(s.settled_until_ms, i64::MAX);
        assert!(s.settle(i64::MAX - 1).is_empty());
    }

    #[test]
    fn terminated_instances_leave_after_an_hour() {
        let mut s = with("shutting-down", 0);
        s.settle(SHUTTING_DOWN_MS);
        assert_eq!(s.instances["i-1"].state, "terminated");
        s.settle(SHUTTING_DOWN_MS + TERMINATED_VISIBLE_MS - 1);
        assert!(s.instances.contains_key("i-1"));
        s.settle(SHUTTING_DOWN_MS + TERMINATED_VISIBLE_MS);
        assert!(!s.instances.contains_key("i-1"));
    }

    #[test]
    fn stopping_settles_to_stopped_with_a_reason() {
        let mut s = with("stopping", 0);
        s.settle(10 * STOPPING_MS);
        let i = &s.instances["i-1"];
        assert_eq!(i.state, "stopped");
        assert_eq!(
            i.reason_code.as_deref(),
            Some("Client.UserInitiatedShutdown")
        );
    }

    #[test]
    fn codes_match_aws() {
        assert_eq!(state_code("running"), 16);
        assert_eq!(state_code("stopped"), 80);
        assert_eq!(state_code("terminated"), 48);
    }
}
