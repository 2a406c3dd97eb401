//! `dbaas_database_logsink_datadog`: a MongoDB cluster's logs sent to Datadog
//! (`datadog_logsink`, which the contract allows on MongoDB clusters only; other engines reach
//! Datadog through an rsyslog sink).
//!
//! DigitalOcean's provider has no such resource. It takes the style of the other sinks:
//! `site`, and the API key as `datadog_api_key_wo` / `datadog_api_key_wo_version`
//! (write-only, Terraform ≥ 1.11) or `datadog_api_key` (sensitive, in state, for older
//! Terraform) — exactly one of them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::api::models::logsink::LogSinkConfig;
use crate::api::models::Cluster;
use crate::framework::attr as at;
use crate::framework::normalize::same_ignoring_case;
use crate::framework::timeouts::Timeouts;
use crate::framework::validate;
use crate::framework::values::known;
use crate::plugin::schema::{Attribute, AttributeType};
use crate::plugin::value::{self, Value};
use crate::plugin::Diagnostics;
use crate::resources::schema_util::required;

use super::secret::{self, refreshed, Secret, SecretValues};
use super::sink::{impl_sink_model, SinkKind};

const API_KEY: Secret = Secret {
    plain: "datadog_api_key",
    wo: "datadog_api_key_wo",
    version: "datadog_api_key_wo_version",
};

/// The resource's state, field for field as in the schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DatadogModel {
    pub id: Value<String>,
    pub cluster_id: Value<String>,
    pub name: Value<String>,
    pub logsink_id: Value<String>,
    pub site: Value<String>,
    pub datadog_api_key: Value<String>,
    pub datadog_api_key_wo: Value<String>,
    pub datadog_api_key_wo_version: Value<i64>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts>,
}

impl_sink_model!(DatadogModel);

impl DatadogModel {
    fn api_key(&self) -> SecretValues<'_> {
        SecretValues {
            plain: &self.datadog_api_key,
            wo: &self.datadog_api_key_wo,
            version: &self.datadog_api_key_wo_version,
        }
    }
}

/// A Datadog intake host name such as `http-intake.logs.datadoghq.com`: labels of letters,
/// digits and `-`, at least two of them, without scheme, port or path.
fn is_site(text: &str) -> bool {
    let labels: Vec<&str> = text.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// `datadog`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Datadog;

impl SinkKind for Datadog {
    type Model = DatadogModel;
    const TYPE_NAME: &'static str = "dbaas_database_logsink_datadog";
    const SINK_TYPE: &'static str = "datadog";
    const WHAT: &'static str = "Datadog log sink";

    fn description() -> String {
        "Sends a MongoDB cluster's logs to Datadog (the API offers Datadog sinks on MongoDB \
         clusters only; from other engines, use `dbaas_database_logsink_rsyslog` with \
         Datadog's intake). DigitalOcean's provider has no such resource. Give the API key \
         as `datadog_api_key_wo` (write-only, Terraform ≥ 1.11: never in plan or state) or \
         `datadog_api_key` (sensitive, stored in state). Every setting changes in place; a \
         new `cluster_id` or `name` replaces the sink. Import with \
         `<cluster_id>,<logsink_id>`."
            .to_string()
    }

    fn attributes() -> BTreeMap<String, Attribute> {
        let mut attributes = crate::map! {
            "site" => required(AttributeType::String,
                "Datadog's log intake host for your Datadog site, such as \
                 `http-intake.logs.datadoghq.com` (US1) or `http-intake.logs.datadoghq.eu` \
                 (EU), without scheme or path."),
        };
        attributes.extend(API_KEY.attributes("The Datadog API key the logs are sent with", true));
        attributes
    }

    fn validate(diags: &mut Diagnostics, config: &DatadogModel) {
        validate::matches(
            diags,
            at("site"),
            &config.site,
            is_site,
            "a host name such as \"http-intake.logs.datadoghq.com\", without scheme, port or \
             path",
        );
        validate::not_blank(diags, at("datadog_api_key"), &config.datadog_api_key);
        validate::not_blank(diags, at("datadog_api_key_wo"), &config.datadog_api_key_wo);
        API_KEY.validate(diags, config.api_key(), true);
    }

    fn plan(_planned: &mut DatadogModel, _config: &DatadogModel) {}

    fn request(planned: &DatadogModel, config: &DatadogModel) -> LogSinkConfig {
        LogSinkConfig {
            site: planned.site.as_ref_option().cloned(),
            datadog_api_key: secret::to_send(&planned.datadog_api_key, &config.datadog_api_key_wo),
            ..LogSinkConfig::default()
        }
    }

    fn settings(api: &LogSinkConfig, reference: &DatadogModel, importing: bool) -> DatadogModel {
        DatadogModel {
            site: known(api.site.clone()),
            datadog_api_key: refreshed(
                &reference.datadog_api_key,
                api.datadog_api_key.as_deref(),
                importing,
            ),
            datadog_api_key_wo: Value::Null,
            datadog_api_key_wo_version: reference.datadog_api_key_wo_version,
            ..DatadogModel::default()
        }
    }

    fn unsupported_engine(cluster: &Cluster) -> Option<String> {
        if same_ignoring_case(&cluster.engine, "mongodb") {
            None
        } else {
            Some(format!(
                "Datadog log sinks exist on MongoDB clusters only. For a {} cluster, send its \
                 logs to Datadog through a `dbaas_database_logsink_rsyslog` (format \
                 \"custom\", Datadog's intake as `server`, the API key in `logline`).",
                cluster.engine
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::database_logsink::sink::{sink_schema, validate_config};

    const CLUSTER: &str = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";

    fn s(text: &str) -> Value<String> {
        Value::Value(text.to_string())
    }

    fn configured() -> DatadogModel {
        DatadogModel {
            cluster_id: s(CLUSTER),
            name: s("dd"),
            site: s("http-intake.logs.datadoghq.com"),
            datadog_api_key_wo: s("0123456789abcdef"),
            datadog_api_key_wo_version: Value::Value(1),
            ..DatadogModel::default()
        }
    }

    fn errors(config: DatadogModel) -> Vec<String> {
        let mut diags = Diagnostics::default();
        validate_config::<Datadog>(&mut diags, &config);
        diags
            .errors
            .iter()
            .map(|e| e.attribute.to_string())
            .collect()
    }

    #[test]
    fn the_key_is_required_once_and_the_site_is_a_host() {
        assert!(errors(configured()).is_empty());
        assert!(errors(DatadogModel {
            datadog_api_key: s("k"),
            datadog_api_key_wo: Value::Null,
            datadog_api_key_wo_version: Value::Null,
            ..configured()
        })
        .is_empty());
        for (attribute, config) in [
            (
                "site",
                DatadogModel {
                    site: s("https://http-intake.logs.datadoghq.com"),
                    ..configured()
                },
            ),
            (
                "site",
                DatadogModel {
                    site: s("datadoghq"),
                    ..configured()
                },
            ),
            (
                "datadog_api_key",
                DatadogModel {
                    datadog_api_key_wo: Value::Null,
                    datadog_api_key_wo_version: Value::Null,
                    ..configured()
                },
            ),
            (
                "datadog_api_key_wo",
                DatadogModel {
                    datadog_api_key: s("k"),
                    ..configured()
                },
            ),
            (
                "datadog_api_key_wo",
                DatadogModel {
                    datadog_api_key_wo: s(" "),
                    ..configured()
                },
            ),
            (
                "datadog_api_key_wo_version",
                DatadogModel {
                    datadog_api_key: s("k"),
                    datadog_api_key_wo: Value::Null,
                    ..configured()
                },
            ),
        ] {
            assert_eq!(errors(config), [attribute], "{attribute}");
        }
    }

    #[test]
    fn only_mongodb_clusters_take_datadog_sinks() {
        let cluster = |engine: &str| Cluster {
            engine: engine.into(),
            ..Cluster::default()
        };
        assert!(Datadog::unsupported_engine(&cluster("mongodb")).is_none());
        let refusal = Datadog::unsupported_engine(&cluster("pg")).unwrap();
        assert!(refusal.contains("MongoDB clusters only"), "{refusal}");
    }

    #[test]
    fn the_write_only_key_is_sent_and_never_read_into_state() {
        let config = configured();
        let planned = DatadogModel {
            datadog_api_key_wo: Value::Null,
            ..config.clone()
        };
        let sent = Datadog::request(&planned, &config);
        assert_eq!(sent.datadog_api_key.as_deref(), Some("0123456789abcdef"));
        let read = Datadog::settings(&sent, &planned, false);
        assert_eq!(read.datadog_api_key, Value::Null);
        assert_eq!(read.datadog_api_key_wo_version, Value::Value(1));
        assert_eq!(read.site, s("http-intake.logs.datadoghq.com"));
    }

    #[test]
    fn the_schema_matches_the_model() {
        let schema = sink_schema::<Datadog>();
        let (mut attributes, fields) =
            crate::resources::schema_util::attribute_and_field_names::<DatadogModel>(&schema);
        attributes.push("timeouts".into());
        attributes.sort();
        assert_eq!(attributes, fields);
        assert!(schema.block.attributes["datadog_api_key_wo"].write_only);
        assert!(schema.block.attributes["datadog_api_key"].sensitive);
    }
}
