//! Just enough DER for one certificate: a writer for the elements the server certificate is
//! made of, and a reader that walks a client certificate to its public key.
//!
//! Both are small and strict on purpose. The writer only ever sees our own input; the reader
//! sees whatever `PLUGIN_CLIENT_CERT` holds, so it checks every length and tag and never
//! panics, and it decides nothing about trust (that is the pin's job, in `verifier`).

/// Object identifiers, as arcs.
pub(super) mod oid {
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

/// Tag bytes of the universal types used, and the context-specific forms.
pub(super) mod tag {
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

pub(super) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
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

pub(super) fn constructed(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    tlv(tag, &parts.concat())
}

pub(super) fn sequence(parts: &[&[u8]]) -> Vec<u8> {
    constructed(tag::SEQUENCE, parts)
}

pub(super) fn oid_content(arcs: &[u64]) -> Vec<u8> {
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

pub(super) fn oid(arcs: &[u64]) -> Vec<u8> {
    tlv(tag::OID, &oid_content(arcs))
}

/// A non-negative INTEGER from big-endian magnitude bytes.
pub(super) fn unsigned_integer(magnitude: &[u8]) -> Vec<u8> {
    let skip = magnitude.iter().take_while(|&&b| b == 0).count();
    let digits = &magnitude[skip..];
    match digits.first() {
        None => tlv(tag::INTEGER, &[0]),
        Some(&b) if b & 0x80 != 0 => tlv(tag::INTEGER, &[&[0u8][..], digits].concat()),
        Some(_) => tlv(tag::INTEGER, digits),
    }
}

pub(super) fn bit_string(unused_bits: u8, bytes: &[u8]) -> Vec<u8> {
    tlv(tag::BIT_STRING, &[&[unused_bits][..], bytes].concat())
}

/// A named BIT STRING (KeyUsage) whose bits all fall in the first octet; DER
/// drops trailing zero bits.
pub(super) fn named_bits(first_octet: u8) -> Vec<u8> {
    if first_octet == 0 {
        return bit_string(0, &[]);
    }
    bit_string(first_octet.trailing_zeros() as u8, &[first_octet])
}

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

/// Walks DER elements in order, one `read` per expected element.
pub(super) struct DerReader<'a> {
    rest: &'a [u8],
}

impl<'a> DerReader<'a> {
    pub(super) fn new(input: &'a [u8]) -> Self {
        Self { rest: input }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub(super) fn read_any(&mut self) -> Result<(u8, &'a [u8]), DerError> {
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

    pub(super) fn read(&mut self, expected: u8) -> Result<&'a [u8], DerError> {
        match self.rest.first() {
            Some(&found) if found != expected => Err(DerError::UnexpectedTag { expected, found }),
            _ => self.read_any().map(|(_, content)| content),
        }
    }

    pub(super) fn read_optional(&mut self, expected: u8) -> Result<Option<&'a [u8]>, DerError> {
        if self.rest.first() == Some(&expected) {
            self.read(expected).map(Some)
        } else {
            Ok(None)
        }
    }

    pub(super) fn finish(&self) -> Result<(), DerError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DerError::TrailingData)
        }
    }
}

/// The parts of a certificate's subjectPublicKeyInfo the verifier needs.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct SubjectPublicKey<'a> {
    /// OID content octets of the key algorithm.
    pub(super) algorithm: &'a [u8],
    /// The algorithm's parameters element, tag and content, if any.
    pub(super) parameters: Option<(u8, &'a [u8])>,
    /// The subjectPublicKey BIT STRING's bytes (SEC1 point for EC keys).
    pub(super) key: &'a [u8],
}

impl SubjectPublicKey<'_> {
    pub(super) fn is_ec_on(&self, curve: &[u64]) -> bool {
        self.algorithm == oid_content(oid::ID_EC_PUBLIC_KEY).as_slice()
            && self.parameters == Some((tag::OID, oid_content(curve).as_slice()))
    }
}

/// Certificate → tbsCertificate → subjectPublicKeyInfo, checking only the
/// framing on the way: the pin, not this parse, is what grants trust.
pub(super) fn subject_public_key_info(cert: &[u8]) -> Result<SubjectPublicKey<'_>, DerError> {
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
    use crate::plugin::tls::certificate::{
        certificate, KU_DIGITAL_SIGNATURE, KU_KEY_AGREEMENT, KU_KEY_CERT_SIGN, KU_KEY_ENCIPHERMENT,
    };
    use crate::plugin::tls::test_support::go_client;

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
}
