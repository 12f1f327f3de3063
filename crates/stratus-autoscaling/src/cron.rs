//! Scheduled actions' recurrence: five-field cron (minute, hour, day of
//! month, month, day of week) evaluated in a time zone. Zones are IANA
//! names; without a zone database we know UTC, the `Etc/GMT±N` fixed
//! offsets, common fixed-offset zones and the North American, European and
//! Australasian daylight-saving rules.

use stratus_core::time::{civil_from_days, days_from_civil};

#[derive(Debug, Clone, PartialEq)]
pub struct Cron {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    days: Vec<bool>,
    months: Vec<bool>,
    weekdays: Vec<bool>,
    any_day: bool,
    any_weekday: bool,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

fn value(s: &str, names: &[&str], base: u32) -> Option<u32> {
    if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
        return Some(i as u32 + base);
    }
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn field(text: &str, lo: u32, hi: u32, names: &[&str], base: u32) -> Option<Vec<bool>> {
    let mut set = vec![false; hi as usize + 1];
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, value(s, &[], 0).filter(|s| *s > 0)?),
            None => (part, 1),
        };
        let (a, b) = if range == "*" || range == "?" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a, names, base)?, value(b, names, base)?)
        } else {
            let a = value(range, names, base)?;
            // `5/15` runs from 5 to the end of the range.
            (a, if part.contains('/') { hi } else { a })
        };
        if a < lo || b > hi || a > b {
            return None;
        }
        let mut v = a;
        while v <= b {
            set[v as usize] = true;
            v += step;
        }
    }
    Some(set)
}

impl Cron {
    pub fn parse(expr: &str) -> Option<Cron> {
        let parts: Vec<&str> = expr.split_whitespace().collect();
        if parts.len() != 5 {
            return None;
        }
        let mut weekdays = field(parts[4], 0, 7, &DAYS, 0)?;
        if weekdays[7] {
            weekdays[0] = true;
        }
        weekdays.truncate(7);
        Some(Cron {
            minutes: field(parts[0], 0, 59, &[], 0)?,
            hours: field(parts[1], 0, 23, &[], 0)?,
            days: field(parts[2], 1, 31, &[], 0)?,
            months: field(parts[3], 1, 12, &MONTHS, 1)?,
            weekdays,
            any_day: matches!(parts[2], "*" | "?"),
            any_weekday: matches!(parts[4], "*" | "?"),
        })
    }

    fn day_matches(&self, month: u32, day: u32, weekday: u32) -> bool {
        if !self.months[month as usize] {
            return false;
        }
        let d = self.days[day as usize];
        let w = self.weekdays[weekday as usize];
        // Classic cron: when both fields are restricted either may match.
        match (self.any_day, self.any_weekday) {
            (true, true) => true,
            (true, false) => w,
            (false, true) => d,
            (false, false) => d || w,
        }
    }

    /// The first run strictly after `after_ms` (UTC epoch millis).
    pub fn next_after(&self, after_ms: i64, zone: &Zone) -> Option<i64> {
        let local_after = after_ms + zone.offset_at(after_ms) * 1000;
        let start_day = local_after.div_euclid(86_400_000);
        for day in start_day..start_day + 366 * 8 {
            let (_, m, d) = civil_from_days(day);
            let weekday = (day + 4).rem_euclid(7) as u32;
            if !self.day_matches(m, d, weekday) {
                continue;
            }
            for h in 0..24 {
                if !self.hours[h] {
                    continue;
                }
                for mi in 0..60 {
                    if !self.minutes[mi] {
                        continue;
                    }
                    let local = day * 86_400_000 + (h as i64 * 3600 + mi as i64 * 60) * 1000;
                    if local + 86_400_000 < local_after {
                        continue;
                    }
                    let utc = zone.to_utc(local);
                    if utc > after_ms {
                        return Some(utc);
                    }
                }
            }
        }
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Dst {
    Never,
    /// Second Sunday of March to the first Sunday of November, 02:00 local.
    NorthAmerica,
    /// Last Sunday of March to the last Sunday of October, 01:00 UTC.
    Europe,
    /// First Sunday of October to the first Sunday of April, 02:00 standard.
    AustraliaSouth,
    /// Last Sunday of September to the first Sunday of April.
    NewZealand,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Zone {
    /// Standard offset from UTC in seconds.
    std: i64,
    dst: Dst,
}

impl Zone {
    pub const UTC: Zone = Zone {
        std: 0,
        dst: Dst::Never,
    };

    /// The zone an IANA name stands for, if we know it.
    pub fn named(name: &str) -> Option<Zone> {
        let fixed = |h: i64, m: i64| Zone {
            std: h * 3600 + m * 60,
            dst: Dst::Never,
        };
        let rule = |h: i64, m: i64, dst| Zone {
            std: h * 3600 + m * 60,
            dst,
        };
        if let Some(rest) = name.strip_prefix("Etc/GMT") {
            if rest.is_empty() || rest == "0" || rest == "+0" || rest == "-0" {
                return Some(Zone::UTC);
            }
            let (sign, digits) = rest.split_at(1);
            let n: i64 = digits.parse().ok()?;
            // POSIX style: Etc/GMT+5 is five hours behind UTC.
            return match sign {
                "+" if n <= 12 => Some(fixed(-n, 0)),
                "-" if n <= 14 => Some(fixed(n, 0)),
                _ => None,
            };
        }
        use Dst::*;
        Some(match name {
            "UTC" | "Etc/UTC" | "GMT" | "Etc/GMT" | "Etc/UCT" | "UCT" | "Universal" | "Zulu"
            | "Etc/Universal" | "Etc/Zulu" => Zone::UTC,
            "America/New_York" | "US/Eastern" | "America/Toronto" | "America/Detroit"
            | "EST5EDT" => rule(-5, 0, NorthAmerica),
            "America/Chicago" | "US/Central" | "America/Winnipeg" | "CST6CDT" => {
                rule(-6, 0, NorthAmerica)
            }
            "America/Denver" | "US/Mountain" | "America/Edmonton" | "MST7MDT" => {
                rule(-7, 0, NorthAmerica)
            }
            "America/Los_Angeles" | "US/Pacific" | "America/Vancouver" | "PST8PDT" => {
                rule(-8, 0, NorthAmerica)
            }
            "America/Anchorage" | "US/Alaska" => rule(-9, 0, NorthAmerica),
            "America/Halifax" => rule(-4, 0, NorthAmerica),
            "America/Phoenix" | "US/Arizona" => fixed(-7, 0),
            "Pacific/Honolulu" | "US/Hawaii" => fixed(-10, 0),
            "Europe/London" | "Europe/Dublin" | "Europe/Lisbon" | "Atlantic/Canary" => {
                rule(0, 0, Europe)
            }
            "Europe/Paris" | "Europe/Berlin" | "Europe/Madrid" | "Europe/Rome"
            | "Europe/Amsterdam" | "Europe/Brussels" | "Europe/Stockholm" | "Europe/Oslo"
            | "Europe/Copenhagen" | "Europe/Vienna" | "Europe/Warsaw" | "Europe/Prague"
            | "Europe/Zurich" | "Europe/Budapest" | "Europe/Luxembourg" | "CET" => {
                rule(1, 0, Europe)
            }
            "Europe/Athens" | "Europe/Helsinki" | "Europe/Kiev" | "Europe/Kyiv"
            | "Europe/Bucharest" | "Europe/Sofia" | "Europe/Riga" | "Europe/Tallinn"
            | "Europe/Vilnius" | "EET" => rule(2, 0, Europe),
            "Europe/Moscow" | "Europe/Istanbul" | "Asia/Riyadh" | "Asia/Qatar" => fixed(3, 0),
            "Asia/Dubai" => fixed(4, 0),
            "Asia/Karachi" => fixed(5, 0),
            "Asia/Kolkata" | "Asia/Calcutta" => fixed(5, 30),
            "Asia/Dhaka" => fixed(6, 0),
            "Asia/Bangkok" | "Asia/Jakarta" | "Asia/Ho_Chi_Minh" => fixed(7, 0),
            "Asia/Shanghai" | "Asia/Hong_Kong" | "Asia/Singapore" | "Asia/Taipei"
            | "Asia/Manila" | "Asia/Kuala_Lumpur" | "Australia/Perth" => fixed(8, 0),
            "Asia/Tokyo" | "Asia/Seoul" => fixed(9, 0),
            "Australia/Darwin" => fixed(9, 30),
            "Australia/Adelaide" => rule(9, 30, AustraliaSouth),
            "Australia/Brisbane" => fixed(10, 0),
            "Australia/Sydney"
            | "Australia/Melbourne"
            | "Australia/Hobart"
            | "Australia/Canberra" => rule(10, 0, AustraliaSouth),
            "Pacific/Auckland" => rule(12, 0, NewZealand),
            "America/Sao_Paulo" | "America/Argentina/Buenos_Aires" => fixed(-3, 0),
            "America/Bogota" | "America/Lima" => fixed(-5, 0),
            "America/Mexico_City" => fixed(-6, 0),
            "Africa/Johannesburg" | "Africa/Cairo" => fixed(2, 0),
            "Africa/Lagos" => fixed(1, 0),
            "Africa/Nairobi" => fixed(3, 0),
            _ => return None,
        })
    }

    /// Seconds to add to UTC for local time at the instant `utc_ms`.
    pub fn offset_at(&self, utc_ms: i64) -> i64 {
        if self.in_dst(utc_ms) {
            self.std + 3600
        } else {
            self.std
        }
    }

    /// The UTC instant of a local wall-clock time (the later reading when
    /// the clock goes back, the shifted one when it jumps forward).
    pub fn to_utc(&self, local_ms: i64) -> i64 {
        let guess = local_ms - self.std * 1000;
        let off = self.offset_at(guess - 3_600_000);
        let utc = local_ms - off * 1000;
        if self.offset_at(utc) == off {
            utc
        } else {
            local_ms - self.offset_at(utc) * 1000
        }
    }

    fn in_dst(&self, utc_ms: i64) -> bool {
        let day = utc_ms.div_euclid(86_400_000);
        let (y, _, _) = civil_from_days(day);
        let h = 3_600_000;
        let std_ms = self.std * 1000;
        match self.dst {
            Dst::Never => false,
            Dst::NorthAmerica => {
                let start = nth_sunday(y, 3, 2) * 86_400_000 + 2 * h - std_ms;
                let end = nth_sunday(y, 11, 1) * 86_400_000 + 2 * h - std_ms - h;
                utc_ms >= start && utc_ms < end
            }
            Dst::Europe => {
                let start = last_sunday(y, 3) * 86_400_000 + h;
                let end = last_sunday(y, 10) * 86_400_000 + h;
                utc_ms >= start && utc_ms < end
            }
            Dst::AustraliaSouth => {
                let end = nth_sunday(y, 4, 1) * 86_400_000 + 3 * h - std_ms - h;
                let start = nth_sunday(y, 10, 1) * 86_400_000 + 2 * h - std_ms;
                utc_ms < end || utc_ms >= start
            }
            Dst::NewZealand => {
                let end = nth_sunday(y, 4, 1) * 86_400_000 + 3 * h - std_ms - h;
                let start = last_sunday(y, 9) * 86_400_000 + 2 * h - std_ms;
                utc_ms < end || utc_ms >= start
            }
        }
    }
}

/// Days since the epoch of the `n`th Sunday of a month.
fn nth_sunday(y: i64, m: u32, n: i64) -> i64 {
    let first = days_from_civil(y, m, 1);
    let wd = (first + 4).rem_euclid(7);
    first + (7 - wd) % 7 + (n - 1) * 7
}

fn last_sunday(y: i64, m: u32) -> i64 {
    let next = if m == 12 {
        days_from_civil(y + 1, 1, 1)
    } else {
        days_from_civil(y, m + 1, 1)
    };
    let last = next - 1;
    last - (last + 4).rem_euclid(7)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i64, mo: u32, d: u32, h: i64, mi: i64) -> i64 {
        (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60) * 1000
    }

    #[test]
    fn parses_fields_names_ranges_and_steps() {
        assert!(Cron::parse("0 9 * * MON-FRI").is_some());
        assert!(Cron::parse("*/15 0-6/2 1,15 JAN,jul 0").is_some());
        assert!(Cron::parse("0 9 * *").is_none());
        assert!(Cron::parse("60 9 * * *").is_none());
        assert!(Cron::parse("0 24 * * *").is_none());
        assert!(Cron::parse("0 9 0 * *").is_none());
        assert!(Cron::parse("0 9 * 13 *").is_none());
        assert!(Cron::parse("0 9 * * 8").is_none());
        assert!(Cron::parse("0 9 * * FOO").is_none());
        assert!(Cron::parse("5-1 * * * *").is_none());
        assert!(Cron::parse("*/0 * * * *").is_none());
    }

    #[test]
    fn next_time_in_utc() {
        let c = Cron::parse("30 8 * * *").unwrap();
        let now = at(2026, 3, 10, 9, 0);
        assert_eq!(c.next_after(now, &Zone::UTC), Some(at(2026, 3, 11, 8, 30)));
        let now = at(2026, 3, 10, 8, 0);
        assert_eq!(c.next_after(now, &Zone::UTC), Some(at(2026, 3, 10, 8, 30)));
        // Strictly after.
        let now = at(2026, 3, 10, 8, 30);
        assert_eq!(c.next_after(now, &Zone::UTC), Some(at(2026, 3, 11, 8, 30)));
        let every = Cron::parse("*/5 * * * *").unwrap();
        assert_eq!(
            every.next_after(at(2026, 1, 1, 0, 2), &Zone::UTC),
            Some(at(2026, 1, 1, 0, 5))
        );
    }

    #[test]
    fn weekdays_and_month_days() {
        // 2026-11-22 is a Sunday.
        let c = Cron::parse("0 9 * * MON-FRI").unwrap();
        assert_eq!(
            c.next_after(at(2026, 11, 21, 12, 0), &Zone::UTC),
            Some(at(2026, 11, 23, 9, 0))
        );
        let sunday = Cron::parse("0 0 * * 7").unwrap();
        assert_eq!(
            sunday.next_after(at(2026, 11, 20, 0, 0), &Zone::UTC),
            Some(at(2026, 11, 22, 0, 0))
        );
        let leap = Cron::parse("0 0 29 2 *").unwrap();
        assert_eq!(
            leap.next_after(at(2026, 1, 1, 0, 0), &Zone::UTC),
            Some(at(2028, 2, 29, 0, 0))
        );
        // Both day fields restricted: either matches.
        let either = Cron::parse("0 0 1 * MON").unwrap();
        assert_eq!(
            either.next_after(at(2026, 11, 22, 0, 0), &Zone::UTC),
            Some(at(2026, 11, 23, 0, 0))
        );
    }

    #[test]
    fn zones_and_daylight_saving() {
        let ny = Zone::named("America/New_York").unwrap();
        let c = Cron::parse("0 9 * * *").unwrap();
        // Winter: 09:00 EST is 14:00 UTC; summer: 09:00 EDT is 13:00 UTC.
        assert_eq!(
            c.next_after(at(2026, 1, 15, 0, 0), &ny),
            Some(at(2026, 1, 15, 14, 0))
        );
        assert_eq!(
            c.next_after(at(2026, 7, 15, 0, 0), &ny),
            Some(at(2026, 7, 15, 13, 0))
        );
        let berlin = Zone::named("Europe/Berlin").unwrap();
        assert_eq!(
            c.next_after(at(2026, 7, 15, 0, 0), &berlin),
            Some(at(2026, 7, 15, 7, 0))
        );
        let tokyo = Zone::named("Asia/Tokyo").unwrap();
        assert_eq!(
            c.next_after(at(2026, 7, 15, 0, 0), &tokyo),
            Some(at(2026, 7, 16, 0, 0))
        );
        let kolkata = Zone::named("Asia/Kolkata").unwrap();
        assert_eq!(
            c.next_after(at(2026, 7, 15, 0, 0), &kolkata),
            Some(at(2026, 7, 15, 3, 30))
        );
        let gmt5 = Zone::named("Etc/GMT+5").unwrap();
        assert_eq!(
            c.next_after(at(2026, 7, 15, 0, 0), &gmt5),
            Some(at(2026, 7, 15, 14, 0))
        );
        let sydney = Zone::named("Australia/Sydney").unwrap();
        // January is summer there: 09:00 AEDT is 22:00 UTC the day before.
        assert_eq!(
            c.next_after(at(2026, 1, 15, 0, 0), &sydney),
            Some(at(2026, 1, 15, 22, 0))
        );
        assert!(Zone::named("Mars/Olympus").is_none());
        assert!(Zone::named("Etc/GMT+13").is_none());
    }

    #[test]
    fn dst_boundaries() {
        let ny = Zone::named("America/New_York").unwrap();
        // 2026: DST from March 8 07:00 UTC to November 1 06:00 UTC.
        assert_eq!(ny.offset_at(at(2026, 3, 8, 6, 59)), -5 * 3600);
        assert_eq!(ny.offset_at(at(2026, 3, 8, 7, 0)), -4 * 3600);
        assert_eq!(ny.offset_at(at(2026, 11, 1, 5, 59)), -4 * 3600);
        assert_eq!(ny.offset_at(at(2026, 11, 1, 6, 0)), -5 * 3600);
        let london = Zone::named("Europe/London").unwrap();
        assert_eq!(london.offset_at(at(2026, 3, 29, 0, 59)), 0);
        assert_eq!(london.offset_at(at(2026, 3, 29, 1, 0)), 3600);
    }
}
