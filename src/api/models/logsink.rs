//! Log sinks (`logsink_schema`, `logsink_create`, `logsink_update`): where a cluster forwards
//! its logs — an rsyslog server, an Elasticsearch or OpenSearch index, or (MongoDB only)
//! Datadog.
//!
//! One [`LogSinkConfig`] holds the fields of every sink type (`rsyslog_logsink`,
//! `elasticsearch_logsink`, `opensearch_logsink`, `datadog_logsink`); a request sets only the
//! fields of its sink's type, since the API refuses keys of another type.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::redact::Redacted;

/// A log sink as the API returns it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LogSink {
    pub sink_id: String,
    pub sink_name: String,
    /// `rsyslog`, `elasticsearch`, `opensearch` or `datadog`.
    pub sink_type: String,
    #[serde(default)]
    pub config: LogSinkConfig,
}

/// A sink's configuration; which fields apply depends on its type.
///
/// `Debug` redacts the secrets: the client key, the Datadog API key, and the password of a
/// URL with credentials in it (`https://user:password@host`).
#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LogSinkConfig {
    // rsyslog
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<bool>,
    /// `rfc5424`, `rfc3164` or `custom`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// The line template of the `custom` format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logline: Option<String>,
    /// The structured data block of RFC 5424 messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sd: Option<String>,
    /// PEM CA certificate (rsyslog, Elasticsearch, OpenSearch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<String>,
    /// PEM client private key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// PEM client certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<String>,
    // Elasticsearch and OpenSearch
    /// The connection URL, which may carry credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_days_max: Option<i64>,
    /// Request timeout in seconds (the contract's `number`, 10 to 120).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<f64>,
    // Datadog
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datadog_api_key: Option<String>,
}

/// A URL with any password in it replaced, for `Debug`.
struct UrlWithoutPassword<'a>(&'a Option<String>);

impl fmt::Debug for UrlWithoutPassword<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(text) = self.0 else {
            return f.write_str("None");
        };
        match url::Url::parse(text) {
            Ok(parsed) if parsed.password().is_none() => write!(f, "Some({:?})", parsed.as_str()),
            Ok(mut parsed) => {
                let _ = parsed.set_password(Some("redacted"));
                write!(f, "Some({:?})", parsed.as_str())
            }
            // Unparsable text may still hold a secret.
            Err(_) => f.write_str("Some(<redacted>)"),
        }
    }
}

impl fmt::Debug for LogSinkConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogSinkConfig")
            .field("server", &self.server)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("format", &self.format)
            .field("logline", &self.logline)
            .field("sd", &self.sd)
            .field("ca", &self.ca)
            .field("key", &Redacted(&self.key))
            .field("cert", &self.cert)
            .field("url", &UrlWithoutPassword(&self.url))
            .field("index_prefix", &self.index_prefix)
            .field("index_days_max", &self.index_days_max)
            .field("timeout", &self.timeout)
            .field("site", &self.site)
            .field("datadog_api_key", &Redacted(&self.datadog_api_key))
            .finish()
    }
}

/// `POST …/logsink`: the contract requires all three fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreateLogSinkRequest {
    pub sink_name: String,
    pub sink_type: String,
    pub config: LogSinkConfig,
}

/// `PUT …/logsink/{id}`: the new configuration, which replaces the old one as a whole (the
/// name and the type cannot change).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpdateLogSinkRequest {
    pub config: LogSinkConfig,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn debug_redacts_keys_and_url_passwords() {
        let config = LogSinkConfig {
            key: Some("-----BEGIN PRIVATE KEY-----secret".into()),
            url: Some("https://admin:hunter2@logs.example.com:9200".into()),
            datadog_api_key: Some("dd-0123456789".into()),
            server: Some("logs.example.com".into()),
            ..LogSinkConfig::default()
        };
        let shown = format!("{config:?}");
        for secret in ["secret", "hunter2", "dd-0123456789"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("logs.example.com:9200"), "{shown}");
        assert!(shown.contains("admin"), "{shown}");
        let opaque = LogSinkConfig {
            url: Some("not a url :: hunter2".into()),
            ..LogSinkConfig::default()
        };
        assert!(!format!("{opaque:?}").contains("hunter2"));
    }

    #[test]
    fn requests_send_only_the_fields_that_are_set() {
        let request = CreateLogSinkRequest {
            sink_name: "logs".into(),
            sink_type: "rsyslog".into(),
            config: LogSinkConfig {
                server: Some("192.168.0.1".into()),
                port: Some(514),
                tls: Some(false),
                format: Some("rfc5424".into()),
                ..LogSinkConfig::default()
            },
        };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({"sink_name": "logs", "sink_type": "rsyslog", "config": {
                "server": "192.168.0.1", "port": 514, "tls": false, "format": "rfc5424"}})
        );
        let read: LogSink = serde_json::from_value(json!({
            "sink_id": "77b28fc8-19ff-11eb-8c9c-c68e24557488", "sink_name": "logs",
            "sink_type": "opensearch",
            "config": {"url": "https://h:9200", "index_prefix": "p", "timeout": 10.5, "new": 1}
        }))
        .unwrap();
        assert_eq!(read.config.timeout, Some(10.5));
        assert_eq!(read.config.index_prefix.as_deref(), Some("p"));
    }
}
