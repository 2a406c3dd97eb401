//! Redis 7 for the `redis` and `valkey` engines: one `redis-server` per cluster, TLS only
//! (`port 0`, `tls-port`), no client certificates. The manager connects over a Unix socket in
//! the server's directory as its own ACL user `dbaas-mock-manager`, whose random password is
//! only in `redis.conf` (mode 0600); `default` is off until the spec gives it a password.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::process::{self, Client, Launch, Server};
use super::quote::redis_arg;
use super::{ClusterSpec, Ctx};

/// The manager's own ACL user (not a user of the cluster: never in a spec, never dropped).
pub const MANAGER_USER: &str = "dbaas-mock-manager";

pub struct Redis {
    server: Server,
    dir: PathBuf,
    port: u16,
    manager_password: String,
}

impl Redis {
    pub async fn start(ctx: &Ctx, cluster_dir: &Path, spec: &ClusterSpec) -> anyhow::Result<Self> {
        process::check_port_free(spec.port, "Redis")?;
        let dir = cluster_dir.join("redis");
        process::make_dir(&dir, 0o700)?;
        let socket = dir.join("redis.sock");
        if socket.as_os_str().len() > 107 {
            anyhow::bail!(
                "the Redis socket path {} is longer than Unix sockets allow (107 bytes); use a \
                 shorter data directory",
                socket.display()
            );
        }
        super::tls::install(&ctx.tls, &dir, ctx.redis_user)?;
        let manager_password = format!(
            "{:032x}{:032x}",
            rand::random::<u128>(),
            rand::random::<u128>()
        );
        let path = |name: &str| redis_arg(&dir.join(name).display().to_string());
        let persistence = if ctx.persistent {
            "save \"\"\nappendonly yes\nappendfsync no\n"
        } else {
            "save \"\"\nappendonly no\n"
        };
        let conf = format!(
            "bind 127.0.0.1\n\
             port 0\n\
             tls-port {port}\n\
             tls-cert-file {cert}\n\
             tls-key-file {key}\n\
             tls-ca-cert-file {ca}\n\
             tls-auth-clients no\n\
             unixsocket {socket}\n\
             unixsocketperm 700\n\
             dir {dir}\n\
             daemonize no\n\
             supervised no\n\
             set-proc-title no\n\
             logfile \"\"\n\
             {persistence}\
             user {manager} on >{manager_password} ~* &* +@all\n\
             user default off resetpass nopass\n",
            port = spec.port,
            cert = path("server.pem")?,
            key = path("server.key")?,
            ca = path("ca.pem")?,
            socket = redis_arg(&socket.display().to_string())?,
            dir = redis_arg(&dir.display().to_string())?,
            manager = MANAGER_USER,
        );
        let conf_path = dir.join("redis.conf");
        process::write_private(&conf_path, conf.as_bytes(), 0o600)?;
        ctx.redis_user.own(&dir)?;
        let mut server = process::spawn_server(Launch {
            name: "redis-server",
            program: &ctx.tools.redis_server,
            args: vec![conf_path.display().to_string()],
            dir: &dir,
            log_name: "redis.log",
            run_as: ctx.redis_user,
            stop_signal: libc::SIGTERM,
        })?;
        let (probe_dir, probe_password) = (dir.clone(), manager_password.clone());
        process::wait_ready(&mut server, Duration::from_secs(30), || {
            let client = client(ctx, &probe_dir, &probe_password, "PING\n".into(), vec![]);
            async move {
                matches!(process::run_client(client).await, Ok(out) if out.trim() == "PONG")
            }
        })
        .await?;
        Ok(Redis {
            server,
            dir,
            port: spec.port,
            manager_password,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn running(&mut self) -> bool {
        self.server.running()
    }

    async fn commands(
        &self,
        ctx: &Ctx,
        input: String,
        secrets: Vec<String>,
    ) -> anyhow::Result<String> {
        let mut all_secrets = secrets;
        all_secrets.push(self.manager_password.clone());
        let out = process::run_client(client(
            ctx,
            &self.dir,
            &self.manager_password,
            input,
            all_secrets.clone(),
        ))
        .await?;
        // redis-cli reading stdin goes on after an error reply; every reply is one line here.
        if let Some(error) = out.lines().find(|line| {
            line.starts_with("ERR")
                || line.starts_with("(error)")
                || line.starts_with("WRONG")
                || line.starts_with("NOPERM")
        }) {
            anyhow::bail!(
                "Redis refused a command: {}",
                process::redact(error, &all_secrets)
            );
        }
        Ok(out)
    }

    /// Brings the ACL users to `spec`: `default` is the admin, the others get everything.
    pub async fn apply(&mut self, ctx: &Ctx, spec: &ClusterSpec) -> anyhow::Result<()> {
        let listed = self.commands(ctx, "ACL USERS\n".into(), vec![]).await?;
        let existing: BTreeSet<&str> = listed
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let mut input = String::new();
        let mut admin_given = false;
        for user in &spec.users {
            if user.name == MANAGER_USER {
                anyhow::bail!("the Redis user name {:?} is reserved", user.name);
            }
            let name = if user.admin {
                "default"
            } else {
                user.name.as_str()
            };
            admin_given |= name == "default";
            input.push_str(&format!(
                "ACL SETUSER {} reset on {} ~* &* +@all\n",
                redis_arg(name)?,
                redis_arg(&format!(">{}", user.password))?
            ));
        }
        if !admin_given {
            input.push_str("ACL SETUSER default reset off\n");
        }
        let wanted: BTreeSet<&str> = spec
            .users
            .iter()
            .map(|u| if u.admin { "default" } else { u.name.as_str() })
            .collect();
        for user in existing {
            if user != "default" && user != MANAGER_USER && !wanted.contains(user) {
                input.push_str(&format!("ACL DELUSER {}\n", redis_arg(user)?));
            }
        }
        let secrets = spec.users.iter().map(|u| u.password.clone()).collect();
        self.commands(ctx, input, secrets).await.map(drop)
    }

    pub async fn stop(self) {
        self.server.stop().await;
    }
}

/// `redis-cli` over the socket as the manager; the password in `REDISCLI_AUTH`, not argv.
fn client<'a>(
    ctx: &'a Ctx,
    dir: &Path,
    manager_password: &str,
    input: String,
    secrets: Vec<String>,
) -> Client<'a> {
    Client {
        program: &ctx.tools.redis_cli,
        args: vec![
            "-s".into(),
            dir.join("redis.sock").display().to_string(),
            "--user".into(),
            MANAGER_USER.into(),
            "--no-auth-warning".into(),
        ],
        env: vec![("REDISCLI_AUTH", manager_password.to_string())],
        input,
        secrets,
        run_as: None,
    }
}
