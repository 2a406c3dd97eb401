//! Acceptance tests for `dbaas_database_user` and the `dbaas_database_user` and
//! `dbaas_database_connection_pool` data sources: the real Terraform CLI against `dbaas-mock`.
//! Every test starts its own emulator and Terraform directory.

mod support;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use support::cluster::{str_attr, ClusterHcl, MYSQL_VERSION, PG_NEWER};
use support::terraform::{state_resource, state_resource_count, state_values, TEST_PROVIDER_BLOCK};
use support::text::hcl_string;
use support::{Mock, Terraform};

const USER: &str = "dbaas_database_user.x";
const CLUSTER: &str = "dbaas_database_cluster.x";

fn kafka_cluster() -> String {
    ClusterHcl::new("acc-user-kafka", "kafka")
        .set_str("version", "3.8")
        .set_str("size", "gd-2vcpu-8gb")
        .set("node_count", "3")
        .render()
}

fn mysql_cluster() -> String {
    ClusterHcl::new("acc-user-mysql", "mysql")
        .set_str("version", MYSQL_VERSION)
        .render()
}

fn pg_cluster() -> String {
    ClusterHcl::new("acc-user-pg", "pg")
        .set_str("version", PG_NEWER)
        .render()
}

fn lit(text: &str) -> String {
    hcl_string(text)
}

/// A `dbaas_database_user.<label>` on `dbaas_database_cluster.x`, with extra lines (attributes
/// or blocks) in its body.
fn user_block(label: &str, name: &str, body: &str) -> String {
    format!(
        "resource \"dbaas_database_user\" \"{label}\" {{\n  cluster_id = {CLUSTER}.id\n  name       = {}\n{body}\n}}\n",
        lit(name)
    )
}

fn acl(topic: &str, permission: &str) -> String {
    format!(
        "    acl {{\n      topic      = {}\n      permission = {}\n    }}\n",
        lit(topic),
        lit(permission)
    )
}

fn settings(inner: &str) -> String {
    format!("  settings {{\n{inner}  }}\n")
}

/// The emulator's users of a cluster, as the API shows them (secrets included: never print).
fn stored_user(mock: &Mock, cluster_id: &str, name: &str) -> Option<Value> {
    mock.stored_child(cluster_id, "users", name)
}

/// The `(topic, permission)` pairs of a stored or planned ACL list.
fn acl_pairs(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|acl| {
            (
                acl["topic"].as_str().unwrap_or_default().to_string(),
                acl["permission"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(t, p)| (t.to_string(), p.to_string()))
        .collect()
}

#[test]
fn kafka_user_lifecycle_settings_drift_replace_import_destroy() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);

    // Create the cluster and a user with one ACL in one apply.
    let one_acl = settings(&acl("events-.*", "produce"));
    tf.write_config(&format!(
        "{}\n{}",
        kafka_cluster(),
        user_block("x", "acc-user", &one_acl)
    ));
    let plan = tf.plan();
    assert_eq!(plan.actions(USER), ["create"], "{}", plan.stdout);
    tf.apply();
    tf.assert_plan_empty();
    let state = tf.show_state();
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    let values = state_values(&state, USER).clone();
    assert_eq!(str_attr(&values, "id"), format!("{cluster_id},acc-user"));
    assert_eq!(str_attr(&values, "role"), "normal");
    assert!(!str_attr(&values, "password").is_empty());
    assert!(str_attr(&values, "access_cert").starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(!str_attr(&values, "access_key").is_empty());
    assert_eq!(values["mysql_auth_plugin"], Value::Null);
    let stored = stored_user(&mock, &cluster_id, "acc-user").expect("the user exists");
    assert_eq!(
        acl_pairs(&stored["settings"]["acl"]),
        pairs(&[("events-.*", "produce")])
    );

    // Settings change in place with one PUT; the password stays known in the plan.
    mock.clear_requests();
    let two_acls = settings(&format!(
        "{}{}",
        acl("events-.*", "produceconsume"),
        acl("audit", "consume")
    ));
    tf.write_config(&format!(
        "{}\n{}",
        kafka_cluster(),
        user_block("x", "acc-user", &two_acls)
    ));
    let plan = tf.plan();
    plan.assert_update(USER);
    for attribute in ["password", "access_cert", "role"] {
        assert!(
            !plan.is_unknown(USER, attribute),
            "{attribute} became unknown"
        );
    }
    tf.apply();
    tf.assert_plan_empty();
    let puts = mock.requests_to("PUT", "/users/acc-user");
    assert_eq!(puts.len(), 1, "{}", mock.request_summary());
    assert!(mock.requests_to("POST", "/users").is_empty());
    let stored = stored_user(&mock, &cluster_id, "acc-user").unwrap();
    assert_eq!(
        acl_pairs(&stored["settings"]["acl"]),
        pairs(&[("events-.*", "produceconsume"), ("audit", "consume")])
    );

    // A change made by another API client shows up as drift and is undone in place.
    let (status, _) = mock.v2(
        Method::PUT,
        &format!("/v2/databases/{cluster_id}/users/acc-user"),
        Some(json!({"settings": {"acl": [{"topic": ".*", "permission": "admin"}]}})),
    );
    assert_eq!(status, StatusCode::CREATED);
    let plan = tf.plan();
    assert!(
        plan.has_changes,
        "out-of-band changes must show as drift:\n{}",
        plan.stdout
    );
    plan.assert_update(USER);
    tf.apply();
    tf.assert_plan_empty();
    let stored = stored_user(&mock, &cluster_id, "acc-user").unwrap();
    assert_eq!(
        acl_pairs(&stored["settings"]["acl"]),
        pairs(&[("events-.*", "produceconsume"), ("audit", "consume")])
    );

    // Removing the block removes the ACLs.
    tf.write_config(&format!(
        "{}\n{}",
        kafka_cluster(),
        user_block("x", "acc-user", "")
    ));
    tf.plan().assert_update(USER);
    tf.apply();
    tf.assert_plan_empty();
    let stored = stored_user(&mock, &cluster_id, "acc-user").unwrap();
    assert!(acl_pairs(&stored["settings"]["acl"]).is_empty());

    // A new name is a new user.
    tf.write_config(&format!(
        "{}\n{}",
        kafka_cluster(),
        user_block("x", "acc-user-2", &two_acls)
    ));
    tf.plan().assert_replace(USER);
    tf.apply();
    tf.assert_plan_empty();
    assert!(stored_user(&mock, &cluster_id, "acc-user").is_none());
    assert!(stored_user(&mock, &cluster_id, "acc-user-2").is_some());

    // Import into a fresh state, then nothing to do.
    let before = state_values(&tf.show_state(), USER).clone();
    tf.state_rm(USER);
    assert!(state_resource(&tf.show_state(), USER).is_none());
    tf.import(USER, &format!("{cluster_id},acc-user-2"));
    tf.assert_plan_empty();
    let imported = state_values(&tf.show_state(), USER).clone();
    for attribute in [
        "id",
        "cluster_id",
        "name",
        "role",
        "password",
        "access_cert",
        "access_key",
        "mysql_auth_plugin",
        "settings",
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
fn mysql_auth_plugin_changes_in_place_and_data_sources_read_what_resources_made() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);

    let native = "  mysql_auth_plugin = \"mysql_native_password\"\n";
    let reader = format!(
        "data \"dbaas_database_user\" \"x\" {{\n  cluster_id = {USER}.cluster_id\n  name       = {USER}.name\n}}\n"
    );
    tf.write_config(&format!(
        "{}\n{}\n{reader}",
        mysql_cluster(),
        user_block("x", "acc-app", native)
    ));
    tf.apply();
    tf.assert_plan_empty();
    let state = tf.show_state();
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    let values = state_values(&state, USER).clone();
    assert_eq!(
        str_attr(&values, "mysql_auth_plugin"),
        "mysql_native_password"
    );
    let stored = stored_user(&mock, &cluster_id, "acc-app").unwrap();
    assert_eq!(
        stored["mysql_settings"]["auth_plugin"],
        "mysql_native_password"
    );
    let read = state_values(&state, "data.dbaas_database_user.x");
    for attribute in ["id", "role", "password", "mysql_auth_plugin"] {
        assert_eq!(read[attribute], values[attribute], "{attribute}");
    }
    assert_eq!(read["settings"], json!([]));

    // Removing the plugin returns the user to the default, in place through reset_auth,
    // which also issues a new password.
    mock.clear_requests();
    tf.write_config(&format!(
        "{}\n{}\n{reader}",
        mysql_cluster(),
        user_block("x", "acc-app", "")
    ));
    let plan = tf.plan();
    plan.assert_update(USER);
    assert_eq!(
        plan.planned(USER, "mysql_auth_plugin"),
        json!("caching_sha2_password")
    );
    assert!(plan.is_unknown(USER, "password"));
    tf.apply();
    tf.assert_plan_empty();
    let resets = mock.requests_to("POST", "/users/acc-app/reset_auth");
    assert_eq!(resets.len(), 1, "{}", mock.request_summary());
    assert_eq!(
        resets[0]["body"],
        json!({"mysql_settings": {"auth_plugin": "caching_sha2_password"}})
    );
    let state = tf.show_state();
    let after = state_values(&state, USER);
    assert_ne!(after["password"], values["password"], "a new password");
    assert_eq!(
        state_values(&state, "data.dbaas_database_user.x")["password"],
        after["password"]
    );

    // Back to the native plugin, in place again.
    tf.write_config(&format!(
        "{}\n{}\n{reader}",
        mysql_cluster(),
        user_block("x", "acc-app", native)
    ));
    tf.plan().assert_update(USER);
    tf.apply();
    tf.assert_plan_empty();
    let stored = stored_user(&mock, &cluster_id, "acc-app").unwrap();
    assert_eq!(
        stored["mysql_settings"]["auth_plugin"],
        "mysql_native_password"
    );

    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}

#[test]
fn postgres_replication_drift_shows_and_the_pool_data_source_reads_the_pool() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let replication = settings("    pg_allow_replication = true\n");
    let pool = format!(
        "resource \"dbaas_database_connection_pool\" \"x\" {{\n  cluster_id = {CLUSTER}.id\n  name       = \"acc-pool\"\n  mode       = \"transaction\"\n  size       = 5\n  db_name    = \"defaultdb\"\n  user       = {USER}.name\n}}\n\
         data \"dbaas_database_connection_pool\" \"x\" {{\n  cluster_id = dbaas_database_connection_pool.x.cluster_id\n  name       = dbaas_database_connection_pool.x.name\n}}\n"
    );
    let config = format!(
        "{}\n{}\n{pool}",
        pg_cluster(),
        user_block("x", "acc-replicator", &replication)
    );
    let state = tf.step(&config);
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    let stored = stored_user(&mock, &cluster_id, "acc-replicator").unwrap();
    assert_eq!(stored["settings"]["pg_allow_replication"], true);
    let resource = state_values(&state, "dbaas_database_connection_pool.x");
    let read = state_values(&state, "data.dbaas_database_connection_pool.x");
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
        "private_uri",
    ] {
        assert_eq!(read[attribute], resource[attribute], "{attribute}");
    }
    assert_eq!(read["user"], "acc-replicator");

    // Replication revoked by someone else: the next plan grants it again.
    let (status, _) = mock.v2(
        Method::PUT,
        &format!("/v2/databases/{cluster_id}/users/acc-replicator"),
        Some(json!({"settings": {"pg_allow_replication": false}})),
    );
    assert_eq!(status, StatusCode::CREATED);
    let plan = tf.plan();
    plan.assert_update(USER);
    tf.apply();
    tf.assert_plan_empty();
    let stored = stored_user(&mock, &cluster_id, "acc-replicator").unwrap();
    assert_eq!(stored["settings"]["pg_allow_replication"], true);

    // Replication granted to a user whose configuration has no settings shows as drift too.
    let plain = format!(
        "{}\n{}\n{}",
        pg_cluster(),
        user_block("x", "acc-replicator", ""),
        user_block("other", "acc-other", "")
    );
    tf.step(&format!("{plain}\n{pool}"));
    let (status, _) = mock.v2(
        Method::PUT,
        &format!("/v2/databases/{cluster_id}/users/acc-other"),
        Some(json!({"settings": {"pg_allow_replication": true}})),
    );
    assert_eq!(status, StatusCode::CREATED);
    let plan = tf.plan();
    plan.assert_update("dbaas_database_user.other");
    tf.apply();
    tf.assert_plan_empty();
    let stored = stored_user(&mock, &cluster_id, "acc-other").unwrap();
    assert_eq!(stored["settings"]["pg_allow_replication"], false);

    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}

#[test]
fn secrets_out_of_state_keep_the_password_out_of_the_state_file() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let provider = TEST_PROVIDER_BLOCK.replacen(
        "provider \"dbaas\" {\n",
        "provider \"dbaas\" {\n  secrets_in_state    = false\n",
        1,
    );
    let reader = format!(
        "data \"dbaas_database_user\" \"x\" {{\n  cluster_id = {USER}.cluster_id\n  name       = {USER}.name\n}}\n"
    );
    tf.write_config_raw(&format!(
        "{provider}\n{}\n{}\n{reader}",
        pg_cluster(),
        user_block("x", "acc-secret", "")
    ));
    tf.apply();
    tf.assert_plan_empty();
    let state = tf.show_state();
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    let password = stored_user(&mock, &cluster_id, "acc-secret").unwrap()["password"]
        .as_str()
        .expect("the emulator gave the user a password")
        .to_string();
    let text = std::fs::read_to_string(tf.dir().join("terraform.tfstate")).unwrap();
    assert!(
        !text.contains(&password),
        "the user's password is in terraform.tfstate"
    );
    for address in [USER, "data.dbaas_database_user.x"] {
        let values = state_values(&state, address);
        assert_eq!(values["password"], Value::Null, "{address}");
        assert_eq!(values["role"], "normal", "{address}: the rest stays");
    }
    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}

#[test]
fn bad_inputs_fail_at_plan_naming_the_attribute() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let cluster = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";
    let user = |name: &str, body: &str| {
        format!(
            "resource \"dbaas_database_user\" \"x\" {{\n  cluster_id = {}\n  name       = {}\n{body}\n}}\n",
            lit(cluster),
            lit(name)
        )
    };
    let cases: Vec<(&str, String)> = vec![
        ("name", user("has space", "")),
        ("name", user("a/b", "")),
        ("name", user(&"u".repeat(64), "")),
        (
            "mysql_auth_plugin",
            user("app", "  mysql_auth_plugin = \"sha256_password\"\n"),
        ),
        (
            "settings.acl.permission",
            user("app", &settings(&acl("events", "write"))),
        ),
        (
            "settings.acl[1].topic",
            user(
                "app",
                &settings(&format!("{}{}", acl("events", "admin"), acl(" ", "admin"))),
            ),
        ),
        (
            "settings.opensearch_acl.permission",
            user(
                "app",
                &settings(
                    "    opensearch_acl {\n      index      = \"logs-*\"\n      permission = \"all\"\n    }\n",
                ),
            ),
        ),
        (
            "settings.mongo_user_settings.role",
            user(
                "app",
                &settings("    mongo_user_settings {\n      role = \"root\"\n    }\n"),
            ),
        ),
    ];
    for (attribute, config) in cases {
        tf.write_config(&config);
        let error = tf.plan_expect_error();
        error.assert_mentions(&format!("Invalid {attribute}"));
        error.assert_mentions(&format!("`{attribute}`"));
        error.assert_no_backtrace();
    }
    tf.write_config(
        "resource \"dbaas_database_user\" \"x\" {\n  cluster_id = \"nope\"\n  name = \"app\"\n}\n",
    );
    tf.plan_expect_error().assert_mentions("`cluster_id`");

    // Settings for another engine than the cluster's, once the cluster is known.
    let state = tf.step(&pg_cluster());
    let pg_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    for (attribute, body) in [
        ("settings.acl", settings(&acl("events", "admin"))),
        (
            "mysql_auth_plugin",
            "  mysql_auth_plugin = \"mysql_native_password\"\n".to_string(),
        ),
    ] {
        tf.write_config(&format!(
            "{}\n{}",
            pg_cluster(),
            user_block("x", "acc-app", &body)
        ));
        let error = tf.plan_expect_error();
        error.assert_mentions(&format!("`{attribute}` is for"));
        error.assert_mentions(&pg_id);
        error.assert_no_backtrace();
    }
    assert!(mock.requests_to("POST", "/users").is_empty());

    // A user is fine on PostgreSQL; the same setting added later is refused at plan time too.
    tf.step(&format!(
        "{}\n{}",
        pg_cluster(),
        user_block("x", "acc-app", "")
    ));
    tf.write_config(&format!(
        "{}\n{}",
        pg_cluster(),
        user_block("x", "acc-app", &settings(&acl("events", "admin")))
    ));
    tf.plan_expect_error()
        .assert_mentions("`settings.acl` is for");
    tf.write_config(&pg_cluster());
    tf.destroy();

    // Malformed import IDs say what is expected.
    tf.write_config(&user("app", ""));
    let output = tf.run(&["import", "-no-color", "-input=false", USER, "app"]);
    assert!(!output.success());
    assert!(
        support::text::flatten(&output.stderr).contains("joined by a comma"),
        "{}",
        output.stderr
    );
}

#[test]
fn a_cache_cluster_has_no_users() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    // Valkey: new Caching (`redis`) clusters are refused since 2025-04-30.
    let redis = ClusterHcl::new("acc-user-valkey", "valkey")
        .set_str("version", "8")
        .render();
    let state = tf.step(&redis);
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    tf.write_config(&format!("{redis}\n{}", user_block("x", "acc-app", "")));
    let error = tf.plan_expect_error();
    error.assert_mentions("cluster_id");
    error.assert_mentions(&cluster_id);
    error.assert_mentions("Redis and Valkey clusters have only");
    assert!(mock.requests_to("POST", "/users").is_empty());
    tf.write_config(&redis);
    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}

#[test]
fn an_existing_user_is_not_taken_over_silently_and_a_deleted_one_comes_back() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let state = tf.step(&pg_cluster());
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    let (status, _) = mock.v2(
        Method::POST,
        &format!("/v2/databases/{cluster_id}/users"),
        Some(json!({"name": "acc-app"})),
    );
    assert_eq!(status, StatusCode::CREATED);

    let config = format!("{}\n{}", pg_cluster(), user_block("x", "acc-app", ""));
    tf.write_config(&config);
    let error = tf.apply_expect_error();
    error.assert_mentions("already has a database user named \"acc-app\"");
    error.assert_mentions(&format!("terraform import <address> {cluster_id},acc-app"));
    error.assert_no_backtrace();

    tf.import(USER, &format!("{cluster_id},acc-app"));
    tf.assert_plan_empty();

    // Deleted by someone else: planned for creation again.
    let (status, _) = mock.v2(
        Method::DELETE,
        &format!("/v2/databases/{cluster_id}/users/acc-app"),
        None,
    );
    assert_eq!(status, StatusCode::NO_CONTENT);
    let plan = tf.plan();
    assert_eq!(plan.actions(USER), ["create"], "{}", plan.stdout);
    tf.apply();
    tf.assert_plan_empty();
    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}

#[test]
fn opensearch_and_mongodb_settings_change_in_place() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let opensearch = ClusterHcl::new("acc-user-search", "opensearch")
        .set_str("version", "2")
        .set_str("size", "db-s-1vcpu-2gb")
        .render();
    let mongo = ClusterHcl::new("acc-user-mongo", "mongodb")
        .set_str("version", "7.0")
        .render()
        .replace("\"x\"", "\"m\"");
    let search_acl = |permission: &str| {
        settings(&format!(
            "    opensearch_acl {{\n      index      = \"logs-*\"\n      permission = {}\n    }}\n",
            lit(permission)
        ))
    };
    let mongo_user = |role: &str| {
        format!(
            "resource \"dbaas_database_user\" \"m\" {{\n  cluster_id = dbaas_database_cluster.m.id\n  name       = \"acc-mongo\"\n{}}}\n",
            settings(&format!(
                "    mongo_user_settings {{\n      databases = [\"admin\"]\n      role      = {}\n    }}\n",
                lit(role)
            ))
        )
    };
    let config = |permission: &str, role: &str| {
        format!(
            "{opensearch}\n{mongo}\n{}\n{}",
            user_block("x", "acc-search", &search_acl(permission)),
            mongo_user(role)
        )
    };
    let state = tf.step(&config("read", "readOnly"));
    let search_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    let mongo_id = str_attr(state_values(&state, "dbaas_database_cluster.m"), "id").to_string();
    let stored = stored_user(&mock, &search_id, "acc-search").unwrap();
    assert_eq!(
        stored["settings"]["opensearch_acl"],
        json!([{"index": "logs-*", "permission": "read"}])
    );
    let stored = stored_user(&mock, &mongo_id, "acc-mongo").unwrap();
    assert_eq!(
        stored["settings"]["mongo_user_settings"],
        json!({"databases": ["admin"], "role": "readOnly"})
    );

    tf.write_config(&config("readwrite", "readWrite"));
    let plan = tf.plan();
    plan.assert_update(USER);
    plan.assert_update("dbaas_database_user.m");
    tf.apply();
    tf.assert_plan_empty();
    let stored = stored_user(&mock, &search_id, "acc-search").unwrap();
    assert_eq!(
        stored["settings"]["opensearch_acl"][0]["permission"],
        "readwrite"
    );
    let stored = stored_user(&mock, &mongo_id, "acc-mongo").unwrap();
    assert_eq!(
        stored["settings"]["mongo_user_settings"]["role"],
        "readWrite"
    );

    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}
