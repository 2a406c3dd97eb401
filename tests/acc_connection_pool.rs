//! Acceptance tests for `dbaas_database_connection_pool`: the real Terraform CLI against
//! `dbaas-mock`. Every test starts its own emulator and Terraform directory.

mod support;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use support::cluster::{int_attr, str_attr, ClusterHcl, MYSQL_VERSION, PG_NEWER};
use support::terraform::{state_resource, state_resource_count, state_values};
use support::text::hcl_string;
use support::{Mock, Terraform};

const POOL: &str = "dbaas_database_connection_pool.x";
const CLUSTER: &str = "dbaas_database_cluster.x";

/// A PostgreSQL cluster of the emulator's catalogue, as `dbaas_database_cluster.x`.
fn pg_cluster() -> String {
    ClusterHcl::new("acc-pool-pg", "pg")
        .set_str("version", PG_NEWER)
        .render()
}

/// A `dbaas_database_connection_pool.<label>` block with the attributes of
/// [`backend_pool`] overridden by `overrides` (HCL expressions), and optionally a `timeouts`
/// block. `cluster_id` defaults to the cluster of [`pg_cluster`].
fn pool_block(label: &str, overrides: &[(&str, String)], timeouts: Option<&str>) -> String {
    let mut attributes = vec![
        ("cluster_id", format!("{CLUSTER}.id")),
        ("name", lit("acc-pool")),
        ("mode", lit("transaction")),
        ("size", "10".to_string()),
        ("db_name", lit("defaultdb")),
    ];
    for (name, expression) in overrides {
        match attributes.iter_mut().find(|(key, _)| key == name) {
            Some(entry) => entry.1 = expression.clone(),
            None => attributes.push((name, expression.clone())),
        }
    }
    let mut hcl = format!("resource \"dbaas_database_connection_pool\" \"{label}\" {{\n");
    for (name, expression) in attributes {
        hcl.push_str(&format!("  {name} = {expression}\n"));
    }
    if let Some(timeouts) = timeouts {
        hcl.push_str(&format!("  timeouts {{\n    {timeouts}\n  }}\n"));
    }
    hcl.push_str("}\n");
    hcl
}

fn lit(text: &str) -> String {
    hcl_string(text)
}

/// `dbaas_database_connection_pool.x`: a pool named `acc-pool`, with overrides.
fn backend_pool(overrides: &[(&str, String)]) -> String {
    pool_block("x", overrides, None)
}

/// The emulator's pools of a cluster, as the API shows them (secrets included: never print).
fn stored_pools(mock: &Mock, cluster_id: &str) -> Vec<Value> {
    mock.stored_children(cluster_id, "pools")
}

fn stored_pool(mock: &Mock, cluster_id: &str, name: &str) -> Value {
    mock.stored_child(cluster_id, "pools", name)
        .unwrap_or_else(|| panic!("the emulator has no pool {name:?} on cluster {cluster_id}"))
}

#[test]
fn pool_lifecycle_create_update_drift_replace_import_destroy() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);

    // Create the cluster and the pool in one apply: the pool waits for the cluster.
    tf.write_config(&format!("{}\n{}", pg_cluster(), backend_pool(&[])));
    let plan = tf.plan();
    assert_eq!(plan.actions(POOL), ["create"], "{}", plan.stdout);
    tf.apply();
    tf.assert_plan_empty();
    let state = tf.show_state();
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    let values = state_values(&state, POOL).clone();
    assert_eq!(str_attr(&values, "id"), format!("{cluster_id},acc-pool"));
    assert!(!str_attr(&values, "host").is_empty());
    assert!(int_attr(&values, "port") > 0);
    let password = str_attr(&values, "password");
    assert!(
        !password.is_empty(),
        "the create response's password is kept"
    );
    assert!(
        str_attr(&values, "uri").contains(&format!(":{password}@")),
        "the uri carries the password"
    );
    assert_eq!(
        values["user"],
        Value::Null,
        "no user means the inbound user"
    );
    let stored = stored_pool(&mock, &cluster_id, "acc-pool");
    assert_eq!(
        (stored["mode"].as_str(), stored["size"].as_i64()),
        (Some("transaction"), Some(10))
    );

    // Size and mode change in place, with one full-body PUT, and the connection details stay
    // known in the plan.
    mock.clear_requests();
    tf.write_config(&format!(
        "{}\n{}",
        pg_cluster(),
        backend_pool(&[("size", "15".into()), ("mode", lit("session"))])
    ));
    let plan = tf.plan();
    plan.assert_update(POOL);
    for attribute in ["host", "port", "uri", "password", "private_host"] {
        assert!(
            !plan.is_unknown(POOL, attribute),
            "{attribute} became unknown"
        );
    }
    tf.apply();
    tf.assert_plan_empty();
    let puts = mock.requests_to("PUT", "/pools/acc-pool");
    assert_eq!(puts.len(), 1, "{}", mock.request_summary());
    assert_eq!(
        puts[0]["body"],
        json!({"mode": "session", "size": 15, "db": "defaultdb"})
    );
    assert!(
        mock.requests_to("POST", "/pools").is_empty(),
        "an update must not recreate the pool"
    );
    let stored = stored_pool(&mock, &cluster_id, "acc-pool");
    assert_eq!(
        (stored["mode"].as_str(), stored["size"].as_i64()),
        (Some("session"), Some(15))
    );

    // Setting a user is in place too; only the credentials become unknown.
    let with_user = [
        ("size", "15".to_string()),
        ("mode", lit("session")),
        ("user", lit("doadmin")),
    ];
    tf.write_config(&format!("{}\n{}", pg_cluster(), backend_pool(&with_user)));
    let plan = tf.plan();
    plan.assert_update(POOL);
    assert!(plan.is_unknown(POOL, "uri"));
    assert!(!plan.is_unknown(POOL, "host"));
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(
        stored_pool(&mock, &cluster_id, "acc-pool")["user"],
        "doadmin"
    );

    // A change made by another API client shows up as drift and is undone in place.
    let (status, _) = mock.v2(
        Method::PUT,
        &format!("/v2/databases/{cluster_id}/pools/acc-pool"),
        Some(json!({"mode": "statement", "size": 5, "db": "defaultdb", "user": "doadmin"})),
    );
    assert_eq!(status, StatusCode::NO_CONTENT);
    let plan = tf.plan();
    assert!(
        plan.has_changes,
        "out-of-band changes must show as drift:\n{}",
        plan.stdout
    );
    plan.assert_update(POOL);
    tf.apply();
    tf.assert_plan_empty();
    let stored = stored_pool(&mock, &cluster_id, "acc-pool");
    assert_eq!(
        (stored["mode"].as_str(), stored["size"].as_i64()),
        (Some("session"), Some(15))
    );

    // A new name is a new pool.
    let renamed = [
        ("name", lit("acc-pool-2")),
        ("size", "15".to_string()),
        ("mode", lit("session")),
        ("user", lit("doadmin")),
    ];
    tf.write_config(&format!("{}\n{}", pg_cluster(), backend_pool(&renamed)));
    tf.plan().assert_replace(POOL);
    tf.apply();
    tf.assert_plan_empty();
    let names: Vec<Value> = stored_pools(&mock, &cluster_id)
        .into_iter()
        .map(|pool| pool["name"].clone())
        .collect();
    assert_eq!(names, [json!("acc-pool-2")]);

    // Import into a fresh state, then nothing to do.
    let before = state_values(&tf.show_state(), POOL).clone();
    tf.state_rm(POOL);
    assert!(state_resource(&tf.show_state(), POOL).is_none());
    tf.import(POOL, &format!("{cluster_id},acc-pool-2"));
    tf.assert_plan_empty();
    let imported = state_values(&tf.show_state(), POOL).clone();
    for attribute in [
        "id",
        "cluster_id",
        "name",
        "mode",
        "size",
        "db_name",
        "user",
        "host",
        "port",
        "private_host",
        "password",
        "uri",
    ] {
        assert_eq!(
            imported[attribute], before[attribute],
            "{attribute} differs after import"
        );
    }

    tf.destroy();
    assert_eq!(state_resource_count(&tf.show_state()), 0);
    assert_eq!(mock.cluster_count(), 0, "destroy left clusters behind");
}

#[test]
fn removing_the_pool_deletes_it_and_keeps_the_cluster() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let state = tf.step(&format!("{}\n{}", pg_cluster(), backend_pool(&[])));
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    assert_eq!(stored_pools(&mock, &cluster_id).len(), 1);

    tf.step(&pg_cluster());
    assert!(
        stored_pools(&mock, &cluster_id).is_empty(),
        "the pool was not deleted"
    );
    assert_eq!(mock.cluster_count(), 1);

    // A pool deleted by someone else is planned for creation again.
    tf.step(&format!("{}\n{}", pg_cluster(), backend_pool(&[])));
    let (status, _) = mock.v2(
        Method::DELETE,
        &format!("/v2/databases/{cluster_id}/pools/acc-pool"),
        None,
    );
    assert_eq!(status, StatusCode::NO_CONTENT);
    let plan = tf.plan();
    assert_eq!(plan.actions(POOL), ["create"], "{}", plan.stdout);
    tf.apply();
    tf.assert_plan_empty();
    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}

#[test]
fn a_busy_cluster_is_retried_within_the_create_timeout() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let state = tf.step(&pg_cluster());
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();

    // The first two attempts meet a cluster that is not ready yet.
    mock.add_fault(json!({
        "method": "POST",
        "path": "/v2/databases/*/pools",
        "kind": "status",
        "status": 412,
        "count": 2,
    }));
    mock.clear_requests();
    tf.step(&format!("{}\n{}", pg_cluster(), backend_pool(&[])));
    let posts = mock.requests_to("POST", "/pools");
    let statuses: Vec<i64> = posts.iter().filter_map(|r| r["status"].as_i64()).collect();
    assert_eq!(statuses, [412, 412, 201], "{}", mock.request_summary());
    assert_eq!(stored_pools(&mock, &cluster_id).len(), 1);

    // A cluster that stays busy past the timeout fails the apply with what it said.
    mock.add_fault(json!({
        "method": "POST",
        "path": "/v2/databases/*/pools",
        "kind": "status",
        "status": 412,
    }));
    let extra = pool_block(
        "busy",
        &[("name", lit("acc-pool-busy")), ("size", "2".into())],
        Some("create = \"3s\""),
    );
    tf.write_config(&format!("{}\n{}\n{extra}", pg_cluster(), backend_pool(&[])));
    let error = tf.apply_expect_error();
    error.assert_mentions("acc-pool-busy");
    error.assert_mentions("still busy");
    error.assert_no_backtrace();
    mock.clear_faults();
    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}

#[test]
fn a_pool_on_a_cluster_of_another_engine_fails_at_plan() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let mysql = ClusterHcl::new("acc-pool-mysql", "mysql")
        .set_str("version", MYSQL_VERSION)
        .render();
    let state = tf.step(&mysql);
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();

    tf.write_config(&format!("{mysql}\n{}", backend_pool(&[])));
    let error = tf.plan_expect_error();
    error.assert_mentions("cluster_id");
    error.assert_mentions(&cluster_id);
    error.assert_mentions("PostgreSQL");
    error.assert_no_backtrace();
    assert!(mock.requests_to("POST", "/pools").is_empty());
    tf.write_config(&mysql);
    tf.destroy();
}

#[test]
fn bad_inputs_fail_at_plan_naming_the_attribute() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let cluster = lit("9cc10173-e9ea-4176-9dbc-a4cee4c4ff30");
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("cluster_id", vec![("cluster_id", lit("not-a-uuid"))]),
        ("name", vec![("name", lit("ab"))]),
        ("name", vec![("name", lit(&"p".repeat(61)))]),
        ("mode", vec![("mode", lit("pooled"))]),
        ("size", vec![("size", "0".into())]),
        ("db_name", vec![("db_name", lit(""))]),
        ("user", vec![("user", lit(""))]),
    ];
    for (attribute, mut overrides) in cases {
        if !overrides.iter().any(|(name, _)| *name == "cluster_id") {
            overrides.push(("cluster_id", cluster.clone()));
        }
        tf.write_config(&backend_pool(&overrides));
        let error = tf.plan_expect_error();
        error.assert_mentions(&format!("Invalid {attribute}"));
        error.assert_mentions(&format!("`{attribute}`"));
        error.assert_no_backtrace();
    }

    tf.write_config(&pool_block(
        "x",
        &[("cluster_id", cluster.clone())],
        Some("create = \"soon\""),
    ));
    tf.plan_expect_error().assert_mentions("timeouts.create");

    // A well-formed ID of a cluster that does not exist is caught at plan time too.
    tf.write_config(&backend_pool(&[("cluster_id", cluster)]));
    let error = tf.plan_expect_error();
    error.assert_mentions("cluster_id");
    error.assert_mentions("9cc10173-e9ea-4176-9dbc-a4cee4c4ff30");
    assert!(
        mock.requests_to("POST", "/pools").is_empty(),
        "nothing may be created by a failing plan"
    );

    // Malformed import IDs say what is expected.
    tf.write_config(&backend_pool(&[]));
    let output = tf.run(&["import", "-no-color", "-input=false", POOL, "acc-pool"]);
    assert!(!output.success());
    assert!(
        support::text::flatten(&output.stderr).contains("joined by a comma"),
        "{}",
        output.stderr
    );
}

#[test]
fn many_changes_to_one_busy_cluster_all_go_through() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    tf.step(&pg_cluster());

    // The emulator refuses a change while another change of the same cluster is in flight,
    // and every pool create takes a while, so Terraform's parallel creates would collide if
    // the provider did not take turns per cluster.
    mock.settings(json!({"reject_concurrent_mutations": true}));
    mock.add_fault(json!({
        "method": "POST",
        "path": "/v2/databases/*/pools",
        "kind": "delay",
        "delay_ms": 200,
    }));
    let mut config = pg_cluster();
    for n in 1..=6 {
        config.push_str(&pool_block(
            &format!("p{n}"),
            &[
                ("name", lit(&format!("acc-pool-{n}"))),
                ("size", "3".into()),
            ],
            None,
        ));
    }
    config.push_str(&format!(
        "resource \"dbaas_database_firewall\" \"x\" {{\n  cluster_id = {CLUSTER}.id\n  rule {{\n    type  = \"tag\"\n    value = \"web\"\n  }}\n}}\n"
    ));
    let state = tf.step(&config);
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    assert_eq!(stored_pools(&mock, &cluster_id).len(), 6);
    let refused = mock
        .requests()
        .iter()
        .filter(|r| r["status"] == 412)
        .count();
    assert_eq!(
        refused,
        0,
        "changes to one cluster overlapped:\n{}",
        mock.request_summary()
    );
    assert_eq!(mock.state()["overlapping_mutations"], 0);

    mock.clear_faults();
    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}

#[test]
fn an_existing_pool_is_not_taken_over_silently() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let state = tf.step(&pg_cluster());
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    let (status, _) = mock.v2(
        Method::POST,
        &format!("/v2/databases/{cluster_id}/pools"),
        Some(json!({"name": "acc-pool", "mode": "session", "size": 4, "db": "defaultdb"})),
    );
    assert_eq!(status, StatusCode::CREATED);

    tf.write_config(&format!("{}\n{}", pg_cluster(), backend_pool(&[])));
    let error = tf.apply_expect_error();
    error.assert_mentions("already has a connection pool named \"acc-pool\"");
    error.assert_mentions(&format!("terraform import <address> {cluster_id},acc-pool"));
    error.assert_no_backtrace();
    let stored = stored_pool(&mock, &cluster_id, "acc-pool");
    assert_eq!(stored["size"], 4, "the existing pool must be left alone");

    // Imported, its differences from the configuration are an in-place update.
    tf.import(POOL, &format!("{cluster_id},acc-pool"));
    tf.plan().assert_update(POOL);
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(stored_pool(&mock, &cluster_id, "acc-pool")["size"], 10);
    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}

#[test]
fn a_lost_create_response_neither_orphans_nor_duplicates_the_pool() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let state = tf.step(&pg_cluster());
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    // The pool is created, but the connection drops before the answer arrives.
    mock.add_fault(json!({
        "method": "POST",
        "path": "/v2/databases/*/pools",
        "kind": "drop_after_handling",
        "count": 1,
    }));
    let state = tf.step(&format!("{}\n{}", pg_cluster(), backend_pool(&[])));
    assert_eq!(
        str_attr(state_values(&state, POOL), "id"),
        format!("{cluster_id},acc-pool")
    );
    assert_eq!(stored_pools(&mock, &cluster_id).len(), 1);
    assert_eq!(
        mock.requests_to("POST", "/pools").len(),
        1,
        "the create must not be sent twice:\n{}",
        mock.request_summary()
    );
    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}
