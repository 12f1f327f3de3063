//! The timestamp formats AWS puts on the wire, without a date library.

/// Days since 1970-01-01 for a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The proleptic Gregorian (year, month, day) of a day since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

struct Parts {
    y: i64,
    mo: u32,
    d: u32,
    h: i64,
    mi: i64,
    s: i64,
    ms: i64,
    wd: usize,
}

fn parts(epoch_ms: i64) -> Parts {
    let secs = epoch_ms.div_euclid(1000);
    let ms = epoch_ms.rem_euclid(1000);
    let days = secs.div_euclid(86400);
    let sod = secs.rem_euclid(86400);
    let (y, mo, d) = civil_from_days(days);
    Parts {
        y,
        mo,
        d,
        h: sod / 3600,
        mi: (sod % 3600) / 60,
        s: sod % 60,
        ms,
        wd: (days + 4).rem_euclid(7) as usize,
    }
}

/// `2024-01-02T03:04:05Z`, or with `.123` when the time has milliseconds.
pub fn iso8601(epoch_ms: i64) -> String {
    let mut out = String::with_capacity(24);
    write_iso8601(&mut out, epoch_ms);
    out
}

/// [`iso8601`] appended to `out`: responses that list many resources write
/// a timestamp for each, and formatting machinery would be most of it.
pub fn write_iso8601(out: &mut String, epoch_ms: i64) {
    let p = parts(epoch_ms);
    if !(0..=9999).contains(&p.y) {
        // Outside four digits: the general formatter handles signs and widths.
        out.push_str(&format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            p.y, p.mo, p.d, p.h, p.mi, p.s
        ));
    } else {
        let mut b = *b"0000-00-00T00:00:00";
        let mut put = |at: usize, width: usize, mut v: i64| {
            for i in (at..at + width).rev() {
                b[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, 4, p.y);
        put(5, 2, p.mo as i64);
        put(8, 2, p.d as i64);
        put(11, 2, p.h);
        put(14, 2, p.mi);
        put(17, 2, p.s);
        out.push_str(std::str::from_utf8(&b).unwrap_or_default());
    }
    if p.ms != 0 {
        let ms = p.ms as u32;
        out.push('.');
        out.push(char::from(b'0' + (ms / 100) as u8));
        out.push(char::from(b'0' + (ms / 10 % 10) as u8));
        out.push(char::from(b'0' + (ms % 10) as u8));
    }
    out.push('Z');
}

/// Always with milliseconds: `2024-01-02T03:04:05.000Z` (EC2 and S3 style).
pub fn iso8601_millis(epoch_ms: i64) -> String {
    let p = parts(epoch_ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        p.y, p.mo, p.d, p.h, p.mi, p.s, p.ms
    )
}

/// RFC 7231 date: `Tue, 02 Jan 2024 03:04:05 GMT`.
pub fn http_date(epoch_ms: i64) -> String {
    const WD: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MO: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let p = parts(epoch_ms);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        WD[p.wd],
        p.d,
        MO[p.mo as usize - 1],
        p.y,
        p.h,
        p.mi,
        p.s
    )
}

/// `20240102T030405Z`, the SigV4 `X-Amz-Date` form.
pub fn amz_date(epoch_ms: i64) -> String {
    let p = parts(epoch_ms);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        p.y, p.mo, p.d, p.h, p.mi, p.s
    )
}

fn num(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses ISO 8601 / RFC 3339 (`2024-01-02T03:04:05.123Z`, offsets allowed,
/// `20240102T030405Z` too) into epoch milliseconds.
pub fn parse_iso8601(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, rest) = s.split_at_checked(s.find(['T', 't', ' '])?)?;
    let rest = &rest[1..];
    let (y, mo, d) = if date.len() == 8 && !date.contains('-') {
        (num(&date[0..4])?, num(&date[4..6])?, num(&date[6..8])?)
    } else {
        let mut it = date.split('-');
        let y = num(it.next()?)?;
        let mo = num(it.next()?)?;
        let d = num(it.next()?)?;
        if it.next().is_some() {
            return None;
        }
        (y, mo, d)
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    // Split the zone off the time.
    let zpos = rest.find(['Z', 'z', '+', '-']);
    let (time, zone) = match zpos {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (hms, frac) = match time.find('.') {
        Some(i) => (&time[..i], &time[i + 1..]),
        None => (time, ""),
    };
    let (h, mi, sec) = if hms.contains(':') {
        let mut it = hms.split(':');
        let h = num(it.next()?)?;
        let mi = num(it.next()?)?;
        let sec = match it.next() {
            Some(x) => num(x)?,
            None => 0,
        };
        (h, mi, sec)
    } else if hms.len() == 6 {
        (num(&hms[0..2])?, num(&hms[2..4])?, num(&hms[4..6])?)
    } else {
        return None;
    };
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let ms = if frac.is_empty() {
        0
    } else {
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut f = frac.to_string();
        f.truncate(3);
        while f.len() < 3 {
            f.push('0');
        }
        f.parse::<i64>().ok()?
    };
    let offset_min = match zone {
        "" | "Z" | "z" => 0,
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let body = z[1..].replace(':', "");
            if body.len() != 4 {
                return None;
            }
            sign * (num(&body[0..2])? * 60 + num(&body[2..4])?)
        }
    };
    let days = days_from_civil(y, mo as u32, d as u32);
    Some(((days * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60) * 1000) + ms)
}

/// Parses an RFC 7231 HTTP date (`Tue, 02 Jan 2024 03:04:05 GMT`).
pub fn parse_http_date(s: &str) -> Option<i64> {
    const MO: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let s = s.trim();
    let s = s.split_once(", ").map(|x| x.1).unwrap_or(s);
    let mut it = s.split_whitespace();
    let d = num(it.next()?)?;
    let mon = it.next()?;
    let mo = MO.iter().position(|m| *m == mon)? as u32 + 1;
    let y = num(it.next()?)?;
    let t = it.next()?;
    let mut tp = t.split(':');
    let h = num(tp.next()?)?;
    let mi = num(tp.next()?)?;
    let sec = num(tp.next()?)?;
    let days = days_from_civil(y, mo, d as u32);
    Some((days * 86400 + h * 3600 + mi * 60 + sec) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_422_172_800_000), "2015-01-25T08:00:00Z");
        assert_eq!(iso8601(1_422_172_800_123), "2015-01-25T08:00:00.123Z");
        assert_eq!(
            http_date(1_422_172_800_000),
            "Sun, 25 Jan 2015 08:00:00 GMT"
        );
        assert_eq!(amz_date(1_440_938_160_000), "20150830T123600Z");
    }

    #[test]
    fn iso8601_pads_every_field() {
        assert_eq!(iso8601(1_422_172_800_005), "2015-01-25T08:00:00.005Z");
        assert_eq!(iso8601(1_422_172_800_050), "2015-01-25T08:00:00.050Z");
        assert_eq!(iso8601(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(iso8601(-62_135_596_800_000), "0001-01-01T00:00:00Z");
        assert_eq!(iso8601(253_402_300_799_999), "9999-12-31T23:59:59.999Z");
        assert_eq!(iso8601(253_402_300_800_000), "10000-01-01T00:00:00Z");
        let mut out = String::from("at ");
        write_iso8601(&mut out, 1_700_000_000_001);
        assert_eq!(out, "at 2023-11-14T22:13:20.001Z");
    }

    #[test]
    fn parses_round_trip() {
        for ms in [
            0,
            1_422_172_800_000,
            1_422_172_800_123,
            4_102_444_800_000,
            951_782_400_000,
        ] {
            assert_eq!(parse_iso8601(&iso8601(ms)), Some(ms));
            assert_eq!(parse_http_date(&http_date(ms)), Some(ms - ms % 1000));
        }
        assert_eq!(parse_iso8601("20150830T123600Z"), Some(1_440_938_160_000));
        assert_eq!(
            parse_iso8601("2015-01-25T09:00:00+01:00"),
            Some(1_422_172_800_000)
        );
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(parse_iso8601("yesterday"), None);
        assert_eq!(parse_iso8601("2015-13-01T00:00:00Z"), None);
        assert_eq!(parse_http_date("not a date"), None);
    }
}
