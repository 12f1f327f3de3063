//! Reading the servers' change logs for point-in-time restores: where a
//! backup starts in them, and where to stop replaying them.

use stratus_core::time::{iso8601, parse_iso8601};

/// The WAL segment a PostgreSQL base backup starts in, from its
/// `backup_label` (`START WAL LOCATION: 0/2000028 (file 000000010000000000000002)`).
pub fn wal_start_segment(backup_label: &str) -> Option<String> {
    let line = backup_label
        .lines()
        .find(|l| l.starts_with("START WAL LOCATION:"))?;
    let (_, rest) = line.split_once("(file ")?;
    let name = rest.trim_end_matches(')').trim();
    is_wal_segment(name).then(|| name.to_string())
}

/// Where a PostgreSQL base backup starts replaying WAL: the LSN of its
/// `START WAL LOCATION` (`0/2000028`).
pub fn wal_start_lsn(backup_label: &str) -> Option<String> {
    let line = backup_label
        .lines()
        .find(|l| l.starts_with("START WAL LOCATION:"))?;
    let lsn = line.split_whitespace().nth(3)?;
    lsn.contains('/').then(|| lsn.to_string())
}

/// A WAL segment's file name: 24 hexadecimal digits.
pub fn is_wal_segment(name: &str) -> bool {
    name.len() == 24 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The first transaction end (commit or abort) after `until_us` in
/// `pg_waldump -r Transaction` output (run with `TZ=UTC`): recovery stops
/// just before it. None when the log holds no later transaction, so every
/// change it holds is kept.
pub fn first_transaction_after(waldump: &str, until_us: i64) -> Option<String> {
    for line in waldump.lines() {
        let Some((_, desc)) = line.split_once("desc: ") else {
            continue;
        };
        let Some(when) = desc
            .strip_prefix("COMMIT ")
            .or_else(|| desc.strip_prefix("ABORT "))
        else {
            continue;
        };
        let Some(at) = waldump_time_us(when) else {
            continue;
        };
        if at <= until_us {
            continue;
        }
        let lsn = line
            .split_once("lsn: ")?
            .1
            .split(|c: char| c == ',' || c.is_whitespace())
            .next()?;
        return Some(lsn.to_string());
    }
    None
}

/// `2026-11-22 23:40:01.123456 UTC...` in microseconds since the epoch.
fn waldump_time_us(s: &str) -> Option<i64> {
    let mut it = s.split_whitespace();
    let date = it.next()?;
    let time = it.next()?;
    if it.next()?.trim_end_matches(';') != "UTC" {
        return None;
    }
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let secs_ms = parse_iso8601(&format!("{date}T{hms}Z"))?;
    let mut f = frac.to_string();
    if !f.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    f.truncate(6);
    while f.len() < 6 {
        f.push('0');
    }
    Some(secs_ms * 1000 + f.parse::<i64>().ok()?)
}

/// The binary log coordinates a MariaDB dump taken with `--master-data=2`
/// starts at: `-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000002', MASTER_LOG_POS=344;`.
pub fn binlog_start(dump: &str) -> Option<(String, u64)> {
    let line = dump
        .lines()
        .take(200)
        .find(|l| l.contains("CHANGE MASTER TO MASTER_LOG_FILE="))?;
    let (_, rest) = line.split_once("MASTER_LOG_FILE='")?;
    let (file, rest) = rest.split_once('\'')?;
    let (_, rest) = rest.split_once("MASTER_LOG_POS=")?;
    let pos: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((file.to_string(), pos.parse().ok()?))
}

/// The binary logs from `first` on, in order, among a data directory's
/// file names (`mysql-bin.000001`; the index file left out).
pub fn binlogs_from(names: &[String], first: &str) -> Vec<String> {
    let mut logs: Vec<String> = names
        .iter()
        .filter(|n| {
            n.strip_prefix("mysql-bin.")
                .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        })
        .filter(|n| n.as_str() >= first)
        .cloned()
        .collect();
    logs.sort();
    logs
}

/// `mariadb-binlog --stop-datetime` for keeping every event up to the
/// second of `until_ms` (run with `TZ=UTC`): events carry whole seconds.
pub fn binlog_stop_datetime(until_ms: i64) -> String {
    let next_second = until_ms.div_euclid(1000) * 1000 + 1000;
    iso8601(next_second).trim_end_matches('Z').replace('T', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_backups_name_their_first_segment() {
        let label = "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n\
                     CHECKPOINT LOCATION: 0/2000060\n";
        assert_eq!(
            wal_start_segment(label).as_deref(),
            Some("000000010000000000000002")
        );
        assert_eq!(wal_start_segment("nothing here"), None);
        assert_eq!(wal_start_lsn(label).as_deref(), Some("0/2000028"));
        assert_eq!(wal_start_lsn("nothing here"), None);
    }

    #[test]
    fn recovery_stops_before_the_first_later_transaction() {
        let dump = "\
rmgr: Transaction len (rec/tot):     34/    34, tx:        735, lsn: 0/0153A0F8, prev 0/0153A0C0, desc: COMMIT 2026-11-22 23:40:01.500000 UTC
rmgr: Transaction len (rec/tot):     34/    34, tx:        736, lsn: 0/0153A1F8, prev 0/0153A1C0, desc: ABORT 2026-11-22 23:40:02.250000 UTC
rmgr: Transaction len (rec/tot):    194/   194, tx:        737, lsn: 0/0153A2F8, prev 0/0153A2C0, desc: COMMIT 2026-11-22 23:40:03.000001 UTC; inval msgs: catcache 7
";
        let t = |s: &str| parse_iso8601(s).unwrap() * 1000;
        assert_eq!(
            first_transaction_after(dump, t("2026-11-22T23:40:01Z")).as_deref(),
            Some("0/0153A0F8")
        );
        assert_eq!(
            first_transaction_after(dump, t("2026-11-22T23:40:02Z")).as_deref(),
            Some("0/0153A1F8")
        );
        // Microseconds count: .000001 is after :03.
        assert_eq!(
            first_transaction_after(dump, t("2026-11-22T23:40:03Z")).as_deref(),
            Some("0/0153A2F8")
        );
        assert_eq!(
            first_transaction_after(dump, t("2026-11-22T23:40:04Z")),
            None
        );
    }

    #[test]
    fn dumps_name_their_binlog_coordinates() {
        let dump = "-- MariaDB dump\n--\n-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000003', MASTER_LOG_POS=1234;\n";
        assert_eq!(
            binlog_start(dump),
            Some(("mysql-bin.000003".to_string(), 1234))
        );
        assert_eq!(binlog_start("-- no coordinates\n"), None);
    }

    #[test]
    fn binlogs_are_replayed_from_the_backups_file_on() {
        let names: Vec<String> = [
            "mysql-bin.000003",
            "mysql-bin.index",
            "mysql-bin.000001",
            "ibdata1",
            "mysql-bin.000002",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            binlogs_from(&names, "mysql-bin.000002"),
            vec!["mysql-bin.000002", "mysql-bin.000003"]
        );
    }

    #[test]
    fn binlog_replay_keeps_the_whole_second() {
        let at = parse_iso8601("2026-11-22T23:40:01.400Z").unwrap();
        assert_eq!(binlog_stop_datetime(at), "2026-11-22 23:40:02");
    }
}
