//! Checks that come at plan time because the information exists then, through the real
//! Terraform CLI against `dbaas-mock`: the API's name rules for clusters and pools, MySQL's
//! SQL mode names (a bad one used to fail only after the cluster had been created), and a
//! cluster name the account already uses. A replacement that keeps its name is not mistaken
//! for a clash.

mod support;

use serde_json::json;

use support::{Mock, Terraform};

fn cluster(name: &str, engine: &str, version: &str, extra: &str) -> String {
    format!(
        r#"
resource "dbaas_database_cluster" "main" {{
  name       = "{name}"
  engine     = "{engine}"
  version    = "{version}"
  size       = "db-s-1vcpu-1gb"
  region     = "nyc1"
  node_count = 1
  {extra}
}}
"#
    )
}

fn posts(mock: &Mock) -> usize {
    mock.requests()
        .iter()
        .filter(|r| r["method"] == "POST")
        .count()
}

#[test]
fn names_and_sql_modes_are_checked_before_anything_is_created() {
    let mock = Mock::start(&["--provision-delay-ms", "0"]);
    let terraform = Terraform::new(&mock);
    for (body, says) in [
        (
            cluster("Bad_Name", "pg", "16", ""),
            "3 to 63 lowercase letters, digits and hyphens",
        ),
        (
            cluster("ends-with-", "pg", "16", ""),
            "not ending with a hyphen",
        ),
        (
            cluster(
                "sql-modes",
                "mysql",
                "8",
                "sql_mode = \"ANSI,STRICT_ALL_TABLES,NOT_A_MODE\"",
            ),
            "\"NOT_A_MODE\" that MySQL does not have",
        ),
        (
            format!(
                "{}\nresource \"dbaas_database_connection_pool\" \"p\" {{\n  cluster_id = dbaas_database_cluster.main.id\n  name       = \"has space\"\n  mode       = \"transaction\"\n  size       = 5\n  db_name    = \"defaultdb\"\n}}\n",
                cluster("pool-parent", "pg", "16", "")
            ),
            "3 to 60 letters, digits, '-' or '_'",
        ),
    ] {
        terraform.write_config(&body);
        let failed = terraform.apply_expect_error();
        failed.assert_mentions(says);
        failed.assert_no_backtrace();
        assert_eq!(posts(&mock), 0, "nothing was created for a refused plan");
        assert_eq!(mock.cluster_count(), 0);
    }
    // Lower-case modes are the same modes.
    terraform.write_config(&cluster(
        "sql-modes",
        "mysql",
        "8",
        "sql_mode = \"ansi,STRICT_ALL_TABLES\"",
    ));
    let plan = terraform.plan();
    assert!(plan.has_changes);
}

#[test]
fn a_cluster_name_the_account_uses_is_a_plan_error_that_suggests_import() {
    let mock = Mock::start(&["--provision-delay-ms", "0"]);
    let (status, created) = mock.v2(
        reqwest::Method::POST,
        "/v2/databases",
        Some(
            json!({"name": "taken-name", "engine": "pg", "version": "16",
                    "size": "db-s-1vcpu-1gb", "region": "nyc1", "num_nodes": 1}),
        ),
    );
    assert!(status.is_success());
    let id = created["database"]["id"].as_str().unwrap().to_string();
    let terraform = Terraform::new(&mock);
    terraform.write_config(&cluster("taken-name", "pg", "16", ""));
    let failed = terraform.plan_expect_error();
    failed.assert_mentions("Cluster name already in use");
    failed.assert_mentions(&format!(
        "terraform import dbaas_database_cluster.<resource name> {id}"
    ));
    failed.assert_no_backtrace();

    // Adopting it works, and a replacement under the same name is not a clash with itself.
    terraform.import("dbaas_database_cluster.main", &id);
    terraform.assert_plan_empty();
    terraform.write_config(&cluster("taken-name", "mysql", "8", ""));
    let plan = terraform.plan();
    plan.assert_replace("dbaas_database_cluster.main");
    terraform.apply();
    terraform.assert_plan_empty();
    assert_eq!(
        mock.cluster_count(),
        1,
        "the old cluster was replaced, not kept"
    );
    terraform.destroy();
    assert_eq!(mock.cluster_count(), 0);
}
