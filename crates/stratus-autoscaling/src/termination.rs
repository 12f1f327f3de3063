//! Which instance a scale-in terminates: unprotected instances only, from
//! the Availability Zone with the most instances, then by the group's
//! termination policies in order, ending with the default policy.

pub const POLICY_TYPES: [&str; 7] = [
    "AllocationStrategy",
    "ClosestToNextInstanceHour",
    "Default",
    "NewestInstance",
    "OldestInstance",
    "OldestLaunchConfiguration",
    "OldestLaunchTemplate",
];

#[derive(Debug, Clone, Default)]
pub struct Candidate {
    pub id: String,
    pub az: String,
    pub launched_ms: i64,
    pub protected: bool,
    /// Launched from something other than the group's current launch
    /// template version or launch configuration.
    pub outdated: bool,
    /// Its launch configuration's creation time, if it has one.
    pub config_created_ms: Option<i64>,
    /// Its launch template version, if it has one (0 for another template).
    pub template_version: Option<i64>,
}

const HOUR: i64 = 3_600_000;

/// Keeps the candidates whose key is smallest.
fn keep_min<K: Ord>(set: Vec<&Candidate>, key: impl Fn(&Candidate) -> K) -> Vec<&Candidate> {
    let Some(best) = set.iter().map(|c| key(c)).min() else {
        return set;
    };
    set.into_iter().filter(|c| key(c) == best).collect()
}

/// The instance to terminate next, or None when every instance is protected.
pub fn choose(candidates: &[Candidate], policies: &[String], now_ms: i64) -> Option<String> {
    let unprotected: Vec<&Candidate> = candidates.iter().filter(|c| !c.protected).collect();
    if unprotected.is_empty() {
        return None;
    }
    // The zone with the most instances that still has an unprotected one.
    let count = |az: &str| candidates.iter().filter(|c| c.az == az).count();
    let most = unprotected.iter().map(|c| count(&c.az)).max().unwrap_or(0);
    let mut set: Vec<&Candidate> = unprotected
        .into_iter()
        .filter(|c| count(&c.az) == most)
        .collect();
    // Among equally loaded zones, one zone (the first by name).
    if let Some(az) = set.iter().map(|c| c.az.clone()).min() {
        set.retain(|c| c.az == az);
    }
    let mut order: Vec<&str> = policies.iter().map(String::as_str).collect();
    order.push("Default");
    for p in order {
        if set.len() <= 1 {
            break;
        }
        set = match p {
            "OldestInstance" => keep_min(set, |c| c.launched_ms),
            "NewestInstance" => keep_min(set, |c| -c.launched_ms),
            "OldestLaunchConfiguration" => {
                keep_min(set, |c| c.config_created_ms.unwrap_or(i64::MAX))
            }
            "OldestLaunchTemplate" => keep_min(set, |c| match c.template_version {
                None => (0, 0),
                Some(v) if c.outdated => (1, v),
                Some(v) => (2, v),
            }),
            "ClosestToNextInstanceHour" => {
                keep_min(set, |c| HOUR - (now_ms - c.launched_ms).rem_euclid(HOUR))
            }
            "Default" => {
                let set = keep_min(set, |c| !c.outdated);
                keep_min(set, |c| HOUR - (now_ms - c.launched_ms).rem_euclid(HOUR))
            }
            _ => set,
        };
    }
    set.iter().map(|c| c.id.clone()).min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: &str, az: &str, launched_ms: i64) -> Candidate {
        Candidate {
            id: id.into(),
            az: az.into(),
            launched_ms,
            ..Default::default()
        }
    }

    #[test]
    fn balances_zones_first() {
        let set = [c("i-1", "a", 0), c("i-2", "a", 1000), c("i-3", "b", 2000)];
        // Zone a has two; of those, i-1 is closer to its next billing hour.
        assert_eq!(choose(&set, &[], 10_000).as_deref(), Some("i-1"));
        // With one protected in the busy zone, the other one goes.
        let mut p = set.clone();
        p[0].protected = true;
        assert_eq!(choose(&p, &[], 10_000).as_deref(), Some("i-2"));
        // All protected: nothing.
        let all: Vec<Candidate> = set
            .iter()
            .cloned()
            .map(|mut x| {
                x.protected = true;
                x
            })
            .collect();
        assert_eq!(choose(&all, &[], 10_000), None);
    }

    #[test]
    fn oldest_and_newest() {
        let set = [
            c("i-1", "a", 5000),
            c("i-2", "a", 1000),
            c("i-3", "b", 9000),
            c("i-4", "b", 3000),
        ];
        assert_eq!(
            choose(&set, &["OldestInstance".into()], 10_000).as_deref(),
            Some("i-2")
        );
        assert_eq!(
            choose(&set, &["NewestInstance".into()], 10_000).as_deref(),
            Some("i-1")
        );
    }

    #[test]
    fn default_prefers_outdated_then_billing_hour() {
        let mut set = vec![c("i-1", "a", 0), c("i-2", "a", 10 * 60_000)];
        set[1].outdated = true;
        assert_eq!(choose(&set, &[], HOUR / 2).as_deref(), Some("i-2"));
        set[1].outdated = false;
        // At 50 minutes i-1 is 10 minutes from its next hour, i-2 50.
        assert_eq!(choose(&set, &[], 50 * 60_000).as_deref(), Some("i-1"));
    }

    #[test]
    fn oldest_launch_template_and_configuration() {
        let mut set = vec![c("i-1", "a", 0), c("i-2", "a", 0), c("i-3", "a", 0)];
        set[0].template_version = Some(3);
        set[1].template_version = Some(2);
        set[1].outdated = true;
        set[2].template_version = Some(3);
        assert_eq!(
            choose(&set, &["OldestLaunchTemplate".into()], 0).as_deref(),
            Some("i-2")
        );
        let mut lc = vec![c("i-1", "a", 0), c("i-2", "a", 0)];
        lc[0].config_created_ms = Some(500);
        lc[1].config_created_ms = Some(100);
        assert_eq!(
            choose(&lc, &["OldestLaunchConfiguration".into()], 0).as_deref(),
            Some("i-2")
        );
    }
}
