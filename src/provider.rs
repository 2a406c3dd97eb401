//! The provider block: credentials, endpoint, retry and polling settings. `configure` builds
//! the API client once; every resource and data source shares it.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::api::wait::PollSchedule;
use crate::api::{Client, ClientConfig, RetryPolicy};
use crate::data_sources::database_ca::DatabaseCaDataSource;
use crate::data_sources::database_cluster::DatabaseClusterDataSource;
use crate::data_sources::database_options::DatabaseOptionsDataSource;
use crate::data_sources::uncloud_database::UncloudDatabaseDataSource;
use crate::ephemeral::database_credentials::DatabaseCredentialsEphemeral;
use crate::ephemeral::uncloud_database_credentials::UncloudDatabaseCredentialsEphemeral;
use crate::framework::context::{ApiContext, MissingSetting, ProviderData, UncloudContext};
use crate::framework::data_source::DataSourceAdapter;
use crate::framework::diag::DiagExt;
use crate::framework::duration::{parse_duration, DURATION_FORMAT_HINT};
use crate::framework::ephemeral::EphemeralAdapter;
use crate::framework::host::{Host, ProviderBlock};
use crate::framework::resource::Adapter;
use crate::map;
use crate::plugin::schema::{
    Attribute, AttributeConstraint, AttributeType, Block, Description, Schema,
};
use crate::plugin::service::ConfigureRequest;
use crate::plugin::value::Value;
use crate::plugin::{AttributePath, Diagnostics};
use crate::resources::database_cluster::DatabaseClusterResource;
use crate::resources::database_connection_pool::DatabaseConnectionPoolResource;
use crate::resources::database_firewall::DatabaseFirewallResource;
use crate::resources::database_kafka_topic::DatabaseKafkaTopicResource;
use crate::resources::uncloud_database::UncloudDatabaseResource;
use crate::uncloud::{UncloudClient, UncloudConfig};

/// Where the token comes from when the provider block has none, in order.
pub const TOKEN_VARIABLES: [&str; 3] = [
    "DBAAS_TOKEN",
    "DIGITALOCEAN_TOKEN",
    "DIGITALOCEAN_ACCESS_TOKEN",
];
/// Where the endpoint comes from when the provider block has none, in order.
pub const ENDPOINT_VARIABLES: [&str; 2] = ["DBAAS_API_URL", "DIGITALOCEAN_API_URL"];
pub const DEFAULT_ENDPOINT: &str = "https://api.digitalocean.com";
/// Where the Uncloud platform's URL comes from when the provider block has none (no default:
/// the platform is self-hosted).
pub const UNCLOUD_ENDPOINT_VARIABLE: &str = "UNCLOUD_API_URL";
/// Where the Uncloud token comes from when the provider block has none.
pub const UNCLOUD_TOKEN_VARIABLE: &str = "UNCLOUD_TOKEN";

const DEFAULT_RETRY_MAX: i64 = 4;
const DEFAULT_RETRY_WAIT_MIN: Duration = Duration::from_secs(1);
const DEFAULT_RETRY_WAIT_MAX: Duration = Duration::from_secs(30);
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Where `secrets_in_state` comes from when the provider block has none.
pub const SECRETS_IN_STATE_VARIABLE: &str = "DBAAS_SECRETS_IN_STATE";
const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(10);
/// The first status check after a mutation comes this soon: small clusters and the emulator
/// are often ready within a second or two, and a fixed 15 s ticker wastes that.
const FIRST_POLL: Duration = Duration::from_millis(500);

/// The provider block as Terraform sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProviderConfig {
    pub token: Value<String>,
    pub api_endpoint: Value<String>,
    pub http_retry_max: Value<i64>,
    pub http_retry_wait_min: Value<String>,
    pub http_retry_wait_max: Value<String>,
    pub request_timeout: Value<String>,
    pub poll_interval: Value<String>,
    pub secrets_in_state: Value<bool>,
    pub uncloud_endpoint: Value<String>,
    pub uncloud_token: Value<String>,
}

/// Settings after applying environment fallbacks and defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The DigitalOcean token; `None` when none is set, which only the DigitalOcean types
    /// report (a configuration may use the Uncloud platform alone).
    pub token: Option<String>,
    pub endpoint: String,
    pub retry: RetryPolicy,
    pub request_timeout: Duration,
    pub poll_interval: Duration,
    /// Whether passwords and password-bearing URIs are written to state.
    pub secrets_in_state: bool,
    /// The Uncloud platform's endpoint and token, or what is missing of them.
    pub uncloud: Result<UncloudSettings, MissingSetting>,
}

/// The Uncloud platform's settings, both present.
#[derive(Debug, Clone, PartialEq)]
pub struct UncloudSettings {
    pub endpoint: String,
    pub token: String,
}

/// The provider block.
#[derive(Debug, Default, Clone)]
pub struct DbaasProvider;

/// The provider with everything it serves; `data` is shared by every request.
pub fn provider(data: Arc<ProviderData>) -> Host<DbaasProvider> {
    let host = Host::new(DbaasProvider, data)
        .resource(Adapter::boxed(DatabaseClusterResource))
        .resource(Adapter::boxed(DatabaseConnectionPoolResource))
        .resource(Adapter::boxed(DatabaseKafkaTopicResource))
        .resource(Adapter::boxed(DatabaseFirewallResource))
        .data_source(DataSourceAdapter::boxed(DatabaseOptionsDataSource))
        .data_source(DataSourceAdapter::boxed(DatabaseClusterDataSource))
        .data_source(DataSourceAdapter::boxed(DatabaseCaDataSource))
        .ephemeral(EphemeralAdapter::boxed(DatabaseCredentialsEphemeral))
        .resource(Adapter::boxed(UncloudDatabaseResource))
        .data_source(DataSourceAdapter::boxed(UncloudDatabaseDataSource))
        .ephemeral(EphemeralAdapter::boxed(UncloudDatabaseCredentialsEphemeral));
    let host = crate::resources::database_user::register(host);
    let host = crate::resources::database_config::register(host);
    let host = crate::resources::database_replica::register(host);
    let host = crate::resources::database_logsink::register(host);
    let host = crate::resources::database_online_migration::register(host);
    let host = crate::resources::database_kafka_schema_registry::register(host);
    crate::data_sources::database_metrics_credentials::register(host)
}

fn optional(attr_type: AttributeType, description: &str, sensitive: bool) -> Attribute {
    Attribute {
        attr_type,
        description: Description::markdown(description),
        constraint: AttributeConstraint::Optional,
        sensitive,
        ..Default::default()
    }
}

/// The provider block's schema.
pub fn provider_schema() -> Schema {
    Schema {
        version: 1,
        block: Block {
            version: 1,
            description: Description::markdown(
                "The dbaas provider manages DigitalOcean Managed Databases (`/v2/databases`): \
                 clusters, connection pools, Kafka topics and firewall rules, and the databases of \
                 the self-hosted Uncloud platform (`/api/v1/databases`). It works against the real \
                 APIs or against `dbaas-mock`, the emulator that ships with it.",
            ),
            attributes: map! {
                "token" => optional(AttributeType::String,
                    "API token with the database scopes. Defaults to the first of `DBAAS_TOKEN`, \
                     `DIGITALOCEAN_TOKEN`, `DIGITALOCEAN_ACCESS_TOKEN` that is set. Never logged or stored in state.", true),
                "api_endpoint" => optional(AttributeType::String,
                    "Base URL of the API. Defaults to `DBAAS_API_URL`, then `DIGITALOCEAN_API_URL`, \
                     then `https://api.digitalocean.com`. Point it at `dbaas-mock` (e.g. `http://127.0.0.1:8080`) to test without an account.", false),
                "http_retry_max" => optional(AttributeType::Number,
                    "How many times a request is retried after a rate limit (429), a server error (5xx except 501) \
                     or a network error, with exponential backoff and jitter. Default `4` (`DBAAS_HTTP_RETRY_MAX`). \
                     Creates are never blindly re-sent: the provider first checks whether the object exists.", false),
                "http_retry_wait_min" => optional(AttributeType::String,
                    "Shortest wait between retries, e.g. `\"1s\"` (`DBAAS_HTTP_RETRY_WAIT_MIN`). Default `1s`.", false),
                "http_retry_wait_max" => optional(AttributeType::String,
                    "Longest wait between retries, e.g. `\"30s\"` (`DBAAS_HTTP_RETRY_WAIT_MAX`). Default `30s`. \
                     A `retry-after` from the API is honoured even when longer.", false),
                "request_timeout" => optional(AttributeType::String,
                    "Time limit for one HTTP request, e.g. `\"60s\"` (`DBAAS_REQUEST_TIMEOUT`). Default `60s`.", false),
                "poll_interval" => optional(AttributeType::String,
                    "Longest interval between status checks while waiting for a cluster (`DBAAS_POLL_INTERVAL`). \
                     The first check comes after 500ms and the interval doubles up to this value. Default `10s`.", false),
                "uncloud_endpoint" => optional(AttributeType::String,
                    "The URL of the self-hosted Uncloud platform whose Databases API the `dbaas_uncloud_*` \
                     types use, e.g. `\"http://uncloud.internal:8080\"` (a trailing `/api/v1` is accepted). \
                     Defaults to `UNCLOUD_API_URL`; there is no default platform. Independent of the \
                     DigitalOcean settings: a configuration may use either platform or both, and a missing \
                     setting is an error only for the types that need it.", false),
                "uncloud_token" => optional(AttributeType::String,
                    "Bearer token (`dkc_…`) for the Uncloud platform, with the `databases:read` and \
                     `databases:write` scopes (or none, for full access). Defaults to `UNCLOUD_TOKEN`. \
                     Never logged or stored in state.", true),
                "secrets_in_state" => optional(AttributeType::Bool,
                    "Whether passwords and URIs that carry a password are written to state (`DBAAS_SECRETS_IN_STATE`). \
                     Default `true`, as DigitalOcean's provider does. With `false`, the `password`, `uri`, `private_uri`, \
                     `ui_password` and `ui_uri` of every cluster and connection pool (resources and data sources) are \
                     null in plan and state, and a configuration reads them through the ephemeral \
                     `dbaas_database_credentials` (Terraform ≥ 1.10). Flipping it changes no object: the next refresh \
                     drops the values from state (or fills them back in). See the guide \
                     [Credentials out of state](guides/credentials-out-of-state.md).", false),
            },
            ..Default::default()
        },
    }
}

type Problem = (AttributePath, String, String);

fn duration_setting(
    value: &Value<String>,
    env_name: &str,
    attribute: &'static str,
    default: Duration,
    lookup: &impl Fn(&str) -> Option<String>,
    problems: &mut Vec<Problem>,
) -> Duration {
    let text = match value {
        Value::Value(text) => Some(text.clone()),
        _ => lookup(env_name).filter(|v| !v.trim().is_empty()),
    };
    match text.map(|t| parse_duration(&t)) {
        None => default,
        Some(Ok(duration)) => duration,
        Some(Err(problem)) => {
            problems.push((
                AttributePath::new(attribute),
                format!("Invalid {attribute}"),
                format!("`{attribute}` (or {env_name}) must be {DURATION_FORMAT_HINT}: {problem}"),
            ));
            default
        }
    }
}

/// Checks an endpoint URL: http(s), a host, no query or fragment.
pub fn check_endpoint(endpoint: &str) -> Result<String, String> {
    check_url(endpoint, DEFAULT_ENDPOINT)
}

/// Checks a URL like [`check_endpoint`]; `example` is shown when it is not one.
fn check_url(endpoint: &str, example: &str) -> Result<String, String> {
    let url = url::Url::parse(endpoint.trim()).map_err(|e| {
        format!("{endpoint:?} is not a URL ({e}); expected something like \"{example}\"")
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "{endpoint:?} must use http or https, not {:?}",
            url.scheme()
        ));
    }
    if url.host_str().map_or(true, str::is_empty) {
        return Err(format!("{endpoint:?} has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{endpoint:?} must not have a query or fragment"));
    }
    Ok(endpoint.trim().trim_end_matches('/').to_string())
}

/// The environment variable the token came from, for messages.
fn token_source(lookup: &impl Fn(&str) -> Option<String>) -> &'static str {
    TOKEN_VARIABLES
        .iter()
        .find(|name| lookup(name).is_some_and(|v| !v.trim().is_empty()))
        .copied()
        .unwrap_or("the environment")
}

/// Applies environment fallbacks and defaults. `Ok(None)` means a value is still unknown.
pub fn resolve_settings(
    config: &ProviderConfig,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Option<Settings>, Vec<Problem>> {
    if matches!(config.token, Value::Unknown)
        || matches!(config.api_endpoint, Value::Unknown)
        || matches!(config.secrets_in_state, Value::Unknown)
        || matches!(config.uncloud_endpoint, Value::Unknown)
        || matches!(config.uncloud_token, Value::Unknown)
    {
        return Ok(None);
    }
    let mut problems = Vec::new();
    let token = match &config.token {
        Value::Value(token) => Some(token.clone()),
        _ => TOKEN_VARIABLES
            .iter()
            .find_map(|name| lookup(name).filter(|v| !v.trim().is_empty())),
    };
    let token = match token {
        Some(token) if token.trim().chars().any(|c| c.is_control()) => {
            let source = if config.token.is_value() {
                "`token`".to_string()
            } else {
                format!("the token from {}", token_source(&lookup))
            };
            problems.push((
                AttributePath::new("token"),
                "Invalid token".to_string(),
                format!(
                    "{source} contains a line break or another control character inside it (a \
                     token read from a file often carries one). API tokens are a single line \
                     of letters and digits; remove it (for example with `chomp()` or `trimspace()`)."
                ),
            ));
            None
        }
        Some(token) if !token.trim().is_empty() => Some(token.trim().to_string()),
        _ => None,
    };
    let (endpoint_text, endpoint_source) = match &config.api_endpoint {
        Value::Value(endpoint) => (endpoint.clone(), "api_endpoint".to_string()),
        _ => ENDPOINT_VARIABLES
            .iter()
            .find_map(|name| {
                lookup(name)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (v, (*name).to_string()))
            })
            .unwrap_or_else(|| (DEFAULT_ENDPOINT.to_string(), "the default".to_string())),
    };
    let endpoint = match check_endpoint(&endpoint_text) {
        Ok(endpoint) => endpoint,
        Err(problem) => {
            problems.push((
                AttributePath::new("api_endpoint"),
                "Invalid api_endpoint".to_string(),
                format!("The endpoint from {endpoint_source} is unusable: {problem}."),
            ));
            String::new()
        }
    };
    let retry_max = match &config.http_retry_max {
        Value::Value(n) => Some(*n),
        _ => match lookup("DBAAS_HTTP_RETRY_MAX").filter(|v| !v.trim().is_empty()) {
            Some(text) => match text.trim().parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    problems.push((
                        AttributePath::new("http_retry_max"),
                        "Invalid http_retry_max".to_string(),
                        format!("DBAAS_HTTP_RETRY_MAX must be a whole number from 0 to 20; got {text:?}."),
                    ));
                    None
                }
            },
            None => None,
        },
    }
    .unwrap_or(DEFAULT_RETRY_MAX);
    if !(0..=20).contains(&retry_max) {
        problems.push((
            AttributePath::new("http_retry_max"),
            "Invalid http_retry_max".to_string(),
            format!("`http_retry_max` must be between 0 and 20; got {retry_max}."),
        ));
    }
    let wait_min = duration_setting(
        &config.http_retry_wait_min,
        "DBAAS_HTTP_RETRY_WAIT_MIN",
        "http_retry_wait_min",
        DEFAULT_RETRY_WAIT_MIN,
        &lookup,
        &mut problems,
    );
    let wait_max = duration_setting(
        &config.http_retry_wait_max,
        "DBAAS_HTTP_RETRY_WAIT_MAX",
        "http_retry_wait_max",
        DEFAULT_RETRY_WAIT_MAX,
        &lookup,
        &mut problems,
    );
    let request_timeout = duration_setting(
        &config.request_timeout,
        "DBAAS_REQUEST_TIMEOUT",
        "request_timeout",
        DEFAULT_REQUEST_TIMEOUT,
        &lookup,
        &mut problems,
    );
    let poll_interval = duration_setting(
        &config.poll_interval,
        "DBAAS_POLL_INTERVAL",
        "poll_interval",
        DEFAULT_POLL_INTERVAL,
        &lookup,
        &mut problems,
    );
    let secrets_in_state = match &config.secrets_in_state {
        Value::Value(keep) => *keep,
        _ => match lookup(SECRETS_IN_STATE_VARIABLE).filter(|v| !v.trim().is_empty()) {
            None => true,
            Some(text) => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => {
                    problems.push((
                        AttributePath::new("secrets_in_state"),
                        "Invalid secrets_in_state".to_string(),
                        format!(
                            "{SECRETS_IN_STATE_VARIABLE} must be true or false (or 1 or 0); \
                             got {text:?}."
                        ),
                    ));
                    true
                }
            },
        },
    };
    if wait_min > wait_max {
        problems.push((
            AttributePath::new("http_retry_wait_min"),
            "Invalid http_retry_wait_min".to_string(),
            "`http_retry_wait_min` must not be longer than `http_retry_wait_max`.".to_string(),
        ));
    }
    if request_timeout.is_zero() || poll_interval.is_zero() {
        let name = if request_timeout.is_zero() {
            "request_timeout"
        } else {
            "poll_interval"
        };
        problems.push((
            AttributePath::new(name),
            format!("Invalid {name}"),
            format!("`{name}` must be longer than zero."),
        ));
    }
    let uncloud = uncloud_settings(config, &lookup, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Some(Settings {
        token,
        endpoint,
        retry: RetryPolicy {
            max_retries: retry_max as u32,
            wait_min,
            wait_max,
        },
        request_timeout,
        poll_interval,
        secrets_in_state,
        uncloud,
    }))
}

/// What the DigitalOcean types report when no token is set.
pub fn missing_token() -> MissingSetting {
    MissingSetting {
        summary: "Missing API token".to_string(),
        detail: format!(
            "This DigitalOcean database type needs an API token: set `token` in the provider \
             block, or one of {} in the environment. Against dbaas-mock any non-empty token \
             works unless the emulator was started with --token.",
            TOKEN_VARIABLES.join(", ")
        ),
    }
}

/// The Uncloud settings: both present, or what the `dbaas_uncloud_*` types will report as
/// missing. A setting that is present but unusable is a problem of the provider block.
fn uncloud_settings(
    config: &ProviderConfig,
    lookup: &impl Fn(&str) -> Option<String>,
    problems: &mut Vec<Problem>,
) -> Result<UncloudSettings, MissingSetting> {
    let setting = |value: &Value<String>, variable: &str| match value {
        Value::Value(text) => Some((text.clone(), None)),
        _ => lookup(variable)
            .filter(|v| !v.trim().is_empty())
            .map(|v| (v, Some(variable.to_string()))),
    };
    let endpoint = match setting(&config.uncloud_endpoint, UNCLOUD_ENDPOINT_VARIABLE) {
        Some((text, source)) => match check_url(&text, "http://uncloud.internal:8080") {
            Ok(endpoint) => Some(endpoint),
            Err(problem) => {
                let source = source.unwrap_or_else(|| "uncloud_endpoint".to_string());
                problems.push((
                    AttributePath::new("uncloud_endpoint"),
                    "Invalid uncloud_endpoint".to_string(),
                    format!("The Uncloud endpoint from {source} is unusable: {problem}."),
                ));
                None
            }
        },
        None => None,
    };
    let token = match setting(&config.uncloud_token, UNCLOUD_TOKEN_VARIABLE) {
        Some((text, source)) if text.trim().chars().any(|c| c.is_control()) => {
            let source = source.map_or("`uncloud_token`".to_string(), |v| {
                format!("the token from {v}")
            });
            problems.push((
                AttributePath::new("uncloud_token"),
                "Invalid uncloud_token".to_string(),
                format!(
                    "{source} contains a line break or another control character inside it (a \
                     token read from a file often carries one); remove it (for example with \
                     `chomp()` or `trimspace()`)."
                ),
            ));
            None
        }
        Some((text, _)) if !text.trim().is_empty() => Some(text.trim().to_string()),
        _ => None,
    };
    let endpoint_hint = format!(
        "`uncloud_endpoint` (or {UNCLOUD_ENDPOINT_VARIABLE}), the URL of your Uncloud platform \
         such as \"http://uncloud.internal:8080\" (it is self-hosted, so there is no default)"
    );
    let token_hint = format!(
        "`uncloud_token` (or {UNCLOUD_TOKEN_VARIABLE}), a `dkc_…` API token of the platform \
         with the databases scopes"
    );
    match (endpoint, token) {
        (Some(endpoint), Some(token)) => Ok(UncloudSettings { endpoint, token }),
        (None, None) => Err(MissingSetting {
            summary: "Missing Uncloud settings".to_string(),
            detail: format!(
                "The dbaas_uncloud_* types need {endpoint_hint}, and {token_hint}. Set both in \
                 the provider block or the environment. The DigitalOcean settings (`token`, \
                 `api_endpoint`) do not apply to the Uncloud platform."
            ),
        }),
        (Some(_), None) => Err(MissingSetting {
            summary: "Missing uncloud_token".to_string(),
            detail: format!("The dbaas_uncloud_* types need {token_hint}."),
        }),
        (None, Some(_)) => Err(MissingSetting {
            summary: "Missing uncloud_endpoint".to_string(),
            detail: format!("The dbaas_uncloud_* types need {endpoint_hint}."),
        }),
    }
}

fn report(diags: &mut Diagnostics, problems: Vec<Problem>) {
    for (path, summary, detail) in problems {
        diags.err(summary, detail, path);
    }
}

/// The schedule for status checks: 500ms first, doubling up to the configured interval.
pub fn poll_schedule(poll_interval: Duration) -> PollSchedule {
    PollSchedule {
        first: FIRST_POLL.min(poll_interval),
        max_interval: poll_interval,
    }
}

#[async_trait]
impl ProviderBlock for DbaasProvider {
    type Config = ProviderConfig;

    fn schema(&self) -> Schema {
        provider_schema()
    }

    async fn validate(&self, diags: &mut Diagnostics, config: &ProviderConfig) {
        // Only what the block itself says; the environment is checked at configure time.
        let explicit = ProviderConfig {
            token: if config.token.is_null() {
                Value::Value("set-at-configure".into())
            } else {
                config.token.clone()
            },
            ..config.clone()
        };
        if let Err(problems) = resolve_settings(&explicit, |_| None) {
            report(diags, problems);
        }
    }

    async fn configure(
        &self,
        diags: &mut Diagnostics,
        request: &ConfigureRequest,
        config: ProviderConfig,
        data: &ProviderData,
    ) {
        let settings = match resolve_settings(&config, |name| std::env::var(name).ok()) {
            Ok(Some(settings)) => settings,
            Ok(None) => {
                tracing::info!(
                    "provider configuration not yet known; resources will report it if used"
                );
                return;
            }
            Err(problems) => {
                report(diags, problems);
                return;
            }
        };
        let terraform_version = request.terraform_version.as_str();
        let user_agent = format!(
            "terraform-provider-dbaas/{} Terraform/{}",
            env!("CARGO_PKG_VERSION"),
            if terraform_version.is_empty() {
                "unknown"
            } else {
                terraform_version
            }
        );
        data.set_secrets_in_state(settings.secrets_in_state);
        match &settings.uncloud {
            Ok(uncloud) => match UncloudClient::new(UncloudConfig {
                endpoint: uncloud.endpoint.clone(),
                token: uncloud.token.clone(),
                user_agent: user_agent.clone(),
                retry: settings.retry,
                request_timeout: settings.request_timeout,
            }) {
                Ok(client) => data.set_uncloud(UncloudContext {
                    client,
                    poll: poll_schedule(settings.poll_interval),
                }),
                Err(error) => diags.err(
                    "Invalid uncloud_endpoint",
                    format!("The Uncloud client could not be built: {error}"),
                    AttributePath::new("uncloud_endpoint"),
                ),
            },
            Err(missing) => data.set_uncloud_missing(missing.clone()),
        }
        let Some(token) = settings.token else {
            data.set_api_missing(missing_token());
            return;
        };
        match Client::new(ClientConfig {
            endpoint: settings.endpoint.clone(),
            token,
            user_agent,
            retry: settings.retry,
            request_timeout: settings.request_timeout,
        }) {
            Ok(client) => {
                tracing::debug!(
                    endpoint = %settings.endpoint,
                    secrets_in_state = settings.secrets_in_state,
                    "provider configured"
                );
                data.set_api(ApiContext::new(
                    client,
                    poll_schedule(settings.poll_interval),
                ));
            }
            Err(error) => diags.err(
                "Invalid api_endpoint",
                format!("The API client could not be built: {error}"),
                AttributePath::new("api_endpoint"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn token_falls_back_through_the_environment_in_order() {
        let config = ProviderConfig::default();
        let settings = resolve_settings(
            &config,
            lookup(&[
                ("DIGITALOCEAN_ACCESS_TOKEN", "c"),
                ("DIGITALOCEAN_TOKEN", "b"),
            ]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(settings.token.as_deref(), Some("b"));
        assert_eq!(settings.endpoint, DEFAULT_ENDPOINT);
        let settings = resolve_settings(
            &config,
            lookup(&[("DBAAS_TOKEN", "a"), ("DIGITALOCEAN_TOKEN", "b")]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(settings.token.as_deref(), Some("a"));
        let explicit = ProviderConfig {
            token: Value::Value("x".into()),
            ..Default::default()
        };
        assert_eq!(
            resolve_settings(&explicit, lookup(&[("DBAAS_TOKEN", "a")]))
                .unwrap()
                .unwrap()
                .token
                .as_deref(),
            Some("x")
        );
    }

    #[test]
    fn missing_token_and_bad_endpoint_are_named() {
        let config = ProviderConfig {
            api_endpoint: Value::Value("ftp://example.com".into()),
            ..Default::default()
        };
        let problems = resolve_settings(&config, lookup(&[])).unwrap_err();
        let paths: Vec<_> = problems
            .iter()
            .map(|(_, summary, _)| summary.as_str())
            .collect();
        assert_eq!(
            paths,
            ["Invalid api_endpoint"],
            "a missing token is the resources' to report"
        );
        assert!(problems[0].2.contains("http or https"));
        let settings = resolve_settings(&ProviderConfig::default(), lookup(&[]))
            .unwrap()
            .unwrap();
        assert_eq!(settings.token, None);
        assert!(missing_token().detail.contains("DBAAS_TOKEN"));
    }

    #[test]
    fn endpoint_comes_from_the_environment_and_is_normalised() {
        let settings = resolve_settings(
            &ProviderConfig::default(),
            lookup(&[
                ("DBAAS_TOKEN", "t"),
                ("DIGITALOCEAN_API_URL", "http://127.0.0.1:8080/"),
            ]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(settings.endpoint, "http://127.0.0.1:8080");
        assert!(check_endpoint("not a url").is_err());
        assert!(check_endpoint("https://api.example.com?x=1").is_err());
    }

    #[test]
    fn knobs_are_parsed_and_checked() {
        let config = ProviderConfig {
            token: Value::Value("t".into()),
            http_retry_max: Value::Value(2),
            http_retry_wait_min: Value::Value("100ms".into()),
            http_retry_wait_max: Value::Value("2s".into()),
            poll_interval: Value::Value("1s".into()),
            ..Default::default()
        };
        let settings = resolve_settings(&config, lookup(&[])).unwrap().unwrap();
        assert_eq!(settings.retry.max_retries, 2);
        assert_eq!(settings.retry.wait_min, Duration::from_millis(100));
        assert_eq!(settings.poll_interval, Duration::from_secs(1));
        assert_eq!(
            poll_schedule(settings.poll_interval).first,
            Duration::from_millis(500)
        );

        let bad = ProviderConfig {
            token: Value::Value("t".into()),
            http_retry_max: Value::Value(99),
            http_retry_wait_min: Value::Value("10s".into()),
            http_retry_wait_max: Value::Value("1s".into()),
            request_timeout: Value::Value("soon".into()),
            ..Default::default()
        };
        let summaries: Vec<_> = resolve_settings(&bad, lookup(&[]))
            .unwrap_err()
            .into_iter()
            .map(|(_, s, _)| s)
            .collect();
        assert_eq!(
            summaries,
            [
                "Invalid http_retry_max",
                "Invalid request_timeout",
                "Invalid http_retry_wait_min"
            ]
        );
    }

    #[test]
    fn secrets_in_state_defaults_to_true_and_falls_back_to_the_environment() {
        let token = ProviderConfig {
            token: Value::Value("t".into()),
            ..Default::default()
        };
        let keep = |config: &ProviderConfig, env: &[(&str, &str)]| {
            resolve_settings(config, lookup(env))
                .map(|s| s.unwrap().secrets_in_state)
                .map_err(|problems| problems[0].2.clone())
        };
        assert_eq!(keep(&token, &[]), Ok(true));
        assert_eq!(
            keep(&token, &[(SECRETS_IN_STATE_VARIABLE, "false")]),
            Ok(false)
        );
        assert_eq!(
            keep(&token, &[(SECRETS_IN_STATE_VARIABLE, " 0 ")]),
            Ok(false)
        );
        assert_eq!(
            keep(&token, &[(SECRETS_IN_STATE_VARIABLE, "TRUE")]),
            Ok(true)
        );
        let explicit = ProviderConfig {
            secrets_in_state: Value::Value(true),
            ..token.clone()
        };
        assert_eq!(
            keep(&explicit, &[(SECRETS_IN_STATE_VARIABLE, "false")]),
            Ok(true),
            "the provider block wins over the environment"
        );
        let problem = keep(&token, &[(SECRETS_IN_STATE_VARIABLE, "no")]).unwrap_err();
        assert!(
            problem.contains("DBAAS_SECRETS_IN_STATE must be true or false"),
            "{problem}"
        );
        let problems =
            resolve_settings(&token, lookup(&[(SECRETS_IN_STATE_VARIABLE, "nah")])).unwrap_err();
        assert_eq!(problems[0].0, AttributePath::new("secrets_in_state"));
        let unknown = ProviderConfig {
            secrets_in_state: Value::Unknown,
            ..token
        };
        assert_eq!(resolve_settings(&unknown, lookup(&[])).unwrap(), None);
    }

    #[test]
    fn a_token_with_a_line_break_is_reported_under_token() {
        let config = ProviderConfig {
            token: Value::Value("abc\r\ndef".into()),
            ..Default::default()
        };
        let problems = resolve_settings(&config, lookup(&[])).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, AttributePath::new("token"));
        assert!(problems[0].2.contains("line break"), "{}", problems[0].2);
        assert!(!problems[0].2.contains("abc"), "the token is never shown");
        let from_env = resolve_settings(
            &ProviderConfig::default(),
            lookup(&[("DIGITALOCEAN_TOKEN", "abc\ndef\n")]),
        )
        .unwrap_err();
        assert!(
            from_env[0].2.contains("DIGITALOCEAN_TOKEN"),
            "{}",
            from_env[0].2
        );
        // A trailing newline alone is trimmed, as before.
        let trailing = resolve_settings(
            &ProviderConfig::default(),
            lookup(&[("DBAAS_TOKEN", "abcdef\n")]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(trailing.token.as_deref(), Some("abcdef"));
    }

    #[test]
    fn uncloud_settings_are_independent_and_name_what_is_missing() {
        let uncloud = |config: &ProviderConfig, env: &[(&str, &str)]| {
            resolve_settings(config, lookup(env)).map(|s| s.unwrap().uncloud)
        };
        let none = ProviderConfig::default();
        let missing = uncloud(&none, &[]).unwrap().unwrap_err();
        assert_eq!(missing.summary, "Missing Uncloud settings");
        assert!(
            missing.detail.contains("UNCLOUD_API_URL") && missing.detail.contains("UNCLOUD_TOKEN")
        );
        let only_endpoint =
            uncloud(&none, &[(UNCLOUD_ENDPOINT_VARIABLE, "http://u:8080")]).unwrap();
        assert_eq!(only_endpoint.unwrap_err().summary, "Missing uncloud_token");
        let only_token = ProviderConfig {
            uncloud_token: Value::Value("dkc_x".into()),
            ..Default::default()
        };
        assert_eq!(
            uncloud(&only_token, &[]).unwrap().unwrap_err().summary,
            "Missing uncloud_endpoint"
        );
        let both = uncloud(
            &only_token,
            &[(UNCLOUD_ENDPOINT_VARIABLE, "http://u:8080/api/v1/")],
        )
        .unwrap()
        .unwrap();
        assert_eq!(both.token, "dkc_x");
        assert_eq!(both.endpoint, "http://u:8080/api/v1");
        // Uncloud alone: no DigitalOcean token needed.
        let settings = resolve_settings(
            &only_token,
            lookup(&[(UNCLOUD_ENDPOINT_VARIABLE, "http://u")]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(settings.token, None);

        let bad = ProviderConfig {
            uncloud_endpoint: Value::Value("uncloud.internal:8080".into()),
            uncloud_token: Value::Value("dkc\nx".into()),
            ..Default::default()
        };
        let problems = resolve_settings(&bad, lookup(&[])).unwrap_err();
        let paths: Vec<_> = problems.iter().map(|(path, _, _)| path.clone()).collect();
        assert_eq!(
            paths,
            [
                AttributePath::new("uncloud_endpoint"),
                AttributePath::new("uncloud_token")
            ]
        );
        assert!(problems[0].2.contains("http or https"), "{}", problems[0].2);
        assert!(!problems[1].2.contains("dkc"), "the token is never shown");
        let unknown = ProviderConfig {
            uncloud_token: Value::Unknown,
            ..Default::default()
        };
        assert_eq!(resolve_settings(&unknown, lookup(&[])).unwrap(), None);
    }

    #[test]
    fn unknown_credentials_defer_configuration() {
        let config = ProviderConfig {
            token: Value::Unknown,
            ..Default::default()
        };
        assert_eq!(resolve_settings(&config, lookup(&[])).unwrap(), None);
    }
}
