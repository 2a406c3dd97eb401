//! Terraform's JSON encoding of values: `RawState.json` (stored state handed to
//! `UpgradeResourceState`) and the JSON alternative of `DynamicValue`.
//!
//! Stored state was written against whatever schema the provider had when it was saved, so
//! decoding must cope with attributes that schema had and this one lacks ([`decode_lenient`],
//! for state upgrades) as well as ones it did not have yet (missing attributes become null).
//! The conversions cty's JSON decoder applies (a string holding a number or bool for those
//! types, a number or bool for a string) are applied too, since state written by older SDKs
//! relies on them.
//!
//! Numbers stay exact. `serde_json` (without its `arbitrary_precision` feature, which would
//! change `serde_json::Value` for the whole crate) only hands out `u64`/`i64`/`f64`, so the
//! document is parsed with a visitor that pairs each number `serde_json` reports with its
//! literal text, found by a scan of the input for number tokens in document order. The literal
//! is then classified like a MessagePack decimal string: `Int` within `i64`, `Float` when an
//! `f64` prints back as the same decimal, `Big` (the literal itself) otherwise. The one loss is
//! inherited from `serde_json`: a literal beyond `f64`'s range (about 1.8e308) is rejected as
//! out of range rather than kept as a `Big`.
//!
//! Reading ([`decode()`], [`decode_lenient`]) and writing ([`encode()`]) share nothing but the
//! rules of the type, so each has a module of its own.

use super::codec_error::CodecError;
use super::dynamic::{Dynamic, Type};

mod decode;
mod encode;

use decode::Extra;

/// Decodes Terraform JSON of type `ty`, rejecting attributes the type does not have.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Dynamic, CodecError> {
    decode::read_document(bytes, ty, Extra::Reject)
}

/// Decodes Terraform JSON of type `ty`, dropping object attributes the type does not have, at
/// any depth: for stored state written by a provider version whose schema had attributes this
/// one has removed. Everything else is as strict as [`decode()`].
pub fn decode_lenient(bytes: &[u8], ty: &Type) -> Result<Dynamic, CodecError> {
    decode::read_document(bytes, ty, Extra::Ignore)
}

/// Encodes `value` as Terraform JSON for the type `ty`, under the same type-directed rules as
/// the MessagePack encoder. JSON has no unknown values, so any unknown is an error.
pub fn encode(value: &Dynamic, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    encode::write_value(&mut out, value, ty)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::test_support::{big, float, int, map, object, string, text};

    #[track_caller]
    fn assert_round_trip(value: Dynamic, ty: &Type) {
        let bytes = encode(&value, ty).unwrap();
        assert_eq!(
            decode(&bytes, ty).unwrap(),
            value,
            "{}",
            String::from_utf8_lossy(&bytes)
        );
    }

    #[test]
    fn every_type_round_trips() {
        assert_round_trip(Dynamic::Bool(true), &Type::Bool);
        assert_round_trip(string("line\n\"quoted\" é"), &Type::String);
        assert_round_trip(int(-42), &Type::Number);
        assert_round_trip(float(0.375), &Type::Number);
        assert_round_trip(big("0.1"), &Type::Number);
        assert_round_trip(big("1.5e300"), &Type::Number);
        assert_round_trip(big("123456789012345678901234567890"), &Type::Number);
        assert_round_trip(Dynamic::Null, &Type::list(Type::String));
        assert_round_trip(
            Dynamic::List(vec![string("a"), Dynamic::Null]),
            &Type::list(Type::String),
        );
        assert_round_trip(Dynamic::Set(vec![int(2), int(1)]), &Type::set(Type::Number));
        assert_round_trip(
            Dynamic::Tuple(vec![string("a"), Dynamic::Bool(false)]),
            &Type::Tuple(vec![Type::String, Type::Bool]),
        );
        assert_round_trip(
            map(&[("k", string("v")), ("z", Dynamic::Null)]),
            &Type::map(Type::String),
        );
        let ty = Type::object([
            ("id", Type::String),
            (
                "window",
                Type::object([("day", Type::String), ("hour", Type::Number)]),
            ),
            ("tags", Type::set(Type::String)),
        ]);
        assert_round_trip(
            object(&[
                ("id", string("x")),
                (
                    "window",
                    object(&[("day", string("mon")), ("hour", int(3))]),
                ),
                ("tags", Dynamic::Set(vec![string("a")])),
            ]),
            &ty,
        );
        let ty = Type::object([("settings", Type::Dynamic)]);
        for value in [
            string("x"),
            Dynamic::List(vec![int(1), int(2)]),
            object(&[("a", int(1)), ("b", string("two"))]),
            Dynamic::Tuple(vec![string("a"), int(1)]),
            Dynamic::Null,
        ] {
            assert_round_trip(object(&[("settings", value)]), &ty);
        }
    }

    #[test]
    fn encoding_follows_the_type() {
        let items = Dynamic::List(vec![string("a")]);
        let bytes = encode(&items, &Type::set(Type::String)).unwrap();
        assert_eq!(text(bytes.clone()), r#"["a"]"#);
        assert_eq!(
            decode(&bytes, &Type::set(Type::String)).unwrap(),
            Dynamic::Set(vec![string("a")])
        );
        let bytes = encode(&object(&[("k", int(1))]), &Type::map(Type::Number)).unwrap();
        assert_eq!(
            decode(&bytes, &Type::map(Type::Number)).unwrap(),
            map(&[("k", int(1))])
        );
        assert_eq!(text(encode(&string("7"), &Type::Number).unwrap()), "7");
        assert_eq!(text(encode(&float(2.0), &Type::Number).unwrap()), "2");
        assert_eq!(text(encode(&float(0.25), &Type::Number).unwrap()), "0.25");
    }

    #[test]
    fn dynamic_values() {
        let bytes = encode(&Dynamic::List(vec![string("a")]), &Type::Dynamic).unwrap();
        assert_eq!(text(bytes), r#"{"value":["a"],"type":["list","string"]}"#);
        let value = decode(
            br#"{"type":["map","number"],"value":{"x":1}}"#,
            &Type::Dynamic,
        )
        .unwrap();
        assert_eq!(value, map(&[("x", int(1))]));
        assert_eq!(decode(b"null", &Type::Dynamic).unwrap(), Dynamic::Null);
        assert!(decode(br#"{"value":1}"#, &Type::Dynamic).is_err());
        assert!(decode(br#"{"type":"number"}"#, &Type::Dynamic).is_err());
        assert!(decode(br#"{"type":"number","value":1,"x":2}"#, &Type::Dynamic).is_err());
        assert!(decode(br#"{"type":"nonsense","value":1}"#, &Type::Dynamic).is_err());
        assert!(decode(b"1", &Type::Dynamic).is_err());
    }

    #[test]
    fn errors_name_the_path() {
        let ty = Type::object([(
            "maintenance_window",
            Type::list(Type::object([("day", Type::Number)])),
        )]);
        let error = decode(br#"{"maintenance_window":[{"day":"monday"}]}"#, &ty).unwrap_err();
        assert_eq!(error.path(), ".maintenance_window[0].day");
        assert_eq!(
            error.to_string(),
            ".maintenance_window[0].day: a number is required, got the string \"monday\""
        );
        let ty = Type::map(Type::Number);
        assert_eq!(
            decode(br#"{"a b":true}"#, &ty).unwrap_err().path(),
            r#"["a b"]"#
        );
        let ty = Type::object([("a", Type::String)]);
        let error = encode(&object(&[("b", string("x"))]), &ty).unwrap_err();
        assert_eq!(error.path(), ".b");
    }
}
