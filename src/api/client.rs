//! [`Client`]: the API client as a value. Its configuration, what its clones share (one
//! connection pool, one rate-limit budget, one cluster-list watch, one turn table per cluster),
//! and the calls that belong to no object of their own.
//!
//! The rest of the client is split by concern: [`super::send`] is the one send path,
//! [`super::retry`] decides what is tried again, [`super::safe_create`] keeps creates from
//! orphaning objects, [`super::cluster_changes`] queues changes per cluster, and the typed
//! handlers (`client.clusters()`, `client.pools(id)`, …) live in their own files.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};

use super::cluster_changes::ClusterTurns;
use super::error::HumanDuration;
use super::models::Options;
use super::ratelimit::{RateLimitStatus, RateLimiter};
use super::retry::RetryPolicy;
use super::send::Request;
use super::wait::ClusterListWatch;
use super::ApiError;

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

/// The API client. Cheap to clone: clones share one connection pool, one rate-limit budget,
/// one cluster-list watcher and one turn table per cluster. Every async method is cancel-safe: dropping its future aborts
/// the request and any wait.
#[derive(Clone)]
pub struct Client {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) http: reqwest::Client,
    /// Endpoint without a trailing `/`; API paths (`/v2/…`) are appended to it.
    pub(super) base: String,
    user_agent: String,
    pub(super) retry: RetryPolicy,
    pub(super) request_timeout: Duration,
    pub(super) rate: RateLimiter,
    cluster_watch: ClusterListWatch,
    pub(super) cluster_turns: ClusterTurns,
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
    /// Builds a client. Fails with an [`ErrorKind::Config`](super::ErrorKind::Config) error on an unusable endpoint (not http or
    /// https, no host, credentials, query or fragment), an empty token, a token or user agent
    /// that cannot be sent as a header, a zero `request_timeout`, or `wait_min > wait_max`.
    pub fn new(config: ClientConfig) -> Result<Client, ApiError> {
        let base = check_endpoint(&config.endpoint)?;
        let token = config.token.trim();
        if token.is_empty() {
            return Err(ApiError::config("the API token is empty"));
        }
        let mut auth = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            ApiError::config("the API token contains characters not allowed in an HTTP header")
        })?;
        auth.set_sensitive(true);
        let user_agent = match config.user_agent.trim() {
            "" => default_user_agent(),
            ua => ua.to_string(),
        };
        let user_agent_header = HeaderValue::from_str(&user_agent).map_err(|_| {
            ApiError::config("the user agent contains characters not allowed in an HTTP header")
        })?;
        if config.request_timeout.is_zero() {
            return Err(ApiError::config(
                "request_timeout must be greater than zero",
            ));
        }
        if config.retry.wait_min > config.retry.wait_max {
            return Err(ApiError::config(format!(
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
            .map_err(|e| ApiError::config(format!("the HTTP client could not be built: {e}")))?;

        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                user_agent,
                retry: config.retry,
                request_timeout: config.request_timeout,
                rate: RateLimiter::default(),
                cluster_watch: ClusterListWatch::default(),
                cluster_turns: ClusterTurns::default(),
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
}

/// Validates and normalises the endpoint.
fn check_endpoint(endpoint: &str) -> Result<String, ApiError> {
    let trimmed = endpoint.trim();
    let url = url::Url::parse(trimmed).map_err(|e| {
        ApiError::config(format!("the endpoint {trimmed:?} is not a valid URL: {e}"))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ApiError::config(format!(
            "the endpoint {trimmed:?} must use http or https"
        )));
    }
    if url.host_str().map_or(true, str::is_empty) {
        return Err(ApiError::config(format!(
            "the endpoint {trimmed:?} has no host"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ApiError::config(
            "the endpoint must not contain credentials; set the token instead",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ApiError::config(format!(
            "the endpoint {trimmed:?} must not have a query or fragment"
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ErrorKind;

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
                check_endpoint(bad).is_err_and(|e| e.kind() == ErrorKind::Config),
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
        assert!(zero.is_err_and(|e| e.kind() == ErrorKind::Config));
        let inverted = ClientConfig {
            retry: RetryPolicy {
                max_retries: 4,
                wait_min: Duration::from_millis(2_000),
                wait_max: Duration::from_millis(1_000),
            },
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
}
