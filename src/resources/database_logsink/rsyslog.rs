//! `dbaas_database_logsink_rsyslog`: logs forwarded to an rsyslog server (`rsyslog_logsink`).
//!
//! DigitalOcean's `digitalocean_database_logsink_rsyslog`, attribute for attribute, with its
//! checks (a port in 1–65535, `logline` with the `custom` format, `tls` for certificates, a
//! client certificate and key together), plus `client_key_wo` / `client_key_wo_version` to
//! keep the client's private key out of state. `tls` and `format` default to `false` and
//! `rfc5424` as there, and are always sent (the API requires both).

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
use crate::plugin::Diagnostics;
use crate::resources::moved::{self, SourceState};
use crate::resources::schema_util::{optional, optional_computed, required, sensitive};

use super::secret::{self, refreshed, refreshed_text, Secret, SecretValues};
use super::sink::{impl_sink_model, moved_common, SinkKind, SinkModel};

const FORMATS: [&str; 3] = ["rfc5424", "rfc3164", "custom"];
const DEFAULT_FORMAT: &str = "rfc5424";

const CLIENT_KEY: Secret = Secret {
    plain: "client_key",
    wo: "client_key_wo",
    version: "client_key_wo_version",
};

/// The resource's state, field for field as in the schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RsyslogModel {
    pub id: Value<String>,
    pub cluster_id: Value<String>,
    pub name: Value<String>,
    pub logsink_id: Value<String>,
    pub server: Value<String>,
    pub port: Value<i64>,
    pub tls: Value<bool>,
    pub format: Value<String>,
    pub logline: Value<String>,
    pub structured_data: Value<String>,
    pub ca_cert: Value<String>,
    pub client_cert: Value<String>,
    pub client_key: Value<String>,
    pub client_key_wo: Value<String>,
    pub client_key_wo_version: Value<i64>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts>,
}

impl_sink_model!(RsyslogModel);

impl RsyslogModel {
    fn client_key(&self) -> SecretValues<'_> {
        SecretValues {
            plain: &self.client_key,
            wo: &self.client_key_wo,
            version: &self.client_key_wo_version,
        }
    }
}

/// A server as the API takes it: a DNS name or an IPv4 address, without scheme or port.
fn is_server(text: &str) -> bool {
    !text.is_empty()
        && !text.contains("://")
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// `rsyslog`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rsyslog;

impl SinkKind for Rsyslog {
    type Model = RsyslogModel;
    const TYPE_NAME: &'static str = "dbaas_database_logsink_rsyslog";
    const SINK_TYPE: &'static str = "rsyslog";
    const WHAT: &'static str = "rsyslog log sink";

    fn description() -> String {
        "Forwards a cluster's logs to an rsyslog server (for Datadog from a non-MongoDB \
         cluster too: its `custom` format with the API key in `logline`). The shape is \
         DigitalOcean's `digitalocean_database_logsink_rsyslog`, plus `client_key_wo` to keep \
         the client key out of state. Every setting changes in place; a new `cluster_id` or \
         `name` replaces the sink. Import with `<cluster_id>,<logsink_id>`."
            .to_string()
    }

    fn attributes() -> BTreeMap<String, Attribute> {
        use AttributeType::{Bool, Number, String as Str};
        let mut attributes = crate::map! {
            "server" => required(Str,
                "The rsyslog server's DNS name or IPv4 address, without scheme or port."),
            "port" => required(Number, "The port the rsyslog server listens on: 1 to 65535."),
            "tls" => optional_computed(Bool,
                "Whether to use TLS (recommended: the messages are not filtered and may hold \
                 sensitive data). Required for `ca_cert`, `client_cert` and `client_key`. \
                 Defaults to `false`."),
            "format" => optional_computed(Str,
                "The message format: `rfc5424` (the current syslog format, the default), \
                 `rfc3164` (the old BSD format) or `custom` (the template in `logline`)."),
            "logline" => optional(Str,
                "The line template of the `custom` format (required with it), in rsyslog's \
                 style: the tags `%HOSTNAME%`, `%app-name%`, `%msg%`, `%msgid%`, `%pri%`, \
                 `%procid%`, `%structured-data%`, `%timestamp%` and \
                 `%timestamp:::date-rfc3339%`."),
            "structured_data" => optional(Str,
                "The structured data block of RFC 5424 messages, e.g. \
                 `TOKEN tag=\"LiteralValue\"`."),
            "ca_cert" => sensitive(optional(Str,
                "The PEM CA certificate the server's certificate is checked against (needs \
                 `tls`). Sensitive, as in DigitalOcean's provider.")),
            "client_cert" => optional(Str,
                "The PEM client certificate, for servers that authenticate clients (needs \
                 `tls` and the client key)."),
        };
        attributes.extend(CLIENT_KEY.attributes(
            "The PEM private key of `client_cert` (needs `tls` and `client_cert`)",
            false,
        ));
        attributes
    }

    fn validate(diags: &mut Diagnostics, config: &RsyslogModel) {
        validate::matches(
            diags,
            at("server"),
            &config.server,
            is_server,
            "a DNS name or an IPv4 address such as \"192.168.0.1\" or \"logs.example.com\", \
             without scheme or port (the port goes in `port`)",
        );
        validate::int_between(diags, at("port"), &config.port, 1, 65535);
        validate::one_of(diags, at("format"), &config.format, &FORMATS, false);
        validate::not_blank(diags, at("client_key_wo"), &config.client_key_wo);
        validate::not_blank(diags, at("client_key"), &config.client_key);
        CLIENT_KEY.validate(diags, config.client_key(), false);

        let custom = config.format.as_deref() == Value::Value("custom");
        let no_logline = match &config.logline {
            Value::Null => true,
            Value::Value(line) => line.trim().is_empty(),
            Value::Unknown => false,
        };
        if custom && no_logline {
            diags.err(
                "Missing logline",
                "`format` \"custom\" sends each line as the template in `logline`, which is \
                 required with it (and must not be empty).",
                at("logline"),
            );
        }

        let key_set = config.client_key.is_value() || config.client_key_wo.is_value();
        let over_tls: Vec<&str> = [
            ("ca_cert", config.ca_cert.is_value()),
            ("client_cert", config.client_cert.is_value()),
            ("client_key", key_set),
        ]
        .iter()
        .filter(|(_, set)| *set)
        .map(|(name, _)| *name)
        .collect();
        if matches!(config.tls, Value::Value(false) | Value::Null) && !over_tls.is_empty() {
            diags.err(
                "TLS required",
                format!(
                    "`{}` only apply over TLS, and `tls` is false (its default): set \
                     `tls = true`.",
                    over_tls.join("`, `")
                ),
                at("tls"),
            );
        }
        if config.client_cert.is_value() && config.client_key().is_unset() {
            diags.err(
                "Missing client key",
                "`client_cert` needs its private key: set `client_key_wo` (Terraform ≥ 1.11) \
                 or `client_key`.",
                at("client_key"),
            );
        }
        if key_set && config.client_cert.is_null() {
            diags.err(
                "Missing client certificate",
                "A client key needs its certificate: set `client_cert`.",
                at("client_cert"),
            );
        }
    }

    fn plan(planned: &mut RsyslogModel, config: &RsyslogModel) {
        if config.tls.is_null() {
            planned.tls = Value::Value(false);
        }
        if config.format.is_null() {
            planned.format = Value::Value(DEFAULT_FORMAT.to_string());
        }
    }

    fn request(planned: &RsyslogModel, config: &RsyslogModel) -> LogSinkConfig {
        LogSinkConfig {
            server: planned.server.as_ref_option().cloned(),
            port: planned.port.as_ref_option().copied(),
            tls: Some(planned.tls.as_ref_option().copied().unwrap_or(false)),
            format: Some(
                planned
                    .format
                    .as_ref_option()
                    .cloned()
                    .unwrap_or_else(|| DEFAULT_FORMAT.to_string()),
            ),
            logline: planned.logline.as_ref_option().cloned(),
            sd: planned.structured_data.as_ref_option().cloned(),
            ca: planned.ca_cert.as_ref_option().cloned(),
            cert: planned.client_cert.as_ref_option().cloned(),
            key: secret::to_send(&planned.client_key, &config.client_key_wo),
            ..LogSinkConfig::default()
        }
    }

    fn settings(api: &LogSinkConfig, reference: &RsyslogModel, importing: bool) -> RsyslogModel {
        RsyslogModel {
            server: known(api.server.clone()),
            port: known(api.port),
            tls: Value::Value(api.tls.unwrap_or(false)),
            format: known(api.format.clone()),
            logline: refreshed_text(&reference.logline, api.logline.as_deref()),
            structured_data: refreshed_text(&reference.structured_data, api.sd.as_deref()),
            ca_cert: refreshed_text(&reference.ca_cert, api.ca.as_deref()),
            client_cert: refreshed_text(&reference.client_cert, api.cert.as_deref()),
            client_key: refreshed(&reference.client_key, api.key.as_deref(), importing),
            client_key_wo: Value::Null,
            client_key_wo_version: reference.client_key_wo_version,
            ..RsyslogModel::default()
        }
    }

    fn moved(diags: &mut Diagnostics, request: &MoveRequest) -> Option<RsyslogModel> {
        let source = moved::source_state(diags, request, Self::TYPE_NAME)?;
        moved_from_digitalocean(diags, &source)
    }
}

/// A `digitalocean_database_logsink_rsyslog` (schema version 0) as this resource's state: the
/// same attributes; the write-only ones are new and null.
pub fn moved_from_digitalocean(
    diags: &mut Diagnostics,
    source: &SourceState,
) -> Option<RsyslogModel> {
    const SOURCE: &str = "digitalocean_database_logsink_rsyslog";
    let common = moved_common(diags, source, SOURCE)?;
    let mut model = RsyslogModel {
        server: source.string("server"),
        port: source.int("port"),
        tls: match source.bool("tls") {
            Value::Null => Value::Value(false),
            tls => tls,
        },
        format: match source.string("format") {
            Value::Null => Value::Value(DEFAULT_FORMAT.to_string()),
            format => format,
        },
        logline: source.string("logline"),
        structured_data: source.string("structured_data"),
        ca_cert: source.string("ca_cert"),
        client_cert: source.string("client_cert"),
        client_key: source.string("client_key"),
        ..RsyslogModel::default()
    };
    model.set_common(common);
    Some(model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::database_logsink::sink::{
        plan_existing, plan_new, sink_schema, validate_config,
    };
    use serde_json::json;

    const CLUSTER: &str = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";

    fn s(text: &str) -> Value<String> {
        Value::Value(text.to_string())
    }

    fn configured() -> RsyslogModel {
        RsyslogModel {
            cluster_id: s(CLUSTER),
            name: s("logs"),
            server: s("192.168.0.1"),
            port: Value::Value(514),
            ..RsyslogModel::default()
        }
    }

    fn errors(config: RsyslogModel) -> Vec<String> {
        let mut diags = Diagnostics::default();
        validate_config::<Rsyslog>(&mut diags, &config);
        diags
            .errors
            .iter()
            .map(|e| e.attribute.to_string())
            .collect()
    }

    #[test]
    fn settings_are_checked_naming_the_attribute() {
        assert!(errors(configured()).is_empty());
        let tls = || RsyslogModel {
            tls: Value::Value(true),
            ..configured()
        };
        for (attribute, config) in [
            (
                "port",
                RsyslogModel {
                    port: Value::Value(0),
                    ..configured()
                },
            ),
            (
                "port",
                RsyslogModel {
                    port: Value::Value(65536),
                    ..configured()
                },
            ),
            (
                "server",
                RsyslogModel {
                    server: s("tcp://logs.example.com"),
                    ..configured()
                },
            ),
            (
                "server",
                RsyslogModel {
                    server: s("logs.example.com:514"),
                    ..configured()
                },
            ),
            (
                "server",
                RsyslogModel {
                    server: s(""),
                    ..configured()
                },
            ),
            (
                "format",
                RsyslogModel {
                    format: s("json"),
                    ..configured()
                },
            ),
            (
                "logline",
                RsyslogModel {
                    format: s("custom"),
                    ..configured()
                },
            ),
            (
                "logline",
                RsyslogModel {
                    format: s("custom"),
                    logline: s(" "),
                    ..configured()
                },
            ),
            (
                "tls",
                RsyslogModel {
                    ca_cert: s("pem"),
                    ..configured()
                },
            ),
            (
                "tls",
                RsyslogModel {
                    tls: Value::Value(false),
                    client_cert: s("c"),
                    client_key: s("k"),
                    ..configured()
                },
            ),
            (
                "client_key",
                RsyslogModel {
                    client_cert: s("c"),
                    ..tls()
                },
            ),
            (
                "client_cert",
                RsyslogModel {
                    client_key_wo: s("k"),
                    ..tls()
                },
            ),
            (
                "client_key_wo",
                RsyslogModel {
                    client_cert: s("c"),
                    client_key: s("k"),
                    client_key_wo: s("k"),
                    ..tls()
                },
            ),
            (
                "name",
                RsyslogModel {
                    name: s(" "),
                    ..configured()
                },
            ),
            (
                "cluster_id",
                RsyslogModel {
                    cluster_id: s("main"),
                    ..configured()
                },
            ),
        ] {
            assert_eq!(errors(config), [attribute], "{attribute}");
        }
        assert!(errors(RsyslogModel {
            client_cert: s("c"),
            client_key_wo: s("k"),
            client_key_wo_version: Value::Value(1),
            format: s("custom"),
            logline: s("<%pri%> %msg%"),
            ..tls()
        })
        .is_empty());
        // Unknown values are checked once they are known.
        assert!(errors(RsyslogModel {
            port: Value::Unknown,
            server: Value::Unknown,
            format: s("custom"),
            logline: Value::Unknown,
            tls: Value::Unknown,
            client_cert: s("c"),
            client_key: Value::Unknown,
            ..configured()
        })
        .is_empty());
    }

    #[test]
    fn defaults_are_planned_and_sent_and_only_identity_replaces() {
        let planned = plan_new::<Rsyslog>(configured(), &configured());
        assert_eq!(planned.tls, Value::Value(false));
        assert_eq!(planned.format, s("rfc5424"));
        assert_eq!(planned.id, Value::Unknown);
        assert_eq!(planned.logsink_id, Value::Unknown);
        let config = RsyslogModel {
            client_cert: s("c"),
            client_key_wo: s("secret"),
            ..configured()
        };
        let sent = Rsyslog::request(&planned, &config);
        assert_eq!(sent.tls, Some(false));
        assert_eq!(sent.format.as_deref(), Some("rfc5424"));
        assert_eq!(sent.key.as_deref(), Some("secret"));

        let prior = RsyslogModel {
            id: s(&format!("{CLUSTER},abc")),
            logsink_id: s("abc"),
            ..planned.clone()
        };
        let moved_port = RsyslogModel {
            port: Value::Value(6514),
            ..prior.clone()
        };
        let (plan, replace) = plan_existing::<Rsyslog>(&prior, moved_port.clone(), &moved_port);
        assert!(replace.is_empty());
        assert_eq!(plan.port, Value::Value(6514));
        let renamed = RsyslogModel {
            name: s("other"),
            ..prior.clone()
        };
        assert_eq!(
            plan_existing::<Rsyslog>(&prior, renamed.clone(), &renamed).1,
            [at("name")]
        );
        let elsewhere = RsyslogModel {
            cluster_id: s(&CLUSTER.to_ascii_uppercase()),
            ..prior.clone()
        };
        assert!(
            plan_existing::<Rsyslog>(&prior, elsewhere.clone(), &elsewhere)
                .1
                .is_empty()
        );
    }

    #[test]
    fn reads_keep_write_only_keys_out_of_state() {
        let api = LogSinkConfig {
            server: Some("192.168.0.1".into()),
            port: Some(514),
            tls: Some(true),
            format: Some("rfc5424".into()),
            cert: Some("cert".into()),
            key: Some("key".into()),
            ..LogSinkConfig::default()
        };
        let write_only = RsyslogModel {
            client_key_wo_version: Value::Value(3),
            client_cert: s("cert\n"),
            ..configured()
        };
        let read = Rsyslog::settings(&api, &write_only, false);
        assert_eq!(read.client_key, Value::Null);
        assert_eq!(read.client_key_wo_version, Value::Value(3));
        assert_eq!(read.client_cert, s("cert\n"));
        let plain = RsyslogModel {
            client_key: s("old"),
            ..configured()
        };
        assert_eq!(Rsyslog::settings(&api, &plain, false).client_key, s("key"));
        assert_eq!(
            Rsyslog::settings(&api, &RsyslogModel::default(), true).client_key,
            s("key")
        );
    }

    #[test]
    fn a_digitalocean_rsyslog_sink_moves() {
        let mut diags = Diagnostics::default();
        let state = moved_from_digitalocean(
            &mut diags,
            &SourceState::from_json(json!({
                "id": format!("{CLUSTER},abc"),
                "logsink_id": "abc",
                "cluster_id": CLUSTER,
                "name": "logs",
                "server": "192.168.0.1",
                "port": 514,
                "tls": false,
                "format": "rfc5424",
                "logline": "",
                "structured_data": "",
                "ca_cert": "",
                "client_cert": "",
                "client_key": ""
            })),
        )
        .unwrap();
        assert_eq!(
            state,
            RsyslogModel {
                id: s(&format!("{CLUSTER},abc")),
                logsink_id: s("abc"),
                tls: Value::Value(false),
                format: s("rfc5424"),
                ..configured()
            }
        );
        let without_sink_id = moved_from_digitalocean(
            &mut diags,
            &SourceState::from_json(json!({
                "id": format!("{CLUSTER},def"), "cluster_id": CLUSTER, "name": "logs"
            })),
        )
        .unwrap();
        assert_eq!(without_sink_id.logsink_id, s("def"));
        assert!(
            moved_from_digitalocean(&mut diags, &SourceState::from_json(json!({"name": "x"})))
                .is_none()
        );
    }

    #[test]
    fn the_schema_matches_the_model() {
        let schema = sink_schema::<Rsyslog>();
        let (mut attributes, fields) =
            crate::resources::schema_util::attribute_and_field_names::<RsyslogModel>(&schema);
        attributes.push("timeouts".into());
        attributes.sort();
        assert_eq!(attributes, fields);
        assert!(schema.block.attributes["client_key_wo"].write_only);
        assert!(schema.block.attributes["client_key"].sensitive);
    }
}
