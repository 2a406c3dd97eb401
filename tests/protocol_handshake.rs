//! go-plugin's side of the protocol against the built binary: the handshake line, auto-mTLS
//! (only the certificate Terraform named gets in), the environment checks a binary started by
//! hand fails, the controller's Shutdown and gRPC health.

mod protocol_support;

use std::os::unix::fs::FileTypeExt;
use std::time::Duration;

use protocol_support::{
    client_config, go_plugin, health, pb, run_to_exit, ClientIdentity, ClientTls, Options, Plugin,
    ProviderClient, MAGIC_COOKIE_VALUE,
};
use rustls::pki_types::ServerName;

async fn metadata(
    channel: tonic::transport::Channel,
) -> Result<pb::get_metadata::Response, tonic::Status> {
    let mut client = ProviderClient::new(channel);
    client
        .get_metadata(pb::get_metadata::Request {})
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn the_handshake_line_has_go_plugins_six_fields() {
    let plugin = Plugin::start(Options::default());
    let handshake = &plugin.handshake;
    assert_eq!(handshake.core_version, "1", "line: {:?}", handshake.raw);
    assert_eq!(handshake.protocol_version, "6", "line: {:?}", handshake.raw);
    assert_eq!(handshake.network, "unix", "line: {:?}", handshake.raw);
    assert_eq!(handshake.protocol, "grpc", "line: {:?}", handshake.raw);
    // Without PLUGIN_CLIENT_CERT there is no TLS, and so no certificate.
    assert_eq!(handshake.cert_base64, "", "line: {:?}", handshake.raw);
    assert!(
        handshake.address.is_absolute(),
        "the socket path must be absolute: {:?}",
        handshake.raw
    );
    assert_eq!(
        handshake.address.parent(),
        Some(plugin.socket_dir()),
        "the socket must be in PLUGIN_UNIX_SOCKET_DIR"
    );
    let kind = std::fs::metadata(&handshake.address)
        .expect("the announced socket exists")
        .file_type();
    assert!(kind.is_socket(), "{:?} is not a socket", handshake.address);

    // And it serves plaintext gRPC there.
    let channel = plugin
        .try_connect(ClientTls::Plaintext)
        .await
        .expect("plaintext connection");
    metadata(channel).await.expect("GetMetadata over plaintext");
}

#[tokio::test]
async fn with_a_client_certificate_the_handshake_carries_a_server_certificate_for_localhost() {
    let identity = ClientIdentity::generate();
    let plugin = Plugin::start(Options::mtls(identity.clone()));
    let handshake = &plugin.handshake;
    assert!(
        !handshake.cert_base64.is_empty(),
        "auto-mTLS needs the server certificate on the handshake line: {:?}",
        handshake.raw
    );
    assert!(
        !handshake.cert_base64.contains('='),
        "go-plugin decodes the certificate with RawStdEncoding (no padding): {:?}",
        handshake.cert_base64
    );
    let der = handshake.server_cert_der().expect("a certificate");
    assert_eq!(der.first(), Some(&0x30), "DER starts with a SEQUENCE");

    // A TLS handshake that verifies the server's certificate as go-plugin does: that one
    // certificate as the only root, server name "localhost".
    let handshake_for = |name: &'static str| {
        let config = client_config(&der, Some(&identity));
        let address = handshake.address.clone();
        async move {
            let stream = tokio::net::UnixStream::connect(&address).await?;
            tokio_rustls::TlsConnector::from(config)
                .connect(ServerName::try_from(name).unwrap(), stream)
                .await
        }
    };
    let tls = handshake_for("localhost")
        .await
        .expect("the server certificate verifies for localhost");
    let (_, session) = tls.get_ref();
    assert_eq!(
        session.alpn_protocol(),
        Some(&b"h2"[..]),
        "the server must negotiate ALPN h2 (grpc-go refuses a connection without it)"
    );
    drop(tls);
    // The same certificate must not pass for another name, or the check above proves nothing.
    assert!(
        handshake_for("example.com").await.is_err(),
        "the server certificate must not verify for example.com"
    );

    // And gRPC works over that TLS.
    let response = metadata(plugin.channel().await)
        .await
        .expect("GetMetadata over mutual TLS");
    assert!(
        response
            .resources
            .iter()
            .any(|r| r.type_name == "dbaas_database_cluster"),
        "GetMetadata over TLS answered: {response:?}"
    );
}

/// Whether a connection made with `tls` gets any RPC answered.
async fn answered(plugin: &Plugin, tls: ClientTls) -> Result<(), String> {
    let attempt = async {
        let channel = plugin
            .try_connect(tls)
            .await
            .map_err(|e| format!("connect: {e:?}"))?;
        metadata(channel)
            .await
            .map(|_| ())
            .map_err(|e| format!("GetMetadata: {e}"))
    };
    match tokio::time::timeout(Duration::from_secs(15), attempt).await {
        Ok(result) => result,
        Err(_) => panic!("the server neither answered nor refused within 15s"),
    }
}

#[tokio::test]
async fn only_the_pinned_client_certificate_gets_in() {
    let pinned = ClientIdentity::generate();
    let plugin = Plugin::start(Options::mtls(pinned.clone()));

    // The control: the pinned identity is served.
    answered(&plugin, ClientTls::Present(Some(pinned)))
        .await
        .expect("the client named in PLUGIN_CLIENT_CERT must be served");

    let stranger = ClientIdentity::generate();
    assert!(
        answered(&plugin, ClientTls::Present(Some(stranger)))
            .await
            .is_err(),
        "a client presenting another certificate must be refused"
    );
    assert!(
        answered(&plugin, ClientTls::Present(None)).await.is_err(),
        "a TLS client presenting no certificate must be refused"
    );
    assert!(
        answered(&plugin, ClientTls::Plaintext).await.is_err(),
        "a plaintext client must be refused when auto-mTLS is on"
    );

    // Refused clients must not take the server down for the real one.
    let channel = plugin.channel().await;
    metadata(channel)
        .await
        .expect("the pinned client is still served after refused attempts");
}

const PLUGIN_MESSAGE: &str = "This binary is a plugin for Terraform";

fn assert_no_backtrace(stderr: &str) {
    for text in ["stack backtrace", "panicked", "RUST_BACKTRACE"] {
        assert!(
            !stderr.contains(text),
            "stderr must not show a panic or backtrace ({text:?}):\n{stderr}"
        );
    }
}

#[test]
fn run_by_hand_it_says_it_is_a_plugin_and_exits_non_zero() {
    let finished = run_to_exit(
        Options {
            cookie: None,
            ..Options::default()
        }
        .env("RUST_BACKTRACE", "1"),
        Duration::from_secs(20),
    );
    assert!(
        !finished.status.success(),
        "without the magic cookie the binary must fail; it exited {:?}",
        finished.status
    );
    assert!(
        finished.stderr.contains(PLUGIN_MESSAGE) && finished.stderr.contains("terraform"),
        "stderr must say the binary is a Terraform plugin:\n{}",
        finished.stderr
    );
    assert_no_backtrace(&finished.stderr);
    assert!(
        finished.stdout.is_empty(),
        "no handshake line may be printed when refusing to serve: {:?}",
        finished.stdout
    );
}

#[test]
fn a_wrong_magic_cookie_is_refused_like_a_missing_one() {
    let finished = run_to_exit(
        Options {
            cookie: Some(MAGIC_COOKIE_VALUE.to_uppercase()),
            ..Options::default()
        }
        .env("RUST_BACKTRACE", "full"),
        Duration::from_secs(20),
    );
    assert!(!finished.status.success(), "exited {:?}", finished.status);
    assert!(
        finished.stderr.contains(PLUGIN_MESSAGE),
        "stderr:\n{}",
        finished.stderr
    );
    assert_no_backtrace(&finished.stderr);
}

#[test]
fn protocol_version_5_alone_is_refused_with_a_clear_message() {
    let finished = run_to_exit(
        Options {
            protocol_versions: Some("5".to_string()),
            ..Options::default()
        }
        .env("RUST_BACKTRACE", "1"),
        Duration::from_secs(20),
    );
    assert!(
        !finished.status.success(),
        "a client that speaks only protocol 5 must be refused; exited {:?}",
        finished.status
    );
    let stderr = &finished.stderr;
    assert!(
        stderr.contains("5") && stderr.contains("version 6"),
        "the message must name the offered version and the one spoken:\n{stderr}"
    );
    assert!(
        stderr.contains("Terraform 1.0"),
        "the message should say which Terraform to use:\n{stderr}"
    );
    assert_no_backtrace(stderr);
    assert!(finished.stdout.is_empty(), "stdout: {:?}", finished.stdout);
}

#[tokio::test]
async fn a_client_offering_5_and_6_is_served_with_6() {
    // The control for the refusal above: the check is about the list, not the variable.
    let plugin = Plugin::start(Options {
        protocol_versions: Some("5,6".to_string()),
        ..Options::default()
    });
    assert_eq!(plugin.handshake.protocol_version, "6");
}

#[tokio::test]
async fn controller_shutdown_ends_the_process_cleanly_and_removes_the_socket() {
    let identity = ClientIdentity::generate();
    let mut plugin = Plugin::start(Options::mtls(identity));
    let socket = plugin.handshake.address.clone();
    assert!(socket.exists());

    // go-plugin keeps a stdio stream open for the plugin's whole life; it must not hold the
    // shutdown back.
    let mut stdio = plugin.stdio().await;
    let mut stream = stdio
        .stream_stdio(())
        .await
        .expect("StreamStdio")
        .into_inner();

    let mut controller = plugin.controller().await;
    let started = std::time::Instant::now();
    controller
        .shutdown(go_plugin::Empty {})
        .await
        .expect("GRPCController.Shutdown answers");

    let status = plugin.wait_exit(Duration::from_secs(5)).await;
    let status = status.unwrap_or_else(|| {
        panic!(
            "the plugin was still running 5s after Shutdown; stderr:\n{}",
            plugin.stderr()
        )
    });
    assert!(
        status.success(),
        "Shutdown must end the process with status 0, got {status:?}; stderr:\n{}",
        plugin.stderr()
    );
    assert!(
        !socket.exists(),
        "the socket file {socket:?} must be removed on shutdown"
    );
    // The stdio stream ended with the server (rather than hanging).
    let next = tokio::time::timeout(Duration::from_secs(5), stream.message()).await;
    assert!(next.is_ok(), "the stdio stream did not end after shutdown");
    eprintln!("shutdown took {:?}", started.elapsed());
}

#[tokio::test]
async fn grpc_health_reports_serving() {
    let identity = ClientIdentity::generate();
    let plugin = Plugin::start(Options::mtls(identity));
    let mut health_client = plugin.health().await;
    // go-plugin asks about the service named "plugin".
    for service in ["plugin", ""] {
        let response = health_client
            .check(health::HealthCheckRequest {
                service: service.to_string(),
            })
            .await
            .unwrap_or_else(|e| panic!("health Check({service:?}): {e}"))
            .into_inner();
        assert_eq!(
            response.status,
            health::health_check_response::ServingStatus::Serving as i32,
            "health Check({service:?}) answered {response:?}"
        );
    }
}

#[tokio::test]
async fn the_server_identity_is_fresh_for_every_process() {
    // A fixed certificate would let any process that saw one handshake impersonate the next.
    let identity = ClientIdentity::generate();
    let first = Plugin::start(Options::mtls(identity.clone()));
    let second = Plugin::start(Options::mtls(identity));
    assert_ne!(first.handshake.cert_base64, second.handshake.cert_base64);
    assert_ne!(first.handshake.address, second.handshake.address);
}

#[tokio::test]
async fn sigterm_ends_the_process_cleanly_and_removes_the_socket() {
    let mut plugin = Plugin::start(Options::default());
    let socket = plugin.handshake.address.clone();
    // Serving first, so the signal handler is certainly installed.
    metadata(plugin.channel().await).await.expect("GetMetadata");
    plugin.signal(libc::SIGTERM);
    let status = plugin
        .wait_exit(Duration::from_secs(5))
        .await
        .unwrap_or_else(|| {
            panic!(
                "still running 5s after SIGTERM; stderr:\n{}",
                plugin.stderr()
            )
        });
    assert!(
        status.success(),
        "SIGTERM must end serving cleanly, got {status:?}; stderr:\n{}",
        plugin.stderr()
    );
    assert!(
        !socket.exists(),
        "the socket file {socket:?} is left behind"
    );
}

#[tokio::test]
async fn sigint_does_not_kill_the_plugin() {
    // Ctrl-C reaches the whole process group; Terraform handles it and sends StopProvider.
    // A plugin that died here would lose track of objects being created.
    let mut plugin = Plugin::start(Options::default());
    let channel = plugin.channel().await;
    metadata(channel.clone()).await.expect("GetMetadata");
    plugin.signal(libc::SIGINT);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        plugin.is_running(),
        "SIGINT ended the plugin; stderr:\n{}",
        plugin.stderr()
    );
    metadata(channel)
        .await
        .expect("the plugin still answers after SIGINT");
}

#[tokio::test]
async fn logs_never_reach_stdout_even_at_trace_level() {
    // go-plugin reads stdout for the handshake; anything else there breaks the client.
    let plugin = Plugin::start(Options::default().env("TF_LOG", "trace"));
    assert_eq!(plugin.handshake.core_version, "1");
    let mut client = ProviderClient::new(plugin.channel().await);
    client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema");
    client
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "dbaas_nope".to_string(),
            ..Default::default()
        })
        .await
        .expect("ValidateResourceConfig");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        plugin.stdout_after_handshake(),
        "",
        "the plugin wrote to stdout after its handshake"
    );
}
