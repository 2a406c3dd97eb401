//! Auto-mTLS for the go-plugin handshake.
//!
//! Terraform (a go-plugin client) hands the plugin its client certificate in
//! `PLUGIN_CLIENT_CERT`, and expects the plugin to answer with a certificate of
//! its own (base64 DER on the handshake line) that it then trusts as the only
//! root for server name `localhost`. This module makes that certificate and
//! the rustls server configuration that admits exactly the certificate Terraform
//! sent.
//!
//! Two constraints shape it:
//!
//! * Terraform's certificate is self-signed with `IsCA: true` and an ECDSA
//!   P-521 key. webpki refuses a CA certificate as an end entity, and ring has
//!   no P-521 verifier. The client certificate is therefore pinned by its bytes
//!   (the trust decision is "is it the one from the environment", not a chain),
//!   and P-521 handshake signatures are checked with the `p521` crate.
//! * The server certificate is built here with ring and a small DER writer
//!   instead of rcgen, to keep the binary small.
//!
//! The server certificate differs from go-plugin's own in one deliberate way: it
//! is *not* marked as a CA. Go's `x509.Certificate.Verify` accepts a leaf that
//! is itself in the root pool without looking at its CA bit, key usage or
//! signature (its `opts.Roots.contains(c)` shortcut), so Go is indifferent,
//! whereas webpki (rustls, and anything else that walks the chain properly)
//! rejects a CA certificate presented as the end entity. A non-CA self-signed
//! leaf satisfies both; keyCertSign is dropped with the CA bit, as RFC 5280
//! requires.
//!
//! Only TLS 1.3 is enabled: every Go release that Terraform is built with offers
//! it, and in TLS 1.3 the signature scheme names the curve, so a P-521 key can
//! only ever sign with `ecdsa_secp521r1_sha512`.
//!
//! The parts: a small DER writer and reader (`der`), the server certificate built with it
//! (`certificate`), and the verifier that pins Terraform's certificate and checks its P-521
//! signatures (`verifier`). This module ties them into [`server_config`].

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;

mod certificate;
mod der;
#[cfg(test)]
mod test_support;
mod verifier;

pub use certificate::generate_server_identity;
pub use der::DerError;

use verifier::PinnedClientCert;

/// Everything that can go wrong while making the server's identity or its TLS
/// configuration.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("PLUGIN_CLIENT_CERT is not a PEM certificate (no BEGIN/END CERTIFICATE block)")]
    ClientCertNotPem,
    #[error("PLUGIN_CLIENT_CERT is not a PEM certificate: the body is not valid base64: {0}")]
    ClientCertBase64(#[source] base64::DecodeError),
    #[error("PLUGIN_CLIENT_CERT is not a DER X.509 certificate: {0}")]
    ClientCertDer(#[source] DerError),
    #[error("PLUGIN_CLIENT_CERT holds a P-521 public key that is not a valid curve point")]
    ClientCertKey,
    #[error("the client certificate is not the one given in PLUGIN_CLIENT_CERT")]
    ClientCertMismatch,
    #[error("generating the plugin's ECDSA P-256 server key failed")]
    KeyGeneration,
    #[error("signing the plugin's server certificate failed")]
    Signing,
    #[error("the system clock is outside the range a certificate can express")]
    Clock,
    #[error("building the plugin's TLS server configuration failed: {0}")]
    Config(#[from] rustls::Error),
}

/// The plugin's own certificate and key for one process lifetime.
#[derive(Clone)]
pub struct ServerIdentity {
    /// DER of the self-signed server certificate.
    pub cert_der: Vec<u8>,
    key_pkcs8: Vec<u8>,
}

impl ServerIdentity {
    /// The certificate as go-plugin's handshake line carries it: standard
    /// base64 without padding (the client decodes with `RawStdEncoding`).
    pub fn cert_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(&self.cert_der)
    }

    /// The private key (PKCS#8 DER). The provider never lets it leave the process; protocol
    /// tests use an identity of their own as the client certificate Terraform would present.
    pub fn key_pkcs8_der(&self) -> &[u8] {
        &self.key_pkcs8
    }
}

impl fmt::Debug for ServerIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keeps the private key out of logs and panic messages.
        f.debug_struct("ServerIdentity")
            .field("cert_der", &format_args!("{} bytes", self.cert_der.len()))
            .finish_non_exhaustive()
    }
}

/// The TLS 1.3 server configuration: presents `identity`, speaks ALPN `h2`
/// (grpc-go refuses a connection without it) and requires the client to
/// present exactly the certificate in `client_cert_pem`.
pub fn server_config(
    identity: &ServerIdentity,
    client_cert_pem: &str,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = PinnedClientCert::new(
        pem_certificate(client_cert_pem)?,
        provider.signature_verification_algorithms,
    )?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(
            vec![CertificateDer::from(identity.cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.key_pkcs8.clone())),
        )?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    // go-plugin's client keeps no session cache, so tickets would never be used.
    config.send_tls13_tickets = 0;
    Ok(Arc::new(config))
}

/// Decodes the first `CERTIFICATE` block of a PEM document.
fn pem_certificate(pem: &str) -> Result<Vec<u8>, TlsError> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let start = pem.find(BEGIN).ok_or(TlsError::ClientCertNotPem)? + BEGIN.len();
    let len = pem[start..].find(END).ok_or(TlsError::ClientCertNotPem)?;
    let body: String = pem[start..start + len]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    if body.is_empty() {
        return Err(TlsError::ClientCertNotPem);
    }
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(TlsError::ClientCertBase64)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use p521::ecdsa::signature::RandomizedSigner as _;
    use rand::rngs::OsRng;
    use rustls::client::ResolvesClientCert;
    use rustls::pki_types::ServerName;
    use rustls::sign::CertifiedKey;
    use rustls::{
        CertificateError, ClientConfig, OtherError, RootCertStore, SignatureAlgorithm,
        SignatureScheme,
    };
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::der::subject_public_key_info;
    use super::test_support::{go_client, pem, ring_provider};
    use super::*;

    /// A rustls signing key for P-521; `claimed` is the scheme it announces,
    /// which a well-behaved key keeps at `ECDSA_NISTP521_SHA512`.
    #[derive(Clone)]
    struct P521Key {
        key: Arc<p521::ecdsa::SigningKey>,
        claimed: SignatureScheme,
    }

    impl fmt::Debug for P521Key {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("P521Key")
        }
    }

    impl rustls::sign::SigningKey for P521Key {
        fn choose_scheme(
            &self,
            offered: &[SignatureScheme],
        ) -> Option<Box<dyn rustls::sign::Signer>> {
            offered
                .contains(&SignatureScheme::ECDSA_NISTP521_SHA512)
                .then(|| Box::new(self.clone()) as Box<dyn rustls::sign::Signer>)
        }

        fn algorithm(&self) -> SignatureAlgorithm {
            SignatureAlgorithm::ECDSA
        }
    }

    impl rustls::sign::Signer for P521Key {
        fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
            let sig: p521::ecdsa::Signature = self
                .key
                .try_sign_with_rng(&mut OsRng, message)
                .map_err(|e| rustls::Error::General(e.to_string()))?;
            Ok(sig.to_der().as_bytes().to_vec())
        }

        fn scheme(&self) -> SignatureScheme {
            self.claimed
        }
    }

    #[derive(Debug)]
    struct Always(Arc<CertifiedKey>);

    impl ResolvesClientCert for Always {
        fn resolve(&self, _: &[&[u8]], _: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
            Some(self.0.clone())
        }

        fn has_certs(&self) -> bool {
            true
        }
    }

    fn p521_certified(cert_der: &[u8], key: &Arc<p521::ecdsa::SigningKey>) -> Arc<CertifiedKey> {
        Arc::new(CertifiedKey::new(
            vec![CertificateDer::from(cert_der.to_vec())],
            Arc::new(P521Key {
                key: key.clone(),
                claimed: SignatureScheme::ECDSA_NISTP521_SHA512,
            }),
        ))
    }

    enum ClientAuth {
        None,
        Resolver(Arc<CertifiedKey>),
        Ring(Vec<u8>, Vec<u8>),
    }

    fn client_config(server_cert: &[u8], auth: ClientAuth) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from(server_cert.to_vec()))
            .unwrap();
        let builder = ClientConfig::builder_with_provider(ring_provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_root_certificates(roots);
        let mut config = match auth {
            ClientAuth::None => builder.with_no_client_auth(),
            ClientAuth::Resolver(key) => builder.with_client_cert_resolver(Arc::new(Always(key))),
            ClientAuth::Ring(cert, key) => builder
                .with_client_auth_cert(
                    vec![CertificateDer::from(cert)],
                    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
                )
                .unwrap(),
        };
        config.alpn_protocols = vec![b"h2".to_vec()];
        Arc::new(config)
    }

    fn rustls_error(err: &std::io::Error) -> Option<&rustls::Error> {
        err.get_ref()?.downcast_ref::<rustls::Error>()
    }

    /// Runs one handshake and a ping/pong. Returns the server's error, if any,
    /// and whether the client got its pong.
    async fn handshake(
        server: Arc<ServerConfig>,
        client: Arc<ClientConfig>,
        expected_client_cert: &[u8],
    ) -> (Result<(), std::io::Error>, bool) {
        let (client_io, server_io) = tokio::io::duplex(64 * 1024);
        let server_side = async move {
            let mut tls = tokio_rustls::TlsAcceptor::from(server)
                .accept(server_io)
                .await?;
            let (_, conn) = tls.get_ref();
            assert_eq!(conn.alpn_protocol(), Some(&b"h2"[..]));
            let peer = conn.peer_certificates().expect("client certificate");
            assert_eq!(peer.len(), 1);
            assert_eq!(peer[0].as_ref(), expected_client_cert);
            let mut buf = [0u8; 4];
            tls.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"ping");
            tls.write_all(b"pong").await?;
            tls.shutdown().await?;
            Ok::<(), std::io::Error>(())
        };
        let client_side = async move {
            let name = ServerName::try_from("localhost").unwrap();
            let Ok(mut tls) = tokio_rustls::TlsConnector::from(client)
                .connect(name, client_io)
                .await
            else {
                return false;
            };
            assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
            // In TLS 1.3 the client finishes its side before the server has
            // judged its certificate, so success only shows in the reply.
            if tls.write_all(b"ping").await.is_err() {
                return false;
            }
            let mut buf = [0u8; 4];
            tls.read_exact(&mut buf).await.is_ok() && &buf == b"pong"
        };
        tokio::time::timeout(Duration::from_secs(30), async {
            tokio::join!(server_side, client_side)
        })
        .await
        .expect("handshake hung")
    }

    #[tokio::test]
    async fn p521_client_with_the_pinned_cert_completes_the_handshake() {
        let start = Instant::now();
        let identity = generate_server_identity().unwrap();
        let go = go_client();
        let server = server_config(&identity, &pem(&go.cert_der)).unwrap();
        // Includes the test-only P-521 key and certificate generation above.
        println!(
            "identity + server_config (with client cert gen): {:?}",
            start.elapsed()
        );

        let client = client_config(
            &identity.cert_der,
            ClientAuth::Resolver(p521_certified(&go.cert_der, &go.key)),
        );
        let (server_result, pong) = handshake(server, client, &go.cert_der).await;
        server_result.expect("server side succeeds");
        assert!(pong, "client got its reply");
    }

    #[tokio::test]
    async fn a_different_p521_cert_is_rejected() {
        let identity = generate_server_identity().unwrap();
        let pinned = go_client();
        let intruder = go_client();
        let server = server_config(&identity, &pem(&pinned.cert_der)).unwrap();
        let client = client_config(
            &identity.cert_der,
            ClientAuth::Resolver(p521_certified(&intruder.cert_der, &intruder.key)),
        );
        let (server_result, pong) = handshake(server, client, &pinned.cert_der).await;
        let err = server_result.expect_err("server must reject");
        let Some(rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(inner)))) =
            rustls_error(&err)
        else {
            panic!("{err:?}");
        };
        assert!(
            matches!(
                inner.downcast_ref::<TlsError>(),
                Some(TlsError::ClientCertMismatch)
            ),
            "{err:?}"
        );
        assert!(!pong);
    }

    #[tokio::test]
    async fn a_client_without_a_cert_is_rejected() {
        let identity = generate_server_identity().unwrap();
        let pinned = go_client();
        let server = server_config(&identity, &pem(&pinned.cert_der)).unwrap();
        let client = client_config(&identity.cert_der, ClientAuth::None);
        let (server_result, pong) = handshake(server, client, &pinned.cert_der).await;
        let err = server_result.expect_err("server must reject");
        assert!(
            matches!(
                rustls_error(&err),
                Some(rustls::Error::NoCertificatesPresented)
            ),
            "{err:?}"
        );
        assert!(!pong);
    }

    #[tokio::test]
    async fn the_pinned_cert_with_a_signature_from_another_key_is_rejected() {
        let identity = generate_server_identity().unwrap();
        let pinned = go_client();
        let wrong_key = Arc::new(p521::ecdsa::SigningKey::random(&mut OsRng));
        let server = server_config(&identity, &pem(&pinned.cert_der)).unwrap();
        let client = client_config(
            &identity.cert_der,
            ClientAuth::Resolver(p521_certified(&pinned.cert_der, &wrong_key)),
        );
        let (server_result, pong) = handshake(server, client, &pinned.cert_der).await;
        let err = server_result.expect_err("server must reject");
        assert!(
            matches!(
                rustls_error(&err),
                Some(rustls::Error::InvalidCertificate(
                    CertificateError::BadSignature
                ))
            ),
            "{err:?}"
        );
        assert!(!pong);
    }

    #[tokio::test]
    async fn a_pinned_p256_client_goes_through_ring() {
        // Another plugin identity makes a handy P-256 client certificate (it
        // carries clientAuth too).
        let identity = generate_server_identity().unwrap();
        let client_identity = generate_server_identity().unwrap();
        let server = server_config(&identity, &pem(&client_identity.cert_der)).unwrap();
        let client = client_config(
            &identity.cert_der,
            ClientAuth::Ring(
                client_identity.cert_der.clone(),
                client_identity.key_pkcs8.clone(),
            ),
        );
        let (server_result, pong) = handshake(server, client, &client_identity.cert_der).await;
        server_result.expect("server side succeeds");
        assert!(pong);
    }

    #[tokio::test]
    async fn a_p521_key_claiming_a_p256_scheme_is_rejected() {
        let identity = generate_server_identity().unwrap();
        let pinned = go_client();
        let server = server_config(&identity, &pem(&pinned.cert_der)).unwrap();
        let liar = Arc::new(CertifiedKey::new(
            vec![CertificateDer::from(pinned.cert_der.clone())],
            Arc::new(P521Key {
                key: pinned.key.clone(),
                claimed: SignatureScheme::ECDSA_NISTP256_SHA256,
            }),
        ));
        let client = client_config(&identity.cert_der, ClientAuth::Resolver(liar));
        let (server_result, pong) = handshake(server, client, &pinned.cert_der).await;
        server_result.expect_err("server must reject");
        assert!(!pong);
    }

    #[test]
    fn pem_decoding() {
        let go = go_client();
        assert_eq!(pem_certificate(&pem(&go.cert_der)).unwrap(), go.cert_der);
        let crlf = pem(&go.cert_der).replace('\n', "\r\n");
        assert_eq!(
            pem_certificate(&format!("  \n{crlf}  ")).unwrap(),
            go.cert_der
        );

        assert!(matches!(
            pem_certificate(""),
            Err(TlsError::ClientCertNotPem)
        ));
        assert!(matches!(
            pem_certificate("not a certificate"),
            Err(TlsError::ClientCertNotPem)
        ));
        assert!(matches!(
            pem_certificate("-----BEGIN CERTIFICATE-----\nAAAA\n"),
            Err(TlsError::ClientCertNotPem)
        ));
        assert!(matches!(
            pem_certificate("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"),
            Err(TlsError::ClientCertNotPem)
        ));
        assert!(matches!(
            pem_certificate("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"),
            Err(TlsError::ClientCertBase64(_))
        ));
        let err = pem_certificate("").unwrap_err();
        assert!(err
            .to_string()
            .starts_with("PLUGIN_CLIENT_CERT is not a PEM certificate"));

        let identity = generate_server_identity().unwrap();
        // Valid base64 of something that is not a certificate.
        let junk = pem(b"hello, world");
        assert!(matches!(
            server_config(&identity, &junk),
            Err(TlsError::ClientCertDer(_))
        ));
        // A P-521 certificate whose point is off the curve.
        let mut bad_point = go.cert_der.clone();
        let spki_key = subject_public_key_info(&go.cert_der).unwrap().key;
        let at = go
            .cert_der
            .windows(spki_key.len())
            .position(|w| w == spki_key)
            .unwrap();
        bad_point[at + 10] ^= 0x01;
        assert!(matches!(
            server_config(&identity, &pem(&bad_point)),
            Err(TlsError::ClientCertKey)
        ));
    }

    #[test]
    fn timing_of_identity_and_config() {
        let pem = pem(&go_client().cert_der);
        let runs = 20u32;
        let start = Instant::now();
        for _ in 0..runs {
            let identity = generate_server_identity().unwrap();
            server_config(&identity, &pem).unwrap();
        }
        println!(
            "generate_server_identity + server_config: {:?} per call ({runs} runs)",
            start.elapsed() / runs
        );
    }
}
