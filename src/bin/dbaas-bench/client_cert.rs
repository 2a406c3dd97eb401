//! The client certificate Terraform would pass in `PLUGIN_CLIENT_CERT`, made in-process so
//! that the start-up measurement includes exactly the work the provider does for Terraform:
//! parse a P-521 certificate, pin it and set up its P-521 signature check.
//!
//! go-plugin's `generateCert` (`mtls.go`) makes a fresh ECDSA P-521 key and a self-signed
//! certificate for `localhost` (O=HashiCorp, a CA, key usage digitalSignature |
//! keyEncipherment | keyAgreement | keyCertSign, extended key usage clientAuth and
//! serverAuth, valid from 30 s ago for 262,980 hours), signed with ECDSA-SHA512. This builds
//! the same certificate, in the order Go's `x509.CreateCertificate` writes it, with a DER
//! writer just big enough for it. The key is dropped: the benchmark never completes a TLS
//! handshake, it only starts the provider.

use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use base64::Engine as _;
use p521::ecdsa::signature::RandomizedSigner as _;
use time::OffsetDateTime;

/// go-plugin's validity window.
const BACKDATE: Duration = Duration::from_secs(30);
const LIFETIME: Duration = Duration::from_secs(262_980 * 3600);

mod oid {
    pub const ECDSA_WITH_SHA512: &[u64] = &[1, 2, 840, 10045, 4, 3, 4];
    pub const EC_PUBLIC_KEY: &[u64] = &[1, 2, 840, 10045, 2, 1];
    pub const SECP521R1: &[u64] = &[1, 3, 132, 0, 35];
    pub const ORGANIZATION: &[u64] = &[2, 5, 4, 10];
    pub const COMMON_NAME: &[u64] = &[2, 5, 4, 3];
    pub const KEY_USAGE: &[u64] = &[2, 5, 29, 15];
    pub const EXT_KEY_USAGE: &[u64] = &[2, 5, 29, 37];
    pub const BASIC_CONSTRAINTS: &[u64] = &[2, 5, 29, 19];
    pub const SUBJECT_KEY_ID: &[u64] = &[2, 5, 29, 14];
    pub const SUBJECT_ALT_NAME: &[u64] = &[2, 5, 29, 17];
    pub const KP_CLIENT_AUTH: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 2];
    pub const KP_SERVER_AUTH: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 1];
}

mod tag {
    pub const BOOLEAN: u8 = 0x01;
    pub const INTEGER: u8 = 0x02;
    pub const BIT_STRING: u8 = 0x03;
    pub const OCTET_STRING: u8 = 0x04;
    pub const OID: u8 = 0x06;
    pub const PRINTABLE_STRING: u8 = 0x13;
    pub const UTC_TIME: u8 = 0x17;
    pub const GENERALIZED_TIME: u8 = 0x18;
    pub const SEQUENCE: u8 = 0x30;
    pub const SET: u8 = 0x31;
    /// `[0]` and `[3]` EXPLICIT: the version and the extensions of a TBSCertificate.
    pub const VERSION: u8 = 0xa0;
    pub const EXTENSIONS: u8 = 0xa3;
    /// `dNSName [2] IMPLICIT IA5String` in a GeneralName.
    pub const DNS_NAME: u8 = 0x82;
}

/// keyUsage bits as they sit in the first octet of the BIT STRING (bit 0 is 0x80).
const KU_DIGITAL_SIGNATURE: u8 = 0x80;
const KU_KEY_ENCIPHERMENT: u8 = 0x20;
const KU_KEY_AGREEMENT: u8 = 0x08;
const KU_CERT_SIGN: u8 = 0x04;

/// A PEM certificate as Terraform's go-plugin client would make it.
pub fn generate() -> Result<String> {
    let mut rng = rand::rngs::OsRng;
    let key = p521::ecdsa::SigningKey::random(&mut rng);
    let point = p521::ecdsa::VerifyingKey::from(&key).to_encoded_point(false);
    let now = OffsetDateTime::now_utc();
    let tbs = tbs_certificate(
        &rand::random::<[u8; 16]>(),
        point.as_bytes(),
        now - BACKDATE,
        now + LIFETIME,
    )?;
    let signature: p521::ecdsa::Signature = key
        .try_sign_with_rng(&mut rng, &tbs)
        .map_err(|error| anyhow!("signing the client certificate: {error}"))?;
    let der = sequence(&[
        &tbs,
        &sequence(&[&oid(oid::ECDSA_WITH_SHA512)]),
        &bit_string(signature.to_der().as_bytes()),
    ]);
    Ok(pem("CERTIFICATE", &der))
}

fn tbs_certificate(
    serial: &[u8],
    uncompressed_point: &[u8],
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> Result<Vec<u8>> {
    let name = localhost_name();
    let public_key = bit_string(uncompressed_point);
    let spki = sequence(&[
        &sequence(&[&oid(oid::EC_PUBLIC_KEY), &oid(oid::SECP521R1)]),
        &public_key,
    ]);
    // Go gives a CA certificate without one a subject key id: SHA-1 of the public key bits.
    let key_id = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, uncompressed_point);
    let key_usage = KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT | KU_CERT_SIGN;
    let extensions = sequence(&[
        &extension(
            oid::KEY_USAGE,
            true,
            // DER drops trailing zero bits: the lowest set bit says how many are unused.
            &tlv(
                tag::BIT_STRING,
                &[key_usage.trailing_zeros() as u8, key_usage],
            ),
        ),
        &extension(
            oid::EXT_KEY_USAGE,
            false,
            &sequence(&[&oid(oid::KP_CLIENT_AUTH), &oid(oid::KP_SERVER_AUTH)]),
        ),
        &extension(
            oid::BASIC_CONSTRAINTS,
            true,
            &sequence(&[&tlv(tag::BOOLEAN, &[0xff])]),
        ),
        &extension(
            oid::SUBJECT_KEY_ID,
            false,
            &tlv(tag::OCTET_STRING, key_id.as_ref()),
        ),
        &extension(
            oid::SUBJECT_ALT_NAME,
            false,
            &sequence(&[&tlv(tag::DNS_NAME, b"localhost")]),
        ),
    ]);
    Ok(sequence(&[
        &tlv(tag::VERSION, &unsigned_integer(&[2])), // v3
        &unsigned_integer(serial),
        &sequence(&[&oid(oid::ECDSA_WITH_SHA512)]),
        &name,
        &sequence(&[&der_time(not_before)?, &der_time(not_after)?]),
        &name,
        &spki,
        &tlv(tag::EXTENSIONS, &extensions),
    ]))
}

/// O=HashiCorp, CN=localhost: subject and issuer alike. Go writes ASCII as PrintableString.
fn localhost_name() -> Vec<u8> {
    let rdn = |attribute: &[u64], value: &str| {
        tlv(
            tag::SET,
            &sequence(&[
                &oid(attribute),
                &tlv(tag::PRINTABLE_STRING, value.as_bytes()),
            ]),
        )
    };
    sequence(&[
        &rdn(oid::ORGANIZATION, "HashiCorp"),
        &rdn(oid::COMMON_NAME, "localhost"),
    ])
}

/// RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 on (the 30-year
/// `notAfter` is past 2050).
fn der_time(at: OffsetDateTime) -> Result<Vec<u8>> {
    let clock = format!(
        "{:02}{:02}{:02}{:02}{:02}Z",
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    );
    match at.year() {
        year @ 1950..=2049 => Ok(tlv(
            tag::UTC_TIME,
            format!("{:02}{clock}", year % 100).as_bytes(),
        )),
        year @ 2050..=9999 => Ok(tlv(
            tag::GENERALIZED_TIME,
            format!("{year:04}{clock}").as_bytes(),
        )),
        year => Err(anyhow!(
            "the year {year} cannot be written in a certificate"
        ))
        .context("the system clock is off"),
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    let base64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    // Base64 is ASCII, so 64-byte chunks are 64-character lines.
    for line in base64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

// The DER writer: definite lengths, minimal encodings, nothing more than the above uses.

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 4);
    out.push(tag);
    if content.len() < 0x80 {
        out.push(content.len() as u8);
    } else {
        let length = content.len().to_be_bytes();
        let skip = length.iter().take_while(|&&byte| byte == 0).count();
        out.push(0x80 | (length.len() - skip) as u8);
        out.extend_from_slice(&length[skip..]);
    }
    out.extend_from_slice(content);
    out
}

fn sequence(parts: &[&[u8]]) -> Vec<u8> {
    tlv(tag::SEQUENCE, &parts.concat())
}

fn oid(arcs: &[u64]) -> Vec<u8> {
    let mut content = Vec::new();
    let mut push_base128 = |value: u64| {
        let groups = (64 - value.leading_zeros()).div_ceil(7).max(1);
        for group in (0..groups).rev() {
            let more = if group == 0 { 0 } else { 0x80 };
            content.push(((value >> (7 * group)) & 0x7f) as u8 | more);
        }
    };
    if let [first, second, rest @ ..] = arcs {
        push_base128(first * 40 + second);
        for &arc in rest {
            push_base128(arc);
        }
    }
    tlv(tag::OID, &content)
}

/// A non-negative INTEGER from big-endian magnitude bytes.
fn unsigned_integer(magnitude: &[u8]) -> Vec<u8> {
    let skip = magnitude.iter().take_while(|&&byte| byte == 0).count();
    let digits = &magnitude[skip..];
    match digits.first() {
        None => tlv(tag::INTEGER, &[0]),
        Some(&byte) if byte & 0x80 != 0 => tlv(tag::INTEGER, &[&[0], digits].concat()),
        Some(_) => tlv(tag::INTEGER, digits),
    }
}

/// A BIT STRING of whole bytes.
fn bit_string(bytes: &[u8]) -> Vec<u8> {
    tlv(tag::BIT_STRING, &[&[0], bytes].concat())
}

fn extension(id: &[u64], critical: bool, value: &[u8]) -> Vec<u8> {
    let value = tlv(tag::OCTET_STRING, value);
    if critical {
        sequence(&[&oid(id), &tlv(tag::BOOLEAN, &[0xff]), &value])
    } else {
        // DER omits a BOOLEAN equal to its DEFAULT (FALSE).
        sequence(&[&oid(id), &value])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p521::ecdsa::signature::Verifier as _;

    /// One element of DER: its tag, its content and what follows it.
    fn element(der: &[u8]) -> (u8, &[u8], &[u8]) {
        let (tag, first) = (der[0], der[1]);
        let (length, header) = if first < 0x80 {
            (usize::from(first), 2)
        } else {
            let octets = usize::from(first & 0x7f);
            let length = der[2..2 + octets]
                .iter()
                .fold(0, |length, &byte| length << 8 | usize::from(byte));
            (length, 2 + octets)
        };
        (tag, &der[header..header + length], &der[header + length..])
    }

    fn der_of(pem: &str) -> Vec<u8> {
        let body: String = pem
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap()
    }

    #[test]
    fn the_certificate_is_self_signed_with_its_p521_key() {
        let der = der_of(&generate().unwrap());
        let (outer, certificate, rest) = element(&der);
        assert_eq!((outer, rest.len()), (tag::SEQUENCE, 0));
        let (_, _, after_tbs) = element(certificate);
        let tbs_der = &certificate[..certificate.len() - after_tbs.len()];
        let (_, algorithm, after_algorithm) = element(after_tbs);
        assert_eq!(algorithm, oid(oid::ECDSA_WITH_SHA512));
        let (bits_tag, signature, _) = element(after_algorithm);
        assert_eq!((bits_tag, signature[0]), (tag::BIT_STRING, 0));

        // version, serial, algorithm, issuer, validity, subject, then the key.
        let (_, mut tbs, _) = element(tbs_der);
        for _ in 0..6 {
            tbs = element(tbs).2;
        }
        let (_, spki, _) = element(tbs);
        let (_, _, key_bits) = element(spki);
        let (_, point, _) = element(key_bits);
        let key = p521::ecdsa::VerifyingKey::from_sec1_bytes(&point[1..]).unwrap();
        let signature = p521::ecdsa::Signature::from_der(&signature[1..]).unwrap();
        key.verify(tbs_der, &signature).unwrap();
    }

    #[test]
    fn the_plugin_accepts_it_as_terraforms_client_certificate() {
        let identity = dbaas::plugin::tls::generate_server_identity().unwrap();
        dbaas::plugin::tls::server_config(&identity, &generate().unwrap()).unwrap();
    }

    #[test]
    fn writes_der_like_go() {
        assert_eq!(
            oid(oid::SECP521R1),
            [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23]
        );
        assert_eq!(
            oid(oid::ECDSA_WITH_SHA512),
            [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04]
        );
        assert_eq!(unsigned_integer(&[0, 0, 0x80]), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(unsigned_integer(&[0, 0]), [0x02, 0x01, 0x00]);
        assert_eq!(tlv(0x04, &[7; 200])[..3], [0x04, 0x81, 200]);
        let at = |y, mo, d| {
            time::Date::from_calendar_date(y, time::Month::try_from(mo).unwrap(), d)
                .unwrap()
                .with_hms(1, 2, 3)
                .unwrap()
                .assume_utc()
        };
        assert_eq!(der_time(at(2049, 12, 31)).unwrap()[2..], *b"491231010203Z");
        assert_eq!(der_time(at(2056, 1, 2)).unwrap()[2..], *b"20560102010203Z");
    }
}
