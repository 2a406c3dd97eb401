//! [`UncloudClient`]: the platform's client value, its one send path and its typed calls.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::time::Instant;

use super::models::{status, CreateDatabase, Credentials, Database, ErrorBody};
use crate::api::{deadline, ApiError, ErrorKind, RetryPolicy};

/// Where the platform serves its API, below the configured endpoint.
pub const API_PREFIX: &str = "/api/v1";
/// The project a database lands in when the create names none (the platform's default).
pub const DEFAULT_PROJECT: &str = "proj_default";
/// The most of a non-JSON error body that is quoted in a message.
const QUOTED_BODY_CHARS: usize = 200;

/// What the client needs; `endpoint` is the platform's URL (`http://host:8080`), with or
/// without the `/api/v1` suffix.
#[derive(Clone)]
pub struct UncloudConfig {
    pub endpoint: String,
    pub token: String,
    pub user_agent: String,
    pub retry: RetryPolicy,
    pub request_timeout: Duration,
}

/// A client of one platform. Cheap to clone; clones share the connection pool.
#[derive(Clone)]
pub struct UncloudClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// The endpoint without a trailing `/` or `/api/v1`.
    base: String,
    retry: RetryPolicy,
    request_timeout: Duration,
}

impl std::fmt::Debug for UncloudClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UncloudClient")
            .field("endpoint", &self.inner.base)
            .field("retry", &self.inner.retry)
            .field("request_timeout", &self.inner.request_timeout)
            .finish_non_exhaustive()
    }
}

/// The answer to one exchange.
enum Attempt {
    Replied {
        status: u16,
        body: Vec<u8>,
    },
    Rejected {
        error: ApiError,
        retry_after: Option<Duration>,
    },
    /// No usable response; `sent` is false when the connection was never made.
    Failed {
        error: ApiError,
        sent: bool,
    },
}

/// One request, kept encoded so that it can be sent again.
struct Exchange {
    method: Method,
    path: String,
    body: Option<Vec<u8>>,
}

impl Exchange {
    fn new(method: Method, path: String) -> Exchange {
        Exchange {
            method,
            path,
            body: None,
        }
    }

    fn json(mut self, body: &impl Serialize) -> Result<Exchange, ApiError> {
        let encoded = serde_json::to_vec(body).map_err(|e| {
            ApiError::config(format!(
                "the body of {} {} could not be encoded: {e}",
                self.method, self.path
            ))
        })?;
        self.body = Some(encoded);
        Ok(self)
    }

    /// GET and DELETE may be repeated after an ambiguous failure; a POST may not.
    fn idempotent(&self) -> bool {
        self.method != Method::POST
    }
}

impl UncloudClient {
    /// Builds a client; a [`ErrorKind::Config`] error for an unusable endpoint, an empty token
    /// or one that cannot be sent as a header, or a zero `request_timeout`.
    pub fn new(config: UncloudConfig) -> Result<UncloudClient, ApiError> {
        let base = base_url(&config.endpoint)?;
        let token = config.token.trim();
        if token.is_empty() {
            return Err(ApiError::config("the Uncloud token is empty"));
        }
        let mut auth = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            ApiError::config("the Uncloud token contains characters not allowed in an HTTP header")
        })?;
        auth.set_sensitive(true);
        if config.request_timeout.is_zero() {
            return Err(ApiError::config(
                "request_timeout must be greater than zero",
            ));
        }
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, auth);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let user_agent = HeaderValue::from_str(config.user_agent.trim()).map_err(|_| {
            ApiError::config("the user agent contains characters not allowed in an HTTP header")
        })?;
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(user_agent)
            // A redirect would carry the token somewhere else.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ApiError::config(format!("the HTTP client could not be built: {e}")))?;
        Ok(UncloudClient {
            inner: Arc::new(Inner {
                http,
                base,
                retry: config.retry,
                request_timeout: config.request_timeout,
            }),
        })
    }

    /// The platform's URL, without `/api/v1`.
    pub fn endpoint(&self) -> &str {
        &self.inner.base
    }

    /// `GET /api/v1/databases`: every database the token can see.
    pub async fn list_databases(&self) -> Result<Vec<Database>, ApiError> {
        let path = format!("{API_PREFIX}/databases");
        self.call(Exchange::new(Method::GET, path)).await
    }

    /// `GET /api/v1/databases/{id}`.
    pub async fn get_database(&self, id: &str) -> Result<Database, ApiError> {
        let path = format!("{API_PREFIX}/databases/{}", segment(id)?);
        self.call(Exchange::new(Method::GET, path)).await
    }

    /// The database named `name` in `project_id` (the default project when `None`), if one
    /// exists and is not destroyed.
    pub async fn find_by_name(
        &self,
        name: &str,
        project_id: Option<&str>,
    ) -> Result<Option<Database>, ApiError> {
        let project = project_id.unwrap_or(DEFAULT_PROJECT);
        Ok(self.list_databases().await?.into_iter().find(|db| {
            db.name == name
                && db.project_id.as_deref().unwrap_or(DEFAULT_PROJECT) == project
                && db.status != status::DESTROYED
        }))
    }

    /// `POST /api/v1/databases`, never re-sent blindly: after an ambiguous failure (a 5xx,
    /// a lost or unusable answer) the database is looked up by name and adopted when it
    /// exists; only when it does not is the create sent again, within the retry budget.
    /// Returns what the platform answered, often the partial object: read it back for the rest.
    pub async fn create_database(&self, request: &CreateDatabase) -> Result<Database, ApiError> {
        let path = format!("{API_PREFIX}/databases");
        let retry = self.inner.retry;
        let mut resends = 0u32;
        loop {
            let exchange = Exchange::new(Method::POST, path.clone()).json(request)?;
            let (error, answered) = match self.attempt(&exchange).await {
                Attempt::Replied { status, body } => match decode::<Database>(&exchange, &body) {
                    Ok(database) if !database.id.is_empty() => return Ok(database),
                    _ => (
                        ApiError::transport(
                            "POST",
                            path.as_str(),
                            format!(
                                "the create was answered {status} without a usable database object"
                            ),
                        ),
                        true,
                    ),
                },
                Attempt::Rejected { error, .. } if is_transient(&error) => (error, false),
                Attempt::Rejected { error, .. } => return Err(error),
                Attempt::Failed { error, sent: false } => (error, false),
                Attempt::Failed { error, sent: true } => (error, false),
            };
            tracing::warn!(error = %error, name = %request.name, "Uncloud create failed ambiguously; looking the database up by name");
            match self.find_by_name(&request.name, request.project_id.as_deref()).await {
                Ok(Some(found)) => return Ok(found),
                // The platform said it created something that it cannot show: sending the
                // create again could make a second one.
                Ok(None) if answered => {
                    return Err(error.with_note(
                        "the platform answered success but lists no such database; look for it before applying again",
                    ))
                }
                Ok(None) => {
                    let wait = retry.backoff(resends);
                    if resends >= retry.max_retries || past_deadline(wait) {
                        return Err(error.with_attempts(resends + 1));
                    }
                    resends += 1;
                    tokio::time::sleep(wait).await;
                }
                Err(lookup) => {
                    tracing::warn!(error = %lookup, "the lookup after an ambiguous create failed");
                    return Err(error.with_note(
                        "the database may have been created; it could not be looked up to make sure",
                    ));
                }
            }
        }
    }

    /// `DELETE /api/v1/databases/{id}`. A 404 is an error of kind `NotFound`: the caller
    /// decides whether "already gone" is fine.
    pub async fn delete_database(&self, id: &str) -> Result<(), ApiError> {
        let path = format!("{API_PREFIX}/databases/{}", segment(id)?);
        self.execute(Exchange::new(Method::DELETE, path))
            .await
            .map(|_| ())
    }

    /// `GET /api/v1/databases/{id}/credentials`.
    pub async fn credentials(&self, id: &str) -> Result<Credentials, ApiError> {
        let path = format!("{API_PREFIX}/databases/{}/credentials", segment(id)?);
        self.call(Exchange::new(Method::GET, path)).await
    }

    /// Sends with retries and decodes the JSON answer.
    async fn call<T: DeserializeOwned>(&self, exchange: Exchange) -> Result<T, ApiError> {
        let body = self.execute_ref(&exchange).await?;
        decode(&exchange, &body)
    }

    async fn execute(&self, exchange: Exchange) -> Result<Vec<u8>, ApiError> {
        self.execute_ref(&exchange).await
    }

    /// The retry loop: idempotent requests are retried after a 429, a 5xx other than 501 or
    /// a network error, with backoff and jitter (a `retry-after` is honoured), never past the
    /// operation's deadline.
    async fn execute_ref(&self, exchange: &Exchange) -> Result<Vec<u8>, ApiError> {
        let retry = self.inner.retry;
        let mut retries = 0u32;
        loop {
            let (error, hinted) = match self.attempt(exchange).await {
                Attempt::Replied { body, .. } => return Ok(body),
                Attempt::Rejected { error, retry_after } => (error, retry_after),
                Attempt::Failed { error, .. } => (error, None),
            };
            if !exchange.idempotent() || !is_transient(&error) || retries >= retry.max_retries {
                return Err(error.with_attempts(retries + 1));
            }
            let wait =
                hinted.map_or_else(|| retry.backoff(retries), |hint| hint.max(retry.wait_min));
            if wait > retry.wait_max.max(Duration::from_secs(60)) || past_deadline(wait) {
                return Err(error.with_attempts(retries + 1));
            }
            tracing::debug!(method = %exchange.method, path = %exchange.path, error = %error, ?wait, "retrying");
            retries += 1;
            tokio::time::sleep(wait).await;
        }
    }

    /// One HTTP exchange within `request_timeout`.
    async fn attempt(&self, exchange: &Exchange) -> Attempt {
        let url = format!("{}{}", self.inner.base, exchange.path);
        let mut builder = self
            .inner
            .http
            .request(exchange.method.clone(), url)
            .timeout(self.inner.request_timeout);
        if let Some(body) = &exchange.body {
            builder = builder.body(body.clone());
        }
        let transport = |message: String| {
            ApiError::transport(exchange.method.as_str(), exchange.path.as_str(), message)
        };
        let response = match builder.send().await {
            Ok(response) => response,
            Err(e) => {
                let sent = !e.is_connect();
                let mut message = describe(e);
                if self.inner.base.starts_with("https://")
                    && crate::api::is_tls_to_plain_http(&message)
                {
                    message.push_str(
                        "; the server did not answer the TLS handshake, so it probably speaks plain \
                         HTTP: check the scheme of `uncloud_endpoint` (dbaas-mock serves http://)",
                    );
                }
                return Attempt::Failed {
                    error: transport(message),
                    sent,
                };
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = match response.bytes().await {
            Ok(body) => body.to_vec(),
            Err(e) => {
                return Attempt::Failed {
                    error: transport(format!(
                        "the response body could not be read: {}",
                        describe(e)
                    )),
                    sent: true,
                }
            }
        };
        if status.is_success() {
            return Attempt::Replied {
                status: status.as_u16(),
                body,
            };
        }
        Attempt::Rejected {
            error: error_from_answer(exchange, status, &body),
            retry_after: retry_after.filter(|_| status == StatusCode::TOO_MANY_REQUESTS),
        }
    }
}

/// The platform's error answer as an [`ApiError`]: its `{"error": "…"}` message, or a short
/// quote of a body that is not one.
fn error_from_answer(exchange: &Exchange, status: StatusCode, body: &[u8]) -> ApiError {
    let message = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(ErrorBody {
            error: Some(message),
        }) if !message.trim().is_empty() => message,
        _ => {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            if text.is_empty() {
                status.canonical_reason().unwrap_or("error").to_string()
            } else {
                text.chars().take(QUOTED_BODY_CHARS).collect()
            }
        }
    };
    let id = match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        422 => "unprocessable_entity",
        429 => "too_many_requests",
        500..=599 => "server_error",
        _ => "error",
    };
    ApiError::from_status(
        exchange.method.as_str(),
        exchange.path.as_str(),
        status.as_u16(),
        id,
        message,
    )
}

fn decode<T: DeserializeOwned>(exchange: &Exchange, body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::transport(
            exchange.method.as_str(),
            exchange.path.as_str(),
            format!("the answer could not be decoded: {e}"),
        )
    })
}

fn is_transient(error: &ApiError) -> bool {
    match error.kind() {
        ErrorKind::Transport | ErrorKind::RateLimited => true,
        ErrorKind::Server => error.status() != Some(501),
        _ => false,
    }
}

/// Whether waiting `wait` would end past the current operation's deadline.
fn past_deadline(wait: Duration) -> bool {
    deadline::current().is_some_and(|limit| Instant::now() + wait >= limit)
}

/// The endpoint as the base of every path: http(s), a host, no query, no trailing `/` and
/// no `/api/v1` (which every path adds).
fn base_url(endpoint: &str) -> Result<String, ApiError> {
    let trimmed = endpoint.trim();
    let url = url::Url::parse(trimmed).map_err(|e| {
        ApiError::config(format!("{trimmed:?} is not a URL ({e}); expected something like \"http://uncloud.internal:8080\""))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ApiError::config(format!(
            "{trimmed:?} must use http or https, not {:?}",
            url.scheme()
        )));
    }
    if url.host_str().map_or(true, str::is_empty) {
        return Err(ApiError::config(format!("{trimmed:?} has no host")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ApiError::config(format!(
            "{trimmed:?} must not have a query or fragment"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ApiError::config(
            "the URL must not carry credentials; set the token through `uncloud_token`",
        ));
    }
    let base = trimmed.trim_end_matches('/');
    Ok(base
        .strip_suffix(API_PREFIX)
        .unwrap_or(base)
        .trim_end_matches('/')
        .to_string())
}

/// A path segment: IDs are `db_…`, but whatever comes from state or an import is encoded.
fn segment(value: &str) -> Result<String, ApiError> {
    if value.is_empty() {
        return Err(ApiError::config("the database ID is empty"));
    }
    Ok(value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect())
}

fn describe(error: reqwest::Error) -> String {
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

    #[test]
    fn the_endpoint_may_carry_the_api_prefix() {
        assert_eq!(base_url("http://h:8080").unwrap(), "http://h:8080");
        assert_eq!(base_url("http://h:8080/").unwrap(), "http://h:8080");
        assert_eq!(base_url("http://h:8080/api/v1").unwrap(), "http://h:8080");
        assert_eq!(base_url("http://h:8080/api/v1/").unwrap(), "http://h:8080");
        assert_eq!(base_url("https://h/proxy").unwrap(), "https://h/proxy");
        for bad in ["ftp://h", "h:8080", "http://h?x=1", "http://u:p@h"] {
            assert_eq!(
                base_url(bad).unwrap_err().kind(),
                ErrorKind::Config,
                "{bad}"
            );
        }
    }

    #[test]
    fn ids_are_encoded() {
        assert_eq!(segment("db_abc123").unwrap(), "db_abc123");
        assert_eq!(segment("../x").unwrap(), "%2E%2E%2Fx");
        assert!(segment("").is_err());
    }

    #[test]
    fn error_bodies_become_typed_errors() {
        let exchange = Exchange::new(Method::GET, "/api/v1/databases/db_x".into());
        let error = error_from_answer(
            &exchange,
            StatusCode::NOT_FOUND,
            br#"{"error":"database not found"}"#,
        );
        assert!(error.is_not_found());
        assert_eq!(error.message(), "database not found");
        let error = error_from_answer(
            &exchange,
            StatusCode::BAD_GATEWAY,
            b"<html>bad gateway</html>",
        );
        assert_eq!(error.kind(), ErrorKind::Server);
        assert_eq!(error.message(), "<html>bad gateway</html>");
        let error = error_from_answer(&exchange, StatusCode::UNPROCESSABLE_ENTITY, b"");
        assert_eq!(error.kind(), ErrorKind::Invalid);
        assert_eq!(error.message(), "Unprocessable Entity");
    }
}
