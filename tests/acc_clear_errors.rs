//! Clear errors for the mistakes and failures that used to come out confusing, through the real
//! Terraform CLI against `dbaas-mock`: an `https://` endpoint pointed at a plain-HTTP port, a
//! token with a line break inside, a create whose status checks keep failing (the `timeouts`
//! limit holds), and an unusable options catalogue (a warning naming the skipped checks).

mod support;

use std::time::{Duration, Instant};

use serde_json::json;

use support::{Mock, Terraform};

const OPTIONS: &str = "data \"dbaas_database_options\" \"all\" {}\n";

const CLUSTER: &str = r#"
resource "dbaas_database_cluster" "pg" {
  name       = "clear-errors"
  engine     = "pg"
  version    = "16"
  size       = "db-s-1vcpu-1gb"
  region     = "nyc1"
  node_count = 1

  timeouts {
    create = "4s"
  }
}
"#;

#[test]
fn https_against_a_plain_http_port_says_to_check_the_scheme() {
    let mock = Mock::start(&["--provision-delay-ms", "0"]);
    let terraform = Terraform::new(&mock);
    let https = mock.url().replacen("http://", "https://", 1);
    terraform.write_config_raw(&format!(
        "provider \"dbaas\" {{\n  api_endpoint   = \"{https}\"\n  http_retry_max = 0\n}}\n\n{OPTIONS}"
    ));
    let failed = terraform.plan_expect_error();
    failed.assert_mentions("check the scheme of `api_endpoint`");
    failed.assert_no_backtrace();
    assert!(
        !failed.mentions("retried and still failed"),
        "no retry happened, so the hint must not claim one"
    );
}

#[test]
fn a_token_with_a_line_break_is_reported_under_token() {
    let mock = Mock::start(&["--provision-delay-ms", "0"]);
    let terraform = Terraform::new(&mock);
    // Through a sensitive variable, as a token should be: Terraform then shows no value in
    // its diagnostics, so anything of the token in the output would be the provider's doing.
    terraform.write_config_raw(&format!(
        "variable \"token\" {{\n  type      = string\n  sensitive = true\n  default   = \"{}\\r\\nsecond-line\"\n}}\n\n\
         provider \"dbaas\" {{\n  token = var.token\n}}\n\n{OPTIONS}",
        mock.token()
    ));
    let failed = terraform.plan_expect_error();
    failed.assert_mentions("Invalid token");
    failed.assert_mentions("line break");
    assert!(
        !failed.mentions("api_endpoint"),
        "the token's problem is not the endpoint's"
    );
    assert!(!failed.mentions("second-line"), "the token is never shown");
    failed.assert_no_backtrace();
}

#[test]
fn a_create_timeout_holds_while_the_api_keeps_failing() {
    let mock = Mock::start(&["--provision-delay-ms", "0"]);
    let terraform = Terraform::new(&mock);
    // Long retry waits: before the fix, a status check that kept failing went through its
    // whole retry budget (about 20 s here) after the 4 s create limit had passed.
    terraform.write_config_raw(&format!(
        "provider \"dbaas\" {{\n  request_timeout     = \"2s\"\n  http_retry_max      = 6\n  \
         http_retry_wait_min = \"1s\"\n  http_retry_wait_max = \"4s\"\n  poll_interval       = \"1s\"\n}}\n{CLUSTER}"
    ));
    let plan = terraform.plan();
    assert!(plan.has_changes);
    // Faults apply first match first: the options catalogue (which the apply plans again)
    // is left alone, every read of the cluster fails.
    mock.add_fault(json!({
        "method": "GET", "path": "/v2/databases/options", "kind": "delay", "delay_ms": 1,
        "count": null
    }));
    mock.add_fault(json!({
        "method": "GET", "path": "/v2/databases/*", "kind": "status", "status": 503, "count": null
    }));
    // The create is answered 503 too, its first time: the provider looks for the cluster and
    // sends it again, as the limit allows.
    mock.add_fault(json!({
        "method": "POST", "path": "/v2/databases", "kind": "status", "status": 503, "count": 1
    }));
    // The saved plan: only the apply is timed (a new plan would read the options catalogue,
    // whose path the fault matches too).
    let started = Instant::now();
    let applied = terraform.run(&["apply", "-no-color", "-input=false", "tfplan"]);
    let took = started.elapsed();
    assert_eq!(
        applied.code(),
        Some(1),
        "{}\n{}",
        applied.stdout,
        applied.stderr
    );
    let output = format!("{}\n{}", applied.stdout, applied.stderr);
    assert!(!output.contains("stack backtrace"), "{output}");
    assert!(output.contains("tainted"), "{output}");
    // 4 s of limit, at most one 2 s request in flight, and Terraform's own start-up.
    assert!(
        took < Duration::from_secs(4 + 2 + 6),
        "the apply ran {took:?} for a 4 s create timeout"
    );
    mock.clear_faults();
    assert_eq!(mock.cluster_count(), 1, "the cluster is kept, not orphaned");
    let state = terraform.state_file();
    assert_eq!(
        state["resources"][0]["instances"][0]["status"],
        json!("tainted"),
        "the created cluster is in state, tainted"
    );
    terraform.destroy();
}

#[test]
fn a_create_refused_with_endless_server_errors_stops_at_its_timeout() {
    let mock = Mock::start(&["--provision-delay-ms", "0"]);
    let terraform = Terraform::new(&mock);
    // Long retry waits: before the fix, the create was looked up and sent again through the
    // whole retry budget (about 30 s here) whatever its 4 s limit.
    terraform.write_config_raw(&format!(
        "provider \"dbaas\" {{\n  request_timeout     = \"2s\"\n  http_retry_max      = 9\n  \
         http_retry_wait_min = \"1s\"\n  http_retry_wait_max = \"4s\"\n}}\n{CLUSTER}"
    ));
    let plan = terraform.plan();
    assert!(plan.has_changes);
    mock.add_fault(json!({
        "method": "POST", "path": "/v2/databases", "kind": "status", "status": 503, "count": null
    }));
    let started = Instant::now();
    let applied = terraform.run(&["apply", "-no-color", "-input=false", "tfplan"]);
    let took = started.elapsed();
    assert_eq!(
        applied.code(),
        Some(1),
        "{}\n{}",
        applied.stdout,
        applied.stderr
    );
    let output = format!("{}\n{}", applied.stdout, applied.stderr)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(output.contains("Could not create"), "{output}");
    assert!(output.contains("503"), "{output}");
    assert!(
        took < Duration::from_secs(4 + 2 + 6),
        "the apply ran {took:?} for a 4 s create timeout"
    );
    let sent = mock
        .requests()
        .iter()
        .filter(|r| r["method"] == "POST" && r["path"] == "/v2/databases")
        .count();
    assert!(
        sent >= 2,
        "the create was sent again while the limit allowed: {sent}"
    );
    mock.clear_faults();
    assert_eq!(mock.cluster_count(), 0, "nothing was created");
}

#[test]
fn an_unusable_options_catalogue_is_a_warning_naming_the_skipped_checks() {
    let mock = Mock::start(&["--provision-delay-ms", "0"]);
    let terraform = Terraform::new(&mock);
    terraform.write_config(CLUSTER);
    mock.add_fault(json!({
        "method": "GET", "path": "/v2/databases/options", "kind": "status", "status": 500,
        "count": null
    }));
    let output = terraform.run(&["plan", "-no-color", "-input=false"]);
    assert!(
        output.success(),
        "the plan goes on without the catalogue:\n{}\n{}",
        output.stdout,
        output.stderr
    );
    // Terraform wraps diagnostics to the terminal's width.
    let text = format!("{}\n{}", output.stdout, output.stderr)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("Plan-time checks against the options catalogue skipped"),
        "{text}"
    );
    for named in [
        "`engine`",
        "`region`",
        "`size` and `node_count`",
        "`version`",
    ] {
        assert!(text.contains(named), "the warning names {named}:\n{text}");
    }
    assert!(!text.contains("Engine not offered"), "{text}");
}
