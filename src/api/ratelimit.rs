//! Rate-limit bookkeeping and pacing, shared by every clone of a [`super::Client`].
//!
//! The API allows 5,000 requests per hour per token and reports the budget on every response:
//! `ratelimit-limit`, `ratelimit-remaining`, and `ratelimit-reset` (epoch seconds at which the
//! oldest request of the sliding window expires). Terraform runs many resources at once, so
//! reacting to 429s alone would let a large run burn its budget and then stall on errors.
//!
//! Instead, before each attempt the client takes a [`Permit`]:
//! - While the budget is comfortable (at least `max(5, 2% of the limit)` requests remain), the
//!   request goes now. The local estimate of what remains still drops by one per request, so a
//!   burst of hundreds of requests starts pacing before the responses have come back.
//! - Once it is low, the remaining requests are spread evenly over the time left until the
//!   reset: each one goes `(reset − now) / remaining` after the previous one.
//! - Once it is spent, requests wait for the reset. The window is sliding, so the reset frees
//!   as little as one request: a single *probe* goes, and the others wait for its response,
//!   whose numbers say how many may follow.
//! - With no numbers yet (a fresh provider process) or numbers that are stale and said the budget
//!   was spent (the reset has passed), the first request is a probe as well.
//! - A 429's `retry-after` holds every request back until it has passed.
//!
//! A response's `remaining` counts the requests the server had admitted when it arrived; the
//! requests sent after it may not be counted yet, so they are subtracted, and so are the older
//! ones still in flight (with many requests at once, one sent earlier can reach the server
//! later; counting it twice for a moment costs a little speed, missing it costs a 429).
//! Responses to older requests than the latest one observed are ignored: their numbers are out
//! of date.

use std::pin::pin;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::error::HumanDuration;

/// The rate-limit budget as this client last saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitStatus {
    /// `ratelimit-limit`, when reported.
    pub limit: Option<u64>,
    /// `ratelimit-remaining` from the latest response, minus the requests sent since.
    pub remaining: u64,
    /// Time until `ratelimit-reset` (zero once it has passed), when reported.
    pub resets_in: Option<Duration>,
}

/// Below this many remaining requests pacing starts, whatever the limit.
const MIN_LOW_WATER: u64 = 5;

#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    state: Mutex<State>,
    /// Signalled whenever a response or a finished probe may let waiting requests go.
    changed: Notify,
}

#[derive(Debug, Default)]
struct State {
    limit: Option<u64>,
    /// Estimated requests left before `reset_at`; `None` until a response reported it.
    remaining: Option<u64>,
    reset_at: Option<Instant>,
    /// The earliest time the next request may go while the budget is low.
    next_slot: Option<Instant>,
    /// No request goes before this (a 429's `retry-after`).
    hold_until: Option<Instant>,
    /// A probe is in flight; the others wait for its numbers.
    probing: bool,
    /// Requests sent so far; each permit carries its number.
    sent: u64,
    /// The number of the newest request whose response was observed.
    observed: u64,
    /// Numbers of the requests sent and not finished yet.
    in_flight: std::collections::BTreeSet<u64>,
}

/// What a request waiting for its turn must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Turn {
    Go { seq: u64, probe: bool },
    WaitUntil(Instant),
    WaitForProbe,
}

/// The three headers of one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Observed {
    limit: Option<u64>,
    remaining: u64,
    reset_epoch: Option<u64>,
}

/// The right to send one request; hand the response's headers to [`RateLimiter::observe`].
/// Dropping it (response observed, request failed, or cancelled) ends a probe.
pub(crate) struct Permit<'a> {
    limiter: &'a RateLimiter,
    seq: u64,
    probe: bool,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut state = self.limiter.lock();
        state.in_flight.remove(&self.seq);
        if self.probe {
            state.probing = false;
            drop(state);
            self.limiter.changed.notify_waiters();
        }
    }
}

impl RateLimiter {
    /// Records the budget the response to `permit`'s request reported, and `retry_after` (a
    /// 429's requested wait) as a hold on every request. Responses without
    /// `ratelimit-remaining` change nothing else.
    pub(crate) fn observe(
        &self,
        permit: &Permit<'_>,
        headers: &HeaderMap,
        retry_after: Option<Duration>,
    ) {
        let seen = Observed::from_headers(headers);
        if seen.is_none() && retry_after.is_none() {
            return;
        }
        {
            let mut state = self.lock();
            let now = Instant::now();
            if let Some(seen) = seen {
                state.observe(seen, permit.seq, now, SystemTime::now());
            }
            if let Some(wait) = retry_after {
                state.hold(now + wait);
            }
        }
        self.changed.notify_waiters();
    }

    /// Waits for this request's turn (at once unless the budget is low, spent or unknown).
    /// Cancel-safe: a dropped wait takes nothing from the budget.
    pub(crate) async fn pace(&self) -> Permit<'_> {
        let mut logged = false;
        loop {
            // Registered before the state is read, so a change in between is not missed.
            let mut changed = pin!(self.changed.notified());
            changed.as_mut().enable();
            let (turn, remaining) = {
                let mut state = self.lock();
                let turn = state.turn(Instant::now());
                (turn, state.remaining.unwrap_or_default())
            };
            match turn {
                Turn::Go { seq, probe } => {
                    return Permit {
                        limiter: self,
                        seq,
                        probe,
                    }
                }
                Turn::WaitForProbe => changed.await,
                Turn::WaitUntil(until) => {
                    let delay = until.saturating_duration_since(Instant::now());
                    if !logged {
                        logged = true;
                        if delay >= Duration::from_secs(1) {
                            tracing::info!(wait = %HumanDuration(delay), remaining, "API rate-limit budget is low; pacing requests");
                        } else {
                            tracing::debug!(wait = %HumanDuration(delay), remaining, "API rate-limit budget is low; pacing requests");
                        }
                    }
                    tokio::select! {
                        () = tokio::time::sleep_until(until) => {}
                        () = changed => {}
                    }
                }
            }
        }
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

impl State {
    fn observe(&mut self, seen: Observed, seq: u64, now: Instant, wall: SystemTime) {
        if seq < self.observed {
            return;
        }
        self.observed = seq;
        if seen.limit.is_some() {
            self.limit = seen.limit;
        }
        let sent_since = self.sent.saturating_sub(seq);
        let older_in_flight = self.in_flight.range(..seq).count() as u64;
        self.remaining = Some(
            seen.remaining
                .saturating_sub(sent_since)
                .saturating_sub(older_in_flight),
        );
        self.reset_at = seen.reset_epoch.map(|epoch| {
            let reset = UNIX_EPOCH + Duration::from_secs(epoch);
            now + reset.duration_since(wall).unwrap_or_default()
        });
    }

    fn hold(&mut self, until: Instant) {
        self.hold_until = Some(self.hold_until.map_or(until, |held| held.max(until)));
    }

    fn low_water(&self) -> u64 {
        self.limit
            .map_or(MIN_LOW_WATER, |limit| (limit / 50).max(MIN_LOW_WATER))
    }

    /// Decides whether a request may go now, taking its share of the budget if so.
    fn turn(&mut self, now: Instant) -> Turn {
        if let Some(until) = self.hold_until.filter(|&until| until > now) {
            return Turn::WaitUntil(until);
        }
        if self.probing {
            return Turn::WaitForProbe;
        }
        let reset_ahead = self.reset_at.filter(|&reset| reset > now);
        let remaining = match (self.remaining, reset_ahead) {
            (None, _) | (Some(0), None) => return self.go(true),
            (Some(0), Some(reset)) => return Turn::WaitUntil(reset),
            (Some(remaining), _) => remaining,
        };
        if let Some(reset) = reset_ahead.filter(|_| remaining < self.low_water()) {
            if let Some(slot) = self.next_slot.filter(|&slot| slot > now) {
                return Turn::WaitUntil(slot);
            }
            let spacing = (reset - now) / u32::try_from(remaining).unwrap_or(u32::MAX);
            self.next_slot = Some(now + spacing);
        }
        self.remaining = Some(remaining - 1);
        self.go(false)
    }

    fn go(&mut self, probe: bool) -> Turn {
        self.probing = probe;
        self.sent += 1;
        self.in_flight.insert(self.sent);
        Turn::Go {
            seq: self.sent,
            probe,
        }
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
    const WALL: u64 = 1_000_000;

    fn wall() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(WALL)
    }

    fn observed(limit: u64, remaining: u64, reset_in: Duration) -> Observed {
        Observed {
            limit: Some(limit),
            remaining,
            reset_epoch: Some(WALL + reset_in.as_secs()),
        }
    }

    /// A state as if a response said `remaining` of `limit` are left, resetting in `reset_in`.
    fn seen(limit: u64, remaining: u64, reset_in: Duration, now: Instant) -> State {
        let mut state = State::default();
        state.observe(observed(limit, remaining, reset_in), 0, now, wall());
        state
    }

    /// Takes turns at `now` until one must wait (or `n` went), returning how many went.
    fn gone(state: &mut State, now: Instant, n: usize) -> usize {
        (0..n)
            .take_while(|_| matches!(state.turn(now), Turn::Go { .. }))
            .count()
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
    fn without_numbers_one_probe_goes_and_the_rest_wait_for_its_response() {
        let now = Instant::now();
        let mut state = State::default();
        assert_eq!(
            state.turn(now),
            Turn::Go {
                seq: 1,
                probe: true
            }
        );
        assert_eq!(state.turn(now), Turn::WaitForProbe);
        state.observe(observed(5000, 4000, 60 * SEC), 1, now, wall());
        state.probing = false;
        assert_eq!(gone(&mut state, now, 50), 50);
        assert_eq!(
            state.remaining,
            Some(3950),
            "each request is counted before its response arrives"
        );
    }

    #[test]
    fn a_low_budget_is_spread_until_the_reset() {
        let now = Instant::now();
        let mut state = seen(100, 3, 3 * SEC, now);
        assert_eq!(gone(&mut state, now, 6), 1);
        assert_eq!(state.turn(now), Turn::WaitUntil(now + SEC));
        assert_eq!(gone(&mut state, now + SEC, 6), 1);
        assert_eq!(gone(&mut state, now + 2 * SEC, 6), 1);
        assert_eq!(state.remaining, Some(0));
        assert_eq!(state.turn(now + 2 * SEC), Turn::WaitUntil(now + 3 * SEC));
    }

    #[test]
    fn a_spent_budget_lets_one_probe_through_at_the_reset() {
        let now = Instant::now();
        let mut state = seen(100, 0, 2 * SEC, now);
        assert_eq!(state.turn(now), Turn::WaitUntil(now + 2 * SEC));
        let later = now + 2 * SEC;
        assert!(matches!(state.turn(later), Turn::Go { probe: true, .. }));
        assert_eq!(state.turn(later), Turn::WaitForProbe, "not a burst");
    }

    #[test]
    fn stale_numbers_of_a_spent_budget_mean_probing() {
        let now = Instant::now();
        let mut past = State::default();
        past.observe(observed(100, 0, Duration::ZERO), 0, now, wall());
        assert!(matches!(past.turn(now), Turn::Go { probe: true, .. }));
        assert_eq!(past.turn(now), Turn::WaitForProbe);
    }

    #[test]
    fn pacing_starts_at_two_percent_of_the_limit() {
        let now = Instant::now();
        let mut state = seen(5000, 101, 99 * SEC, now);
        assert_eq!(
            gone(&mut state, now, 4),
            3,
            "101 and 100 left: not yet low; 99 left: the first paced request goes at once"
        );
        assert_eq!(state.turn(now), Turn::WaitUntil(now + SEC));
        assert_eq!(seen(100, 4, SEC, now).low_water(), 5, "never below five");
    }

    #[test]
    fn older_requests_still_in_flight_are_not_assumed_counted() {
        let now = Instant::now();
        let mut state = seen(100, 50, 60 * SEC, now);
        assert_eq!(gone(&mut state, now, 10), 10);
        // Request 4 answers first; 1 to 3 may reach the server after it.
        state.observe(observed(100, 40, 60 * SEC), 4, now, wall());
        assert_eq!(state.remaining, Some(31), "1-3 in flight, 5-10 sent after");
    }

    #[test]
    fn a_response_counts_the_requests_sent_after_it_and_old_ones_are_ignored() {
        let now = Instant::now();
        let mut state = seen(100, 50, 60 * SEC, now);
        assert_eq!(gone(&mut state, now, 10), 10);
        for finished in 1..=3 {
            state.in_flight.remove(&finished);
        }
        state.observe(observed(100, 40, 60 * SEC), 4, now, wall());
        assert_eq!(
            state.remaining,
            Some(34),
            "requests 5 to 10 are not counted"
        );
        state.observe(observed(90, 45, 60 * SEC), 2, now, wall());
        assert_eq!(
            (state.remaining, state.limit),
            (Some(34), Some(100)),
            "an older response"
        );
        for finished in 4..=9 {
            state.in_flight.remove(&finished);
        }
        state.observe(
            Observed {
                limit: None,
                remaining: 30,
                reset_epoch: Some(WALL + 60),
            },
            10,
            now,
            wall(),
        );
        assert_eq!(
            (state.remaining, state.limit),
            (Some(30), Some(100)),
            "a missing limit header keeps the last one"
        );
    }

    #[test]
    fn a_hold_stops_every_request_until_it_passes() {
        let now = Instant::now();
        let mut state = seen(100, 50, 60 * SEC, now);
        state.hold(now + 2 * SEC);
        state.hold(now + SEC);
        assert_eq!(state.turn(now), Turn::WaitUntil(now + 2 * SEC));
        assert_eq!(gone(&mut state, now + 2 * SEC, 3), 3);
    }

    #[tokio::test]
    async fn a_finished_probe_wakes_the_waiting_requests() {
        let limiter = RateLimiter::default();
        let probe = limiter.pace().await;
        let waiting = tokio::time::timeout(Duration::from_millis(20), limiter.pace()).await;
        assert!(waiting.is_err(), "a second request waits for the probe");
        let mut headers = HeaderMap::new();
        headers.insert("ratelimit-remaining", HeaderValue::from(10u64));
        headers.insert("ratelimit-limit", HeaderValue::from(10u64));
        limiter.observe(&probe, &headers, None);
        drop(probe);
        let (a, b) = tokio::join!(limiter.pace(), limiter.pace());
        assert!(!a.probe && !b.probe);
        assert_eq!(limiter.status().unwrap().remaining, 8);
    }

    #[tokio::test]
    async fn a_dropped_wait_takes_nothing() {
        let limiter = RateLimiter::default();
        {
            let mut state = limiter.lock();
            *state = seen(100, 0, 3_600 * SEC, Instant::now());
        }
        let dropped = tokio::time::timeout(Duration::from_millis(10), limiter.pace()).await;
        assert!(
            dropped.is_err(),
            "the request waits for the reset an hour away"
        );
        let status = limiter.status().unwrap();
        assert_eq!((status.limit, status.remaining), (Some(100), 0));
        assert!(status.resets_in.unwrap() > 3_000 * SEC);
        assert!(!limiter.lock().probing);
    }
}
