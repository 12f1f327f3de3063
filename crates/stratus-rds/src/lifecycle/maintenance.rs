//! The weekly maintenance window: changes asked for without
//! ApplyImmediately wait as PendingModifiedValues until the window after
//! them begins, then apply as a `modifying` would.

use super::Lifecycle;
use crate::names;
use crate::state::{PendingRec, Txn};

const DAY_MS: i64 = 86_400_000;
const WEEK_MS: i64 = 7 * DAY_MS;
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// When the most recent window (`ddd:hh24:mi-ddd:hh24:mi`, UTC) began, at
/// or before `now_ms`.
pub fn last_window_start(window: &str, now_ms: i64) -> Option<i64> {
    let (start, _) = window.split_once('-')?;
    let mut it = start.split(':');
    let name = it.next()?.to_ascii_lowercase();
    let day = DAYS.iter().position(|d| *d == name)? as i64;
    let h: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let days = now_ms.div_euclid(DAY_MS);
    // 1970-01-01 was a Thursday.
    let weekday = (days + 4).rem_euclid(7);
    let back = (weekday - day).rem_euclid(7);
    let candidate = (days - back) * DAY_MS + (h * 60 + m) * 60_000;
    Some(if candidate <= now_ms {
        candidate
    } else {
        candidate - WEEK_MS
    })
}

impl Lifecycle {
    /// Moves due pending changes of available instances into `modifying`.
    pub(super) fn settle_maintenance(
        &self,
        txn: &mut Txn<'_>,
        now: i64,
    ) -> Result<(), stratus_core::AwsError> {
        let due: Vec<String> = txn
            .inner
            .instances
            .iter()
            .filter(|(_, r)| r.status == "available" && !r.pending.is_empty())
            .filter(|(_, r)| {
                let since = r.pending_since_ms.unwrap_or(i64::MIN);
                last_window_start(&r.maintenance_window, now).is_some_and(|w| w > since)
            })
            .map(|(k, _)| k.clone())
            .collect();
        for k in due {
            let Some(r) = txn.inner.instances.get_mut(&k) else {
                continue;
            };
            let p = std::mem::take(&mut r.pending);
            if let Some(days) = p.backup_retention {
                r.backup_retention = days;
            }
            r.applying = PendingRec {
                backup_retention: None,
                ..p
            };
            r.pending_since_ms = None;
            r.status = "modifying".into();
            r.status_since_ms = now;
            let (account, region, id) = (r.account.clone(), r.region.clone(), r.id.clone());
            txn.put_instance(&k)?;
            let arn = names::arn(&region, &account, "db", &id);
            txn.event(
                &account,
                &region,
                "db-instance",
                &id,
                &arn,
                "Applying pending modifications in the maintenance window",
                &["maintenance"],
                now,
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_come_round_weekly() {
        // 2024-03-05T12:00:00Z was a Tuesday.
        let tue_noon = 1_709_640_000_000;
        let sun_5 = last_window_start("sun:05:00-sun:05:30", tue_noon).unwrap();
        assert_eq!(tue_noon - sun_5, 2 * DAY_MS + 7 * 3_600_000);
        let tue_13 = last_window_start("tue:13:00-tue:13:30", tue_noon).unwrap();
        assert_eq!(tue_noon - tue_13, WEEK_MS - 3_600_000);
        let tue_11 = last_window_start("Tue:11:00-tue:11:30", tue_noon).unwrap();
        assert_eq!(tue_noon - tue_11, 3_600_000);
        assert_eq!(last_window_start("xyz:11:00-tue:11:30", tue_noon), None);
    }
}
