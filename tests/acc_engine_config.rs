//! Acceptance tests for the engine configuration resources (`dbaas_database_<engine>_config`):
//! the real Terraform CLI against `dbaas-mock`. To keep the suite fast, one workspace holds
//! all nine resource types at once, each on its own cluster, and every step (create, in-place
//! update, drift, import, destroy) runs for all of them in a single Terraform command. The
//! clusters are created through the API, so no step waits for a cluster resource.

mod support;

use std::fs;
use std::path::Path;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use support::terraform::state_values;
use support::{Mock, Terraform};

/// One resource type under test: its cluster, and two configurations of it. `first` writes
/// DigitalOcean-style settings including `false` and `0`; `second` changes one of them.
struct Case {
    resource: &'static str,
    engine: &'static str,
    version: &'static str,
    size: &'static str,
    nodes: u32,
    first: &'static str,
    second: &'static str,
    /// API keys and values the emulator must hold after `first`.
    stored: Value,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            resource: "dbaas_database_postgresql_config",
            engine: "pg",
            version: "16",
            size: "db-s-1vcpu-1gb",
            nodes: 1,
            first: r#"
  jit                                 = false
  idle_in_transaction_session_timeout = 0
  work_mem                            = 16
  pg_stat_statements_track            = "all"
  pgbouncer {
    min_pool_size             = 0
    ignore_startup_parameters = ["search_path", "extra_float_digits"]
  }"#,
            second: r#"
  jit                                 = false
  idle_in_transaction_session_timeout = 0
  work_mem                            = 32
  pg_stat_statements_track            = "all"
  pgbouncer {
    min_pool_size             = 0
    ignore_startup_parameters = ["search_path", "extra_float_digits"]
  }"#,
            stored: json!({"jit": false, "idle_in_transaction_session_timeout": 0,
                "work_mem": 16, "pg_stat_statements.track": "all"}),
        },
        Case {
            resource: "dbaas_database_mysql_config",
            engine: "mysql",
            version: "8",
            size: "db-s-1vcpu-1gb",
            nodes: 1,
            first: r#"
  sql_require_primary_key   = false
  innodb_thread_concurrency = 0
  long_query_time           = 0.1"#,
            second: r#"
  sql_require_primary_key   = false
  innodb_thread_concurrency = 0
  long_query_time           = 2.5"#,
            stored: json!({"sql_require_primary_key": false, "innodb_thread_concurrency": 0,
                "long_query_time": 0.1}),
        },
        Case {
            resource: "dbaas_database_redis_config",
            engine: "redis",
            version: "7",
            size: "db-s-1vcpu-1gb",
            nodes: 1,
            first: r#"
  ssl              = false
  timeout          = 0
  maxmemory_policy = "allkeys-lru""#,
            second: r#"
  ssl              = false
  timeout          = 120
  maxmemory_policy = "allkeys-lru""#,
            stored: json!({"redis_ssl": false, "redis_timeout": 0,
                "redis_maxmemory_policy": "allkeys-lru"}),
        },
        Case {
            resource: "dbaas_database_valkey_config",
            engine: "valkey",
            version: "8",
            size: "db-s-1vcpu-1gb",
            nodes: 1,
            first: r#"
  ssl                     = false
  timeout                 = 0
  valkey_maxmemory_policy = "allkeys_lru""#,
            second: r#"
  ssl                     = false
  timeout                 = 60
  valkey_maxmemory_policy = "allkeys_lru""#,
            stored: json!({"valkey_ssl": false, "valkey_timeout": 0,
                "valkey_maxmemory_policy": "allkeys_lru"}),
        },
        Case {
            resource: "dbaas_database_kafka_config",
            engine: "kafka",
            version: "3.8",
            size: "gd-2vcpu-8gb",
            nodes: 3,
            first: r#"
  auto_create_topics_enable         = false
  log_cleaner_min_compaction_lag_ms = 0
  log_retention_bytes               = 9000000000"#,
            second: r#"
  auto_create_topics_enable         = false
  log_cleaner_min_compaction_lag_ms = 0
  log_retention_bytes               = -1"#,
            stored: json!({"auto_create_topics_enable": false,
                "log_cleaner_min_compaction_lag_ms": 0, "log_retention_bytes": 9000000000u64}),
        },
        Case {
            resource: "dbaas_database_mongodb_config",
            engine: "mongodb",
            version: "7.0",
            size: "db-s-1vcpu-1gb",
            nodes: 1,
            first: r#"
  verbosity            = 0
  default_read_concern = "majority""#,
            second: r#"
  verbosity            = 2
  default_read_concern = "majority""#,
            stored: json!({"verbosity": 0, "default_read_concern": "majority"}),
        },
        Case {
            resource: "dbaas_database_opensearch_config",
            engine: "opensearch",
            version: "2",
            size: "db-s-1vcpu-2gb",
            nodes: 1,
            first: r#"
  ism_enabled                      = false
  knn_memory_circuit_breaker_limit = 0
  reindex_remote_whitelist         = ["10.0.0.1:9200"]"#,
            second: r#"
  ism_enabled                      = false
  knn_memory_circuit_breaker_limit = 0
  reindex_remote_whitelist         = ["10.0.0.1:9200", "10.0.0.2:9200"]"#,
            stored: json!({"ism_enabled": false, "knn_memory_circuit_breaker_limit": 0,
                "reindex_remote_whitelist": ["10.0.0.1:9200"]}),
        },
        Case {
            resource: "dbaas_database_advanced_postgresql_config",
            engine: "advanced_pg",
            version: "17",
            size: "gd-2vcpu-8gb-intel",
            nodes: 1,
            first: r#"
  jit      = false
  work_mem = 8"#,
            second: r#"
  jit      = false
  work_mem = 12"#,
            stored: json!({"jit": false, "work_mem": 8}),
        },
        Case {
            resource: "dbaas_database_advanced_mysql_config",
            engine: "advanced_mysql",
            version: "8.4.8",
            size: "gd-2vcpu-8gb-intel",
            nodes: 1,
            first: r#"
  slow_query_log                = false
  innodb_change_buffer_max_size = 0"#,
            second: r#"
  slow_query_log                = false
  innodb_change_buffer_max_size = 10"#,
            stored: json!({"slow_query_log": false, "innodb_change_buffer_max_size": 0}),
        },
    ]
}

fn start_mock() -> Mock {
    Mock::start(&["--provision-delay-ms", "0"])
}

/// Creates a cluster through the API and returns its ID.
fn create_cluster(
    mock: &Mock,
    name: &str,
    engine: &str,
    version: &str,
    size: &str,
    nodes: u32,
) -> String {
    let (status, body) = mock.v2(
        Method::POST,
        "/v2/databases",
        Some(json!({
            "name": name, "engine": engine, "version": version, "size": size,
            "region": "nyc1", "num_nodes": nodes
        })),
    );
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["database"]["id"]
        .as_str()
        .expect("cluster id")
        .to_string()
}

/// The cluster's configuration as the API reports it.
fn api_config(mock: &Mock, cluster_id: &str) -> Value {
    let (status, body) = mock.v2(
        Method::GET,
        &format!("/v2/databases/{cluster_id}/config"),
        None,
    );
    assert_eq!(status, StatusCode::OK, "{body}");
    body["config"].clone()
}

fn patch_config(mock: &Mock, cluster_id: &str, config: Value) {
    let (status, body) = mock.v2(
        Method::PATCH,
        &format!("/v2/databases/{cluster_id}/config"),
        Some(json!({ "config": config })),
    );
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn resource_block(resource: &str, cluster_id: &str, body: &str) -> String {
    format!("resource \"{resource}\" \"x\" {{\n  cluster_id = \"{cluster_id}\"\n{body}\n}}\n")
}

fn address(resource: &str) -> String {
    format!("{resource}.x")
}

fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn config_patches(mock: &Mock) -> Vec<Value> {
    mock.requests()
        .into_iter()
        .filter(|r| {
            r["method"] == "PATCH" && r["path"].as_str().is_some_and(|p| p.ends_with("/config"))
        })
        .collect()
}

/// An emulator holding one cluster per case. The contract refuses new Caching (`redis`)
/// clusters since 2025-04-30, so a Caching case's cluster is made the way one from before that
/// date exists: created as Valkey, then turned into Caching in the emulator's state file
/// between two runs (the emulator keeps serving such clusters).
fn mock_with_clusters(cases: &[Case], state_dir: &Path) -> (Mock, Vec<String>) {
    let state_file = state_dir.join("state.json");
    let state_arg = state_file.to_str().expect("UTF-8 path").to_string();
    let args = [
        "--provision-delay-ms",
        "0",
        "--state-file",
        state_arg.as_str(),
    ];
    let mock = Mock::start(&args);
    let clusters: Vec<String> = cases
        .iter()
        .enumerate()
        .map(|(i, case)| {
            let (engine, version) = match case.engine {
                "redis" => ("valkey", "8"),
                other => (other, case.version),
            };
            create_cluster(
                &mock,
                &format!("acc-config-{i}"),
                engine,
                version,
                case.size,
                case.nodes,
            )
        })
        .collect();
    drop(mock);
    let caching: Vec<&String> = cases
        .iter()
        .zip(&clusters)
        .filter(|(case, _)| case.engine == "redis")
        .map(|(_, id)| id)
        .collect();
    let text = fs::read_to_string(&state_file).expect("the state file");
    let mut rewritten = String::new();
    for document in serde_json::Deserializer::from_str(&text).into_iter::<Value>() {
        let mut document = document.expect("the state file is JSON documents");
        if let Some(records) = document["clusters"].as_array_mut() {
            for record in records {
                if caching.iter().any(|id| record["id"] == json!(id)) {
                    record["engine"] = json!("redis");
                    record["version"] = json!("7");
                    record["config"] = json!({});
                }
            }
        }
        rewritten.push_str(&document.to_string());
        rewritten.push('\n');
    }
    fs::write(&state_file, rewritten).expect("rewrite the state file");
    let mock = Mock::start(&args);
    for id in caching {
        let (_, shown) = mock.v2(Method::GET, &format!("/v2/databases/{id}"), None);
        assert_eq!(
            shown["database"]["engine"], "redis",
            "a Caching cluster from before"
        );
    }
    (mock, clusters)
}

#[test]
fn every_engine_create_update_drift_import_destroy() {
    let cases = cases();
    let state_dir = tempfile::tempdir().expect("a directory for the state file");
    let (mock, clusters) = mock_with_clusters(&cases, state_dir.path());
    let tf = Terraform::new(&mock);
    let config = |second: bool| -> String {
        cases
            .iter()
            .zip(&clusters)
            .map(|(case, id)| {
                resource_block(
                    case.resource,
                    id,
                    if second { case.second } else { case.first },
                )
            })
            .collect()
    };

    // Create: the written settings are sent, false and 0 included, and the plan is empty.
    let before: Vec<Value> = clusters.iter().map(|id| api_config(&mock, id)).collect();
    let state = tf.step(&config(false));
    for ((case, id), before) in cases.iter().zip(&clusters).zip(&before) {
        let values = state_values(&state, &address(case.resource));
        assert_eq!(values["id"], json!(id), "{}", case.resource);
        let after = api_config(&mock, id);
        for (key, wanted) in case.stored.as_object().unwrap() {
            assert_eq!(&after[key], wanted, "{} {key}", case.resource);
        }
        // Settings not written are read into state but left as they were.
        for (key, value) in after.as_object().unwrap() {
            if !case.stored.as_object().unwrap().contains_key(key) && key != "pgbouncer" {
                assert_eq!(&before[key], value, "{} changed {key}", case.resource);
            }
        }
    }
    let pg = state_values(&state, "dbaas_database_postgresql_config.x");
    assert_eq!(pg["pgbouncer"]["min_pool_size"], json!(0));
    assert_eq!(
        pg["pgbouncer"]["server_lifetime"],
        json!(3600),
        "read, not written"
    );
    assert_eq!(
        pg["max_connections"],
        json!(25),
        "undeclared settings are in state"
    );
    let stored_pg = api_config(&mock, &clusters[0]);
    assert_eq!(stored_pg["pgbouncer"]["min_pool_size"], json!(0));
    assert_eq!(
        state_values(&state, "dbaas_database_mysql_config.x")["long_query_time"],
        json!(0.1)
    );

    // In-place update: one PATCH per resource, with only the changed setting.
    mock.clear_requests();
    tf.write_config(&config(true));
    let plan = tf.plan();
    for case in &cases {
        plan.assert_update(&address(case.resource));
    }
    tf.apply();
    tf.assert_plan_empty();
    let patches = config_patches(&mock);
    assert_eq!(patches.len(), cases.len(), "{}", mock.request_summary());
    let pg_patch = patches
        .iter()
        .find(|p| p["path"].as_str().unwrap().contains(&clusters[0]))
        .unwrap();
    assert_eq!(pg_patch["body"], json!({"config": {"work_mem": 32}}));
    assert_eq!(
        api_config(&mock, &clusters[1])["long_query_time"],
        json!(2.5)
    );
    assert_eq!(
        api_config(&mock, &clusters[4])["log_retention_bytes"],
        json!(-1)
    );

    // Drift: a written setting changed through the API shows in the plan and is set back; an
    // unwritten one changed alongside is never in the diff and never reverted.
    patch_config(
        &mock,
        &clusters[0],
        json!({"work_mem": 64, "deadlock_timeout": 2000}),
    );
    patch_config(
        &mock,
        &clusters[2],
        json!({"redis_timeout": 5, "redis_io_threads": 2}),
    );
    let plan = tf.plan();
    plan.assert_update("dbaas_database_postgresql_config.x");
    plan.assert_update("dbaas_database_redis_config.x");
    assert_eq!(plan.actions("dbaas_database_mongodb_config.x"), ["no-op"]);
    let change = plan.resource_change("dbaas_database_postgresql_config.x");
    assert_eq!(change["change"]["before"]["work_mem"], json!(64));
    assert_eq!(change["change"]["after"]["work_mem"], json!(32));
    assert_eq!(change["change"]["after"]["deadlock_timeout"], json!(2000));
    mock.clear_requests();
    tf.apply();
    tf.assert_plan_empty();
    let bodies: Vec<Value> = config_patches(&mock)
        .into_iter()
        .map(|p| p["body"].clone())
        .collect();
    assert!(
        bodies.contains(&json!({"config": {"work_mem": 32}})),
        "{bodies:?}"
    );
    assert!(
        bodies.contains(&json!({"config": {"redis_timeout": 120}})),
        "{bodies:?}"
    );
    assert_eq!(
        api_config(&mock, &clusters[0])["deadlock_timeout"],
        json!(2000)
    );
    assert_eq!(
        api_config(&mock, &clusters[2])["redis_io_threads"],
        json!(2)
    );

    // Import by cluster ID into a fresh state: the plan is empty for the same configuration.
    for case in &cases {
        tf.state_rm(&address(case.resource));
    }
    for (case, id) in cases.iter().zip(&clusters) {
        tf.import(&address(case.resource), id);
    }
    tf.assert_plan_empty();

    // Destroy forgets the settings: nothing is sent and the cluster keeps them.
    let kept: Vec<Value> = clusters.iter().map(|id| api_config(&mock, id)).collect();
    mock.clear_requests();
    tf.write_config("");
    tf.apply();
    assert!(
        config_patches(&mock).is_empty(),
        "{}",
        mock.request_summary()
    );
    for (id, kept) in clusters.iter().zip(&kept) {
        assert_eq!(&api_config(&mock, id), kept);
    }
}

#[test]
fn bad_inputs_wrong_engines_and_a_new_cluster() {
    let mock = start_mock();
    let tf = Terraform::new(&mock);
    let pg = create_cluster(&mock, "acc-config-pg", "pg", "16", "db-s-1vcpu-1gb", 1);
    let other_pg = create_cluster(&mock, "acc-config-pg-2", "pg", "16", "db-s-1vcpu-1gb", 1);

    // Plan-time checks name the attribute and what is allowed; nothing is sent.
    let bad = [
        (
            "dbaas_database_postgresql_config",
            "work_mem = 0",
            "work_mem",
            "from 1 to 1024",
        ),
        (
            "dbaas_database_postgresql_config",
            "log_error_verbosity = \"LOUD\"",
            "log_error_verbosity",
            "TERSE",
        ),
        (
            "dbaas_database_postgresql_config",
            "pgbouncer {\n  autodb_pool_mode = \"pooled\"\n}",
            "pgbouncer.autodb_pool_mode",
            "session",
        ),
        (
            "dbaas_database_postgresql_config",
            "pg_partman_bgw_role = \"-x\"",
            "pg_partman_bgw_role",
            "pattern",
        ),
        (
            "dbaas_database_mysql_config",
            "sql_mode = \"ansi\"",
            "sql_mode",
            "pattern",
        ),
        (
            "dbaas_database_redis_config",
            "timeout = 1.5",
            "timeout",
            "whole number",
        ),
        (
            "dbaas_database_valkey_config",
            "valkey_maxmemory_policy = \"allkeys-lru\"",
            "valkey_maxmemory_policy",
            "allkeys_lru",
        ),
        (
            "dbaas_database_kafka_config",
            "log_cleaner_min_cleanable_ratio = 0.95",
            "log_cleaner_min_cleanable_ratio",
            "from 0.2 to 0.9",
        ),
        (
            "dbaas_database_opensearch_config",
            "thread_pool_search_size = 500",
            "thread_pool_search_size",
            "from 1 to 128",
        ),
        (
            "dbaas_database_mongodb_config",
            "default_read_concern = \"strong\"",
            "default_read_concern",
            "majority",
        ),
    ];
    mock.clear_requests();
    for (resource, body, attribute, allowed) in bad {
        tf.write_config(&resource_block(resource, &pg, body));
        let error = tf.plan_expect_error();
        error.assert_mentions(&format!("Invalid {attribute}"));
        error.assert_mentions(allowed);
        error.assert_no_backtrace();
    }
    assert!(config_patches(&mock).is_empty());

    // The wrong engine for a known cluster is a plan-time error on cluster_id.
    tf.write_config(&resource_block(
        "dbaas_database_mysql_config",
        &pg,
        "wait_timeout = 600",
    ));
    let error = tf.plan_expect_error();
    error.assert_mentions("Wrong engine for this configuration");
    error.assert_mentions("dbaas_database_postgresql_config");
    tf.write_config(&resource_block(
        "dbaas_database_advanced_postgresql_config",
        &pg,
        "work_mem = 8",
    ));
    tf.plan_expect_error().assert_mentions("advanced_pg");

    // A new cluster_id replaces the resource: the new cluster gets the settings, the old one
    // keeps its own.
    tf.step(&resource_block(
        "dbaas_database_postgresql_config",
        &pg,
        "work_mem = 48",
    ));
    tf.write_config(&resource_block(
        "dbaas_database_postgresql_config",
        &other_pg,
        "work_mem = 48",
    ));
    let plan = tf.plan();
    plan.assert_replace("dbaas_database_postgresql_config.x");
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(api_config(&mock, &other_pg)["work_mem"], json!(48));
    assert_eq!(api_config(&mock, &pg)["work_mem"], json!(48));

    // Importing with a malformed ID or onto the wrong engine says what is expected.
    tf.state_rm("dbaas_database_postgresql_config.x");
    tf.write_config(&resource_block("dbaas_database_mysql_config", &pg, ""));
    let output = tf.run(&[
        "import",
        "-no-color",
        "-input=false",
        "dbaas_database_mysql_config.x",
        &pg,
    ]);
    assert!(!output.success());
    assert!(
        flat(&output.stderr).contains("Wrong engine"),
        "{}",
        output.stderr
    );
    let output = tf.run(&[
        "import",
        "-no-color",
        "-input=false",
        "dbaas_database_mysql_config.x",
        "nope",
    ]);
    assert!(!output.success());
    assert!(flat(&output.stderr).contains("UUID"), "{}", output.stderr);
}

#[test]
fn digitaloceans_parameter_maps_work_on_the_advanced_editions() {
    let mock = start_mock();
    let tf = Terraform::new(&mock);
    let cluster = create_cluster(
        &mock,
        "acc-config-apg",
        "advanced_pg",
        "17",
        "gd-2vcpu-8gb-intel",
        1,
    );
    let address = "dbaas_database_advanced_postgresql_config.x";
    let with = |work_mem: &str| {
        resource_block(
            "dbaas_database_advanced_postgresql_config",
            &cluster,
            &format!(
                "  pg_parameters = {{\n    work_mem = \"{work_mem}\"\n    \"pg_stat_statements.track\" = \"all\"\n    jit = \"false\"\n  }}"
            ),
        )
    };

    // A module written for DigitalOcean's provider: the strings become typed settings.
    let state = tf.step(&with("16"));
    let stored = api_config(&mock, &cluster);
    assert_eq!(stored["work_mem"], json!(16));
    assert_eq!(stored["pg_stat_statements.track"], json!("all"));
    assert_eq!(stored["jit"], json!(false));
    let values = state_values(&state, address);
    assert_eq!(values["pg_parameters"]["work_mem"], json!("16"));
    assert_eq!(values["work_mem"], json!(16), "the typed attribute agrees");

    // In place, with only the changed parameter sent.
    mock.clear_requests();
    tf.write_config(&with("24"));
    tf.plan().assert_update(address);
    tf.apply();
    tf.assert_plan_empty();
    let bodies: Vec<Value> = config_patches(&mock)
        .into_iter()
        .map(|p| p["body"].clone())
        .collect();
    assert_eq!(bodies, [json!({"config": {"work_mem": 24}})]);

    // Drift of a written parameter shows and is set back.
    patch_config(&mock, &cluster, json!({"work_mem": 40}));
    tf.plan().assert_update(address);
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(api_config(&mock, &cluster)["work_mem"], json!(24));

    // Keys and values are checked at plan time.
    tf.write_config(&resource_block(
        "dbaas_database_advanced_postgresql_config",
        &cluster,
        "  pg_parameters = {\n    bogus = \"1\"\n  }",
    ));
    let error = tf.plan_expect_error();
    error.assert_mentions("pg_parameters");
    error.assert_mentions("names no setting");
    tf.write_config(&resource_block(
        "dbaas_database_advanced_postgresql_config",
        &cluster,
        "  pg_parameters = {\n    work_mem = \"9999\"\n  }",
    ));
    tf.plan_expect_error().assert_mentions("from 1 to 1024");
}

#[test]
fn a_cluster_and_its_configuration_in_one_apply() {
    let mock = start_mock();
    let tf = Terraform::new(&mock);
    // cluster_id and a setting are unknown at plan time: nothing is checked until they are
    // known, and the configuration waits for the cluster.
    let cluster = support::cluster::ClusterHcl::new("acc-config-new", "pg")
        .set_str("version", "16")
        .render();
    let config = format!(
        "{cluster}\nresource \"dbaas_database_postgresql_config\" \"x\" {{\n  cluster_id = dbaas_database_cluster.x.id\n  work_mem   = length(dbaas_database_cluster.x.id) > 0 ? 16 : 0\n  jit        = false\n}}\n"
    );
    tf.write_config(&config);
    let plan = tf.plan();
    assert_eq!(
        plan.actions("dbaas_database_postgresql_config.x"),
        ["create"]
    );
    assert!(plan.is_unknown("dbaas_database_postgresql_config.x", "work_mem"));
    assert!(plan.is_unknown("dbaas_database_postgresql_config.x", "deadlock_timeout"));
    tf.apply();
    tf.assert_plan_empty();
    let state = tf.show_state();
    let values = state_values(&state, "dbaas_database_postgresql_config.x");
    let cluster_id = values["cluster_id"].as_str().unwrap().to_string();
    assert_eq!(api_config(&mock, &cluster_id)["work_mem"], json!(16));
    assert_eq!(values["jit"], json!(false));
    tf.destroy();
}
