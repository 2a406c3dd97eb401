//! Acceptance tests for `dbaas_database_kafka_topic`: the real Terraform CLI against
//! `dbaas-mock`. Every test starts its own emulator and Terraform directory.

mod support;

use reqwest::blocking::Client;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use support::cluster::{int_attr, str_attr, ClusterHcl};
use support::mock::fault;
use support::terraform::{state_resource, state_resource_count, state_values};
use support::text::hcl_string;
use support::{Mock, Terraform};

const TOPIC: &str = "dbaas_database_kafka_topic.x";
const CLUSTER: &str = "dbaas_database_cluster.x";

/// A three-node Kafka cluster from the emulator's catalogue, as `dbaas_database_cluster.x`.
fn kafka_cluster() -> String {
    ClusterHcl::new("acc-kafka", "kafka")
        .set_str("version", "3.8")
        .set_str("size", "gd-2vcpu-8gb")
        .set("node_count", "3")
        .render()
}

/// A `resource "dbaas_database_kafka_topic" "x"` block, built attribute by attribute so that
/// a test can change exactly one thing between steps.
#[derive(Debug, Clone)]
struct TopicHcl {
    attributes: Vec<(String, String)>,
    /// The `config` block's settings; `None` leaves the block out.
    config: Option<Vec<(String, String)>>,
}

impl TopicHcl {
    /// A topic named `name` on the cluster of [`kafka_cluster`], without a `config` block.
    fn new(name: &str) -> TopicHcl {
        TopicHcl {
            attributes: vec![
                ("cluster_id".to_string(), format!("{CLUSTER}.id")),
                ("name".to_string(), lit(name)),
            ],
            config: None,
        }
    }

    /// Sets an attribute to an HCL expression, replacing any earlier value.
    fn set(mut self, name: &str, expression: &str) -> TopicHcl {
        upsert(&mut self.attributes, name, expression);
        self
    }

    /// Sets a setting of the `config` block (adding the block) to an HCL expression.
    fn setting(mut self, name: &str, expression: &str) -> TopicHcl {
        upsert(self.config.get_or_insert_with(Vec::new), name, expression);
        self
    }

    /// Removes a setting from the `config` block (keeping the block).
    fn without_setting(mut self, name: &str) -> TopicHcl {
        if let Some(settings) = &mut self.config {
            settings.retain(|(key, _)| key != name);
        }
        self
    }

    /// Removes the `config` block.
    fn without_config(mut self) -> TopicHcl {
        self.config = None;
        self
    }

    fn render(&self) -> String {
        let mut hcl = String::from("resource \"dbaas_database_kafka_topic\" \"x\" {\n");
        for (name, expression) in &self.attributes {
            hcl.push_str(&format!("  {name} = {expression}\n"));
        }
        if let Some(settings) = &self.config {
            hcl.push_str("\n  config {\n");
            for (name, expression) in settings {
                hcl.push_str(&format!("    {name} = {expression}\n"));
            }
            hcl.push_str("  }\n");
        }
        hcl.push_str("}\n");
        hcl
    }

    /// This topic and the cluster of [`kafka_cluster`], as one configuration.
    fn with_cluster(&self) -> String {
        format!("{}\n{}", kafka_cluster(), self.render())
    }
}

fn upsert(pairs: &mut Vec<(String, String)>, name: &str, expression: &str) {
    match pairs.iter_mut().find(|(key, _)| key == name) {
        Some(entry) => entry.1 = expression.to_string(),
        None => pairs.push((name.to_string(), expression.to_string())),
    }
}

fn lit(text: &str) -> String {
    hcl_string(text)
}

/// The emulator's topics of a cluster, as `GET …/topics/{name}` shows them.
fn stored_topics(mock: &Mock, cluster_id: &str) -> Vec<Value> {
    mock.cluster_record(cluster_id)
        .unwrap_or_else(|| panic!("the emulator has no cluster {cluster_id}"))["topics"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn stored_topic(mock: &Mock, cluster_id: &str, name: &str) -> Value {
    stored_topics(mock, cluster_id)
        .into_iter()
        .find(|topic| topic["name"] == name)
        .unwrap_or_else(|| panic!("the emulator has no topic {name:?} on cluster {cluster_id}"))
}

fn partition_count(topic: &Value) -> usize {
    topic["partitions"].as_array().map_or(0, Vec::len)
}

/// The request bodies the emulator logged for `method` on paths ending with `suffix`.
fn bodies(mock: &Mock, method: &str, suffix: &str) -> Vec<Value> {
    mock.requests()
        .into_iter()
        .filter(|r| {
            r["method"] == method && r["path"].as_str().is_some_and(|p| p.ends_with(suffix))
        })
        .map(|r| r["body"].clone())
        .collect()
}

/// A request to the emulator's `/v2` API, as another API client would send it.
fn v2(mock: &Mock, method: Method, path: &str, body: Option<Value>) -> StatusCode {
    let mut request = Client::new()
        .request(method.clone(), format!("{}{path}", mock.url()))
        .bearer_auth(mock.token());
    if let Some(body) = body {
        request = request.json(&body);
    }
    request
        .send()
        .unwrap_or_else(|e| panic!("{method} {path} failed: {e}"))
        .status()
}

/// The `config` block of a resource's values in `terraform show -json`.
fn config_block(values: &Value) -> &Value {
    &values["config"][0]
}

#[test]
fn topic_lifecycle_create_update_replace_import_destroy() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);

    // Create the cluster and the topic in one apply; only the written settings are sent.
    let config = TopicHcl::new("acc-events")
        .set("partition_count", "3")
        .setting("cleanup_policy", &lit("compact"))
        .setting("retention_ms", "100000")
        .setting("min_cleanable_dirty_ratio", "0.1")
        .setting("preallocate", "false");
    tf.write_config(&config.with_cluster());
    let plan = tf.plan();
    assert_eq!(plan.actions(TOPIC), ["create"], "{}", plan.stdout);
    assert_eq!(plan.planned(TOPIC, "state"), "active");
    assert_eq!(plan.planned(TOPIC, "replication_factor"), 2);
    tf.apply();
    tf.assert_plan_empty();
    let state = tf.show_state();
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    let values = state_values(&state, TOPIC).clone();
    assert_eq!(str_attr(&values, "id"), format!("{cluster_id},acc-events"));
    assert_eq!(str_attr(&values, "state"), "active");
    assert_eq!(int_attr(&values, "partition_count"), 3);
    assert_eq!(int_attr(&values, "replication_factor"), 2);
    let settings = config_block(&values);
    assert_eq!(settings["retention_ms"], 100000);
    assert_eq!(settings["min_cleanable_dirty_ratio"], 0.1);
    // The server's values of unmanaged settings stay out of state.
    assert_eq!(settings["compression_type"], Value::Null);
    assert_eq!(settings["flush_messages"], Value::Null);

    let posts = bodies(&mock, "POST", "/topics");
    assert_eq!(posts.len(), 1, "{}", mock.request_summary());
    assert_eq!(
        posts[0],
        json!({
            "name": "acc-events",
            "partition_count": 3,
            "replication_factor": 2,
            "config": {
                "cleanup_policy": "compact",
                "retention_ms": 100000,
                "min_cleanable_dirty_ratio": 0.1,
                "preallocate": false
            }
        }),
        "only the written settings may be sent"
    );
    let stored = stored_topic(&mock, &cluster_id, "acc-events");
    assert_eq!(stored["state"], "active");
    assert_eq!(partition_count(&stored), 3);
    assert_eq!(stored["config"]["cleanup_policy"], "compact");
    assert_eq!(stored["config"]["compression_type"], "producer");

    // More partitions and a changed setting: one PUT with just the changes, in place.
    mock.clear_requests();
    let config = config
        .set("partition_count", "6")
        .setting("retention_ms", "200000");
    tf.write_config(&config.with_cluster());
    let plan = tf.plan();
    plan.assert_update(TOPIC);
    assert!(!plan.is_unknown(TOPIC, "id"));
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(
        bodies(&mock, "PUT", "/topics/acc-events"),
        [json!({"partition_count": 6, "config": {"retention_ms": 200000}})]
    );
    assert!(bodies(&mock, "POST", "/topics").is_empty());
    assert!(bodies(&mock, "DELETE", "/topics/acc-events").is_empty());
    let stored = stored_topic(&mock, &cluster_id, "acc-events");
    assert_eq!(partition_count(&stored), 6);
    assert_eq!(stored["config"]["retention_ms"], 200000);

    // Kafka cannot remove partitions: a plan-time error naming the attribute.
    tf.write_config(&config.clone().set("partition_count", "4").with_cluster());
    let error = tf.plan_expect_error();
    error.assert_mentions("partition_count");
    error.assert_mentions("Partitions cannot be removed");
    error.assert_no_backtrace();

    // A setting removed from the configuration goes back to Kafka's default.
    mock.clear_requests();
    let config = config.without_setting("cleanup_policy");
    tf.write_config(&config.with_cluster());
    tf.plan().assert_update(TOPIC);
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(
        bodies(&mock, "PUT", "/topics/acc-events"),
        [json!({"config": {"cleanup_policy": "delete"}})]
    );
    assert_eq!(
        stored_topic(&mock, &cluster_id, "acc-events")["config"]["cleanup_policy"],
        "delete"
    );
    let state = tf.show_state();
    assert_eq!(
        config_block(state_values(&state, TOPIC))["cleanup_policy"],
        Value::Null
    );

    // A new name is a new topic.
    let config = config.set("name", &lit("acc-events-2"));
    tf.write_config(&config.with_cluster());
    tf.plan().assert_replace(TOPIC);
    tf.apply();
    tf.assert_plan_empty();
    let names: Vec<Value> = stored_topics(&mock, &cluster_id)
        .iter()
        .map(|t| t["name"].clone())
        .collect();
    assert_eq!(names, [json!("acc-events-2")]);

    // Without the config block every setting is back at its default, so an imported topic
    // (whose settings are unmanaged) plans nothing.
    let config = config.without_config();
    tf.write_config(&config.with_cluster());
    tf.plan().assert_update(TOPIC);
    tf.apply();
    tf.assert_plan_empty();
    let stored = stored_topic(&mock, &cluster_id, "acc-events-2");
    assert_eq!(stored["config"]["retention_ms"], 604800000);
    assert_eq!(stored["config"]["min_cleanable_dirty_ratio"], 0.5);
    assert_eq!(stored["config"]["preallocate"], false);

    let before = state_values(&tf.show_state(), TOPIC).clone();
    tf.state_rm(TOPIC);
    assert!(state_resource(&tf.show_state(), TOPIC).is_none());
    tf.import(TOPIC, &format!("{cluster_id},acc-events-2"));
    tf.assert_plan_empty();
    let imported = state_values(&tf.show_state(), TOPIC).clone();
    for attribute in [
        "id",
        "cluster_id",
        "name",
        "partition_count",
        "replication_factor",
        "state",
        "config",
    ] {
        assert_eq!(
            imported[attribute], before[attribute],
            "{attribute} after import"
        );
    }

    tf.destroy();
    assert_eq!(state_resource_count(&tf.show_state()), 0);
    assert_eq!(bodies(&mock, "DELETE", "/topics/acc-events-2").len(), 1);
    assert_eq!(mock.cluster_count(), 0, "destroy left the cluster behind");
}

#[test]
fn a_create_accepted_without_a_topic_body_still_converges() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let fault_id = mock.add_fault(fault(
        "POST",
        "/v2/databases/*/topics",
        "accepted_without_body",
        1,
    ));

    let config = TopicHcl::new("acc-accepted")
        .set("partition_count", "5")
        .setting("retention_ms", "3600000");
    let state = tf.step(&config.with_cluster());
    assert_eq!(mock.fault_hits(&fault_id), 1, "{}", mock.request_summary());
    let values = state_values(&state, TOPIC);
    assert_eq!(str_attr(values, "state"), "active");
    assert_eq!(int_attr(values, "partition_count"), 5);
    assert_eq!(config_block(values)["retention_ms"], 3600000);
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id");
    assert_eq!(
        partition_count(&stored_topic(&mock, cluster_id, "acc-accepted")),
        5
    );
    assert_eq!(
        bodies(&mock, "POST", "/topics").len(),
        1,
        "an accepted create must not be sent again"
    );
}

#[test]
fn changes_made_outside_terraform_show_as_drift() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let config = TopicHcl::new("acc-drift").setting("retention_ms", "100000");
    let state = tf.step(&config.with_cluster());
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    let path = format!("/v2/databases/{cluster_id}/topics/acc-drift");

    // Another API client adds partitions and changes a managed and an unmanaged setting.
    let status = v2(
        &mock,
        Method::PUT,
        &path,
        Some(json!({
            "partition_count": 5,
            "config": {"retention_ms": 5000, "compression_type": "gzip"}
        })),
    );
    assert_eq!(status, StatusCode::OK);

    let plan = tf.plan();
    assert!(
        plan.has_changes,
        "a managed setting changed:\n{}",
        plan.stdout
    );
    plan.assert_update(TOPIC);
    let change = &plan.resource_change(TOPIC)["change"];
    assert_eq!(change["before"]["config"][0]["retention_ms"], 5000);
    assert_eq!(change["after"]["config"][0]["retention_ms"], 100000);
    // Partitions are read back and, unset in the configuration, accepted as they are; the
    // unmanaged setting is not compared at all.
    assert_eq!(change["before"]["partition_count"], 5);
    assert_eq!(change["after"]["partition_count"], 5);
    assert_eq!(
        change["after"]["config"][0]["compression_type"],
        Value::Null
    );

    tf.apply();
    tf.assert_plan_empty();
    let stored = stored_topic(&mock, &cluster_id, "acc-drift");
    assert_eq!(stored["config"]["retention_ms"], 100000);
    assert_eq!(stored["config"]["compression_type"], "gzip");
    assert_eq!(partition_count(&stored), 5);

    // With the count written in the configuration, partitions added elsewhere cannot be
    // planned away: the plan fails and says how many the topic has.
    tf.write_config(&config.clone().set("partition_count", "3").with_cluster());
    let error = tf.plan_expect_error();
    error.assert_mentions("partition_count");
    error.assert_mentions("is 5 on the topic");

    // A topic deleted elsewhere is planned again.
    assert_eq!(
        v2(&mock, Method::DELETE, &path, None),
        StatusCode::NO_CONTENT
    );
    tf.write_config(&config.with_cluster());
    let plan = tf.plan();
    assert_eq!(plan.actions(TOPIC), ["create"], "{}", plan.stdout);
}

/// Requires `terraform plan` of `config` to fail with a diagnostic that names `attribute`
/// (and mentions `also`, when given).
fn assert_plan_rejects(
    tf: &Terraform,
    case: &str,
    config: &str,
    attribute: &str,
    also: Option<&str>,
) {
    tf.write_config(config);
    let error = tf.plan_expect_error();
    for needle in std::iter::once(attribute).chain(also) {
        assert!(
            error.mentions(needle),
            "{case}: the error does not mention {needle}:\n{}",
            error.stderr
        );
    }
    error.assert_no_backtrace();
}

#[test]
fn bad_inputs_are_plan_errors_naming_the_attribute() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    // No cluster is needed: validation rejects these before anything is looked up.
    let topic =
        TopicHcl::new("acc-bad").set("cluster_id", &lit("9cc10173-e9ea-4176-9dbc-a4cee4c4ff30"));
    let cases: Vec<(&str, TopicHcl, &str, Option<&str>)> = vec![
        (
            "two partitions",
            topic.clone().set("partition_count", "2"),
            "partition_count",
            None,
        ),
        (
            "too many partitions",
            topic.clone().set("partition_count", "4096"),
            "partition_count",
            None,
        ),
        (
            "one replica",
            topic.clone().set("replication_factor", "1"),
            "replication_factor",
            None,
        ),
        (
            "unknown cleanup policy",
            topic.clone().setting("cleanup_policy", "\"forever\""),
            "config.cleanup_policy",
            Some("compact_delete"),
        ),
        (
            "unknown codec",
            topic.clone().setting("compression_type", "\"brotli\""),
            "config.compression_type",
            None,
        ),
        (
            "unknown timestamp type",
            topic.clone().setting("message_timestamp_type", "\"now\""),
            "config.message_timestamp_type",
            None,
        ),
        (
            "retention below -1",
            topic.clone().setting("retention_ms", "-5"),
            "config.retention_ms",
            None,
        ),
        (
            "fractional milliseconds",
            topic.clone().setting("segment_ms", "1.5"),
            "config.segment_ms",
            Some("whole number"),
        ),
        (
            "ratio above one",
            topic.clone().setting("min_cleanable_dirty_ratio", "1.5"),
            "config.min_cleanable_dirty_ratio",
            None,
        ),
        (
            "the documentation's rounded Long.MAX_VALUE",
            topic.clone().setting("flush_ms", "9223372036854776000"),
            "config.flush_ms",
            Some("Long.MAX_VALUE"),
        ),
        (
            "bad name",
            topic.clone().set("name", "\"no spaces allowed\""),
            "name",
            None,
        ),
        (
            "bad cluster id",
            topic.clone().set("cluster_id", "\"kafka-cluster\""),
            "cluster_id",
            None,
        ),
    ];
    for (case, config, attribute, also) in &cases {
        assert_plan_rejects(&tf, case, &config.render(), attribute, *also);
    }
    assert!(
        bodies(&mock, "POST", "/topics").is_empty(),
        "nothing may be created from an invalid configuration"
    );
}

#[test]
fn a_topic_on_a_cluster_that_is_not_kafka_is_an_error_naming_cluster_id() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let cluster = ClusterHcl::new("acc-not-kafka", "pg").render();
    tf.write_config(&format!(
        "{cluster}\n{}",
        TopicHcl::new("acc-events").render()
    ));

    // The cluster's ID is unknown at plan time, so the check happens at apply, before the
    // topic is requested.
    let error = tf.apply_expect_error();
    error.assert_mentions("Not a Kafka cluster");
    error.assert_mentions("cluster_id");
    error.assert_no_backtrace();
    assert!(bodies(&mock, "POST", "/topics").is_empty());

    // Now that the cluster exists, the plan itself says so.
    let error = tf.plan_expect_error();
    error.assert_mentions("Not a Kafka cluster");
    error.assert_mentions("cluster_id");

    tf.write_config(&cluster);
    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}
