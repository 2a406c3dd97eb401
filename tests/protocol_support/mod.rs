//! The protocol-test harness: talks tfplugin6 to the provider over gRPC the way Terraform's
//! go-plugin client does, without Terraform.
//!
//! - [`Plugin`]: the built provider binary as a child process, started with exactly the
//!   environment go-plugin gives a plugin (and nothing inherited that could change its
//!   behaviour), its handshake line parsed, and a tonic [`Channel`] over its Unix socket, with
//!   auto-mTLS when a client certificate is given.
//! - [`InProcess`]: `serve_with` in the test's own runtime, for test providers defined in a
//!   test file.
//! - Value helpers: build configurations as [`Dynamic`] trees, encode them with the type taken
//!   from the schema *as it went over the wire* ([`type_of_block`]), and read diagnostics.
//!
//! Each test file compiles this module with `mod protocol_support;` and uses a different
//! subset of it.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use base64::Engine as _;
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::UnixStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::{Channel, Endpoint, Uri};

use dbaas::framework::context::ProviderData;
use dbaas::framework::host::ProviderBlock;
use dbaas::plugin::dynamic::{Dynamic, Number, Type};
use dbaas::plugin::msgpack;
use dbaas::plugin::schema::Schema;
use dbaas::plugin::serve::{serve_with, ServeOptions};
use dbaas::plugin::service::{ConfigureRequest, ProviderHandler};
use dbaas::plugin::Diagnostics;

pub use dbaas::plugin::proto::go_plugin;
pub use dbaas::plugin::proto::health;
pub use dbaas::plugin::proto::tfplugin6 as pb;

pub type ProviderClient = pb::provider_client::ProviderClient<Channel>;
pub type ControllerClient = go_plugin::grpc_controller_client::GrpcControllerClient<Channel>;
pub type StdioClient = go_plugin::grpc_stdio_client::GrpcStdioClient<Channel>;
pub type HealthClient = health::health_client::HealthClient<Channel>;

/// go-plugin's handshake cookie for Terraform providers (written out here rather than taken
/// from the crate, so a changed constant in the provider is caught).
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// Variables that would change the plugin's behaviour if inherited from the test's own
/// environment (credentials, endpoints, log levels, go-plugin settings).
const SCRUBBED_PREFIXES: [&str; 4] = ["TF_", "DBAAS_", "DIGITALOCEAN_", "PLUGIN_"];

/// Starting the binary takes milliseconds; the margin is for a loaded 2-core CI machine.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);
/// Every RPC answers in milliseconds in these tests; a hang fails instead of blocking forever.
const RPC_TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// Client identity (what Terraform's auto-mTLS certificate is to the plugin)
// ---------------------------------------------------------------------------------------------

/// A client certificate and key, made with the provider's own certificate generator (which
/// produces a self-signed `localhost` leaf, good enough to stand in for Terraform's).
#[derive(Clone)]
pub struct ClientIdentity {
    pub cert_der: Vec<u8>,
    pub key_pkcs8_der: Vec<u8>,
}

impl ClientIdentity {
    pub fn generate() -> Self {
        let identity = dbaas::plugin::tls::generate_server_identity()
            .expect("generating a test client identity");
        Self {
            cert_der: identity.cert_der.clone(),
            key_pkcs8_der: identity.key_pkcs8_der().to_vec(),
        }
    }

    /// The certificate as PEM, as Terraform puts it in `PLUGIN_CLIENT_CERT`.
    pub fn pem(&self) -> String {
        let body = base64::engine::general_purpose::STANDARD.encode(&self.cert_der);
        let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
        for chunk in body.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
        pem
    }
}

// ---------------------------------------------------------------------------------------------
// The handshake line
// ---------------------------------------------------------------------------------------------

/// go-plugin's handshake line: `core|app|network|address|protocol|cert`.
#[derive(Debug, Clone)]
pub struct Handshake {
    pub raw: String,
    pub core_version: String,
    pub protocol_version: String,
    pub network: String,
    pub address: PathBuf,
    pub protocol: String,
    /// Standard base64 without padding; empty without auto-mTLS.
    pub cert_base64: String,
}

impl Handshake {
    pub fn parse(line: &str) -> Result<Self, String> {
        let raw = line.trim_end_matches(['\r', '\n']).to_string();
        let fields: Vec<&str> = raw.split('|').collect();
        let [core, app, network, address, protocol, cert] = fields[..] else {
            return Err(format!(
                "the handshake line has {} fields instead of 6: {raw:?}",
                fields.len()
            ));
        };
        Ok(Self {
            core_version: core.to_string(),
            protocol_version: app.to_string(),
            network: network.to_string(),
            address: PathBuf::from(address),
            protocol: protocol.to_string(),
            cert_base64: cert.to_string(),
            raw,
        })
    }

    /// The server certificate's DER, decoded as go-plugin does (`RawStdEncoding`).
    pub fn server_cert_der(&self) -> Option<Vec<u8>> {
        if self.cert_base64.is_empty() {
            return None;
        }
        Some(
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(&self.cert_base64)
                .unwrap_or_else(|e| {
                    panic!(
                        "the handshake's certificate is not unpadded standard base64 ({e}): {:?}",
                        self.cert_base64
                    )
                }),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Connecting
// ---------------------------------------------------------------------------------------------

/// How the test client connects.
#[derive(Clone)]
pub enum ClientTls {
    /// What Terraform does: TLS when the handshake carries a certificate, presenting the
    /// identity the plugin was started with.
    Auto,
    /// No TLS at all, whatever the handshake says.
    Plaintext,
    /// TLS trusting the handshake's certificate, presenting `identity` (or no certificate).
    Present(Option<ClientIdentity>),
}

/// The rustls client configuration go-plugin's client amounts to: the server certificate
/// from the handshake as the only root, a client certificate, ALPN `h2`.
pub fn client_config(
    server_cert_der: &[u8],
    identity: Option<&ClientIdentity>,
) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(server_cert_der.to_vec()))
        .expect("the handshake's server certificate is not a usable trust anchor");
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports the default TLS versions")
    .with_root_certificates(roots);
    let mut config = match identity {
        None => builder.with_no_client_auth(),
        Some(identity) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from(identity.cert_der.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.key_pkcs8_der.clone())),
            )
            .expect("the test client identity is usable"),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Arc::new(config)
}

/// Anything the connector can hand to hyper: a Unix stream, with or without TLS.
trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// A gRPC channel to the socket at `address`; `tls` is `None` for plaintext.
pub async fn connect_channel(
    address: &Path,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> Result<Channel, tonic::transport::Error> {
    let address = address.to_path_buf();
    let connector = tower::service_fn(move |_: Uri| {
        let address = address.clone();
        let tls = tls.clone();
        async move {
            let stream = UnixStream::connect(&address).await?;
            let io: Box<dyn Io> = match tls {
                None => Box::new(stream),
                Some(config) => {
                    // go-plugin verifies the plugin's certificate for the name "localhost".
                    let name = ServerName::try_from("localhost").expect("a valid DNS name");
                    Box::new(
                        tokio_rustls::TlsConnector::from(config)
                            .connect(name, stream)
                            .await?,
                    )
                }
            };
            Ok::<_, std::io::Error>(TokioIo::new(io))
        }
    });
    // The URI is never dialled: the connector decides where to go.
    Endpoint::from_static("http://localhost")
        .connect_timeout(Duration::from_secs(10))
        .timeout(RPC_TIMEOUT)
        .connect_with_connector(connector)
        .await
}

/// Connects to a served handshake the way `tls` says.
async fn connect_to(
    handshake: &Handshake,
    own_identity: Option<&ClientIdentity>,
    tls: ClientTls,
) -> Result<Channel, tonic::transport::Error> {
    let config = match tls {
        ClientTls::Plaintext => None,
        ClientTls::Auto => handshake
            .server_cert_der()
            .map(|cert| client_config(&cert, own_identity)),
        ClientTls::Present(identity) => {
            let cert = handshake
                .server_cert_der()
                .expect("TLS needs a server certificate on the handshake line");
            Some(client_config(&cert, identity.as_ref()))
        }
    };
    connect_channel(&handshake.address, config).await
}

/// A directory for the socket. Unix socket paths are limited to about 100 bytes, so it lives
/// directly under /tmp rather than under a possibly long `TMPDIR`.
fn socket_dir() -> tempfile::TempDir {
    let base = Path::new("/tmp");
    let builder = {
        let mut builder = tempfile::Builder::new();
        builder.prefix("tfproto");
        builder
    };
    if base.is_dir() {
        builder.tempdir_in(base)
    } else {
        builder.tempdir()
    }
    .expect("creating the socket directory")
}

// ---------------------------------------------------------------------------------------------
// The provider binary
// ---------------------------------------------------------------------------------------------

/// How to start the binary. The defaults are what Terraform sets.
#[derive(Clone)]
pub struct Options {
    /// `TF_PLUGIN_MAGIC_COOKIE`; `None` leaves it unset.
    pub cookie: Option<String>,
    /// `PLUGIN_PROTOCOL_VERSIONS`; `None` leaves it unset.
    pub protocol_versions: Option<String>,
    /// Sets `PLUGIN_CLIENT_CERT` to this identity's certificate (auto-mTLS).
    pub client_identity: Option<ClientIdentity>,
    /// Anything else to set for the child.
    pub env: Vec<(String, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            cookie: Some(MAGIC_COOKIE_VALUE.to_string()),
            protocol_versions: Some("6".to_string()),
            client_identity: None,
            env: Vec::new(),
        }
    }
}

impl Options {
    pub fn mtls(identity: ClientIdentity) -> Self {
        Self {
            client_identity: Some(identity),
            ..Self::default()
        }
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }
}

fn command(options: &Options, socket_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_terraform-provider-dbaas"));
    for (key, _) in std::env::vars_os() {
        let scrub = key
            .to_str()
            .is_some_and(|k| SCRUBBED_PREFIXES.iter().any(|p| k.starts_with(p)));
        if scrub {
            command.env_remove(&key);
        }
    }
    if let Some(cookie) = &options.cookie {
        command.env(MAGIC_COOKIE_KEY, cookie);
    }
    if let Some(versions) = &options.protocol_versions {
        command.env("PLUGIN_PROTOCOL_VERSIONS", versions);
    }
    command.env("PLUGIN_UNIX_SOCKET_DIR", socket_dir);
    if let Some(identity) = &options.client_identity {
        command.env("PLUGIN_CLIENT_CERT", identity.pem());
    }
    for (key, value) in &options.env {
        command.env(key, value);
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Collects a pipe into a shared string on its own thread, so the child never blocks on a
/// full pipe and failure messages can show what it wrote.
fn collect(mut pipe: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        loop {
            match pipe.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => sink
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n])),
            }
        }
    });
    text
}

fn wait_blocking(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("waiting for the plugin") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A run of the binary that is expected to end by itself (refused environments).
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the binary to completion; panics if it is still running after `timeout`.
pub fn run_to_exit(options: Options, timeout: Duration) -> Finished {
    let dir = socket_dir();
    let mut child = command(&options, dir.path())
        .spawn()
        .expect("starting the provider binary");
    let stdout = collect(child.stdout.take().expect("piped stdout"));
    let stderr = collect(child.stderr.take().expect("piped stderr"));
    let status = match wait_blocking(&mut child, timeout) {
        Some(status) => status,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the provider was still running after {timeout:?}; stderr: {}",
                stderr.lock().unwrap()
            );
        }
    };
    // The reader threads finish at EOF, right after exit; give them a moment.
    std::thread::sleep(Duration::from_millis(100));
    let stdout = stdout.lock().unwrap().clone();
    let stderr = stderr.lock().unwrap().clone();
    Finished {
        status,
        stdout,
        stderr,
    }
}

/// The provider binary, serving.
pub struct Plugin {
    child: Child,
    pub handshake: Handshake,
    identity: Option<ClientIdentity>,
    stderr: Arc<Mutex<String>>,
    /// Whatever the plugin writes to stdout after the handshake line (go-plugin would read
    /// it as garbage, so it must stay empty).
    stdout_rest: Arc<Mutex<String>>,
    dir: tempfile::TempDir,
}

impl Plugin {
    /// Starts the binary and reads its handshake line; panics (with its stderr) if no
    /// handshake comes within [`HANDSHAKE_TIMEOUT`].
    pub fn start(options: Options) -> Self {
        let dir = socket_dir();
        let mut child = command(&options, dir.path())
            .spawn()
            .expect("starting the provider binary");
        let stderr = collect(child.stderr.take().expect("piped stderr"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (lines, first) = mpsc::channel::<Option<String>>();
        let stdout_rest = Arc::new(Mutex::new(String::new()));
        let rest = stdout_rest.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let got = matches!(reader.read_line(&mut line), Ok(n) if n > 0);
            let _ = lines.send(got.then_some(line));
            // Keep draining (a plugin blocked on a full stdout pipe would stop answering),
            // and keep what comes so tests can check that nothing does.
            let mut buffer = [0u8; 4096];
            loop {
                match reader.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => rest
                        .lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buffer[..n])),
                }
            }
        });
        let line = match first.recv_timeout(HANDSHAKE_TIMEOUT) {
            Ok(Some(line)) => line,
            outcome => {
                let _ = child.kill();
                let status = child.wait().ok();
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "no handshake line from the provider ({}; exit status {status:?}); stderr:\n{}",
                    match outcome {
                        Ok(_) => "stdout closed".to_string(),
                        Err(e) => e.to_string(),
                    },
                    stderr.lock().unwrap()
                );
            }
        };
        let handshake = Handshake::parse(&line).unwrap_or_else(|e| {
            let _ = child.kill();
            panic!("{e}");
        });
        Self {
            child,
            handshake,
            identity: options.client_identity,
            stderr,
            stdout_rest,
            dir,
        }
    }

    /// What the plugin wrote to stdout after its handshake line, so far.
    pub fn stdout_after_handshake(&self) -> String {
        self.stdout_rest.lock().unwrap().clone()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends `signal` to the plugin's process (and to nothing else).
    pub fn signal(&self, signal: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid fits pid_t");
        // SAFETY: kill(2) with our own child's pid, which stays reserved until we wait for it.
        let result = unsafe { libc::kill(pid, signal) };
        assert_eq!(result, 0, "kill({pid}, {signal}) failed");
    }

    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the plugin wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub async fn try_connect(&self, tls: ClientTls) -> Result<Channel, tonic::transport::Error> {
        connect_to(&self.handshake, self.identity.as_ref(), tls).await
    }

    /// A channel as Terraform would open it.
    pub async fn channel(&self) -> Channel {
        self.try_connect(ClientTls::Auto).await.unwrap_or_else(|e| {
            panic!(
                "connecting to the plugin: {e:?}; stderr:\n{}",
                self.stderr()
            )
        })
    }

    pub async fn provider(&self) -> ProviderClient {
        ProviderClient::new(self.channel().await)
    }

    pub async fn controller(&self) -> ControllerClient {
        ControllerClient::new(self.channel().await)
    }

    pub async fn health(&self) -> HealthClient {
        HealthClient::new(self.channel().await)
    }

    pub async fn stdio(&self) -> StdioClient {
        StdioClient::new(self.channel().await)
    }

    /// Waits (without blocking the runtime) for the process to exit.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("waiting for the plugin") {
                return Some(status);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        // Child::kill is SIGKILL to this child's pid only; the temp dir goes with `dir`.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// A provider served in the test's own process
// ---------------------------------------------------------------------------------------------

/// `serve_with` running on the test's runtime (use a multi-thread runtime).
pub struct InProcess {
    pub handshake: Handshake,
    identity: Option<ClientIdentity>,
    shutdown: CancellationToken,
    task: Option<tokio::task::JoinHandle<Result<(), String>>>,
    dir: tempfile::TempDir,
}

impl InProcess {
    /// Serves `handler` without TLS.
    pub async fn start(handler: Arc<dyn ProviderHandler>) -> Self {
        Self::start_with(handler, None).await
    }

    /// Serves `handler`, with auto-mTLS pinned to `identity` when given.
    pub async fn start_with(
        handler: Arc<dyn ProviderHandler>,
        identity: Option<ClientIdentity>,
    ) -> Self {
        let dir = socket_dir();
        let shutdown = CancellationToken::new();
        let options = ServeOptions {
            socket_dir: dir.path().to_path_buf(),
            client_cert_pem: identity.as_ref().map(ClientIdentity::pem),
            shutdown: shutdown.clone(),
        };
        let (announced, line) = tokio::sync::oneshot::channel::<String>();
        let task = tokio::spawn(async move {
            serve_with(handler, options, move |line| {
                let _ = announced.send(line.to_string());
                Ok(())
            })
            .await
            .map_err(|e| format!("{e:#}"))
        });
        let line = match tokio::time::timeout(HANDSHAKE_TIMEOUT, line).await {
            Ok(Ok(line)) => line,
            Ok(Err(_)) => {
                let outcome = task.await;
                panic!("serve_with ended without announcing a handshake: {outcome:?}");
            }
            Err(_) => panic!("serve_with announced no handshake within {HANDSHAKE_TIMEOUT:?}"),
        };
        Self {
            handshake: Handshake::parse(&line).expect("a well-formed handshake line"),
            identity,
            shutdown,
            task: Some(task),
            dir,
        }
    }

    pub async fn try_connect(&self, tls: ClientTls) -> Result<Channel, tonic::transport::Error> {
        connect_to(&self.handshake, self.identity.as_ref(), tls).await
    }

    pub async fn provider(&self) -> ProviderClient {
        ProviderClient::new(
            self.try_connect(ClientTls::Auto)
                .await
                .expect("connecting to the in-process server"),
        )
    }

    /// Shuts the server down and returns how serving ended.
    pub async fn stop(mut self) -> Result<(), String> {
        self.shutdown.cancel();
        let task = self.task.take().expect("the serve task");
        match tokio::time::timeout(Duration::from_secs(10), task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(format!("the serve task failed: {join}")),
            Err(_) => Err("serve_with did not return within 10s of shutdown".to_string()),
        }
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// A provider block with no attributes, for test providers built on `Host`.
#[derive(Debug, Default, Clone)]
pub struct EmptyProviderBlock;

#[derive(Debug, Default, serde::Deserialize)]
pub struct EmptyConfig {}

#[async_trait]
impl ProviderBlock for EmptyProviderBlock {
    type Config = EmptyConfig;

    fn schema(&self) -> Schema {
        Schema::default()
    }

    async fn validate(&self, _diags: &mut Diagnostics, _config: &EmptyConfig) {}

    async fn configure(
        &self,
        _diags: &mut Diagnostics,
        _request: &ConfigureRequest,
        _config: EmptyConfig,
        _data: &ProviderData,
    ) {
    }
}

// ---------------------------------------------------------------------------------------------
// Types, values and schemas
// ---------------------------------------------------------------------------------------------

/// The cty type of a block, rebuilt from its protocol form alone, the way Terraform reads it.
pub fn type_of_block(block: &pb::schema::Block) -> Type {
    let mut attributes = BTreeMap::new();
    for attribute in &block.attributes {
        attributes.insert(attribute.name.clone(), type_of_attribute(attribute));
    }
    for nested in &block.block_types {
        use pb::schema::nested_block::NestingMode;
        let object = type_of_block(nested.block.as_ref().expect("a nested block has a block"));
        let ty = match NestingMode::try_from(nested.nesting) {
            Ok(NestingMode::Single) | Ok(NestingMode::Group) => object,
            Ok(NestingMode::List) => Type::list(object),
            Ok(NestingMode::Set) => Type::set(object),
            Ok(NestingMode::Map) => Type::map(object),
            other => panic!("block {:?} has nesting {other:?}", nested.type_name),
        };
        attributes.insert(nested.type_name.clone(), ty);
    }
    Type::Object {
        attributes,
        optional: Vec::new(),
    }
}

/// The type of one attribute: its JSON `type`, or its nested attributes.
pub fn type_of_attribute(attribute: &pb::schema::Attribute) -> Type {
    match &attribute.nested_type {
        Some(object) => {
            use pb::schema::object::NestingMode;
            let inner = type_of_object(object);
            match NestingMode::try_from(object.nesting) {
                Ok(NestingMode::Single) => inner,
                Ok(NestingMode::List) => Type::list(inner),
                Ok(NestingMode::Set) => Type::set(inner),
                Ok(NestingMode::Map) => Type::map(inner),
                other => panic!("attribute {:?} has nesting {other:?}", attribute.name),
            }
        }
        None => {
            let json: serde_json::Value =
                serde_json::from_slice(&attribute.r#type).unwrap_or_else(|e| {
                    panic!(
                        "attribute {:?} has a type that is not JSON ({e}): {:?}",
                        attribute.name,
                        String::from_utf8_lossy(&attribute.r#type)
                    )
                });
            Type::from_json(&json).unwrap_or_else(|e| {
                panic!("attribute {:?} has an invalid type: {e}", attribute.name)
            })
        }
    }
}

/// Nested attributes are an object type whose non-required attributes are optional (cty's
/// optional object attributes), as Terraform builds it.
fn type_of_object(object: &pb::schema::Object) -> Type {
    let attributes = object
        .attributes
        .iter()
        .map(|a| (a.name.clone(), type_of_attribute(a)))
        .collect();
    let mut optional: Vec<String> = object
        .attributes
        .iter()
        .filter(|a| !a.required)
        .map(|a| a.name.clone())
        .collect();
    optional.sort();
    Type::Object {
        attributes,
        optional,
    }
}

/// Every attribute of a block at any depth (nested blocks and nested attributes), with its
/// dotted path.
pub fn all_attributes(block: &pb::schema::Block) -> Vec<(String, &pb::schema::Attribute)> {
    fn attributes<'a>(
        prefix: &str,
        list: &'a [pb::schema::Attribute],
        out: &mut Vec<(String, &'a pb::schema::Attribute)>,
    ) {
        for attribute in list {
            let path = format!("{prefix}{}", attribute.name);
            out.push((path.clone(), attribute));
            if let Some(nested) = &attribute.nested_type {
                attributes(&format!("{path}."), &nested.attributes, out);
            }
        }
    }
    fn walk<'a>(
        prefix: &str,
        block: &'a pb::schema::Block,
        out: &mut Vec<(String, &'a pb::schema::Attribute)>,
    ) {
        attributes(prefix, &block.attributes, out);
        for nested in &block.block_types {
            if let Some(inner) = &nested.block {
                walk(&format!("{prefix}{}.", nested.type_name), inner, out);
            }
        }
    }
    let mut out = Vec::new();
    walk("", block, &mut out);
    out
}

pub fn string(text: &str) -> Dynamic {
    Dynamic::String(text.to_string())
}

pub fn number(n: i64) -> Dynamic {
    Dynamic::Number(Number::Int(n))
}

pub fn boolean(b: bool) -> Dynamic {
    Dynamic::Bool(b)
}

pub fn object<'a>(pairs: impl IntoIterator<Item = (&'a str, Dynamic)>) -> Dynamic {
    Dynamic::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// A configuration as Terraform sends it: every attribute present (null when unset), and
/// absent blocks as empty collections (or null for single blocks).
pub fn complete(block: &pb::schema::Block, partial: Dynamic) -> Dynamic {
    use pb::schema::nested_block::NestingMode;
    let mut values = match partial {
        Dynamic::Object(values) => values,
        Dynamic::Null => BTreeMap::new(),
        other => panic!("a block value must be an object, got {other:?}"),
    };
    for attribute in &block.attributes {
        values
            .entry(attribute.name.clone())
            .or_insert(Dynamic::Null);
    }
    for nested in &block.block_types {
        let inner = nested.block.as_ref().expect("a nested block has a block");
        values.entry(nested.type_name.clone()).or_insert_with(|| {
            match NestingMode::try_from(nested.nesting) {
                Ok(NestingMode::List) => Dynamic::List(Vec::new()),
                Ok(NestingMode::Set) => Dynamic::Set(Vec::new()),
                Ok(NestingMode::Map) => Dynamic::Map(BTreeMap::new()),
                Ok(NestingMode::Group) => complete(inner, Dynamic::Null),
                _ => Dynamic::Null,
            }
        });
    }
    Dynamic::Object(values)
}

/// Terraform's proposed new state, for top-level attributes: the configuration, except that
/// a computed attribute the configuration leaves null keeps its prior value (or becomes
/// unknown on create). Nested blocks are taken from the configuration as they are (the tests
/// plan no computed values inside blocks).
pub fn propose(block: &pb::schema::Block, prior: &Dynamic, config: &Dynamic) -> Dynamic {
    let mut proposed = match config {
        Dynamic::Object(values) => values.clone(),
        other => panic!("a configuration must be an object, got {other:?}"),
    };
    for attribute in &block.attributes {
        let configured = config.attribute(&attribute.name).unwrap_or(&Dynamic::Null);
        if attribute.computed && configured.is_null() {
            let value = match prior {
                Dynamic::Null => Dynamic::Unknown,
                prior => prior
                    .attribute(&attribute.name)
                    .cloned()
                    .unwrap_or(Dynamic::Null),
            };
            proposed.insert(attribute.name.clone(), value);
        }
    }
    Dynamic::Object(proposed)
}

pub fn encode(value: &Dynamic, ty: &Type) -> pb::DynamicValue {
    pb::DynamicValue {
        msgpack: msgpack::encode(value, ty)
            .unwrap_or_else(|e| panic!("encoding a test value: {e}; value {value:?}")),
        json: Vec::new(),
    }
}

/// Decodes what the provider sent; an absent or empty value is null.
pub fn decode(value: Option<&pb::DynamicValue>, ty: &Type) -> Dynamic {
    match value {
        Some(value) if !value.msgpack.is_empty() => msgpack::decode(&value.msgpack, ty)
            .unwrap_or_else(|e| panic!("decoding the provider's value: {e}")),
        Some(value) if !value.json.is_empty() => {
            panic!("the provider answered with JSON instead of msgpack")
        }
        _ => Dynamic::Null,
    }
}

/// A started plugin with a client and its schemas, configured against an API (`endpoint`,
/// `token`) when one is given.
pub struct Session {
    /// Kept for its lifetime: dropping it kills the plugin.
    pub plugin: Plugin,
    pub client: ProviderClient,
    pub schemas: Schemas,
}

impl Session {
    pub async fn start(api: Option<(&str, &str)>) -> Self {
        let plugin = Plugin::start(Options::default());
        let mut client = plugin.provider().await;
        let schemas = Schemas::fetch(&mut client).await;
        if let Some((endpoint, token)) = api {
            schemas.configure(&mut client, endpoint, token).await;
        }
        Session {
            plugin,
            client,
            schemas,
        }
    }
}

/// The schemas from `GetProviderSchema`, with the types to encode values by.
pub struct Schemas {
    pub response: pb::get_provider_schema::Response,
}

impl Schemas {
    pub async fn fetch(client: &mut ProviderClient) -> Self {
        let response = client
            .get_provider_schema(pb::get_provider_schema::Request {})
            .await
            .expect("GetProviderSchema")
            .into_inner();
        assert!(
            errors(&response.diagnostics).is_empty(),
            "GetProviderSchema: {}",
            show(&response.diagnostics)
        );
        Self { response }
    }

    pub fn resource(&self, type_name: &str) -> &pb::schema::Block {
        self.response
            .resource_schemas
            .get(type_name)
            .and_then(|s| s.block.as_ref())
            .unwrap_or_else(|| panic!("no resource schema for {type_name}"))
    }

    pub fn resource_type(&self, type_name: &str) -> Type {
        type_of_block(self.resource(type_name))
    }

    pub fn ephemeral(&self, type_name: &str) -> &pb::schema::Block {
        self.response
            .ephemeral_resource_schemas
            .get(type_name)
            .and_then(|s| s.block.as_ref())
            .unwrap_or_else(|| panic!("no ephemeral resource schema for {type_name}"))
    }

    pub fn ephemeral_type(&self, type_name: &str) -> Type {
        type_of_block(self.ephemeral(type_name))
    }

    /// `ConfigureProvider` with `token` and `api_endpoint` (everything else unset), which
    /// must succeed.
    pub async fn configure(&self, client: &mut ProviderClient, endpoint: &str, token: &str) {
        let config = complete(
            self.provider(),
            object([("token", string(token)), ("api_endpoint", string(endpoint))]),
        );
        let configured = client
            .configure_provider(pb::configure_provider::Request {
                terraform_version: "1.12.0".to_string(),
                config: Some(encode(&config, &self.provider_type())),
                client_capabilities: None,
            })
            .await
            .expect("ConfigureProvider")
            .into_inner();
        assert_no_errors(&configured.diagnostics, "ConfigureProvider");
    }

    pub fn provider(&self) -> &pb::schema::Block {
        self.response
            .provider
            .as_ref()
            .and_then(|s| s.block.as_ref())
            .expect("a provider schema")
    }

    pub fn provider_type(&self) -> Type {
        type_of_block(self.provider())
    }
}

// ---------------------------------------------------------------------------------------------
// Diagnostics
// ---------------------------------------------------------------------------------------------

pub fn is_error(diagnostic: &pb::Diagnostic) -> bool {
    diagnostic.severity == pb::diagnostic::Severity::Error as i32
}

pub fn errors(diagnostics: &[pb::Diagnostic]) -> Vec<&pb::Diagnostic> {
    diagnostics.iter().filter(|d| is_error(d)).collect()
}

/// A diagnostic's attribute path as `a.b[0]["k"]`; empty for the whole object.
pub fn path_of(diagnostic: &pb::Diagnostic) -> String {
    diagnostic
        .attribute
        .as_ref()
        .map(path_string)
        .unwrap_or_default()
}

pub fn path_string(path: &pb::AttributePath) -> String {
    use pb::attribute_path::step::Selector;
    let mut out = String::new();
    for step in &path.steps {
        match &step.selector {
            Some(Selector::AttributeName(name)) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            Some(Selector::ElementKeyString(key)) => out.push_str(&format!("[{key:?}]")),
            Some(Selector::ElementKeyInt(index)) => out.push_str(&format!("[{index}]")),
            None => out.push_str("[?]"),
        }
    }
    out
}

/// A path of top-level attribute names, as `requires_replace` carries them.
pub fn attribute_path(names: &[&str]) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: names
            .iter()
            .map(|name| pb::attribute_path::Step {
                selector: Some(Selector::AttributeName(name.to_string())),
            })
            .collect(),
    }
}

/// Diagnostics for a failure message.
pub fn show(diagnostics: &[pb::Diagnostic]) -> String {
    if diagnostics.is_empty() {
        return "no diagnostics".to_string();
    }
    diagnostics
        .iter()
        .map(|d| {
            format!(
                "[{}] {} @ {:?}: {}",
                if is_error(d) { "error" } else { "warning" },
                d.summary,
                path_of(d),
                d.detail
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn assert_no_errors(diagnostics: &[pb::Diagnostic], what: &str) {
    assert!(
        errors(diagnostics).is_empty(),
        "{what} reported errors:\n{}",
        show(diagnostics)
    );
}

/// The single error diagnostic of an answer; panics naming what came instead.
pub fn only_error<'a>(diagnostics: &'a [pb::Diagnostic], what: &str) -> &'a pb::Diagnostic {
    let found = errors(diagnostics);
    assert_eq!(
        found.len(),
        1,
        "{what}: expected exactly one error, got:\n{}",
        show(diagnostics)
    );
    found[0]
}
