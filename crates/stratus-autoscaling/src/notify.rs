//! Messages Auto Scaling sends: group notifications to SNS topics (launch,
//! terminate, their errors, the test notification) and lifecycle hook
//! messages to topics or queues, in AWS's JSON layout. They are gathered
//! while the state is locked and sent after.

use serde_json::json;
use stratus_core::RequestContext;
use stratus_core::delivery::QueueMessage;

use crate::AutoScaling;
use crate::state::{Activity, Group};

pub const LAUNCH: &str = "autoscaling:EC2_INSTANCE_LAUNCH";
pub const LAUNCH_ERROR: &str = "autoscaling:EC2_INSTANCE_LAUNCH_ERROR";
pub const TERMINATE: &str = "autoscaling:EC2_INSTANCE_TERMINATE";
pub const TERMINATE_ERROR: &str = "autoscaling:EC2_INSTANCE_TERMINATE_ERROR";
pub const TEST: &str = "autoscaling:TEST_NOTIFICATION";

pub const TYPES: [&str; 5] = [LAUNCH, LAUNCH_ERROR, TERMINATE, TERMINATE_ERROR, TEST];

pub struct Outgoing {
    pub target: String,
    pub subject: String,
    pub message: String,
}

pub type Outbox = Vec<Outgoing>;

fn millis(ms: i64) -> String {
    stratus_core::time::iso8601_millis(ms)
}

/// A launch or termination (or its failure) to every topic that asked for it.
pub fn activity(
    out: &mut Outbox,
    account: &str,
    g: &Group,
    event: &str,
    a: &Activity,
    instance_id: &str,
    now_ms: i64,
) {
    let subject = match event {
        LAUNCH => format!("Auto Scaling: launch for group \"{}\"", g.name),
        LAUNCH_ERROR => format!("Auto Scaling: failed launch for group \"{}\"", g.name),
        TERMINATE => format!("Auto Scaling: termination for group \"{}\"", g.name),
        _ => format!("Auto Scaling: failed termination for group \"{}\"", g.name),
    };
    let details: serde_json::Value = serde_json::from_str(&a.details).unwrap_or_else(|_| json!({}));
    let msg = json!({
        "Progress": a.progress,
        "AccountId": account,
        "Description": a.description,
        "RequestId": a.id,
        "EndTime": millis(a.end_ms.unwrap_or(now_ms)),
        "AutoScalingGroupARN": g.arn,
        "ActivityId": a.id,
        "StartTime": millis(a.start_ms),
        "Service": "AWS Auto Scaling",
        "Time": millis(now_ms),
        "EC2InstanceId": instance_id,
        "StatusCode": a.status,
        "StatusMessage": a.status_message.clone().unwrap_or_default(),
        "Details": details,
        "AutoScalingGroupName": g.name,
        "Cause": a.cause,
        "Event": event,
    });
    for (topic, types) in &g.notifications {
        if types.iter().any(|t| t == event) {
            out.push(Outgoing {
                target: topic.clone(),
                subject: subject.clone(),
                message: msg.to_string(),
            });
        }
    }
}

/// What AWS sends when a notification configuration or hook target is set.
pub fn test_message(account: &str, g: &Group, now_ms: i64) -> String {
    json!({
        "AccountId": account,
        "RequestId": stratus_core::ids::uuid_v4(),
        "AutoScalingGroupARN": g.arn,
        "AutoScalingGroupName": g.name,
        "Service": "AWS Auto Scaling",
        "Event": TEST,
        "Time": millis(now_ms),
    })
    .to_string()
}

pub fn test_subject(g: &Group) -> String {
    format!("Auto Scaling: test notification for group \"{}\"", g.name)
}

#[allow(clippy::too_many_arguments)]
pub fn hook_message(
    account: &str,
    g: &Group,
    hook: &str,
    transition: &str,
    token: &str,
    instance_id: &str,
    metadata: Option<&str>,
    now_ms: i64,
) -> String {
    let (origin, destination) = if transition.ends_with("LAUNCHING") {
        ("EC2", "AutoScalingGroup")
    } else {
        ("AutoScalingGroup", "EC2")
    };
    let mut m = json!({
        "Origin": origin,
        "Destination": destination,
        "Service": "AWS Auto Scaling",
        "Time": millis(now_ms),
        "RequestId": stratus_core::ids::uuid_v4(),
        "LifecycleActionToken": token,
        "AccountId": account,
        "AutoScalingGroupName": g.name,
        "LifecycleHookName": hook,
        "EC2InstanceId": instance_id,
        "LifecycleTransition": transition,
    });
    if let Some(md) = metadata {
        m["NotificationMetadata"] = json!(md);
    }
    m.to_string()
}

pub fn hook_subject(g: &Group, transition: &str) -> String {
    let what = if transition.ends_with("LAUNCHING") {
        "launching"
    } else {
        "terminating"
    };
    format!(
        "Auto Scaling:  Lifecycle action '{}' for instance in group \"{}\"",
        what.to_uppercase(),
        g.name
    )
}

/// Sends gathered messages: topics through SNS, queues through SQS. A
/// target that no longer exists is logged, as AWS drops such messages.
pub fn send(asg: &AutoScaling, account: &str, region: &str, out: Outbox) {
    for o in out {
        let res = if o.target.starts_with("arn:aws:sqs:") {
            match &asg.queues {
                Some(q) => q
                    .send(
                        &o.target,
                        QueueMessage {
                            body: o.message,
                            sender_id: account.to_string(),
                            now_ms: asg.clock.now_millis(),
                            ..Default::default()
                        },
                    )
                    .map(|_| ()),
                None => Ok(()),
            }
        } else {
            match &asg.topics {
                Some(t) => {
                    let ctx = RequestContext::on_behalf(
                        "autoscaling",
                        "Notify",
                        account,
                        region,
                        &asg.clock,
                    );
                    t.publish(&ctx, None, &o.target, &o.subject, o.message)
                        .map(|_| ())
                }
                None => Ok(()),
            }
        };
        if let Err(e) = res {
            tracing::warn!(target = %o.target, error = %e.message, "autoscaling: notification not delivered");
        }
    }
}

/// Whether a notification target exists now (unknown when not wired).
pub fn target_exists(asg: &AutoScaling, arn: &str) -> bool {
    if arn.starts_with("arn:aws:sqs:") {
        asg.queues.as_ref().is_none_or(|q| q.exists(arn))
    } else {
        asg.topics.as_ref().is_none_or(|t| t.exists(arn))
    }
}
