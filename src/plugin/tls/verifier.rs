//! The client-certificate verifier: admits exactly the certificate Terraform put in
//! `PLUGIN_CLIENT_CERT`, and checks the P-521 handshake signatures ring cannot.
//!
//! It is a verifier of its own, not webpki's, because Terraform's certificate is a CA
//! certificate used as an end entity (which webpki rejects) and its key is P-521 (which ring
//! does not verify); see the module docs of `tls`.

use std::fmt;
use std::sync::Arc;

use p521::ecdsa::signature::Verifier as _;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, OtherError, SignatureScheme,
};

use super::der::{oid, subject_public_key_info};
use super::TlsError;

/// Admits one certificate, compared byte for byte.
pub(super) struct PinnedClientCert {
    der: Vec<u8>,
    /// Set when the pinned key is P-521, the only kind ring cannot verify.
    p521: Option<p521::ecdsa::VerifyingKey>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClientCert {
    pub(super) fn new(
        der: Vec<u8>,
        algorithms: WebPkiSupportedAlgorithms,
    ) -> Result<Self, TlsError> {
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

#[cfg(test)]
mod tests {
    use p521::ecdsa::signature::RandomizedSigner as _;
    use rand::rngs::OsRng;

    use super::*;
    use crate::plugin::tls::generate_server_identity;
    use crate::plugin::tls::test_support::go_client;

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
}
