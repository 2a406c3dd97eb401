//! [`ApiError`]: every way a call to the API can fail, with enough context (method, path,
//! status, the API's error id and request id) for a useful diagnostic.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// An error from the API client.
///
/// `Display` reads like `POST /v2/databases: 422 unprocessable_entity: invalid cluster size
/// (request 4851a473-…)`. It never contains the token or a request/response body; `message` is
/// the API's own `message` field (or, for a non-JSON error, a short description of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 404.
    NotFound {
        method: String,
        path: String,
        message: String,
        request_id: Option<String>,
    },
    /// 401 (bad or missing token) or 403 (token lacks a scope).
    Unauthorized {
        method: String,
        path: String,
        status: u16,
        message: String,
        request_id: Option<String>,
    },
    /// 429 that outlasted the retry budget, or whose wait would have exceeded the retry cap.
    /// `retry_after` is the server's hint, when it gave one.
    RateLimited {
        method: String,
        path: String,
        message: String,
        request_id: Option<String>,
        retry_after: Option<Duration>,
    },
    /// Any other 4xx (400, 409, 412, 422…), or an unexpected 1xx/3xx. Not retried.
    Invalid {
        method: String,
        path: String,
        status: u16,
        id: String,
        message: String,
        request_id: Option<String>,
    },
    /// 5xx, after retries (where the method allowed them) ran out.
    Server {
        method: String,
        path: String,
        status: u16,
        id: String,
        message: String,
        request_id: Option<String>,
    },
    /// No usable HTTP response: connect error, reset, timeout, unreadable or undecodable body.
    Transport {
        method: String,
        path: String,
        message: String,
    },
    /// The client was misconfigured or misused (bad endpoint, empty token, invalid name).
    Config { message: String },
}

impl ApiError {
    /// The HTTP status, when a response was received.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::NotFound { .. } => Some(404),
            ApiError::RateLimited { .. } => Some(429),
            ApiError::Unauthorized { status, .. }
            | ApiError::Invalid { status, .. }
            | ApiError::Server { status, .. } => Some(*status),
            ApiError::Transport { .. } | ApiError::Config { .. } => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, ApiError::NotFound { .. })
    }

    /// The API's message (or the transport/config failure), without method, path or ids.
    pub fn message(&self) -> &str {
        match self {
            ApiError::NotFound { message, .. }
            | ApiError::Unauthorized { message, .. }
            | ApiError::RateLimited { message, .. }
            | ApiError::Invalid { message, .. }
            | ApiError::Server { message, .. }
            | ApiError::Transport { message, .. }
            | ApiError::Config { message } => message,
        }
    }

    /// The request id to quote to DigitalOcean support, when the API sent one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            ApiError::NotFound { request_id, .. }
            | ApiError::Unauthorized { request_id, .. }
            | ApiError::RateLimited { request_id, .. }
            | ApiError::Invalid { request_id, .. }
            | ApiError::Server { request_id, .. } => request_id.as_deref(),
            ApiError::Transport { .. } | ApiError::Config { .. } => None,
        }
    }

    /// Whether trying again later may succeed without changing the request: rate limits,
    /// server errors other than 501, and transport failures. Pollers use this to ride out a
    /// bad minute instead of failing a long wait.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::RateLimited { .. } | ApiError::Transport { .. } => true,
            ApiError::Server { status, .. } => *status != 501,
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
        let request_id = request_id.filter(|r| !r.is_empty()).or(header_request_id);
        let (method, path) = (method.to_string(), path.to_string());
        match status {
            404 => ApiError::NotFound {
                method,
                path,
                message,
                request_id,
            },
            401 | 403 => ApiError::Unauthorized {
                method,
                path,
                status,
                message,
                request_id,
            },
            429 => ApiError::RateLimited {
                method,
                path,
                message,
                request_id,
                retry_after,
            },
            500..=599 => ApiError::Server {
                method,
                path,
                status,
                id,
                message,
                request_id,
            },
            _ => ApiError::Invalid {
                method,
                path,
                status,
                id,
                message,
                request_id,
            },
        }
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
        match self {
            ApiError::NotFound {
                method,
                path,
                message,
                request_id,
            } => {
                write!(f, "{method} {path}: 404 not_found: {message}")?;
                write_request_id(f, request_id)
            }
            ApiError::Unauthorized {
                method,
                path,
                status,
                message,
                request_id,
            } => {
                let id = if *status == 403 {
                    "forbidden"
                } else {
                    "unauthorized"
                };
                write!(f, "{method} {path}: {status} {id}: {message}")?;
                write_request_id(f, request_id)
            }
            ApiError::RateLimited {
                method,
                path,
                message,
                request_id,
                retry_after,
            } => {
                write!(f, "{method} {path}: 429 too_many_requests: {message}")?;
                write_request_id(f, request_id)?;
                match retry_after {
                    Some(wait) => {
                        write!(f, "; the API asked to retry after {}", HumanDuration(*wait))
                    }
                    None => Ok(()),
                }
            }
            ApiError::Invalid {
                method,
                path,
                status,
                id,
                message,
                request_id,
            }
            | ApiError::Server {
                method,
                path,
                status,
                id,
                message,
                request_id,
            } => {
                write!(f, "{method} {path}: {status} {id}: {message}")?;
                write_request_id(f, request_id)
            }
            ApiError::Transport {
                method,
                path,
                message,
            } => write!(f, "{method} {path}: {message}"),
            ApiError::Config { message } => write!(f, "API client configuration: {message}"),
        }
    }
}

impl std::error::Error for ApiError {}

fn write_request_id(f: &mut fmt::Formatter<'_>, request_id: &Option<String>) -> fmt::Result {
    match request_id {
        Some(id) => write!(f, " (request {id})"),
        None => Ok(()),
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
        assert!(
            matches!(&e, ApiError::Invalid { status: 422, id, .. } if id == "unprocessable_entity")
        );
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
        assert!(matches!(unauth, ApiError::Unauthorized { status: 401, .. }));
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
        assert!(matches!(limited, ApiError::RateLimited { .. }));
        assert!(limited.is_transient());

        let server = from(
            500,
            JSON,
            r#"{"id":"server_error","message":"Unexpected server-side error"}"#,
        );
        assert!(matches!(server, ApiError::Server { status: 500, .. }));
        assert!(server.is_transient());
        assert!(!from(501, JSON, "{}").is_transient());

        assert!(matches!(
            from(409, JSON, "{}"),
            ApiError::Invalid { status: 409, .. }
        ));
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
        assert!(matches!(&e, ApiError::Invalid { id, .. } if id == "name_taken"));
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
    fn human_durations() {
        let show = |d: Duration| HumanDuration(d).to_string();
        assert_eq!(show(Duration::from_millis(250)), "250ms");
        assert_eq!(show(Duration::from_millis(1500)), "1.5s");
        assert_eq!(show(Duration::from_secs(42)), "42s");
        assert_eq!(show(Duration::from_secs(90)), "1m30s");
        assert_eq!(show(Duration::from_secs(3900)), "1h5m");
    }
}
