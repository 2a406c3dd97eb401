//! PostgreSQL 15: one `postgres` per cluster, from a template made once per manager by
//! `initdb`, TLS only on 127.0.0.1, the manager's own connection as the superuser `postgres`
//! over the Unix socket in the server's directory (trust: the directory is mode 0700).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

use super::pgbouncer::PgBouncer;
use super::process::{self, Client, Launch, Server};
use super::quote::{pg_ident, pg_literal};
use super::{ClusterSpec, Ctx};

/// The superuser the manager connects as; never created, changed or dropped by a spec.
const SUPERUSER: &str = "postgres";

pub struct Postgres {
    server: Server,
    dir: PathBuf,
    port: u16,
    bouncer: Option<PgBouncer>,
}

/// The template data directory (made once per manager).
pub async fn template(ctx: &Ctx) -> anyhow::Result<PathBuf> {
    let path = ctx.base.join("templates").join("pg");
    if path.join("PG_VERSION").is_file() {
        return Ok(path);
    }
    let _ = std::fs::remove_dir_all(&path);
    process::make_dir(&path, 0o700)?;
    ctx.pg_user.own(&path)?;
    let initdb = Client {
        program: &ctx.tools.initdb,
        args: vec![
            "--no-sync".into(),
            "--auth-local=trust".into(),
            "--auth-host=scram-sha-256".into(),
            format!("--username={SUPERUSER}"),
            "--encoding=UTF8".into(),
            "--locale=C".into(),
            "-D".into(),
            path.display().to_string(),
        ],
        env: vec![],
        input: String::new(),
        secrets: vec![],
        run_as: Some(ctx.pg_user),
    };
    process::run_client(initdb)
        .await
        .context("initdb could not make the PostgreSQL template")?;
    Ok(path)
}

impl Postgres {
    /// Starts the server from its existing data, or from a copy of the template.
    pub async fn start(ctx: &Ctx, cluster_dir: &Path, spec: &ClusterSpec) -> anyhow::Result<Self> {
        process::check_port_free(spec.port, "PostgreSQL")?;
        let dir = cluster_dir.join("pg");
        let data = dir.join("data");
        if !data.join("PG_VERSION").is_file() {
            let template = ctx
                .pg_template
                .get_or_try_init(|| template(ctx))
                .await?
                .clone();
            let _ = std::fs::remove_dir_all(&dir);
            process::make_dir(&dir, 0o700)?;
            copy_tree(ctx, &template, &data).await?;
        }
        let socket = dir.join(format!(".s.PGSQL.{}", spec.port));
        if socket.as_os_str().len() > 107 {
            anyhow::bail!(
                "the PostgreSQL socket path {} is longer than Unix sockets allow (107 bytes); \
                 use a shorter data directory",
                socket.display()
            );
        }
        super::tls::install(&ctx.tls, &dir, ctx.pg_user)?;
        // Only TLS over TCP, like the real service; the manager's own socket is trusted.
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n",
        )?;
        ctx.pg_user.own(&dir)?;
        let settings = [
            "listen_addresses=127.0.0.1".to_string(),
            format!("port={}", spec.port),
            format!("unix_socket_directories={}", dir.display()),
            "unix_socket_permissions=0700".into(),
            "ssl=on".into(),
            format!("ssl_cert_file={}", dir.join("server.pem").display()),
            format!("ssl_key_file={}", dir.join("server.key").display()),
            format!("ssl_ca_file={}", dir.join("ca.pem").display()),
            "password_encryption=scram-sha-256".into(),
            "fsync=off".into(),
            "synchronous_commit=off".into(),
            "full_page_writes=off".into(),
            "shared_buffers=16MB".into(),
            "max_connections=100".into(),
            "max_wal_senders=0".into(),
            "wal_level=minimal".into(),
            "autovacuum=off".into(),
            // A failing statement is never written to the log: it may carry a password.
            "log_min_error_statement=panic".into(),
            "log_statement=none".into(),
            "logging_collector=off".into(),
        ];
        let mut args = vec!["-D".to_string(), data.display().to_string()];
        for setting in settings {
            args.push("-c".into());
            args.push(setting);
        }
        let mut server = process::spawn_server(Launch {
            name: "postgres",
            program: &ctx.tools.postgres,
            args,
            dir: &dir,
            log_name: "postgres.log",
            run_as: ctx.pg_user,
            stop_signal: libc::SIGINT,
        })?;
        let isready = ctx.tools.pg_isready.clone();
        let (socket_dir, port) = (dir.display().to_string(), spec.port.to_string());
        process::wait_ready(&mut server, Duration::from_secs(60), || {
            let mut command = tokio::process::Command::new(&isready);
            command
                .args(["-q", "-h", &socket_dir, "-p", &port, "-U", SUPERUSER])
                .args(["-d", "postgres"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            async move { matches!(command.status().await, Ok(status) if status.success()) }
        })
        .await?;
        Ok(Postgres {
            server,
            dir,
            port: spec.port,
            bouncer: None,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn running(&mut self) -> bool {
        self.server.running() && self.bouncer.as_mut().map_or(true, |b| b.running())
    }

    /// Runs SQL as the superuser in `database`; its output (`-A -t`: bare values).
    async fn psql(
        &self,
        ctx: &Ctx,
        database: &str,
        sql: String,
        secrets: Vec<String>,
    ) -> anyhow::Result<String> {
        process::run_client(Client {
            program: &ctx.tools.psql,
            args: ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-f", "-"]
                .map(String::from)
                .to_vec(),
            env: vec![
                ("PGHOST", self.dir.display().to_string()),
                ("PGPORT", self.port.to_string()),
                ("PGUSER", SUPERUSER.to_string()),
                // The environment, not argv: a name with `=` would be read as a conninfo.
                ("PGDATABASE", database.to_string()),
                ("PGAPPNAME", "dbaas-mock".to_string()),
            ],
            input: format!("SET client_min_messages = warning;\n{sql}"),
            secrets,
            run_as: None,
        })
        .await
    }

    /// Brings roles, databases and the pools to `spec`.
    pub async fn apply(
        &mut self,
        ctx: &Ctx,
        cluster_dir: &Path,
        spec: &ClusterSpec,
    ) -> anyhow::Result<()> {
        let secrets: Vec<String> = spec.users.iter().map(|u| u.password.clone()).collect();
        let state = self
            .psql(
                ctx,
                "postgres",
                "SELECT json_build_object(\
                   'roles', (SELECT coalesce(json_agg(rolname), '[]') FROM pg_roles \
                             WHERE rolname !~ '^pg_' AND rolname <> 'postgres'), \
                   'dbs', (SELECT coalesce(json_agg(datname), '[]') FROM pg_database \
                           WHERE NOT datistemplate AND datname <> 'postgres'));\n"
                    .to_string(),
                vec![],
            )
            .await?;
        let state: serde_json::Value =
            serde_json::from_str(state.trim()).context("unexpected answer from PostgreSQL")?;
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
        let (roles, dbs) = (names("roles"), names("dbs"));
        let admin = spec
            .users
            .iter()
            .find(|u| u.admin)
            .map(|u| u.name.as_str())
            .unwrap_or(SUPERUSER);

        let mut sql = String::new();
        for user in &spec.users {
            if is_system_role(&user.name) {
                anyhow::bail!("the PostgreSQL user name {:?} is reserved", user.name);
            }
            let attributes = if user.admin {
                "LOGIN CREATEDB CREATEROLE"
            } else {
                "LOGIN NOCREATEDB NOCREATEROLE"
            };
            let verb = if roles.contains(&user.name) {
                "ALTER"
            } else {
                "CREATE"
            };
            sql.push_str(&format!(
                "{verb} ROLE {} WITH {attributes} PASSWORD {};\n",
                pg_ident(&user.name)?,
                pg_literal(&user.password)?
            ));
        }
        for db in &spec.dbs {
            if db == "postgres" || is_template(db) {
                anyhow::bail!("the PostgreSQL database name {db:?} is reserved");
            }
            if !dbs.contains(db) {
                sql.push_str(&format!(
                    "CREATE DATABASE {} OWNER {};\n",
                    pg_ident(db)?,
                    pg_ident(admin)?
                ));
            }
        }
        let wanted_dbs: BTreeSet<&String> = spec.dbs.iter().collect();
        for db in dbs.iter().filter(|db| !wanted_dbs.contains(db)) {
            sql.push_str(&format!("DROP DATABASE {} WITH (FORCE);\n", pg_ident(db)?));
        }
        self.psql(ctx, "postgres", sql, secrets.clone()).await?;

        let wanted_roles: BTreeSet<&String> = spec.users.iter().map(|u| &u.name).collect();
        let gone: Vec<&String> = roles.iter().filter(|r| !wanted_roles.contains(r)).collect();
        if !gone.is_empty() {
            // A role that owns anything cannot be dropped: its objects go to the admin, in
            // every database, first.
            for db in spec.dbs.iter().map(String::as_str).chain(["postgres"]) {
                let mut sql = String::new();
                for role in &gone {
                    sql.push_str(&format!(
                        "REASSIGN OWNED BY {role} TO {admin};\nDROP OWNED BY {role};\n",
                        role = pg_ident(role)?,
                        admin = pg_ident(admin)?
                    ));
                }
                self.psql(ctx, db, sql, vec![]).await?;
            }
            let mut sql = String::new();
            for role in &gone {
                sql.push_str(&format!(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = {};\n\
                     DROP ROLE {};\n",
                    pg_literal(role)?,
                    pg_ident(role)?
                ));
            }
            self.psql(ctx, "postgres", sql, vec![]).await?;
        }

        self.apply_pools(ctx, cluster_dir, spec).await
    }

    async fn apply_pools(
        &mut self,
        ctx: &Ctx,
        cluster_dir: &Path,
        spec: &ClusterSpec,
    ) -> anyhow::Result<()> {
        let pool_port = match (spec.pools.is_empty(), spec.pool_port) {
            (true, _) => None,
            (false, Some(port)) => Some(port),
            (false, None) => anyhow::bail!("the cluster has pools but no pool port"),
        };
        let Some(pool_port) = pool_port else {
            if let Some(bouncer) = self.bouncer.take() {
                bouncer.stop().await;
            }
            return Ok(());
        };
        if let Some(bouncer) = self.bouncer.as_mut() {
            if bouncer.port() == pool_port && bouncer.running() {
                return bouncer.reconfigure(spec, self.port).await;
            }
        }
        if let Some(bouncer) = self.bouncer.take() {
            bouncer.stop().await;
        }
        self.bouncer = Some(PgBouncer::start(ctx, cluster_dir, spec, self.port, pool_port).await?);
        Ok(())
    }

    pub async fn stop(self) {
        if let Some(bouncer) = self.bouncer {
            bouncer.stop().await;
        }
        self.server.stop().await;
    }
}

fn is_system_role(name: &str) -> bool {
    name == SUPERUSER || name.starts_with("pg_")
}

fn is_template(db: &str) -> bool {
    db == "template0" || db == "template1"
}

/// `cp -a`: keeps the owner (the template belongs to `postgres` or `mysql`) and sparse files.
pub async fn copy_tree(ctx: &Ctx, from: &Path, to: &Path) -> anyhow::Result<()> {
    process::run_client(Client {
        program: &ctx.tools.cp,
        args: vec![
            "-a".into(),
            from.display().to_string(),
            to.display().to_string(),
        ],
        env: vec![],
        input: String::new(),
        secrets: vec![],
        run_as: None,
    })
    .await
    .map(drop)
    .with_context(|| format!("could not copy the template to {}", to.display()))
}
