//! Acceptance tests for `dbaas-mock --real-engines`: the real Terraform CLI creates clusters,
//! users, databases and pools, and each engine's own client connects with the details the
//! provider reports: `psql` through every PostgreSQL URI (cluster, private, users, pools),
//! `mysql` for MariaDB, `redis-cli` for Valkey. Then the cleanup guarantees: nothing runs after
//! the emulator stops (SIGTERM, SIGINT, or killed outright), and with `--state-file` a restart
//! brings a cluster back with its data.
//!
//! The servers come from Debian's packages, which `./scripts/test.sh` installs; a missing
//! client fails the test with the package to install.

mod support;

use std::fs;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::thread;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use support::terraform::state_values;
use support::{Mock, Terraform};

const PG_CLUSTER: &str = "dbaas_database_cluster.pg";

/// `program` on PATH, or a failure naming the Debian package that has it.
fn client(program: &str, package: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "`{program}` is not installed: install Debian's `{package}` (./scripts/test.sh does)"
        )
    })
}

fn real_mock(extra: &[&str]) -> Mock {
    let mut args = vec!["--real-engines", "--provision-delay-ms", "0"];
    args.extend_from_slice(extra);
    Mock::start(&args)
}

fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

/// Runs one SQL statement through `psql` with a libpq connection string (a URI or
/// `key=value` pairs); its output, or the error psql printed.
fn psql(conninfo: &str, sql: &str) -> Result<String, String> {
    let output = run(Command::new(client("psql", "postgresql-client"))
        .args([
            "-X",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            conninfo,
            "-c",
            sql,
        ])
        .env("PGCONNECT_TIMEOUT", "10")
        .env_remove("PGPASSWORD")
        .env_remove("PGSSLMODE"));
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_string())
    }
}

fn psql_ok(conninfo: &str, sql: &str, what: &str) -> String {
    psql(conninfo, sql).unwrap_or_else(|error| panic!("psql through {what} failed: {error}"))
}

fn str_of<'a>(values: &'a Value, name: &str) -> &'a str {
    values[name]
        .as_str()
        .unwrap_or_else(|| panic!("`{name}` is not a string: {}", values[name]))
}

fn port_of(values: &Value) -> u16 {
    let port = values["port"].as_u64().expect("a port");
    u16::try_from(port).expect("a TCP port")
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(2),
    )
    .is_ok()
}

fn write_ca(dir: &Path, pem: &str) -> PathBuf {
    assert!(
        pem.starts_with("-----BEGIN CERTIFICATE-----"),
        "the CA is a PEM certificate"
    );
    let path = dir.join("ca.pem");
    fs::write(&path, pem).expect("write ca.pem");
    path
}

/// The cluster's CA as PEM, from the API (base64 of the PEM).
fn api_ca(mock: &Mock, id: &str) -> String {
    use base64::Engine as _;
    let (status, body) = mock.v2(Method::GET, &format!("/v2/databases/{id}/ca"), None);
    assert!(status.is_success(), "GET ca answered {status}");
    let encoded = body["ca"]["certificate"].as_str().expect("ca.certificate");
    let pem = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .expect("the CA is base64");
    String::from_utf8(pem).expect("the CA is text")
}

fn pg_config(with_children: bool) -> String {
    let mut config = String::from(
        r#"
resource "dbaas_database_cluster" "pg" {
  name       = "real-pg"
  engine     = "pg"
  version    = "16"
  size       = "db-s-1vcpu-1gb"
  region     = "nyc1"
  node_count = 1
}

data "dbaas_database_ca" "pg" {
  cluster_id = dbaas_database_cluster.pg.id
}
"#,
    );
    if with_children {
        config.push_str(
            r#"
resource "dbaas_database_user" "app" {
  cluster_id = dbaas_database_cluster.pg.id
  name       = "app"
}

resource "dbaas_database_db" "app" {
  cluster_id = dbaas_database_cluster.pg.id
  name       = "appdb"
}

resource "dbaas_database_connection_pool" "backend" {
  cluster_id = dbaas_database_cluster.pg.id
  name       = "backend"
  mode       = "transaction"
  size       = 5
  db_name    = dbaas_database_db.app.name
  user       = dbaas_database_user.app.name
}
"#,
        );
    }
    // The inbound pool stays in both steps, so PgBouncer keeps running when the other goes.
    config.push_str(
        r#"
resource "dbaas_database_connection_pool" "inbound" {
  cluster_id = dbaas_database_cluster.pg.id
  name       = "inbound"
  mode       = "session"
  size       = 3
  db_name    = "defaultdb"
}
"#,
    );
    config
}

#[test]
fn a_pg_cluster_user_database_and_pools_are_reachable_with_psql_through_each_uri() {
    let mock = real_mock(&[]);
    let terraform = Terraform::new(&mock);
    terraform.write_config(&pg_config(true));
    terraform.apply();
    terraform.assert_plan_empty();

    let state = terraform.show_state();
    let cluster = state_values(&state, PG_CLUSTER);
    let user = state_values(&state, "dbaas_database_user.app");
    let backend = state_values(&state, "dbaas_database_connection_pool.backend");
    let inbound = state_values(&state, "dbaas_database_connection_pool.inbound");
    let ca = state_values(&state, "data.dbaas_database_ca.pg");
    assert_eq!(str_of(cluster, "host"), "127.0.0.1");
    let port = port_of(cluster);
    let admin = str_of(cluster, "user");
    let admin_password = str_of(cluster, "password");
    let app_password = str_of(user, "password");

    // The cluster's own URIs, public and private (the same server), as the admin.
    for field in ["uri", "private_uri"] {
        let uri = str_of(cluster, field);
        assert!(uri.contains("sslmode=require"), "{field} asks for TLS");
        let who = psql_ok(
            uri,
            "select current_user || ' ' || current_database() || ' ' || ssl from pg_stat_ssl where pid = pg_backend_pid()",
            &format!("the cluster's {field}"),
        );
        assert_eq!(
            who,
            format!("{admin} defaultdb true"),
            "{field} logs in over TLS"
        );
    }

    // The user and the database are real. As on DigitalOcean (PostgreSQL 15 and later), the
    // admin owns the databases the API creates, and a new user may create tables in `public`
    // only once the admin grants it.
    let app_uri = format!("postgresql://app:{app_password}@127.0.0.1:{port}/appdb?sslmode=require");
    let admin_appdb =
        format!("postgresql://{admin}:{admin_password}@127.0.0.1:{port}/appdb?sslmode=require");
    assert_eq!(
        psql_ok(
            &admin_appdb,
            "select pg_get_userbyid(datdba) from pg_database where datname = 'appdb'",
            "the admin on appdb"
        ),
        admin,
        "the admin owns the database the API created"
    );
    psql_ok(
        &admin_appdb,
        "grant create on schema public to app",
        "the admin on appdb",
    );
    psql_ok(
        &app_uri,
        "create table notes (body text); insert into notes values ('written by app')",
        "the app user's connection",
    );
    // …which the pool owned by `app` (transaction mode, on `appdb`) reads.
    for field in ["uri", "private_uri"] {
        let uri = str_of(backend, field);
        assert_eq!(str_of(backend, "host"), "127.0.0.1");
        assert_ne!(port_of(backend), port, "pools answer on PgBouncer's port");
        let read = psql_ok(
            uri,
            "select current_user || ' ' || current_database() || ' ' || body from notes",
            &format!("the backend pool's {field}"),
        );
        assert_eq!(read, "app appdb written by app");
    }
    // The inbound pool lets each client bring its own credentials.
    let inbound_uri = str_of(inbound, "uri").to_string();
    let inbound_uri = inbound_uri.as_str();
    assert_eq!(
        psql_ok(
            inbound_uri,
            "select current_user || ' ' || current_database()",
            "the inbound pool"
        ),
        format!("{admin} defaultdb")
    );
    let inbound_as_app = format!(
        "postgresql://app:{app_password}@127.0.0.1:{}/inbound?sslmode=require",
        port_of(inbound)
    );
    assert_eq!(
        psql_ok(
            &inbound_as_app,
            "select current_user",
            "the inbound pool as app"
        ),
        "app"
    );

    // The CA from `dbaas_database_ca` verifies the server; a wrong CA does not; plain TCP is
    // refused like on DigitalOcean.
    let ca_file = write_ca(terraform.dir(), str_of(ca, "certificate_pem"));
    let verified = format!(
        "host=127.0.0.1 port={port} dbname=defaultdb user={admin} password={admin_password} sslmode=verify-ca sslrootcert={}",
        ca_file.display()
    );
    assert_eq!(psql_ok(&verified, "select 1", "verify-ca"), "1");
    let other_ca = terraform.dir().join("other-ca.pem");
    make_unrelated_ca(&other_ca);
    let wrong = format!(
        "host=127.0.0.1 port={port} dbname=defaultdb user={admin} password={admin_password} sslmode=verify-ca sslrootcert={}",
        other_ca.display()
    );
    let error = psql(&wrong, "select 1").expect_err("a CA that did not sign the server");
    assert!(
        error.contains("certificate verify failed"),
        "psql said: {error}"
    );
    let plain = format!(
        "host=127.0.0.1 port={port} dbname=defaultdb user={admin} password={admin_password} sslmode=disable"
    );
    let error = psql(&plain, "select 1").expect_err("a connection without TLS");
    assert!(
        !error.contains(admin_password),
        "psql's error does not echo the password"
    );

    // Without the user, the database and the pools, they are gone from the servers too.
    let backend_uri = str_of(backend, "uri").to_string();
    terraform.write_config(&pg_config(false));
    terraform.apply();
    terraform.assert_plan_empty();
    let error = psql(&app_uri, "select 1").expect_err("the deleted user cannot log in");
    assert!(
        error.contains("authentication failed") || error.contains("does not exist"),
        "psql said: {error}"
    );
    // The pool's user is gone (PgBouncer refuses it), and so is the pool, even for the admin.
    let error = psql(&backend_uri, "select 1").expect_err("the deleted pool's user");
    assert!(
        error.contains("authentication failed"),
        "psql said: {error}"
    );
    let backend_as_admin = format!(
        "postgresql://{admin}:{admin_password}@127.0.0.1:{}/backend?sslmode=require",
        port_of(backend)
    );
    let error = psql(&backend_as_admin, "select 1").expect_err("the deleted pool");
    assert!(error.contains("no such database"), "psql said: {error}");
    assert_eq!(
        psql_ok(
            inbound_uri,
            "select current_database()",
            "the pool that stayed"
        ),
        "defaultdb"
    );
    let admin_uri = str_of(cluster, "uri");
    assert_eq!(
        psql_ok(
            admin_uri,
            "select count(*) from pg_database where datname = 'appdb'",
            "admin"
        ),
        "0",
        "the database was dropped"
    );
    assert_eq!(
        psql_ok(
            admin_uri,
            "select count(*) from pg_roles where rolname = 'app'",
            "admin"
        ),
        "0",
        "the role was dropped"
    );

    // Destroying the cluster stops its servers.
    let pool_port = port_of(backend);
    terraform.destroy();
    assert!(!listening(port), "PostgreSQL still listens after destroy");
    assert!(
        !listening(pool_port),
        "PgBouncer still listens after destroy"
    );
}

/// A self-signed CA that signed nothing of the emulator's.
fn make_unrelated_ca(path: &Path) {
    let key = path.with_extension("key");
    let output = run(Command::new(client("openssl", "openssl")).args([
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        "/CN=unrelated test CA",
        "-days",
        "1",
        "-keyout",
        key.to_str().expect("a UTF-8 path"),
        "-out",
        path.to_str().expect("a UTF-8 path"),
    ]));
    assert!(
        output.status.success(),
        "openssl req failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn mysql_config(plugin: &str) -> String {
    format!(
        r#"
resource "dbaas_database_cluster" "mysql" {{
  name       = "real-mysql"
  engine     = "mysql"
  version    = "8"
  size       = "db-s-1vcpu-1gb"
  region     = "nyc1"
  node_count = 1
}}

resource "dbaas_database_user" "app" {{
  cluster_id        = dbaas_database_cluster.mysql.id
  name              = "app"
  mysql_auth_plugin = "{plugin}"
}}

resource "dbaas_database_db" "app" {{
  cluster_id = dbaas_database_cluster.mysql.id
  name       = "appdb"
}}

data "dbaas_database_ca" "mysql" {{
  cluster_id = dbaas_database_cluster.mysql.id
}}
"#
    )
}

/// `mysql -h … -P … -u … -p…` over TLS, verifying the server against `ca`.
fn mysql(port: u16, user: &str, password: &str, ca: &Path, sql: &str) -> Result<String, String> {
    let output = run(Command::new(client("mysql", "mariadb-client"))
        .args(["-h", "127.0.0.1", "-P", &port.to_string(), "-u", user])
        .arg(format!("-p{password}"))
        .arg(format!("--ssl-ca={}", ca.display()))
        .args([
            "--ssl-verify-server-cert",
            "--connect-timeout=10",
            "-N",
            "-B",
            "-e",
            sql,
        ]));
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_string())
    }
}

#[test]
fn a_mysql_cluster_user_and_database_are_reachable_with_the_mysql_client() {
    let mock = real_mock(&[]);
    let terraform = Terraform::new(&mock);
    terraform.write_config(&mysql_config("mysql_native_password"));
    terraform.apply();
    terraform.assert_plan_empty();

    let state = terraform.show_state();
    let cluster = state_values(&state, "dbaas_database_cluster.mysql");
    let user = state_values(&state, "dbaas_database_user.app");
    let ca = write_ca(
        terraform.dir(),
        str_of(
            state_values(&state, "data.dbaas_database_ca.mysql"),
            "certificate_pem",
        ),
    );
    assert_eq!(str_of(cluster, "host"), "127.0.0.1");
    let port = port_of(cluster);
    let admin = str_of(cluster, "user");
    let admin_password = str_of(cluster, "password");
    let old_password = str_of(user, "password").to_string();

    let who = mysql(port, admin, admin_password, &ca, "select current_user()")
        .unwrap_or_else(|e| panic!("the admin cannot connect: {e}"));
    assert_eq!(who, format!("{admin}@%"));
    mysql(
        port,
        "app",
        &old_password,
        &ca,
        "create table appdb.notes (body text); insert into appdb.notes values ('from app'); select body from appdb.notes",
    )
    .unwrap_or_else(|e| panic!("the app user cannot use appdb: {e}"));
    let plugin = mysql(
        port,
        admin,
        admin_password,
        &ca,
        "select plugin from mysql.user where user = 'app'",
    )
    .expect("the admin reads mysql.user");
    assert_eq!(plugin, "mysql_native_password", "the plugin asked for");

    // A new auth plugin goes through reset_auth, which issues a new password: the old one no
    // longer logs in, the new one does (MariaDB has no caching_sha2_password; see the README).
    terraform.write_config(&mysql_config("caching_sha2_password"));
    terraform.apply();
    terraform.assert_plan_empty();
    let state = terraform.show_state();
    let new_password = str_of(state_values(&state, "dbaas_database_user.app"), "password");
    assert_ne!(
        new_password, old_password,
        "reset_auth issued a new password"
    );
    mysql(port, "app", &old_password, &ca, "select 1").expect_err("the old password is refused");
    assert_eq!(
        mysql(
            port,
            "app",
            new_password,
            &ca,
            "select body from appdb.notes"
        )
        .unwrap_or_else(|e| panic!("the new password does not log in: {e}")),
        "from app"
    );

    terraform.destroy();
    assert!(!listening(port), "MariaDB still listens after destroy");
}

fn redis_cli(ca: &Path, uri: &str, command: &[&str]) -> Result<String, String> {
    let output = run(Command::new(client("redis-cli", "redis-tools"))
        .args(["--tls", "--cacert"])
        .arg(ca)
        .args(["--no-auth-warning", "-u", uri])
        .args(command));
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_string();
    // redis-cli exits 0 on a server error reply; the reply says so.
    if output.status.success() && !stdout.starts_with("ERR") && !stdout.contains("NOAUTH") {
        Ok(stdout)
    } else {
        Err(format!(
            "{stdout} {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

#[test]
fn a_valkey_cluster_is_reachable_with_redis_cli() {
    let mock = real_mock(&[]);
    let terraform = Terraform::new(&mock);
    terraform.write_config(
        r#"
resource "dbaas_database_cluster" "cache" {
  name       = "real-valkey"
  engine     = "valkey"
  version    = "8"
  size       = "db-s-1vcpu-1gb"
  region     = "nyc1"
  node_count = 1
}

data "dbaas_database_ca" "cache" {
  cluster_id = dbaas_database_cluster.cache.id
}
"#,
    );
    terraform.apply();
    terraform.assert_plan_empty();
    let state = terraform.show_state();
    let cluster = state_values(&state, "dbaas_database_cluster.cache");
    let ca = write_ca(
        terraform.dir(),
        str_of(
            state_values(&state, "data.dbaas_database_ca.cache"),
            "certificate_pem",
        ),
    );
    let uri = str_of(cluster, "uri");
    assert!(
        uri.starts_with("rediss://default:"),
        "a TLS URI for the default user"
    );
    assert_eq!(redis_cli(&ca, uri, &["ping"]).expect("PING"), "PONG");
    assert_eq!(
        redis_cli(&ca, uri, &["set", "greeting", "hello"]).expect("SET"),
        "OK"
    );
    assert_eq!(
        redis_cli(&ca, str_of(cluster, "private_uri"), &["get", "greeting"]).expect("GET"),
        "hello"
    );
    let port = port_of(cluster);
    let wrong = format!("rediss://default:not-the-password@127.0.0.1:{port}");
    redis_cli(&ca, &wrong, &["ping"]).expect_err("a wrong password is refused");
    terraform.destroy();
    assert!(!listening(port), "Redis still listens after destroy");
}

// ---- cleanup guarantees ---------------------------------------------------------------------

fn api(mock: &Mock, method: Method, path: &str, body: Option<Value>) -> Value {
    let (status, body) = mock.v2(method.clone(), path, body);
    assert!(
        status.is_success(),
        "{method} {path} answered {status}: {body}"
    );
    body
}

/// Creates a cluster through the API and waits until it is online; its record from
/// `/_mock/state` (API view plus `server`).
fn online_cluster(mock: &Mock, name: &str, engine: &str, version: &str) -> Value {
    let created = api(
        mock,
        Method::POST,
        "/v2/databases",
        Some(json!({"name": name, "engine": engine, "version": version,
                    "size": "db-s-1vcpu-1gb", "region": "nyc1", "num_nodes": 1})),
    );
    let id = created["database"]["id"]
        .as_str()
        .expect("an id")
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let record = mock
            .cluster_record(&id)
            .expect("the cluster is in the store");
        if record["database"]["status"] == "online" {
            assert_eq!(
                record["server"]["state"], "ready",
                "online means the server is ready"
            );
            return record;
        }
        assert!(
            Instant::now() < deadline,
            "{engine} cluster not online after 90 s: {}",
            record["server"]
        );
        thread::sleep(Duration::from_millis(100));
    }
}

fn server_ports(record: &Value) -> Vec<u16> {
    let server = &record["server"];
    [&server["port"], &server["pool_port"]]
        .into_iter()
        .filter_map(Value::as_u64)
        .map(|port| u16::try_from(port).expect("a TCP port"))
        .collect()
}

/// Every process whose parent chain leads to `root` (not `root` itself).
fn descendants(root: u32) -> Vec<u32> {
    let mut parents = Vec::new();
    for entry in fs::read_dir("/proc").expect("read /proc").flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(ppid) = parent_of(pid) {
            parents.push((pid, ppid));
        }
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            parents
                .iter()
                .filter(|(_, p)| *p == parent)
                .map(|(pid, _)| *pid),
        );
        i += 1;
    }
    found.remove(0);
    found
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces: the fields after it.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?;
    if state == "Z" {
        return None;
    }
    fields.next()?.parse().ok()
}

/// Whether `pid` is a live process (a zombie has ended).
fn alive(pid: u32) -> bool {
    parent_of(pid).is_some()
}

/// Waits (up to 20 s) for every pid to end and every port to close; fails naming what is left.
fn assert_all_gone(pids: &[u32], ports: &[u16], after: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let running: Vec<u32> = pids.iter().copied().filter(|pid| alive(*pid)).collect();
        let open: Vec<u16> = ports
            .iter()
            .copied()
            .filter(|port| listening(*port))
            .collect();
        if running.is_empty() && open.is_empty() {
            return;
        }
        if Instant::now() >= deadline {
            let names: Vec<String> = running
                .iter()
                .map(|pid| {
                    fs::read_to_string(format!("/proc/{pid}/cmdline"))
                        .unwrap_or_default()
                        .replace('\0', " ")
                })
                .collect();
            panic!("after {after}: still running {names:?}, still listening on {open:?}");
        }
        thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn stopping_the_emulator_stops_every_server_it_started() {
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let mut mock = real_mock(&[]);
        let mut ports = Vec::new();
        for (name, engine, version) in [
            ("stop-pg", "pg", "16"),
            ("stop-mysql", "mysql", "8"),
            ("stop-valkey", "valkey", "8"),
        ] {
            let record = online_cluster(&mock, name, engine, version);
            ports.extend(server_ports(&record));
        }
        let id = mock.clusters()[0]["id"]
            .as_str()
            .expect("an id")
            .to_string();
        api(
            &mock,
            Method::POST,
            &format!("/v2/databases/{id}/pools"),
            Some(json!({"name": "stop-pool", "mode": "transaction", "size": 2, "db": "defaultdb"})),
        );
        // The dashboard says what runs behind each cluster.
        let page = reqwest::blocking::Client::new()
            .get(format!("{}/_mock/ui", mock.url()))
            .bearer_auth(mock.token())
            .send()
            .and_then(|response| response.text())
            .expect("GET /_mock/ui");
        for program in [
            "PostgreSQL 15 on 127.0.0.1:",
            "MariaDB 10.11 on 127.0.0.1:",
            "Redis 7 on 127.0.0.1:",
        ] {
            assert!(page.contains(program), "the dashboard shows {program:?}");
        }
        assert!(
            page.contains("· ready"),
            "the dashboard shows the servers ready"
        );
        let servers = descendants(mock.pid());
        assert!(
            servers.len() >= 4,
            "PostgreSQL, PgBouncer, MariaDB and Redis run under the emulator: {servers:?}"
        );
        for port in &ports {
            assert!(listening(*port), "port {port} is served before the stop");
        }
        let status = mock.stop(signal, Duration::from_secs(60));
        assert!(
            status.success(),
            "dbaas-mock exits cleanly on signal {signal}: {status}"
        );
        assert_all_gone(&servers, &ports, &format!("signal {signal}"));
    }
}

#[test]
fn a_killed_emulator_leaves_nothing_the_next_start_does_not_clean_up() {
    let mut mock = real_mock(&[]);
    let record = online_cluster(&mock, "crash-pg", "pg", "16");
    let ports = server_ports(&record);
    let data_dir = mock.state()["real_engines"]["data_dir"]
        .as_str()
        .map(PathBuf::from)
        .expect("/_mock/state names the servers' data directory");
    assert!(
        data_dir.is_dir(),
        "{} exists while running",
        data_dir.display()
    );
    let servers = descendants(mock.pid());
    assert!(!servers.is_empty(), "a server runs under the emulator");
    mock.stop(libc::SIGKILL, Duration::from_secs(10));
    // The servers die with their parent; the next start removes what the crash left on disk.
    assert_all_gone(&servers, &ports, "SIGKILL");
    let next = real_mock(&[]);
    assert!(
        !data_dir.exists(),
        "the next start removed the crashed run's {}",
        data_dir.display()
    );
    drop(next);
}

#[test]
fn a_restart_with_a_state_file_brings_clusters_back_with_their_data() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let state_file = dir.path().join("mock-state.json");
    let state_arg = state_file.to_str().expect("a UTF-8 path");
    let mut mock = real_mock(&["--state-file", state_arg]);
    let record = online_cluster(&mock, "keep-pg", "pg", "16");
    let id = record["database"]["id"]
        .as_str()
        .expect("an id")
        .to_string();
    api(
        &mock,
        Method::POST,
        &format!("/v2/databases/{id}/users"),
        Some(json!({"name": "keeper"})),
    );
    let uri = record["database"]["connection"]["uri"]
        .as_str()
        .expect("a uri")
        .to_string();
    psql_ok(
        &uri,
        "create table kept (n int); insert into kept values (42)",
        "the admin",
    );
    let servers = descendants(mock.pid());
    let status = mock.stop(libc::SIGTERM, Duration::from_secs(60));
    assert!(status.success(), "dbaas-mock exits cleanly: {status}");
    assert_all_gone(
        &servers,
        &server_ports(&record),
        "SIGTERM with a state file",
    );

    let mock = real_mock(&["--state-file", state_arg]);
    let again = mock.cluster_record(&id).expect("the cluster is back");
    assert_eq!(again["database"]["status"], "online");
    assert_eq!(
        again["server"]["state"], "ready",
        "its server is up before the emulator listens"
    );
    assert_eq!(
        again["database"]["connection"]["uri"],
        json!(uri),
        "same port, same password"
    );
    assert_eq!(
        psql_ok(&uri, "select n from kept", "the restarted server"),
        "42"
    );
    // The CA outlives the restart: the one the API hands out now verifies the server.
    let ca_file = write_ca(dir.path(), &api_ca(&mock, &id));
    let admin_password = again["database"]["connection"]["password"]
        .as_str()
        .expect("a password");
    let verified = format!(
        "host=127.0.0.1 port={} dbname=defaultdb user=doadmin password={admin_password} sslmode=verify-ca sslrootcert={}",
        again["database"]["connection"]["port"],
        ca_file.display()
    );
    assert_eq!(
        psql_ok(&verified, "select 1", "verify-ca after the restart"),
        "1"
    );
    let keeper = api(
        &mock,
        Method::GET,
        &format!("/v2/databases/{id}/users/keeper"),
        None,
    );
    let password = keeper["user"]["password"].as_str().expect("a password");
    let port = again["database"]["connection"]["port"]
        .as_u64()
        .expect("a port");
    assert_eq!(
        psql_ok(
            &format!("postgresql://keeper:{password}@127.0.0.1:{port}/defaultdb?sslmode=require"),
            "select current_user",
            "the user made before the restart"
        ),
        "keeper"
    );
    // Deleting the cluster stops its server.
    let (status, _) = mock.v2(Method::DELETE, &format!("/v2/databases/{id}"), None);
    assert!(status.is_success(), "DELETE answered {status}");
    assert!(
        !listening(u16::try_from(port).expect("a port")),
        "deleted: nothing listens"
    );
}

// ---- the README's module test -----------------------------------------------------------------

/// examples/module-test, as the README shows it: `terraform test` applies the module against
/// `dbaas-mock --real-engines`; its apply fails unless psql, fed by the ephemeral
/// `dbaas_database_credentials`, logs in as the module's user and through its pool. Terraform
/// before 1.10 has no ephemeral resources: there Terraform itself refuses the module (its
/// `ephemeral` blocks, or its `required_version`).
#[test]
fn the_readme_module_test_connects_with_ephemeral_credentials() {
    client("psql", "postgresql-client");
    let mock = real_mock(&[]);
    let mut terraform = Terraform::new(&mock);
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/module-test");
    fs::copy(example.join("main.tf"), terraform.dir().join("main.tf")).expect("copy main.tf");
    fs::create_dir_all(terraform.dir().join("tests")).expect("tests/");
    fs::copy(
        example.join("tests/connect.tftest.hcl"),
        terraform.dir().join("tests/connect.tftest.hcl"),
    )
    .expect("copy connect.tftest.hcl");
    terraform.set_env("TF_VAR_api_endpoint", mock.url());
    terraform.set_env("TF_VAR_token", mock.token());
    if !terraform.version_at_least((1, 10)) {
        let output = terraform.run(&["validate", "-no-color"]);
        assert!(
            !output.success(),
            "Terraform {} must refuse the module",
            terraform.version()
        );
        let said = format!("{}{}", output.stdout, output.stderr);
        // Terraform 1.0–1.9 stops at the `ephemeral` blocks before it reads `required_version`.
        assert!(
            said.contains("Unsupported Terraform Core version")
                || (said.contains("Unsupported block type")
                    && said.contains("Blocks of type \"ephemeral\" are not expected here")),
            "Terraform said: {said}"
        );
        assert!(!said.contains("panicked at"), "no backtrace: {said}");
        return;
    }
    let output = terraform.run(&["test", "-no-color"]);
    let said = format!("{}{}", output.stdout, output.stderr);
    assert!(
        output.success(),
        "terraform test failed:\n{said}\n{}",
        mock.log_tail()
    );
    assert!(
        said.contains("1 passed, 0 failed"),
        "terraform test said:\n{said}"
    );
    // The test's apply created the cluster and its children, and its cleanup destroyed them.
    let created: Vec<Value> = mock.requests_to("POST", "/pools");
    assert_eq!(created.len(), 1, "one pool created");
    assert!(
        mock.clusters().is_empty(),
        "terraform test destroyed what it made"
    );
    for record in mock.requests() {
        assert!(
            record["status"].as_u64().is_some_and(|status| status < 500),
            "no request failed on the server side: {record}"
        );
    }
}
