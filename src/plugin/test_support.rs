//! Shorthands the plugin layer's unit tests use to spell out [`Dynamic`] trees and wire bytes.
//!
//! The codec and bridge tests write expected values by the dozen; one set of builders keeps
//! them short and makes every test read the same way, instead of each module keeping its own
//! slightly different copy.

use super::dynamic::{Dynamic, Number};

pub(super) fn string(text: &str) -> Dynamic {
    Dynamic::String(text.to_string())
}

pub(super) fn int(n: i64) -> Dynamic {
    Dynamic::Number(Number::Int(n))
}

pub(super) fn float(f: f64) -> Dynamic {
    Dynamic::Number(Number::Float(f))
}

pub(super) fn big(text: &str) -> Dynamic {
    Dynamic::Number(Number::Big(text.to_string()))
}

pub(super) fn object(entries: &[(&str, Dynamic)]) -> Dynamic {
    Dynamic::Object(
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

pub(super) fn map(entries: &[(&str, Dynamic)]) -> Dynamic {
    Dynamic::Map(
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

/// Bytes as spaced hex pairs (`82 a1 61`), the way MessagePack dumps are written.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The inverse of [`hex`].
pub(super) fn unhex(text: &str) -> Vec<u8> {
    text.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

/// Encoded JSON as text, for comparing with a literal.
pub(super) fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}
