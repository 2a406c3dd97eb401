//! [`ApiError`]: every way a call to the API can fail, as one struct whose [`ErrorKind`] callers
//! branch on, with enough context (method, path, status, the API's error id and request id)
//! for a useful diagnostic.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// What kind of failure an [`ApiError`] is, which decides how callers react to it: retry,
/// wait, ask the user for a token, or show the API's validation message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// 404.
    NotFound,
    /// 401 (bad or missing token) or 403 (token lacks a scope).
    Unauthorized,
    /// 429 that outlasted the retry budget, or whose wait would have exceeded the retry cap.
    RateLimited,
    /// Any other 4xx (400, 409, 412, 422…), or an unexpected 1xx/3xx. Not retried.
    Invalid,
    /// 5xx, after retries (where the method allowed them) ran out.
    Server,
    /// No usable HTTP response: connect error, reset, timeout, unreadable or undecodable body.
    Transport,
    /// The client was misconfigured or misused (bad endpoint, empty token, invalid name).
    Config,
}

impl ErrorKind {
    /// The kind of a non-success response with this status.
    fn of_status(status: u16) -> ErrorKind {
        match status {
            404 => ErrorKind::NotFound,
            401 | 403 => ErrorKind::Unauthorized,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::Invalid,
        }
    }
}

/// An error from the API client: one struct whatever went wrong, with a [`kind`](Self::kind)
/// to branch on and the request's context for the diagnostic.
///
/// `Display` reads like `POST /v2/databases: 422 unprocessable_entity: invalid cluster size
/// (request 4851a473-…)`. It never contains the token or a request/response body; `message` is
/// the API's own `message` field (or, for a non-JSON error, a short description of it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ApiError {
    pub kind: ErrorKind,
    /// Boxed because errors are rare and every call returns a `Result<_, ApiError>`: a small
    /// error keeps the successful path small.
    details: Box<Details>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Details {
    /// Empty for [`ErrorKind::Config`]: the request was never built.
    method: String,
    /// Empty for [`ErrorKind::Config`].
    path: String,
    /// `None` when no response was received (transport and configuration errors).
    status: Option<u16>,
    /// The API's error id (`unprocessable_entity`, `name_taken`…), or one derived from the
    /// status when the body had none; `None` without a response.
    id: Option<String>,
    message: String,
    request_id: Option<String>,
    /// The server's requested wait, for a 429 that gave one.
    retry_after: Option<Duration>,
    /// How many times the request was sent (or tried) before this error was returned.
    attempts: u32,
}

impl ApiError {
    fn new(kind: ErrorKind, details: Details) -> ApiError {
        ApiError {
            kind,
            details: Box::new(details),
        }
    }

    /// A response the API refused with `status`; the kind follows from the status.
    pub fn from_status(
        method: impl Into<String>,
        path: impl Into<String>,
        status: u16,
        id: impl Into<String>,
        message: impl Into<String>,
    ) -> ApiError {
        let details = Details {
            method: method.into(),
            path: path.into(),
            status: Some(status),
            id: Some(id.into()),
            message: message.into(),
            request_id: None,
            retry_after: None,
            attempts: 1,
        };
        ApiError::new(ErrorKind::of_status(status), details)
    }

    /// A request that got no usable response.
    pub fn transport(
        method: impl Into<String>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> ApiError {
        let details = Details {
            method: method.into(),
            path: path.into(),
            status: None,
            id: None,
            message: message.into(),
            request_id: None,
            retry_after: None,
            attempts: 1,
        };
        ApiError::new(ErrorKind::Transport, details)
    }

    /// A request the client refused to build, or a client it refused to create.
    pub fn config(message: impl Into<String>) -> ApiError {
        let details = Details {
            method: String::new(),
            path: String::new(),
            status: None,
            id: None,
            message: message.into(),
            request_id: None,
            retry_after: None,
            attempts: 1,
        };
        ApiError::new(ErrorKind::Config, details)
    }

    pub fn with_request_id(mut self, request_id: impl Into<String>) -> ApiError {
        self.details.request_id = Some(request_id.into());
        self
    }

    /// Records that the request was tried `attempts` times in all.
    pub fn with_attempts(mut self, attempts: u32) -> ApiError {
        self.details.attempts = attempts.max(1);
        self
    }

    /// How many times the request was tried before this error (1: it was not retried).
    pub fn attempts(&self) -> u32 {
        self.details.attempts
    }

    pub fn with_retry_after(mut self, wait: Duration) -> ApiError {
        self.details.retry_after = Some(wait);
        self
    }

    /// Appends `note` to the message, keeping everything else: context the caller learnt
    /// after the request failed.
    pub(crate) fn with_note(mut self, note: &str) -> ApiError {
        self.details.message = format!("{} ({note})", self.details.message);
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The HTTP status, when a response was received.
    pub fn status(&self) -> Option<u16> {
        self.details.status
    }

    /// The API's error id, when a response was received.
    pub fn id(&self) -> Option<&str> {
        self.details.id.as_deref()
    }

    /// The request's method; empty for [`ErrorKind::Config`].
    pub fn method(&self) -> &str {
        &self.details.method
    }

    /// The request's API path; empty for [`ErrorKind::Config`].
    pub fn path(&self) -> &str {
        &self.details.path
    }

    /// The API's message (or the transport/config failure), without method, path or ids.
    pub fn message(&self) -> &str {
        &self.details.message
    }

    /// The request id to quote to DigitalOcean support, when the API sent one.
    pub fn request_id(&self) -> Option<&str> {
        self.details.request_id.as_deref()
    }

    /// The wait a 429 asked for, when it gave one.
    pub fn retry_after(&self) -> Option<Duration> {
        self.details.retry_after
    }

    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }

    /// Whether trying again later may succeed without changing the request: rate limits,
    /// server errors other than 501, and transport failures. Pollers use this to ride out a
    /// bad minute instead of failing a long wait.
    pub fn is_transient(&self) -> bool {
        match self.kind {
            ErrorKind::RateLimited | ErrorKind::Transport => true,
            ErrorKind::Server => self.details.status != Some(501),
            _ => false,
        }
    }

    /// Builds the error for a non-success response. `body` is parsed as the API's error object
    /// `{id, message, request_id}`; anything else still yields a readable message.
    pub(crate) fn from_response(response: ErrorResponse<'_>) -> ApiError {
        let ErrorResponse {
            method,
            path,
            status,
            content_type,
            body,
            header_request_id,
            retry_after,
        } = response;
        let parsed = serde_json::from_slice::<ErrorBody>(body).ok();
        let (id, message, request_id) = match parsed {
            Some(ErrorBody {
                id,
                message: Some(message),
                request_id,
            }) if !message.trim().is_empty() => (id, message, request_id),
            Some(ErrorBody { id, request_id, .. }) => {
                (id, fallback_message(status, content_type, body), request_id)
            }
            None => (None, fallback_message(status, content_type, body), None),
        };
        let id = id
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| default_id(status));
        let mut error = ApiError::from_status(method, path, status, id, message);
        error.details.request_id = request_id.filter(|r| !r.is_empty()).or(header_request_id);
        error.details.retry_after = retry_after;
        error
    }
}

/// The parts of a failed response that [`ApiError::from_response`] needs.
pub(crate) struct ErrorResponse<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
    pub header_request_id: Option<String>,
    pub retry_after: Option<Duration>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind;
        let Details {
            method,
            path,
            status,
            id,
            message,
            request_id,
            retry_after,
            attempts: _,
        } = &*self.details;
        let status = match (kind, status) {
            (ErrorKind::Config, _) => return write!(f, "API client configuration: {message}"),
            (ErrorKind::Transport, _) | (_, None) => {
                return write!(f, "{method} {path}: {message}")
            }
            (_, Some(status)) => *status,
        };
        // For these kinds the status says it all, whatever id the body carried.
        let id = match kind {
            ErrorKind::NotFound | ErrorKind::Unauthorized | ErrorKind::RateLimited => {
                Cow::Owned(default_id(status))
            }
            _ => Cow::Borrowed(id.as_deref().unwrap_or_default()),
        };
        write!(f, "{method} {path}: {status} {id}: {message}")?;
        if let Some(request_id) = request_id {
            write!(f, " (request {request_id})")?;
        }
        match (kind, retry_after) {
            (ErrorKind::RateLimited, Some(wait)) => {
                write!(f, "; the API asked to retry after {}", HumanDuration(*wait))
            }
            _ => Ok(()),
        }
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
}

/// The API's own ids for the statuses it documents; otherwise the reason phrase in the same
/// snake_case style (`bad_gateway`).
fn default_id(status: u16) -> String {
    match status {
        500 => "server_error".to_string(),
        _ => match reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
        {
            Some(reason) => reason
                .to_ascii_lowercase()
                .replace([' ', '-'], "_")
                .replace('\'', ""),
            None => format!("http_{status}"),
        },
    }
}

/// Plain-text error bodies (as some proxies send) are short human sentences and worth showing;
/// HTML error pages and other payloads are not, so they are described instead of quoted.
fn fallback_message(status: u16, content_type: Option<&str>, body: &[u8]) -> String {
    const MAX_QUOTED: usize = 200;
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("unexpected status");
    let is_plain_text = content_type.is_some_and(|ct| {
        ct.trim_start()
            .to_ascii_lowercase()
            .starts_with("text/plain")
    });
    if is_plain_text {
        if let Ok(text) = std::str::from_utf8(body) {
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            if !text.is_empty() {
                let quoted: String = text.chars().take(MAX_QUOTED).collect();
                let ellipsis = if quoted.len() < text.len() { "…" } else { "" };
                return format!("{reason}: {quoted}{ellipsis}");
            }
        }
    }
    if body.is_empty() {
        format!("{reason} (empty response body)")
    } else {
        let kind = content_type
            .and_then(|ct| ct.split(';').next())
            .map(str::trim)
            .unwrap_or("untyped");
        format!(
            "{reason} ({kind} response body of {} bytes, not an API error object)",
            body.len()
        )
    }
}

/// Formats a duration for people: `1.5s`, `2m30s`, `1h5m`.
pub(crate) struct HumanDuration(pub Duration);

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.0.as_secs();
        let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60);
        if h > 0 {
            write!(f, "{h}h{m}m")
        } else if m > 0 {
            write!(f, "{m}m{s}s")
        } else if self.0 < Duration::from_secs(1) {
            write!(f, "{}ms", self.0.as_millis())
        } else {
            let tenths = self.0.subsec_millis() / 100;
            if tenths == 0 {
                write!(f, "{s}s")
            } else {
                write!(f, "{s}.{tenths}s")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(status: u16, content_type: Option<&str>, body: &str) -> ApiError {
        ApiError::from_response(ErrorResponse {
            method: "POST",
            path: "/v2/databases",
            status,
            content_type,
            body: body.as_bytes(),
            header_request_id: None,
            retry_after: None,
        })
    }

    const JSON: Option<&str> = Some("application/json; charset=utf-8");

    #[test]
    fn parses_the_contract_422_example() {
        let e = from(
            422,
            JSON,
            r#"{"id":"unprocessable_entity","message":"invalid cluster size","request_id":"4851a473-1621-42ea-b2f9-5071c0ea8414"}"#,
        );
        assert_eq!(
            e.to_string(),
            "POST /v2/databases: 422 unprocessable_entity: invalid cluster size (request 4851a473-1621-42ea-b2f9-5071c0ea8414)"
        );
        assert_eq!(e.kind(), ErrorKind::Invalid);
        assert_eq!(e.id(), Some("unprocessable_entity"));
        assert_eq!(e.status(), Some(422));
        assert_eq!(e.message(), "invalid cluster size");
        assert_eq!(e.request_id(), Some("4851a473-1621-42ea-b2f9-5071c0ea8414"));
        assert!(!e.is_transient());
    }

    #[test]
    fn maps_each_status_class_to_its_variant() {
        let nf = from(
            404,
            JSON,
            r#"{"id":"not_found","message":"The resource you requested could not be found."}"#,
        );
        assert!(nf.is_not_found());
        assert_eq!(
            nf.to_string(),
            "POST /v2/databases: 404 not_found: The resource you requested could not be found."
        );

        let unauth = from(
            401,
            JSON,
            r#"{"id":"unauthorized","message":"Unable to authenticate you."}"#,
        );
        assert_eq!(
            (unauth.kind(), unauth.status()),
            (ErrorKind::Unauthorized, Some(401))
        );
        let forbidden = from(
            403,
            JSON,
            r#"{"id":"forbidden","message":"You do not have access for the attempted action."}"#,
        );
        assert_eq!(forbidden.status(), Some(403));
        assert!(forbidden.to_string().contains("403 forbidden"));

        let limited = from(
            429,
            JSON,
            r#"{"id":"too_many_requests","message":"API rate limit exceeded."}"#,
        );
        assert_eq!(limited.kind(), ErrorKind::RateLimited);
        assert!(limited.is_transient());

        let server = from(
            500,
            JSON,
            r#"{"id":"server_error","message":"Unexpected server-side error"}"#,
        );
        assert_eq!(
            (server.kind(), server.status()),
            (ErrorKind::Server, Some(500))
        );
        assert!(server.is_transient());
        assert!(!from(501, JSON, "{}").is_transient());

        let conflict = from(409, JSON, "{}");
        assert_eq!(
            (conflict.kind(), conflict.status()),
            (ErrorKind::Invalid, Some(409))
        );
    }

    #[test]
    fn request_id_falls_back_to_the_header() {
        let e = ApiError::from_response(ErrorResponse {
            method: "GET",
            path: "/v2/databases/x",
            status: 500,
            content_type: JSON,
            body: br#"{"id":"server_error","message":"boom"}"#,
            header_request_id: Some("hdr-1".into()),
            retry_after: None,
        });
        assert_eq!(e.request_id(), Some("hdr-1"));
    }

    #[test]
    fn non_json_bodies_still_read_well() {
        let html = from(
            502,
            Some("text/html"),
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
        );
        assert_eq!(html.status(), Some(502));
        let shown = html.to_string();
        assert!(
            shown.starts_with(
                "POST /v2/databases: 502 bad_gateway: Bad Gateway (text/html response body of"
            ),
            "{shown}"
        );
        assert!(!shown.contains("<html>"));

        let text = from(
            503,
            Some("text/plain"),
            "upstream connect error\nor disconnect",
        );
        assert_eq!(
            text.message(),
            "Service Unavailable: upstream connect error or disconnect"
        );

        let empty = from(500, None, "");
        assert_eq!(
            empty.to_string(),
            "POST /v2/databases: 500 server_error: Internal Server Error (empty response body)"
        );

        let long = from(503, Some("text/plain"), &"x".repeat(1000));
        assert!(long.message().len() < 300 && long.message().ends_with('…'));
    }

    #[test]
    fn json_without_a_message_gets_a_fallback_but_keeps_its_id() {
        let e = from(422, JSON, r#"{"id":"name_taken","message":""}"#);
        assert_eq!((e.kind(), e.id()), (ErrorKind::Invalid, Some("name_taken")));
        assert!(
            e.message().starts_with("Unprocessable Entity"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn rate_limited_display_mentions_the_hint() {
        let e = ApiError::from_response(ErrorResponse {
            method: "GET",
            path: "/v2/databases",
            status: 429,
            content_type: JSON,
            body: br#"{"id":"too_many_requests","message":"API rate limit exceeded."}"#,
            header_request_id: None,
            retry_after: Some(Duration::from_secs(150)),
        });
        assert_eq!(
            e.to_string(),
            "GET /v2/databases: 429 too_many_requests: API rate limit exceeded.; the API asked to retry after 2m30s"
        );
    }

    #[test]
    fn constructed_errors_read_like_parsed_ones() {
        let missing = ApiError::from_status("GET", "/v2/databases/x", 404, "gone", "no cluster")
            .with_request_id("r-1");
        assert_eq!(missing.kind(), ErrorKind::NotFound);
        assert_eq!(missing.id(), Some("gone"));
        assert_eq!(
            missing.to_string(),
            "GET /v2/databases/x: 404 not_found: no cluster (request r-1)"
        );

        let reset = ApiError::transport("GET", "/v2/databases", "connection reset");
        assert_eq!((reset.status(), reset.id()), (None, None));
        assert_eq!(reset.to_string(), "GET /v2/databases: connection reset");
        assert!(reset.is_transient());

        let limited = ApiError::from_status("GET", "/v2/databases", 429, "x", "slow down")
            .with_retry_after(Duration::from_secs(5));
        assert_eq!(
            limited.to_string(),
            "GET /v2/databases: 429 too_many_requests: slow down; the API asked to retry after 5s"
        );
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(5)));

        let noted = ApiError::from_status("POST", "/v2/databases", 503, "down", "try later")
            .with_note("it may exist");
        assert_eq!(noted.message(), "try later (it may exist)");
        assert_eq!(noted.kind(), ErrorKind::Server);
    }

    #[test]
    fn human_durations() {
        let show = |d: Duration| HumanDuration(d).to_string();
        assert_eq!(show(Duration::from_millis(250)), "250ms");
        assert_eq!(show(Duration::from_millis(1500)), "1.5s");
        assert_eq!(show(Duration::from_secs(42)), "42s");
        assert_eq!(show(Duration::from_secs(90)), "1m30s");
        assert_eq!(show(Duration::from_secs(3900)), "1h5m");
    }
}
