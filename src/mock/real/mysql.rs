//! MariaDB 10.11 for the `mysql` engine: one `mariadbd` per cluster, from a template made once
//! per manager by `mariadb-install-db`, TLS required (`require_secure_transport`) on
//! 127.0.0.1, the manager's own connection as `root@localhost` over the Unix socket in the
//! server's directory (no password; a socket counts as a secure transport).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

use super::process::{self, Client, Launch, Server};
use super::quote::{my_grant_db, my_ident, my_literal};
use super::{ClusterSpec, Ctx};

/// Databases of the server itself: never created, dropped or granted by a spec.
const SYSTEM_DBS: [&str; 4] = ["mysql", "sys", "information_schema", "performance_schema"];

pub struct MySql {
    server: Server,
    dir: PathBuf,
    port: u16,
}

async fn template(ctx: &Ctx) -> anyhow::Result<PathBuf> {
    let path = ctx.base.join("templates").join("mysql");
    if path.join("mysql").is_dir() && path.join("ibdata1").is_file() {
        return Ok(path);
    }
    let _ = std::fs::remove_dir_all(&path);
    process::make_dir(&path, 0o700)?;
    ctx.my_user.own(&path)?;
    let mut args = vec![
        "--no-defaults".to_string(),
        format!("--datadir={}", path.display()),
        "--skip-test-db".into(),
        "--auth-root-authentication-method=normal".into(),
        "--skip-name-resolve".into(),
        "--innodb-log-file-size=8M".into(),
    ];
    if ctx.my_user.switch {
        args.push("--user=mysql".into());
    }
    process::run_client(Client {
        program: &ctx.tools.mariadb_install_db,
        args,
        env: vec![],
        input: String::new(),
        secrets: vec![],
        run_as: None,
    })
    .await
    .context("mariadb-install-db could not make the MariaDB template")?;
    ctx.my_user.own(&path)?;
    Ok(path)
}

impl MySql {
    pub async fn start(ctx: &Ctx, cluster_dir: &Path, spec: &ClusterSpec) -> anyhow::Result<Self> {
        process::check_port_free(spec.port, "MariaDB")?;
        let dir = cluster_dir.join("mysql");
        let data = dir.join("data");
        if !data.join("mysql").is_dir() {
            let template = ctx
                .my_template
                .get_or_try_init(|| template(ctx))
                .await?
                .clone();
            let _ = std::fs::remove_dir_all(&dir);
            process::make_dir(&dir, 0o700)?;
            super::postgres::copy_tree(ctx, &template, &data).await?;
        }
        let socket = dir.join("mysqld.sock");
        if socket.as_os_str().len() > 107 {
            anyhow::bail!(
                "the MariaDB socket path {} is longer than Unix sockets allow (107 bytes); use \
                 a shorter data directory",
                socket.display()
            );
        }
        super::tls::install(&ctx.tls, &dir, ctx.my_user)?;
        ctx.my_user.own(&dir)?;
        let file = |name: &str| dir.join(name).display().to_string();
        let args = vec![
            "--no-defaults".to_string(),
            format!("--datadir={}", data.display()),
            format!("--socket={}", socket.display()),
            format!("--pid-file={}", file("mariadbd.pid")),
            format!("--port={}", spec.port),
            "--bind-address=127.0.0.1".into(),
            format!("--ssl-cert={}", file("server.pem")),
            format!("--ssl-key={}", file("server.key")),
            format!("--ssl-ca={}", file("ca.pem")),
            "--require-secure-transport=ON".into(),
            "--skip-name-resolve".into(),
            "--innodb-flush-log-at-trx-commit=0".into(),
            "--innodb-buffer-pool-size=32M".into(),
            "--innodb-log-file-size=8M".into(),
            "--innodb-doublewrite=0".into(),
            "--innodb-use-native-aio=0".into(),
            "--performance-schema=OFF".into(),
            "--skip-log-bin".into(),
            "--character-set-server=utf8mb4".into(),
            "--collation-server=utf8mb4_general_ci".into(),
            "--max-connections=100".into(),
        ];
        let mut server = process::spawn_server(Launch {
            name: "mariadbd",
            program: &ctx.tools.mariadbd,
            args,
            dir: &dir,
            log_name: "mariadbd.log",
            run_as: ctx.my_user,
            stop_signal: libc::SIGTERM,
        })?;
        let probe_dir = dir.clone();
        process::wait_ready(&mut server, Duration::from_secs(60), || {
            let client = client(ctx, &probe_dir, "SELECT 1;\n".into(), vec![]);
            async move { process::run_client(client).await.is_ok() }
        })
        .await?;
        Ok(MySql {
            server,
            dir,
            port: spec.port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn running(&mut self) -> bool {
        self.server.running()
    }

    async fn sql(&self, ctx: &Ctx, sql: String, secrets: Vec<String>) -> anyhow::Result<String> {
        process::run_client(client(ctx, &self.dir, sql, secrets)).await
    }

    /// Brings users, databases and grants to `spec`.
    pub async fn apply(&mut self, ctx: &Ctx, spec: &ClusterSpec) -> anyhow::Result<()> {
        let system = SYSTEM_DBS.map(|db| format!("'{db}'")).join(", ");
        let state = self
            .sql(
                ctx,
                format!(
                    "SELECT JSON_OBJECT(\
                       'users', (SELECT JSON_ARRAYAGG(User) FROM mysql.user WHERE Host = '%'), \
                       'dbs', (SELECT JSON_ARRAYAGG(SCHEMA_NAME) FROM information_schema.SCHEMATA \
                               WHERE SCHEMA_NAME NOT IN ({system})));\n"
                ),
                vec![],
            )
            .await?;
        let state: serde_json::Value =
            serde_json::from_str(state.trim()).context("unexpected answer from MariaDB")?;
        let names = |key: &str| -> BTreeSet<String> {
            state[key]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let (users, dbs) = (names("users"), names("dbs"));
        let secrets: Vec<String> = spec.users.iter().map(|u| u.password.clone()).collect();

        let mut sql = String::new();
        for db in &spec.dbs {
            if SYSTEM_DBS.contains(&db.as_str()) {
                anyhow::bail!("the MySQL database name {db:?} is reserved");
            }
            sql.push_str(&format!(
                "CREATE DATABASE IF NOT EXISTS {};\n",
                my_ident(db)?
            ));
        }
        for user in &spec.users {
            if matches!(user.name.as_str(), "root" | "mysql" | "mariadb.sys") {
                anyhow::bail!("the MySQL user name {:?} is reserved", user.name);
            }
            let account = format!("{}@'%'", my_literal(&user.name)?);
            // MariaDB 10.11 has no caching_sha2_password server plugin: every user gets
            // mysql_native_password (see the module docs).
            let auth = format!(
                "IDENTIFIED VIA mysql_native_password USING PASSWORD({})",
                my_literal(&user.password)?
            );
            sql.push_str(&format!("CREATE USER IF NOT EXISTS {account} {auth};\n"));
            sql.push_str(&format!("ALTER USER {account} {auth};\n"));
            if user.admin {
                sql.push_str(&format!(
                    "GRANT ALL PRIVILEGES ON *.* TO {account} WITH GRANT OPTION;\n"
                ));
            } else {
                for db in &spec.dbs {
                    sql.push_str(&format!(
                        "GRANT ALL PRIVILEGES ON {}.* TO {account};\n",
                        my_grant_db(db)?
                    ));
                }
            }
        }
        let wanted_dbs: BTreeSet<&String> = spec.dbs.iter().collect();
        for db in dbs.iter().filter(|db| !wanted_dbs.contains(db)) {
            sql.push_str(&format!("DROP DATABASE IF EXISTS {};\n", my_ident(db)?));
        }
        let wanted_users: BTreeSet<&String> = spec.users.iter().map(|u| &u.name).collect();
        for user in users.iter().filter(|u| !wanted_users.contains(u)) {
            sql.push_str(&format!("DROP USER IF EXISTS {}@'%';\n", my_literal(user)?));
        }
        self.sql(ctx, sql, secrets).await.map(drop)
    }

    pub async fn stop(self) {
        self.server.stop().await;
    }
}

/// The `mariadb` client as `root` over the server's socket, SQL on stdin, bare values out.
fn client<'a>(ctx: &'a Ctx, dir: &Path, sql: String, secrets: Vec<String>) -> Client<'a> {
    Client {
        program: &ctx.tools.mariadb,
        args: vec![
            "--no-defaults".into(),
            format!("--socket={}", dir.join("mysqld.sock").display()),
            "--user=root".into(),
            "--batch".into(),
            "--raw".into(),
            "--skip-column-names".into(),
        ],
        env: vec![],
        input: sql,
        secrets,
        run_as: None,
    }
}
