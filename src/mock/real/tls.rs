//! The certificate authority and the server certificate, made with the `openssl` CLI.
//!
//! One CA per data directory (kept across restarts when the directory is persistent, so that
//! a client's saved CA file stays valid) and one server certificate signed by it, with
//! `IP:127.0.0.1` and `DNS:localhost`, shared by every server of the manager. Each server gets
//! its own copy of the key (owned by the server's user, mode 0600: PostgreSQL insists).

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::process::write_private;

#[derive(Debug, Clone)]
pub struct Tls {
    pub ca_pem: String,
    pub ca_file: PathBuf,
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

/// Makes (or, when they exist and are valid, reuses) the CA and the server certificate in
/// `dir`.
pub fn prepare(openssl: &Path, dir: &Path) -> anyhow::Result<Tls> {
    super::process::make_dir(dir, 0o700)?;
    let ca_key = dir.join("ca.key");
    let ca_file = dir.join("ca.pem");
    let key_file = dir.join("server.key");
    let cert_file = dir.join("server.pem");
    let complete = [&ca_key, &ca_file, &key_file, &cert_file]
        .iter()
        .all(|path| path.is_file());
    if !complete || !verifies(openssl, &ca_file, &cert_file) {
        make(openssl, dir, &ca_key, &ca_file, &key_file, &cert_file)?;
    }
    let ca_pem = std::fs::read_to_string(&ca_file)
        .with_context(|| format!("could not read {}", ca_file.display()))?;
    Ok(Tls {
        ca_pem,
        ca_file,
        cert_file,
        key_file,
    })
}

fn verifies(openssl: &Path, ca: &Path, cert: &Path) -> bool {
    std::process::Command::new(openssl)
        .arg("verify")
        .arg("-CAfile")
        .arg(ca)
        .arg(cert)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map(|status| status.success())
        .unwrap_or(false)
}

fn make(
    openssl: &Path,
    dir: &Path,
    ca_key: &Path,
    ca_file: &Path,
    key_file: &Path,
    cert_file: &Path,
) -> anyhow::Result<()> {
    // The key files exist with mode 0600 before openssl writes into them.
    write_private(ca_key, b"", 0o600)?;
    write_private(key_file, b"", 0o600)?;
    let csr = dir.join("server.csr");
    let extensions = dir.join("server.ext");
    std::fs::write(
        &extensions,
        "basicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature,keyEncipherment\n\
         extendedKeyUsage=serverAuth\n\
         subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )?;
    let run = |args: &[&std::ffi::OsStr]| -> anyhow::Result<()> {
        let output = std::process::Command::new(openssl)
            .args(args)
            .output()
            .with_context(|| format!("could not run {}", openssl.display()))?;
        if !output.status.success() {
            anyhow::bail!(
                "openssl {} failed: {}",
                args.first()
                    .map(|a| a.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(())
    };
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    run(&[
        os("req"),
        os("-x509"),
        os("-newkey"),
        os("ec"),
        os("-pkeyopt"),
        os("ec_paramgen_curve:prime256v1"),
        os("-nodes"),
        os("-keyout"),
        ca_key.as_os_str(),
        os("-out"),
        ca_file.as_os_str(),
        os("-days"),
        os("3650"),
        os("-subj"),
        os("/CN=dbaas-mock real engines CA"),
        os("-addext"),
        os("basicConstraints=critical,CA:TRUE"),
        os("-addext"),
        os("keyUsage=critical,keyCertSign,cRLSign"),
    ])
    .context("could not make the certificate authority")?;
    run(&[
        os("req"),
        os("-new"),
        os("-newkey"),
        os("ec"),
        os("-pkeyopt"),
        os("ec_paramgen_curve:prime256v1"),
        os("-nodes"),
        os("-keyout"),
        key_file.as_os_str(),
        os("-out"),
        csr.as_os_str(),
        os("-subj"),
        os("/CN=localhost"),
    ])
    .context("could not make the server key")?;
    run(&[
        os("x509"),
        os("-req"),
        os("-in"),
        csr.as_os_str(),
        os("-CA"),
        ca_file.as_os_str(),
        os("-CAkey"),
        ca_key.as_os_str(),
        os("-set_serial"),
        std::ffi::OsStr::new(&format!("0x{:016x}", rand::random::<u64>())),
        os("-days"),
        os("3650"),
        os("-extfile"),
        extensions.as_os_str(),
        os("-out"),
        cert_file.as_os_str(),
    ])
    .context("could not sign the server certificate")?;
    let _ = std::fs::remove_file(&csr);
    let _ = std::fs::remove_file(&extensions);
    Ok(())
}

/// Copies the certificate, key and CA into a server's directory, owned by its user.
pub fn install(tls: &Tls, dir: &Path, run_as: super::process::RunAs) -> anyhow::Result<()> {
    let key = std::fs::read(&tls.key_file)
        .with_context(|| format!("could not read {}", tls.key_file.display()))?;
    write_private(&dir.join("server.key"), &key, 0o600)?;
    std::fs::copy(&tls.cert_file, dir.join("server.pem"))?;
    std::fs::copy(&tls.ca_file, dir.join("ca.pem"))?;
    for name in ["server.key", "server.pem", "ca.pem"] {
        run_as.own_one(&dir.join(name))?;
    }
    Ok(())
}
