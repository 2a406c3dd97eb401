//! What the tls tests share: a client certificate made the way go-plugin makes Terraform's,
//! and PEM, clock and crypto-provider helpers. Several modules' tests need Terraform's side of
//! the handshake, so it is built in one place.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use p521::ecdsa::signature::RandomizedSigner as _;
use rand::rngs::OsRng;

use super::certificate::{
    certificate, ec_subject_public_key_info, tbs_certificate, CertProfile, LIFETIME_SECS,
};
use super::der::oid;

pub(super) const ECDSA_WITH_SHA512: &[u64] = &[1, 2, 840, 10045, 4, 3, 4];

pub(super) fn ring_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

pub(super) fn pem(der: &[u8]) -> String {
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

pub(super) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// What go-plugin's `generateCert` makes: a self-signed P-521 CA cert.
pub(super) struct GoClient {
    pub(super) key: Arc<p521::ecdsa::SigningKey>,
    pub(super) cert_der: Vec<u8>,
}

pub(super) fn go_client() -> GoClient {
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
