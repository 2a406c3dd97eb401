//! Serving a provider the way go-plugin expects: the magic-cookie check, protocol
//! negotiation, a Unix socket, auto-mTLS, the handshake line on stdout, go-plugin's own
//! controller/stdio/broker services and gRPC health, and a clean shutdown when Terraform asks.

use std::io::Write;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use anyhow::{bail, Context as _};
use futures::Stream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{UnixListener, UnixStream};
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Connected;
use tonic::{Request, Response, Status, Streaming};

use super::proto::{go_plugin, health, tfplugin6};
use super::server::ProviderService;
use super::service::ProviderHandler;
use super::tls;

/// go-plugin's handshake cookie for Terraform providers: Terraform sets it; a binary started
/// by hand does not, and says what it is instead of waiting for a client that never comes.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// go-plugin's own protocol version, the first field of the handshake line.
const CORE_PROTOCOL_VERSION: u32 = 1;
/// The plugin protocol this server speaks.
pub const PROTOCOL_VERSION: u32 = 6;

/// Why serving did not start, in words for a person who ran the binary.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "This binary is a plugin for Terraform and OpenTofu; it is not meant to be run \
         directly. Install it as a provider (see the README) and run terraform."
    )]
    NotStartedByTerraform,
    #[error(
        "Terraform offered plugin protocol versions {offered:?}, but this provider speaks \
         only version {PROTOCOL_VERSION}: use Terraform 1.0 or newer."
    )]
    NoCommonProtocol { offered: String },
}

/// Checks the environment Terraform sets when it starts a plugin.
pub fn check_environment() -> Result<(), ServeError> {
    if std::env::var(MAGIC_COOKIE_KEY).ok().as_deref() != Some(MAGIC_COOKIE_VALUE) {
        return Err(ServeError::NotStartedByTerraform);
    }
    // Terraform ≥ 0.15 lists the versions it can speak; older clients set nothing and accept
    // whatever the handshake says (and fail later, with their own message).
    if let Ok(offered) = std::env::var("PLUGIN_PROTOCOL_VERSIONS") {
        let wanted = PROTOCOL_VERSION.to_string();
        if !offered.split(',').any(|v| v.trim() == wanted) {
            return Err(ServeError::NoCommonProtocol { offered });
        }
    }
    Ok(())
}

/// One accepted connection, with or without TLS.
enum Connection {
    Plain(UnixStream),
    Tls(Box<tokio_rustls::server::TlsStream<UnixStream>>),
}

impl Connected for Connection {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(stream) => Pin::new(stream).poll_read(cx, buf),
            Connection::Tls(stream) => Pin::new(stream.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Connection::Plain(stream) => Pin::new(stream).poll_write(cx, buf),
            Connection::Tls(stream) => Pin::new(stream.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(stream) => Pin::new(stream).poll_flush(cx),
            Connection::Tls(stream) => Pin::new(stream.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(stream) => Pin::new(stream).poll_shutdown(cx),
            Connection::Tls(stream) => Pin::new(stream.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Removes the socket file however serving ends.
struct SocketFile(PathBuf);

impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Accepts connections and completes TLS handshakes off the accept loop, so one slow or
/// failed handshake never holds up the next client.
fn incoming(
    listener: UnixListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: CancellationToken,
) -> impl Stream<Item = Result<Connection, std::io::Error>> {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Connection, std::io::Error>>(8);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                _ = shutdown.cancelled() => break,
                accepted = listener.accept() => accepted,
            };
            let stream = match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!(%error, "accepting a plugin connection failed");
                    continue;
                }
            };
            let sender = sender.clone();
            match tls.clone() {
                None => {
                    let _ = sender.send(Ok(Connection::Plain(stream))).await;
                }
                Some(acceptor) => {
                    tokio::spawn(async move {
                        match acceptor.accept(stream).await {
                            Ok(stream) => {
                                let _ = sender.send(Ok(Connection::Tls(Box::new(stream)))).await;
                            }
                            Err(error) => {
                                tracing::warn!(%error, "a client failed the plugin's mutual TLS check");
                            }
                        }
                    });
                }
            }
        }
    });
    futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    })
}

/// Where and how to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The directory for the Unix socket.
    pub socket_dir: PathBuf,
    /// Terraform's client certificate (PEM): when set, only that client gets in (auto-mTLS).
    pub client_cert_pem: Option<String>,
    /// Cancelled to stop serving (go-plugin's Shutdown RPC and SIGTERM cancel it too).
    pub shutdown: CancellationToken,
}

impl ServeOptions {
    /// The options go-plugin's environment asks for.
    pub fn from_env() -> Self {
        Self {
            socket_dir: std::env::var_os("PLUGIN_UNIX_SOCKET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(std::env::temp_dir),
            client_cert_pem: std::env::var("PLUGIN_CLIENT_CERT")
                .ok()
                .filter(|pem| !pem.trim().is_empty()),
            shutdown: CancellationToken::new(),
        }
    }
}

/// The auto-mTLS server side: the acceptor and the certificate for the handshake line.
struct ServerTls {
    acceptor: tokio_rustls::TlsAcceptor,
    cert_base64: String,
}

fn server_tls(client_cert_pem: &str) -> anyhow::Result<ServerTls> {
    let identity =
        tls::generate_server_identity().context("generating the plugin's TLS certificate")?;
    let config = tls::server_config(&identity, client_cert_pem)
        .context("setting up mutual TLS with Terraform")?;
    Ok(ServerTls {
        acceptor: tokio_rustls::TlsAcceptor::from(config),
        cert_base64: identity.cert_base64(),
    })
}

/// Serves `handler` as Terraform expects: the handshake line on stdout, then gRPC until
/// Terraform shuts the plugin down (or the process gets SIGTERM).
pub async fn serve(handler: Arc<dyn ProviderHandler>) -> anyhow::Result<()> {
    let options = ServeOptions::from_env();
    let stop_on_signal = options.shutdown.clone();
    tokio::spawn(async move {
        if let Ok(mut terminate) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            terminate.recv().await;
            stop_on_signal.cancel();
        }
    });
    serve_with(handler, options, |line| {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{line}")?;
        stdout.flush()
    })
    .await
}

/// Serves `handler` with explicit options; `announce` receives the handshake line once the
/// socket accepts connections.
pub async fn serve_with(
    handler: Arc<dyn ProviderHandler>,
    options: ServeOptions,
    announce: impl FnOnce(&str) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let shutdown = options.shutdown.clone();
    let provider = Arc::new(ProviderService::new(handler));
    let tls = match &options.client_cert_pem {
        Some(client_cert_pem) => Some(server_tls(client_cert_pem)?),
        None => None,
    };

    let unique = unique_suffix()?;
    let path = options
        .socket_dir
        .join(format!("plugin-dbaas-{}-{unique:016x}", std::process::id()));
    let listener = UnixListener::bind(&path)
        .with_context(|| format!("listening on the Unix socket {}", path.display()))?;
    let _socket = SocketFile(path.clone());

    let certificate = tls.as_ref().map(|t| t.cert_base64.as_str()).unwrap_or("");
    announce(&format!(
        "{CORE_PROTOCOL_VERSION}|{PROTOCOL_VERSION}|unix|{}|grpc|{certificate}",
        path.display()
    ))?;

    // Terraform connects now; the schemas are built meanwhile instead of before the
    // handshake (the first request would build them otherwise).
    let warm = provider.clone();
    tokio::spawn(async move { warm.warm() });

    let go_plugin = GoPluginServices {
        shutdown: shutdown.clone(),
    };
    let connections = incoming(listener, tls.map(|t| t.acceptor), shutdown.clone());
    let result = tonic::transport::Server::builder()
        .add_service(tfplugin6::provider_server::ProviderServer::from_arc(
            provider,
        ))
        .add_service(
            go_plugin::grpc_controller_server::GrpcControllerServer::new(go_plugin.clone()),
        )
        .add_service(go_plugin::grpc_stdio_server::GrpcStdioServer::new(
            go_plugin.clone(),
        ))
        .add_service(go_plugin::grpc_broker_server::GrpcBrokerServer::new(
            go_plugin.clone(),
        ))
        .add_service(health::health_server::HealthServer::new(go_plugin))
        .serve_with_incoming_shutdown(connections, shutdown.cancelled_owned())
        .await;
    if let Err(error) = result {
        bail!("the plugin's gRPC server failed: {error}");
    }
    Ok(())
}

/// A random suffix for the socket's name, from the system's generator.
fn unique_suffix() -> anyhow::Result<u64> {
    let bytes: [u8; 8] = ring::rand::generate(&ring::rand::SystemRandom::new())
        .map_err(|_| anyhow::anyhow!("the system's random number generator failed"))?
        .expose();
    Ok(u64::from_le_bytes(bytes))
}

/// go-plugin's housekeeping services and gRPC health.
#[derive(Clone)]
struct GoPluginServices {
    shutdown: CancellationToken,
}

type Boxed<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// A stream that yields nothing and ends when the plugin shuts down, so that open streams
/// never hold a graceful shutdown back.
fn until_shutdown<T: Send + 'static>(shutdown: CancellationToken) -> Boxed<T> {
    Box::pin(
        futures::stream::once(async move {
            shutdown.cancelled_owned().await;
            None
        })
        .filter_map(|item: Option<Result<T, Status>>| async move { item }),
    )
}

use futures::StreamExt as _;

#[tonic::async_trait]
impl go_plugin::grpc_controller_server::GrpcController for GoPluginServices {
    async fn shutdown(
        &self,
        _request: Request<go_plugin::Empty>,
    ) -> Result<Response<go_plugin::Empty>, Status> {
        tracing::debug!("Terraform asked the plugin to shut down");
        self.shutdown.cancel();
        Ok(Response::new(go_plugin::Empty {}))
    }
}

#[tonic::async_trait]
impl go_plugin::grpc_stdio_server::GrpcStdio for GoPluginServices {
    type StreamStdioStream = Boxed<go_plugin::StdioData>;

    /// Our stdout and stderr go straight to Terraform through the process's pipes, so there is
    /// nothing to forward here; the stream stays open until shutdown as go-plugin expects.
    async fn stream_stdio(
        &self,
        _request: Request<()>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        Ok(Response::new(until_shutdown(self.shutdown.clone())))
    }
}

#[tonic::async_trait]
impl go_plugin::grpc_broker_server::GrpcBroker for GoPluginServices {
    type StartStreamStream = Boxed<go_plugin::ConnInfo>;

    /// This provider opens no extra connections through the broker; it accepts the stream and
    /// drains what the client sends until shutdown.
    async fn start_stream(
        &self,
        request: Request<Streaming<go_plugin::ConnInfo>>,
    ) -> Result<Response<Self::StartStreamStream>, Status> {
        let mut inbound = request.into_inner();
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    message = inbound.next() => if !matches!(message, Some(Ok(_))) { break },
                }
            }
        });
        Ok(Response::new(until_shutdown(self.shutdown.clone())))
    }
}

#[tonic::async_trait]
impl health::health_server::Health for GoPluginServices {
    type WatchStream = Boxed<health::HealthCheckResponse>;

    async fn check(
        &self,
        _request: Request<health::HealthCheckRequest>,
    ) -> Result<Response<health::HealthCheckResponse>, Status> {
        Ok(Response::new(health::HealthCheckResponse {
            status: health::health_check_response::ServingStatus::Serving as i32,
        }))
    }

    async fn watch(
        &self,
        _request: Request<health::HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let first = health::HealthCheckResponse {
            status: health::health_check_response::ServingStatus::Serving as i32,
        };
        let rest = until_shutdown(self.shutdown.clone());
        Ok(Response::new(Box::pin(
            futures::stream::once(async move { Ok(first) }).chain(rest),
        )))
    }
}
