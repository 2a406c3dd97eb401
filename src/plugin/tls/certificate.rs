//! The plugin's own server certificate: a fresh P-256 key and a self-signed X.509 leaf for
//! `localhost`, written with the DER writer in `der`.
//!
//! The certificate's profile (subject, validity window, extensions) is go-plugin's, except for
//! the CA bit explained in the module docs of `tls`; building it here rather than with rcgen
//! keeps the binary small.

use std::time::{SystemTime, UNIX_EPOCH};

use ring::rand::SecureRandom as _;
use ring::signature::KeyPair as _;

use super::der::{bit_string, constructed, named_bits, oid, sequence, tag, tlv, unsigned_integer};
use super::{ServerIdentity, TlsError};

/// go-plugin's validity window: 30 s of backdating absorbs the fraction of a
/// second `as_secs` drops and any small clock step before Terraform checks the
/// certificate; 262,980 hours (about 30 years) outlives any plugin process.
const BACKDATE_SECS: u64 = 30;
pub(super) const LIFETIME_SECS: u64 = 262_980 * 3600;

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

pub(super) fn ec_subject_public_key_info(curve: &[u64], uncompressed_point: &[u8]) -> Vec<u8> {
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

/// What distinguishes one certificate of this shape from another.
pub(super) struct CertProfile<'a> {
    pub(super) serial: &'a [u8],
    pub(super) signature_algorithm: &'a [u64],
    pub(super) spki: &'a [u8],
    pub(super) not_before: u64,
    pub(super) not_after: u64,
    /// go-plugin's profile (CA, keyCertSign) when set; a plain leaf otherwise.
    pub(super) ca: bool,
}

pub(super) const KU_DIGITAL_SIGNATURE: u8 = 0x80;
pub(super) const KU_KEY_ENCIPHERMENT: u8 = 0x20;
pub(super) const KU_KEY_AGREEMENT: u8 = 0x08;
pub(super) const KU_KEY_CERT_SIGN: u8 = 0x04;

pub(super) fn tbs_certificate(p: &CertProfile<'_>) -> Result<Vec<u8>, TlsError> {
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

pub(super) fn certificate(tbs: &[u8], signature_algorithm: &[u64], signature: &[u8]) -> Vec<u8> {
    sequence(&[
        tbs,
        &algorithm_identifier(signature_algorithm),
        &bit_string(0, signature),
    ])
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use base64::Engine as _;
    use rustls::client::danger::ServerCertVerifier;
    use rustls::client::WebPkiServerVerifier;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{CertificateError, RootCertStore};

    use super::*;
    use crate::plugin::tls::der::{subject_public_key_info, DerReader};
    use crate::plugin::tls::test_support::{now_secs, ring_provider};

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
}
