//! The one send path: a [`Request`] becomes one HTTP exchange ([`Client::attempt`]) and its
//! outcome, a decoded [`Reply`] or an [`ApiError`] parsed from the error body.
//!
//! Everything about the wire is here and nowhere else: URLs (path segments are
//! percent-encoded and never empty, see [`segment`]), JSON bodies in and out, error bodies,
//! and the rate-limit headers every response carries. The auth, JSON and user-agent headers
//! are the reqwest client's defaults, set once by [`Client::new`]. Whether to try again is
//! [`super::retry`]'s decision, never this module's.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::error::ErrorResponse;
use super::ratelimit::Permit;
use super::retry::rate_limit_hint;
use super::{ApiError, Client};

impl Client {
    /// One HTTP exchange, unbounded in time (the caller applies `request_timeout`).
    pub(super) async fn attempt(&self, request: &Request, permit: &Permit<'_>) -> Attempt {
        let mut url = format!("{}{}", self.inner.base, request.path);
        if !request.query.is_empty() {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(request.query.iter().map(|(k, v)| (*k, v.as_str())))
                .finish();
            url.push('?');
            url.push_str(&query);
        }
        let mut builder = self.inner.http.request(request.method.clone(), url);
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let response = match builder.send().await {
            Ok(response) => response,
            Err(e) => {
                let sent = !e.is_connect();
                let mut message = describe_reqwest_error(e);
                if self.inner.base.starts_with("https://") && is_tls_to_plain_http(&message) {
                    message.push_str(
                        "; the server did not answer the TLS handshake, so it probably speaks \
                         plain HTTP: check the scheme of `api_endpoint` (dbaas-mock serves \
                         http://, not https://)",
                    );
                }
                return Attempt::Failed {
                    error: request.transport_error(message),
                    sent,
                };
            }
        };

        let status = response.status();
        let headers = response.headers().clone();
        let hint = if status == StatusCode::TOO_MANY_REQUESTS {
            rate_limit_hint(&headers, SystemTime::now())
        } else {
            None
        };
        // Only a 429 that reports the budget (the usual burst limit) holds every request back;
        // a bare one is this request's own business. A wait longer than the client would ever
        // sit out (an hourly quota spent) fails the request instead, and must not stall every
        // other request of the run behind it.
        let reports_budget = header_str(&headers, "ratelimit-remaining").is_some();
        let longest = self.inner.retry.longest_hinted_wait();
        self.inner.rate.observe(
            permit,
            &headers,
            hint.filter(|wait| reports_budget && *wait <= longest),
        );
        let body = match response.bytes().await {
            Ok(body) => body.to_vec(),
            Err(e) => {
                let message = format!(
                    "the response body could not be read: {}",
                    describe_reqwest_error(e)
                );
                return Attempt::Failed {
                    error: request.transport_error(message),
                    sent: true,
                };
            }
        };
        let header_request_id = header_str(&headers, "x-request-id").map(str::to_string);

        if status.is_success() {
            return Attempt::Replied(Reply {
                status: status.as_u16(),
                body,
                request_id: header_request_id,
                method: request.method.clone(),
                path: request.path.clone(),
            });
        }
        let error = ApiError::from_response(ErrorResponse {
            method: request.method.as_str(),
            path: &request.path,
            status: status.as_u16(),
            content_type: header_str(&headers, CONTENT_TYPE.as_str()),
            body: &body,
            header_request_id,
            retry_after: hint,
        });
        Attempt::Rejected {
            error,
            hint,
            reports_budget,
        }
    }
}

pub(super) enum Attempt {
    /// A 2xx.
    Replied(Reply),
    /// A non-2xx response; `hint` is the server's requested wait for a 429.
    Rejected {
        error: ApiError,
        hint: Option<Duration>,
        /// The response carried `ratelimit-remaining`, so a 429 is paced rather than counted.
        reports_budget: bool,
    },
    /// No usable response. `sent` is false when the connection was never established, so the
    /// server cannot have seen the request.
    Failed { error: ApiError, sent: bool },
}

/// One API request, before it is sent. Cloned per create resend, so the body is kept encoded.
#[derive(Clone)]
pub(crate) struct Request {
    pub(super) method: Method,
    /// The API path, already encoded (see [`segment`]), e.g. `/v2/databases/<id>`.
    pub(super) path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
    /// Whether repeating the request after an ambiguous failure is harmless.
    pub(super) idempotent: bool,
}

impl Request {
    fn new(method: Method, path: String) -> Request {
        let idempotent = method != Method::POST;
        Request {
            method,
            path,
            query: Vec::new(),
            body: None,
            idempotent,
        }
    }

    pub(crate) fn get(path: String) -> Request {
        Request::new(Method::GET, path)
    }

    pub(crate) fn post(path: String) -> Request {
        Request::new(Method::POST, path)
    }

    pub(crate) fn put(path: String) -> Request {
        Request::new(Method::PUT, path)
    }

    pub(crate) fn patch(path: String) -> Request {
        Request::new(Method::PATCH, path)
    }

    pub(crate) fn delete(path: String) -> Request {
        Request::new(Method::DELETE, path)
    }

    pub(crate) fn query(mut self, key: &'static str, value: &str) -> Request {
        self.query.push((key, value.to_string()));
        self
    }

    /// Attaches a JSON body.
    pub(crate) fn json(mut self, body: &impl Serialize) -> Result<Request, ApiError> {
        let encoded = serde_json::to_vec(body).map_err(|e| {
            ApiError::config(format!(
                "the request body for {} {} could not be encoded: {e}",
                self.method, self.path
            ))
        })?;
        self.body = Some(encoded);
        Ok(self)
    }

    /// Marks a POST as safe to repeat (tagging, creating a tag), so it gets the same retries as
    /// a PUT.
    pub(crate) fn idempotent(mut self) -> Request {
        self.idempotent = true;
        self
    }

    pub(super) fn transport_error(&self, message: String) -> ApiError {
        ApiError::transport(self.method.as_str(), self.path.as_str(), message)
    }
}

/// A 2xx response, with what is needed to decode it and to report decoding errors.
pub(crate) struct Reply {
    pub(crate) status: u16,
    body: Vec<u8>,
    pub(super) request_id: Option<String>,
    method: Method,
    path: String,
}

impl Reply {
    /// The whole body as `T`.
    pub(crate) fn whole<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| self.decode_error(&e))
    }

    /// The envelope field `key` (`{"database": …}`), which must be present and not null.
    pub(crate) fn field<T: DeserializeOwned>(&self, key: &str) -> Result<T, ApiError> {
        self.optional_field(key)?
            .ok_or_else(|| self.malformed(format!("the response has no `{key}` field")))
    }

    /// The envelope field `key`, or `None` when the body is empty or the field is absent or
    /// null (lists the API renders as `null` when empty, 202s without a body).
    pub(crate) fn optional_field<T: DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let mut object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&self.body).map_err(|e| self.decode_error(&e))?;
        match object.remove(key) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(value) => T::deserialize(value)
                .map(Some)
                .map_err(|e| self.decode_error(&e)),
        }
    }

    /// A list under `key`; absent or null reads as empty.
    pub(crate) fn list<T: DeserializeOwned>(&self, key: &str) -> Result<Vec<T>, ApiError> {
        Ok(self.optional_field(key)?.unwrap_or_default())
    }

    fn decode_error(&self, error: &serde_json::Error) -> ApiError {
        // serde quotes the offending value in "invalid type" messages; response bodies hold
        // passwords, so a message that quotes anything is replaced by its category and position.
        let shown = error.to_string();
        let detail = if shown.contains('"') || shown.contains('\'') {
            let kind = match error.classify() {
                serde_json::error::Category::Io => "I/O error",
                serde_json::error::Category::Syntax => "invalid JSON",
                serde_json::error::Category::Data => "unexpected value",
                serde_json::error::Category::Eof => "truncated JSON",
            };
            if error.line() > 0 {
                format!("{kind} at line {}, column {}", error.line(), error.column())
            } else {
                kind.to_string()
            }
        } else {
            shown
        };
        self.malformed(format!("the response body could not be decoded: {detail}"))
    }

    fn malformed(&self, message: String) -> ApiError {
        let message = match &self.request_id {
            Some(id) => format!("{message} (status {}, request {id})", self.status),
            None => format!("{message} (status {})", self.status),
        };
        ApiError::transport(self.method.as_str(), self.path.as_str(), message)
    }
}

/// Encodes one path segment (an id or a name). `what` names it in the error when it is empty:
/// an empty id would silently turn `GET /v2/databases/{id}` into the list call.
pub(crate) fn segment(what: &str, value: &str) -> Result<String, ApiError> {
    if value.is_empty() {
        return Err(ApiError::config(format!("the {what} is empty")));
    }
    // `.` and `..` would be collapsed by URL normalisation, so they are encoded too.
    let dots_only = value.bytes().all(|b| b == b'.');
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        let keep = !dots_only
            && (byte.is_ascii_alphanumeric()
                || matches!(byte, b'-' | b'_' | b'.' | b'~' | b':' | b'@'));
        if keep {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    Ok(encoded)
}

pub(super) fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Whether a TLS failure looks like a handshake answered by a plain-HTTP server (rustls reads
/// the `HTTP/1.1 400` a plain server sends back as a record of an invalid content type).
pub(crate) fn is_tls_to_plain_http(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "invalidcontenttype",
        "corrupt message",
        "wrong version number",
        "http response to https",
    ]
    .iter()
    .any(|sign| message.contains(sign))
}

/// A reqwest error without its URL, with its causes: `error sending request: client error
/// (Connect): tcp connect error: Connection refused (os error 111)`.
fn describe_reqwest_error(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::error::ErrorKind;
    use crate::api::models::Options;

    #[test]
    fn segments_are_encoded_and_never_empty() {
        assert_eq!(
            segment("cluster id", "9cc10173-e9ea").unwrap(),
            "9cc10173-e9ea"
        );
        assert_eq!(segment("tag name", "env:prod").unwrap(), "env:prod");
        assert_eq!(segment("pool name", "a/b c?").unwrap(), "a%2Fb%20c%3F");
        assert_eq!(segment("pool name", "..").unwrap(), "%2E%2E");
        assert_eq!(segment("topic name", "é").unwrap(), "%C3%A9");
        let empty = segment("cluster id", "").unwrap_err();
        assert_eq!(
            empty.to_string(),
            "API client configuration: the cluster id is empty"
        );
    }

    fn reply(body: &str) -> Reply {
        Reply {
            status: 200,
            body: body.as_bytes().to_vec(),
            request_id: Some("req-1".into()),
            method: Method::GET,
            path: "/v2/databases".into(),
        }
    }

    #[test]
    fn envelopes_are_unwrapped() {
        let r = reply(
            r#"{"pools": [{"name": "a", "mode": "session", "size": 1, "db": "d"}], "extra": 1}"#,
        );
        let pools: Vec<crate::api::models::Pool> = r.list("pools").unwrap();
        assert_eq!(pools[0].name, "a");
        assert!(reply(r#"{"databases": null}"#)
            .list::<serde_json::Value>("databases")
            .unwrap()
            .is_empty());
        assert!(reply("")
            .list::<serde_json::Value>("topics")
            .unwrap()
            .is_empty());
        assert_eq!(
            reply(" \n")
                .optional_field::<serde_json::Value>("topic")
                .unwrap(),
            None
        );
        let missing = reply(r#"{"id": "accepted"}"#)
            .field::<serde_json::Value>("database")
            .unwrap_err();
        assert_eq!(
            missing.to_string(),
            "GET /v2/databases: the response has no `database` field (status 200, request req-1)"
        );
    }

    #[test]
    fn decode_errors_never_quote_response_values() {
        let r = reply(
            r#"{"database": {"name": "n", "engine": "pg", "num_nodes": "hunter2-password"}}"#,
        );
        let e = r
            .field::<crate::api::models::Cluster>("database")
            .unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(
            e.to_string()
                .contains("could not be decoded: unexpected value"),
            "{e}"
        );
        let missing = reply(r#"{"database": {"name": "n"}}"#)
            .field::<crate::api::models::Cluster>("database")
            .unwrap_err();
        assert!(
            missing.to_string().contains("missing field `engine`"),
            "{missing}"
        );
        let syntax = reply("<html>").whole::<Options>().unwrap_err();
        assert_eq!(syntax.kind(), ErrorKind::Transport);
    }
}
