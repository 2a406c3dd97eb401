//! Acceptance tests for the ephemeral `dbaas_database_credentials`: the real Terraform CLI
//! against `dbaas-mock`. The credentials reach a provisioner and are in no state file and no
//! output. Terraform before 1.10 has no `ephemeral` blocks: there the test shows that such a
//! configuration is refused by Terraform itself while the rest of the provider works.

mod support;

use std::fs;

use serde_json::{json, Value};

use support::terraform::{state_values, ErrorOutput};
use support::{Mock, Terraform};

/// A `/v2` request that must succeed; the parsed body.
fn api(mock: &Mock, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let (status, body) = mock.v2(method.clone(), path, body);
    assert!(status.is_success(), "{method} {path} answered {status}");
    body
}

/// An online pg cluster with a user `app` and a pool `backend`; the cluster's id.
fn cluster_with_user_and_pool(mock: &Mock) -> String {
    let created = api(
        mock,
        reqwest::Method::POST,
        "/v2/databases",
        Some(
            json!({"name": "ephemeral-pg", "engine": "pg", "version": "16",
                    "size": "db-s-1vcpu-1gb", "region": "nyc1", "num_nodes": 1}),
        ),
    );
    let id = created["database"]["id"].as_str().unwrap().to_string();
    api(
        mock,
        reqwest::Method::POST,
        &format!("/v2/databases/{id}/users"),
        Some(json!({"name": "app"})),
    );
    api(
        mock,
        reqwest::Method::POST,
        &format!("/v2/databases/{id}/pools"),
        Some(
            json!({"name": "backend", "mode": "transaction", "size": 5, "db": "defaultdb",
                    "user": "app"}),
        ),
    );
    id
}

/// `terraform validate`, which must fail; its output.
fn refused_validate(terraform: &Terraform) -> ErrorOutput {
    let output = terraform.run(&["validate", "-no-color"]);
    assert_eq!(
        output.code(),
        Some(1),
        "Terraform {} must refuse an `ephemeral` block",
        terraform.version()
    );
    ErrorOutput {
        stdout: output.stdout,
        stderr: output.stderr,
    }
}

fn config(cluster_id: &str, admin_user: &str) -> String {
    format!(
        r#"
ephemeral "dbaas_database_credentials" "admin" {{
  cluster_id = "{cluster_id}"
}}

ephemeral "dbaas_database_credentials" "app" {{
  cluster_id = "{cluster_id}"
  user       = "app"
}}

ephemeral "dbaas_database_credentials" "pool" {{
  cluster_id = "{cluster_id}"
  pool       = "backend"
  private    = true
}}

resource "dbaas_database_firewall" "x" {{
  cluster_id = "{cluster_id}"
  rule {{
    type  = "ip_addr"
    value = "192.0.2.10"
  }}
}}

resource "terraform_data" "use" {{
  provisioner "local-exec" {{
    command = "printf '%s\n%s\n%s\n%s\n%s\n' \"$ADMIN_USER\" \"$ADMIN_PASSWORD\" \"$APP_URI\" \"$POOL_PASSWORD\" \"$POOL_HOST\" > credentials.txt"
    environment = {{
      ADMIN_USER     = ephemeral.dbaas_database_credentials.admin.user
      ADMIN_PASSWORD = ephemeral.dbaas_database_credentials.admin.password
      APP_URI        = ephemeral.dbaas_database_credentials.app.uri
      POOL_PASSWORD  = ephemeral.dbaas_database_credentials.pool.password
      POOL_HOST      = ephemeral.dbaas_database_credentials.pool.host
    }}
  }}
}}
# {admin_user}
"#
    )
}

#[test]
fn credentials_reach_a_provisioner_and_no_state_file() {
    let mock = Mock::start(&["--provision-delay-ms", "0"]);
    let cluster_id = cluster_with_user_and_pool(&mock);
    let cluster = api(
        &mock,
        reqwest::Method::GET,
        &format!("/v2/databases/{cluster_id}"),
        None,
    );
    let admin_user = cluster["database"]["connection"]["user"]
        .as_str()
        .unwrap()
        .to_string();
    let admin_password = cluster["database"]["connection"]["password"]
        .as_str()
        .unwrap()
        .to_string();
    let app = api(
        &mock,
        reqwest::Method::GET,
        &format!("/v2/databases/{cluster_id}/users/app"),
        None,
    );
    let app_password = app["user"]["password"].as_str().unwrap().to_string();
    let pool = api(
        &mock,
        reqwest::Method::GET,
        &format!("/v2/databases/{cluster_id}/pools/backend"),
        None,
    );
    let pool_password = pool["pool"]["private_connection"]["password"]
        .as_str()
        .unwrap()
        .to_string();
    let pool_private_host = pool["pool"]["private_connection"]["host"]
        .as_str()
        .unwrap()
        .to_string();
    for secret in [&admin_password, &app_password, &pool_password] {
        assert!(secret.len() >= 8, "the emulator hands out real passwords");
    }

    let terraform = Terraform::new(&mock);
    terraform.write_config(&config(&cluster_id, &admin_user));
    if !terraform.version_at_least((1, 10)) {
        // Terraform 1.0–1.9 cannot express an ephemeral resource; it says so itself, and the
        // provider (which still offers the type over the protocol) is not what fails.
        let output = refused_validate(&terraform);
        output.assert_mentions("ephemeral");
        output.assert_no_backtrace();
        return;
    }

    let applied = terraform.apply();
    let written = fs::read_to_string(terraform.dir().join("credentials.txt"))
        .expect("the provisioner wrote credentials.txt");
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(lines.len(), 5, "five values: {}", lines.len());
    assert_eq!(lines[0], admin_user);
    assert_eq!(
        lines[1], admin_password,
        "the admin password reached the provisioner"
    );
    assert!(
        lines[2].contains("://app:") && lines[2].contains(&format!(":{app_password}@")),
        "the app user's URI carries its own credentials: {}",
        lines[2].replace(app_password.as_str(), "<app password>")
    );
    assert_eq!(
        lines[3], pool_password,
        "the pool's private connection password"
    );
    assert_eq!(
        lines[4], pool_private_host,
        "`private = true` picks the private host"
    );

    // Nothing secret in the state file, in Terraform's output or in `show -json`.
    let state_text = fs::read_to_string(terraform.dir().join("terraform.tfstate"))
        .expect("a state file after apply");
    let shown = terraform.run_ok(&["show", "-json"]);
    for secret in [&admin_password, &app_password, &pool_password] {
        assert!(
            !state_text.contains(secret.as_str()),
            "a password is in terraform.tfstate"
        );
        assert!(
            !applied.stdout.contains(secret.as_str()),
            "a password is in apply's output"
        );
        assert!(
            !shown.stdout.contains(secret.as_str()),
            "a password is in `show -json`"
        );
    }
    // Terraform lists the ephemeral resources among a resource's dependencies, but keeps no
    // object of theirs.
    let state = terraform.state_file();
    let types: Vec<&str> = state["resources"]
        .as_array()
        .expect("resources in the state file")
        .iter()
        .map(|r| r["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        types,
        ["dbaas_database_firewall", "terraform_data"],
        "ephemeral resources have no place in state"
    );
    assert_eq!(
        state_values(&terraform.show_state(), "dbaas_database_firewall.x")["cluster_id"],
        json!(cluster_id)
    );
    terraform.assert_plan_empty();
    terraform.destroy();
}

#[test]
fn a_missing_user_or_pool_is_an_error_naming_the_attribute() {
    let mock = Mock::start(&["--provision-delay-ms", "0"]);
    let cluster_id = cluster_with_user_and_pool(&mock);
    let terraform = Terraform::new(&mock);
    if !terraform.version_at_least((1, 10)) {
        // Covered by the test above on this Terraform: `ephemeral` blocks are refused.
        terraform.write_config(&format!(
            "ephemeral \"dbaas_database_credentials\" \"x\" {{\n  cluster_id = \"{cluster_id}\"\n}}\n"
        ));
        refused_validate(&terraform).assert_mentions("ephemeral");
        return;
    }
    for (attribute, value, says) in [
        ("user", "nobody", "no database user named \"nobody\""),
        ("pool", "nothing", "no connection pool named \"nothing\""),
    ] {
        terraform.write_config(&format!(
            r#"
ephemeral "dbaas_database_credentials" "x" {{
  cluster_id = "{cluster_id}"
  {attribute} = "{value}"
}}

resource "terraform_data" "use" {{
  provisioner "local-exec" {{
    command     = "true"
    environment = {{ P = ephemeral.dbaas_database_credentials.x.password }}
  }}
}}
"#
        ));
        let failed = terraform.plan_expect_error();
        failed.assert_mentions(says);
        failed.assert_mentions("ephemeral.dbaas_database_credentials.x");
        failed.assert_no_backtrace();
    }
}

/// A Kafka user made by terraform with `secrets_in_state = false`: its password and client key
/// stay out of state, and the ephemeral credentials hand both (with the certificate) to a
/// provisioner.
#[test]
fn a_kafka_users_client_key_stays_out_of_state_and_reaches_a_provisioner() {
    let mock = Mock::start(&["--provision-delay-ms", "0"]);
    let terraform = Terraform::new(&mock);
    let ephemeral = terraform.version_at_least((1, 10));
    let provider = support::terraform::TEST_PROVIDER_BLOCK.replacen(
        "provider \"dbaas\" {\n",
        "provider \"dbaas\" {\n  secrets_in_state = false\n",
        1,
    );
    let body = r#"
resource "dbaas_database_cluster" "kafka" {
  name       = "ephemeral-kafka"
  engine     = "kafka"
  version    = "3.8"
  size       = "gd-2vcpu-8gb"
  region     = "nyc1"
  node_count = 3
}

resource "dbaas_database_user" "stream" {
  cluster_id = dbaas_database_cluster.kafka.id
  name       = "stream"
}
"#;
    // Terraform before 1.10 has no ephemeral blocks: there only the state is checked.
    let handover = r#"
ephemeral "dbaas_database_credentials" "stream" {
  cluster_id = dbaas_database_user.stream.cluster_id
  user       = dbaas_database_user.stream.name
}

resource "terraform_data" "use" {
  provisioner "local-exec" {
    command = "printf '%s\n' \"$KEY\" > key.pem && printf '%s\n' \"$CERT\" > cert.pem && printf '%s' \"$PASSWORD\" > password.txt"
    environment = {
      KEY      = ephemeral.dbaas_database_credentials.stream.access_key
      CERT     = ephemeral.dbaas_database_credentials.stream.access_cert
      PASSWORD = ephemeral.dbaas_database_credentials.stream.password
    }
  }
}
"#;
    let handover = if ephemeral { handover } else { "" };
    terraform.write_config_raw(&format!("{provider}\n{body}\n{handover}"));
    terraform.apply();
    terraform.assert_plan_empty();

    let cluster_id = state_values(&terraform.show_state(), "dbaas_database_cluster.kafka")["id"]
        .as_str()
        .expect("the cluster's id")
        .to_string();
    let user = api(
        &mock,
        reqwest::Method::GET,
        &format!("/v2/databases/{cluster_id}/users/stream"),
        None,
    );
    let key = user["user"]["access_key"].as_str().expect("a client key");
    let cert = user["user"]["access_cert"].as_str().expect("a certificate");
    let password = user["user"]["password"].as_str().expect("a password");
    assert!(key.len() > 20 && cert.len() > 20 && password.len() >= 8);

    if ephemeral {
        let read = |name: &str| {
            fs::read_to_string(terraform.dir().join(name))
                .unwrap_or_else(|e| panic!("the provisioner wrote {name}: {e}"))
        };
        assert_eq!(read("key.pem").trim_end(), key.trim_end());
        assert_eq!(read("cert.pem").trim_end(), cert.trim_end());
        assert_eq!(read("password.txt"), password);
    }

    let state_text = fs::read_to_string(terraform.dir().join("terraform.tfstate"))
        .expect("a state file after apply");
    let shown = terraform.run_ok(&["show", "-json"]).stdout;
    for (what, secret) in [("client key", key), ("password", password)] {
        let body = secret.lines().nth(1).unwrap_or(secret);
        assert!(
            !state_text.contains(body),
            "the {what} is in terraform.tfstate"
        );
        assert!(!shown.contains(body), "the {what} is in `show -json`");
    }
    let values = state_values(&terraform.show_state(), "dbaas_database_user.stream").clone();
    assert_eq!(
        values["access_key"],
        Value::Null,
        "secrets_in_state = false"
    );
    assert_eq!(values["password"], Value::Null, "secrets_in_state = false");
    assert!(
        values["access_cert"].is_string(),
        "the certificate is not a secret and stays"
    );

    terraform.destroy();
    assert_eq!(mock.cluster_count(), 0);
}
