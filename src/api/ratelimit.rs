//! Rate-limit bookkeeping and pacing, shared by every clone of a [`super::Client`].
//!
//! The API allows 5,000 requests per hour per token and reports the budget on every response:
//! `ratelimit-limit`, `ratelimit-remaining`, and `ratelimit-reset` (epoch seconds at which the
//! oldest request of the sliding hour expires). Terraform runs many resources at once, so
//! reacting to 429s alone would let a large run burn its budget and then stall on errors.
//!
//! Instead, before each attempt the client reserves a send slot:
//! - While the budget is comfortable (at least `max(5, 2% of the limit)` requests remain), the
//!   slot is now. The local estimate of what remains still drops by one per request, so a
//!   burst of hundreds of requests starts pacing before the responses have come back.
//! - Once it is low, the remaining requests are spread evenly over the time left until the
//!   reset: each slot is `(reset − slot) / remaining` after the previous one.
//! - Once it is spent, further requests wait for the reset; the first responses after it bring
//!   fresh numbers.
//!
//! Every response replaces the estimate with the server's `remaining`, minus the requests
//! already holding a slot but not yet sent. A reset time in the past means the numbers are stale
//! and nothing is paced until a response brings new ones.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use tokio::time::Instant;

use super::error::HumanDuration;

/// The rate-limit budget as this client last saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitStatus {
    /// `ratelimit-limit`, when reported.
    pub limit: Option<u64>,
    /// `ratelimit-remaining` from the latest response, minus the requests sent or scheduled
    /// since.
    pub remaining: u64,
    /// Time until `ratelimit-reset` (zero once it has passed), when reported.
    pub resets_in: Option<Duration>,
}

/// Below this many remaining requests pacing starts, whatever the limit.
const MIN_LOW_WATER: u64 = 5;

#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    limit: Option<u64>,
    /// Estimated requests left before `reset_at`; `None` until a response reported it.
    remaining: Option<u64>,
    reset_at: Option<Instant>,
    /// The earliest slot the next paced request may take.
    next_slot: Option<Instant>,
    /// Requests holding a future slot, not yet sent.
    waiting: u64,
}

/// The three headers of one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Observed {
    limit: Option<u64>,
    remaining: u64,
    reset_epoch: Option<u64>,
}

impl RateLimiter {
    /// Records the budget a response reported; responses without `ratelimit-remaining`
    /// change nothing.
    pub(crate) fn observe(&self, headers: &HeaderMap) {
        if let Some(seen) = Observed::from_headers(headers) {
            self.lock().observe(seen, Instant::now(), SystemTime::now());
        }
    }

    /// Waits for this request's send slot (at once unless the budget is low). Cancel-safe: a
    /// dropped wait gives its place back to the estimate.
    pub(crate) async fn pace(&self) {
        let (delay, remaining) = {
            let mut state = self.lock();
            let delay = state.reserve(Instant::now());
            (delay, state.remaining.unwrap_or_default())
        };
        if delay.is_zero() {
            return;
        }
        let _waiting = Waiting(self);
        if delay >= Duration::from_secs(1) {
            tracing::info!(wait = %HumanDuration(delay), remaining, "API rate-limit budget is low; pacing requests");
        } else {
            tracing::debug!(wait = %HumanDuration(delay), remaining, "API rate-limit budget is low; pacing requests");
        }
        tokio::time::sleep(delay).await;
    }

    pub(crate) fn status(&self) -> Option<RateLimitStatus> {
        let state = self.lock();
        let now = Instant::now();
        Some(RateLimitStatus {
            limit: state.limit,
            remaining: state.remaining?,
            resets_in: state.reset_at.map(|at| at.saturating_duration_since(now)),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a handful of numbers that are valid after any partial update.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Marks a request as holding a future slot until it is sent or dropped.
struct Waiting<'a>(&'a RateLimiter);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.waiting = state.waiting.saturating_sub(1);
    }
}

impl State {
    fn observe(&mut self, seen: Observed, now: Instant, wall: SystemTime) {
        if seen.limit.is_some() {
            self.limit = seen.limit;
        }
        self.remaining = Some(seen.remaining.saturating_sub(self.waiting));
        self.reset_at = seen.reset_epoch.map(|epoch| {
            let reset = UNIX_EPOCH + Duration::from_secs(epoch);
            now + reset.duration_since(wall).unwrap_or_default()
        });
    }

    fn low_water(&self) -> u64 {
        self.limit
            .map_or(MIN_LOW_WATER, |limit| (limit / 50).max(MIN_LOW_WATER))
    }

    /// Takes a send slot for one request and returns how long to wait for it.
    fn reserve(&mut self, now: Instant) -> Duration {
        let Some(remaining) = self.remaining else {
            return Duration::ZERO;
        };
        self.remaining = Some(remaining.saturating_sub(1));
        let reset_at = match self.reset_at {
            Some(reset_at) if reset_at > now => reset_at,
            _ => return Duration::ZERO,
        };
        if remaining >= self.low_water() {
            return Duration::ZERO;
        }
        let earliest = self.next_slot.map_or(now, |slot| slot.max(now));
        let slot = if remaining == 0 {
            earliest.max(reset_at)
        } else {
            let spacing = reset_at.saturating_duration_since(earliest)
                / u32::try_from(remaining).unwrap_or(u32::MAX);
            self.next_slot = Some(earliest + spacing);
            earliest
        };
        let delay = slot - now;
        if !delay.is_zero() {
            self.waiting += 1;
        }
        delay
    }
}

impl Observed {
    fn from_headers(headers: &HeaderMap) -> Option<Observed> {
        let number =
            |name: &str| -> Option<u64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
        Some(Observed {
            limit: number("ratelimit-limit"),
            remaining: number("ratelimit-remaining")?,
            reset_epoch: number("ratelimit-reset"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    const SEC: Duration = Duration::from_secs(1);

    /// A state as if a response said `remaining` of `limit` are left, resetting in `reset_in`.
    fn seen(limit: u64, remaining: u64, reset_in: Duration, now: Instant) -> State {
        let wall = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut state = State::default();
        let reset_epoch = 1_000_000 + reset_in.as_secs();
        state.observe(
            Observed {
                limit: Some(limit),
                remaining,
                reset_epoch: Some(reset_epoch),
            },
            now,
            wall,
        );
        state
    }

    fn slots(state: &mut State, now: Instant, n: usize) -> Vec<Duration> {
        (0..n).map(|_| state.reserve(now)).collect()
    }

    #[test]
    fn parses_the_headers_case_insensitively() {
        let mut headers = HeaderMap::new();
        headers.insert("RateLimit-Limit", HeaderValue::from_static("5000"));
        headers.insert("ratelimit-remaining", HeaderValue::from_static(" 4816 "));
        headers.insert("Ratelimit-Reset", HeaderValue::from_static("1444931833"));
        assert_eq!(
            Observed::from_headers(&headers),
            Some(Observed {
                limit: Some(5000),
                remaining: 4816,
                reset_epoch: Some(1444931833)
            })
        );
        headers.remove("ratelimit-remaining");
        assert_eq!(Observed::from_headers(&headers), None);
        headers.insert("ratelimit-remaining", HeaderValue::from_static("many"));
        assert_eq!(Observed::from_headers(&headers), None);
    }

    #[test]
    fn nothing_is_paced_without_information_or_with_a_comfortable_budget() {
        let now = Instant::now();
        let mut unknown = State::default();
        assert!(slots(&mut unknown, now, 50).iter().all(Duration::is_zero));

        let mut plenty = seen(5000, 4000, 60 * SEC, now);
        assert!(slots(&mut plenty, now, 50).iter().all(Duration::is_zero));
        assert_eq!(
            plenty.remaining,
            Some(3950),
            "each request is counted before its response arrives"
        );
    }

    #[test]
    fn a_low_budget_is_spread_until_the_reset_and_the_rest_waits_for_it() {
        let now = Instant::now();
        let mut state = seen(100, 3, 3 * SEC, now);
        assert_eq!(
            slots(&mut state, now, 6),
            [Duration::ZERO, SEC, 2 * SEC, 3 * SEC, 3 * SEC, 3 * SEC]
        );
        assert_eq!(state.waiting, 5);
    }

    #[test]
    fn pacing_starts_at_two_percent_of_the_limit() {
        let now = Instant::now();
        let mut state = seen(5000, 101, 99 * SEC, now);
        let delays = slots(&mut state, now, 4);
        assert_eq!(
            &delays[..2],
            [Duration::ZERO, Duration::ZERO],
            "101 and 100 left: not yet low"
        );
        assert_eq!(
            delays[2],
            Duration::ZERO,
            "99 left: paced, and the first paced request goes at once"
        );
        assert_eq!(delays[3], SEC, "99 s spread over 99 requests");
        assert_eq!(seen(100, 4, SEC, now).low_water(), 5, "never below five");
    }

    #[test]
    fn a_response_replaces_the_estimate_minus_the_waiting_requests() {
        let now = Instant::now();
        let wall = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut state = seen(100, 3, 3 * SEC, now);
        slots(&mut state, now, 4);
        assert_eq!(state.waiting, 3);
        state.observe(
            Observed {
                limit: None,
                remaining: 2,
                reset_epoch: Some(1_000_003),
            },
            now,
            wall,
        );
        assert_eq!(
            state.remaining,
            Some(0),
            "the three waiting requests will use what is left"
        );
        assert_eq!(
            state.limit,
            Some(100),
            "a missing limit header keeps the last one"
        );
        assert_eq!(state.reserve(now), 3 * SEC);
    }

    #[test]
    fn a_passed_reset_means_stale_numbers_and_no_pacing() {
        let now = Instant::now();
        let mut state = seen(100, 0, 2 * SEC, now);
        assert_eq!(state.reserve(now), 2 * SEC);
        assert_eq!(state.reserve(now + 2 * SEC), Duration::ZERO);
        let wall = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut past = State::default();
        past.observe(
            Observed {
                limit: Some(100),
                remaining: 0,
                reset_epoch: Some(999_000),
            },
            now,
            wall,
        );
        assert_eq!(past.reserve(now), Duration::ZERO);
    }

    #[tokio::test]
    async fn a_dropped_wait_gives_its_place_back() {
        let limiter = RateLimiter::default();
        {
            let mut state = limiter.lock();
            *state = seen(100, 0, 3_600 * SEC, Instant::now());
        }
        let paced = limiter.pace();
        let dropped = tokio::time::timeout(Duration::from_millis(10), paced).await;
        assert!(
            dropped.is_err(),
            "the request waits for the reset an hour away"
        );
        assert_eq!(limiter.lock().waiting, 0);
        let status = limiter.status().unwrap();
        assert_eq!((status.limit, status.remaining), (Some(100), 0));
        assert!(status.resets_in.unwrap() > 3_000 * SEC);
    }
}
