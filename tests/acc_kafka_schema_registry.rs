//! Acceptance tests for `dbaas_database_kafka_schema_registry`: the real Terraform CLI against
//! `dbaas-mock`. Every test starts its own emulator and Terraform directory.

mod support;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use support::cluster::{str_attr, ClusterHcl};
use support::terraform::{state_resource, state_resource_count, state_values};
use support::text::hcl_string;
use support::{Mock, Terraform};

const SUBJECT: &str = "dbaas_database_kafka_schema_registry.x";
const CLUSTER: &str = "dbaas_database_cluster.x";

const V1: &str =
    r#"{"type": "record", "name": "Customer", "fields": [{"name": "id", "type": "string"}]}"#;
/// V1 reformatted: other spacing and key order.
const V1_REFORMATTED: &str =
    r#"{"fields":[{"type":"string","name":"id"}],"name":"Customer","type":"record"}"#;
const V2: &str = r#"{"type": "record", "name": "Customer", "fields": [{"name": "id", "type": "string"}, {"name": "email", "type": ["null", "string"], "default": null}]}"#;

fn kafka_cluster() -> String {
    ClusterHcl::new("acc-schema-kafka", "kafka")
        .set_str("version", "3.8")
        .set_str("size", "gd-2vcpu-8gb")
        .set("node_count", "3")
        .render()
}

fn subject_block(name: &str, schema: &str) -> String {
    format!(
        "resource \"dbaas_database_kafka_schema_registry\" \"x\" {{\n  cluster_id   = {CLUSTER}.id\n  \
         subject_name = {}\n  schema_type  = \"avro\"\n  schema       = {}\n}}\n",
        hcl_string(name),
        hcl_string(schema)
    )
}

fn config(name: &str, schema: &str) -> String {
    format!("{}\n{}", kafka_cluster(), subject_block(name, schema))
}

/// The emulator's subjects of a cluster.
fn stored_subjects(mock: &Mock, cluster_id: &str) -> Vec<String> {
    let (status, body) = mock.v2(
        Method::GET,
        &format!("/v2/databases/{cluster_id}/schema-registry"),
        None,
    );
    assert_eq!(status, StatusCode::OK);
    body["subjects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["subject_name"].as_str().map(str::to_string))
        .collect()
}

fn requests_to(mock: &Mock, method: &str) -> Vec<Value> {
    mock.requests()
        .into_iter()
        .filter(|r| {
            r["method"] == method
                && r["path"]
                    .as_str()
                    .is_some_and(|p| p.contains("/schema-registry"))
        })
        .collect()
}

fn register(mock: &Mock, cluster_id: &str, subject: &str, schema: &str) -> StatusCode {
    mock.v2(
        Method::POST,
        &format!("/v2/databases/{cluster_id}/schema-registry"),
        Some(json!({"subject_name": subject, "schema_type": "AVRO", "schema": schema})),
    )
    .0
}

#[test]
fn schema_lifecycle_versions_replace_import_drift_destroy() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);

    tf.write_config(&config("customer", V1));
    let plan = tf.plan();
    assert_eq!(plan.actions(SUBJECT), ["create"], "{}", plan.stdout);
    tf.apply();
    tf.assert_plan_empty();
    let state = tf.show_state();
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    let values = state_values(&state, SUBJECT).clone();
    assert_eq!(str_attr(&values, "id"), format!("{cluster_id},customer"));
    assert_eq!(values["version"], 1);
    assert_eq!(values["schema"], V1);
    let posted = &requests_to(&mock, "POST")[0];
    assert_eq!(posted["body"]["schema_type"], "AVRO");

    // Reformatting is recorded without registering anything.
    tf.write_config(&config("customer", V1_REFORMATTED));
    mock.clear_requests();
    tf.apply();
    tf.assert_plan_empty();
    assert!(requests_to(&mock, "POST").is_empty());
    assert_eq!(state_values(&tf.show_state(), SUBJECT)["version"], 1);

    // A new schema is the subject's next version, in place.
    tf.write_config(&config("customer", V2));
    tf.plan().assert_update(SUBJECT);
    tf.apply();
    tf.assert_plan_empty();
    let evolved = state_values(&tf.show_state(), SUBJECT).clone();
    assert_eq!(evolved["version"], 2);
    assert_eq!(evolved["schema"], V2);

    // Going back to an older version's schema cannot make it the latest: a clear error.
    tf.write_config(&config("customer", V1));
    let error = tf.apply_expect_error();
    error.assert_mentions("already holds this schema as an older version (schema ID");
    error.assert_mentions("-replace");
    tf.write_config(&config("customer", V2));
    tf.assert_plan_empty();

    // Import into a fresh state, then nothing to do.
    tf.state_rm(SUBJECT);
    assert!(state_resource(&tf.show_state(), SUBJECT).is_none());
    tf.import(SUBJECT, &format!("{cluster_id},customer"));
    tf.assert_plan_empty();
    let imported = state_values(&tf.show_state(), SUBJECT).clone();
    for attribute in [
        "id",
        "cluster_id",
        "subject_name",
        "schema_type",
        "version",
        "schema_id",
    ] {
        assert_eq!(imported[attribute], evolved[attribute], "{attribute}");
    }

    // A new subject name replaces the subject.
    tf.write_config(&config("client", V2));
    tf.plan().assert_replace(SUBJECT);
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(stored_subjects(&mock, &cluster_id), ["client"]);

    // Drift: a version registered outside Terraform shows as a change back.
    assert_eq!(
        register(&mock, &cluster_id, "client", r#"{"type": "string"}"#),
        StatusCode::CREATED
    );
    let plan = tf.plan();
    plan.assert_update(SUBJECT);
    // Deleted outside Terraform: planned for creation again.
    let (status, _) = mock.v2(
        Method::DELETE,
        &format!("/v2/databases/{cluster_id}/schema-registry/client"),
        None,
    );
    assert_eq!(status, StatusCode::NO_CONTENT);
    let plan = tf.plan();
    assert_eq!(plan.actions(SUBJECT), ["create"], "{}", plan.stdout);
    tf.apply();
    tf.assert_plan_empty();

    tf.destroy();
    assert_eq!(state_resource_count(&tf.show_state()), 0);
    assert_eq!(mock.cluster_count(), 0, "destroy left clusters behind");
}

#[test]
fn bad_input_fails_at_plan_and_existing_subjects_are_not_taken_over() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let literal = |cluster: &str, name: &str, schema_type: &str, schema: &str| {
        format!(
            "resource \"dbaas_database_kafka_schema_registry\" \"x\" {{\n  cluster_id = {}\n  \
             subject_name = {}\n  schema_type = {}\n  schema = {}\n}}\n",
            hcl_string(cluster),
            hcl_string(name),
            hcl_string(schema_type),
            hcl_string(schema)
        )
    };
    let cluster = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";
    for (attribute, needle, config) in [
        (
            "schema_type",
            "must be one of: avro, json, protobuf",
            literal(cluster, "s", "xml", V1),
        ),
        (
            "schema",
            "not a valid avro schema",
            literal(cluster, "s", "avro", "{not json"),
        ),
        (
            "schema",
            "must be a JSON object",
            literal(cluster, "s", "json", "42"),
        ),
        (
            "subject_name",
            "not \"config\"",
            literal(cluster, "config", "avro", V1),
        ),
        (
            "cluster_id",
            "must be a UUID",
            literal("not-a-uuid", "s", "avro", V1),
        ),
        (
            "cluster_id",
            "names no database cluster",
            literal(cluster, "s", "avro", V1),
        ),
    ] {
        tf.write_config(&config);
        let error = tf.plan_expect_error();
        error.assert_mentions(&format!("`{attribute}`"));
        error.assert_mentions(needle);
        error.assert_no_backtrace();
    }

    // A PostgreSQL cluster has no schema registry.
    let (status, body) = mock.v2(
        Method::POST,
        "/v2/databases",
        Some(json!({
            "name": "acc-schema-pg", "engine": "pg", "version": "16",
            "size": "db-s-1vcpu-1gb", "region": "nyc1", "num_nodes": 1
        })),
    );
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let pg = body["database"]["id"].as_str().unwrap().to_string();
    tf.write_config(&literal(&pg, "s", "avro", V1));
    let error = tf.plan_expect_error();
    error.assert_mentions("only Kafka clusters have a schema registry");
    let (status, _) = mock.v2(Method::DELETE, &format!("/v2/databases/{pg}"), None);
    assert_eq!(status, StatusCode::NO_CONTENT);

    // An existing subject is not silently given a new version.
    let state = tf.step(&kafka_cluster());
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    assert_eq!(
        register(&mock, &cluster_id, "customer", V2),
        StatusCode::CREATED
    );
    tf.write_config(&config("customer", V1));
    mock.clear_requests();
    let error = tf.apply_expect_error();
    error.assert_mentions("already has a subject named \"customer\"");
    error.assert_mentions(&format!("terraform import <address> {cluster_id},customer"));
    assert!(requests_to(&mock, "POST").is_empty());
    tf.write_config(&config("customer", V2));
    tf.import(SUBJECT, &format!("{cluster_id},customer"));
    tf.assert_plan_empty();
    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);

    let output = tf.run(&["import", "-no-color", "-input=false", SUBJECT, "customer"]);
    assert!(!output.success());
    assert!(
        support::text::flatten(&output.stderr).contains("joined by a comma"),
        "{}",
        output.stderr
    );
}
