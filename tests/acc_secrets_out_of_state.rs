//! Acceptance tests for `secrets_in_state = false` with the real Terraform CLI against
//! `dbaas-mock`: no password and no password-bearing URI of a cluster or pool (resource or data
//! source) reaches the state file, plans stay empty, the ephemeral credentials still deliver
//! them (Terraform ≥ 1.10), and flipping the setting on existing state drops the values at the
//! next refresh (or brings them back) without touching any object.

mod support;

use std::fs;

use serde_json::Value;

use support::terraform::{state_values, TEST_PROVIDER_BLOCK};
use support::{Mock, Terraform};

const RESOURCES: &str = r#"
resource "dbaas_database_cluster" "pg" {
  name       = "secretless"
  engine     = "pg"
  version    = "16"
  size       = "db-s-1vcpu-1gb"
  region     = "nyc1"
  node_count = 1
}

resource "dbaas_database_connection_pool" "pool" {
  cluster_id = dbaas_database_cluster.pg.id
  name       = "backend"
  mode       = "transaction"
  size       = 5
  db_name    = "defaultdb"
  user       = "doadmin"
}

data "dbaas_database_cluster" "pg" {
  name       = dbaas_database_cluster.pg.name
  depends_on = [dbaas_database_cluster.pg]
}

output "uri" {
  value     = dbaas_database_cluster.pg.uri
  sensitive = true
}
"#;

const EPHEMERAL: &str = r#"
ephemeral "dbaas_database_credentials" "pg" {
  cluster_id = dbaas_database_cluster.pg.id
}

resource "terraform_data" "migrate" {
  triggers_replace = [dbaas_database_cluster.pg.id]

  provisioner "local-exec" {
    command     = "printf '%s' \"$PGPASSWORD\" > password.txt"
    environment = { PGPASSWORD = ephemeral.dbaas_database_credentials.pg.password }
  }
}
"#;

const SECRETS: [&str; 5] = ["password", "uri", "private_uri", "ui_password", "ui_uri"];

/// The cluster's admin password and the pool's password, as the emulator has them.
fn passwords(mock: &Mock, cluster_id: &str) -> Vec<String> {
    let (_, cluster) = mock.v2(
        reqwest::Method::GET,
        &format!("/v2/databases/{cluster_id}"),
        None,
    );
    let (_, pool) = mock.v2(
        reqwest::Method::GET,
        &format!("/v2/databases/{cluster_id}/pools/backend"),
        None,
    );
    let found = vec![
        cluster["database"]["connection"]["password"]
            .as_str()
            .expect("the cluster's password")
            .to_string(),
        pool["pool"]["connection"]["password"]
            .as_str()
            .expect("the pool's password")
            .to_string(),
    ];
    for password in &found {
        assert!(password.len() >= 8, "the emulator hands out real passwords");
    }
    found
}

fn state_text(terraform: &Terraform) -> String {
    fs::read_to_string(terraform.dir().join("terraform.tfstate")).expect("a state file")
}

/// Every secret attribute of the cluster, the pool and the data source is null, and no
/// password is anywhere in the state file.
fn assert_no_secrets(terraform: &Terraform, passwords: &[String]) {
    let text = state_text(terraform);
    for password in passwords {
        assert!(
            !text.contains(password.as_str()),
            "a password is in terraform.tfstate"
        );
    }
    let shown = terraform.show_state();
    for address in [
        "dbaas_database_cluster.pg",
        "dbaas_database_connection_pool.pool",
        "data.dbaas_database_cluster.pg",
    ] {
        let values = state_values(&shown, address);
        for name in SECRETS {
            if let Some(value) = values.get(name) {
                assert_eq!(value, &Value::Null, "{address}.{name} must be null");
            }
        }
        assert!(
            values["host"].as_str().is_some_and(|h| !h.is_empty()),
            "{address}: what is not secret stays in state"
        );
    }
}

/// A plan whose resources are all unchanged and whose only change is the `uri` output.
fn assert_only_the_output_changes(terraform: &Terraform) {
    let plan = terraform.plan();
    for change in plan.json["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
    {
        assert_eq!(
            change["change"]["actions"],
            serde_json::json!(["no-op"]),
            "{}: no resource changes:\n{}",
            change["address"],
            plan.stdout
        );
    }
    let outputs = plan.json["output_changes"]
        .as_object()
        .expect("output changes");
    let actions = &outputs["uri"]["actions"];
    // A null output is no output: it is created when the value comes back.
    assert!(
        actions == &serde_json::json!(["update"]) || actions == &serde_json::json!(["create"]),
        "{actions}\n{}",
        plan.stdout
    );
}

fn provider_block(secrets_in_state: Option<bool>) -> String {
    match secrets_in_state {
        None => TEST_PROVIDER_BLOCK.to_string(),
        Some(keep) => TEST_PROVIDER_BLOCK.replacen(
            "provider \"dbaas\" {\n",
            &format!("provider \"dbaas\" {{\n  secrets_in_state    = {keep}\n"),
            1,
        ),
    }
}

#[test]
fn no_secret_reaches_state_and_plans_stay_empty() {
    let mock = Mock::start(&["--provision-delay-ms", "0"]);
    let terraform = Terraform::new(&mock);
    let ephemeral = terraform.version_at_least((1, 10));
    let body = if ephemeral {
        format!("{RESOURCES}\n{EPHEMERAL}")
    } else {
        RESOURCES.to_string()
    };
    terraform.write_config_raw(&format!("{}\n{body}", provider_block(Some(false))));
    let applied = terraform.apply();
    terraform.assert_plan_empty();

    let cluster_id = state_values(&terraform.show_state(), "dbaas_database_cluster.pg")["id"]
        .as_str()
        .expect("the cluster's id")
        .to_string();
    let passwords = passwords(&mock, &cluster_id);
    assert_no_secrets(&terraform, &passwords);
    for password in &passwords {
        assert!(!applied.stdout.contains(password.as_str()));
    }
    let output = terraform.run_ok(&["output", "-json"]);
    let outputs: Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(
        outputs["uri"]["value"],
        Value::Null,
        "the URI output is null"
    );

    if ephemeral {
        // The ephemeral resource is how the configuration gets the password now.
        let delivered = fs::read_to_string(terraform.dir().join("password.txt"))
            .expect("the provisioner wrote password.txt");
        assert_eq!(delivered, passwords[0]);
    }

    // An in-place change keeps them out too.
    terraform.write_config_raw(&format!(
        "{}\n{}",
        provider_block(Some(false)),
        body.replace("size       = 5", "size       = 7")
    ));
    terraform.apply();
    terraform.assert_plan_empty();
    assert_no_secrets(&terraform, &passwords);

    terraform.destroy();
    assert_eq!(mock.cluster_count(), 0);
}

#[test]
fn flipping_the_setting_changes_state_at_the_next_refresh_and_no_object() {
    let mock = Mock::start(&["--provision-delay-ms", "0"]);
    let mut terraform = Terraform::new(&mock);
    terraform.write_config_raw(&format!("{}\n{RESOURCES}", provider_block(None)));
    terraform.apply();
    let cluster_id = state_values(&terraform.show_state(), "dbaas_database_cluster.pg")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let passwords = passwords(&mock, &cluster_id);
    assert!(
        state_text(&terraform).contains(passwords[0].as_str()),
        "by default the password is in state, as with DigitalOcean's provider"
    );

    // From the environment this time: DBAAS_SECRETS_IN_STATE=false. The plan changes no
    // resource; only the output that shows the URI becomes null.
    terraform.set_env("DBAAS_SECRETS_IN_STATE", "false");
    assert_only_the_output_changes(&terraform);
    mock.clear_requests();
    terraform.run_ok(&[
        "apply",
        "-refresh-only",
        "-auto-approve",
        "-no-color",
        "-input=false",
    ]);
    let changed: Vec<Value> = mock
        .requests()
        .into_iter()
        .filter(|r| {
            r["method"] != "GET" && r["path"].as_str().is_some_and(|p| p.starts_with("/v2/"))
        })
        .collect();
    assert!(
        changed.is_empty(),
        "a refresh changes no object: {changed:?}"
    );
    assert_no_secrets(&terraform, &passwords);
    terraform.assert_plan_empty();

    // And back: the next refresh writes them again.
    terraform.set_env("DBAAS_SECRETS_IN_STATE", "true");
    assert_only_the_output_changes(&terraform);
    terraform.run_ok(&[
        "apply",
        "-refresh-only",
        "-auto-approve",
        "-no-color",
        "-input=false",
    ]);
    assert!(state_text(&terraform).contains(passwords[0].as_str()));
    assert!(state_text(&terraform).contains(passwords[1].as_str()));

    // A value the provider cannot read is an error naming the setting.
    terraform.set_env("DBAAS_SECRETS_IN_STATE", "sometimes");
    let failed = terraform.plan_expect_error();
    failed.assert_mentions("DBAAS_SECRETS_IN_STATE must be true or false");
    failed.assert_no_backtrace();

    terraform.set_env("DBAAS_SECRETS_IN_STATE", "true");
    terraform.destroy();
    assert_eq!(mock.cluster_count(), 0);
}
