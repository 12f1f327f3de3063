//! Automated backups: a snapshot right after an instance is created, then
//! one a day in its backup window, each kept for the backup retention
//! period. Named `rds:ID-YYYY-MM-DD-HH-MM` as AWS names them.

use stratus_core::time::civil_from_days;

use super::{Lifecycle, takes_backups};
use crate::names;
use crate::ops::snapshots::new_snapshot;
use crate::state::{InstanceRec, Txn};

const DAY_MS: i64 = 86_400_000;

pub fn automated_id(instance: &str, at_ms: i64) -> String {
    let days = at_ms.div_euclid(DAY_MS);
    let (y, m, d) = civil_from_days(days);
    let minute = at_ms.rem_euclid(DAY_MS) / 60_000;
    format!(
        "rds:{instance}-{y:04}-{m:02}-{d:02}-{:02}-{:02}",
        minute / 60,
        minute % 60
    )
}

/// When the most recent backup window (`hh24:mi-hh24:mi`, UTC) began, at
/// or before `now_ms`.
pub fn last_window_start(window: &str, now_ms: i64) -> Option<i64> {
    let (start, _) = window.split_once('-')?;
    let (h, m) = start.split_once(':')?;
    let offset = (h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?) * 60_000;
    let today = now_ms.div_euclid(DAY_MS) * DAY_MS + offset;
    Some(if today <= now_ms {
        today
    } else {
        today - DAY_MS
    })
}

pub fn retention_cutoff(now_ms: i64, days: i32) -> i64 {
    now_ms - i64::from(days) * DAY_MS
}

impl Lifecycle {
    /// Takes the day's automated snapshot of instances whose backup window
    /// has begun, and drops those past their retention.
    pub(super) fn settle_backups(
        &self,
        txn: &mut Txn<'_>,
        now: i64,
    ) -> Result<(), stratus_core::AwsError> {
        let keys: Vec<String> = txn.inner.instances.keys().cloned().collect();
        for k in keys {
            let Some(rec) = txn.inner.instances.get(&k).cloned() else {
                continue;
            };
            let cutoff =
                (rec.backup_retention > 0).then(|| retention_cutoff(now, rec.backup_retention));
            self.drop_automated(txn, &rec, Some(cutoff.unwrap_or(i64::MAX)));
            if rec.status != "available" || !takes_backups(&rec) {
                continue;
            }
            let last = txn
                .inner
                .snapshots
                .values()
                .filter(|s| s.resource_id == rec.resource_id && s.kind == "automated")
                .map(|s| s.created_ms)
                .max()
                .unwrap_or(rec.created_ms);
            let Some(window) = last_window_start(&rec.backup_window, now) else {
                continue;
            };
            let id = automated_id(&rec.id, window);
            let taken = txn.inner.snapshots.contains_key(&crate::state::key(
                &rec.account,
                &rec.region,
                &id,
            ));
            if window <= last || taken {
                continue;
            }
            new_snapshot(txn, &rec, &id, Vec::new(), "automated", now)?;
            if let Some(r) = txn.inner.instances.get_mut(&k) {
                r.status = "backing-up".into();
                r.status_since_ms = now;
            }
            txn.put_instance(&k)?;
            let arn = names::arn(&rec.region, &rec.account, "db", &rec.id);
            txn.event(
                &rec.account,
                &rec.region,
                "db-instance",
                &rec.id,
                &arn,
                "Backing up DB instance",
                &["backup"],
                now,
            )?;
        }
        Ok(())
    }

    /// Removes an instance's automated snapshots taken before `before`
    /// (all of them when None), with their copies.
    pub(super) fn drop_automated(&self, txn: &mut Txn<'_>, rec: &InstanceRec, before: Option<i64>) {
        let old: Vec<String> = txn
            .inner
            .snapshots
            .iter()
            .filter(|(_, s)| {
                s.resource_id == rec.resource_id
                    && s.kind == "automated"
                    && s.status != "creating"
                    && before.is_none_or(|b| s.created_ms < b)
            })
            .map(|(sk, _)| sk.clone())
            .collect();
        for sk in old {
            if let Some(s) = txn.delete_snapshot(&sk) {
                self.supervisor.remove_snapshot_files(&s.dir);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_aws() {
        // 2024-03-05T07:08:00Z
        assert_eq!(
            automated_id("mydb", 1_709_622_480_000),
            "rds:mydb-2024-03-05-07-08"
        );
    }

    #[test]
    fn windows_start_today_or_yesterday() {
        let day = 1_709_596_800_000; // 2024-03-05T00:00:00Z
        let at_noon = day + 12 * 3_600_000;
        assert_eq!(
            last_window_start("03:00-03:30", at_noon),
            Some(day + 3 * 3_600_000)
        );
        assert_eq!(
            last_window_start("13:15-13:45", at_noon),
            Some(day - DAY_MS + (13 * 60 + 15) * 60_000)
        );
        assert_eq!(last_window_start("bogus", at_noon), None);
    }
}
