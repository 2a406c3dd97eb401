//! [`Client`]: the one send path to the API.
//!
//! Every request goes through [`Client::execute`], which owns what must be done the same way
//! everywhere: URL building (path segments are percent-encoded and never empty), headers (auth,
//! JSON, user agent), one timeout per attempt, error parsing, retries, and the rate-limit
//! bookkeeping of [`super::ratelimit`]. Typed sub-APIs (`client.clusters()`, `client.pools(id)`,
//! …) build on it and never touch `reqwest` themselves.
//!
//! # Retries
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
//! up first ([`Client::create_safely`]). Waits between attempts are exponential with jitter
//! ([`RetryPolicy::backoff`]); a 429 waits for the server's hint (`retry-after` seconds, else
//! `ratelimit-reset` once the budget is spent) when it gives one.
//!
//! A 429 that reports the budget (`ratelimit-remaining`) is the pacing's business, not a
//! failure: it is retried once the budget allows without using up `max_retries`, for at most
//! [`RATE_LIMIT_PATIENCE`] per call. A new provider process learns the budget only from
//! responses, so such 429s are expected now and then and must not fail a run.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::time::Instant;

use super::error::{ErrorResponse, HumanDuration};
use super::models::Options;
use super::ratelimit::{Permit, RateLimitStatus, RateLimiter};
use super::wait::ClusterListWatch;
use super::ApiError;

/// The longest a call keeps retrying 429s that report the budget, which do not count against
/// `max_retries`; bounded so that a run never hangs on a budget that does not come back.
pub const RATE_LIMIT_PATIENCE: Duration = Duration::from_secs(600);

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
    /// spent) fails the call at once with [`ApiError::RateLimited`] rather than stalling a run
    /// silently. The API's burst window is one minute, so its hints always fit.
    fn longest_hinted_wait(&self) -> Duration {
        self.wait_max.max(Duration::from_secs(60))
    }
}

/// What [`Client::new`] needs.
#[derive(Clone)]
pub struct ClientConfig {
    /// Base URL, e.g. `https://api.digitalocean.com` or `http://127.0.0.1:1234`; a trailing `/`
    /// is tolerated, and a path prefix (`https://proxy.example/do`) is kept.
    pub endpoint: String,
    /// API token, sent as `Authorization: Bearer <token>`. Never logged or printed.
    pub token: String,
    /// E.g. `terraform-provider-dbaas/0.1.0 Terraform/1.11.4`; empty means the crate's own.
    pub user_agent: String,
    pub retry: RetryPolicy,
    /// Bound on each HTTP attempt (connect, send, and reading the whole response).
    pub request_timeout: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            endpoint: "https://api.digitalocean.com".to_string(),
            token: String::new(),
            user_agent: default_user_agent(),
            retry: RetryPolicy::default(),
            request_timeout: Duration::from_secs(60),
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("endpoint", &self.endpoint)
            .field("token", &"<redacted>")
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("request_timeout", &self.request_timeout)
            .finish()
    }
}

fn default_user_agent() -> String {
    format!("terraform-provider-dbaas/{}", env!("CARGO_PKG_VERSION"))
}

/// The API client. Cheap to clone: clones share one connection pool, one rate-limit budget
/// and one cluster-list watcher. Every async method is cancel-safe: dropping its future aborts
/// the request and any wait.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// Endpoint without a trailing `/`; API paths (`/v2/…`) are appended to it.
    base: String,
    user_agent: String,
    retry: RetryPolicy,
    request_timeout: Duration,
    rate: RateLimiter,
    cluster_watch: ClusterListWatch,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.base)
            .field("token", &"<redacted>")
            .field("user_agent", &self.inner.user_agent)
            .field("retry", &self.inner.retry)
            .field("request_timeout", &self.inner.request_timeout)
            .finish()
    }
}

impl Client {
    /// Builds a client. Fails with [`ApiError::Config`] on an unusable endpoint (not http or
    /// https, no host, credentials, query or fragment), an empty token, a token or user agent
    /// that cannot be sent as a header, a zero `request_timeout`, or `wait_min > wait_max`.
    pub fn new(config: ClientConfig) -> Result<Client, ApiError> {
        let base = check_endpoint(&config.endpoint)?;
        let token = config.token.trim();
        if token.is_empty() {
            return Err(config_error("the API token is empty"));
        }
        let mut auth = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            config_error("the API token contains characters not allowed in an HTTP header")
        })?;
        auth.set_sensitive(true);
        let user_agent = match config.user_agent.trim() {
            "" => default_user_agent(),
            ua => ua.to_string(),
        };
        let user_agent_header = HeaderValue::from_str(&user_agent).map_err(|_| {
            config_error("the user agent contains characters not allowed in an HTTP header")
        })?;
        if config.request_timeout.is_zero() {
            return Err(config_error("request_timeout must be greater than zero"));
        }
        if config.retry.wait_min > config.retry.wait_max {
            return Err(config_error(format!(
                "the retry wait_min ({}) is longer than wait_max ({})",
                HumanDuration(config.retry.wait_min),
                HumanDuration(config.retry.wait_max)
            )));
        }

        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, auth);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(user_agent_header)
            // The API never redirects; following one would send the token somewhere unexpected.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| config_error(format!("the HTTP client could not be built: {e}")))?;

        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                user_agent,
                retry: config.retry,
                request_timeout: config.request_timeout,
                rate: RateLimiter::default(),
                cluster_watch: ClusterListWatch::default(),
            }),
        })
    }

    /// The endpoint requests go to, without a trailing `/`.
    pub fn endpoint(&self) -> &str {
        &self.inner.base
    }

    /// The rate-limit budget as the API last reported it, shared by all clones of this client;
    /// `None` before the first response that carried the headers.
    pub fn rate_limit(&self) -> Option<RateLimitStatus> {
        self.inner.rate.status()
    }

    /// `GET /v2/databases/options`: regions, versions and layouts per engine.
    pub async fn options(&self) -> Result<Options, ApiError> {
        self.execute(Request::get("/v2/databases/options".to_string()))
            .await?
            .whole()
    }

    pub(crate) fn cluster_watch(&self) -> &ClusterListWatch {
        &self.inner.cluster_watch
    }

    /// Sends `request`, retrying as the module docs describe, and returns the first 2xx reply
    /// or the final error.
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
                    let retryable = match &error {
                        ApiError::RateLimited { .. } => true,
                        ApiError::Server { status, .. } => *status != 501 && request.idempotent,
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
                return Err(error);
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
                    return Err(error);
                }
            } else if retries_done >= retry.max_retries {
                return Err(error);
            }
            let wait = match hint {
                Some(hint) if hint > retry.longest_hinted_wait() => {
                    tracing::warn!(
                        method = %request.method, path = %request.path, wait = %HumanDuration(hint),
                        "rate limited; the API asks for a longer wait than the provider retries for"
                    );
                    return Err(error);
                }
                Some(hint) => retry.hinted_wait(hint),
                None => retry.backoff(retries_done),
            };
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

    /// One HTTP exchange, unbounded in time (the caller applies `request_timeout`).
    async fn attempt(&self, request: &Request, permit: &Permit<'_>) -> Attempt {
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
                return Attempt::Failed {
                    error: request.transport_error(describe_reqwest_error(e)),
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

    /// Creates an object with a POST that is never re-sent blindly.
    ///
    /// When the POST fails ambiguously (a 5xx other than 501, a timeout or a lost response,
    /// after which the object may or may not exist), `lookup` is asked whether the object
    /// exists: if it does, it is returned as [`Created::Found`]; if it does not, the POST is
    /// sent again, within the retry budget. When the lookup itself fails, the POST's error is
    /// returned with a note that the object may exist.
    pub(crate) async fn create_safely<T, L, Fut>(
        &self,
        request: Request,
        what: &str,
        mut lookup: L,
    ) -> Result<Created<T>, ApiError>
    where
        L: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>, ApiError>>,
    {
        let retry = self.inner.retry;
        let mut resends: u32 = 0;
        loop {
            let error = match self.execute(request.clone()).await {
                Ok(reply) => return Ok(Created::Replied(reply)),
                Err(error) if is_ambiguous(&error) => error,
                Err(error) => return Err(error),
            };
            tracing::warn!(
                method = %request.method, path = %request.path, what, error = %error,
                "create failed ambiguously; looking the object up before deciding to resend"
            );
            match lookup().await {
                Ok(Some(found)) => {
                    tracing::info!(
                        what,
                        "the object exists: the create went through despite the error"
                    );
                    return Ok(Created::Found(found));
                }
                Ok(None) if resends < retry.max_retries => {
                    let wait = retry.backoff(resends);
                    resends += 1;
                    tracing::warn!(
                        method = %request.method, path = %request.path, what, wait = %HumanDuration(wait),
                        "the object does not exist; sending the create again"
                    );
                    tokio::time::sleep(wait).await;
                }
                Ok(None) => return Err(error),
                Err(lookup_error) => {
                    return Err(with_note(
                        error,
                        &format!(
                        "{what} may have been created anyway; looking it up failed: {lookup_error}"
                    ),
                    ))
                }
            }
        }
    }
}

/// The result of [`Client::create_safely`].
pub(crate) enum Created<T> {
    /// The POST answered with a 2xx.
    Replied(Reply),
    /// The POST failed ambiguously and the lookup found the object.
    Found(T),
}

/// Whether a failed request may nevertheless have been applied.
fn is_ambiguous(error: &ApiError) -> bool {
    match error {
        ApiError::Server { status, .. } => *status != 501,
        ApiError::Transport { .. } => true,
        _ => false,
    }
}

/// Appends `note` to the error's message, keeping its kind.
fn with_note(error: ApiError, note: &str) -> ApiError {
    let append = |message: String| format!("{message} ({note})");
    match error {
        ApiError::Server {
            method,
            path,
            status,
            id,
            message,
            request_id,
        } => ApiError::Server {
            method,
            path,
            status,
            id,
            message: append(message),
            request_id,
        },
        ApiError::Transport {
            method,
            path,
            message,
        } => ApiError::Transport {
            method,
            path,
            message: append(message),
        },
        other => other,
    }
}

enum Attempt {
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
    method: Method,
    /// The API path, already encoded (see [`segment`]), e.g. `/v2/databases/<id>`.
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
    /// Whether repeating the request after an ambiguous failure is harmless.
    idempotent: bool,
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
            config_error(format!(
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

    fn transport_error(&self, message: String) -> ApiError {
        ApiError::Transport {
            method: self.method.to_string(),
            path: self.path.clone(),
            message,
        }
    }
}

/// A 2xx response, with what is needed to decode it and to report decoding errors.
pub(crate) struct Reply {
    pub(crate) status: u16,
    body: Vec<u8>,
    request_id: Option<String>,
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
        ApiError::Transport {
            method: self.method.to_string(),
            path: self.path.clone(),
            message,
        }
    }
}

/// Encodes one path segment (an id or a name). `what` names it in the error when it is empty:
/// an empty id would silently turn `GET /v2/databases/{id}` into the list call.
pub(crate) fn segment(what: &str, value: &str) -> Result<String, ApiError> {
    if value.is_empty() {
        return Err(config_error(format!("the {what} is empty")));
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

/// Validates and normalises the endpoint.
fn check_endpoint(endpoint: &str) -> Result<String, ApiError> {
    let trimmed = endpoint.trim();
    let url = url::Url::parse(trimmed)
        .map_err(|e| config_error(format!("the endpoint {trimmed:?} is not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(config_error(format!(
            "the endpoint {trimmed:?} must use http or https"
        )));
    }
    if url.host_str().map_or(true, str::is_empty) {
        return Err(config_error(format!(
            "the endpoint {trimmed:?} has no host"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(config_error(
            "the endpoint must not contain credentials; set the token instead",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(config_error(format!(
            "the endpoint {trimmed:?} must not have a query or fragment"
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

fn config_error(message: impl Into<String>) -> ApiError {
    ApiError::Config {
        message: message.into(),
    }
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The wait a 429 asks for: `retry-after` (seconds), else the time until `ratelimit-reset`
/// (epoch seconds) when `ratelimit-remaining` says the budget is spent. While budget remains,
/// the reset time is when the oldest request in the sliding hour expires, which says nothing
/// about a burst limit, so it is not used.
pub(crate) fn rate_limit_hint(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
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
    use rand::rngs::StdRng;
    use rand::SeedableRng;

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

    #[test]
    fn endpoints_are_checked_and_normalised() {
        assert_eq!(
            check_endpoint("https://api.digitalocean.com/").unwrap(),
            "https://api.digitalocean.com"
        );
        assert_eq!(
            check_endpoint(" http://127.0.0.1:8080 ").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            check_endpoint("https://proxy.example/do/").unwrap(),
            "https://proxy.example/do"
        );
        for bad in [
            "",
            "api.digitalocean.com",
            "ftp://x",
            "https://u:p@x",
            "https://x?a=1",
            "https://x#f",
        ] {
            assert!(
                matches!(check_endpoint(bad), Err(ApiError::Config { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn new_rejects_bad_configuration_without_echoing_the_token() {
        let base = ClientConfig {
            token: "dop_v1_secret".into(),
            ..ClientConfig::default()
        };
        assert!(Client::new(base.clone()).is_ok());
        let empty = Client::new(ClientConfig {
            token: "  ".into(),
            ..base.clone()
        })
        .unwrap_err();
        assert!(empty.to_string().contains("token is empty"));
        let bad = Client::new(ClientConfig {
            token: "dop_v1_\nsecret".into(),
            ..base.clone()
        })
        .unwrap_err();
        assert!(!bad.to_string().contains("secret"), "{bad}");
        let zero = Client::new(ClientConfig {
            request_timeout: Duration::ZERO,
            ..base.clone()
        });
        assert!(matches!(zero, Err(ApiError::Config { .. })));
        let inverted = ClientConfig {
            retry: policy(2_000, 1_000),
            ..base
        };
        assert!(Client::new(inverted)
            .unwrap_err()
            .to_string()
            .contains("wait_min (2s)"));
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let config = ClientConfig {
            token: "dop_v1_secret".into(),
            ..ClientConfig::default()
        };
        assert!(!format!("{config:?}").contains("dop_v1_secret"));
        let client = Client::new(config).unwrap();
        let shown = format!("{client:?}");
        assert!(
            !shown.contains("dop_v1_secret") && shown.contains("<redacted>"),
            "{shown}"
        );
        assert!(shown.contains("https://api.digitalocean.com"));
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
        assert!(matches!(syntax, ApiError::Transport { .. }));
    }
}
