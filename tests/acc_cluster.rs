//! Acceptance tests for `dbaas_database_cluster`: the real Terraform CLI against `dbaas-mock`.
//!
//! Every test starts its own emulator and its own Terraform directory, so they run in parallel.

mod support;

use serde_json::{json, Value};

use support::cluster::{
    assert_connection_details, int_attr, lifecycle, stored_cluster, stored_str, str_attr,
    ClusterHcl, ADDRESS, MYSQL_VERSION, OTHER_REGION, PG_NEWER, PG_OLDER, REDIS_VERSION,
};
use support::mock::fault;
use support::terraform::{state_resource, state_values, TEST_PROVIDER_BLOCK};
use support::{Mock, Terraform};

/// Creates the cluster described by `config`, requires an empty plan afterwards, and returns
/// the cluster's id.
fn create(tf: &Terraform, config: &ClusterHcl) -> String {
    let state = tf.step(&config.render());
    str_attr(state_values(&state, ADDRESS), "id").to_string()
}

/// Applies `config`, which must plan as an in-place update, then requires an empty plan and
/// that the cluster kept its id.
fn update_in_place(tf: &Terraform, config: &ClusterHcl, id: &str) -> Value {
    tf.write_config(&config.render());
    tf.plan().assert_update(ADDRESS);
    tf.apply();
    tf.assert_plan_empty();
    let state = tf.show_state();
    assert_eq!(
        str_attr(state_values(&state, ADDRESS), "id"),
        id,
        "an in-place update changed the cluster's id"
    );
    state
}

/// The logged `/v2` requests that could change something, as `METHOD path` lines.
fn mutating_requests(mock: &Mock) -> Vec<String> {
    mock.requests()
        .iter()
        .filter(|request| request["method"] != "GET")
        .map(|request| {
            format!(
                "{} {}",
                request["method"].as_str().unwrap_or_default(),
                request["path"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

/// Applies `config`, which only spells the current values differently (case, order, `02:00`
/// for `02:00:00`). Terraform requires a plan to carry the configured spelling, so the plan may
/// show an in-place update; it must never be a replacement, the cluster must not be touched
/// (no mutating API call), and the next plan must be empty.
fn respell(mock: &Mock, tf: &Terraform, config: &ClusterHcl, id: &str) {
    mock.clear_requests();
    tf.write_config(&config.render());
    let plan = tf.plan();
    if plan.has_changes {
        plan.assert_update(ADDRESS);
        tf.apply();
    }
    tf.assert_plan_empty();
    let mutations = mutating_requests(mock);
    assert!(
        mutations.is_empty(),
        "a change of spelling reached the API: {mutations:?}"
    );
    let state = tf.show_state();
    assert_eq!(str_attr(state_values(&state, ADDRESS), "id"), id);
}

/// The stored cluster's tags, sorted, treating a missing list as empty.
fn stored_tags(mock: &Mock, id: &str) -> Vec<String> {
    let cluster = stored_cluster(mock, id);
    let mut tags: Vec<String> = cluster["tags"]
        .as_array()
        .map(|tags| {
            tags.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    tags.sort();
    tags
}

// ---------------------------------------------------------------------------------------------
// a. lifecycle
// ---------------------------------------------------------------------------------------------

#[test]
fn lifecycle_create_update_replace_import_destroy() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    lifecycle(&mock, &tf);
}

// ---------------------------------------------------------------------------------------------
// b. in-place changes and normalisation
// ---------------------------------------------------------------------------------------------

#[test]
fn tags_change_in_place_and_ignore_case() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let config = ClusterHcl::new("acc-tags", "pg").set("tags", r#"["alpha", "beta"]"#);
    let id = create(&tf, &config);
    assert_eq!(stored_tags(&mock, &id), ["alpha", "beta"]);

    let config = config.set("tags", r#"["alpha", "gamma"]"#);
    update_in_place(&tf, &config, &id);
    assert_eq!(stored_tags(&mock, &id), ["alpha", "gamma"]);

    respell(
        &mock,
        &tf,
        &config.clone().set("tags", r#"["ALPHA", "Gamma"]"#),
        &id,
    );
    assert_eq!(stored_tags(&mock, &id), ["alpha", "gamma"]);

    update_in_place(&tf, &config.unset("tags"), &id);
    assert!(stored_tags(&mock, &id).is_empty(), "tags were not removed");
}

/// A `maintenance_window` block.
fn window(day: &str, hour: &str) -> String {
    format!("maintenance_window {{\n day = \"{day}\"\n hour = \"{hour}\"\n}}")
}

#[test]
fn maintenance_window_changes_in_place_and_normalises() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let base = ClusterHcl::new("acc-maintenance", "pg");
    // The API answers "monday" and "02:00:00"; the configured spelling must not be a diff.
    let config = base.clone().block(&window("MONDAY", "02:00"));
    let id = create(&tf, &config);
    let window_of = |mock: &Mock| stored_cluster(mock, &id)["maintenance_window"].clone();
    assert_eq!(window_of(&mock)["day"], "monday");
    assert_eq!(window_of(&mock)["hour"], "02:00:00");
    let state = tf.show_state();
    let in_state = &state_values(&state, ADDRESS)["maintenance_window"];
    assert_eq!(in_state, &json!([{"day": "MONDAY", "hour": "02:00"}]));

    respell(
        &mock,
        &tf,
        &base.clone().block(&window("monday", "02:00:00")),
        &id,
    );

    update_in_place(&tf, &base.clone().block(&window("tuesday", "03:30")), &id);
    assert_eq!(window_of(&mock)["day"], "tuesday");
    assert_eq!(window_of(&mock)["hour"], "03:30:00");

    // A window changed outside Terraform is drift, repaired in place.
    let (status, _) = mock.v2(
        reqwest::Method::PUT,
        &format!("/v2/databases/{id}/maintenance"),
        Some(json!({"day": "friday", "hour": "05:00"})),
    );
    assert!(status.is_success(), "PUT maintenance answered {status}");
    update_in_place(&tf, &base.clone().block(&window("tuesday", "03:30")), &id);
    assert_eq!(window_of(&mock)["day"], "tuesday");

    // Without the block the API keeps its window and the provider stops tracking it: the
    // plan only drops the block from state, and nothing is sent.
    mock.clear_requests();
    let state = update_in_place(&tf, &base, &id);
    assert_eq!(
        state_values(&state, ADDRESS)["maintenance_window"],
        json!([])
    );
    let mutations = mutating_requests(&mock);
    assert!(
        mutations.is_empty(),
        "dropping the block reached the API: {mutations:?}"
    );
    assert_eq!(window_of(&mock)["day"], "tuesday");
}

#[test]
fn a_cluster_without_the_block_keeps_the_apis_window_without_a_diff() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let config = ClusterHcl::new("acc-no-window", "pg");
    let id = create(&tf, &config);
    let state = tf.show_state();
    assert_eq!(
        state_values(&state, ADDRESS)["maintenance_window"],
        json!([])
    );
    let api_window = stored_cluster(&mock, &id)["maintenance_window"].clone();
    assert!(
        api_window["day"].is_string(),
        "the API has no window: {api_window}"
    );
    // A window changed outside Terraform is not drift when the configuration leaves it out.
    let (status, _) = mock.v2(
        reqwest::Method::PUT,
        &format!("/v2/databases/{id}/maintenance"),
        Some(json!({"day": "saturday", "hour": "04:00"})),
    );
    assert!(status.is_success(), "PUT maintenance answered {status}");
    tf.assert_plan_empty();

    // Adding the block sets it in place.
    let state = update_in_place(&tf, &config.block(&window("wednesday", "01:00:00")), &id);
    assert_eq!(
        state_values(&state, ADDRESS)["maintenance_window"],
        json!([{"day": "wednesday", "hour": "01:00:00"}])
    );
    assert_eq!(
        stored_cluster(&mock, &id)["maintenance_window"]["day"],
        "wednesday"
    );
}

#[test]
fn region_migrates_in_place_and_ignores_case() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let config = ClusterHcl::new("acc-region", "pg").set_str("region", "NYC1");
    let id = create(&tf, &config);
    assert_eq!(stored_str(&stored_cluster(&mock, &id), "region"), "nyc1");

    respell(&mock, &tf, &config.clone().set_str("region", "nyc1"), &id);

    update_in_place(&tf, &config.set_str("region", OTHER_REGION), &id);
    assert_eq!(
        stored_str(&stored_cluster(&mock, &id), "region"),
        OTHER_REGION
    );
}

#[test]
fn version_upgrades_in_place() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let config = ClusterHcl::new("acc-upgrade", "pg").set_str("version", PG_OLDER);
    let id = create(&tf, &config);
    assert_eq!(stored_str(&stored_cluster(&mock, &id), "version"), PG_OLDER);

    let state = update_in_place(&tf, &config.set_str("version", PG_NEWER), &id);
    assert_eq!(str_attr(state_values(&state, ADDRESS), "version"), PG_NEWER);
    assert_eq!(stored_str(&stored_cluster(&mock, &id), "version"), PG_NEWER);
}

#[test]
fn storage_grows_in_place() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let config = ClusterHcl::new("acc-storage", "pg");
    tf.write_config(&config.render());
    tf.apply();
    tf.assert_plan_empty();
    let state = tf.show_state();
    let values = state_values(&state, ADDRESS);
    let id = str_attr(values, "id").to_string();
    let base = int_attr(values, "storage_size_mib");
    assert!(base > 0, "storage_size_mib is not filled in after create");

    let grown = base + 10 * 1024;
    update_in_place(
        &tf,
        &config.set("storage_size_mib", &grown.to_string()),
        &id,
    );
    assert_eq!(
        stored_cluster(&mock, &id)["storage_size_mib"].as_i64(),
        Some(grown)
    );
}

#[test]
fn mysql_sql_mode_ignores_order_and_case_and_changes_in_place() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let config = ClusterHcl::new("acc-sqlmode", "mysql")
        .set_str("version", MYSQL_VERSION)
        .set_str("sql_mode", "strict_all_tables,ANSI");
    let id = create(&tf, &config);
    assert_eq!(stored_sql_modes(&mock, &id), ["ANSI", "STRICT_ALL_TABLES"]);

    respell(
        &mock,
        &tf,
        &config.clone().set_str("sql_mode", "ANSI,STRICT_ALL_TABLES"),
        &id,
    );

    let config = config.set_str("sql_mode", "ANSI,ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE");
    update_in_place(&tf, &config, &id);
    assert_eq!(
        stored_sql_modes(&mock, &id),
        ["ANSI", "ERROR_FOR_DIVISION_BY_ZERO", "NO_ZERO_DATE"]
    );
}

/// The stored SQL modes of a MySQL cluster, sorted.
fn stored_sql_modes(mock: &Mock, id: &str) -> Vec<String> {
    let record = mock.cluster_record(id).expect("the cluster is stored");
    let mode = record["sql_mode"]
        .as_str()
        .unwrap_or_else(|| panic!("the emulator has no SQL mode for {id}"));
    let mut modes: Vec<String> = mode.split(',').map(|m| m.trim().to_string()).collect();
    modes.sort();
    modes
}

/// Valkey's only version in the emulator's catalogue. Caching (`redis`) clusters cannot be
/// created any more (the contract: "no longer supported as of 2025-04-30"); Valkey has the
/// same eviction policies.
const VALKEY_VERSION: &str = "8";

#[test]
fn valkey_eviction_policy_is_set_and_changed_in_place() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let config = ClusterHcl::new("acc-eviction", "valkey")
        .set_str("version", VALKEY_VERSION)
        .set_str("eviction_policy", "allkeys_lru");
    let id = create(&tf, &config);
    let state = tf.show_state();
    assert_eq!(
        str_attr(state_values(&state, ADDRESS), "eviction_policy"),
        "allkeys_lru"
    );

    assert_eq!(stored_eviction_policy(&mock, &id), "allkeys_lru");

    let state = update_in_place(&tf, &config.set_str("eviction_policy", "volatile_lru"), &id);
    assert_eq!(
        str_attr(state_values(&state, ADDRESS), "eviction_policy"),
        "volatile_lru"
    );
    assert_eq!(stored_eviction_policy(&mock, &id), "volatile_lru");
}

fn stored_eviction_policy(mock: &Mock, id: &str) -> String {
    let record = mock.cluster_record(id).expect("the cluster is stored");
    record["eviction_policy"]
        .as_str()
        .unwrap_or_else(|| panic!("the emulator has no eviction policy for {id}"))
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// c. invalid input is a plan-time error that names the attribute
// ---------------------------------------------------------------------------------------------

/// Plans `config`, which must fail with a diagnostic naming `attribute` and no backtrace.
fn assert_plan_rejects(tf: &Terraform, case: &str, config: &str, attribute: &str) {
    tf.write_config(config);
    let error = tf.plan_expect_error();
    assert!(
        error.mentions("Error:") && error.mentions(attribute),
        "{case}: expected an error naming {attribute:?}; stderr was:\n{}",
        error.stderr
    );
    assert!(
        !error.shows_backtrace(),
        "{case}: the output shows a backtrace:\n{}{}",
        error.stdout,
        error.stderr
    );
}

#[test]
fn invalid_attributes_are_plan_errors() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let pg = ClusterHcl::new("acc-invalid", "pg").set_str("version", PG_NEWER);
    let redis = ClusterHcl::new("acc-invalid", "redis").set_str("version", REDIS_VERSION);

    // The unbroken configurations must plan, so that each failure below is the broken value's.
    for valid in [&pg, &redis] {
        tf.write_config(&valid.render());
        let plan = tf.plan();
        assert_eq!(plan.actions(ADDRESS), ["create"], "{}", plan.stdout);
    }

    let cases: Vec<(&str, ClusterHcl, &str)> = vec![
        ("empty name", pg.clone().set_str("name", ""), "name"),
        (
            "unknown engine",
            pg.clone().set_str("engine", "oracle"),
            "engine",
        ),
        ("no nodes", pg.clone().set("node_count", "0"), "node_count"),
        (
            "four nodes",
            pg.clone().set("node_count", "4"),
            "node_count",
        ),
        (
            "unknown weekday",
            pg.clone().block(&window("funday", "02:00")),
            "maintenance_window",
        ),
        (
            "hour out of range",
            pg.clone().block(&window("monday", "25:00")),
            "hour",
        ),
        (
            "two windows",
            pg.clone()
                .block(&window("monday", "02:00"))
                .block(&window("friday", "02:00")),
            "maintenance_window",
        ),
        (
            "eviction_policy on pg",
            pg.clone().set_str("eviction_policy", "allkeys_lru"),
            "eviction_policy",
        ),
        (
            "sql_mode on pg",
            pg.clone().set_str("sql_mode", "ANSI"),
            "sql_mode",
        ),
        (
            "unknown eviction policy",
            redis.clone().set_str("eviction_policy", "lru-ish"),
            "eviction_policy",
        ),
        (
            "tag with a space",
            pg.clone().set("tags", r#"["has space"]"#),
            "tags",
        ),
        (
            "malformed private network",
            pg.clone().set_str("private_network_uuid", "not-a-uuid"),
            "private_network_uuid",
        ),
        (
            "autoscale threshold too low",
            pg.clone()
                .block("storage_autoscale {\n enabled = true\n threshold_percent = 5\n}"),
            "threshold_percent",
        ),
        (
            "unparseable timeout",
            pg.clone().block("timeouts {\n create = \"ten minutes\"\n}"),
            "timeouts",
        ),
        (
            "storage below the minimum",
            pg.clone().set("storage_size_mib", "100"),
            "storage_size_mib",
        ),
    ];
    for (case, config, attribute) in &cases {
        assert_plan_rejects(&tf, case, &config.render(), attribute);
    }

    let mutations = mutating_requests(&mock);
    assert!(
        mutations.is_empty(),
        "rejected plans changed something: {mutations:?}"
    );
}

#[test]
fn version_downgrade_and_storage_shrink_are_plan_errors() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let config = ClusterHcl::new("acc-no-shrink", "pg").set_str("version", PG_NEWER);
    tf.step(&config.render());
    let state = tf.show_state();
    let storage = int_attr(state_values(&state, ADDRESS), "storage_size_mib");

    assert_plan_rejects(
        &tf,
        "version downgrade",
        &config.clone().set_str("version", PG_OLDER).render(),
        "version",
    );
    let shrunk = (storage / 2).max(1024);
    assert!(shrunk < storage, "the default storage is already minimal");
    assert_plan_rejects(
        &tf,
        "storage shrink",
        &config.set("storage_size_mib", &shrunk.to_string()).render(),
        "storage_size_mib",
    );
}

#[test]
fn missing_token_is_a_configuration_error() {
    let mock = Mock::start(&[]);
    let mut tf = Terraform::new(&mock);
    tf.unset_env("DBAAS_TOKEN");
    let provider = TEST_PROVIDER_BLOCK.replacen("{", "{\n  token = \"\"", 1);
    tf.write_config_raw(&format!(
        "{provider}\n{}",
        ClusterHcl::new("acc-no-token", "pg").render()
    ));
    let error = tf.plan_expect_error();
    error.assert_mentions("token");
    error.assert_no_backtrace();
    assert!(
        mock.requests().is_empty(),
        "a request went out without a token"
    );
}

#[test]
fn malformed_endpoint_is_a_configuration_error() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let provider = TEST_PROVIDER_BLOCK.replacen("{", "{\n  api_endpoint = \"not a url\"", 1);
    tf.write_config_raw(&format!(
        "{provider}\n{}",
        ClusterHcl::new("acc-bad-endpoint", "pg").render()
    ));
    let error = tf.plan_expect_error();
    error.assert_mentions("api_endpoint");
    error.assert_no_backtrace();
}

// ---------------------------------------------------------------------------------------------
// d. a create that never finishes is kept, tainted
// ---------------------------------------------------------------------------------------------

#[test]
fn create_that_never_comes_online_is_kept_tainted() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let never_online = mock.add_fault(fault("POST", "/v2/databases", "never_online", 1));
    let config = ClusterHcl::new("acc-never-online", "pg").block("timeouts {\n create = \"3s\"\n}");
    tf.write_config(&config.render());

    let error = tf.apply_expect_error();
    let message = error.flat().to_lowercase();
    assert!(
        message.contains("timed out") || message.contains("timeout"),
        "the error does not mention the timeout:\n{}",
        error.stderr
    );
    error.assert_no_backtrace();

    assert_eq!(mock.fault_hits(&never_online), 1);
    let stored = mock.clusters();
    assert_eq!(stored.len(), 1, "expected exactly the one cluster created");
    assert_eq!(stored[0]["status"], "creating");
    let stored_id = stored[0]["id"].as_str().expect("stored cluster id");

    let shown = tf.show_state();
    let resource = state_resource(&shown, ADDRESS).expect("the cluster was dropped from state");
    assert_eq!(
        resource["tainted"], true,
        "`terraform show -json` does not mark it tainted"
    );
    assert_eq!(str_attr(&resource["values"], "id"), stored_id);

    let file = tf.state_file();
    let statuses: Vec<&Value> = file["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["type"] == "dbaas_database_cluster" && r["name"] == "x")
        .flat_map(|r| r["instances"].as_array().into_iter().flatten())
        .map(|instance| &instance["status"])
        .collect();
    assert_eq!(statuses, [&json!("tainted")], "state file instance status");

    tf.destroy();
    assert_eq!(mock.cluster_count(), 0, "destroy left the cluster behind");
}

// ---------------------------------------------------------------------------------------------
// e. rate limits, server errors and lost responses
// ---------------------------------------------------------------------------------------------

/// Creates a small cluster and checks that the emulator holds exactly it.
fn create_and_check_single_cluster(mock: &Mock, tf: &Terraform, name: &str) {
    let id = create(tf, &ClusterHcl::new(name, "pg"));
    let state = tf.show_state();
    assert_connection_details(state_values(&state, ADDRESS));
    let stored = mock.clusters();
    assert_eq!(stored.len(), 1, "expected exactly one cluster");
    assert_eq!(stored[0]["id"].as_str(), Some(id.as_str()));
}

#[test]
fn rate_limit_burst_is_retried() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let mut burst = fault("GET", "/v2/databases/*", "status", 3);
    burst["status"] = json!(429);
    burst["retry_after_secs"] = json!(1);
    let burst = mock.add_fault(burst);

    create_and_check_single_cluster(&mock, &tf, "acc-429");
    assert_eq!(mock.fault_hits(&burst), 3, "the 429 burst did not happen");
}

#[test]
fn server_error_burst_is_retried() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let mut burst = fault("GET", "/v2/databases/*", "status", 3);
    burst["status"] = json!(500);
    let burst = mock.add_fault(burst);

    create_and_check_single_cluster(&mock, &tf, "acc-500");
    assert_eq!(mock.fault_hits(&burst), 3, "the 500 burst did not happen");
}

#[test]
fn lost_create_response_does_not_duplicate_the_cluster() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let lost = mock.add_fault(fault("POST", "/v2/databases", "drop_after_handling", 1));

    create_and_check_single_cluster(&mock, &tf, "acc-lost-response");
    assert_eq!(mock.fault_hits(&lost), 1, "no create response was lost");
}

// ---------------------------------------------------------------------------------------------
// f. eventual consistency right after create
// ---------------------------------------------------------------------------------------------

#[test]
fn not_found_right_after_create_is_retried() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let not_found = mock.add_fault(fault("GET", "/v2/databases/*", "not_found", 2));

    create_and_check_single_cluster(&mock, &tf, "acc-404");
    assert_eq!(mock.fault_hits(&not_found), 2, "the 404s did not happen");
}

// ---------------------------------------------------------------------------------------------
// deletion protection
// ---------------------------------------------------------------------------------------------

#[test]
fn deletion_protection_blocks_destroy_and_replacement_until_lifted() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let protected = ClusterHcl::new("acc-protected", "pg")
        .set_str("version", PG_OLDER)
        .set("deletion_protection", "true");
    let id = create(&tf, &protected);
    mock.clear_requests();

    let destroy = tf.run(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert!(
        !destroy.success(),
        "destroy of a protected cluster succeeded"
    );
    let destroy = support::terraform::ErrorOutput {
        stdout: destroy.stdout,
        stderr: destroy.stderr,
    };
    destroy.assert_mentions("deletion_protection");
    destroy.assert_no_backtrace();

    tf.write_config(
        &protected
            .clone()
            .set_str("name", "acc-protected-renamed")
            .render(),
    );
    let replace = tf.plan_expect_error();
    replace.assert_mentions("deletion_protection");
    assert!(
        mutating_requests(&mock).is_empty(),
        "a protected cluster was touched: {:?}",
        mutating_requests(&mock)
    );
    assert_eq!(mock.cluster_count(), 1);

    update_in_place(&tf, &protected.set("deletion_protection", "false"), &id);
    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}
