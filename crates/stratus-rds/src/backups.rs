//! Automated backups: a snapshot right after an instance is created, then
//! one a day in its backup window, each kept for the backup retention
//! period. Named `rds:ID-YYYY-MM-DD-HH-MM` as AWS names them.

use stratus_core::time::civil_from_days;

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
