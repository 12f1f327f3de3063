//! Target health: the checker that decides whether one check passes (today
//! from the instance's state; a data plane can plug in real HTTP/TCP checks
//! through [`HealthChecker`]) and the state machine DescribeTargetHealth
//! shows, which moves only after the group's threshold of consecutive
//! results, one check per interval on the clock.

use serde::{Deserialize, Serialize};
use stratus_core::compute::InstanceView;

pub const INITIAL: &str = "initial";
pub const HEALTHY: &str = "healthy";
pub const UNHEALTHY: &str = "unhealthy";
pub const UNUSED: &str = "unused";
pub const DRAINING: &str = "draining";
pub const UNAVAILABLE: &str = "unavailable";

pub const REGISTRATION_IN_PROGRESS: &str = "Elb.RegistrationInProgress";
pub const INITIAL_HEALTH_CHECKING: &str = "Elb.InitialHealthChecking";
pub const NOT_IN_USE: &str = "Target.NotInUse";
pub const INVALID_STATE: &str = "Target.InvalidState";
pub const DEREGISTRATION_IN_PROGRESS: &str = "Target.DeregistrationInProgress";
pub const NOT_REGISTERED: &str = "Target.NotRegistered";
pub const HEALTH_CHECK_DISABLED: &str = "Target.HealthCheckDisabled";
pub const FAILED_HEALTH_CHECKS: &str = "Target.FailedHealthChecks";
pub const TIMEOUT: &str = "Target.Timeout";
pub const RESPONSE_CODE_MISMATCH: &str = "Target.ResponseCodeMismatch";

/// AWS's description of a reason code.
pub fn description(reason: &str, detail: Option<&str>) -> String {
    match reason {
        REGISTRATION_IN_PROGRESS => "Target registration is in progress".into(),
        INITIAL_HEALTH_CHECKING => "Initial health checks in progress".into(),
        NOT_IN_USE => {
            "Target group is not configured to receive traffic from the load balancer".into()
        }
        INVALID_STATE => format!("Target is in the {} state", detail.unwrap_or("stopped")),
        DEREGISTRATION_IN_PROGRESS => "Target deregistration is in progress".into(),
        NOT_REGISTERED => "Target is not registered to the target group".into(),
        HEALTH_CHECK_DISABLED => "Health checks are disabled".into(),
        TIMEOUT => "Request timed out".into(),
        RESPONSE_CODE_MISMATCH => format!(
            "Health checks failed with these codes: [{}]",
            detail.unwrap_or("")
        ),
        _ => "Health checks failed".into(),
    }
}

/// A target's health as stored, with the counters the thresholds use.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct TargetHealthRec {
    pub state: String,
    pub reason: Option<String>,
    /// Extra text for the description (an instance state, response codes).
    pub detail: Option<String>,
    pub passes: i32,
    pub fails: i32,
    /// When the next check is due (epoch millis).
    pub next_check_ms: i64,
    /// Draining targets leave the group at this time.
    pub drain_until_ms: Option<i64>,
    /// Deregistered because the instance terminated: shown only when asked
    /// for by id, as AWS does.
    pub hidden: bool,
    /// When the target last became healthy (slow start counts from here).
    pub healthy_since_ms: Option<i64>,
}

impl TargetHealthRec {
    /// A target that starts being checked at `now_ms`.
    pub fn initial(now_ms: i64, interval_s: i32) -> Self {
        TargetHealthRec {
            state: INITIAL.into(),
            reason: Some(REGISTRATION_IN_PROGRESS.into()),
            next_check_ms: now_ms + i64::from(interval_s) * 1000,
            ..Default::default()
        }
    }

    pub fn unused(reason: &str, detail: Option<&str>) -> Self {
        TargetHealthRec {
            state: UNUSED.into(),
            reason: Some(reason.into()),
            detail: detail.map(str::to_string),
            ..Default::default()
        }
    }

    pub fn unavailable() -> Self {
        TargetHealthRec {
            state: UNAVAILABLE.into(),
            reason: Some(HEALTH_CHECK_DISABLED.into()),
            ..Default::default()
        }
    }

    pub fn draining(until_ms: i64, hidden: bool) -> Self {
        TargetHealthRec {
            state: DRAINING.into(),
            reason: Some(DEREGISTRATION_IN_PROGRESS.into()),
            drain_until_ms: Some(until_ms),
            hidden,
            ..Default::default()
        }
    }

    /// Whether periodic checks apply to the target in this state.
    pub fn checked(&self) -> bool {
        matches!(self.state.as_str(), INITIAL | HEALTHY | UNHEALTHY)
    }

    pub fn description(&self) -> Option<String> {
        self.reason
            .as_deref()
            .map(|r| description(r, self.detail.as_deref()))
    }
}

/// The result of one health check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// The target did not answer within the timeout.
    Timeout,
    /// The target answered with a code the matcher does not accept.
    CodeMismatch(String),
    /// Any other failure (refused connection, TCP reset).
    Failed,
    /// No check was possible yet (the instance is still starting).
    Skip,
}

/// Applies `n` consecutive identical results to a target being checked.
/// Returns whether the shown state or reason changed.
pub fn apply(
    h: &mut TargetHealthRec,
    outcome: &Outcome,
    n: i32,
    healthy: i32,
    unhealthy: i32,
) -> bool {
    if !h.checked() || n <= 0 || *outcome == Outcome::Skip {
        return false;
    }
    let before = (h.state.clone(), h.reason.clone(), h.detail.clone());
    if *outcome == Outcome::Pass {
        h.passes = h.passes.saturating_add(n);
        h.fails = 0;
        if h.state != HEALTHY {
            if h.passes >= healthy {
                h.state = HEALTHY.into();
                h.reason = None;
                h.detail = None;
            } else if h.state == INITIAL {
                h.reason = Some(INITIAL_HEALTH_CHECKING.into());
            }
        }
    } else {
        h.fails = h.fails.saturating_add(n);
        h.passes = 0;
        let (reason, detail) = match outcome {
            Outcome::Timeout => (TIMEOUT, None),
            Outcome::CodeMismatch(c) => (RESPONSE_CODE_MISMATCH, Some(c.clone())),
            _ => (FAILED_HEALTH_CHECKS, None),
        };
        if h.fails >= unhealthy {
            h.state = UNHEALTHY.into();
            h.reason = Some(reason.into());
            h.detail = detail;
        } else if h.state == INITIAL {
            h.reason = Some(INITIAL_HEALTH_CHECKING.into());
        }
    }
    before != (h.state.clone(), h.reason.clone(), h.detail.clone())
}

/// How many checks fall due by `now_ms` for a target whose next check is at
/// `next_ms`, and when the one after them is.
pub fn due_checks(next_ms: i64, now_ms: i64, interval_s: i32) -> (i32, i64) {
    if now_ms < next_ms {
        return (0, next_ms);
    }
    let step = i64::from(interval_s.max(1)) * 1000;
    let n = (now_ms - next_ms) / step + 1;
    (n.min(i64::from(i32::MAX)) as i32, next_ms + n * step)
}

/// One check a checker is asked to run.
#[derive(Debug, Clone)]
pub struct Probe {
    pub target_group_arn: String,
    /// `instance`, `ip`, `lambda` or `alb`.
    pub target_type: String,
    pub target_id: String,
    /// The instance behind an instance target, as EC2 shows it now.
    pub instance: Option<InstanceView>,
    /// The address to connect to: the instance's private IP or the ip target.
    pub address: Option<String>,
    /// The VPC the address is in (the group's, or the instance's).
    pub vpc_id: Option<String>,
    /// The resolved health check port.
    pub port: Option<i32>,
    pub protocol: String,
    pub path: Option<String>,
    /// Accepted HTTP (or gRPC) codes, as the group's matcher says them.
    pub matcher: Option<String>,
    pub timeout_s: i32,
}

/// Decides single health checks. Implementations may be slow (real network
/// checks): `check_all` gets every check due in one pass, so one can run
/// them concurrently.
pub trait HealthChecker: Send + Sync + 'static {
    fn check(&self, probe: &Probe) -> Outcome;

    fn check_all(&self, probes: &[Probe]) -> Vec<Outcome> {
        probes.iter().map(|p| self.check(p)).collect()
    }
}

/// Today's checker: an instance passes while it runs; a stopping one does
/// not answer; a starting one is not checked yet. Other targets pass.
pub struct InstanceStateChecker;

impl HealthChecker for InstanceStateChecker {
    fn check(&self, probe: &Probe) -> Outcome {
        match &probe.instance {
            Some(i) => match i.state.as_str() {
                "running" => Outcome::Pass,
                "pending" => Outcome::Skip,
                _ => Outcome::Timeout,
            },
            None if probe.target_type == "instance" => Outcome::Timeout,
            None => Outcome::Pass,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> TargetHealthRec {
        TargetHealthRec::initial(0, 30)
    }

    #[test]
    fn registration_then_initial_checks_then_healthy_at_the_threshold() {
        let mut h = fresh();
        assert_eq!(h.state, INITIAL);
        assert_eq!(h.reason.as_deref(), Some(REGISTRATION_IN_PROGRESS));
        assert_eq!(h.next_check_ms, 30_000);
        assert!(apply(&mut h, &Outcome::Pass, 1, 5, 2));
        assert_eq!(
            (h.state.as_str(), h.reason.as_deref()),
            (INITIAL, Some(INITIAL_HEALTH_CHECKING))
        );
        assert!(!apply(&mut h, &Outcome::Pass, 3, 5, 2));
        assert_eq!(h.state, INITIAL);
        assert!(apply(&mut h, &Outcome::Pass, 1, 5, 2));
        assert_eq!((h.state.as_str(), h.reason.as_deref()), (HEALTHY, None));
    }

    #[test]
    fn failures_below_the_threshold_keep_a_healthy_target_healthy() {
        let mut h = fresh();
        apply(&mut h, &Outcome::Pass, 5, 5, 3);
        assert_eq!(h.state, HEALTHY);
        assert!(!apply(&mut h, &Outcome::Timeout, 2, 5, 3));
        assert_eq!(h.state, HEALTHY);
        // A pass resets the failure streak.
        apply(&mut h, &Outcome::Pass, 1, 5, 3);
        assert!(!apply(&mut h, &Outcome::Timeout, 2, 5, 3));
        assert!(apply(&mut h, &Outcome::Timeout, 1, 5, 3));
        assert_eq!(
            (h.state.as_str(), h.reason.as_deref()),
            (UNHEALTHY, Some(TIMEOUT))
        );
        assert_eq!(h.description().as_deref(), Some("Request timed out"));
    }

    #[test]
    fn unhealthy_recovers_after_the_healthy_threshold() {
        let mut h = fresh();
        apply(&mut h, &Outcome::CodeMismatch("404".into()), 2, 3, 2);
        assert_eq!(h.state, UNHEALTHY);
        assert_eq!(
            h.description().as_deref(),
            Some("Health checks failed with these codes: [404]")
        );
        apply(&mut h, &Outcome::Pass, 2, 3, 2);
        assert_eq!(h.state, UNHEALTHY);
        apply(&mut h, &Outcome::Pass, 1, 3, 2);
        assert_eq!(h.state, HEALTHY);
    }

    #[test]
    fn skipped_checks_and_unchecked_states_do_not_move() {
        let mut h = fresh();
        assert!(!apply(&mut h, &Outcome::Skip, 4, 2, 2));
        assert_eq!(h.reason.as_deref(), Some(REGISTRATION_IN_PROGRESS));
        let mut u = TargetHealthRec::unused(NOT_IN_USE, None);
        assert!(!apply(&mut u, &Outcome::Pass, 9, 2, 2));
        assert_eq!(u.state, UNUSED);
        let mut d = TargetHealthRec::draining(10, false);
        assert!(!apply(&mut d, &Outcome::Failed, 9, 2, 2));
        assert_eq!(d.state, DRAINING);
    }

    #[test]
    fn checks_fall_due_once_per_interval() {
        assert_eq!(due_checks(30_000, 29_999, 30), (0, 30_000));
        assert_eq!(due_checks(30_000, 30_000, 30), (1, 60_000));
        assert_eq!(due_checks(30_000, 95_000, 30), (3, 120_000));
    }

    #[test]
    fn the_instance_checker_follows_the_instance_state() {
        let probe = |state: &str| Probe {
            target_group_arn: "tg".into(),
            target_type: "instance".into(),
            target_id: "i-1".into(),
            instance: Some(InstanceView {
                id: "i-1".into(),
                state: state.into(),
                ..Default::default()
            }),
            address: None,
            vpc_id: None,
            port: Some(80),
            protocol: "HTTP".into(),
            path: Some("/".into()),
            matcher: Some("200".into()),
            timeout_s: 5,
        };
        let c = InstanceStateChecker;
        assert_eq!(c.check(&probe("running")), Outcome::Pass);
        assert_eq!(c.check(&probe("pending")), Outcome::Skip);
        assert_eq!(c.check(&probe("stopping")), Outcome::Timeout);
        assert_eq!(
            description(INVALID_STATE, Some("stopped")),
            "Target is in the stopped state"
        );
    }
}
