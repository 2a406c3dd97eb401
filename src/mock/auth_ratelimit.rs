//! Bearer authentication and the API's rate limits (contract §2.1, §2.4).
//!
//! Budgets are per token and sliding: every request has its own one-minute and one-hour timer,
//! and `ratelimit-reset` is when the oldest request in the window expires.

use std::collections::{HashMap, VecDeque};

use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::config::Settings;
use super::error::ApiError;

const MINUTE_MS: u64 = 60_000;
const HOUR_MS: u64 = 3_600_000;
/// The hourly budget the real API documents; reported when no budget is configured.
const NOMINAL_HOURLY_LIMIT: u32 = 5000;

/// The bearer token of an accepted request, or `None` (answer 401).
pub fn authenticate(headers: &HeaderMap, accepted: &[String]) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return None;
    }
    if accepted.is_empty() || accepted.iter().any(|t| t == token) {
        Some(token.to_string())
    } else {
        None
    }
}

/// The page a browser opens, `GET /_mock/ui`, which alone also takes HTTP Basic credentials
/// (any user name, an accepted token as the password): a browser cannot send a bearer token,
/// and a Basic challenge is how it asks for one. Only this read-only page: cached browser
/// credentials cannot reach `/_mock/state`, `/_mock/reset` or the API.
pub const DASHBOARD_PATH: &str = "/_mock/ui";

/// The token in `Authorization: Basic base64(user:token)`, if accepted (see [`DASHBOARD_PATH`]).
pub fn authenticate_basic(headers: &HeaderMap, accepted: &[String]) -> Option<String> {
    use base64::Engine as _;
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (_user, token) = decoded.split_once(':')?;
    if token.is_empty() {
        return None;
    }
    if accepted.is_empty() || accepted.iter().any(|t| t == token) {
        Some(token.to_string())
    } else {
        None
    }
}

/// What the `ratelimit-*` headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub limit: u32,
    pub remaining: u32,
    pub reset_epoch_secs: u64,
}

impl Budget {
    pub fn apply(&self, headers: &mut HeaderMap) {
        headers.insert("ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("ratelimit-reset", HeaderValue::from(self.reset_epoch_secs));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Allowed(Budget),
    Limited(Budget),
}

#[derive(Debug, Default)]
pub struct RateLimiter {
    /// Arrival times (ms) of admitted requests in the last hour, oldest first, per token.
    windows: HashMap<String, VecDeque<u64>>,
}

impl RateLimiter {
    /// Admits a request (counting it) or refuses it (not counted).
    pub fn admit(&mut self, token: &str, now_ms: u64, settings: &Settings) -> Admission {
        let window = self.windows.entry(token.to_string()).or_default();
        while window
            .front()
            .is_some_and(|&t| now_ms.saturating_sub(t) >= HOUR_MS)
        {
            window.pop_front();
        }
        let in_last_minute = window
            .iter()
            .filter(|&&t| now_ms.saturating_sub(t) < MINUTE_MS)
            .count();
        let over_minute = settings
            .rate_limit_per_minute
            .is_some_and(|limit| in_last_minute >= limit as usize);
        let over_hour = settings
            .rate_limit_per_hour
            .is_some_and(|limit| window.len() >= limit as usize);
        if over_minute || over_hour {
            return Admission::Limited(budget(window, now_ms, settings));
        }
        window.push_back(now_ms);
        Admission::Allowed(budget(window, now_ms, settings))
    }

    /// The budget of a token without counting a request (for 401 answers: no token, full budget).
    pub fn peek(&self, token: Option<&str>, now_ms: u64, settings: &Settings) -> Budget {
        let empty = VecDeque::new();
        let window = token.and_then(|t| self.windows.get(t)).unwrap_or(&empty);
        budget(window, now_ms, settings)
    }
}

/// The budget closest to what the API reports: the hourly one when configured, else the
/// per-minute one, else the documented nominal 5000/hour.
fn budget(window: &VecDeque<u64>, now_ms: u64, settings: &Settings) -> Budget {
    let (limit, span_ms) = match (settings.rate_limit_per_hour, settings.rate_limit_per_minute) {
        (Some(hourly), _) => (hourly, HOUR_MS),
        (None, Some(per_minute)) => (per_minute, MINUTE_MS),
        (None, None) => (NOMINAL_HOURLY_LIMIT, HOUR_MS),
    };
    let in_span: Vec<u64> = window
        .iter()
        .copied()
        .filter(|&t| now_ms.saturating_sub(t) < span_ms)
        .collect();
    let used = u32::try_from(in_span.len()).unwrap_or(u32::MAX);
    let reset_ms = in_span.first().map_or(now_ms, |&oldest| oldest + span_ms);
    Budget {
        limit,
        remaining: limit.saturating_sub(used),
        reset_epoch_secs: reset_ms.div_ceil(1000),
    }
}

/// The contract's 429, with the budget headers and `retry-after`.
pub fn too_many_requests(budget: Budget, retry_after_secs: u64) -> Response {
    let mut response = ApiError::for_status(StatusCode::TOO_MANY_REQUESTS).into_response();
    budget.apply(response.headers_mut());
    response
        .headers_mut()
        .insert("retry-after", HeaderValue::from(retry_after_secs));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::config::MockConfig;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn basic_credentials_carry_the_token_as_the_password() {
        use base64::Engine as _;
        let basic = |text: &str| {
            headers(&format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(text)
            ))
        };
        let accepted = vec!["good".to_string()];
        assert_eq!(
            authenticate_basic(&basic("anyone:good"), &accepted),
            Some("good".into())
        );
        assert_eq!(authenticate_basic(&basic("anyone:bad"), &accepted), None);
        assert_eq!(authenticate_basic(&basic("anyone:"), &[]), None);
        assert_eq!(authenticate_basic(&basic("no-colon"), &[]), None);
        assert_eq!(authenticate_basic(&headers("Basic %%%"), &[]), None);
        assert_eq!(authenticate_basic(&headers("Bearer good"), &accepted), None);
        // A bearer-only check never takes Basic credentials.
        assert_eq!(authenticate(&basic("anyone:good"), &accepted), None);
    }

    #[test]
    fn bearer_tokens() {
        assert_eq!(
            authenticate(&headers("Bearer abc"), &[]),
            Some("abc".into())
        );
        assert_eq!(
            authenticate(&headers("bearer abc"), &[]),
            Some("abc".into())
        );
        assert_eq!(authenticate(&headers("Basic abc"), &[]), None);
        assert_eq!(authenticate(&headers("Bearer "), &[]), None);
        assert_eq!(authenticate(&HeaderMap::new(), &[]), None);
        let accepted = vec!["good".to_string()];
        assert_eq!(authenticate(&headers("Bearer bad"), &accepted), None);
        assert_eq!(
            authenticate(&headers("Bearer good"), &accepted),
            Some("good".into())
        );
    }

    #[test]
    fn per_minute_budget_slides() {
        let mut settings = Settings::from_config(&MockConfig::default());
        settings.rate_limit_per_minute = Some(2);
        let mut limiter = RateLimiter::default();
        assert!(
            matches!(limiter.admit("t", 0, &settings), Admission::Allowed(b) if b.remaining == 1)
        );
        assert!(
            matches!(limiter.admit("t", 10, &settings), Admission::Allowed(b) if b.remaining == 0)
        );
        let Admission::Limited(budget) = limiter.admit("t", 20, &settings) else {
            panic!("third request in a minute must be limited")
        };
        assert_eq!(budget.reset_epoch_secs, 60);
        assert!(matches!(
            limiter.admit("other", 20, &settings),
            Admission::Allowed(_)
        ));
        assert!(matches!(
            limiter.admit("t", 60_000, &settings),
            Admission::Allowed(_)
        ));
    }

    #[test]
    fn hourly_budget_is_reported_when_set() {
        let mut settings = Settings::from_config(&MockConfig::default());
        settings.rate_limit_per_hour = Some(3);
        let mut limiter = RateLimiter::default();
        let Admission::Allowed(budget) = limiter.admit("t", 1_000, &settings) else {
            panic!()
        };
        assert_eq!((budget.limit, budget.remaining), (3, 2));
        assert_eq!(budget.reset_epoch_secs, 3_601);
        assert_eq!(limiter.peek(None, 0, &settings).remaining, 3);
    }
}
