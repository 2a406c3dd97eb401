//! Acceptance tests for the log sinks, `dbaas_database_logsink_{rsyslog,opensearch,
//! elasticsearch,datadog}`: the real Terraform CLI against `dbaas-mock`. Each test starts its
//! own emulator and Terraform directory, and walks one sink type through its whole life in it.
//!
//! The file runs with any supported Terraform: write-only attributes are checked end to end
//! with Terraform ≥ 1.11, and with older ones (`TERRAFORM_BIN=…/terraform-1.0.3`) they must be
//! refused naming the attribute while the plain sensitive attributes work.

mod support;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use support::cluster::{str_attr, ClusterHcl, PG_NEWER};
use support::terraform::{state_resource, state_resource_count, state_values};
use support::text::{flatten, hcl_string};
use support::{Mock, Terraform};

const CLUSTER: &str = "dbaas_database_cluster.x";
const RSYSLOG: &str = "dbaas_database_logsink_rsyslog.x";
const OPENSEARCH: &str = "dbaas_database_logsink_opensearch.x";
const ELASTICSEARCH: &str = "dbaas_database_logsink_elasticsearch.x";
const DATADOG: &str = "dbaas_database_logsink_datadog.x";
const DD_SITE: &str = "http-intake.logs.datadoghq.com";

fn pg_cluster(name: &str) -> String {
    ClusterHcl::new(name, "pg")
        .set_str("version", PG_NEWER)
        .render()
}

fn mongo_cluster(name: &str) -> String {
    ClusterHcl::new(name, "mongodb")
        .set_str("version", "7.0")
        .render()
}

/// A string literal.
fn lit(text: &str) -> String {
    hcl_string(text)
}

/// `resource "dbaas_database_logsink_<kind>" "<label>"` in cluster `x`, with `attributes`
/// (name and HCL expression).
fn sink_block(kind: &str, label: &str, attributes: &[(&str, String)]) -> String {
    let mut hcl = format!(
        "resource \"dbaas_database_logsink_{kind}\" \"{label}\" {{\n  cluster_id = {CLUSTER}.id\n"
    );
    for (name, expression) in attributes {
        hcl.push_str(&format!("  {name} = {expression}\n"));
    }
    hcl.push_str("}\n");
    hcl
}

/// The emulator's log sinks of a cluster, as its API lists them (secrets included: never
/// print them).
fn stored_sinks(mock: &Mock, cluster_id: &str) -> Vec<Value> {
    let (status, body) = mock.v2(
        Method::GET,
        &format!("/v2/databases/{cluster_id}/logsink"),
        None,
    );
    assert_eq!(status, StatusCode::OK);
    body["sinks"].as_array().cloned().unwrap_or_default()
}

/// One stored sink's `config`.
fn stored_config(mock: &Mock, cluster_id: &str, sink_id: &str) -> Value {
    let (status, body) = mock.v2(
        Method::GET,
        &format!("/v2/databases/{cluster_id}/logsink/{sink_id}"),
        None,
    );
    assert_eq!(status, StatusCode::OK, "sink {sink_id}");
    body["config"].clone()
}

/// Changes a stored sink's configuration as another API client would: `PUT` of the whole
/// configuration with `changes` merged in.
fn change_stored_config(mock: &Mock, cluster_id: &str, sink_id: &str, changes: Value) {
    let mut config = stored_config(mock, cluster_id, sink_id);
    for (key, value) in changes.as_object().expect("changes are an object") {
        config[key] = value.clone();
    }
    let (status, _) = mock.v2(
        Method::PUT,
        &format!("/v2/databases/{cluster_id}/logsink/{sink_id}"),
        Some(json!({ "config": config })),
    );
    assert_eq!(status, StatusCode::OK);
}

/// The JSON paths of the strings in `value` that contain `needle` (paths only: the values may
/// be secrets).
fn paths_containing(value: &Value, needle: &str) -> Vec<String> {
    fn walk(value: &Value, needle: &str, path: String, found: &mut Vec<String>) {
        match value {
            Value::String(text) if text.contains(needle) => found.push(path),
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    walk(item, needle, format!("{path}[{index}]"), found);
                }
            }
            Value::Object(fields) => {
                for (key, item) in fields {
                    walk(item, needle, format!("{path}.{key}"), found);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(value, needle, String::new(), &mut found);
    found
}

/// Whether an output line is Terraform quoting the configuration (`  12:   port = 0`).
fn is_source_line(line: &str) -> bool {
    let trimmed = line.trim_start_matches(|c: char| c.is_whitespace() || c == '│');
    trimmed
        .split_once(':')
        .is_some_and(|(number, _)| !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()))
}

fn requests_to(mock: &Mock, method: &str, suffix: &str) -> Vec<Value> {
    mock.requests()
        .into_iter()
        .filter(|r| {
            r["method"] == method && r["path"].as_str().is_some_and(|p| p.ends_with(suffix))
        })
        .collect()
}

/// The IDs of the cluster and of the sink at `address` in the current state.
fn ids(tf: &Terraform, address: &str) -> (String, String) {
    let state = tf.show_state();
    let values = state_values(&state, address);
    let cluster_id = str_attr(values, "cluster_id").to_string();
    let sink_id = str_attr(values, "logsink_id").to_string();
    assert_eq!(str_attr(values, "id"), format!("{cluster_id},{sink_id}"));
    (cluster_id, sink_id)
}

/// Import into a fresh state gives the same attributes and an empty plan.
fn assert_import_round_trips(tf: &Terraform, address: &str, cluster_id: &str, sink_id: &str) {
    let before = state_values(&tf.show_state(), address).clone();
    tf.state_rm(address);
    assert!(state_resource(&tf.show_state(), address).is_none());
    tf.import(address, &format!("{cluster_id},{sink_id}"));
    tf.assert_plan_empty();
    let imported = state_values(&tf.show_state(), address).clone();
    let names: Vec<&String> = before.as_object().unwrap().keys().collect();
    for name in names {
        if name != "timeouts" {
            assert_eq!(
                imported[name], before[name],
                "{address}.{name} after import"
            );
        }
    }
}

/// Destroy leaves nothing behind: the sinks were deleted and the clusters are gone.
fn assert_destroyed(mock: &Mock, tf: &Terraform) {
    tf.destroy();
    assert_eq!(state_resource_count(&tf.show_state()), 0);
    assert!(!requests_to(mock, "DELETE", "").is_empty());
    assert_eq!(mock.cluster_count(), 0, "destroy left clusters behind");
}

#[test]
fn rsyslog_lifecycle_update_drift_replace_import_destroy() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let cluster = pg_cluster("acc-sink-rsyslog");
    let basic = |name: &str| {
        sink_block(
            "rsyslog",
            "x",
            &[
                ("name", lit(name)),
                ("server", lit("192.168.0.1")),
                ("port", "514".into()),
            ],
        )
    };
    tf.write_config(&format!("{cluster}\n{}", basic("acc-syslog")));
    let plan = tf.plan();
    assert_eq!(plan.actions(RSYSLOG), ["create"], "{}", plan.stdout);
    assert_eq!(plan.planned(RSYSLOG, "tls"), json!(false));
    assert_eq!(plan.planned(RSYSLOG, "format"), json!("rfc5424"));
    tf.apply();
    tf.assert_plan_empty();
    let (cluster_id, sink_id) = ids(&tf, RSYSLOG);
    assert_eq!(
        stored_config(&mock, &cluster_id, &sink_id),
        json!({"server": "192.168.0.1", "port": 514, "tls": false, "format": "rfc5424"})
    );

    // Every setting changes in place, the client key included.
    let key = "-----BEGIN PRIVATE KEY-----\nacc-plain-client-key\n-----END PRIVATE KEY-----\n";
    let tls = |name: &str, port: u16| {
        sink_block(
            "rsyslog",
            "x",
            &[
                ("name", lit(name)),
                ("server", lit("logs.example.com")),
                ("port", port.to_string()),
                ("tls", "true".into()),
                ("format", lit("custom")),
                (
                    "logline",
                    lit("<%pri%>1 %timestamp:::date-rfc3339% %HOSTNAME% %msg%"),
                ),
                ("structured_data", lit("TOKEN tag=\"acc\"")),
                (
                    "ca_cert",
                    lit("-----BEGIN CERTIFICATE-----\nacc-ca\n-----END CERTIFICATE-----\n"),
                ),
                (
                    "client_cert",
                    lit("-----BEGIN CERTIFICATE-----\nacc-cert\n-----END CERTIFICATE-----\n"),
                ),
                ("client_key", lit(key)),
            ],
        )
    };
    tf.write_config(&format!("{cluster}\n{}", tls("acc-syslog", 6514)));
    tf.plan().assert_update(RSYSLOG);
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(ids(&tf, RSYSLOG).1, sink_id, "an update keeps the sink");
    let stored = stored_config(&mock, &cluster_id, &sink_id);
    assert_eq!(stored["port"], 6514);
    assert_eq!(stored["tls"], true);
    assert_eq!(stored["format"], "custom");
    assert_eq!(stored["sd"], "TOKEN tag=\"acc\"");
    assert_eq!(stored["key"], key);
    assert!(stored["cert"].as_str().unwrap().contains("acc-cert"));

    // A change made outside Terraform shows in the next plan, and the apply reverts it.
    change_stored_config(&mock, &cluster_id, &sink_id, json!({"port": 1514}));
    let plan = tf.plan();
    plan.assert_update(RSYSLOG);
    assert_eq!(plan.planned(RSYSLOG, "port"), json!(6514));
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(stored_config(&mock, &cluster_id, &sink_id)["port"], 6514);
    // So does a changed key.
    change_stored_config(
        &mock,
        &cluster_id,
        &sink_id,
        json!({"key": "rotated elsewhere"}),
    );
    tf.plan().assert_update(RSYSLOG);
    tf.apply();
    assert_eq!(stored_config(&mock, &cluster_id, &sink_id)["key"], key);

    // A new name is a new sink.
    tf.write_config(&format!("{cluster}\n{}", tls("acc-syslog-2", 6514)));
    tf.plan().assert_replace(RSYSLOG);
    tf.apply();
    tf.assert_plan_empty();
    let (_, new_sink_id) = ids(&tf, RSYSLOG);
    assert_ne!(new_sink_id, sink_id);
    let sinks = stored_sinks(&mock, &cluster_id);
    assert_eq!(sinks.len(), 1, "the old sink was deleted");
    assert_eq!(sinks[0]["sink_name"], "acc-syslog-2");

    assert_import_round_trips(&tf, RSYSLOG, &cluster_id, &new_sink_id);
    for (id, expected) in [
        (new_sink_id.clone(), "`<cluster_id>,<logsink_id>`"),
        (
            format!("{cluster_id},not-a-sink"),
            "has no log sink with ID",
        ),
    ] {
        tf.state_rm(RSYSLOG);
        let output = tf.run(&["import", "-no-color", "-input=false", RSYSLOG, &id]);
        assert!(!output.success(), "importing {id}");
        assert!(
            flatten(&output.stderr).contains(expected),
            "{}",
            output.stderr
        );
        tf.import(RSYSLOG, &format!("{cluster_id},{new_sink_id}"));
    }

    // Deleted by someone else: planned for creation again.
    let (status, _) = mock.v2(
        Method::DELETE,
        &format!("/v2/databases/{cluster_id}/logsink/{new_sink_id}"),
        None,
    );
    assert_eq!(status, StatusCode::OK);
    let plan = tf.plan();
    assert_eq!(plan.actions(RSYSLOG), ["create"], "{}", plan.stdout);

    assert_destroyed(&mock, &tf);
}

/// `dbaas_database_logsink_opensearch` and `_elasticsearch` share their shape; each runs the
/// same scenario.
fn search_lifecycle(kind: &str, address: &str) {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let cluster = pg_cluster(&format!("acc-sink-{kind}"));
    let endpoint = "https://acc:plain-password@logs.example.com:9200";
    let block = |name: &str, extra: &[(&str, String)]| {
        let mut attributes = vec![
            ("name", lit(name)),
            ("endpoint", lit(endpoint)),
            ("index_prefix", lit("acc-logs")),
        ];
        attributes.extend_from_slice(extra);
        sink_block(kind, "x", &attributes)
    };
    tf.write_config(&format!("{cluster}\n{}", block("acc-search", &[])));
    let plan = tf.plan();
    assert_eq!(plan.actions(address), ["create"], "{}", plan.stdout);
    assert_eq!(plan.planned(address, "index_days_max"), json!(7));
    assert_eq!(plan.planned(address, "timeout_seconds"), json!(10));
    assert!(
        !plan.stdout.contains("plain-password"),
        "the endpoint is sensitive"
    );
    tf.apply();
    tf.assert_plan_empty();
    let (cluster_id, sink_id) = ids(&tf, address);
    let stored = stored_config(&mock, &cluster_id, &sink_id);
    assert_eq!(stored["url"], endpoint);
    assert_eq!(stored["index_prefix"], "acc-logs");
    assert_eq!(stored["index_days_max"], 7);
    assert_eq!(stored["timeout"].as_f64(), Some(10.0));
    assert_eq!(stored_sinks(&mock, &cluster_id)[0]["sink_type"], kind);

    // In place: retention, timeout (the API's number may have a fraction) and CA.
    let tuned = [
        ("index_days_max", "14".to_string()),
        ("timeout_seconds", "30.5".to_string()),
        (
            "ca_cert",
            lit("-----BEGIN CERTIFICATE-----\nacc-ca\n-----END CERTIFICATE-----"),
        ),
    ];
    tf.write_config(&format!("{cluster}\n{}", block("acc-search", &tuned)));
    tf.plan().assert_update(address);
    tf.apply();
    tf.assert_plan_empty();
    let stored = stored_config(&mock, &cluster_id, &sink_id);
    assert_eq!(stored["index_days_max"], 14);
    assert_eq!(stored["timeout"].as_f64(), Some(30.5));
    assert!(stored["ca"].as_str().unwrap().contains("acc-ca"));

    // Drift, of a setting and of the endpoint.
    change_stored_config(
        &mock,
        &cluster_id,
        &sink_id,
        json!({"index_prefix": "elsewhere"}),
    );
    let plan = tf.plan();
    plan.assert_update(address);
    assert_eq!(plan.planned(address, "index_prefix"), json!("acc-logs"));
    tf.apply();
    change_stored_config(
        &mock,
        &cluster_id,
        &sink_id,
        json!({"url": "https://other:password@logs.example.com:9200"}),
    );
    tf.plan().assert_update(address);
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(stored_config(&mock, &cluster_id, &sink_id)["url"], endpoint);

    // A new name is a new sink.
    tf.write_config(&format!("{cluster}\n{}", block("acc-search-2", &tuned)));
    tf.plan().assert_replace(address);
    tf.apply();
    tf.assert_plan_empty();
    let (_, new_sink_id) = ids(&tf, address);
    assert_ne!(new_sink_id, sink_id);
    assert_eq!(stored_sinks(&mock, &cluster_id).len(), 1);

    assert_import_round_trips(&tf, address, &cluster_id, &new_sink_id);
    assert_destroyed(&mock, &tf);
}

#[test]
fn opensearch_lifecycle_update_drift_replace_import_destroy() {
    search_lifecycle("opensearch", OPENSEARCH);
}

#[test]
fn elasticsearch_lifecycle_update_drift_replace_import_destroy() {
    search_lifecycle("elasticsearch", ELASTICSEARCH);
}

#[test]
fn datadog_lifecycle_update_drift_replace_import_destroy() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let cluster = mongo_cluster("acc-sink-datadog");
    let key = "acc-plain-datadog-key-0123456789";
    let block = |name: &str, site: &str| {
        sink_block(
            "datadog",
            "x",
            &[
                ("name", lit(name)),
                ("site", lit(site)),
                ("datadog_api_key", lit(key)),
            ],
        )
    };
    tf.write_config(&format!("{cluster}\n{}", block("acc-datadog", DD_SITE)));
    let plan = tf.plan();
    assert_eq!(plan.actions(DATADOG), ["create"], "{}", plan.stdout);
    assert!(!plan.stdout.contains(key), "the key is sensitive");
    tf.apply();
    tf.assert_plan_empty();
    let (cluster_id, sink_id) = ids(&tf, DATADOG);
    assert_eq!(
        stored_config(&mock, &cluster_id, &sink_id),
        json!({"site": DD_SITE, "datadog_api_key": key})
    );

    let eu = "http-intake.logs.datadoghq.eu";
    tf.write_config(&format!("{cluster}\n{}", block("acc-datadog", eu)));
    tf.plan().assert_update(DATADOG);
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(stored_config(&mock, &cluster_id, &sink_id)["site"], eu);

    change_stored_config(
        &mock,
        &cluster_id,
        &sink_id,
        json!({"datadog_api_key": "other"}),
    );
    tf.plan().assert_update(DATADOG);
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(
        stored_config(&mock, &cluster_id, &sink_id)["datadog_api_key"],
        key
    );

    tf.write_config(&format!("{cluster}\n{}", block("acc-datadog-2", eu)));
    tf.plan().assert_replace(DATADOG);
    tf.apply();
    tf.assert_plan_empty();
    let (_, new_sink_id) = ids(&tf, DATADOG);
    assert_ne!(new_sink_id, sink_id);
    assert_eq!(stored_sinks(&mock, &cluster_id).len(), 1);

    assert_import_round_trips(&tf, DATADOG, &cluster_id, &new_sink_id);
    assert_destroyed(&mock, &tf);
}

/// The four write-only secrets: with Terraform ≥ 1.11 each reaches the API and never a plan
/// or a state, and a new `_wo_version` sends it again; older Terraform refuses them, naming
/// each, and takes the plain sensitive attributes instead.
#[test]
fn write_only_secrets_reach_the_api_and_never_plan_or_state() {
    let mock = Mock::start(&[]);
    let mut tf = Terraform::new(&mock);
    let clusters = format!(
        "{}\n{}",
        pg_cluster("acc-sink-wo-pg"),
        mongo_cluster("acc-sink-wo-mongo").replace("\"x\"", "\"m\"")
    );
    let secrets = |round: u32| {
        [
            format!("-----BEGIN PRIVATE KEY-----\nacc-wo-key-{round}\n-----END PRIVATE KEY-----\n"),
            format!("https://acc:wo-os-password-{round}@opensearch.example.com:25060"),
            format!("https://acc:wo-es-password-{round}@elastic.example.com:9200"),
            format!("acc-wo-datadog-key-{round}"),
        ]
    };
    // With a version, the write-only attributes; without, the plain ones. The values are
    // literals, or (`variables`, Terraform ≥ 1.10) ephemeral variables set through the
    // environment as a real configuration would have them: a literal is in the plan's copy
    // of the configuration, which is Terraform's and not the provider's doing.
    let config = |secrets: &[String; 4], version: Option<u32>, variables: bool| {
        let value = |index: usize| {
            if variables {
                format!("var.secret_{index}")
            } else {
                lit(&secrets[index])
            }
        };
        let pair = |name: &str, index: usize| -> Vec<(String, String)> {
            match version {
                Some(version) => vec![
                    (format!("{name}_wo"), value(index)),
                    (format!("{name}_wo_version"), version.to_string()),
                ],
                None => vec![(name.to_string(), value(index))],
            }
        };
        let declarations: String = if variables {
            (0..4)
                .map(|index| {
                    format!(
                        "variable \"secret_{index}\" {{\n  type      = string\n  sensitive = true\n  ephemeral = true\n}}\n"
                    )
                })
                .collect()
        } else {
            String::new()
        };
        let block =
            |kind: &str, cluster: &str, fixed: &[(&str, String)], secret: Vec<(String, String)>| {
                let mut attributes: Vec<(&str, String)> = fixed.to_vec();
                attributes.extend(secret.iter().map(|(n, v)| (n.as_str(), v.clone())));
                sink_block(kind, "x", &attributes).replace(
                    &format!("{CLUSTER}.id"),
                    &format!("dbaas_database_cluster.{cluster}.id"),
                )
            };
        let rsyslog = block(
            "rsyslog",
            "x",
            &[
                ("name", lit("acc-wo-syslog")),
                ("server", lit("logs.example.com")),
                ("port", "6514".into()),
                ("tls", "true".into()),
                (
                    "client_cert",
                    lit("-----BEGIN CERTIFICATE-----\nc\n-----END CERTIFICATE-----\n"),
                ),
            ],
            pair("client_key", 0),
        );
        let search = |kind: &str, index: usize| {
            block(
                kind,
                "x",
                &[
                    ("name", lit(&format!("acc-wo-{kind}"))),
                    ("index_prefix", lit("acc")),
                ],
                pair("endpoint", index),
            )
        };
        let datadog = block(
            "datadog",
            "m",
            &[("name", lit("acc-wo-datadog")), ("site", lit(DD_SITE))],
            pair("datadog_api_key", 3),
        );
        format!(
            "{declarations}\n{clusters}\n{rsyslog}\n{}\n{}\n{datadog}",
            search("opensearch", 1),
            search("elasticsearch", 2)
        )
    };
    let addresses = [RSYSLOG, OPENSEARCH, ELASTICSEARCH, DATADOG];
    // Where each sink keeps its secret in the API's configuration.
    let fields = ["key", "url", "url", "datadog_api_key"];
    let stored_secrets = |tf: &Terraform| -> Vec<String> {
        addresses
            .iter()
            .zip(fields)
            .map(|(address, field)| {
                let (cluster_id, sink_id) = ids(tf, address);
                stored_config(&mock, &cluster_id, &sink_id)[field]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    };

    if !tf.version_at_least((1, 11)) {
        tf.write_config(&config(&secrets(1), Some(1), false));
        let error = tf.plan_expect_error();
        error.assert_mentions("Write-only attribute not supported by this Terraform");
        for attribute in ["client_key_wo", "endpoint_wo", "datadog_api_key_wo"] {
            error.assert_mentions(&format!("`{attribute}` is write-only"));
        }
        error.assert_no_backtrace();
        assert!(requests_to(&mock, "POST", "/logsink").is_empty());
        // The plain sensitive attributes are the way in for older Terraform.
        tf.write_config(&config(&secrets(1), None, false));
        tf.apply();
        tf.assert_plan_empty();
        assert_eq!(stored_secrets(&tf), secrets(1));
        assert_destroyed(&mock, &tf);
        return;
    }

    let set_secrets = |tf: &mut Terraform, round: u32| {
        for (index, secret) in secrets(round).iter().enumerate() {
            tf.set_env(&format!("TF_VAR_secret_{index}"), secret);
        }
    };
    set_secrets(&mut tf, 1);
    tf.write_config(&config(&secrets(1), Some(1), true));
    let plan = tf.plan();
    for address in addresses {
        assert_eq!(plan.actions(address), ["create"], "{}", plan.stdout);
    }
    for secret in secrets(1) {
        let part = secret.lines().nth(1).unwrap_or(&secret).to_string();
        let found = paths_containing(&plan.json, &part);
        assert!(
            found.is_empty(),
            "a write-only value is in the plan at {found:?}"
        );
        assert!(!plan.stdout.contains(&part), "a write-only value is shown");
    }
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(
        stored_secrets(&tf),
        secrets(1),
        "every secret reached the API"
    );
    let posted: Vec<String> = requests_to(&mock, "POST", "/logsink")
        .iter()
        .map(|r| r["body"].to_string())
        .collect();
    assert_eq!(posted.len(), 4);
    let assert_nowhere_in_state = |tf: &Terraform, round: u32| {
        let shown = tf.show_state().to_string();
        let file = tf.state_file().to_string();
        for secret in secrets(round) {
            let part = secret.lines().nth(1).unwrap_or(&secret).to_string();
            assert!(
                !shown.contains(&part),
                "a write-only value is in `terraform show -json`"
            );
            assert!(
                !file.contains(&part),
                "a write-only value is in the state file"
            );
        }
        let state = tf.show_state();
        for (address, plain) in
            addresses
                .iter()
                .zip(["client_key", "endpoint", "endpoint", "datadog_api_key"])
        {
            let values = state_values(&state, address);
            assert!(values[plain].is_null(), "{address}.{plain} is in state");
            assert!(
                values[format!("{plain}_wo")].is_null(),
                "{address}.{plain}_wo is in state"
            );
        }
    };
    assert_nowhere_in_state(&tf, 1);

    // Terraform cannot see a new write-only value by itself: nothing is planned until the
    // version changes, and then the new value is sent, in place.
    set_secrets(&mut tf, 2);
    tf.assert_plan_empty();
    assert_eq!(stored_secrets(&tf), secrets(1));
    tf.write_config(&config(&secrets(2), Some(2), true));
    let plan = tf.plan();
    for address in addresses {
        plan.assert_update(address);
    }
    assert!(!plan.json.to_string().contains("acc-wo-datadog-key-2"));
    mock.clear_requests();
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(requests_to(&mock, "PUT", "").len(), 4, "one PUT per sink");
    assert_eq!(stored_secrets(&tf), secrets(2), "the new secrets were sent");
    assert_nowhere_in_state(&tf, 2);

    // An update of another setting sends the write-only value along (the PUT replaces the
    // whole configuration), so the API keeps it.
    let moved = config(&secrets(2), Some(2), true).replace("= 6514", "= 6515");
    tf.write_config(&moved);
    tf.plan().assert_update(RSYSLOG);
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(stored_secrets(&tf), secrets(2));

    assert_destroyed(&mock, &tf);
}

#[test]
fn bad_inputs_fail_at_plan_naming_the_attribute() {
    let mock = Mock::start(&["--provision-delay-ms", "0"]);
    let tf = Terraform::new(&mock);
    let cluster = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";
    let literal = |kind: &str, cluster: &str, attributes: &[(&str, &str)]| {
        let mut hcl = format!(
            "resource \"dbaas_database_logsink_{kind}\" \"x\" {{\n  cluster_id = {}\n  name = \"acc-bad\"\n",
            lit(cluster)
        );
        // A later value of an attribute replaces an earlier one.
        let mut chosen: Vec<(&str, &str)> = Vec::new();
        for (name, expression) in attributes {
            chosen.retain(|(other, _)| other != name);
            chosen.push((name, expression));
        }
        for (name, expression) in chosen {
            hcl.push_str(&format!("  {name} = {expression}\n"));
        }
        hcl.push_str("}\n");
        hcl
    };
    let syslog = |extra: &[(&str, &str)]| {
        let mut attributes = vec![("server", "\"192.168.0.1\""), ("port", "514")];
        attributes.extend_from_slice(extra);
        literal("rsyslog", cluster, &attributes)
    };
    let search = |kind: &str, extra: &[(&str, &str)]| {
        let mut attributes = vec![("index_prefix", "\"logs\"")];
        attributes.extend_from_slice(extra);
        literal(kind, cluster, &attributes)
    };
    let url = "\"https://u:p@logs.example.com\"";
    let datadog = |extra: &[(&str, &str)]| {
        let mut attributes = vec![("site", "\"http-intake.logs.datadoghq.com\"")];
        attributes.extend_from_slice(extra);
        literal("datadog", cluster, &attributes)
    };
    for (attribute, config, allowed) in [
        ("port", syslog(&[("port", "0")]), "between 1 and 65535"),
        (
            "port",
            literal(
                "rsyslog",
                cluster,
                &[("server", "\"h.example\""), ("port", "65536")],
            ),
            "between 1 and 65535",
        ),
        (
            "server",
            syslog(&[("server", "\"tcp://logs.example.com\"")]),
            "without scheme or port",
        ),
        (
            "format",
            syslog(&[("format", "\"json\"")]),
            "rfc5424, rfc3164, custom",
        ),
        (
            "logline",
            syslog(&[("format", "\"custom\"")]),
            "required with it",
        ),
        ("tls", syslog(&[("ca_cert", "\"pem\"")]), "set `tls = true`"),
        (
            "client_key",
            syslog(&[("tls", "true"), ("client_cert", "\"pem\"")]),
            "needs its private key",
        ),
        (
            "cluster_id",
            literal("rsyslog", "main", &[("server", "\"h\""), ("port", "514")]),
            "a UUID",
        ),
        (
            "endpoint",
            search(
                "opensearch",
                &[("endpoint", "\"http://u:secret-pw@logs.example.com\"")],
            ),
            "does not start with https://",
        ),
        (
            "endpoint",
            search("elasticsearch", &[]),
            "One of `endpoint` and `endpoint_wo` is required",
        ),
        (
            "index_days_max",
            search("opensearch", &[("endpoint", url), ("index_days_max", "0")]),
            "between 1 and 10000",
        ),
        (
            "timeout_seconds",
            search(
                "elasticsearch",
                &[("endpoint", url), ("timeout_seconds", "5")],
            ),
            "between 10 and 120",
        ),
        (
            "site",
            datadog(&[
                ("site", "\"https://datadoghq.com/intake\""),
                ("datadog_api_key", "\"k\""),
            ]),
            "without scheme",
        ),
        (
            "datadog_api_key",
            datadog(&[]),
            "One of `datadog_api_key` and `datadog_api_key_wo` is required",
        ),
        (
            "datadog_api_key_wo_version",
            datadog(&[
                ("datadog_api_key", "\"k\""),
                ("datadog_api_key_wo_version", "1"),
            ]),
            "`datadog_api_key_wo` is not set",
        ),
    ] {
        tf.write_config(&config);
        let error = tf.plan_expect_error();
        error.assert_mentions(&format!("`{attribute}`"));
        error.assert_mentions(allowed);
        error.assert_no_backtrace();
        // Terraform quotes the configuration's source line; the provider's words must not
        // repeat the endpoint.
        let ours: String = format!("{}\n{}", error.stdout, error.stderr)
            .lines()
            .filter(|line| !is_source_line(line))
            .collect();
        assert!(
            !ours.contains("secret-pw"),
            "an endpoint was shown in an error"
        );
    }

    // A well-formed ID of a cluster that does not exist, and a Datadog sink on a cluster
    // that is not MongoDB, are caught at plan time; nothing is sent.
    tf.write_config(&syslog(&[]));
    tf.plan_expect_error().assert_mentions(&format!(
        "`cluster_id` {cluster:?} names no database cluster"
    ));
    let (status, body) = mock.v2(
        Method::POST,
        "/v2/databases",
        Some(
            json!({"name": "acc-sink-bad-pg", "engine": "pg", "version": PG_NEWER,
                    "size": "db-s-1vcpu-1gb", "region": "nyc1", "num_nodes": 1}),
        ),
    );
    assert_eq!(status, StatusCode::CREATED);
    let pg = body["database"]["id"].as_str().unwrap().to_string();
    tf.write_config(&literal(
        "datadog",
        &pg,
        &[
            ("site", "\"http-intake.logs.datadoghq.com\""),
            ("datadog_api_key", "\"k\""),
        ],
    ));
    let error = tf.plan_expect_error();
    error.assert_mentions("`cluster_id`");
    error.assert_mentions("Datadog log sinks exist on MongoDB clusters only");
    error.assert_no_backtrace();
    assert!(requests_to(&mock, "POST", "/logsink").is_empty());

    // A sink that already has the name is not taken over silently.
    let (status, body) = mock.v2(
        Method::POST,
        &format!("/v2/databases/{pg}/logsink"),
        Some(json!({"sink_name": "acc-bad", "sink_type": "rsyslog",
                    "config": {"server": "10.0.0.1", "port": 514, "tls": false, "format": "rfc5424"}})),
    );
    assert_eq!(status, StatusCode::CREATED);
    let existing = body["sink"]["sink_id"].as_str().unwrap().to_string();
    tf.write_config(&literal(
        "rsyslog",
        &pg,
        &[("server", "\"192.168.0.1\""), ("port", "514")],
    ));
    let error = tf.apply_expect_error();
    error.assert_mentions("already has a log sink named \"acc-bad\"");
    error.assert_mentions(&format!("terraform import <address> {pg},{existing}"));
    tf.import(RSYSLOG, &format!("{pg},{existing}"));
    let plan = tf.plan();
    plan.assert_update(RSYSLOG);
    // An rsyslog sink's ID does not import as an OpenSearch sink.
    tf.write_config(&literal(
        "opensearch",
        &pg,
        &[("index_prefix", "\"logs\""), ("endpoint", url)],
    ));
    let output = tf.run(&[
        "import",
        "-no-color",
        "-input=false",
        OPENSEARCH,
        &format!("{pg},{existing}"),
    ]);
    assert!(!output.success());
    assert!(
        flatten(&output.stderr).contains("use dbaas_database_logsink_rsyslog for it"),
        "{}",
        output.stderr
    );
}
