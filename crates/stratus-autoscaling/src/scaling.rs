//! The arithmetic of scaling policies: adjustment types, step intervals
//! (their validation and where a breach falls) and target tracking's
//! proportional capacity.

use crate::state::Step;

pub const ADJUSTMENT_TYPES: [&str; 3] = [
    "ChangeInCapacity",
    "ExactCapacity",
    "PercentChangeInCapacity",
];

/// The capacity an adjustment asks for, before the group's bounds.
pub fn adjusted(
    current: i64,
    adjustment_type: &str,
    adjustment: i64,
    min_magnitude: Option<i64>,
) -> i64 {
    match adjustment_type {
        "ExactCapacity" => adjustment,
        "PercentChangeInCapacity" => {
            let exact = current as f64 * adjustment as f64 / 100.0;
            // AWS rounds fractions away from zero below one instance and
            // toward zero above it.
            let mut delta = if exact > 0.0 && exact < 1.0 {
                1
            } else if exact < 0.0 && exact > -1.0 {
                -1
            } else {
                exact.trunc() as i64
            };
            if let Some(m) = min_magnitude.filter(|m| *m > 0) {
                if delta.abs() < m {
                    delta = if adjustment < 0 { -m } else { m };
                }
            }
            current + delta
        }
        _ => current + adjustment,
    }
}

/// AWS's refusals for a policy's step adjustments, or None when valid.
pub fn validate_steps(steps: &[Step]) -> Option<String> {
    if steps.is_empty() {
        return None;
    }
    for s in steps {
        if let (Some(l), Some(u)) = (s.lower, s.upper) {
            if l >= u {
                return Some(
                    "The upper bound must be greater than the lower bound for each step adjustment"
                        .into(),
                );
            }
        }
    }
    if steps.iter().filter(|s| s.lower.is_none()).count() > 1 {
        return Some("There can only be one step adjustment with an unspecified lower bound (i.e., lower bound is null)".into());
    }
    if steps.iter().filter(|s| s.upper.is_none()).count() > 1 {
        return Some("There can only be one step adjustment with an unspecified upper bound (i.e., upper bound is null)".into());
    }
    if steps.iter().any(|s| s.upper.is_some_and(|u| u > 0.0))
        && !steps.iter().any(|s| s.upper.is_none())
    {
        return Some("There must be a StepAdjustment with an unspecified upper bound (i.e., upper bound is null) when one StepAdjustment has a positive upper bound".into());
    }
    if steps.iter().any(|s| s.lower.is_some_and(|l| l < 0.0))
        && !steps.iter().any(|s| s.lower.is_none())
    {
        return Some("There must be a StepAdjustment with an unspecified lower bound (i.e., lower bound is null) when one StepAdjustment has a negative lower bound".into());
    }
    let mut sorted: Vec<&Step> = steps.iter().collect();
    sorted.sort_by(|a, b| {
        let a = a.lower.unwrap_or(f64::NEG_INFINITY);
        let b = b.lower.unwrap_or(f64::NEG_INFINITY);
        a.total_cmp(&b)
    });
    for w in sorted.windows(2) {
        let upper = w[0].upper.unwrap_or(f64::INFINITY);
        let lower = w[1].lower.unwrap_or(f64::NEG_INFINITY);
        if upper > lower {
            return Some("Step adjustment intervals must not overlap".into());
        }
        if upper < lower {
            return Some("There must not be any gaps between step adjustment intervals".into());
        }
    }
    None
}

/// The step a breach falls in: `metric - threshold` against each interval
/// (lower bound inclusive above the threshold, upper bound inclusive below).
pub fn step_for(steps: &[Step], metric: f64, threshold: f64) -> Option<&Step> {
    let diff = metric - threshold;
    steps.iter().find(|s| {
        let lo = s.lower.unwrap_or(f64::NEG_INFINITY);
        let hi = s.upper.unwrap_or(f64::INFINITY);
        if diff >= 0.0 {
            lo <= diff && diff < hi
        } else {
            lo < diff && diff <= hi
        }
    })
}

/// Target tracking's scale-out: proportional to how far the metric is over
/// the target, and at least one more instance.
pub fn tracking_out(capacity: i64, metric: Option<f64>, target: f64) -> i64 {
    match metric {
        Some(m) if target > 0.0 && m.is_finite() => {
            let want = (capacity as f64 * m / target).ceil() as i64;
            want.max(capacity + 1)
        }
        _ => capacity + 1,
    }
}

/// Target tracking's scale-in: proportional too, but by at most a tenth of
/// the group (and at least one instance) at a time, never below one
/// instance while load remains.
pub fn tracking_in(capacity: i64, metric: Option<f64>, target: f64) -> i64 {
    if capacity <= 0 {
        return 0;
    }
    let step = (capacity / 10).max(1);
    let cautious = capacity - step;
    let want = match metric {
        Some(m) if target > 0.0 && m.is_finite() => {
            let w = (capacity as f64 * m / target).ceil() as i64;
            if m > 0.0 { w.max(1) } else { w }
        }
        _ => cautious,
    };
    want.max(cautious).min(capacity)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(lower: Option<f64>, upper: Option<f64>, adjustment: i64) -> Step {
        Step {
            lower,
            upper,
            adjustment,
        }
    }

    #[test]
    fn adjustment_types() {
        assert_eq!(adjusted(2, "ChangeInCapacity", 3, None), 5);
        assert_eq!(adjusted(2, "ChangeInCapacity", -1, None), 1);
        assert_eq!(adjusted(2, "ExactCapacity", 7, None), 7);
        // 10% of 4 is 0.4: rounds up to one.
        assert_eq!(adjusted(4, "PercentChangeInCapacity", 10, None), 5);
        assert_eq!(adjusted(4, "PercentChangeInCapacity", -10, None), 3);
        // 25% of 10 is 2.5: rounds down.
        assert_eq!(adjusted(10, "PercentChangeInCapacity", 25, None), 12);
        assert_eq!(adjusted(10, "PercentChangeInCapacity", -25, None), 8);
        assert_eq!(adjusted(10, "PercentChangeInCapacity", 10, Some(3)), 13);
        assert_eq!(adjusted(10, "PercentChangeInCapacity", -10, Some(3)), 7);
    }

    #[test]
    fn step_validation() {
        let ok = [
            step(Some(0.0), Some(10.0), 1),
            step(Some(10.0), Some(20.0), 2),
            step(Some(20.0), None, 3),
        ];
        assert_eq!(validate_steps(&ok), None);
        let scale_in = [
            step(None, Some(-10.0), -2),
            step(Some(-10.0), Some(0.0), -1),
        ];
        assert_eq!(validate_steps(&scale_in), None);
        let gap = [step(Some(0.0), Some(10.0), 1), step(Some(20.0), None, 3)];
        assert!(validate_steps(&gap).unwrap().contains("gaps"));
        let overlap = [step(Some(0.0), Some(15.0), 1), step(Some(10.0), None, 3)];
        assert!(validate_steps(&overlap).unwrap().contains("overlap"));
        let no_top = [step(Some(1.0), Some(2.0), 1)];
        assert!(
            validate_steps(&no_top)
                .unwrap()
                .contains("unspecified upper bound")
        );
        let no_bottom = [step(Some(-5.0), Some(0.0), -1)];
        assert!(
            validate_steps(&no_bottom)
                .unwrap()
                .contains("unspecified lower bound")
        );
        let two_tops = [step(Some(0.0), None, 1), step(Some(5.0), None, 1)];
        assert!(validate_steps(&two_tops).unwrap().contains("only be one"));
        let inverted = [step(Some(5.0), Some(1.0), 1)];
        assert!(validate_steps(&inverted).unwrap().contains("greater than"));
    }

    #[test]
    fn breaches_land_in_their_interval() {
        let steps = [
            step(Some(0.0), Some(10.0), 1),
            step(Some(10.0), Some(20.0), 2),
            step(Some(20.0), None, 3),
        ];
        assert_eq!(step_for(&steps, 55.0, 50.0).unwrap().adjustment, 1);
        assert_eq!(step_for(&steps, 60.0, 50.0).unwrap().adjustment, 2);
        assert_eq!(step_for(&steps, 95.0, 50.0).unwrap().adjustment, 3);
        assert_eq!(step_for(&steps, 50.0, 50.0).unwrap().adjustment, 1);
        assert!(step_for(&steps, 40.0, 50.0).is_none());
        let down = [
            step(None, Some(-10.0), -2),
            step(Some(-10.0), Some(0.0), -1),
        ];
        assert_eq!(step_for(&down, 25.0, 30.0).unwrap().adjustment, -1);
        assert_eq!(step_for(&down, 21.0, 30.0).unwrap().adjustment, -1);
        assert_eq!(step_for(&down, 20.0, 30.0).unwrap().adjustment, -2);
        assert_eq!(step_for(&down, 5.0, 30.0).unwrap().adjustment, -2);
    }

    #[test]
    fn target_tracking_math() {
        // 2 instances at 90% against a 50% target: ceil(3.6) = 4.
        assert_eq!(tracking_out(2, Some(90.0), 50.0), 4);
        // Barely over still adds one.
        assert_eq!(tracking_out(2, Some(51.0), 50.0), 3);
        assert_eq!(tracking_out(0, Some(90.0), 50.0), 1);
        assert_eq!(tracking_out(3, None, 50.0), 4);
        // Scale-in removes at most a tenth (at least one) at a time.
        assert_eq!(tracking_in(4, Some(10.0), 50.0), 3);
        assert_eq!(tracking_in(40, Some(10.0), 50.0), 36);
        assert_eq!(tracking_in(40, Some(45.0), 50.0), 36);
        assert_eq!(tracking_in(3, None, 50.0), 2);
        assert_eq!(tracking_in(1, Some(1.0), 50.0), 1);
        assert_eq!(tracking_in(0, None, 50.0), 0);
    }
}
