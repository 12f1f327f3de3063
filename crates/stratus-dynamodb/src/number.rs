//! DynamoDB numbers: up to 38 significant digits, magnitudes from 1E-130 to
//! 9.99...E+125, compared and added exactly (no floating point).

use std::cmp::Ordering;
use std::fmt;

/// `mant * 10^exp`, with no trailing zeros in `mant` (zero is `0 * 10^0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Number {
    mant: i128,
    exp: i32,
}

const MAX_DIGITS: usize = 38;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberError {
    Invalid,
    TooPrecise,
    Overflow,
    Underflow,
}

impl NumberError {
    pub fn message(&self) -> &'static str {
        match self {
            NumberError::Invalid => "A value provided cannot be converted into a number",
            NumberError::TooPrecise => {
                "Attempting to store more than 38 significant digits in a Number"
            }
            NumberError::Overflow => {
                "Number overflow. Attempting to store a number with magnitude larger than supported range"
            }
            NumberError::Underflow => {
                "Number underflow. Attempting to store a number with magnitude smaller than supported range"
            }
        }
    }
}

fn digits(m: i128) -> usize {
    m.unsigned_abs()
        .checked_ilog10()
        .map_or(1, |l| l as usize + 1)
}

impl Number {
    pub const ZERO: Number = Number { mant: 0, exp: 0 };

    fn normalized(mut mant: i128, mut exp: i32) -> Result<Number, NumberError> {
        if mant == 0 {
            return Ok(Number::ZERO);
        }
        while mant % 10 == 0 {
            mant /= 10;
            exp += 1;
        }
        let n = Number { mant, exp };
        // The magnitude's leading digit position.
        let lead = exp + digits(mant) as i32 - 1;
        if lead > 125 {
            return Err(NumberError::Overflow);
        }
        if lead < -130 {
            return Err(NumberError::Underflow);
        }
        Ok(n)
    }

    pub fn parse(s: &str) -> Result<Number, NumberError> {
        let t = s.trim();
        let (neg, body) = match t.as_bytes().first() {
            Some(b'-') => (true, &t[1..]),
            Some(b'+') => (false, &t[1..]),
            _ => (false, t),
        };
        let (coef, e) = match body.find(['e', 'E']) {
            Some(i) => {
                let e: i32 = body[i + 1..].parse().map_err(|_| NumberError::Invalid)?;
                (&body[..i], e)
            }
            None => (body, 0),
        };
        let (int, frac) = coef.split_once('.').unwrap_or((coef, ""));
        if (int.is_empty() && frac.is_empty())
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(NumberError::Invalid);
        }
        let all: String = format!("{int}{frac}");
        let trimmed = all.trim_start_matches('0');
        let sig = trimmed.trim_end_matches('0');
        if sig.is_empty() {
            return Ok(Number::ZERO);
        }
        if sig.len() > MAX_DIGITS {
            return Err(NumberError::TooPrecise);
        }
        let trailing = trimmed.len() - sig.len();
        let mant: i128 = sig.parse().map_err(|_| NumberError::Invalid)?;
        let exp = e
            .checked_sub(frac.len() as i32)
            .and_then(|x| x.checked_add(trailing as i32))
            .ok_or(NumberError::Invalid)?;
        Number::normalized(if neg { -mant } else { mant }, exp)
    }

    pub fn add(self, other: Number) -> Result<Number, NumberError> {
        if self.mant == 0 {
            return Ok(other);
        }
        if other.mant == 0 {
            return Ok(self);
        }
        let (hi, lo) = if self.exp >= other.exp {
            (self, other)
        } else {
            (other, self)
        };
        let shift = (hi.exp - lo.exp) as u32;
        let scaled = 10i128
            .checked_pow(shift)
            .and_then(|p| hi.mant.checked_mul(p))
            .ok_or(NumberError::TooPrecise)?;
        let sum = scaled.checked_add(lo.mant).ok_or(NumberError::TooPrecise)?;
        let n = Number::normalized(sum, lo.exp)?;
        if digits(n.mant) > MAX_DIGITS {
            return Err(NumberError::TooPrecise);
        }
        Ok(n)
    }

    pub fn neg(self) -> Number {
        Number {
            mant: -self.mant,
            exp: self.exp,
        }
    }

    pub fn sub(self, other: Number) -> Result<Number, NumberError> {
        self.add(other.neg())
    }
}

impl Number {
    /// Digits without leading or trailing zeros; 1 for zero.
    pub fn significant_digits(&self) -> usize {
        let mut m = self.mant;
        while m != 0 && m % 10 == 0 {
            m /= 10;
        }
        digits(m)
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self.mant.signum(), other.mant.signum());
        if a != b || a == 0 {
            return a.cmp(&b);
        }
        // Same sign: compare magnitudes by leading digit position, then digits.
        let la = self.exp + digits(self.mant) as i32;
        let lb = other.exp + digits(other.mant) as i32;
        let mag = if la != lb {
            la.cmp(&lb)
        } else {
            // Same leading position: align the digits (at most 38 of them,
            // so the wider mantissa fits u128) and compare.
            let (ma, mb) = (self.mant.unsigned_abs(), other.mant.unsigned_abs());
            let (da, db) = (digits(self.mant) as u32, digits(other.mant) as u32);
            if da >= db {
                ma.cmp(&(mb * 10u128.pow(da - db)))
            } else {
                (ma * 10u128.pow(db - da)).cmp(&mb)
            }
        };
        if a > 0 { mag } else { mag.reverse() }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Number {
    /// The form DynamoDB answers with: plain decimal, no exponent, no
    /// trailing zeros.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mant == 0 {
            return f.write_str("0");
        }
        let sign = if self.mant < 0 { "-" } else { "" };
        let d = self.mant.abs().to_string();
        if self.exp >= 0 {
            write!(f, "{sign}{d}{}", "0".repeat(self.exp as usize))
        } else {
            let point = d.len() as i32 + self.exp;
            if point > 0 {
                let (i, fr) = d.split_at(point as usize);
                write!(f, "{sign}{i}.{fr}")
            } else {
                write!(f, "{sign}0.{}{d}", "0".repeat((-point) as usize))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn parses_and_prints_canonically() {
        assert_eq!(n("1.50").to_string(), "1.5");
        assert_eq!(n("1e2").to_string(), "100");
        assert_eq!(n("-0.00120").to_string(), "-0.0012");
        assert_eq!(n("000").to_string(), "0");
        assert_eq!(n("+7").to_string(), "7");
        assert_eq!(
            n("12345678901234567890123456789012345678").to_string(),
            "12345678901234567890123456789012345678"
        );
    }

    #[test]
    fn rejects_what_dynamodb_rejects() {
        assert_eq!(Number::parse("abc"), Err(NumberError::Invalid));
        assert_eq!(Number::parse(""), Err(NumberError::Invalid));
        assert_eq!(Number::parse("1.2.3"), Err(NumberError::Invalid));
        assert_eq!(
            Number::parse("123456789012345678901234567890123456789"),
            Err(NumberError::TooPrecise)
        );
        assert_eq!(Number::parse("1e126"), Err(NumberError::Overflow));
        assert_eq!(Number::parse("1e-131"), Err(NumberError::Underflow));
        assert!(Number::parse("9.9999999999999999999999999999999999999E+125").is_ok());
    }

    #[test]
    fn orders_by_value() {
        let mut v = vec![
            n("10"),
            n("-1"),
            n("2.5"),
            n("0"),
            n("-10.5"),
            n("2.50001"),
            n("1e-5"),
        ];
        v.sort();
        let s: Vec<String> = v.iter().map(|x| x.to_string()).collect();
        assert_eq!(s, ["-10.5", "-1", "0", "0.00001", "2.5", "2.50001", "10"]);
        assert_eq!(n("1.0"), n("1"));
    }

    #[test]
    fn orders_numbers_with_the_same_leading_digit_position() {
        let mut v = vec![
            n("123.456"),
            n("-123.4"),
            n("123.4"),
            n("12345678901234567890123456789012345679"),
            n("-123.45"),
            n("123.45"),
            n("12345678901234567890123456789012345678"),
            n("1.2345678901234567890123456789012345677e37"),
        ];
        v.sort();
        let s: Vec<String> = v.iter().map(|x| x.to_string()).collect();
        assert_eq!(
            s,
            [
                "-123.45",
                "-123.4",
                "123.4",
                "123.45",
                "123.456",
                "12345678901234567890123456789012345677",
                "12345678901234567890123456789012345678",
                "12345678901234567890123456789012345679"
            ]
        );
        assert_eq!(n("5.00").cmp(&n("5")), Ordering::Equal);
    }

    #[test]
    fn counts_significant_digits() {
        for (s, d) in [
            ("0", 1),
            ("100", 1),
            ("0.0012", 2),
            ("-12.50", 3),
            ("1e20", 1),
            ("123456", 6),
        ] {
            assert_eq!(n(s).significant_digits(), d, "{s}");
        }
    }

    #[test]
    fn adds_exactly() {
        assert_eq!(n("0.1").add(n("0.2")).unwrap().to_string(), "0.3");
        assert_eq!(n("5").sub(n("7")).unwrap().to_string(), "-2");
        assert_eq!(
            n("1e20").add(n("1")).unwrap().to_string(),
            "100000000000000000001"
        );
        assert!(n("1e37").add(n("1e-5")).is_err());
    }
}
