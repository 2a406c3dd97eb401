//! `dbaas_database_logsink_opensearch` and `dbaas_database_logsink_elasticsearch`: logs
//! written to daily indexes of an OpenSearch or Elasticsearch server (`opensearch_logsink`,
//! `elasticsearch_logsink`, which the contract defines alike).
//!
//! OpenSearch's is DigitalOcean's `digitalocean_database_logsink_opensearch`; Elasticsearch
//! has no DigitalOcean counterpart and gets the same shape. Where DigitalOcean's differs:
//! - `endpoint` is sensitive (its URL usually carries the credentials), and `endpoint_wo` /
//!   `endpoint_wo_version` keep it out of state: exactly one of the two is required;
//! - `timeout_seconds` is checked against the API's 10–120 seconds (DigitalOcean allows any
//!   whole number ≥ 1, which the API refuses below 10) and may have a fraction, as the API's;
//! - `index_days_max` and `timeout_seconds` default to the API's 7 and 10 and are always
//!   sent, so state says what the server uses.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::api::models::logsink::LogSinkConfig;
use crate::framework::attr as at;
use crate::framework::diag::DiagExt;
use crate::framework::timeouts::Timeouts;
use crate::framework::validate;
use crate::framework::values::known;
use crate::plugin::schema::{Attribute, AttributeType};
use crate::plugin::service::MoveRequest;
use crate::plugin::value::{self, Value};
use crate::plugin::{AttributePath, Diagnostics};
use crate::resources::moved::{self, SourceState};
use crate::resources::schema_util::{optional, optional_computed, required, sensitive};

use super::secret::{self, refreshed, refreshed_text, Secret, SecretValues};
use super::sink::{impl_sink_model, moved_common, SinkKind, SinkModel};

const DEFAULT_INDEX_DAYS_MAX: i64 = 7;
const DEFAULT_TIMEOUT_SECONDS: f64 = 10.0;
const TIMEOUT_RANGE: (f64, f64) = (10.0, 120.0);

const ENDPOINT: Secret = Secret {
    plain: "endpoint",
    wo: "endpoint_wo",
    version: "endpoint_wo_version",
};

/// The resource's state, field for field as in the schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchModel {
    pub id: Value<String>,
    pub cluster_id: Value<String>,
    pub name: Value<String>,
    pub logsink_id: Value<String>,
    pub endpoint: Value<String>,
    pub endpoint_wo: Value<String>,
    pub endpoint_wo_version: Value<i64>,
    pub index_prefix: Value<String>,
    pub index_days_max: Value<i64>,
    pub timeout_seconds: Value<f64>,
    pub ca_cert: Value<String>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts>,
}

impl_sink_model!(SearchModel);

impl SearchModel {
    fn endpoint(&self) -> SecretValues<'_> {
        SecretValues {
            plain: &self.endpoint,
            wo: &self.endpoint_wo,
            version: &self.endpoint_wo_version,
        }
    }
}

/// What is wrong with an endpoint, if anything: it must be an https URL with a host.
fn endpoint_problem(text: &str) -> Option<&'static str> {
    match url::Url::parse(text.trim()) {
        Err(_) => Some("is not a URL"),
        Ok(url) if url.scheme() != "https" => Some("does not start with https://"),
        Ok(url) if url.host_str().map_or(true, str::is_empty) => Some("has no host"),
        Ok(_) => None,
    }
}

/// Checks an endpoint without ever showing it: it may hold a password.
fn validate_endpoint(
    diags: &mut Diagnostics,
    name: &'static str,
    product: &str,
    value: &Value<String>,
) {
    let Value::Value(text) = value else {
        return;
    };
    if let Some(problem) = endpoint_problem(text) {
        diags.err(
            format!("Invalid {name}"),
            format!(
                "`{name}` must be the https URL of the {product} server, with its credentials, \
                 such as \"https://user:password@logs.example.com:9200\"; the value given \
                 {problem} (it is not shown: it may hold a password)."
            ),
            AttributePath::new(name),
        );
    }
}

fn attributes(product: &str) -> BTreeMap<String, Attribute> {
    use AttributeType::{Number, String as Str};
    let mut attributes = crate::map! {
        "index_prefix" => required(Str,
            &format!("The prefix of the {product} indexes the logs go to (one per day).")),
        "index_days_max" => optional_computed(Number,
            "How many days of logs to keep (the oldest daily index is deleted beyond): 1 to \
             10000. Defaults to 7, the API's default."),
        "timeout_seconds" => optional_computed(Number,
            &format!("The timeout of requests to {product}, in seconds: 10 to 120. Defaults \
                      to 10, the API's default.")),
        "ca_cert" => sensitive(optional(Str,
            &format!("The PEM CA certificate the {product} server's certificate is checked \
                      against. Sensitive, as in DigitalOcean's provider."))),
    };
    attributes.extend(ENDPOINT.attributes(
        &format!(
            "The https URL of the {product} server, with the credentials in it \
             (`https://user:password@host:port`); sensitive for that reason"
        ),
        true,
    ));
    attributes
}

fn validate_settings(diags: &mut Diagnostics, product: &str, config: &SearchModel) {
    validate_endpoint(diags, "endpoint", product, &config.endpoint);
    validate_endpoint(diags, "endpoint_wo", product, &config.endpoint_wo);
    ENDPOINT.validate(diags, config.endpoint(), true);
    validate::not_blank(diags, at("index_prefix"), &config.index_prefix);
    validate::int_between(
        diags,
        at("index_days_max"),
        &config.index_days_max,
        1,
        10000,
    );
    if let Value::Value(seconds) = config.timeout_seconds {
        let (min, max) = TIMEOUT_RANGE;
        if !(min..=max).contains(&seconds) {
            diags.err(
                "Invalid timeout_seconds",
                format!("`timeout_seconds` must be between 10 and 120; got {seconds}."),
                at("timeout_seconds"),
            );
        }
    }
}

fn plan(planned: &mut SearchModel, config: &SearchModel) {
    if config.index_days_max.is_null() {
        planned.index_days_max = Value::Value(DEFAULT_INDEX_DAYS_MAX);
    }
    if config.timeout_seconds.is_null() {
        planned.timeout_seconds = Value::Value(DEFAULT_TIMEOUT_SECONDS);
    }
}

fn request(planned: &SearchModel, config: &SearchModel) -> LogSinkConfig {
    LogSinkConfig {
        url: secret::to_send(&planned.endpoint, &config.endpoint_wo),
        index_prefix: planned.index_prefix.as_ref_option().cloned(),
        index_days_max: Some(
            planned
                .index_days_max
                .as_ref_option()
                .copied()
                .unwrap_or(DEFAULT_INDEX_DAYS_MAX),
        ),
        timeout: Some(
            planned
                .timeout_seconds
                .as_ref_option()
                .copied()
                .unwrap_or(DEFAULT_TIMEOUT_SECONDS),
        ),
        ca: planned.ca_cert.as_ref_option().cloned(),
        ..LogSinkConfig::default()
    }
}

/// The settings as the API has them; an absent `index_days_max` or `timeout` is the API's
/// default.
fn settings(api: &LogSinkConfig, reference: &SearchModel, importing: bool) -> SearchModel {
    SearchModel {
        endpoint: refreshed(&reference.endpoint, api.url.as_deref(), importing),
        endpoint_wo: Value::Null,
        endpoint_wo_version: reference.endpoint_wo_version,
        index_prefix: known(api.index_prefix.clone()),
        index_days_max: Value::Value(api.index_days_max.unwrap_or(DEFAULT_INDEX_DAYS_MAX)),
        timeout_seconds: Value::Value(api.timeout.unwrap_or(DEFAULT_TIMEOUT_SECONDS)),
        ca_cert: refreshed_text(&reference.ca_cert, api.ca.as_deref()),
        ..SearchModel::default()
    }
}

/// A `digitalocean_database_logsink_opensearch` (schema version 0) as this resource's state.
/// DigitalOcean's provider writes `0` for a timeout the API did not return; that and an unset
/// `index_days_max` read as the API's defaults.
pub fn moved_from_digitalocean(
    diags: &mut Diagnostics,
    source: &SourceState,
) -> Option<SearchModel> {
    const SOURCE: &str = "digitalocean_database_logsink_opensearch";
    let common = moved_common(diags, source, SOURCE)?;
    let positive = |value: Value<i64>, default: i64| match value {
        Value::Value(n) if n > 0 => n,
        _ => default,
    };
    let timeout = positive(source.int("timeout_seconds"), 0);
    let mut model = SearchModel {
        endpoint: source.string("endpoint"),
        index_prefix: source.string("index_prefix"),
        index_days_max: Value::Value(positive(
            source.int("index_days_max"),
            DEFAULT_INDEX_DAYS_MAX,
        )),
        timeout_seconds: Value::Value(if timeout > 0 {
            timeout as f64
        } else {
            DEFAULT_TIMEOUT_SECONDS
        }),
        ca_cert: source.string("ca_cert"),
        ..SearchModel::default()
    };
    model.set_common(common);
    Some(model)
}

/// `opensearch`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Opensearch;

impl SinkKind for Opensearch {
    type Model = SearchModel;
    const TYPE_NAME: &'static str = "dbaas_database_logsink_opensearch";
    const SINK_TYPE: &'static str = "opensearch";
    const WHAT: &'static str = "OpenSearch log sink";

    fn description() -> String {
        "Writes a cluster's logs to daily indexes of an OpenSearch server. The shape is \
         DigitalOcean's `digitalocean_database_logsink_opensearch`, with `endpoint` sensitive \
         (its URL carries the credentials) and `endpoint_wo` to keep it out of state. Every \
         setting changes in place; a new `cluster_id` or `name` replaces the sink. Import \
         with `<cluster_id>,<logsink_id>`."
            .to_string()
    }

    fn attributes() -> BTreeMap<String, Attribute> {
        attributes("OpenSearch")
    }

    fn validate(diags: &mut Diagnostics, config: &SearchModel) {
        validate_settings(diags, "OpenSearch", config);
    }

    fn plan(planned: &mut SearchModel, config: &SearchModel) {
        plan(planned, config);
    }

    fn request(planned: &SearchModel, config: &SearchModel) -> LogSinkConfig {
        request(planned, config)
    }

    fn settings(api: &LogSinkConfig, reference: &SearchModel, importing: bool) -> SearchModel {
        settings(api, reference, importing)
    }

    fn moved(diags: &mut Diagnostics, request: &MoveRequest) -> Option<SearchModel> {
        let source = moved::source_state(diags, request, Self::TYPE_NAME)?;
        moved_from_digitalocean(diags, &source)
    }
}

/// `elasticsearch`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Elasticsearch;

impl SinkKind for Elasticsearch {
    type Model = SearchModel;
    const TYPE_NAME: &'static str = "dbaas_database_logsink_elasticsearch";
    const SINK_TYPE: &'static str = "elasticsearch";
    const WHAT: &'static str = "Elasticsearch log sink";

    fn description() -> String {
        "Writes a cluster's logs to daily indexes of an Elasticsearch server. DigitalOcean's \
         provider has no such resource; the shape is that of its OpenSearch log sink \
         (`dbaas_database_logsink_opensearch`), with `endpoint` sensitive (its URL carries \
         the credentials) and `endpoint_wo` to keep it out of state. Every setting changes in \
         place; a new `cluster_id` or `name` replaces the sink. Import with \
         `<cluster_id>,<logsink_id>`."
            .to_string()
    }

    fn attributes() -> BTreeMap<String, Attribute> {
        attributes("Elasticsearch")
    }

    fn validate(diags: &mut Diagnostics, config: &SearchModel) {
        validate_settings(diags, "Elasticsearch", config);
    }

    fn plan(planned: &mut SearchModel, config: &SearchModel) {
        plan(planned, config);
    }

    fn request(planned: &SearchModel, config: &SearchModel) -> LogSinkConfig {
        request(planned, config)
    }

    fn settings(api: &LogSinkConfig, reference: &SearchModel, importing: bool) -> SearchModel {
        settings(api, reference, importing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::database_logsink::sink::{plan_new, sink_schema, validate_config};
    use serde_json::json;

    const CLUSTER: &str = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";
    const URL: &str = "https://admin:hunter2@logs.example.com:9200";

    fn s(text: &str) -> Value<String> {
        Value::Value(text.to_string())
    }

    fn configured() -> SearchModel {
        SearchModel {
            cluster_id: s(CLUSTER),
            name: s("logs"),
            endpoint: s(URL),
            index_prefix: s("db-logs"),
            ..SearchModel::default()
        }
    }

    fn errors(config: SearchModel) -> Vec<(String, String)> {
        let mut diags = Diagnostics::default();
        validate_config::<Opensearch>(&mut diags, &config);
        diags
            .errors
            .iter()
            .map(|e| (e.attribute.to_string(), e.detail.to_string()))
            .collect()
    }

    #[test]
    fn settings_are_checked_and_endpoints_never_shown() {
        assert!(errors(configured()).is_empty());
        for (attribute, config) in [
            (
                "endpoint",
                SearchModel {
                    endpoint: s("http://admin:hunter2@logs.example.com"),
                    ..configured()
                },
            ),
            (
                "endpoint",
                SearchModel {
                    endpoint: s("admin:hunter2 at logs"),
                    ..configured()
                },
            ),
            (
                "endpoint_wo",
                SearchModel {
                    endpoint: Value::Null,
                    endpoint_wo: s("ftp://hunter2@x"),
                    ..configured()
                },
            ),
            (
                "endpoint",
                SearchModel {
                    endpoint: Value::Null,
                    ..configured()
                },
            ),
            (
                "endpoint_wo",
                SearchModel {
                    endpoint_wo: s(URL),
                    ..configured()
                },
            ),
            (
                "index_prefix",
                SearchModel {
                    index_prefix: s(""),
                    ..configured()
                },
            ),
            (
                "index_days_max",
                SearchModel {
                    index_days_max: Value::Value(0),
                    ..configured()
                },
            ),
            (
                "index_days_max",
                SearchModel {
                    index_days_max: Value::Value(10001),
                    ..configured()
                },
            ),
            (
                "timeout_seconds",
                SearchModel {
                    timeout_seconds: Value::Value(9.5),
                    ..configured()
                },
            ),
            (
                "timeout_seconds",
                SearchModel {
                    timeout_seconds: Value::Value(121.0),
                    ..configured()
                },
            ),
        ] {
            let found = errors(config);
            assert_eq!(found.len(), 1, "{attribute}: {found:?}");
            assert_eq!(found[0].0, attribute);
            assert!(!found[0].1.contains("hunter2"), "{}", found[0].1);
        }
        assert!(errors(SearchModel {
            endpoint: Value::Null,
            endpoint_wo: s(URL),
            endpoint_wo_version: Value::Value(1),
            timeout_seconds: Value::Value(30.5),
            index_days_max: Value::Value(10000),
            ..configured()
        })
        .is_empty());
        let mut diags = Diagnostics::default();
        validate_config::<Elasticsearch>(
            &mut diags,
            &SearchModel {
                endpoint: s("http://x"),
                ..configured()
            },
        );
        assert!(diags.errors[0].detail.contains("Elasticsearch server"));
    }

    #[test]
    fn defaults_are_planned_sent_and_read() {
        let config = SearchModel {
            endpoint: Value::Null,
            endpoint_wo: s(URL),
            ..configured()
        };
        let planned = plan_new::<Opensearch>(config.clone(), &config);
        assert_eq!(planned.index_days_max, Value::Value(7));
        assert_eq!(planned.timeout_seconds, Value::Value(10.0));
        let sent = Opensearch::request(&planned, &config);
        assert_eq!(sent.url.as_deref(), Some(URL));
        assert_eq!((sent.index_days_max, sent.timeout), (Some(7), Some(10.0)));
        let read = Opensearch::settings(
            &LogSinkConfig {
                url: Some(URL.into()),
                index_prefix: Some("db-logs".into()),
                ..LogSinkConfig::default()
            },
            &SearchModel {
                endpoint_wo_version: Value::Value(2),
                ..planned
            },
            false,
        );
        assert_eq!(read.endpoint, Value::Null);
        assert_eq!(read.endpoint_wo_version, Value::Value(2));
        assert_eq!(read.index_days_max, Value::Value(7));
        assert_eq!(read.timeout_seconds, Value::Value(10.0));
    }

    #[test]
    fn a_digitalocean_opensearch_sink_moves() {
        let mut diags = Diagnostics::default();
        let state = moved_from_digitalocean(
            &mut diags,
            &SourceState::from_json(json!({
                "id": format!("{CLUSTER},abc"),
                "logsink_id": "abc",
                "cluster_id": CLUSTER,
                "name": "logs",
                "endpoint": URL,
                "index_prefix": "db-logs",
                "index_days_max": 5,
                "timeout_seconds": 0,
                "ca_cert": ""
            })),
        )
        .unwrap();
        assert_eq!(
            state,
            SearchModel {
                id: s(&format!("{CLUSTER},abc")),
                logsink_id: s("abc"),
                index_days_max: Value::Value(5),
                timeout_seconds: Value::Value(10.0),
                ..configured()
            }
        );
    }

    #[test]
    fn the_schemas_match_the_model() {
        for schema in [sink_schema::<Opensearch>(), sink_schema::<Elasticsearch>()] {
            let (mut attributes, fields) =
                crate::resources::schema_util::attribute_and_field_names::<SearchModel>(&schema);
            attributes.push("timeouts".into());
            attributes.sort();
            assert_eq!(attributes, fields);
            assert!(schema.block.attributes["endpoint"].sensitive);
            assert!(schema.block.attributes["endpoint_wo"].write_only);
        }
    }
}
