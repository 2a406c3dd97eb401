//! Reliability properties of the provider as a whole, through the real Terraform CLI against
//! `dbaas-mock`:
//!
//! - a create whose response is lost is looked up, not repeated;
//! - many clusters waiting for `online` share one cluster list per polling round;
//! - an interrupt (SIGINT) during a long wait ends the apply promptly and keeps what exists;
//! - changes to one cluster never overlap, even when Terraform runs them in parallel;
//! - no secret reaches a trace log, and the token never reaches the state.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use regex::Regex;
use serde_json::{json, Value};

use support::cluster::{str_attr, MEDIUM, PG_NEWER, REGION, SMALL};
use support::mock::fault;
use support::signal::{self, Target};
use support::terraform::{state_resource, state_values, TEST_PROVIDER_BLOCK};
use support::text::{flatten, hcl_string};
use support::{Mock, Terraform};

const CLUSTER: &str = "dbaas_database_cluster.x";

fn lit(text: &str) -> String {
    hcl_string(text)
}

/// `resource "dbaas_database_cluster" "<label>"`: a one-node PostgreSQL cluster, with extra
/// lines (e.g. `count`, a `timeouts` block).
fn pg_cluster(label: &str, name: &str, size: &str, extra: &str) -> String {
    pg_cluster_named(label, &lit(name), size, extra)
}

/// [`pg_cluster`] with the name given as an HCL expression (e.g. a template).
fn pg_cluster_named(label: &str, name: &str, size: &str, extra: &str) -> String {
    format!(
        "resource \"dbaas_database_cluster\" \"{label}\" {{\n  name       = {}\n  engine     = \"pg\"\n  \
         version    = {}\n  size       = {}\n  region     = {}\n  node_count = 1\n{extra}}}\n",
        name,
        lit(PG_NEWER),
        lit(size),
        lit(REGION),
    )
}

/// The `/v2` requests matching `method` and exactly `path`.
fn requests_to<'a>(requests: &'a [Value], method: &str, path: &str) -> Vec<&'a Value> {
    requests
        .iter()
        .filter(|r| r["method"] == method && r["path"] == path)
        .collect()
}

fn number(request: &Value, field: &str) -> u64 {
    request[field]
        .as_u64()
        .unwrap_or_else(|| panic!("logged request without a numeric {field}: {request}"))
}

// ---------------------------------------------------------------------------------------------
// 2. A lost create response
// ---------------------------------------------------------------------------------------------

#[test]
fn lost_create_response_is_looked_up_not_repeated() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let lost = mock.add_fault(fault("POST", "/v2/databases", "drop_after_handling", 1));
    tf.write_config(&pg_cluster("x", "rel-lost-response", SMALL, ""));
    tf.apply();
    tf.assert_plan_empty();

    let stored = mock.clusters();
    assert_eq!(
        stored.len(),
        1,
        "the emulator must hold exactly one cluster:\n{}",
        mock.request_summary()
    );
    let state = tf.show_state();
    assert_eq!(
        str_attr(state_values(&state, CLUSTER), "id"),
        stored[0]["id"].as_str().expect("stored cluster id"),
        "the state tracks another cluster than the one created"
    );

    let requests = mock.requests();
    let posts = requests_to(&requests, "POST", "/v2/databases");
    assert_eq!(
        posts.len(),
        1,
        "the create must be sent once:\n{}",
        mock.request_summary()
    );
    let post = posts[0];
    assert_eq!(
        post["fault"].as_str(),
        Some(lost.as_str()),
        "the create's response was not the one lost"
    );
    assert_eq!(post["status"], 201, "the lost response was not a 201");
    let after_post: Vec<&Value> = requests
        .iter()
        .filter(|r| number(r, "seq") > number(post, "seq"))
        .collect();
    let lookup = after_post.first().unwrap_or_else(|| {
        panic!(
            "nothing was requested after the lost create:\n{}",
            mock.request_summary()
        )
    });
    assert_eq!(
        (lookup["method"].as_str(), lookup["path"].as_str()),
        (Some("GET"), Some("/v2/databases")),
        "the lost create must be followed by the lookup (the cluster list):\n{}",
        mock.request_summary()
    );
    println!(
        "lost create response: one POST, then the lookup; {} API requests in all",
        requests.len()
    );
    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}

// ---------------------------------------------------------------------------------------------
// 4. Coalesced waiting
// ---------------------------------------------------------------------------------------------

/// How many clusters wait together.
const WAITING_CLUSTERS: usize = 20;
/// How long each takes to come online.
const SLOW_PROVISION_MS: u64 = 3000;

#[test]
fn clusters_waiting_together_share_one_list_per_round() {
    let provision = SLOW_PROVISION_MS.to_string();
    let mock = Mock::start(&["--provision-delay-ms", &provision]);
    let tf = Terraform::new(&mock);
    tf.write_config(&pg_cluster_named(
        "x",
        "\"rel-wait-${count.index}\"",
        SMALL,
        &format!("  count      = {WAITING_CLUSTERS}\n"),
    ));
    let parallelism = format!("-parallelism={WAITING_CLUSTERS}");
    tf.run_ok(&[
        "apply",
        "-no-color",
        "-input=false",
        "-auto-approve",
        &parallelism,
    ]);

    let requests = mock.requests();
    let ids_by_name: BTreeMap<String, String> = mock
        .clusters()
        .into_iter()
        .filter_map(|c| {
            Some((
                c["name"].as_str()?.to_string(),
                c["id"].as_str()?.to_string(),
            ))
        })
        .collect();
    // When each cluster was created, by id.
    let created: BTreeMap<String, u64> = requests_to(&requests, "POST", "/v2/databases")
        .into_iter()
        .filter(|post| post["status"] == 201)
        .map(|post| {
            let name = post["body"]["name"].as_str().unwrap_or_default();
            let id = ids_by_name
                .get(name)
                .unwrap_or_else(|| panic!("the created cluster {name:?} is not stored"));
            (id.clone(), number(post, "at_ms"))
        })
        .collect();
    assert_eq!(
        created.len(),
        WAITING_CLUSTERS,
        "{}",
        mock.request_summary()
    );
    let first_create = *created.values().min().expect("clusters were created");
    let last_online = created.values().max().expect("clusters were created") + SLOW_PROVISION_MS;
    let during_wait = |request: &&Value| {
        (first_create..last_online).contains(&number(request, "at_ms"))
            && request["method"] == "GET"
    };
    let lists = requests
        .iter()
        .filter(during_wait)
        .filter(|r| r["path"] == "/v2/databases")
        .count();
    // A read by id of a cluster before it can be online is a polling read: with one GET per
    // cluster per round there would be at least one per cluster per second of provisioning.
    let polling_reads = requests
        .iter()
        .filter(during_wait)
        .filter(|r| {
            let path = r["path"].as_str().unwrap_or_default();
            path.strip_prefix("/v2/databases/")
                .and_then(|id| created.get(id))
                .is_some_and(|created_at| number(r, "at_ms") < created_at + SLOW_PROVISION_MS)
        })
        .count();
    let per_cluster = requests.len() as f64 / WAITING_CLUSTERS as f64;
    println!(
        "coalesced waiting: {WAITING_CLUSTERS} clusters, {} API requests ({lists} cluster lists \
         and {polling_reads} polling reads by id during the wait)",
        requests.len()
    );
    println!("API requests per created cluster: {per_cluster:.2}");

    assert!(
        lists > 0,
        "no cluster list was requested while the clusters were provisioning:\n{}",
        mock.request_summary()
    );
    // Polling each cluster by id for the 3 s of provisioning (first check after 500 ms, then
    // at most every second) would take at least 3 reads per cluster that see `creating`.
    // Shared lists leave at most a few reads by id (a waiter that is briefly alone).
    assert!(
        polling_reads < WAITING_CLUSTERS,
        "{polling_reads} reads by id while {WAITING_CLUSTERS} clusters provisioned: the waits \
         did not share the cluster list\n{}",
        mock.request_summary()
    );
    // Every cluster needs at least two requests whatever the waiting strategy: its create and
    // the read-back once online (its autoscale settings are read only with a
    // `storage_autoscale` block). One GET per cluster per round would add at least three more
    // (see above). Coalesced waits add
    // well under one per cluster: a list per round for all of them, plus the run's few shared
    // reads (the options catalogue).
    assert!(
        per_cluster < 4.0,
        "{per_cluster:.2} API requests per created cluster; shared waits need under 4\n{}",
        mock.request_summary()
    );
    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}

// ---------------------------------------------------------------------------------------------
// 5. Cancellation
// ---------------------------------------------------------------------------------------------

/// How long Terraform may take to exit after the interrupt. The requirement is two seconds;
/// the margin keeps a loaded CI machine from failing the test, and the measured time is printed.
const INTERRUPT_EXIT_LIMIT: Duration = Duration::from_secs(10);
/// How long the apply may take to reach the wait before the test gives up.
const REACH_WAIT_LIMIT: Duration = Duration::from_secs(120);

/// A Terraform run started in the background, with the harness's environment.
struct Background {
    child: Child,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
}

/// Starts `terraform args…` in the workspace of `tf` with the same environment the harness
/// gives its own runs (the harness runs commands to completion only). Always in a process group
/// of its own: so that the group can be signalled like a terminal's Ctrl-C, and so that
/// [`wait_for_exit`] can end every process of the run, Terraform's own children included (they
/// hold the output pipes; one left running would block the test for good).
fn spawn_terraform(tf: &Terraform, mock: &Mock, args: &[&str]) -> Background {
    let mut command = Command::new(tf.binary());
    command
        .args(args)
        .current_dir(tf.dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, _) in std::env::vars_os() {
        if is_scrubbed(&key) {
            command.env_remove(key);
        }
    }
    command
        .env("TF_CLI_CONFIG_FILE", tf.dir().join("cli.tfrc"))
        .env("TF_IN_AUTOMATION", "1")
        .env("TF_INPUT", "0")
        .env("CHECKPOINT_DISABLE", "1")
        .env("DBAAS_TOKEN", mock.token())
        .env("DBAAS_API_URL", mock.url());
    command.process_group(0);
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", tf.binary().display()));
    let stdout = capture(child.stdout.take());
    let stderr = capture(child.stderr.take());
    Background {
        child,
        stdout,
        stderr,
    }
}

/// The variables the harness removes from Terraform's environment (see `support::terraform`).
fn is_scrubbed(key: &OsStr) -> bool {
    let key = key.to_string_lossy();
    ["TF_", "DIGITALOCEAN_", "DBAAS_"]
        .iter()
        .any(|prefix| key.starts_with(prefix))
}

fn capture(stream: Option<impl Read + Send + 'static>) -> JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut stream) = stream {
            let _ = stream.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Sends SIGINT to the process group of `child` (see [`spawn_terraform`]) when `group`, like a
/// terminal's Ctrl-C, else to the Terraform CLI process alone (see [`terraform_cli_pid`]).
/// The child must not have been waited for yet, so that its PID (and the group's ID) still
/// belong to it. Returns a description of whom the signal went to.
fn interrupt(child: &mut Child, group: bool) -> String {
    let (result, whom) = if group {
        (
            signal::send(Target::Group(child.id()), signal::SIGINT),
            format!("the process group {} of terraform", child.id()),
        )
    } else {
        match terraform_cli_pid(child) {
            pid if pid == child.id() => (
                signal::to_child(child, signal::SIGINT),
                format!("terraform alone (pid {pid})"),
            ),
            pid => (
                signal::send(Target::Process(pid), signal::SIGINT),
                format!(
                    "terraform alone (pid {pid}, the CLI process under Terraform's panicwrap \
                     wrapper {})",
                    child.id()
                ),
            ),
        }
    };
    if let Err(error) = result {
        panic!("cannot send SIGINT to {whom}: {error}");
    }
    whom
}

/// The process that runs the Terraform CLI started as `child`. Older Terraform (1.0.x among
/// them) runs itself twice through panicwrap: the process we started only copies its child's
/// output, watching for a panic, and ignores SIGINT by design (a terminal's Ctrl-C reaches the
/// whole group anyway), while the CLI proper is that child, running the same executable.
/// Newer Terraform is one process. Reads /proc; where that is not possible, `child` itself.
fn terraform_cli_pid(child: &Child) -> u32 {
    let exe = |pid: u32| fs::read_link(format!("/proc/{pid}/exe")).ok();
    let mut pid = child.id();
    // The chain is one wrapper deep; the bound only guards against a cycle of stale reads.
    for _ in 0..4 {
        let Some(own) = exe(pid) else { break };
        match children_of(pid)
            .into_iter()
            .find(|&c| exe(c).as_ref() == Some(&own))
        {
            Some(inner) => pid = inner,
            None => break,
        }
    }
    pid
}

/// The PIDs whose parent is `parent`, from /proc/<pid>/stat (empty without /proc).
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            // "pid (comm) state ppid …"; comm may hold spaces and parentheses.
            fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    let (_, rest) = stat.rsplit_once(')')?;
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(parent)
        })
        .collect()
}

/// Waits for the child to exit, up to `limit`; after that kills its whole process group
/// (Terraform, a panicwrap child, providers), so that no process keeps the output pipes open.
fn wait_for_exit(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait for terraform") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            // Before the wait: the group ID is the child's PID, which is ours until reaped.
            let _ = signal::send(Target::Group(child.id()), signal::SIGKILL);
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Applies a cluster that never comes online (create timeout 30 minutes), interrupts Terraform
/// once the provider is polling, and checks that the apply ends promptly with the cluster kept
/// in state, tainted.
fn interrupt_during_wait(group: bool, name: &str) {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    mock.add_fault(fault("POST", "/v2/databases", "never_online", 1));
    tf.write_config(&pg_cluster(
        "x",
        name,
        SMALL,
        "\n  timeouts {\n    create = \"30m\"\n  }\n",
    ));
    let mut run = spawn_terraform(
        &tf,
        &mock,
        &["apply", "-no-color", "-input=false", "-auto-approve"],
    );

    // The provider is in the wait once it has read the new cluster at least once.
    let reached = Instant::now();
    let id = loop {
        let polled = mock.clusters().first().and_then(|cluster| {
            let id = cluster["id"].as_str()?.to_string();
            let path = format!("/v2/databases/{id}");
            let requests = mock.requests();
            requests
                .iter()
                .any(|r| {
                    r["method"] == "GET" && (r["path"] == path || r["path"] == "/v2/databases")
                })
                .then_some(id)
        });
        if let Some(id) = polled {
            break id;
        }
        if let Some(status) = run.child.try_wait().expect("wait for terraform") {
            panic!(
                "terraform exited ({status}) before the wait began:\n{}\n{}",
                run.stdout.join().unwrap_or_default(),
                run.stderr.join().unwrap_or_default()
            );
        }
        assert!(
            reached.elapsed() < REACH_WAIT_LIMIT,
            "the apply never started waiting:\n{}",
            mock.request_summary()
        );
        thread::sleep(Duration::from_millis(50));
    };

    let interrupted = Instant::now();
    let whom = interrupt(&mut run.child, group);
    let status = wait_for_exit(&mut run.child, INTERRUPT_EXIT_LIMIT);
    let took = interrupted.elapsed();
    let stdout = run.stdout.join().unwrap_or_default();
    let stderr = run.stderr.join().unwrap_or_default();
    println!(
        "SIGINT to {whom}{}: terraform exited {:.2}s after SIGINT (requirement: within 2s)",
        if group { " (Ctrl-C)" } else { "" },
        took.as_secs_f64()
    );
    let status = status.unwrap_or_else(|| {
        panic!(
            "terraform did not exit within {}s of SIGINT\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
            INTERRUPT_EXIT_LIMIT.as_secs()
        )
    });
    assert!(
        !status.success(),
        "an interrupted apply must not report success\n{stdout}\n{stderr}"
    );
    assert!(
        !format!("{stdout}{stderr}")
            .to_lowercase()
            .contains("backtrace"),
        "the interrupted apply shows a backtrace:\n{stdout}\n{stderr}"
    );
    let diagnostics = flatten(&stderr).to_lowercase();
    assert!(
        diagnostics.contains("asked to stop") && diagnostics.contains("tainted"),
        "the interrupted apply must say that the wait was stopped and the cluster kept \
         tainted:\n{stderr}"
    );

    let stored = mock.clusters();
    assert_eq!(stored.len(), 1, "expected exactly the one cluster created");
    assert_eq!(stored[0]["status"], "creating");
    let state = tf.show_state();
    let resource = state_resource(&state, CLUSTER).unwrap_or_else(|| {
        panic!("the interrupted create was dropped from state:\n{stdout}\n{stderr}")
    });
    assert_eq!(str_attr(&resource["values"], "id"), id);
    assert_eq!(
        resource["tainted"], true,
        "the interrupted create must be kept tainted"
    );

    tf.destroy();
    assert_eq!(mock.cluster_count(), 0, "destroy left the cluster behind");
}

#[test]
fn interrupt_ends_a_long_wait_and_keeps_the_cluster_tainted() {
    interrupt_during_wait(false, "rel-interrupt");
}

#[test]
fn ctrl_c_to_the_process_group_ends_a_long_wait_and_keeps_the_cluster_tainted() {
    interrupt_during_wait(true, "rel-ctrl-c");
}

// ---------------------------------------------------------------------------------------------
// 6. Serialised mutations per cluster
// ---------------------------------------------------------------------------------------------

const POOLS: usize = 6;

/// `dbaas_database_connection_pool.p<i>` for each pool, on `cluster_id` (an HCL expression).
/// Six pools of `size` must fit the connections of the cluster's smallest size (22).
fn pools(cluster_id: &str, size: u32, mode: &str) -> String {
    (0..POOLS)
        .map(|i| {
            format!(
                "resource \"dbaas_database_connection_pool\" \"p{i}\" {{\n  cluster_id = {cluster_id}\n  \
                 name       = \"pool-{i}\"\n  mode       = {}\n  size       = {size}\n  \
                 db_name    = \"defaultdb\"\n}}\n",
                lit(mode)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn firewall(cluster_id: &str, addresses: &[&str]) -> String {
    let rules: String = addresses
        .iter()
        .map(|address| {
            format!(
                "\n  rule {{\n    type  = \"ip_addr\"\n    value = {}\n  }}\n",
                lit(address)
            )
        })
        .collect();
    format!(
        "resource \"dbaas_database_firewall\" \"x\" {{\n  cluster_id = {cluster_id}\n{rules}}}\n"
    )
}

fn overlapping_mutations(mock: &Mock) -> u64 {
    mock.state()["overlapping_mutations"]
        .as_u64()
        .expect("/_mock/state reports overlapping_mutations")
}

#[test]
fn changes_to_one_cluster_never_overlap() {
    // Resizing takes a while, so that the pool and firewall changes of the second apply run
    // while the cluster is resizing.
    let mock = Mock::start(&["--transition-delay-ms", "2000"]);
    mock.settings(json!({ "reject_concurrent_mutations": true }));
    let tf = Terraform::new(&mock);
    let cluster = pg_cluster("x", "rel-serial", SMALL, "");
    let reference = format!("{CLUSTER}.id");
    tf.write_config(&format!(
        "{cluster}\n{}\n{}",
        pools(&reference, 3, "transaction"),
        firewall(&reference, &["192.168.1.1", "192.168.1.2"]),
    ));
    tf.apply();
    tf.assert_plan_empty();
    let state = tf.show_state();
    let id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    let record = mock.cluster_record(&id).expect("the cluster is stored");
    assert_eq!(record["pools"].as_array().map_or(0, Vec::len), POOLS);
    assert_eq!(
        overlapping_mutations(&mock),
        0,
        "the first apply sent overlapping changes to the cluster:\n{}",
        mock.request_summary()
    );

    // The children now name the cluster by its id rather than by reference, so Terraform has no
    // reason to order them after the cluster: the resize, the six pool updates and the firewall
    // update all start at once, and only the provider can keep them from overlapping.
    let literal_id = lit(&id);
    let cluster = pg_cluster("x", "rel-serial", MEDIUM, "");
    tf.write_config(&format!(
        "{cluster}\n{}\n{}",
        pools(&literal_id, 2, "session"),
        firewall(&literal_id, &["192.168.1.1", "10.0.0.0/24"]),
    ));
    let plan = tf.plan();
    plan.assert_update(CLUSTER);
    plan.assert_update("dbaas_database_firewall.x");
    for i in 0..POOLS {
        plan.assert_update(&format!("dbaas_database_connection_pool.p{i}"));
    }
    mock.clear_requests();
    tf.run_ok(&[
        "apply",
        "-no-color",
        "-input=false",
        "-auto-approve",
        "tfplan",
    ]);
    tf.assert_plan_empty();

    let requests = mock.requests();
    let refused = requests.iter().filter(|r| r["status"] == 412).count();
    println!(
        "serialised mutations: second apply sent {} API requests, {refused} answered 412",
        requests.len()
    );
    assert_eq!(
        overlapping_mutations(&mock),
        0,
        "changes to one cluster overlapped:\n{}",
        mock.request_summary()
    );
    let record = mock.cluster_record(&id).expect("the cluster is stored");
    assert_eq!(record["database"]["size"], MEDIUM);
    let stored_pools = record["pools"].as_array().cloned().unwrap_or_default();
    assert_eq!(stored_pools.len(), POOLS);
    for pool in &stored_pools {
        assert_eq!(
            (pool["mode"].as_str(), pool["size"].as_i64()),
            (Some("session"), Some(2)),
            "pool {} was not updated",
            pool["name"]
        );
    }
    let rules: BTreeSet<&str> = record["firewall_rules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|rule| rule["value"].as_str())
        .collect();
    assert_eq!(rules, BTreeSet::from(["192.168.1.1", "10.0.0.0/24"]));

    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
    assert_eq!(overlapping_mutations(&mock), 0, "the destroy overlapped");
}

// ---------------------------------------------------------------------------------------------
// 7. Secrets
// ---------------------------------------------------------------------------------------------

/// Every secret a resource's values hold: passwords and URIs.
fn secrets_in(state: &Value) -> Vec<String> {
    state["values"]["root_module"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|resource| {
            ["password", "uri", "private_uri", "ui_password", "ui_uri"]
                .into_iter()
                .filter_map(|attribute| resource["values"][attribute].as_str())
                .filter(|secret| !secret.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Which of `needles` occur in `haystack`, by position in the list (never by value: the
/// needles are secrets).
fn leaked(haystack: &str, needles: &[String]) -> Vec<usize> {
    needles
        .iter()
        .enumerate()
        .filter(|(_, needle)| haystack.contains(needle.as_str()))
        .map(|(index, _)| index)
        .collect()
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[test]
fn trace_logs_and_state_hold_no_secrets() {
    let token = format!("dbaas-secret-{}", uuid::Uuid::new_v4());
    let mock = Mock::start(&["--token", &token]);
    let mut tf = Terraform::new(&mock);
    let log_path = tf.dir().join("terraform-trace.log");
    tf.set_env("TF_LOG", "trace");
    tf.set_env("TF_LOG_PATH", log_path.to_str().expect("UTF-8 temp path"));
    // The token travels the way a careful user passes it: a sensitive variable set from the
    // environment and handed to the provider block (so it crosses ConfigureProvider too).
    tf.unset_env("DBAAS_TOKEN");
    tf.set_env("TF_VAR_api_token", &token);
    let cluster = format!("{CLUSTER}.id");
    let provider = TEST_PROVIDER_BLOCK.replacen(
        "provider \"dbaas\" {\n",
        "provider \"dbaas\" {\n  token = var.api_token\n",
        1,
    );
    tf.write_config_raw(&format!(
        "variable \"api_token\" {{\n  type      = string\n  sensitive = true\n}}\n\n{provider}\n{}\n{}\n{}\n{}\n{}",
        pg_cluster("x", "rel-secrets", SMALL, ""),
        "resource \"dbaas_database_connection_pool\" \"x\" {\n  cluster_id = dbaas_database_cluster.x.id\n  \
         name       = \"secret-pool\"\n  mode       = \"transaction\"\n  size       = 10\n  \
         db_name    = \"defaultdb\"\n  user       = \"doadmin\"\n}\n",
        firewall(&cluster, &["192.168.1.1"]),
        "resource \"dbaas_database_cluster\" \"kafka\" {\n  name       = \"rel-secrets-kafka\"\n  \
         engine     = \"kafka\"\n  version    = \"3.8\"\n  size       = \"gd-2vcpu-8gb\"\n  \
         region     = \"nyc1\"\n  node_count = 3\n}\n",
        "resource \"dbaas_database_kafka_topic\" \"x\" {\n  cluster_id = dbaas_database_cluster.kafka.id\n  \
         name       = \"secret-topic\"\n}\n",
    ));
    tf.apply();
    tf.assert_plan_empty();
    let state_file = tf.dir().join("terraform.tfstate");
    let state_text = read(&state_file);
    let secrets = secrets_in(&tf.show_state());
    // The PostgreSQL cluster and the pool have a password, a URI and a private URI each; the
    // Kafka cluster has a password (Kafka has no connection URI).
    assert!(
        secrets.len() >= 7,
        "expected the passwords and URIs of two clusters and a pool in state, found {}",
        secrets.len()
    );
    tf.destroy();

    let log = read(&log_path);
    assert!(
        log.contains("API request") && log.contains("/v2/databases"),
        "the trace log holds none of the provider's request logs; the test would prove nothing"
    );
    let leaks = leaked(&log, &secrets);
    assert!(
        leaks.is_empty(),
        "the trace log contains {} of the {} passwords and URIs from state (entries {leaks:?})",
        leaks.len(),
        secrets.len()
    );
    // A URI whose password is masked (`user:****@`, `user:REDACTED@`) is fine.
    let uri_with_password =
        Regex::new(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s/@:]+:([^\s/@]+)@").expect("valid regex");
    let uri_count = uri_with_password
        .captures_iter(&log)
        .filter(|uri| {
            let password = &uri[1];
            !(password.chars().all(|c| c == '*') || password.to_lowercase().contains("redact"))
        })
        .count();
    assert_eq!(
        uri_count, 0,
        "the trace log contains {uri_count} URIs with a password"
    );
    assert!(
        !log.contains(token.as_str()),
        "the trace log contains the API token"
    );
    assert!(
        !state_text.contains(token.as_str()),
        "terraform.tfstate contains the API token"
    );
    let backup = tf.dir().join("terraform.tfstate.backup");
    if backup.exists() {
        assert!(
            !read(&backup).contains(token.as_str()),
            "terraform.tfstate.backup contains the API token"
        );
    }
    println!(
        "secrets: a {} KiB trace log of apply, plan and destroy holds none of the {} secrets, no \
         URI with a password, and not the token",
        log.len() / 1024,
        secrets.len()
    );
}
