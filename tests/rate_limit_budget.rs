//! The rate-limit budget: one apply of 100 clusters, 100 connection pools and 100 Kafka topics
//! against an emulator whose per-minute budget is far below what the run needs, then a destroy.
//! The provider must pace itself from the `ratelimit-*` headers so that no request is refused:
//! the emulator's log must show no 429 and no 5xx.
//!
//! Terraform runs up to 20 operations at once here, and every one of them waits for its objects,
//! so this is the worst case for a budget: many requests in flight, from one provider process
//! per Terraform walk, each of which only learns the budget from the responses.

mod support;

use std::collections::BTreeSet;
use std::time::Instant;

use serde_json::{json, Value};

use support::terraform::{state_resource_count, CommandOutput};
use support::{Mock, Terraform};

const PG_CLUSTERS: usize = 50;
const KAFKA_CLUSTERS: usize = 50;
/// Per cluster: two pools on each PostgreSQL cluster, two topics on each Kafka cluster.
const CHILDREN_PER_CLUSTER: usize = 2;
const PARALLELISM: &str = "-parallelism=20";
/// Without a budget the apply takes about 900 requests and the destroy about 1,000 (measured:
/// 913 and 1,000, each within 11 s). With half of that per minute, the apply needs two
/// minutes' budgets and the destroy, which starts with the apply's last minute still counted,
/// two more: most requests must wait for budget. A sliding one-minute window lets at most this
/// many through per minute whatever the client does, so a lower budget makes the test longer
/// than the five minutes it may take.
const BUDGET_PER_MINUTE: u64 = 500;

fn configuration() -> String {
    let children = CHILDREN_PER_CLUSTER;
    format!(
        r#"resource "dbaas_database_cluster" "pg" {{
  count      = {PG_CLUSTERS}
  name       = "budget-pg-${{count.index}}"
  engine     = "pg"
  version    = "16"
  size       = "db-s-1vcpu-1gb"
  region     = "nyc1"
  node_count = 1
}}

resource "dbaas_database_connection_pool" "pool" {{
  count      = {pools}
  cluster_id = dbaas_database_cluster.pg[floor(count.index / {children})].id
  name       = "pool-${{count.index % {children}}}"
  mode       = "transaction"
  size       = 10
  db_name    = "defaultdb"
}}

resource "dbaas_database_cluster" "kafka" {{
  count      = {KAFKA_CLUSTERS}
  name       = "budget-kafka-${{count.index}}"
  engine     = "kafka"
  version    = "3.8"
  size       = "gd-2vcpu-8gb"
  region     = "nyc1"
  node_count = 3
}}

resource "dbaas_database_kafka_topic" "topic" {{
  count      = {topics}
  cluster_id = dbaas_database_cluster.kafka[floor(count.index / {children})].id
  name       = "topic-${{count.index % {children}}}"
}}
"#,
        pools = PG_CLUSTERS * children,
        topics = KAFKA_CLUSTERS * children,
    )
}

/// `(clusters, pools, topics)` the emulator holds.
fn stored_counts(mock: &Mock) -> (usize, usize, usize) {
    let records = mock.cluster_records();
    let children = |kind: &str| {
        records
            .iter()
            .map(|record| record[kind].as_array().map_or(0, Vec::len))
            .sum()
    };
    (records.len(), children("pools"), children("topics"))
}

/// Requests the emulator refused for the budget or failed: `METHOD path -> status` lines.
fn failed_requests(requests: &[Value]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| {
            r["status"]
                .as_u64()
                .map_or(true, |status| status == 429 || status >= 500)
        })
        .map(|r| format!("{} {} -> {}", r["method"], r["path"], r["status"]))
        .collect()
}

/// The most requests the emulator admitted (did not refuse with a 429) within any 60 s.
fn busiest_minute(requests: &[Value]) -> usize {
    // The log is in order of completion; arrival times are what the budget counts.
    let mut times: Vec<u64> = requests
        .iter()
        .filter(|r| r["status"] != 429)
        .filter_map(|r| r["at_ms"].as_u64())
        .collect();
    times.sort_unstable();
    let mut busiest = 0;
    let mut start = 0;
    for end in 0..times.len() {
        while times[end] - times[start] >= 60_000 {
            start += 1;
        }
        busiest = busiest.max(end - start + 1);
    }
    busiest
}

/// One Terraform command's run: what it printed and the requests it made.
struct Phase {
    command: &'static str,
    output: CommandOutput,
    requests: Vec<Value>,
}

impl Phase {
    /// Runs `terraform <command>` with the test's parallelism and prints what it took.
    fn run(mock: &Mock, tf: &Terraform, command: &'static str) -> Phase {
        mock.clear_requests();
        let started = Instant::now();
        let output = tf.run(&[
            command,
            "-no-color",
            "-input=false",
            "-auto-approve",
            PARALLELISM,
        ]);
        let seconds = started.elapsed().as_secs_f64();
        let requests = mock.requests();
        let methods: BTreeSet<&str> = requests
            .iter()
            .filter_map(|r| r["method"].as_str())
            .collect();
        let by_method: Vec<String> = methods
            .iter()
            .map(|method| {
                let count = requests.iter().filter(|r| r["method"] == *method).count();
                format!("{count} {method}")
            })
            .collect();
        println!(
            "rate-limit budget: {command}: {} API requests ({}) in {seconds:.1}s, {} refused or \
             failed, at most {} admitted in any minute (budget {BUDGET_PER_MINUTE}/min); \
             terraform exited with {:?}",
            requests.len(),
            by_method.join(", "),
            failed_requests(&requests).len(),
            busiest_minute(&requests),
            output.code()
        );
        Phase {
            command,
            output,
            requests,
        }
    }

    /// Requires that the emulator refused or failed none of the requests, then that the
    /// command succeeded.
    fn assert_within_budget(&self) {
        let command = self.command;
        let failed = failed_requests(&self.requests);
        assert!(
            failed.is_empty(),
            "the {command} ran into {} refused or failed requests of {} (the first: {:#?})\n\
             terraform {command} exited with {:?}: {}",
            failed.len(),
            self.requests.len(),
            &failed[..failed.len().min(10)],
            self.output.code(),
            diagnostics_excerpt(&self.output)
        );
        assert!(
            self.output.success(),
            "terraform {command} failed: {}",
            diagnostics_excerpt(&self.output)
        );
    }
}

/// The first lines of Terraform's diagnostics (the `Error:` headlines and what follows them).
fn diagnostics_excerpt(output: &CommandOutput) -> String {
    let lines: Vec<&str> = output.stderr.lines().collect();
    let errors = lines
        .iter()
        .filter(|line| line.starts_with("Error:"))
        .count();
    let excerpt: Vec<&str> = lines.into_iter().take(40).collect();
    format!("{errors} errors; the first:\n{}", excerpt.join("\n"))
}

#[test]
fn large_apply_and_destroy_stay_within_a_tight_budget() {
    let mock = Mock::start(&[]);
    mock.settings(json!({ "rate_limit_per_minute": BUDGET_PER_MINUTE }));
    let tf = Terraform::new(&mock);
    tf.write_config(&configuration());
    let clusters = PG_CLUSTERS + KAFKA_CLUSTERS;
    let pools = PG_CLUSTERS * CHILDREN_PER_CLUSTER;
    let topics = KAFKA_CLUSTERS * CHILDREN_PER_CLUSTER;

    // Both phases run before anything is asserted, so that a failing run still reports the
    // numbers of both.
    let apply = Phase::run(&mock, &tf, "apply");
    let stored_after_apply = stored_counts(&mock);
    let tracked_after_apply = state_resource_count(&tf.show_state());
    let destroy = Phase::run(&mock, &tf, "destroy");

    apply.assert_within_budget();
    assert!(
        apply.requests.len() as u64 > BUDGET_PER_MINUTE,
        "the apply needed only {} requests, within one minute's budget: the test proves nothing",
        apply.requests.len()
    );
    assert_eq!(stored_after_apply, (clusters, pools, topics));
    assert_eq!(tracked_after_apply, clusters + pools + topics);
    destroy.assert_within_budget();
    assert_eq!(stored_counts(&mock), (0, 0, 0));
    assert_eq!(state_resource_count(&tf.show_state()), 0);
}
