//! Acceptance tests for `dbaas_database_db`: the real Terraform CLI against `dbaas-mock`.
//! Every test starts its own emulator and Terraform directory.

mod support;

use reqwest::{Method, StatusCode};
use serde_json::json;

use support::cluster::{str_attr, ClusterHcl, PG_NEWER};
use support::terraform::{state_resource, state_resource_count, state_values};
use support::text::hcl_string;
use support::{Mock, Terraform};

const DB: &str = "dbaas_database_db.x";
const CLUSTER: &str = "dbaas_database_cluster.x";

fn pg_cluster() -> String {
    ClusterHcl::new("acc-db-pg", "pg")
        .set_str("version", PG_NEWER)
        .render()
}

fn db_block(name: &str) -> String {
    format!(
        "resource \"dbaas_database_db\" \"x\" {{\n  cluster_id = {CLUSTER}.id\n  name       = {}\n}}\n",
        hcl_string(name)
    )
}

/// The names of the emulator's databases of a cluster.
fn stored_dbs(mock: &Mock, cluster_id: &str) -> Vec<String> {
    let (status, body) = mock.v2(
        Method::GET,
        &format!("/v2/databases/{cluster_id}/dbs"),
        None,
    );
    assert_eq!(status, StatusCode::OK);
    body["dbs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|db| db["name"].as_str().map(str::to_string))
        .collect()
}

fn posts_to_dbs(mock: &Mock) -> usize {
    mock.requests()
        .iter()
        .filter(|r| {
            r["method"] == "POST" && r["path"].as_str().is_some_and(|p| p.ends_with("/dbs"))
        })
        .count()
}

#[test]
fn db_lifecycle_create_replace_import_destroy() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);

    tf.write_config(&format!("{}\n{}", pg_cluster(), db_block("orders")));
    let plan = tf.plan();
    assert_eq!(plan.actions(DB), ["create"], "{}", plan.stdout);
    tf.apply();
    tf.assert_plan_empty();
    let state = tf.show_state();
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    let values = state_values(&state, DB).clone();
    assert_eq!(str_attr(&values, "id"), format!("{cluster_id},orders"));
    assert!(stored_dbs(&mock, &cluster_id).contains(&"orders".to_string()));

    // A new name is a new database; the old one goes.
    tf.write_config(&format!("{}\n{}", pg_cluster(), db_block("invoices")));
    tf.plan().assert_replace(DB);
    tf.apply();
    tf.assert_plan_empty();
    let dbs = stored_dbs(&mock, &cluster_id);
    assert!(dbs.contains(&"invoices".to_string()), "{dbs:?}");
    assert!(!dbs.contains(&"orders".to_string()), "{dbs:?}");

    // Import into a fresh state, then nothing to do.
    let before = state_values(&tf.show_state(), DB).clone();
    tf.state_rm(DB);
    assert!(state_resource(&tf.show_state(), DB).is_none());
    tf.import(DB, &format!("{cluster_id},invoices"));
    tf.assert_plan_empty();
    let imported = state_values(&tf.show_state(), DB).clone();
    for attribute in ["id", "cluster_id", "name"] {
        assert_eq!(imported[attribute], before[attribute], "{attribute}");
    }

    // Deleted by someone else: planned for creation again.
    let (status, _) = mock.v2(
        Method::DELETE,
        &format!("/v2/databases/{cluster_id}/dbs/invoices"),
        None,
    );
    assert_eq!(status, StatusCode::NO_CONTENT);
    let plan = tf.plan();
    assert_eq!(plan.actions(DB), ["create"], "{}", plan.stdout);
    tf.apply();
    tf.assert_plan_empty();

    // Removing the resource deletes the database and keeps the cluster.
    tf.step(&pg_cluster());
    assert!(!stored_dbs(&mock, &cluster_id).contains(&"invoices".to_string()));
    assert_eq!(mock.cluster_count(), 1);

    tf.destroy();
    assert_eq!(state_resource_count(&tf.show_state()), 0);
    assert_eq!(mock.cluster_count(), 0, "destroy left clusters behind");
}

#[test]
fn engines_without_databases_and_bad_names_fail_at_plan() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let kafka = ClusterHcl::new("acc-db-kafka", "kafka")
        .set_str("version", "3.8")
        .set_str("size", "gd-2vcpu-8gb")
        .set("node_count", "3")
        .render();
    let state = tf.step(&kafka);
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    tf.write_config(&format!("{kafka}\n{}", db_block("orders")));
    let error = tf.plan_expect_error();
    error.assert_mentions("`cluster_id`");
    error.assert_mentions(&cluster_id);
    error.assert_mentions("kafka clusters have no logical databases");
    error.assert_no_backtrace();
    assert_eq!(posts_to_dbs(&mock), 0);
    tf.write_config(&kafka);
    tf.destroy();

    let literal = |cluster: &str, name: &str| {
        format!(
            "resource \"dbaas_database_db\" \"x\" {{\n  cluster_id = {}\n  name       = {}\n}}\n",
            hcl_string(cluster),
            hcl_string(name)
        )
    };
    let cluster = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";
    for (attribute, config) in [
        ("name", literal(cluster, "two words")),
        ("name", literal(cluster, "")),
        ("name", literal(cluster, "a,b")),
        ("cluster_id", literal("not-a-uuid", "orders")),
    ] {
        tf.write_config(&config);
        let error = tf.plan_expect_error();
        error.assert_mentions(&format!("Invalid {attribute}"));
        error.assert_mentions(&format!("`{attribute}`"));
        error.assert_no_backtrace();
    }
    // A well-formed ID of a cluster that does not exist is caught at plan time too.
    tf.write_config(&literal(cluster, "orders"));
    tf.plan_expect_error().assert_mentions(cluster);

    let output = tf.run(&["import", "-no-color", "-input=false", DB, "orders"]);
    assert!(!output.success());
    assert!(
        support::text::flatten(&output.stderr).contains("joined by a comma"),
        "{}",
        output.stderr
    );
}

#[test]
fn an_existing_database_is_not_taken_over_silently() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let state = tf.step(&pg_cluster());
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    let (status, _) = mock.v2(
        Method::POST,
        &format!("/v2/databases/{cluster_id}/dbs"),
        Some(json!({"name": "orders"})),
    );
    assert_eq!(status, StatusCode::CREATED);
    tf.write_config(&format!("{}\n{}", pg_cluster(), db_block("orders")));
    let error = tf.apply_expect_error();
    error.assert_mentions("already has a database named \"orders\"");
    error.assert_mentions(&format!("terraform import <address> {cluster_id},orders"));
    tf.import(DB, &format!("{cluster_id},orders"));
    tf.assert_plan_empty();
    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}
