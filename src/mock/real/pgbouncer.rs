//! PgBouncer 1.18 in front of a PostgreSQL cluster: one process per cluster with pools,
//! listening on the cluster's pool port, TLS required of clients (the same certificate as the
//! server), SCRAM against an auth file holding the users' passwords (mode 0600, owned by the
//! server's user). A change of pools or users rewrites both files and reloads (SIGHUP); when
//! the last pool goes, PgBouncer is stopped.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::process::{self, Launch, Server};
use super::quote::{pgbouncer_auth, pgbouncer_name};
use super::{ClusterSpec, Ctx};

pub struct PgBouncer {
    server: Server,
    dir: PathBuf,
    port: u16,
    /// The configuration last written: a reload only when it changes.
    written: String,
    /// The auth file's generation: each change gets a new file name, because PgBouncer
    /// re-reads an auth file only when its size or mtime (whole seconds) changed.
    generation: u64,
}

impl PgBouncer {
    pub async fn start(
        ctx: &Ctx,
        cluster_dir: &Path,
        spec: &ClusterSpec,
        pg_port: u16,
        port: u16,
    ) -> anyhow::Result<Self> {
        process::check_port_free(port, "PgBouncer")?;
        let dir = cluster_dir.join("pgbouncer");
        let _ = std::fs::remove_dir_all(&dir);
        process::make_dir(&dir, 0o700)?;
        super::tls::install(&ctx.tls, &dir, ctx.pg_user)?;
        let written = write_config(&dir, spec, pg_port, port, 0)?;
        ctx.pg_user.own(&dir)?;
        let mut server = process::spawn_server(Launch {
            name: "pgbouncer",
            program: &ctx.tools.pgbouncer,
            args: vec![dir.join("pgbouncer.ini").display().to_string()],
            dir: &dir,
            log_name: "pgbouncer.log",
            run_as: ctx.pg_user,
            stop_signal: libc::SIGTERM,
        })?;
        process::wait_ready(&mut server, Duration::from_secs(30), || async move {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
        })
        .await?;
        tracing::info!(cluster = %spec.id, port, pools = spec.pools.len(), "pgbouncer ready");
        Ok(PgBouncer {
            server,
            dir,
            port,
            written,
            generation: 0,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn running(&mut self) -> bool {
        self.server.running()
    }

    /// Rewrites the configuration and the auth file; reloads when either changed.
    pub async fn reconfigure(&mut self, spec: &ClusterSpec, pg_port: u16) -> anyhow::Result<()> {
        let written = render(&self.dir, spec, pg_port, self.port, self.generation)?;
        if written != self.written {
            let old_auth = auth_file(&self.dir, self.generation);
            self.generation += 1;
            self.written = write_config(&self.dir, spec, pg_port, self.port, self.generation)?;
            self.server.signal(libc::SIGHUP);
            tracing::info!(cluster = %spec.id, port = self.port, pools = spec.pools.len(), "pgbouncer reloaded");
            // The reload is asynchronous; give it a moment so that the next client sees it.
            tokio::time::sleep(Duration::from_millis(150)).await;
            let _ = std::fs::remove_file(old_auth);
        }
        Ok(())
    }

    pub async fn stop(self) {
        self.server.stop().await;
    }
}

fn auth_file(dir: &Path, generation: u64) -> PathBuf {
    dir.join(format!("userlist-{generation}.txt"))
}

/// Writes `pgbouncer.ini` and the auth file of `generation` (mode 0600, owned by the file's
/// directory owner when running as root); returns what [`render`] returns.
fn write_config(
    dir: &Path,
    spec: &ClusterSpec,
    pg_port: u16,
    port: u16,
    generation: u64,
) -> anyhow::Result<String> {
    let (ini, auth) = config(dir, spec, pg_port, port, generation)?;
    let auth_path = auth_file(dir, generation);
    process::write_private(&auth_path, auth.as_bytes(), 0o600)?;
    // The directory's owner is the server's user (root chowned it at start).
    let owner = std::fs::metadata(dir).map(|m| {
        use std::os::unix::fs::MetadataExt;
        (m.uid(), m.gid())
    })?;
    if std::fs::metadata(&auth_path).map(|m| {
        use std::os::unix::fs::MetadataExt;
        m.uid()
    })? != owner.0
    {
        std::os::unix::fs::chown(&auth_path, Some(owner.0), Some(owner.1))?;
    }
    std::fs::write(dir.join("pgbouncer.ini"), &ini)?;
    Ok(digest(&ini, &auth))
}

/// What the files of `generation` would hold, as a digest (the auth file only hashed).
fn render(
    dir: &Path,
    spec: &ClusterSpec,
    pg_port: u16,
    port: u16,
    generation: u64,
) -> anyhow::Result<String> {
    let (ini, auth) = config(dir, spec, pg_port, port, generation)?;
    Ok(digest(&ini, &auth))
}

fn digest(ini: &str, auth: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    auth.hash(&mut hasher);
    format!("{ini}\n{:x}", hasher.finish())
}

/// `pgbouncer.ini` and the auth file's contents.
fn config(
    dir: &Path,
    spec: &ClusterSpec,
    pg_port: u16,
    port: u16,
    generation: u64,
) -> anyhow::Result<(String, String)> {
    let mut ini = String::from("[databases]\n");
    for pool in &spec.pools {
        let mut line = format!(
            "{} = host=127.0.0.1 port={pg_port} dbname={}",
            pgbouncer_name(&pool.name, "pool name")?,
            pgbouncer_name(&pool.db, "database name")?
        );
        if let Some(user) = &pool.user {
            line.push_str(&format!(" user={}", pgbouncer_name(user, "user name")?));
        }
        let mode = match pool.mode.as_str() {
            "session" | "transaction" | "statement" => pool.mode.as_str(),
            other => anyhow::bail!("unknown pool mode {other:?} for pool {:?}", pool.name),
        };
        line.push_str(&format!(
            " pool_size={} pool_mode={mode}\n",
            pool.size.max(1)
        ));
        ini.push_str(&line);
    }
    let file = |name: &str| dir.join(name).display().to_string();
    ini.push_str(&format!(
        "\n[pgbouncer]\n\
         listen_addr = 127.0.0.1\n\
         listen_port = {port}\n\
         unix_socket_dir = {socket}\n\
         auth_type = scram-sha-256\n\
         auth_file = {auth}\n\
         client_tls_sslmode = require\n\
         client_tls_cert_file = {cert}\n\
         client_tls_key_file = {key}\n\
         client_tls_ca_file = {ca}\n\
         server_tls_sslmode = require\n\
         ignore_startup_parameters = extra_float_digits,search_path\n\
         max_client_conn = 500\n\
         server_reset_query = DISCARD ALL\n",
        socket = dir.display(),
        auth = auth_file(dir, generation).display(),
        cert = file("server.pem"),
        key = file("server.key"),
        ca = file("ca.pem"),
    ));
    let mut auth = String::new();
    for user in &spec.users {
        auth.push_str(&format!(
            "{} {}\n",
            pgbouncer_auth(&user.name)?,
            pgbouncer_auth(&user.password)?
        ));
    }
    Ok((ini, auth))
}
