//! Acceptance tests for the Uncloud platform's types — `dbaas_uncloud_database` (resource
//! and data source) and the ephemeral `dbaas_uncloud_database_credentials` — with the real
//! Terraform CLI against dbaas-mock's `/api/v1/databases`. The harness sets `UNCLOUD_API_URL`
//! and `UNCLOUD_TOKEN` to the emulator next to the DigitalOcean settings.

mod support;

use std::fs;

use reqwest::Method;
use serde_json::{json, Value};

use support::cluster::{int_attr, str_attr};
use support::terraform::{state_resource, state_resource_count, state_values};
use support::{Mock, Terraform};

const DB: &str = "dbaas_uncloud_database.x";

/// `dbaas_uncloud_database.<label>` with the given attribute lines.
fn database(label: &str, attributes: &str) -> String {
    format!("resource \"dbaas_uncloud_database\" \"{label}\" {{\n{attributes}\n}}\n")
}

fn orders(extra: &str) -> String {
    database(
        "x",
        &format!(
            "  name    = \"acc-orders\"\n  db_type = \"postgresql\"\n  plan_id = \"db-s-1vcpu-1gb\"\n  region  = \"nyc1\"\n{extra}"
        ),
    )
}

/// The emulator's databases as `GET /api/v1/databases` lists them, destroyed ones left out.
fn live_databases(mock: &Mock) -> Vec<Value> {
    let (status, body) = mock.v2(Method::GET, "/api/v1/databases", None);
    assert!(status.is_success(), "listing answered {status}: {body}");
    body.as_array()
        .expect("a bare array")
        .iter()
        .filter(|db| db["status"] != "destroyed")
        .cloned()
        .collect()
}

fn requests(mock: &Mock, method: &str, path: &str) -> usize {
    mock.requests()
        .iter()
        .filter(|r| r["method"] == method && r["path"] == path)
        .count()
}

#[test]
fn database_lifecycle_create_protect_replace_import_destroy() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);

    tf.write_config(&orders(""));
    let plan = tf.plan();
    assert_eq!(plan.actions(DB), ["create"], "{}", plan.stdout);
    assert_eq!(
        plan.planned(DB, "storage_gb"),
        json!(10),
        "the default is planned"
    );
    assert_eq!(plan.planned(DB, "replicas"), json!(1));
    assert!(
        plan.is_unknown(DB, "version"),
        "the platform picks the version"
    );
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(
        requests(&mock, "POST", "/api/v1/databases"),
        1,
        "one create"
    );

    let state = tf.show_state();
    let values = state_values(&state, DB).clone();
    let first_id = str_attr(&values, "id").to_string();
    assert!(first_id.starts_with("db_"), "{first_id}");
    assert_eq!(str_attr(&values, "status"), "running", "the apply waited");
    assert_eq!(str_attr(&values, "version"), "16", "the newest PostgreSQL");
    assert_eq!(str_attr(&values, "project_id"), "proj_default");
    assert_eq!(str_attr(&values, "slug"), "acc-orders");
    assert_eq!(int_attr(&values, "port"), 5432);
    assert_eq!(str_attr(&values, "ssl_mode"), "require");
    let password = str_attr(&values, "password").to_string();
    assert!(password.len() >= 16, "a real password");
    let uri = str_attr(&values, "connection_string");
    assert!(
        uri.starts_with("postgresql://") && uri.contains(&format!(":{password}@")),
        "the connection string carries the password"
    );
    let credentials = mock
        .v2(
            Method::GET,
            &format!("/api/v1/databases/{first_id}/credentials"),
            None,
        )
        .1;
    assert_eq!(
        credentials["password"],
        password.as_str(),
        "what the platform reports"
    );
    assert_eq!(credentials["host"], values["host"]);

    // deletion_protection changes in place and refuses destroy and replacement at plan time.
    tf.write_config(&orders("  deletion_protection = true\n"));
    let plan = tf.plan();
    plan.assert_update(DB);
    tf.apply();
    tf.assert_plan_empty();
    tf.write_config(&orders("  deletion_protection = true\n  storage_gb = 20\n"));
    let refused = tf.plan_expect_error();
    refused.assert_mentions("protected from deletion");
    refused.assert_mentions("storage_gb");
    let refused = tf.run(&["destroy", "-auto-approve", "-no-color"]);
    assert!(!refused.success(), "a protected database is not destroyed");
    assert!(
        refused.stderr.contains("deletion_protection"),
        "{}",
        refused.stderr
    );
    assert_eq!(live_databases(&mock).len(), 1, "nothing was deleted");

    // Protection off first (in place), as the error says; then any argument change replaces,
    // the platform having no update.
    tf.write_config(&orders(""));
    tf.plan().assert_update(DB);
    tf.apply();
    tf.assert_plan_empty();
    tf.write_config(&orders("  storage_gb = 20\n"));
    let plan = tf.plan();
    plan.assert_replace(DB);
    tf.apply();
    tf.assert_plan_empty();
    let state = tf.show_state();
    let values = state_values(&state, DB).clone();
    let second_id = str_attr(&values, "id").to_string();
    assert_ne!(second_id, first_id, "a new database");
    assert_eq!(int_attr(&values, "storage_gb"), 20);
    let (status, _) = mock.v2(Method::GET, &format!("/api/v1/databases/{first_id}"), None);
    assert!(
        status == reqwest::StatusCode::NOT_FOUND
            || mock
                .v2(Method::GET, &format!("/api/v1/databases/{first_id}"), None)
                .1["status"]
                == "destroyed",
        "the replaced database is gone"
    );
    let live = live_databases(&mock);
    assert_eq!(live.len(), 1, "{live:?}");
    assert_eq!(live[0]["storage_gb"], 20);

    // Import: the same state, and an empty plan.
    tf.state_rm(DB);
    tf.import(DB, &second_id);
    tf.assert_plan_empty();
    let imported = tf.show_state();
    assert_eq!(state_values(&imported, DB)["password"], values["password"]);
    assert_eq!(state_values(&imported, DB)["storage_gb"], json!(20));

    tf.destroy();
    assert!(live_databases(&mock).is_empty(), "the emulator is empty");
    assert_eq!(state_resource_count(&tf.show_state()), 0);
}

#[test]
fn every_engine_reports_its_own_connection() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let engines = [
        ("pg", "postgresql", 5432, "postgresql://"),
        ("my", "mysql", 3306, "mysql://"),
        ("cache", "redis", 6379, "redis://"),
        ("docs", "mongodb", 27017, "mongodb://"),
    ];
    let config: String = engines
        .iter()
        .map(|(label, db_type, _, _)| {
            database(
                label,
                &format!(
                    "  name = \"acc-{label}\"\n  db_type = \"{db_type}\"\n  plan_id = \"db-s-1vcpu-2gb\"\n  region = \"fra1\"\n  replicas = 2"
                ),
            )
        })
        .collect();
    tf.write_config(&config);
    tf.apply();
    tf.assert_plan_empty();
    let state = tf.show_state();
    for (label, db_type, port, scheme) in engines {
        let values = state_values(&state, &format!("dbaas_uncloud_database.{label}"));
        assert_eq!(int_attr(values, "port"), port, "{db_type}");
        assert!(
            str_attr(values, "connection_string").starts_with(scheme),
            "{db_type}"
        );
        assert_eq!(int_attr(values, "replicas"), 2);
        if db_type == "redis" {
            assert_eq!(values["username"], Value::Null, "Redis has no username");
            assert_eq!(values["database"], Value::Null, "Redis has no database");
        } else {
            assert!(!str_attr(values, "username").is_empty(), "{db_type}");
            assert!(!str_attr(values, "database").is_empty(), "{db_type}");
        }
    }
    tf.destroy();
    assert!(live_databases(&mock).is_empty());
}

#[test]
fn a_failed_provisioning_is_kept_tainted_with_the_platforms_message_then_replaced() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    mock.add_fault(json!({"method": "POST", "path": "/api/v1/databases", "kind": "provisioning_fails", "count": 1}));
    tf.write_config(&orders(""));
    let failed = tf.apply_expect_error();
    failed.assert_mentions("failed to provision");
    failed.assert_mentions("the database pods did not become ready");
    failed.assert_no_backtrace();
    let state = tf.state_file();
    let instance = &state["resources"][0]["instances"][0];
    assert_eq!(instance["status"], "tainted", "kept in state: {instance}");
    let failed_id = instance["attributes"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        live_databases(&mock).len(),
        1,
        "nothing orphaned: the failed one is known"
    );

    let plan = tf.plan();
    plan.assert_replace(DB);
    tf.apply();
    tf.assert_plan_empty();
    let live = live_databases(&mock);
    assert_eq!(live.len(), 1, "the failed database was deleted: {live:?}");
    assert_ne!(live[0]["id"], failed_id.as_str());
    assert_eq!(live[0]["status"], "running");
}

#[test]
fn a_stuck_database_ends_at_the_create_timeout_and_stays_in_state() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    mock.add_fault(
        json!({"method": "POST", "path": "/api/v1/databases", "kind": "never_online", "count": 1}),
    );
    tf.write_config(&orders("  timeouts {\n    create = \"3s\"\n  }\n"));
    let failed = tf.apply_expect_error();
    failed.assert_mentions("not running yet");
    failed.assert_mentions("provisioning");
    let state = tf.state_file();
    assert_eq!(state["resources"][0]["instances"][0]["status"], "tainted");
    tf.destroy();
    assert!(
        live_databases(&mock).is_empty(),
        "destroy removed the stuck database"
    );
}

#[test]
fn bad_arguments_are_refused_at_plan_time_naming_the_attribute() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let cases = [
        ("name", "name = \"not a name\""),
        ("db_type", "db_type = \"postgres\""),
        ("version", "version = \"9.6\""),
        ("plan_id", "plan_id = \"large\""),
        ("region", "region = \"New York\""),
        ("storage_gb", "storage_gb = 0"),
        ("replicas", "replicas = 6"),
        ("project_id", "project_id = \"default\""),
    ];
    for (attribute, line) in cases {
        let mut attributes = vec![
            ("name", "name = \"acc-bad\"".to_string()),
            ("db_type", "db_type = \"postgresql\"".to_string()),
            ("plan_id", "plan_id = \"db-s-1vcpu-1gb\"".to_string()),
            ("region", "region = \"nyc1\"".to_string()),
        ];
        match attributes.iter_mut().find(|(name, _)| *name == attribute) {
            Some(entry) => entry.1 = line.to_string(),
            None => attributes.push((attribute, line.to_string())),
        }
        let body: Vec<String> = attributes
            .into_iter()
            .map(|(_, l)| format!("  {l}"))
            .collect();
        tf.write_config(&database("x", &body.join("\n")));
        let refused = tf.plan_expect_error();
        refused.assert_mentions(&format!("Invalid {attribute}"));
        refused.assert_no_backtrace();
    }
    assert_eq!(mock.requests().len(), 0, "nothing reached the platform");
}

#[test]
fn a_name_already_used_is_a_plan_error_with_the_import_command() {
    let mock = Mock::start(&["--provision-delay-ms", "0"]);
    let (status, created) = mock.v2(
        Method::POST,
        "/api/v1/databases",
        Some(json!({"name": "acc-orders", "db_type": "postgresql", "plan_id": "db-s-1vcpu-1gb", "region": "nyc1"})),
    );
    assert_eq!(status.as_u16(), 201, "{created}");
    let id = created["id"].as_str().unwrap();
    let tf = Terraform::new(&mock);
    tf.write_config(&orders(""));
    let refused = tf.plan_expect_error();
    refused.assert_mentions("name already used");
    refused.assert_mentions(&format!("terraform import <address> {id}"));
    tf.import(DB, id);
    tf.assert_plan_empty();
}

#[test]
fn the_platforms_settings_are_independent() {
    let mock = Mock::start(&[]);

    // The Uncloud platform alone: no DigitalOcean token anywhere.
    let mut uncloud_only = Terraform::new(&mock);
    uncloud_only.unset_env("DBAAS_TOKEN");
    uncloud_only.write_config(&orders(""));
    uncloud_only.apply();
    uncloud_only.assert_plan_empty();
    // ... and a DigitalOcean type in that configuration names the missing token.
    uncloud_only.write_config(&format!(
        "{}\ndata \"dbaas_database_options\" \"all\" {{}}\n",
        orders("")
    ));
    let refused = uncloud_only.plan_expect_error();
    refused.assert_mentions("Missing API token");
    refused.assert_mentions("DBAAS_TOKEN");
    uncloud_only.write_config(&orders(""));
    uncloud_only.destroy();

    // DigitalOcean alone: the Uncloud settings are not needed...
    let mut do_only = Terraform::new(&mock);
    do_only.unset_env("UNCLOUD_API_URL");
    do_only.unset_env("UNCLOUD_TOKEN");
    do_only.write_config("data \"dbaas_database_options\" \"all\" {}\n");
    do_only.apply();
    // ... until an Uncloud type is planned, which names what is missing.
    do_only.write_config(&orders(""));
    let refused = do_only.plan_expect_error();
    refused.assert_mentions("Missing Uncloud settings");
    refused.assert_mentions("UNCLOUD_API_URL");
    refused.assert_mentions("uncloud_token");
    do_only.set_env("UNCLOUD_API_URL", mock.url());
    let refused = do_only.plan_expect_error();
    refused.assert_mentions("Missing uncloud_token");

    // A wrong token is the platform's 401, reported as such.
    do_only.set_env("UNCLOUD_TOKEN", "dkc_wrong");
    let refused = do_only.plan_expect_error();
    refused.assert_mentions("refused the token");
    refused.assert_mentions("UNCLOUD_TOKEN");
    assert!(live_databases(&mock).is_empty());
}

#[test]
fn data_source_and_ephemeral_credentials_read_what_the_resource_made() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    tf.write_config(&orders(""));
    tf.apply();
    let state = tf.show_state();
    let id = str_attr(state_values(&state, DB), "id").to_string();
    let password = str_attr(state_values(&state, DB), "password").to_string();

    let readers = format!(
        "{}\ndata \"dbaas_uncloud_database\" \"by_name\" {{\n  name = dbaas_uncloud_database.x.name\n}}\n\
         data \"dbaas_uncloud_database\" \"by_id\" {{\n  id = \"{id}\"\n}}\n",
        orders("")
    );
    tf.write_config(&readers);
    tf.apply();
    tf.assert_plan_empty();
    let state = tf.show_state();
    for address in [
        "data.dbaas_uncloud_database.by_name",
        "data.dbaas_uncloud_database.by_id",
    ] {
        let values = state_values(&state, address);
        assert_eq!(str_attr(values, "id"), id, "{address}");
        assert_eq!(str_attr(values, "name"), "acc-orders");
        assert_eq!(str_attr(values, "status"), "running");
        assert_eq!(str_attr(values, "password"), password);
    }

    tf.write_config(&format!(
        "{}\ndata \"dbaas_uncloud_database\" \"missing\" {{\n  name = \"acc-nothing\"\n}}\n",
        orders("")
    ));
    tf.plan_expect_error()
        .assert_mentions("no database named \"acc-nothing\"");

    if !tf.version_at_least((1, 10)) {
        return;
    }
    tf.write_config(&format!(
        r#"{}
ephemeral "dbaas_uncloud_database_credentials" "c" {{
  database_id = dbaas_uncloud_database.x.id
}}

resource "terraform_data" "use" {{
  provisioner "local-exec" {{
    command     = "printf '%s\n%s\n' \"$PASSWORD\" \"$URI\" > credentials.txt"
    environment = {{
      PASSWORD = ephemeral.dbaas_uncloud_database_credentials.c.password
      URI      = ephemeral.dbaas_uncloud_database_credentials.c.connection_string
    }}
  }}
}}
"#,
        orders("")
    ));
    tf.apply();
    let written =
        fs::read_to_string(tf.dir().join("credentials.txt")).expect("the provisioner ran");
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(
        lines[0], password,
        "the ephemeral password is the database's"
    );
    assert!(lines[1].contains(&format!(":{password}@")));
    assert!(state_resource(&tf.show_state(), "terraform_data.use").is_some());
}

#[test]
fn secrets_stay_out_of_state_when_asked() {
    let mock = Mock::start(&[]);
    let mut tf = Terraform::new(&mock);
    tf.set_env("DBAAS_SECRETS_IN_STATE", "false");
    tf.write_config(&format!(
        "{}\ndata \"dbaas_uncloud_database\" \"d\" {{\n  id = dbaas_uncloud_database.x.id\n}}\n",
        orders("")
    ));
    tf.apply();
    tf.assert_plan_empty();
    let id = str_attr(state_values(&tf.show_state(), DB), "id").to_string();
    let password = mock
        .v2(
            Method::GET,
            &format!("/api/v1/databases/{id}/credentials"),
            None,
        )
        .1["password"]
        .as_str()
        .unwrap()
        .to_string();
    let state_text = fs::read_to_string(tf.dir().join("terraform.tfstate")).unwrap();
    assert!(
        !state_text.contains(&password),
        "no password in the state file"
    );
    let state = tf.show_state();
    assert_eq!(state_values(&state, DB)["password"], Value::Null);
    assert_eq!(state_values(&state, DB)["connection_string"], Value::Null);
    assert_eq!(
        state_values(&state, "data.dbaas_uncloud_database.d")["password"],
        Value::Null
    );
    assert_eq!(
        int_attr(state_values(&state, DB), "port"),
        5432,
        "the rest is kept"
    );
}
