//! When and how a failed request is tried again: [`RetryPolicy`] (backoff with jitter), the
//! server's waits (`retry-after`, `ratelimit-reset`), and [`Client::execute`], the retry loop
//! every request goes through on its way to [`super::send`].
//!
//! Retrying lives apart from sending because the two change for different reasons: which
//! outcomes are safe to repeat is a contract question (below), what goes over the wire is not.
//!
//! | outcome | GET, PUT, PATCH, DELETE (and POSTs marked idempotent) | POST |
//! |---|---|---|
//! | 429 | retried: the request was not processed | retried |
//! | connect error (nothing was sent) | retried | retried |
//! | 5xx other than 501 | retried | returned: the POST may have been applied |
//! | timeout, reset, lost response | retried | returned: the POST may have been applied |
//! | 501, other 4xx | returned | returned |
//!
//! A POST whose outcome is unknown is never re-sent blindly: the create calls look the object
//! up first ([`super::safe_create`]). Waits between attempts are exponential with jitter
//! ([`RetryPolicy::backoff`]); a 429 waits for the server's hint (`retry-after` seconds, else
//! `ratelimit-reset` once the budget is spent) when it gives one.
//!
//! A 429 that reports the budget (`ratelimit-remaining`) is the pacing's business, not a
//! failure: it is retried once the budget allows without using up `max_retries`, for at most
//! [`RATE_LIMIT_PATIENCE`] per call. A new provider process learns the budget only from
//! responses, so such 429s are expected now and then and must not fail a run.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use tokio::time::Instant;

use super::error::{ErrorKind, HumanDuration};
use super::send::{header_str, Attempt, Reply, Request};
use super::{deadline, ApiError, Client};

/// The longest a call keeps retrying 429s that report the budget, which do not count against
/// `max_retries`; bounded so that a run never hangs on a budget that does not come back.
const RATE_LIMIT_PATIENCE: Duration = Duration::from_secs(600);

/// How failed requests are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 disables retries.
    pub max_retries: u32,
    /// The shortest wait between attempts.
    pub wait_min: Duration,
    /// The longest backoff wait between attempts.
    pub wait_max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            wait_min: Duration::from_secs(1),
            wait_max: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (0 for the first retry): a uniformly random
    /// duration between `wait_min` and `min(wait_max, wait_min × 2^(retry+1))`. The random
    /// spread keeps many clients that failed together from retrying together.
    pub fn backoff(&self, retry: u32) -> Duration {
        self.backoff_with(retry, &mut rand::thread_rng())
    }

    fn backoff_with(&self, retry: u32, rng: &mut impl Rng) -> Duration {
        let floor = self.wait_min;
        let growth = 2u32.saturating_pow(retry.saturating_add(1));
        let ceiling = floor.saturating_mul(growth).min(self.wait_max).max(floor);
        if ceiling == floor {
            floor
        } else {
            rng.gen_range(floor..=ceiling)
        }
    }

    /// A server-requested wait, spread by up to `wait_min` so that clients limited at the same
    /// moment do not all come back at the same moment.
    fn hinted_wait(&self, hint: Duration) -> Duration {
        if self.wait_min.is_zero() {
            return hint;
        }
        hint + rand::thread_rng().gen_range(Duration::ZERO..=self.wait_min)
    }

    /// The longest server-requested wait that is honoured; a longer one (the hourly quota is
    /// spent) fails the call at once with [`ErrorKind::RateLimited`] rather than stalling a run
    /// silently. The API's burst window is one minute, so its hints always fit.
    pub(super) fn longest_hinted_wait(&self) -> Duration {
        self.wait_max.max(Duration::from_secs(60))
    }
}

impl Client {
    /// Sends `request` (see [`super::send`]), paced by the rate-limit budget and retried as the
    /// module docs describe; returns the first 2xx reply or the final error.
    pub(crate) async fn execute(&self, request: Request) -> Result<Reply, ApiError> {
        let retry = self.inner.retry;
        let mut attempt: u32 = 0;
        let mut retries_done: u32 = 0;
        let mut rate_limited_since: Option<Instant> = None;
        loop {
            attempt += 1;
            let permit = self.inner.rate.pace().await;
            let started = Instant::now();
            let outcome = match tokio::time::timeout(
                self.inner.request_timeout,
                self.attempt(&request, &permit),
            )
            .await
            {
                Ok(outcome) => outcome,
                Err(_) => Attempt::Failed {
                    error: request.transport_error(format!(
                        "no complete response within {} (request_timeout)",
                        HumanDuration(self.inner.request_timeout)
                    )),
                    sent: true,
                },
            };
            let elapsed_ms = started.elapsed().as_millis() as u64;
            // A probe's response has been observed (or never will be): let the others go.
            drop(permit);

            let mut paced_429 = false;
            let (error, retryable, hint, why) = match outcome {
                Attempt::Replied(reply) => {
                    tracing::debug!(
                        method = %request.method, path = %request.path, status = reply.status,
                        request_id = reply.request_id.as_deref().unwrap_or(""), attempt, elapsed_ms,
                        "API request"
                    );
                    return Ok(reply);
                }
                Attempt::Rejected {
                    error,
                    hint,
                    reports_budget,
                } => {
                    let status = error.status().unwrap_or_default();
                    tracing::debug!(
                        method = %request.method, path = %request.path, status,
                        request_id = error.request_id().unwrap_or(""), attempt, elapsed_ms,
                        "API request"
                    );
                    let retryable = match error.kind() {
                        ErrorKind::RateLimited => true,
                        ErrorKind::Server => status != 501 && request.idempotent,
                        _ => false,
                    };
                    let why = if status == 429 {
                        paced_429 = reports_budget;
                        "rate limited (429)"
                    } else {
                        "server error"
                    };
                    (error, retryable, hint, why)
                }
                Attempt::Failed { error, sent } => {
                    tracing::debug!(
                        method = %request.method, path = %request.path, attempt, elapsed_ms,
                        error = %error, "API request failed"
                    );
                    let why = if sent {
                        "transport error"
                    } else {
                        "connection failed"
                    };
                    (error, !sent || request.idempotent, None, why)
                }
            };

            if !retryable {
                return Err(error.with_attempts(attempt));
            }
            if paced_429 {
                let since = *rate_limited_since.get_or_insert(started);
                let patience_left = RATE_LIMIT_PATIENCE.saturating_sub(since.elapsed());
                let wait = hint.unwrap_or(retry.wait_min);
                if wait > patience_left {
                    tracing::warn!(
                        method = %request.method, path = %request.path,
                        patience = %HumanDuration(RATE_LIMIT_PATIENCE),
                        "rate limited; the budget did not come back within the provider's patience"
                    );
                    return Err(error.with_attempts(attempt));
                }
            } else if retries_done >= retry.max_retries {
                return Err(error.with_attempts(attempt));
            }
            let wait = match hint {
                Some(hint) if hint > retry.longest_hinted_wait() => {
                    tracing::warn!(
                        method = %request.method, path = %request.path, wait = %HumanDuration(hint),
                        "rate limited; the API asks for a longer wait than the provider retries for"
                    );
                    return Err(error.with_attempts(attempt));
                }
                Some(hint) => retry.hinted_wait(hint),
                None => retry.backoff(retries_done),
            };
            if deadline::current().is_some_and(|limit| Instant::now() + wait >= limit) {
                tracing::warn!(
                    method = %request.method, path = %request.path,
                    "not retrying: the wait would end after the operation's time limit"
                );
                return Err(error.with_attempts(attempt));
            }
            if !paced_429 {
                retries_done += 1;
            }
            tracing::warn!(
                method = %request.method, path = %request.path, why,
                status = error.status().unwrap_or_default(), attempt,
                wait = %HumanDuration(wait), "retrying API request"
            );
            tokio::time::sleep(wait).await;
        }
    }
}

/// The wait a 429 asks for: `retry-after` (seconds), else the time until `ratelimit-reset`
/// (epoch seconds) when `ratelimit-remaining` says the budget is spent. While budget remains,
/// the reset time is when the oldest request in the sliding hour expires, which says nothing
/// about a burst limit, so it is not used.
pub(super) fn rate_limit_hint(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(seconds) = header_str(headers, RETRY_AFTER.as_str()).and_then(parse_seconds) {
        return Some(seconds);
    }
    let remaining = header_str(headers, "ratelimit-remaining").and_then(|v| v.parse::<u64>().ok());
    if remaining.is_some_and(|r| r > 0) {
        return None;
    }
    let reset = header_str(headers, "ratelimit-reset")?
        .parse::<u64>()
        .ok()?;
    let now = now.duration_since(UNIX_EPOCH).ok()?;
    Duration::from_secs(reset)
        .checked_sub(now)
        .filter(|wait| !wait.is_zero())
}

/// `retry-after` as delta-seconds (integer or decimal). HTTP dates are not used by this API.
fn parse_seconds(value: &str) -> Option<Duration> {
    let seconds = value.parse::<f64>().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(86_400.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use reqwest::header::HeaderValue;

    fn policy(min_ms: u64, max_ms: u64) -> RetryPolicy {
        RetryPolicy {
            max_retries: 4,
            wait_min: Duration::from_millis(min_ms),
            wait_max: Duration::from_millis(max_ms),
        }
    }

    #[test]
    fn backoff_stays_within_its_bounds_and_grows() {
        let p = policy(100, 3_000);
        let mut rng = StdRng::seed_from_u64(7);
        for retry in 0..40 {
            let ceiling =
                Duration::from_millis(100 * 2u64.pow((retry + 1).min(20))).min(p.wait_max);
            let mut longest = Duration::ZERO;
            for _ in 0..200 {
                let wait = p.backoff_with(retry, &mut rng);
                assert!(
                    wait >= p.wait_min && wait <= ceiling,
                    "retry {retry}: {wait:?} outside [{:?}, {ceiling:?}]",
                    p.wait_min
                );
                longest = longest.max(wait);
            }
            // Jitter really spreads the waits over the window.
            assert!(longest > ceiling / 2, "retry {retry}: longest {longest:?}");
        }
    }

    #[test]
    fn backoff_handles_degenerate_policies() {
        let mut rng = StdRng::seed_from_u64(1);
        let fixed = policy(250, 250);
        assert_eq!(fixed.backoff_with(3, &mut rng), Duration::from_millis(250));
        let zero = policy(0, 0);
        assert_eq!(zero.backoff_with(u32::MAX, &mut rng), Duration::ZERO);
        let long = RetryPolicy {
            max_retries: 1,
            wait_min: Duration::from_secs(3_600),
            wait_max: Duration::from_secs(86_400),
        };
        let wait = long.backoff_with(u32::MAX, &mut rng);
        assert!(wait >= long.wait_min && wait <= long.wait_max);
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn retry_after_seconds_win() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let h = headers(&[
            ("retry-after", "3"),
            ("ratelimit-remaining", "0"),
            ("ratelimit-reset", "1060"),
        ]);
        assert_eq!(rate_limit_hint(&h, now), Some(Duration::from_secs(3)));
        assert_eq!(
            rate_limit_hint(&headers(&[("Retry-After", " 1.5 ")]), now),
            Some(Duration::from_millis(1500))
        );
    }

    #[test]
    fn reset_epoch_is_used_once_the_budget_is_spent() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let spent = headers(&[("ratelimit-remaining", "0"), ("ratelimit-reset", "1042")]);
        assert_eq!(rate_limit_hint(&spent, now), Some(Duration::from_secs(42)));
        let unknown_remaining = headers(&[("RateLimit-Reset", "1005")]);
        assert_eq!(
            rate_limit_hint(&unknown_remaining, now),
            Some(Duration::from_secs(5))
        );
        let budget_left = headers(&[("ratelimit-remaining", "4000"), ("ratelimit-reset", "1042")]);
        assert_eq!(rate_limit_hint(&budget_left, now), None);
        let in_the_past = headers(&[("ratelimit-remaining", "0"), ("ratelimit-reset", "990")]);
        assert_eq!(rate_limit_hint(&in_the_past, now), None);
    }

    #[test]
    fn unusable_hints_are_ignored() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        for bad in ["soon", "-1", "Wed, 21 Oct 2015 07:28:00 GMT", "NaN"] {
            assert_eq!(
                rate_limit_hint(&headers(&[("retry-after", bad)]), now),
                None,
                "{bad}"
            );
        }
        assert_eq!(
            rate_limit_hint(&headers(&[("ratelimit-reset", "later")]), now),
            None
        );
        assert_eq!(rate_limit_hint(&HeaderMap::new(), now), None);
    }

    #[test]
    fn hinted_waits_are_honoured_up_to_a_cap() {
        let p = policy(100, 2_000);
        let wait = p.hinted_wait(Duration::from_secs(2));
        assert!(wait >= Duration::from_secs(2) && wait <= Duration::from_millis(2_100));
        assert_eq!(p.longest_hinted_wait(), Duration::from_secs(60));
        assert_eq!(
            policy(0, 0).hinted_wait(Duration::from_secs(1)),
            Duration::from_secs(1)
        );
    }
}
