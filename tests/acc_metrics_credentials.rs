//! Acceptance tests for the `dbaas_database_metrics_credentials` data source: the real
//! Terraform CLI against `dbaas-mock`.

mod support;

use reqwest::{Method, StatusCode};
use serde_json::json;

use support::cluster::str_attr;
use support::terraform::state_values;
use support::{Mock, Terraform};

const CREDENTIALS: &str = "data.dbaas_database_metrics_credentials.x";
const CONFIG: &str = "data \"dbaas_database_metrics_credentials\" \"x\" {}\n";

#[test]
fn credentials_are_read_and_follow_changes_and_secrets_in_state() {
    let mock = Mock::start(&[]);
    let mut tf = Terraform::new(&mock);
    let (status, api) = mock.v2(Method::GET, "/v2/databases/metrics/credentials", None);
    assert_eq!(status, StatusCode::OK);

    let state = tf.step(CONFIG);
    let values = state_values(&state, CREDENTIALS);
    assert_eq!(str_attr(values, "id"), "metrics-credentials");
    assert_eq!(
        values["username"],
        api["credentials"]["basic_auth_username"]
    );
    assert_eq!(
        values["password"],
        api["credentials"]["basic_auth_password"]
    );
    let shown = tf.run_ok(&["show", "-no-color"]).stdout;
    assert!(!shown.contains(api["credentials"]["basic_auth_password"].as_str().unwrap()));

    // Changed outside Terraform: the next read has the new pair.
    let (status, _) = mock.v2(
        Method::PUT,
        "/v2/databases/metrics/credentials",
        Some(json!({"credentials": {"basic_auth_username": "prom", "basic_auth_password": "rotated-secret"}})),
    );
    assert_eq!(status, StatusCode::NO_CONTENT);
    let state = tf.step(CONFIG);
    let values = state_values(&state, CREDENTIALS);
    assert_eq!(str_attr(values, "username"), "prom");
    assert_eq!(str_attr(values, "password"), "rotated-secret");

    // secrets_in_state = false: the password never reaches the state.
    tf.set_env("DBAAS_SECRETS_IN_STATE", "false");
    let state = tf.step(CONFIG);
    let values = state_values(&state, CREDENTIALS);
    assert_eq!(str_attr(values, "username"), "prom");
    assert!(values["password"].is_null());
    assert!(!tf.state_file().to_string().contains("rotated-secret"));
}

#[test]
fn a_refused_read_is_a_clear_error() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let mut refused =
        support::mock::fault("GET", "/v2/databases/metrics/credentials", "status", 100);
    refused["status"] = json!(403);
    mock.add_fault(refused);
    tf.write_config(CONFIG);
    let error = tf.plan_expect_error();
    error.assert_mentions("Could not read the database metrics credentials");
    error.assert_no_backtrace();
}
