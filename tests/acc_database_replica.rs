//! Acceptance tests for `dbaas_database_replica` and the `dbaas_database_replica` data source:
//! the real Terraform CLI against `dbaas-mock`. Every test starts its own emulator and
//! Terraform directory.

mod support;

use std::path::PathBuf;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use support::cluster::{int_attr, str_attr, ClusterHcl, MEDIUM, PG_NEWER, REGION, SMALL};
use support::terraform::{state_resource, state_resource_count, state_values, TEST_PROVIDER_BLOCK};
use support::text::hcl_string;
use support::{Mock, Terraform};

const REPLICA: &str = "dbaas_database_replica.x";
const CLUSTER: &str = "dbaas_database_cluster.x";
const DATA: &str = "data.dbaas_database_replica.x";

fn pg_cluster() -> String {
    ClusterHcl::new("acc-replica-pg", "pg")
        .set_str("version", PG_NEWER)
        .render()
}

/// A replica of the test cluster; `body` holds extra attribute lines.
fn replica_block(name: &str, body: &str) -> String {
    format!(
        "resource \"dbaas_database_replica\" \"x\" {{\n  cluster_id = {CLUSTER}.id\n  name       = {}\n{body}}}\n",
        hcl_string(name)
    )
}

fn data_block() -> String {
    format!(
        "data \"dbaas_database_replica\" \"x\" {{\n  cluster_id = {REPLICA}.cluster_id\n  name       = {REPLICA}.name\n}}\n"
    )
}

/// The emulator's replicas of a cluster, as the API shows them (secrets included: never print).
fn stored_replicas(mock: &Mock, cluster_id: &str) -> Vec<Value> {
    let (status, body) = mock.v2(
        Method::GET,
        &format!("/v2/databases/{cluster_id}/replicas"),
        None,
    );
    assert_eq!(status, StatusCode::OK);
    body["replicas"].as_array().cloned().unwrap_or_default()
}

fn stored_replica(mock: &Mock, cluster_id: &str, name: &str) -> Option<Value> {
    stored_replicas(mock, cluster_id)
        .into_iter()
        .find(|replica| replica["name"] == name)
}

/// The `/v2` requests the emulator logged for `method` on paths ending with `suffix`.
fn requests_to(mock: &Mock, method: &str, suffix: &str) -> Vec<Value> {
    mock.requests()
        .into_iter()
        .filter(|r| {
            r["method"] == method && r["path"].as_str().is_some_and(|p| p.ends_with(suffix))
        })
        .collect()
}

/// Create → empty plan → replace on name → import → empty plan → drift (deleted outside
/// Terraform) → destroy, checking the emulator at each step. Shared by the current Terraform
/// and the Terraform 1.0 run.
fn lifecycle(mock: &Mock, tf: &Terraform) {
    // Without region and size the replica takes the primary's, known at plan time.
    tf.write_config(&format!(
        "{}\n{}",
        pg_cluster(),
        replica_block("acc-replica-a", "  tags       = [\"Reads\"]\n")
    ));
    let plan = tf.plan();
    assert_eq!(plan.actions(REPLICA), ["create"], "{}", plan.stdout);
    tf.apply();
    tf.assert_plan_empty();
    let state = tf.show_state();
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    let values = state_values(&state, REPLICA).clone();
    assert_eq!(
        str_attr(&values, "id"),
        format!("{cluster_id},acc-replica-a")
    );
    assert_eq!(str_attr(&values, "region"), REGION);
    assert_eq!(str_attr(&values, "size"), SMALL);
    assert!(int_attr(&values, "storage_size_mib") >= 10240);
    assert_eq!(values["tags"], json!(["Reads"]));
    let stored = stored_replica(mock, &cluster_id, "acc-replica-a").expect("the replica exists");
    assert_eq!(
        stored["status"], "online",
        "apply returned before the replica was online"
    );
    assert_eq!(str_attr(&values, "uuid"), stored["id"].as_str().unwrap());
    assert_eq!(
        str_attr(&values, "host"),
        stored["connection"]["host"].as_str().unwrap()
    );
    assert_eq!(
        str_attr(&values, "private_host"),
        stored["private_connection"]["host"].as_str().unwrap()
    );
    assert!(int_attr(&values, "port") > 0);
    let password = str_attr(&values, "password");
    assert!(!password.is_empty(), "password is empty");
    assert!(str_attr(&values, "uri").contains(&format!(":{password}@")));
    assert!(str_attr(&values, "private_uri").contains(&format!(":{password}@")));

    // A new name is a new replica; the old one goes.
    tf.write_config(&format!(
        "{}\n{}",
        pg_cluster(),
        replica_block("acc-replica-b", "  tags       = [\"Reads\"]\n")
    ));
    tf.plan().assert_replace(REPLICA);
    tf.apply();
    tf.assert_plan_empty();
    let names: Vec<Value> = stored_replicas(mock, &cluster_id)
        .iter()
        .map(|r| r["name"].clone())
        .collect();
    assert_eq!(names, [json!("acc-replica-b")]);

    // Import into a fresh state, then nothing to do.
    let before = state_values(&tf.show_state(), REPLICA).clone();
    tf.state_rm(REPLICA);
    assert!(state_resource(&tf.show_state(), REPLICA).is_none());
    tf.import(REPLICA, &format!("{cluster_id},acc-replica-b"));
    tf.assert_plan_empty();
    let imported = state_values(&tf.show_state(), REPLICA).clone();
    for attribute in [
        "id",
        "cluster_id",
        "name",
        "uuid",
        "region",
        "size",
        "storage_size_mib",
        "private_network_uuid",
        "host",
        "port",
        "password",
        "uri",
        "private_uri",
    ] {
        assert_eq!(imported[attribute], before[attribute], "{attribute}");
    }
    // The API keeps the tag's spelling, so the import reads what the configuration says.
    assert_eq!(imported["tags"], json!(["Reads"]));

    // Deleted by someone else: planned for creation again.
    let (status, _) = mock.v2(
        Method::DELETE,
        &format!("/v2/databases/{cluster_id}/replicas/acc-replica-b"),
        None,
    );
    assert_eq!(status, StatusCode::NO_CONTENT);
    let plan = tf.plan();
    assert_eq!(plan.actions(REPLICA), ["create"], "{}", plan.stdout);
    tf.apply();
    tf.assert_plan_empty();
    assert!(stored_replica(mock, &cluster_id, "acc-replica-b").is_some());

    // Removing the resource deletes the replica and keeps the cluster.
    tf.step(&pg_cluster());
    assert!(stored_replicas(mock, &cluster_id).is_empty());
    assert_eq!(mock.cluster_count(), 1);

    tf.destroy();
    assert_eq!(state_resource_count(&tf.show_state()), 0);
    assert_eq!(mock.cluster_count(), 0, "destroy left clusters behind");
}

#[test]
fn replica_lifecycle_create_replace_import_drift_destroy() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    lifecycle(&mock, &tf);
}

/// The same lifecycle on Terraform 1.0, the oldest CLI the provider supports. `TERRAFORM_1_0_BIN`
/// names it, as for `tests/compat_terraform_1_0.rs` (`./scripts/test.sh` sets it).
#[test]
fn replica_lifecycle_on_terraform_1_0() {
    let binary = std::env::var_os("TERRAFORM_1_0_BIN")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .expect(
            "TERRAFORM_1_0_BIN is not set. Run the tests through ./scripts/test.sh, which \
             downloads Terraform 1.0.3 and sets it, or point it at a Terraform 1.0.x binary.",
        );
    let mock = Mock::start(&[]);
    let tf = Terraform::with_binary(&mock, binary);
    assert!(tf.version().starts_with("1.0."), "not Terraform 1.0.x");
    lifecycle(&mock, &tf);
}

#[test]
fn bad_inputs_fail_at_plan_naming_the_attribute() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let cluster = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";
    let literal = |cluster: &str, name: &str, body: &str| {
        format!(
            "resource \"dbaas_database_replica\" \"x\" {{\n  cluster_id = {}\n  name       = {}\n{body}}}\n",
            hcl_string(cluster),
            hcl_string(name)
        )
    };
    for (attribute, config) in [
        ("name", literal(cluster, "Read_1", "")),
        ("name", literal(cluster, "r", "")),
        ("cluster_id", literal("not-a-uuid", "read-1", "")),
        (
            "storage_size_mib",
            literal(cluster, "read-1", "  storage_size_mib = 10\n"),
        ),
        (
            "private_network_uuid",
            literal(cluster, "read-1", "  private_network_uuid = \"vpc-1\"\n"),
        ),
        (
            "tags",
            literal(cluster, "read-1", "  tags = [\"two words\"]\n"),
        ),
        ("size", literal(cluster, "read-1", "  size = \"\"\n")),
    ] {
        tf.write_config(&config);
        let error = tf.plan_expect_error();
        error.assert_mentions(&format!("Invalid {attribute}"));
        error.assert_mentions(&format!("`{attribute}`"));
        error.assert_no_backtrace();
    }
    // A well-formed ID of a cluster that does not exist is caught at plan time too.
    tf.write_config(&literal(cluster, "read-1", ""));
    let error = tf.plan_expect_error();
    error.assert_mentions("`cluster_id`");
    error.assert_mentions(cluster);

    // Against real primaries: engines without replicas, and what the catalogue does not offer.
    // Valkey: new Caching (`redis`) clusters are refused since 2025-04-30.
    let valkey = ClusterHcl::new("acc-replica-valkey", "valkey")
        .set_str("version", "8")
        .render()
        .replace("\"x\"", "\"valkey\"");
    let state = tf.step(&format!("{}\n{valkey}", pg_cluster()));
    let valkey_id =
        str_attr(state_values(&state, "dbaas_database_cluster.valkey"), "id").to_string();
    let on_valkey = "resource \"dbaas_database_replica\" \"x\" {\n  cluster_id = dbaas_database_cluster.valkey.id\n  name       = \"read-1\"\n}\n".to_string();
    tf.write_config(&format!("{}\n{valkey}\n{on_valkey}", pg_cluster()));
    let error = tf.plan_expect_error();
    error.assert_mentions("`cluster_id`");
    error.assert_mentions(&valkey_id);
    error.assert_mentions("valkey clusters have no read-only replicas");
    for (attribute, summary, body) in [
        ("region", "Region not offered", "  region = \"mars1\"\n"),
        ("size", "Size not offered", "  size = \"db-s-99vcpu-1gb\"\n"),
    ] {
        tf.write_config(&format!(
            "{}\n{valkey}\n{}",
            pg_cluster(),
            replica_block("read-1", body)
        ));
        let error = tf.plan_expect_error();
        error.assert_mentions(summary);
        error.assert_mentions(&format!("`{attribute}`"));
        error.assert_mentions("Valid");
        error.assert_no_backtrace();
    }
    assert!(requests_to(&mock, "POST", "/replicas").is_empty());

    let output = tf.run(&["import", "-no-color", "-input=false", REPLICA, "read-1"]);
    assert!(!output.success());
    assert!(
        support::text::flatten(&output.stderr).contains("joined by a comma"),
        "{}",
        output.stderr
    );
    tf.write_config(&format!("{}\n{valkey}", pg_cluster()));
    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}

#[test]
fn the_data_source_reads_what_the_resource_made_and_a_taken_name_is_not_adopted() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let state = tf.step(&pg_cluster());
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();

    // A replica made outside Terraform is not taken over: the error says how to import it.
    let (status, _) = mock.v2(
        Method::POST,
        &format!("/v2/databases/{cluster_id}/replicas"),
        Some(json!({"name": "acc-replica-ds", "size": SMALL})),
    );
    assert_eq!(status, StatusCode::CREATED);
    let config = format!(
        "{}\n{}\n{}",
        pg_cluster(),
        replica_block("acc-replica-ds", ""),
        data_block()
    );
    tf.write_config(&config);
    let error = tf.apply_expect_error();
    error.assert_mentions("already has a read-only replica named \"acc-replica-ds\"");
    error.assert_mentions(&format!(
        "terraform import <address> {cluster_id},acc-replica-ds"
    ));
    tf.import(REPLICA, &format!("{cluster_id},acc-replica-ds"));
    tf.apply();
    tf.assert_plan_empty();

    let state = tf.show_state();
    let resource = state_values(&state, REPLICA);
    let data = state_values(&state, DATA);
    for (name, value) in resource.as_object().unwrap() {
        if name == "timeouts" {
            continue;
        }
        assert_eq!(&data[name], value, "{name}");
    }
    assert!(!str_attr(data, "password").is_empty());
    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}

#[test]
fn secrets_out_of_state_keep_the_password_and_uris_out_of_the_state_file() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let provider = TEST_PROVIDER_BLOCK.replacen(
        "provider \"dbaas\" {\n",
        "provider \"dbaas\" {\n  secrets_in_state    = false\n",
        1,
    );
    tf.write_config_raw(&format!(
        "{provider}\n{}\n{}\n{}",
        pg_cluster(),
        replica_block("acc-replica-secret", ""),
        data_block()
    ));
    tf.apply();
    tf.assert_plan_empty();
    let state = tf.show_state();
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    let stored = stored_replica(&mock, &cluster_id, "acc-replica-secret").unwrap();
    let password = stored["connection"]["password"]
        .as_str()
        .expect("the emulator gave the replica a password")
        .to_string();
    assert!(!password.is_empty());
    let text = std::fs::read_to_string(tf.dir().join("terraform.tfstate")).unwrap();
    assert!(
        !text.contains(&password),
        "the replica's password is in terraform.tfstate"
    );
    for address in [REPLICA, DATA] {
        let values = state_values(&state, address);
        for secret in ["password", "uri", "private_uri"] {
            assert_eq!(values[secret], Value::Null, "{address}: {secret}");
        }
        assert!(
            !str_attr(values, "host").is_empty(),
            "{address}: the rest stays"
        );
    }
    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}

/// Needs the emulator to serve `PUT /v2/databases/{replica_uuid}/resize` (see the module docs
/// of `src/api/replicas.rs`).
#[test]
fn replica_resizes_in_place_and_storage_only_grows() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let with = |body: &str| format!("{}\n{}", pg_cluster(), replica_block("acc-replica-r", body));
    let state = tf.step(&with(""));
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    let before = state_values(&state, REPLICA).clone();

    // A bigger size resizes in place; the connection details stay known in the plan.
    tf.write_config(&with(&format!("  size       = {}\n", hcl_string(MEDIUM))));
    let plan = tf.plan();
    plan.assert_update(REPLICA);
    for attribute in ["host", "port", "private_host", "uuid"] {
        assert!(!plan.is_unknown(REPLICA, attribute), "{attribute}");
    }
    assert!(plan.is_unknown(REPLICA, "storage_size_mib"));
    tf.apply();
    tf.assert_plan_empty();
    let values = state_values(&tf.show_state(), REPLICA).clone();
    let stored = stored_replica(&mock, &cluster_id, "acc-replica-r").unwrap();
    assert_eq!(stored["size"], MEDIUM);
    assert_eq!(
        stored["status"], "online",
        "apply returned before the resize ended"
    );
    assert_eq!(str_attr(&values, "size"), MEDIUM);
    assert_eq!(values["uuid"], before["uuid"]);
    assert_eq!(values["host"], before["host"]);
    let resizes = requests_to(&mock, "PUT", "/resize");
    assert_eq!(resizes.len(), 1);
    assert!(resizes[0]["path"]
        .as_str()
        .unwrap()
        .contains(str_attr(&values, "uuid")));

    // More storage grows in place; less is a plan-time error.
    let grown = int_attr(&values, "storage_size_mib") + 10240;
    let body = format!(
        "  size             = {}\n  storage_size_mib = {grown}\n",
        hcl_string(MEDIUM)
    );
    tf.write_config(&with(&body));
    tf.plan().assert_update(REPLICA);
    tf.apply();
    tf.assert_plan_empty();
    let stored = stored_replica(&mock, &cluster_id, "acc-replica-r").unwrap();
    assert_eq!(stored["storage_size_mib"], grown);
    let body = format!(
        "  size             = {}\n  storage_size_mib = {}\n",
        hcl_string(MEDIUM),
        grown - 1024
    );
    tf.write_config(&with(&body));
    let error = tf.plan_expect_error();
    error.assert_mentions("Storage cannot shrink");
    error.assert_mentions("`storage_size_mib`");
    error.assert_no_backtrace();

    // A resize made outside Terraform shows as drift, and the next apply sets it back.
    let medium = format!("  size       = {}\n", hcl_string(MEDIUM));
    tf.write_config(&with(&medium));
    tf.assert_plan_empty();
    let (status, _) = mock.v2(
        Method::PUT,
        &format!("/v2/databases/{}/resize", str_attr(&values, "uuid")),
        Some(json!({"size": "db-s-2vcpu-4gb", "num_nodes": 1})),
    );
    assert_eq!(status, StatusCode::ACCEPTED);
    let plan = tf.plan();
    plan.assert_update(REPLICA);
    assert_eq!(
        plan.resource_change(REPLICA)["change"]["before"]["size"],
        "db-s-2vcpu-4gb"
    );
    assert_eq!(plan.planned(REPLICA, "size"), MEDIUM);
    tf.apply();
    tf.assert_plan_empty();
    let stored = stored_replica(&mock, &cluster_id, "acc-replica-r").unwrap();
    assert_eq!(stored["size"], MEDIUM);
    tf.write_config(&pg_cluster());
    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}
