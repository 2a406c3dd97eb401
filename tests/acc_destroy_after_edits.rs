//! `terraform destroy` is never blocked by checks that only concern a change. Terraform's
//! destroy first plans the configuration in normal mode to refresh the state (the pre-destroy
//! refresh) and gives up on any error of that plan; a configuration edited to shrink storage,
//! downgrade a version or remove partitions must still be destroyable, while `terraform plan`
//! keeps rejecting those edits at plan time.

mod support;

use support::{Mock, Terraform};

fn config(storage: u32, version: &str, partitions: u32) -> String {
    format!(
        r#"
resource "dbaas_database_cluster" "pg" {{
  name             = "destroy-pg"
  engine           = "pg"
  version          = "{version}"
  size             = "db-s-1vcpu-1gb"
  region           = "nyc1"
  node_count       = 1
  storage_size_mib = {storage}
}}

resource "dbaas_database_connection_pool" "pool" {{
  cluster_id = dbaas_database_cluster.pg.id
  name       = "backend"
  mode       = "transaction"
  size       = 5
  db_name    = "defaultdb"
}}

resource "dbaas_database_cluster" "kafka" {{
  name       = "destroy-kafka"
  engine     = "kafka"
  version    = "3.8"
  size       = "db-s-2vcpu-2gb"
  region     = "nyc1"
  node_count = 3
}}

resource "dbaas_database_kafka_topic" "events" {{
  cluster_id      = dbaas_database_cluster.kafka.id
  name            = "events"
  partition_count = {partitions}
}}
"#
    )
}

fn deletes(mock: &Mock) -> Vec<String> {
    mock.requests()
        .iter()
        .filter(|r| r["method"] == "DELETE")
        .filter_map(|r| r["path"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn destroy_works_after_edits_that_plan_rejects() {
    let mock = Mock::start(&["--provision-delay-ms", "0"]);
    let terraform = Terraform::new(&mock);
    terraform.write_config(&config(20480, "16", 6));
    terraform.apply();
    terraform.assert_plan_empty();
    assert_eq!(mock.cluster_count(), 2);

    // Each edit is a plan-time error naming its attribute …
    terraform.write_config(&config(10240, "15", 3));
    let rejected = terraform.plan_expect_error();
    rejected.assert_mentions("Storage cannot shrink");
    rejected.assert_mentions("Version downgrade is not possible");
    rejected.assert_mentions("Partitions cannot be removed");
    rejected.assert_no_backtrace();

    // … and none of them keeps the configuration from being destroyed.
    let planned = terraform.run(&["plan", "-destroy", "-no-color", "-input=false"]);
    assert!(
        planned.success(),
        "plan -destroy failed:\n{}\n{}",
        planned.stdout,
        planned.stderr
    );
    assert!(
        planned.stdout.contains("4 to destroy"),
        "{}",
        planned.stdout
    );

    mock.clear_requests();
    terraform.destroy();
    let sent = deletes(&mock);
    assert_eq!(
        sent.iter()
            .filter(|path| path.matches('/').count() == 3)
            .count(),
        2,
        "a DELETE for each cluster: {sent:?}"
    );
    assert_eq!(mock.cluster_count(), 0, "destroy removed every cluster");
    assert_eq!(
        terraform.state_file()["resources"]
            .as_array()
            .map_or(0, Vec::len),
        0
    );
}
