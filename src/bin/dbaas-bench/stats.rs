//! One way to summarise a repeated measurement (start-up time, memory at start-up), so the
//! report's figures all mean the same thing: median, 90th percentile by nearest rank, and the
//! extremes.

use std::time::Duration;

/// A sample that has a midpoint, for the median of an even count.
pub trait Sample: Copy + Ord {
    fn midpoint(self, other: Self) -> Self;
}

impl Sample for Duration {
    fn midpoint(self, other: Self) -> Self {
        (self + other) / 2
    }
}

impl Sample for u64 {
    fn midpoint(self, other: Self) -> Self {
        self / 2 + other / 2 + (self % 2 + other % 2) / 2
    }
}

/// Median, 90th percentile (nearest rank), minimum and maximum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary<T> {
    pub runs: usize,
    pub median: T,
    pub p90: T,
    pub min: T,
    pub max: T,
}

impl<T: Sample> Summary<T> {
    pub fn of(samples: &[T]) -> Summary<T> {
        let mut sorted = samples.to_vec();
        sorted.sort();
        let n = sorted.len();
        assert!(n > 0, "a summary needs at least one sample");
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            sorted[n / 2 - 1].midpoint(sorted[n / 2])
        };
        let p90_rank = (n * 9).div_ceil(10).max(1);
        Summary {
            runs: n,
            median,
            p90: sorted[p90_rank - 1],
            min: sorted[0],
            max: sorted[n - 1],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn summary_takes_the_middle_and_the_nearest_rank_p90() {
        let samples: Vec<Duration> = (1..=20).rev().map(ms).collect();
        let summary = Summary::of(&samples);
        assert_eq!(summary.median, Duration::from_micros(10_500));
        assert_eq!(summary.p90, ms(18));
        assert_eq!((summary.min, summary.max), (ms(1), ms(20)));
        assert_eq!(Summary::of(&[ms(7), ms(3), ms(5)]).median, ms(5));
        assert_eq!(Summary::of(&[ms(4)]).p90, ms(4));
        // 30 runs: the p90 is the 27th smallest.
        let thirty: Vec<u64> = (1..=30).collect();
        assert_eq!(Summary::of(&thirty).p90, 27);
        assert_eq!(Summary::of(&[3u64, 4]).median, 3);
        assert_eq!(Summary::of(&[u64::MAX, u64::MAX]).median, u64::MAX);
    }
}
