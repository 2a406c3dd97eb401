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

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use p521::ecdsa::signature::Verifier as _;
use ring::rand::SecureRandom as _;
use ring::signature::KeyPair as _;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, OtherError, ServerConfig,
    SignatureScheme,
};

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
    /// The private key (PKCS#8 DER). The provider never lets it leave the process; protocol
    /// tests use an identity of their own as the client certificate Terraform would present.
    pub fn key_pkcs8_der(&self) -> &[u8] {
        &self.key_pkcs8
    }

    pub fn cert_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(&self.cert_der)
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

/// go-plugin's validity window: 30 s of backdating absorbs the fraction of a
/// second `as_secs` drops and any small clock step before Terraform checks the
/// certificate; 262,980 hours (about 30 years) outlives any plugin process.
const BACKDATE_SECS: u64 = 30;
const LIFETIME_SECS: u64 = 262_980 * 3600;

/// Makes a fresh ECDSA P-256 key and a self-signed certificate for `localhost`.
pub fn generate_server_identity() -> Result<ServerIdentity, TlsError> {
    let rng = ring::rand::SystemRandom::new();
    let alg = &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING;
    let pkcs8 = ring::signature::EcdsaKeyPair::generate_pkcs8(alg, &rng)
        .map_err(|_| TlsError::KeyGeneration)?;
    let key_pair = ring::signature::EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng)
        .map_err(|_| TlsError::KeyGeneration)?;

    let mut serial = [0u8; 16];
    rng.fill(&mut serial).map_err(|_| TlsError::KeyGeneration)?;
    // Clear the sign bit (Go rejects negative serials) and set the next one so
    // the INTEGER is always exactly 16 minimal bytes.
    serial[0] = (serial[0] & 0x7f) | 0x40;

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| TlsError::Clock)?
        .as_secs();
    let not_after = now.checked_add(LIFETIME_SECS).ok_or(TlsError::Clock)?;

    let spki = ec_subject_public_key_info(oid::SECP256R1, key_pair.public_key().as_ref());
    let tbs = tbs_certificate(&CertProfile {
        serial: &serial,
        signature_algorithm: oid::ECDSA_WITH_SHA256,
        spki: &spki,
        not_before: now.saturating_sub(BACKDATE_SECS),
        not_after,
        ca: false,
    })?;
    let signature = key_pair.sign(&rng, &tbs).map_err(|_| TlsError::Signing)?;
    let cert_der = certificate(&tbs, oid::ECDSA_WITH_SHA256, signature.as_ref());

    Ok(ServerIdentity {
        cert_der,
        key_pkcs8: pkcs8.as_ref().to_vec(),
    })
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

/// Admits one certificate, compared byte for byte.
struct PinnedClientCert {
    der: Vec<u8>,
    /// Set when the pinned key is P-521, the only kind ring cannot verify.
    p521: Option<p521::ecdsa::VerifyingKey>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClientCert {
    fn new(der: Vec<u8>, algorithms: WebPkiSupportedAlgorithms) -> Result<Self, TlsError> {
        // Parsing up front turns a malformed PLUGIN_CLIENT_CERT into a start-up
        // error instead of a handshake that fails for reasons nobody logs.
        let spki = subject_public_key_info(&der).map_err(TlsError::ClientCertDer)?;
        let p521 = if spki.is_ec_on(oid::SECP521R1) {
            Some(
                p521::ecdsa::VerifyingKey::from_sec1_bytes(spki.key)
                    .map_err(|_| TlsError::ClientCertKey)?,
            )
        } else {
            None
        };
        Ok(Self {
            der,
            p521,
            algorithms,
        })
    }

    fn check_pin(&self, cert: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        if cert.as_ref() == self.der.as_slice() {
            Ok(())
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(TlsError::ClientCertMismatch)),
            )))
        }
    }
}

impl PinnedClientCert {
    /// `ecdsa_secp521r1_sha512`: a DER ECDSA signature over SHA-512 of `message`.
    fn verify_p521(&self, message: &[u8], signature: &[u8]) -> Result<(), rustls::Error> {
        let bad = || rustls::Error::InvalidCertificate(CertificateError::BadSignature);
        // A non-P-521 key claiming this scheme is a curve mismatch, which TLS 1.3
        // forbids.
        let key = self.p521.as_ref().ok_or_else(bad)?;
        let signature = p521::ecdsa::Signature::from_der(signature).map_err(|_| bad())?;
        key.verify(message, &signature).map_err(|_| bad())
    }
}

impl fmt::Debug for PinnedClientCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinnedClientCert")
            .field("der", &format_args!("{} bytes", self.der.len()))
            .field("p521", &self.p521.is_some())
            .finish_non_exhaustive()
    }
}

impl ClientCertVerifier for PinnedClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // No hints: Go sends its only certificate whenever one is asked for.
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        // Extra certificates after the pinned one cannot add trust, and the
        // pinned one's validity period is Terraform's business, so neither is
        // looked at.
        self.check_pin(end_entity)?;
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::General(
            "TLS 1.2 is not enabled on the plugin server".into(),
        ))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.check_pin(cert)?;
        if dss.scheme != SignatureScheme::ECDSA_NISTP521_SHA512 {
            return rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms);
        }
        self.verify_p521(message, dss.signature())?;
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        // Offer only what the pinned key can produce, so a client never picks
        // a scheme that is bound to fail.
        if self.p521.is_some() {
            vec![SignatureScheme::ECDSA_NISTP521_SHA512]
        } else {
            self.algorithms.supported_schemes()
        }
    }
}

/// Object identifiers, as arcs.
mod oid {
    pub const ID_EC_PUBLIC_KEY: &[u64] = &[1, 2, 840, 10045, 2, 1];
    pub const SECP256R1: &[u64] = &[1, 2, 840, 10045, 3, 1, 7];
    pub const SECP521R1: &[u64] = &[1, 3, 132, 0, 35];
    pub const ECDSA_WITH_SHA256: &[u64] = &[1, 2, 840, 10045, 4, 3, 2];
    pub const COMMON_NAME: &[u64] = &[2, 5, 4, 3];
    pub const ORGANIZATION: &[u64] = &[2, 5, 4, 10];
    pub const KEY_USAGE: &[u64] = &[2, 5, 29, 15];
    pub const SUBJECT_ALT_NAME: &[u64] = &[2, 5, 29, 17];
    pub const BASIC_CONSTRAINTS: &[u64] = &[2, 5, 29, 19];
    pub const EXT_KEY_USAGE: &[u64] = &[2, 5, 29, 37];
    pub const KP_SERVER_AUTH: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 1];
    pub const KP_CLIENT_AUTH: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 2];
}

mod tag {
    pub const BOOLEAN: u8 = 0x01;
    pub const INTEGER: u8 = 0x02;
    pub const BIT_STRING: u8 = 0x03;
    pub const OCTET_STRING: u8 = 0x04;
    pub const OID: u8 = 0x06;
    pub const UTF8_STRING: u8 = 0x0c;
    pub const UTC_TIME: u8 = 0x17;
    pub const GENERALIZED_TIME: u8 = 0x18;
    pub const SEQUENCE: u8 = 0x30;
    pub const SET: u8 = 0x31;
    /// `[n]` EXPLICIT (constructed, context-specific).
    pub const fn explicit(n: u8) -> u8 {
        0xa0 | n
    }
    /// `[n]` IMPLICIT of a primitive type.
    pub const fn implicit(n: u8) -> u8 {
        0x80 | n
    }
}

// ---------------------------------------------------------------------------
// DER writer

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    if content.len() < 0x80 {
        out.push(content.len() as u8);
    } else {
        let len = content.len().to_be_bytes();
        let skip = len.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (len.len() - skip) as u8);
        out.extend_from_slice(&len[skip..]);
    }
    out.extend_from_slice(content);
    out
}

fn constructed(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    tlv(tag, &parts.concat())
}

fn sequence(parts: &[&[u8]]) -> Vec<u8> {
    constructed(tag::SEQUENCE, parts)
}

fn oid_content(arcs: &[u64]) -> Vec<u8> {
    fn base128(out: &mut Vec<u8>, mut v: u64) {
        let mut buf = [0u8; 10];
        let mut i = buf.len();
        loop {
            i -= 1;
            buf[i] = (v & 0x7f) as u8 | if i == buf.len() - 1 { 0 } else { 0x80 };
            v >>= 7;
            if v == 0 {
                break;
            }
        }
        out.extend_from_slice(&buf[i..]);
    }
    let mut out = Vec::new();
    if let [first, second, rest @ ..] = arcs {
        base128(&mut out, first * 40 + second);
        for &arc in rest {
            base128(&mut out, arc);
        }
    }
    out
}

fn oid(arcs: &[u64]) -> Vec<u8> {
    tlv(tag::OID, &oid_content(arcs))
}

/// A non-negative INTEGER from big-endian magnitude bytes.
fn unsigned_integer(magnitude: &[u8]) -> Vec<u8> {
    let skip = magnitude.iter().take_while(|&&b| b == 0).count();
    let digits = &magnitude[skip..];
    match digits.first() {
        None => tlv(tag::INTEGER, &[0]),
        Some(&b) if b & 0x80 != 0 => tlv(tag::INTEGER, &[&[0u8][..], digits].concat()),
        Some(_) => tlv(tag::INTEGER, digits),
    }
}

fn bit_string(unused_bits: u8, bytes: &[u8]) -> Vec<u8> {
    tlv(tag::BIT_STRING, &[&[unused_bits][..], bytes].concat())
}

/// A named BIT STRING (KeyUsage) whose bits all fall in the first octet; DER
/// drops trailing zero bits.
fn named_bits(first_octet: u8) -> Vec<u8> {
    if first_octet == 0 {
        return bit_string(0, &[]);
    }
    bit_string(first_octet.trailing_zeros() as u8, &[first_octet])
}

fn extension(id: &[u64], critical: bool, value: &[u8]) -> Vec<u8> {
    let id = oid(id);
    let value = tlv(tag::OCTET_STRING, value);
    if critical {
        // DER omits a BOOLEAN that equals its DEFAULT FALSE.
        sequence(&[&id, &tlv(tag::BOOLEAN, &[0xff]), &value])
    } else {
        sequence(&[&id, &value])
    }
}

fn algorithm_identifier(arcs: &[u64]) -> Vec<u8> {
    // ecdsa-with-SHA* take no parameters, not even NULL (RFC 5758).
    sequence(&[&oid(arcs)])
}

fn ec_subject_public_key_info(curve: &[u64], uncompressed_point: &[u8]) -> Vec<u8> {
    sequence(&[
        &sequence(&[&oid(oid::ID_EC_PUBLIC_KEY), &oid(curve)]),
        &bit_string(0, uncompressed_point),
    ])
}

/// CN=localhost, O=HashiCorp: go-plugin's subject, and its issuer too as the
/// certificate is self-signed.
fn localhost_name() -> Vec<u8> {
    let rdn = |attr: &[u64], value: &str| {
        constructed(
            tag::SET,
            &[&sequence(&[
                &oid(attr),
                &tlv(tag::UTF8_STRING, value.as_bytes()),
            ])],
        )
    };
    sequence(&[
        &rdn(oid::ORGANIZATION, "HashiCorp"),
        &rdn(oid::COMMON_NAME, "localhost"),
    ])
}

/// RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 on.
fn der_time(unix_secs: u64) -> Result<Vec<u8>, TlsError> {
    let days = i64::try_from(unix_secs / 86_400).map_err(|_| TlsError::Clock)?;
    let secs_of_day = unix_secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    let clock = format!(
        "{month:02}{day:02}{:02}{:02}{:02}Z",
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60
    );
    if year < 2050 {
        let text = format!("{:02}{clock}", year % 100);
        Ok(tlv(tag::UTC_TIME, text.as_bytes()))
    } else if year <= 9999 {
        let text = format!("{year:04}{clock}");
        Ok(tlv(tag::GENERALIZED_TIME, text.as_bytes()))
    } else {
        Err(TlsError::Clock)
    }
}

/// Proleptic Gregorian (year, month, day) for a count of days since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Counting from 0000-03-01 puts each leap day at the end of its year, so a
    // 400-year era (146,097 days) splits into years by plain division.
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months from March: 153 days per five months (31+30+31+30+31).
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

struct CertProfile<'a> {
    serial: &'a [u8],
    signature_algorithm: &'a [u64],
    spki: &'a [u8],
    not_before: u64,
    not_after: u64,
    /// go-plugin's profile (CA, keyCertSign) when set; a plain leaf otherwise.
    ca: bool,
}

const KU_DIGITAL_SIGNATURE: u8 = 0x80;
const KU_KEY_ENCIPHERMENT: u8 = 0x20;
const KU_KEY_AGREEMENT: u8 = 0x08;
const KU_KEY_CERT_SIGN: u8 = 0x04;

fn tbs_certificate(p: &CertProfile<'_>) -> Result<Vec<u8>, TlsError> {
    let name = localhost_name();
    let (basic_constraints, key_usage) = if p.ca {
        (
            sequence(&[&tlv(tag::BOOLEAN, &[0xff])]),
            KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT | KU_KEY_CERT_SIGN,
        )
    } else {
        // An empty SEQUENCE is cA FALSE: says "not a CA" outright.
        (sequence(&[]), KU_DIGITAL_SIGNATURE)
    };
    let extensions = sequence(&[
        &extension(oid::KEY_USAGE, true, &named_bits(key_usage)),
        &extension(
            oid::EXT_KEY_USAGE,
            false,
            &sequence(&[&oid(oid::KP_SERVER_AUTH), &oid(oid::KP_CLIENT_AUTH)]),
        ),
        &extension(oid::BASIC_CONSTRAINTS, true, &basic_constraints),
        &extension(
            oid::SUBJECT_ALT_NAME,
            false,
            // dNSName is [2] IMPLICIT IA5String.
            &sequence(&[&tlv(tag::implicit(2), b"localhost")]),
        ),
    ]);
    Ok(sequence(&[
        &tlv(tag::explicit(0), &unsigned_integer(&[2])), // v3
        &unsigned_integer(p.serial),
        &algorithm_identifier(p.signature_algorithm),
        &name,
        &sequence(&[&der_time(p.not_before)?, &der_time(p.not_after)?]),
        &name,
        p.spki,
        &tlv(tag::explicit(3), &extensions),
    ]))
}

fn certificate(tbs: &[u8], signature_algorithm: &[u64], signature: &[u8]) -> Vec<u8> {
    sequence(&[
        tbs,
        &algorithm_identifier(signature_algorithm),
        &bit_string(0, signature),
    ])
}

// ---------------------------------------------------------------------------
// DER reader

/// Why a DER certificate could not be walked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DerError {
    #[error("the input ends in the middle of an element")]
    Truncated,
    #[error("indefinite lengths are not DER")]
    IndefiniteLength,
    #[error("a length is not minimally encoded")]
    NonMinimalLength,
    #[error("a length is too large")]
    LengthTooLarge,
    #[error("multi-byte tags are not supported")]
    HighTagNumber,
    #[error("expected tag 0x{expected:02x}, found 0x{found:02x}")]
    UnexpectedTag { expected: u8, found: u8 },
    #[error("data follows the end of an element")]
    TrailingData,
    #[error("the public key is not a whole number of bytes")]
    BadBitString,
}

struct DerReader<'a> {
    rest: &'a [u8],
}

impl<'a> DerReader<'a> {
    fn new(input: &'a [u8]) -> Self {
        Self { rest: input }
    }

    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn read_any(&mut self) -> Result<(u8, &'a [u8]), DerError> {
        let (&tag, after_tag) = self.rest.split_first().ok_or(DerError::Truncated)?;
        if tag & 0x1f == 0x1f {
            return Err(DerError::HighTagNumber);
        }
        let (&first, after_len) = after_tag.split_first().ok_or(DerError::Truncated)?;
        let (len, body) = match first {
            0x00..=0x7f => (usize::from(first), after_len),
            0x80 => return Err(DerError::IndefiniteLength),
            _ => {
                let count = usize::from(first & 0x7f);
                if count > 4 {
                    return Err(DerError::LengthTooLarge);
                }
                let bytes = after_len.get(..count).ok_or(DerError::Truncated)?;
                if bytes[0] == 0 {
                    return Err(DerError::NonMinimalLength);
                }
                let len = bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
                if len < 0x80 {
                    return Err(DerError::NonMinimalLength);
                }
                let len = usize::try_from(len).map_err(|_| DerError::LengthTooLarge)?;
                (len, &after_len[count..])
            }
        };
        if body.len() < len {
            return Err(DerError::Truncated);
        }
        let (content, rest) = body.split_at(len);
        self.rest = rest;
        Ok((tag, content))
    }

    fn read(&mut self, expected: u8) -> Result<&'a [u8], DerError> {
        match self.rest.first() {
            Some(&found) if found != expected => Err(DerError::UnexpectedTag { expected, found }),
            _ => self.read_any().map(|(_, content)| content),
        }
    }

    fn read_optional(&mut self, expected: u8) -> Result<Option<&'a [u8]>, DerError> {
        if self.rest.first() == Some(&expected) {
            self.read(expected).map(Some)
        } else {
            Ok(None)
        }
    }

    fn finish(&self) -> Result<(), DerError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DerError::TrailingData)
        }
    }
}

/// The parts of a certificate's subjectPublicKeyInfo the verifier needs.
#[derive(Debug, PartialEq, Eq)]
struct SubjectPublicKey<'a> {
    /// OID content octets of the key algorithm.
    algorithm: &'a [u8],
    /// The algorithm's parameters element, tag and content, if any.
    parameters: Option<(u8, &'a [u8])>,
    /// The subjectPublicKey BIT STRING's bytes (SEC1 point for EC keys).
    key: &'a [u8],
}

impl SubjectPublicKey<'_> {
    fn is_ec_on(&self, curve: &[u64]) -> bool {
        self.algorithm == oid_content(oid::ID_EC_PUBLIC_KEY).as_slice()
            && self.parameters == Some((tag::OID, oid_content(curve).as_slice()))
    }
}

/// Certificate → tbsCertificate → subjectPublicKeyInfo, checking only the
/// framing on the way: the pin, not this parse, is what grants trust.
fn subject_public_key_info(cert: &[u8]) -> Result<SubjectPublicKey<'_>, DerError> {
    let mut outer = DerReader::new(cert);
    let certificate = outer.read(tag::SEQUENCE)?;
    outer.finish()?;

    let mut certificate = DerReader::new(certificate);
    let tbs = certificate.read(tag::SEQUENCE)?;
    certificate.read(tag::SEQUENCE)?; // signatureAlgorithm
    certificate.read(tag::BIT_STRING)?; // signatureValue
    certificate.finish()?;

    let mut tbs = DerReader::new(tbs);
    tbs.read_optional(tag::explicit(0))?; // version
    tbs.read(tag::INTEGER)?; // serialNumber
    tbs.read(tag::SEQUENCE)?; // signature
    tbs.read(tag::SEQUENCE)?; // issuer
    tbs.read(tag::SEQUENCE)?; // validity
    tbs.read(tag::SEQUENCE)?; // subject
    let spki = tbs.read(tag::SEQUENCE)?;

    let mut spki = DerReader::new(spki);
    let algorithm = spki.read(tag::SEQUENCE)?;
    let key = spki.read(tag::BIT_STRING)?;
    spki.finish()?;

    let mut algorithm = DerReader::new(algorithm);
    let algorithm_oid = algorithm.read(tag::OID)?;
    let parameters = if algorithm.is_empty() {
        None
    } else {
        Some(algorithm.read_any()?)
    };
    algorithm.finish()?;

    match key.split_first() {
        Some((0, key)) => Ok(SubjectPublicKey {
            algorithm: algorithm_oid,
            parameters,
            key,
        }),
        _ => Err(DerError::BadBitString),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p521::ecdsa::signature::RandomizedSigner as _;
    use rand::rngs::OsRng;
    use rustls::client::danger::ServerCertVerifier;
    use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
    use rustls::pki_types::ServerName;
    use rustls::sign::CertifiedKey;
    use rustls::{ClientConfig, RootCertStore, SignatureAlgorithm};
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const ECDSA_WITH_SHA512: &[u64] = &[1, 2, 840, 10045, 4, 3, 4];

    fn ring_provider() -> Arc<rustls::crypto::CryptoProvider> {
        Arc::new(rustls::crypto::ring::default_provider())
    }

    fn pem(der: &[u8]) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        )
    }

    fn now_secs() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    /// What go-plugin's `generateCert` makes: a self-signed P-521 CA cert.
    struct GoClient {
        key: Arc<p521::ecdsa::SigningKey>,
        cert_der: Vec<u8>,
    }

    fn go_client() -> GoClient {
        let key = p521::ecdsa::SigningKey::random(&mut OsRng);
        let point = p521::ecdsa::VerifyingKey::from(&key).to_encoded_point(false);
        let spki = ec_subject_public_key_info(oid::SECP521R1, point.as_bytes());
        let now = now_secs();
        let tbs = tbs_certificate(&CertProfile {
            serial: &rand::random::<[u8; 16]>(),
            signature_algorithm: ECDSA_WITH_SHA512,
            spki: &spki,
            not_before: now - 30,
            not_after: now + LIFETIME_SECS,
            ca: true,
        })
        .unwrap();
        let sig: p521::ecdsa::Signature = key.try_sign_with_rng(&mut OsRng, &tbs).unwrap();
        GoClient {
            key: Arc::new(key),
            cert_der: certificate(&tbs, ECDSA_WITH_SHA512, sig.to_der().as_bytes()),
        }
    }

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

    #[test]
    fn server_cert_verifies_as_its_own_root_for_localhost() {
        let identity = generate_server_identity().unwrap();
        let cert = CertificateDer::from(identity.cert_der.clone());
        let mut roots = RootCertStore::empty();
        roots.add(cert.clone()).unwrap();
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), ring_provider())
                .build()
                .unwrap();
        let verify = |name: &'static str, at: UnixTime| {
            verifier.verify_server_cert(&cert, &[], &ServerName::try_from(name).unwrap(), &[], at)
        };

        verify("localhost", UnixTime::now()).expect("verifies for localhost now");
        assert!(verify("example.com", UnixTime::now()).is_err());
        let in_31_years =
            UnixTime::since_unix_epoch(Duration::from_secs(now_secs() + 31 * 365 * 86_400));
        assert!(matches!(
            verify("localhost", in_31_years),
            Err(rustls::Error::InvalidCertificate(
                CertificateError::Expired | CertificateError::ExpiredContext { .. }
            ))
        ));
        let a_minute_ago = UnixTime::since_unix_epoch(Duration::from_secs(now_secs() - 60));
        assert!(matches!(
            verify("localhost", a_minute_ago),
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. }
            ))
        ));

        // Another identity's certificate is not trusted by this root.
        let other = generate_server_identity().unwrap();
        assert!(verifier
            .verify_server_cert(
                &CertificateDer::from(other.cert_der),
                &[],
                &ServerName::try_from("localhost").unwrap(),
                &[],
                UnixTime::now()
            )
            .is_err());
    }

    #[test]
    fn server_cert_has_the_expected_fields() {
        let identity = generate_server_identity().unwrap();
        let spki = subject_public_key_info(&identity.cert_der).unwrap();
        assert!(spki.is_ec_on(oid::SECP256R1));
        assert_eq!(spki.key.len(), 65);
        assert_eq!(spki.key[0], 0x04);

        let mut outer = DerReader::new(&identity.cert_der);
        let mut cert = DerReader::new(outer.read(tag::SEQUENCE).unwrap());
        let mut tbs = DerReader::new(cert.read(tag::SEQUENCE).unwrap());
        assert_eq!(tbs.read(tag::explicit(0)).unwrap(), &[0x02, 0x01, 0x02]);
        let serial = tbs.read(tag::INTEGER).unwrap();
        assert_eq!(serial.len(), 16);
        assert_eq!(serial[0] & 0xc0, 0x40, "positive and minimal");
        tbs.read(tag::SEQUENCE).unwrap();
        let issuer = tbs.read(tag::SEQUENCE).unwrap();
        let mut validity = DerReader::new(tbs.read(tag::SEQUENCE).unwrap());
        let subject = tbs.read(tag::SEQUENCE).unwrap();
        assert_eq!(issuer, subject);
        assert_eq!(validity.read_any().unwrap().0, tag::UTC_TIME);
        // now + 30 years lands in 2050 or later.
        assert_eq!(validity.read_any().unwrap().0, tag::GENERALIZED_TIME);

        // Serials differ between identities.
        let other = generate_server_identity().unwrap();
        assert_ne!(identity.cert_der, other.cert_der);
        assert_eq!(
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(identity.cert_base64())
                .unwrap(),
            identity.cert_der
        );
        assert!(!identity.cert_base64().ends_with('='));
        assert!(!format!("{identity:?}").contains(&format!("{:?}", identity.key_pkcs8)));
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

    #[test]
    fn verifier_checks_p521_signatures_and_the_pin() {
        let go = go_client();
        let verifier = PinnedClientCert::new(
            go.cert_der.clone(),
            rustls::crypto::ring::default_provider().signature_verification_algorithms,
        )
        .unwrap();
        assert_eq!(
            verifier.supported_verify_schemes(),
            vec![SignatureScheme::ECDSA_NISTP521_SHA512]
        );
        assert!(verifier.client_auth_mandatory());
        assert!(verifier.root_hint_subjects().is_empty());

        let message = b"TLS 1.3, client CertificateVerify";
        let sig: p521::ecdsa::Signature = go.key.try_sign_with_rng(&mut OsRng, message).unwrap();
        let der_sig = sig.to_der().as_bytes().to_vec();
        assert!(verifier.verify_p521(message, &der_sig).is_ok());
        assert!(verifier.verify_p521(b"another message", &der_sig).is_err());
        // The fixed-size r||s form is not the DER that TLS carries.
        assert!(verifier.verify_p521(message, &sig.to_bytes()).is_err());
        assert!(verifier.verify_p521(message, &[]).is_err());

        let cert = CertificateDer::from(go.cert_der.clone());
        let other = CertificateDer::from(go_client().cert_der);
        assert!(verifier
            .verify_client_cert(&cert, &[], UnixTime::now())
            .is_ok());
        assert!(verifier
            .verify_client_cert(&other, &[], UnixTime::now())
            .is_err());
        assert!(verifier.check_pin(&other).is_err());

        // A pinned non-P-521 key never reaches the p521 path.
        let p256 = generate_server_identity().unwrap();
        let ring_only = PinnedClientCert::new(
            p256.cert_der,
            rustls::crypto::ring::default_provider().signature_verification_algorithms,
        )
        .unwrap();
        assert!(ring_only.verify_p521(message, &der_sig).is_err());
        assert!(!ring_only
            .supported_verify_schemes()
            .contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
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
    fn der_walk_rejects_malformed_input_without_panicking() {
        let go = go_client();
        let good = subject_public_key_info(&go.cert_der).unwrap();
        assert!(good.is_ec_on(oid::SECP521R1));
        assert_eq!(good.key.len(), 133);

        assert_eq!(subject_public_key_info(&[]), Err(DerError::Truncated));
        assert_eq!(subject_public_key_info(&[0x30]), Err(DerError::Truncated));
        assert_eq!(
            subject_public_key_info(&[0x30, 0x05, 0x30]),
            Err(DerError::Truncated)
        );
        assert_eq!(
            subject_public_key_info(&[0x30, 0x82, 0x01]),
            Err(DerError::Truncated)
        );
        assert_eq!(
            subject_public_key_info(&[0x30, 0x80, 0x00, 0x00]),
            Err(DerError::IndefiniteLength)
        );
        assert_eq!(
            subject_public_key_info(&[0x30, 0x81, 0x05, 0, 0, 0, 0, 0]),
            Err(DerError::NonMinimalLength)
        );
        assert_eq!(
            subject_public_key_info(&[0x30, 0x82, 0x00, 0x80]),
            Err(DerError::NonMinimalLength)
        );
        assert_eq!(
            subject_public_key_info(&[0x30, 0x85, 1, 0, 0, 0, 0]),
            Err(DerError::LengthTooLarge)
        );
        assert_eq!(
            subject_public_key_info(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
            Err(DerError::Truncated)
        );
        assert_eq!(
            DerReader::new(&[0x1f, 0x01, 0x00]).read_any(),
            Err(DerError::HighTagNumber)
        );
        assert_eq!(
            DerReader::new(&[0x04, 0x01]).read_any(),
            Err(DerError::Truncated)
        );
        assert_eq!(
            DerReader::new(&[0x04, 0x00]).read_any(),
            Ok((0x04, &[][..]))
        );
        assert_eq!(
            subject_public_key_info(&[0x31, 0x00]),
            Err(DerError::UnexpectedTag {
                expected: 0x30,
                found: 0x31
            })
        );
        assert_eq!(
            subject_public_key_info(&[0x30, 0x00]),
            Err(DerError::Truncated)
        );

        let mut trailing = go.cert_der.clone();
        trailing.push(0);
        assert_eq!(
            subject_public_key_info(&trailing),
            Err(DerError::TrailingData)
        );

        // A tbsCertificate that stops before its subjectPublicKeyInfo.
        let short_tbs = sequence(&[&unsigned_integer(&[1]), &sequence(&[]), &sequence(&[])]);
        let cert = certificate(&short_tbs, oid::ECDSA_WITH_SHA256, &[1, 2, 3]);
        assert_eq!(subject_public_key_info(&cert), Err(DerError::Truncated));

        // Every proper prefix breaks the outer length.
        for len in 0..go.cert_der.len() {
            assert!(
                subject_public_key_info(&go.cert_der[..len]).is_err(),
                "prefix {len}"
            );
        }
        // Corrupting any byte may or may not still parse, but must not panic.
        for i in 0..go.cert_der.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut bytes = go.cert_der.clone();
                bytes[i] ^= flip;
                let _ = subject_public_key_info(&bytes);
            }
        }
    }

    #[test]
    fn der_writer_encodings() {
        assert_eq!(tlv(0x04, &[]), [0x04, 0x00]);
        assert_eq!(tlv(0x04, &[0; 0x7f])[..2], [0x04, 0x7f]);
        assert_eq!(tlv(0x04, &[0; 0x80])[..3], [0x04, 0x81, 0x80]);
        assert_eq!(tlv(0x04, &[0; 0x100])[..4], [0x04, 0x82, 0x01, 0x00]);
        assert_eq!(
            oid(oid::ID_EC_PUBLIC_KEY),
            [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]
        );
        assert_eq!(
            oid(oid::SECP521R1),
            [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23]
        );
        assert_eq!(oid(oid::COMMON_NAME), [0x06, 0x03, 0x55, 0x04, 0x03]);
        assert_eq!(unsigned_integer(&[]), [0x02, 0x01, 0x00]);
        assert_eq!(unsigned_integer(&[0, 0, 5]), [0x02, 0x01, 0x05]);
        assert_eq!(unsigned_integer(&[0x80]), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(named_bits(KU_DIGITAL_SIGNATURE), [0x03, 0x02, 0x07, 0x80]);
        assert_eq!(
            named_bits(
                KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT | KU_KEY_CERT_SIGN
            ),
            [0x03, 0x02, 0x02, 0xac]
        );
        // Round trip through the reader.
        let nested = sequence(&[&tlv(0x04, &[7; 300]), &oid(oid::SECP256R1)]);
        let mut r = DerReader::new(&nested);
        let mut inner = DerReader::new(r.read(tag::SEQUENCE).unwrap());
        assert!(r.finish().is_ok());
        assert_eq!(inner.read(tag::OCTET_STRING).unwrap(), &[7; 300][..]);
        assert_eq!(
            inner.read(tag::OID).unwrap(),
            oid_content(oid::SECP256R1).as_slice()
        );
        assert!(inner.finish().is_ok());
    }

    #[test]
    fn times_and_calendar() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(47_540), (2100, 2, 28));
        assert_eq!(civil_from_days(47_541), (2100, 3, 1));
        assert_eq!(der_time(0).unwrap(), tlv(tag::UTC_TIME, b"700101000000Z"));
        assert_eq!(
            der_time(951_782_400 + 3_723).unwrap(),
            tlv(tag::UTC_TIME, b"000229010203Z")
        );
        // 2049-12-31T23:59:59Z, the last UTCTime, and the second after it.
        assert_eq!(
            der_time(2_524_607_999).unwrap(),
            tlv(tag::UTC_TIME, b"491231235959Z")
        );
        assert_eq!(
            der_time(2_524_608_000).unwrap(),
            tlv(tag::GENERALIZED_TIME, b"20500101000000Z")
        );
        assert_eq!(
            der_time(253_402_300_799).unwrap(),
            tlv(tag::GENERALIZED_TIME, b"99991231235959Z")
        );
        assert!(matches!(der_time(253_402_300_800), Err(TlsError::Clock)));
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
