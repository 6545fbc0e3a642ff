//! Latency statistics.

use serde::Serialize;

/// Median and 95th percentile of a set of durations, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Latency {
    pub median_ms: f64,
    pub p95_ms: f64,
}

impl Latency {
    /// `None` for an empty set. Sorts `durations` in place.
    pub fn of(durations: &mut [f64]) -> Option<Latency> {
        durations.sort_by(f64::total_cmp);
        Some(Latency {
            median_ms: percentile(durations, 0.5)?,
            p95_ms: percentile(durations, 0.95)?,
        })
    }
}

/// The `q`-quantile (0..=1) of sorted values, interpolating linearly between the two
/// nearest ranks (the same definition as numpy's default), so small samples give
/// sensible answers instead of jumping to the maximum.
pub fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let rank = q.clamp(0.0, 1.0) * last as f64;
    let below = rank.floor() as usize;
    let above = rank.ceil() as usize;
    let weight = rank - below as f64;
    Some(sorted[below] + (sorted[above] - sorted[below]) * weight)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_has_no_latency() {
        assert_eq!(Latency::of(&mut []), None);
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn single_value() {
        assert_eq!(
            Latency::of(&mut [42.0]),
            Some(Latency {
                median_ms: 42.0,
                p95_ms: 42.0
            })
        );
    }

    #[test]
    fn interpolates_between_ranks() {
        let mut durations = [40.0, 10.0, 30.0, 20.0];
        let latency = Latency::of(&mut durations).unwrap();
        assert_eq!(latency.median_ms, 25.0);
        assert!((latency.p95_ms - 38.5).abs() < 1e-9);
    }

    #[test]
    fn p95_of_one_to_hundred() {
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        assert!((percentile(&sorted, 0.95).unwrap() - 95.05).abs() < 1e-9);
        assert_eq!(percentile(&sorted, 0.0), Some(1.0));
        assert_eq!(percentile(&sorted, 1.0), Some(100.0));
    }
}
