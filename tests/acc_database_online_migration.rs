//! Acceptance tests for `dbaas_database_online_migration`: the real Terraform CLI against
//! `dbaas-mock`, whose migrations are `running`, then `syncing`, then `done`, one transition
//! delay each. Every test starts its own emulator and Terraform directory.

mod support;

use std::path::PathBuf;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use support::cluster::{str_attr, ClusterHcl, PG_NEWER};
use support::terraform::{state_resource, state_resource_count, state_values};
use support::text::hcl_string;
use support::{Mock, Terraform};

const MIGRATION: &str = "dbaas_database_online_migration.x";
const CLUSTER: &str = "dbaas_database_cluster.x";

/// Long enough that a test can stop a migration outside Terraform while it is `syncing`.
const TRANSITION_MS: &str = "4000";

fn pg_cluster() -> String {
    ClusterHcl::new("acc-migration-pg", "pg")
        .set_str("version", PG_NEWER)
        .render()
}

/// A migration from `host`; `password` is the source block's password line(s).
fn migration_block(host: &str, password: &str) -> String {
    format!(
        "resource \"dbaas_database_online_migration\" \"x\" {{\n  cluster_id = {CLUSTER}.id\n  \
         source {{\n    host     = {}\n    port     = 5432\n    db_name  = \"defaultdb\"\n    \
         username = \"doadmin\"\n    {password}\n  }}\n}}\n",
        hcl_string(host)
    )
}

fn config(host: &str, password: &str) -> String {
    format!("{}\n{}", pg_cluster(), migration_block(host, password))
}

/// The emulator's latest migration of the cluster (null when it has none).
fn stored_migration(mock: &Mock, cluster_id: &str) -> Value {
    let (status, body) = mock.v2(
        Method::GET,
        &format!("/v2/databases/{cluster_id}/online-migration"),
        None,
    );
    match status {
        StatusCode::OK => body,
        StatusCode::NOT_FOUND => Value::Null,
        other => panic!("GET online-migration answered {other}"),
    }
}

/// The start requests the emulator received.
fn requests_to(mock: &Mock, method: &str) -> Vec<Value> {
    mock.requests()
        .into_iter()
        .filter(|r| {
            r["method"] == method
                && r["path"]
                    .as_str()
                    .is_some_and(|p| p.contains("/online-migration"))
        })
        .collect()
}

fn cluster_id_of(tf: &Terraform) -> String {
    str_attr(state_values(&tf.show_state(), CLUSTER), "id").to_string()
}

#[test]
fn migration_lifecycle_replace_import_drift_destroy() {
    let mock = Mock::start(&["--transition-delay-ms", TRANSITION_MS]);
    let tf = Terraform::new(&mock);

    tf.write_config(&config("old-db.example.com", "password = \"plain-secret\""));
    let plan = tf.plan();
    assert_eq!(plan.actions(MIGRATION), ["create"], "{}", plan.stdout);
    assert!(plan.is_unknown(MIGRATION, "status"));
    tf.apply();
    tf.assert_plan_empty();
    let cluster_id = cluster_id_of(&tf);
    let values = state_values(&tf.show_state(), MIGRATION).clone();
    let first_id = str_attr(&values, "id").to_string();
    assert!(
        ["syncing", "done"].contains(&str_attr(&values, "status")),
        "create returns once the migration syncs: {values}"
    );
    assert_eq!(
        stored_migration(&mock, &cluster_id)["id"],
        first_id.as_str()
    );
    let put = &requests_to(&mock, "PUT")[0];
    assert_eq!(put["body"]["source"]["host"], "old-db.example.com");
    assert_eq!(put["body"]["source"]["password"], "plain-secret");
    assert_eq!(put["body"]["source"]["dbname"], "defaultdb");

    // Stopped outside Terraform: the next plan replaces it.
    let (status, _) = mock.v2(
        Method::DELETE,
        &format!("/v2/databases/{cluster_id}/online-migration/{first_id}"),
        None,
    );
    assert_eq!(status, StatusCode::NO_CONTENT);
    let plan = tf.plan();
    plan.assert_replace(MIGRATION);
    assert!(plan.stdout.contains("canceled"), "{}", plan.stdout);
    tf.apply();
    tf.assert_plan_empty();
    let second_id = str_attr(state_values(&tf.show_state(), MIGRATION), "id").to_string();
    assert_ne!(second_id, first_id);

    // A new source is a new migration: the plan says replace, and the old one is stopped.
    tf.write_config(&config("new-db.example.com", "password = \"plain-secret\""));
    tf.plan().assert_replace(MIGRATION);
    mock.clear_requests();
    tf.apply();
    tf.assert_plan_empty();
    let third = state_values(&tf.show_state(), MIGRATION).clone();
    assert_ne!(str_attr(&third, "id"), second_id);
    assert_eq!(requests_to(&mock, "PUT").len(), 1);
    assert_eq!(
        stored_migration(&mock, &cluster_id)["id"],
        str_attr(&third, "id")
    );

    // Import by the cluster's UUID; the API never returns the source, so the first apply
    // records it without calling the API, and then nothing is left to do.
    tf.state_rm(MIGRATION);
    assert!(state_resource(&tf.show_state(), MIGRATION).is_none());
    tf.import(MIGRATION, &cluster_id);
    let imported = state_values(&tf.show_state(), MIGRATION).clone();
    assert_eq!(imported["id"], third["id"]);
    assert_eq!(imported["cluster_id"], third["cluster_id"]);
    let plan = tf.plan();
    assert_eq!(plan.actions(MIGRATION), ["update"], "{}", plan.stdout);
    mock.clear_requests();
    tf.apply();
    assert!(requests_to(&mock, "PUT").is_empty());
    tf.assert_plan_empty();

    // Destroy: a finished migration is only forgotten; the cluster goes too.
    tf.destroy();
    assert_eq!(state_resource_count(&tf.show_state()), 0);
    assert_eq!(mock.cluster_count(), 0, "destroy left clusters behind");
}

/// The plan's values (planned, prior, changes) do not hold `secret`. The `configuration`
/// section is left out: it echoes literal expressions of the configuration text itself.
fn assert_not_in_plan(plan: &Value, secret: &str) {
    for section in ["planned_values", "resource_changes", "prior_state"] {
        assert!(
            !plan[section].to_string().contains(secret),
            "a write-only value is in the plan's {section}"
        );
    }
    assert!(plan["resource_changes"]
        .as_array()
        .is_some_and(|c| !c.is_empty()));
}

#[test]
fn the_write_only_password_reaches_the_api_and_nothing_else() {
    let mock = Mock::start(&["--transition-delay-ms", "300"]);
    let tf = Terraform::new(&mock);
    let wo = |secret: &str, version: u32| {
        config(
            "old-db.example.com",
            &format!("password_wo = \"{secret}\"\n    password_wo_version = {version}"),
        )
    };
    tf.write_config(&wo("wo-secret-first", 1));
    let plan = tf.plan();
    assert_not_in_plan(&plan.json, "wo-secret-first");
    tf.apply();
    tf.assert_plan_empty();
    assert!(!tf.state_file().to_string().contains("wo-secret-first"));
    let puts = requests_to(&mock, "PUT");
    assert_eq!(puts.len(), 1);
    assert_eq!(puts[0]["body"]["source"]["password"], "wo-secret-first");

    // A new password alone is invisible to Terraform; bumping the version sends it.
    tf.write_config(&wo("wo-secret-second", 1));
    tf.assert_plan_empty();
    tf.write_config(&wo("wo-secret-second", 2));
    let plan = tf.plan();
    plan.assert_replace(MIGRATION);
    assert_not_in_plan(&plan.json, "wo-secret-second");
    tf.apply();
    tf.assert_plan_empty();
    let puts = requests_to(&mock, "PUT");
    assert_eq!(puts.len(), 2);
    assert_eq!(puts[1]["body"]["source"]["password"], "wo-secret-second");
    let state = tf.state_file().to_string();
    assert!(
        !state.contains("wo-secret"),
        "a write-only value is in the state"
    );

    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}

#[test]
fn bad_input_fails_at_plan_naming_the_attribute() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let cluster = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";
    let literal = |cluster: &str, source: &str| {
        format!(
            "resource \"dbaas_database_online_migration\" \"x\" {{\n  cluster_id = {}\n{source}}}\n",
            hcl_string(cluster)
        )
    };
    let source = |port: &str, password: &str| {
        format!(
            "  source {{\n    host = \"h\"\n    port = {port}\n    db_name = \"d\"\n    \
             username = \"u\"\n    {password}\n  }}\n"
        )
    };
    for (needle, config) in [
        (
            "`source.password` or `source.password_wo`, not both",
            literal(
                cluster,
                &source("5432", "password = \"a\"\n    password_wo = \"b\""),
            ),
        ),
        (
            "Set `source.password` or",
            literal(cluster, &source("5432", "")),
        ),
        (
            "`source.port` must be between 1 and 65535",
            literal(cluster, &source("0", "password = \"a\"")),
        ),
        ("A `source` block is required", literal(cluster, "")),
        (
            "Invalid cluster_id",
            literal("not-a-uuid", &source("5432", "password = \"a\"")),
        ),
        (
            "names no database cluster",
            literal(cluster, &source("5432", "password = \"a\"")),
        ),
    ] {
        tf.write_config(&config);
        let error = tf.plan_expect_error();
        error.assert_mentions(needle);
        error.assert_no_backtrace();
    }

    // A Kafka cluster takes no migration.
    let (status, body) = mock.v2(
        Method::POST,
        "/v2/databases",
        Some(serde_json::json!({
            "name": "acc-migration-kafka", "engine": "kafka", "version": "3.8",
            "size": "gd-2vcpu-8gb", "region": "nyc1", "num_nodes": 3
        })),
    );
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let kafka = body["database"]["id"].as_str().unwrap().to_string();
    tf.write_config(&literal(&kafka, &source("5432", "password = \"a\"")));
    let error = tf.plan_expect_error();
    error.assert_mentions("`cluster_id`");
    error.assert_mentions("Online migration is offered for MySQL, PostgreSQL");
    assert!(requests_to(&mock, "PUT").is_empty());

    let output = tf.run(&["import", "-no-color", "-input=false", MIGRATION, "nope"]);
    assert!(!output.success());
    assert!(
        support::text::flatten(&output.stderr).contains("imported by its cluster's UUID"),
        "{}",
        output.stderr
    );
}

/// Terraform 1.0.3: `TERRAFORM_1_0_BIN`, else the copy `./scripts/test.sh` downloads.
fn terraform_1_0() -> PathBuf {
    let path = std::env::var_os("TERRAFORM_1_0_BIN")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/terraform-1.0.3/terraform")
        });
    assert!(
        path.is_file(),
        "{} does not exist: run ./scripts/test.sh, or set TERRAFORM_1_0_BIN",
        path.display()
    );
    path
}

#[test]
fn terraform_1_0_refuses_the_write_only_password_and_takes_the_plain_one() {
    let mock = Mock::start(&["--transition-delay-ms", "300"]);
    let tf = Terraform::with_binary(&mock, terraform_1_0());
    tf.write_config(&config(
        "old-db.example.com",
        "password_wo = \"wo-secret\"\n    password_wo_version = 1",
    ));
    let error = tf.plan_expect_error();
    error.assert_mentions("is write-only");
    error.assert_mentions("Terraform 1.11 or newer");
    error.assert_no_backtrace();

    tf.write_config(&config("old-db.example.com", "password = \"plain-secret\""));
    tf.apply();
    tf.assert_plan_empty();
    let puts = requests_to(&mock, "PUT");
    assert_eq!(puts.len(), 1);
    assert_eq!(puts[0]["body"]["source"]["password"], "plain-secret");
    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}
