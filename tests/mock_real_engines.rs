//! `dbaas-mock --real-engines`: the real PostgreSQL, PgBouncer, MariaDB and Redis servers
//! behind the emulated clusters, driven through `dbaas::mock::real::RealEngines` and checked
//! with the engines' own clients (`psql`, `mariadb`, `redis-cli`) as a user would connect.
//!
//! These tests need the Debian packages postgresql, pgbouncer, mariadb-server,
//! mariadb-client, redis-server, redis-tools and openssl (`./scripts/mock.sh --real-engines`
//! installs them); without them they fail, naming the packages. Passwords go to the clients
//! through their environment (`PGPASSWORD`, `MYSQL_PWD`, `REDISCLI_AUTH`), never argv.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use dbaas::mock::real::{
    ClusterSpec, PoolSpec, Readiness, RealEngine, RealEngines, RealEnginesOptions, UserSpec,
};

fn open(data_dir: Option<PathBuf>) -> RealEngines {
    RealEngines::open(RealEnginesOptions { data_dir }).unwrap_or_else(|error| {
        panic!("RealEngines::open failed (are the Debian packages installed?): {error:#}")
    })
}

fn user(name: &str, password: &str, admin: bool) -> UserSpec {
    UserSpec {
        name: name.into(),
        password: password.into(),
        mysql_auth_plugin: None,
        admin,
    }
}

fn client(program: &str) -> Command {
    let candidates = [
        format!("/usr/lib/postgresql/15/bin/{program}"),
        format!("/usr/bin/{program}"),
        format!("/usr/sbin/{program}"),
    ];
    let path = candidates
        .iter()
        .find(|p| Path::new(p).is_file())
        .unwrap_or_else(|| {
            panic!(
                "{program} is missing: install the Debian packages postgresql, mariadb-client, \
                 redis-tools (./scripts/mock.sh --real-engines installs them)"
            )
        });
    Command::new(path)
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `psql` with a DigitalOcean-style URI (no password in it: `PGPASSWORD`). The SQL goes on
/// stdin, so that psql sends each statement on its own (a transaction block spans messages).
fn psql(uri: &str, password: &str, sql: &str) -> Output {
    use std::io::Write;
    let mut child = client("psql")
        .args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            uri,
            "-f",
            "-",
        ])
        .env("PGPASSWORD", password)
        .env("PGCONNECT_TIMEOUT", "10")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("psql runs");
    let mut stdin = child.stdin.take().unwrap();
    // psql may refuse the connection before it reads its input.
    let _ = stdin.write_all(format!("{sql};\n").as_bytes());
    drop(stdin);
    child.wait_with_output().expect("psql runs")
}

fn psql_ok(uri: &str, password: &str, sql: &str) -> String {
    let output = psql(uri, password, sql);
    assert!(
        output.status.success(),
        "psql {uri} `{sql}` failed: {}",
        text(&output)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn psql_fails(uri: &str, password: &str, sql: &str) -> String {
    let output = psql(uri, password, sql);
    assert!(
        !output.status.success(),
        "psql {uri} `{sql}` should have failed but printed: {}",
        text(&output)
    );
    text(&output)
}

fn write_ca(engines: &RealEngines, dir: &Path) -> PathBuf {
    let path = dir.join("ca.pem");
    assert!(engines.ca_certificate().contains("BEGIN CERTIFICATE"));
    std::fs::write(&path, engines.ca_certificate()).unwrap();
    path
}

/// Another CA, which did not sign the servers' certificate.
fn wrong_ca(dir: &Path) -> PathBuf {
    let (key, cert) = (dir.join("wrong.key"), dir.join("wrong.pem"));
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=wrong", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl runs (Debian package openssl)");
    assert!(status.status.success(), "{}", text(&status));
    cert
}

async fn wait_ready(engines: &RealEngines, id: &str) -> Duration {
    let started = Instant::now();
    loop {
        match engines.readiness(id) {
            Readiness::Ready => return started.elapsed(),
            Readiness::Failed(message) => panic!("cluster {id} failed to start: {message}"),
            Readiness::Unknown => panic!("cluster {id} is unknown to the manager"),
            Readiness::Starting => {}
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "cluster {id} is not ready after 120 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Processes whose command line or working directory lies under `dir`.
fn processes_under(dir: &Path) -> Vec<String> {
    let dir_text = dir.display().to_string();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.chars().all(|c| c.is_ascii_digit()) || name == std::process::id().to_string() {
            continue;
        }
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        if stat
            .rsplit(')')
            .next()
            .map(|s| s.trim_start().starts_with('Z'))
            == Some(true)
        {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let cwd = std::fs::read_link(entry.path().join("cwd")).unwrap_or_default();
        if cmdline.contains(&dir_text) || cwd.starts_with(dir) {
            found.push(format!("{name}: {cmdline}"));
        }
    }
    found
}

async fn assert_no_processes_under(dir: &Path) {
    // A killed server's children may take a moment to notice.
    for _ in 0..100 {
        if processes_under(dir).is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "processes still run from {}: {:?}",
        dir.display(),
        processes_under(dir)
    );
}

fn pg_spec(engines: &RealEngines, id: &str) -> ClusterSpec {
    ClusterSpec {
        id: id.into(),
        engine: RealEngine::Postgres,
        port: engines.free_port().unwrap(),
        pool_port: Some(engines.free_port().unwrap()),
        users: vec![
            user("doadmin", "admin-pw 'with' \"quotes\"", true),
            user("app-user", "app-pw-1", false),
        ],
        dbs: vec!["defaultdb".into(), "extra db".into()],
        pools: vec![
            PoolSpec {
                name: "txpool".into(),
                mode: "transaction".into(),
                size: 5,
                db: "defaultdb".into(),
                user: Some("app-user".into()),
            },
            PoolSpec {
                name: "inbound".into(),
                mode: "session".into(),
                size: 3,
                db: "defaultdb".into(),
                user: None,
            },
        ],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_users_databases_pools_and_tls() {
    let engines = open(None);
    let tmp = tempfile::tempdir().unwrap();
    let ca = write_ca(&engines, tmp.path());
    let mut spec = pg_spec(&engines, "pg-1");
    engines.start(spec.clone());
    let took = wait_ready(&engines, "pg-1").await;
    eprintln!(
        "postgres start -> Ready (with pgbouncer): {} ms",
        took.as_millis()
    );

    let port = spec.port;
    let pool_port = spec.pool_port.unwrap();
    let admin_pw = spec.users[0].password.clone();
    let uri = |user: &str, port: u16, db: &str, tls: &str| {
        format!("postgresql://{user}@127.0.0.1:{port}/{db}?{tls}")
    };
    let require = "sslmode=require";
    let admin = uri("doadmin", port, "defaultdb", require);
    let app = uri("app-user", port, "defaultdb", require);

    assert_eq!(psql_ok(&admin, &admin_pw, "select 1"), "1");
    assert_eq!(psql_ok(&admin, &admin_pw, "select current_user"), "doadmin");
    // DigitalOcean's doadmin: owner of defaultdb, may create databases and roles, no superuser.
    assert_eq!(
        psql_ok(
            &admin,
            &admin_pw,
            "select rolcreatedb, rolcreaterole, rolsuper from pg_roles where rolname = 'doadmin'"
        ),
        "t|t|f"
    );
    assert_eq!(
        psql_ok(
            &admin,
            &admin_pw,
            "select pg_get_userbyid(datdba) from pg_database where datname = 'defaultdb'"
        ),
        "doadmin"
    );
    assert_eq!(
        psql_ok(&admin, &admin_pw, "show ssl"),
        "on",
        "the server runs with TLS"
    );
    psql_ok(
        &admin,
        &admin_pw,
        "create table secrets (x int); insert into secrets values (42)",
    );
    assert_eq!(psql_ok(&admin, &admin_pw, "select x from secrets"), "42");
    assert_eq!(psql_ok(&app, "app-pw-1", "select current_user"), "app-user");
    let denied = psql_fails(&app, "app-pw-1", "select x from secrets");
    assert!(denied.contains("permission denied"), "{denied}");
    let extra = uri("doadmin", port, "extra%20db", require);
    assert_eq!(
        psql_ok(&extra, &admin_pw, "select current_database()"),
        "extra db"
    );

    // Certificate verification with the CA the API serves, and failure with another CA.
    let verify = format!("sslmode=verify-ca&sslrootcert={}", ca.display());
    assert_eq!(
        psql_ok(
            &uri("doadmin", port, "defaultdb", &verify),
            &admin_pw,
            "select 2"
        ),
        "2"
    );
    let full = format!("sslmode=verify-full&sslrootcert={}", ca.display());
    assert_eq!(
        psql_ok(
            &uri("doadmin", port, "defaultdb", &full),
            &admin_pw,
            "select 3"
        ),
        "3"
    );
    let wrong = format!(
        "sslmode=verify-ca&sslrootcert={}",
        wrong_ca(tmp.path()).display()
    );
    let refused = psql_fails(
        &uri("doadmin", port, "defaultdb", &wrong),
        &admin_pw,
        "select 1",
    );
    assert!(refused.contains("certificate verify failed"), "{refused}");
    // No plain connections, like the real service.
    let plain = psql_fails(
        &uri("doadmin", port, "defaultdb", "sslmode=disable"),
        &admin_pw,
        "select 1",
    );
    assert!(
        plain.contains("no encryption") || plain.contains("pg_hba.conf"),
        "{plain}"
    );
    let wrong_pw = psql_fails(&admin, "not-the-password", "select 1");
    assert!(
        wrong_pw.contains("password authentication failed"),
        "{wrong_pw}"
    );

    // The pools: a transaction pool with its own user, an inbound pool with the client's.
    let txpool = uri("app-user", pool_port, "txpool", require);
    assert_eq!(
        psql_ok(&txpool, "app-pw-1", "select current_user"),
        "app-user"
    );
    assert_eq!(psql_ok(&txpool, "app-pw-1", "begin; select 5; commit"), "5");
    let inbound = uri("doadmin", pool_port, "inbound", require);
    assert_eq!(
        psql_ok(&inbound, &admin_pw, "select current_user, x from secrets"),
        "doadmin|42"
    );
    let pool_verify = format!("sslmode=verify-full&sslrootcert={}", ca.display());
    assert_eq!(
        psql_ok(
            &uri("doadmin", pool_port, "inbound", &pool_verify),
            &admin_pw,
            "select 6"
        ),
        "6"
    );
    psql_fails(
        &uri("doadmin", pool_port, "inbound", "sslmode=disable"),
        &admin_pw,
        "select 1",
    );

    // A pool's mode change takes effect: statement pooling refuses transaction blocks.
    spec.pools[0].mode = "statement".into();
    spec.pools[0].size = 2;
    engines
        .sync(spec.clone())
        .await
        .expect("sync the pool change");
    let statement = psql_fails(&txpool, "app-pw-1", "begin; select 5; commit");
    assert!(statement.contains("statement pooling"), "{statement}");
    assert_eq!(psql_ok(&txpool, "app-pw-1", "select 7"), "7");

    // A password change: the old one fails, the new one works, directly and through a pool.
    spec.users[1].password = "app-pw-2".into();
    engines
        .sync(spec.clone())
        .await
        .expect("sync the password change");
    psql_fails(&app, "app-pw-1", "select 1");
    assert_eq!(psql_ok(&app, "app-pw-2", "select 8"), "8");
    assert_eq!(psql_ok(&txpool, "app-pw-2", "select 9"), "9");

    // Dropping a pool, then the user and the database.
    spec.pools.remove(1);
    engines
        .sync(spec.clone())
        .await
        .expect("sync the pool removal");
    let gone = psql_fails(&inbound, &admin_pw, "select 1");
    assert!(gone.contains("no such database"), "{gone}");
    // PostgreSQL 15: only the database owner (doadmin) creates in `public` until it grants.
    psql_fails(&app, "app-pw-2", "create table app_owned (y int)");
    psql_ok(
        &admin,
        &admin_pw,
        "grant create on schema public to \"app-user\"",
    );
    psql_ok(&app, "app-pw-2", "create table app_owned (y int)");
    spec.pools.clear();
    spec.users.truncate(1);
    spec.dbs.truncate(1);
    engines.sync(spec.clone()).await.expect("sync the drops");
    let no_user = psql_fails(&app, "app-pw-2", "select 1");
    assert!(
        no_user.contains("password authentication failed"),
        "{no_user}"
    );
    assert_eq!(
        psql_ok(
            &admin,
            &admin_pw,
            "select count(*) from pg_roles where rolname = 'app-user'"
        ),
        "0"
    );
    assert_eq!(
        psql_ok(
            &admin,
            &admin_pw,
            "select pg_get_userbyid(relowner) from pg_class where relname = 'app_owned'"
        ),
        "doadmin",
        "what the dropped user owned goes to the admin"
    );
    assert_eq!(
        psql_ok(&admin, &admin_pw, "select string_agg(datname, ',' order by datname) from pg_database where not datistemplate"),
        "defaultdb,postgres"
    );
    // Without pools, PgBouncer is stopped.
    let pool = psql_fails(&txpool, "app-pw-2", "select 1");
    assert!(
        pool.contains("refused") || pool.contains("failed"),
        "{pool}"
    );

    let cluster_dir = engines.data_dir().join("c").join("pg-1");
    assert!(cluster_dir.is_dir());
    engines.remove("pg-1").await;
    assert_eq!(engines.readiness("pg-1"), Readiness::Unknown);
    assert!(
        !cluster_dir.exists(),
        "remove deletes the cluster's directory"
    );
    assert_no_processes_under(&cluster_dir).await;
    psql_fails(&admin, &admin_pw, "select 1");
    let base = engines.data_dir().to_path_buf();
    engines.shutdown().await;
    assert!(!base.exists(), "shutdown deletes the per-run directory");
}

fn mariadb(port: u16, user: &str, password: &str, ca: &Path, sql: &str) -> Output {
    client("mariadb")
        .args([
            "--no-defaults",
            "-h",
            "127.0.0.1",
            "-P",
            &port.to_string(),
            "-u",
            user,
        ])
        .args([
            "--batch",
            "--skip-column-names",
            "--connect-timeout=10",
            "--ssl",
        ])
        .arg(format!("--ssl-ca={}", ca.display()))
        .arg("--ssl-verify-server-cert")
        .args(["-e", sql])
        .env("MYSQL_PWD", password)
        .output()
        .expect("mariadb runs")
}

fn mariadb_ok(port: u16, user: &str, password: &str, ca: &Path, sql: &str) -> String {
    let output = mariadb(port, user, password, ca, sql);
    assert!(
        output.status.success(),
        "mariadb as {user} `{sql}` failed: {}",
        text(&output)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_users_databases_and_tls() {
    let engines = open(None);
    let tmp = tempfile::tempdir().unwrap();
    let ca = write_ca(&engines, tmp.path());
    let port = engines.free_port().unwrap();
    let mut app = user("app_user", "app'pw\\1", false);
    app.mysql_auth_plugin = Some("caching_sha2_password".into());
    let mut admin = user("doadmin", "admin-pw-\"x\"", true);
    admin.mysql_auth_plugin = Some("mysql_native_password".into());
    let mut spec = ClusterSpec {
        id: "my-1".into(),
        engine: RealEngine::MySql,
        port,
        pool_port: None,
        users: vec![admin.clone(), app.clone()],
        dbs: vec!["defaultdb".into()],
        pools: vec![],
    };
    engines.start(spec.clone());
    let took = wait_ready(&engines, "my-1").await;
    eprintln!("mariadb start -> Ready: {} ms", took.as_millis());

    assert_eq!(
        mariadb_ok(port, "doadmin", &admin.password, &ca, "select 1"),
        "1"
    );
    let cipher = mariadb_ok(
        port,
        "doadmin",
        &admin.password,
        &ca,
        "show status like 'Ssl_cipher'",
    );
    assert!(
        cipher.starts_with("Ssl_cipher\t") && cipher.len() > "Ssl_cipher\t".len(),
        "{cipher}"
    );
    mariadb_ok(
        port,
        "doadmin",
        &admin.password,
        &ca,
        "create table defaultdb.t (x int); insert into defaultdb.t values (1)",
    );
    assert_eq!(
        mariadb_ok(
            port,
            "app_user",
            &app.password,
            &ca,
            "select x from defaultdb.t"
        ),
        "1"
    );
    let plugin = mariadb_ok(
        port,
        "doadmin",
        &admin.password,
        &ca,
        "select plugin from mysql.user where user = 'app_user'",
    );
    assert_eq!(plugin, "mysql_native_password");

    // Verification fails with another CA; a plain connection is refused.
    let wrong = mariadb(
        port,
        "doadmin",
        &admin.password,
        &wrong_ca(tmp.path()),
        "select 1",
    );
    assert!(
        !wrong.status.success(),
        "a wrong CA verified: {}",
        text(&wrong)
    );
    let plain = client("mariadb")
        .args([
            "--no-defaults",
            "-h",
            "127.0.0.1",
            "-P",
            &port.to_string(),
            "-u",
            "doadmin",
        ])
        .args(["--skip-ssl", "-e", "select 1"])
        .env("MYSQL_PWD", &admin.password)
        .output()
        .unwrap();
    assert!(
        !plain.status.success(),
        "a plain connection worked: {}",
        text(&plain)
    );

    // A new database through sync; the normal user gets it too.
    spec.dbs.push("second_db".into());
    engines
        .sync(spec.clone())
        .await
        .expect("sync the new database");
    mariadb_ok(
        port,
        "app_user",
        &app.password,
        &ca,
        "create table second_db.mine (y int)",
    );
    // A password change, then dropping the user and the database.
    spec.users[1].password = "new-pw".into();
    engines
        .sync(spec.clone())
        .await
        .expect("sync the password change");
    assert!(!mariadb(port, "app_user", &app.password, &ca, "select 1")
        .status
        .success());
    assert_eq!(mariadb_ok(port, "app_user", "new-pw", &ca, "select 2"), "2");
    spec.users.truncate(1);
    spec.dbs.truncate(1);
    engines.sync(spec.clone()).await.expect("sync the drops");
    assert!(!mariadb(port, "app_user", "new-pw", &ca, "select 1")
        .status
        .success());
    let dbs = mariadb_ok(port, "doadmin", &admin.password, &ca, "show databases");
    assert!(
        dbs.contains("defaultdb") && !dbs.contains("second_db"),
        "{dbs}"
    );
    assert!(dbs.contains("mysql"), "system databases stay: {dbs}");

    let base = engines.data_dir().to_path_buf();
    engines.shutdown().await;
    assert!(!base.exists());
    assert_no_processes_under(&base).await;
}

fn redis_cli(port: u16, user: &str, password: &str, ca: &Path, args: &[&str]) -> Output {
    client("redis-cli")
        .args(["--tls", "--cacert"])
        .arg(ca)
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "--user",
            user,
            "--no-auth-warning",
        ])
        .args(args)
        .env("REDISCLI_AUTH", password)
        .output()
        .expect("redis-cli runs")
}

fn redis_ok(port: u16, user: &str, password: &str, ca: &Path, args: &[&str]) -> String {
    let output = redis_cli(port, user, password, ca, args);
    let out = String::from_utf8_lossy(&output.stdout).trim().to_string();
    assert!(
        output.status.success(),
        "redis-cli {args:?} failed: {}",
        text(&output)
    );
    out
}

fn redis_spec(engines: &RealEngines, id: &str) -> ClusterSpec {
    ClusterSpec {
        id: id.into(),
        engine: RealEngine::Redis,
        port: engines.free_port().unwrap(),
        pool_port: None,
        users: vec![
            user("default", "def pw \"1\"", true),
            user("reader", "r-pw", false),
        ],
        dbs: vec![],
        pools: vec![],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_acl_users_and_tls() {
    let engines = open(None);
    let tmp = tempfile::tempdir().unwrap();
    let ca = write_ca(&engines, tmp.path());
    let mut spec = redis_spec(&engines, "rd-1");
    let port = spec.port;
    engines.start(spec.clone());
    let took = wait_ready(&engines, "rd-1").await;
    eprintln!("redis start -> Ready: {} ms", took.as_millis());

    let pw = spec.users[0].password.clone();
    assert_eq!(redis_ok(port, "default", &pw, &ca, &["ping"]), "PONG");
    // The URI form DigitalOcean hands out (its password here is URI-safe).
    spec.users[0].password = "uri-safe-pw".into();
    engines
        .sync(spec.clone())
        .await
        .expect("sync the password change");
    let uri = client("redis-cli")
        .args(["--tls", "--cacert"])
        .arg(&ca)
        .args([
            "-u",
            &format!("rediss://default:uri-safe-pw@127.0.0.1:{port}"),
            "--no-auth-warning",
            "ping",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&uri.stdout).trim(),
        "PONG",
        "{}",
        text(&uri)
    );
    let old = redis_cli(port, "default", &pw, &ca, &["ping"]);
    assert!(
        !String::from_utf8_lossy(&old.stdout).contains("PONG"),
        "the old password still works"
    );
    let wrong = redis_cli(port, "default", "wrong", &ca, &["ping"]);
    assert!(text(&wrong).contains("WRONGPASS"), "{}", text(&wrong));
    assert_eq!(
        redis_ok(port, "reader", "r-pw", &ca, &["set", "k", "v"]),
        "OK"
    );
    assert_eq!(
        redis_ok(port, "default", "uri-safe-pw", &ca, &["get", "k"]),
        "v"
    );
    // A plain (non-TLS) connection gets no answer.
    let plain = client("redis-cli")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "--no-auth-warning",
            "ping",
        ])
        .env("REDISCLI_AUTH", "uri-safe-pw")
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&plain.stdout).contains("PONG"),
        "{}",
        text(&plain)
    );
    // Another CA does not verify.
    let bad_ca = redis_cli(
        port,
        "default",
        "uri-safe-pw",
        &wrong_ca(tmp.path()),
        &["ping"],
    );
    assert!(
        !String::from_utf8_lossy(&bad_ca.stdout).contains("PONG"),
        "{}",
        text(&bad_ca)
    );

    spec.users.truncate(1);
    engines
        .sync(spec.clone())
        .await
        .expect("sync the user removal");
    let users = redis_ok(port, "default", "uri-safe-pw", &ca, &["acl", "users"]);
    assert!(!users.contains("reader"), "{users}");
    let dropped = redis_cli(port, "reader", "r-pw", &ca, &["ping"]);
    assert!(!String::from_utf8_lossy(&dropped.stdout).contains("PONG"));

    let cluster_dir = engines.data_dir().join("c").join("rd-1");
    engines.remove("rd-1").await;
    assert!(!cluster_dir.exists());
    assert_no_processes_under(&cluster_dir).await;
    let base = engines.data_dir().to_path_buf();
    engines.shutdown().await;
    assert!(!base.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persistent_data_survives_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().join("engines");
    let engines = open(Some(data_dir.clone()));
    let ca_before = engines.ca_certificate().to_string();
    let mut pg = pg_spec(&engines, "pg-p");
    pg.pools.clear();
    pg.pool_port = None;
    let rd = redis_spec(&engines, "rd-p");
    let (a, b) = tokio::join!(engines.sync(pg.clone()), engines.sync(rd.clone()));
    a.expect("pg starts");
    b.expect("redis starts");
    let ca = write_ca(&engines, data.path());
    let admin = format!(
        "postgresql://doadmin@127.0.0.1:{}/defaultdb?sslmode=require",
        pg.port
    );
    let admin_pw = pg.users[0].password.clone();
    psql_ok(
        &admin,
        &admin_pw,
        "create table kept (x text); insert into kept values ('still here')",
    );
    assert_eq!(
        redis_ok(
            rd.port,
            "default",
            &rd.users[0].password,
            &ca,
            &["set", "kept", "yes"]
        ),
        "OK"
    );

    // A second emulator may not take the directory while the first owns it.
    let second = RealEngines::open(RealEnginesOptions {
        data_dir: Some(data_dir.clone()),
    });
    let error = second.err().expect("a live owner refuses a second manager");
    assert!(format!("{error:#}").contains("in use"), "{error:#}");

    engines.shutdown().await;
    assert!(
        data_dir.join("c").join("pg-p").is_dir(),
        "persistent data is kept"
    );
    assert_no_processes_under(&data_dir).await;

    let engines = open(Some(data_dir.clone()));
    assert_eq!(engines.ca_certificate(), ca_before, "the CA is kept");
    let (a, b) = tokio::join!(engines.sync(pg.clone()), engines.sync(rd.clone()));
    a.expect("pg restarts");
    b.expect("redis restarts");
    assert_eq!(
        psql_ok(&admin, &admin_pw, "select x from kept"),
        "still here"
    );
    assert_eq!(
        redis_ok(
            rd.port,
            "default",
            &rd.users[0].password,
            &ca,
            &["get", "kept"]
        ),
        "yes"
    );
    engines.shutdown().await;
    assert_no_processes_under(&data_dir).await;
}

/// A run that crashed and left a live server behind: its owner is dead, its server still runs
/// from its directory. The next `open` kills that server and removes the directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_cleans_up_after_a_crashed_run() {
    // A pid that is surely dead: a child that has exited and been reaped.
    let mut gone = Command::new("true").spawn().unwrap();
    let dead_pid = gone.id();
    gone.wait().unwrap();
    let root = std::env::temp_dir().join("dbaas-mock-real");
    std::fs::create_dir_all(&root).unwrap();
    let stale = root.join(format!("{dead_pid}-crashed-{}", std::process::id()));
    let server_dir = stale.join("c").join("stale-cluster").join("redis");
    std::fs::create_dir_all(&server_dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = {
        use std::os::unix::process::CommandExt;
        client("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .current_dir(&server_dir)
            .process_group(0)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server starts (Debian package redis-server)")
    };
    std::fs::write(server_dir.join("server.pid"), format!("{}\n", server.id())).unwrap();
    // Last: without an owner file, a young directory is left alone (a run may be making it).
    std::fs::write(stale.join("owner"), format!("{dead_pid} 12345\n")).unwrap();
    assert!(!processes_under(&stale).is_empty(), "the stale server runs");

    let engines = open(None);
    assert!(!stale.exists(), "the crashed run's directory is removed");
    let status = server.wait().unwrap();
    assert!(!status.success(), "the stale server was killed: {status:?}");
    assert_no_processes_under(&stale).await;

    // The crash of a whole emulator: a child process (this test binary in helper mode) that
    // starts a server, then is killed with SIGKILL.
    let mut helper = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "crash_helper_starts_a_server_and_waits_to_be_killed",
            "--nocapture",
        ])
        .env("DBAAS_REAL_CRASH_HELPER", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let helper_dir = {
        use std::io::BufRead;
        let stdout = helper.stdout.take().unwrap();
        let mut dir = None;
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("HELPER_DIR=") {
                dir = Some(PathBuf::from(rest));
                break;
            }
        }
        dir.expect("the helper reports its directory")
    };
    assert!(helper_dir.join("c").join("crash").join("redis").is_dir());
    helper.kill().unwrap();
    helper.wait().unwrap();
    let engines_after = open(None);
    assert!(
        !helper_dir.exists(),
        "the killed emulator's directory is removed"
    );
    assert_no_processes_under(&helper_dir).await;
    engines_after.shutdown().await;
    engines.shutdown().await;
}

/// Not a test on its own: the crashing emulator of `open_cleans_up_after_a_crashed_run`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run only by open_cleans_up_after_a_crashed_run, as its crashing child"]
async fn crash_helper_starts_a_server_and_waits_to_be_killed() {
    assert_eq!(
        std::env::var("DBAAS_REAL_CRASH_HELPER").as_deref(),
        Ok("1"),
        "only open_cleans_up_after_a_crashed_run runs this"
    );
    let engines = open(None);
    let spec = redis_spec(&engines, "crash");
    engines
        .sync(spec)
        .await
        .expect("the helper's server starts");
    println!("HELPER_DIR={}", engines.data_dir().display());
    tokio::time::sleep(Duration::from_secs(120)).await;
    panic!("the helper was not killed");
}
