//! Terraform's MessagePack encoding of values (`DynamicValue.msgpack`), written by hand against
//! `docs/plugin-protocol/object-wire-format.md` and cty's `msgpack` package.
//!
//! MessagePack is how Terraform sends every config, plan and state value, and how it expects
//! them back. The format is not self-describing as far as Terraform types go (a list, a set and
//! a tuple are all arrays; a map and an object are both maps), so both directions are driven by
//! the schema's [`Type`] rather than by the shape of the [`Dynamic`]: that is what lets a value
//! built from a serde struct (always `Object`/`List`) go out as a map or a set.
//!
//! Only the small part of MessagePack Terraform uses is implemented; a general-purpose crate
//! would still need this type-directed layer on top, and unknown values (extension types) are
//! the part such crates handle least conveniently.
//!
//! The encoder ([`encode()`]) and the decoder ([`decode()`]) live in modules of their own; what
//! they share is the handful of marker bytes below. How decimal numbers are classified and
//! which type a `dynamic` value travels with is the JSON codec's business too, so that lives
//! with [`Dynamic`] and [`Number`](super::dynamic::Number).

use super::codec_error::CodecError;
use super::dynamic::{Dynamic, Type};

mod decode;
mod encode;

const NIL: u8 = 0xc0;
const FALSE: u8 = 0xc2;
const TRUE: u8 = 0xc3;

/// Encodes `value` as Terraform MessagePack for the type `ty`.
///
/// The type decides the wire form: sequences (`List`/`Set`/`Tuple`) encode as any of list, set
/// or tuple; keyed values (`Map`/`Object`) as either map or object; numbers convert between
/// int, float and big forms as needed, and a string holding a decimal number is accepted for a
/// number. Objects carry every attribute of the type, a missing one as null.
pub fn encode(value: &Dynamic, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    encode::write_value(&mut out, value, ty)?;
    Ok(out)
}

/// Decodes Terraform MessagePack of type `ty`.
///
/// The result's variants follow the type (`Set` for a set, `Map` for a map, ...). Any
/// extension value is an unknown, refined or not; missing object attributes become null.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Dynamic, CodecError> {
    decode::read_document(bytes, ty)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::plugin::test_support::{big, float, hex, int, map, object, string, unhex};

    #[track_caller]
    fn assert_round_trip(value: Dynamic, ty: &Type) {
        let bytes = encode(&value, ty).unwrap();
        assert_eq!(decode(&bytes, ty).unwrap(), value, "bytes {}", hex(&bytes));
    }

    #[test]
    fn primitives_round_trip() {
        assert_round_trip(Dynamic::Bool(true), &Type::Bool);
        assert_round_trip(Dynamic::Bool(false), &Type::Bool);
        assert_round_trip(string(""), &Type::String);
        assert_round_trip(string("héllo"), &Type::String);
        assert_round_trip(string(&"x".repeat(40)), &Type::String);
        assert_round_trip(string(&"y".repeat(300)), &Type::String);
        assert_round_trip(string(&"z".repeat(70_000)), &Type::String);
        assert_round_trip(int(42), &Type::Number);
        assert_round_trip(float(1.5), &Type::Number);
        assert_round_trip(float(-2.5e-300), &Type::Number);
        assert_round_trip(float(f64::INFINITY), &Type::Number);
        assert_round_trip(Dynamic::Null, &Type::String);
        assert_round_trip(Dynamic::Unknown, &Type::Number);
    }

    #[test]
    fn collections_round_trip() {
        let list = Dynamic::List(vec![string("a"), Dynamic::Null, Dynamic::Unknown]);
        assert_round_trip(list, &Type::list(Type::String));
        assert_round_trip(Dynamic::List(vec![]), &Type::list(Type::String));
        let set = Dynamic::Set(vec![int(3), int(1), int(2)]);
        assert_round_trip(set, &Type::set(Type::Number));
        let tuple = Dynamic::Tuple(vec![string("a"), int(1), Dynamic::Bool(true)]);
        assert_round_trip(
            tuple,
            &Type::Tuple(vec![Type::String, Type::Number, Type::Bool]),
        );
        let tags = map(&[
            ("env", string("prod")),
            ("team", string("db")),
            ("empty", Dynamic::Null),
        ]);
        assert_round_trip(tags, &Type::map(Type::String));
        let nested = Type::object([
            ("name", Type::String),
            ("sizes", Type::list(Type::Number)),
            ("labels", Type::map(Type::String)),
            (
                "window",
                Type::object([("day", Type::String), ("hour", Type::Number)]),
            ),
        ]);
        let value = object(&[
            ("name", string("db")),
            ("sizes", Dynamic::List(vec![int(1), int(2)])),
            ("labels", map(&[("a", string("b"))])),
            (
                "window",
                object(&[("day", string("monday")), ("hour", int(3))]),
            ),
        ]);
        assert_round_trip(value, &nested);
        let long: Vec<Dynamic> = (0..70_000).map(int).collect();
        assert_round_trip(Dynamic::List(long), &Type::list(Type::Number));
        let wide: BTreeMap<String, Dynamic> =
            (0..20).map(|i| (format!("k{i:02}"), int(i))).collect();
        assert_round_trip(Dynamic::Map(wide), &Type::map(Type::Number));
    }

    #[test]
    fn encoding_follows_the_type_not_the_variant() {
        let items = Dynamic::List(vec![string("a"), string("b")]);
        let as_set = encode(&items, &Type::set(Type::String)).unwrap();
        assert_eq!(hex(&as_set), "92 a1 61 a1 62");
        assert_eq!(
            decode(&as_set, &Type::set(Type::String)).unwrap(),
            Dynamic::Set(vec![string("a"), string("b")])
        );
        let as_tuple = encode(&items, &Type::Tuple(vec![Type::String, Type::String])).unwrap();
        assert_eq!(as_tuple, as_set);

        let keyed = object(&[("k", string("v"))]);
        let ty = Type::map(Type::String);
        assert_eq!(
            decode(&encode(&keyed, &ty).unwrap(), &ty).unwrap(),
            map(&[("k", string("v"))])
        );
        let ty = Type::object([("k", Type::String)]);
        assert_eq!(
            decode(&encode(&map(&[("k", string("v"))]), &ty).unwrap(), &ty).unwrap(),
            keyed
        );
    }

    #[test]
    fn integers_use_the_smallest_form() {
        let cases: [(i64, &str); 22] = [
            (0, "00"),
            (127, "7f"),
            (128, "cc 80"),
            (255, "cc ff"),
            (256, "cd 01 00"),
            (65535, "cd ff ff"),
            (65536, "ce 00 01 00 00"),
            (u32::MAX as i64, "ce ff ff ff ff"),
            (u32::MAX as i64 + 1, "cf 00 00 00 01 00 00 00 00"),
            (i64::MAX, "cf 7f ff ff ff ff ff ff ff"),
            (-1, "ff"),
            (-32, "e0"),
            (-33, "d0 df"),
            (-128, "d0 80"),
            (-129, "d1 ff 7f"),
            (-32768, "d1 80 00"),
            (-32769, "d2 ff ff 7f ff"),
            (i32::MIN as i64, "d2 80 00 00 00"),
            (i32::MIN as i64 - 1, "d3 ff ff ff ff 7f ff ff ff"),
            (i64::MIN, "d3 80 00 00 00 00 00 00 00"),
            (1000, "cd 03 e8"),
            (-1000, "d1 fc 18"),
        ];
        for (n, expected) in cases {
            let bytes = encode(&int(n), &Type::Number).unwrap();
            assert_eq!(hex(&bytes), expected, "{n}");
            assert_eq!(decode(&bytes, &Type::Number).unwrap(), int(n), "{n}");
        }
    }

    #[test]
    fn big_integers() {
        // u64 beyond i64 stays exact.
        assert_eq!(
            decode(&unhex("cf ff ff ff ff ff ff ff ff"), &Type::Number).unwrap(),
            big("18446744073709551615")
        );
        assert_eq!(
            decode(&unhex("cf 80 00 00 00 00 00 00 00"), &Type::Number).unwrap(),
            big("9223372036854775808")
        );
        let huge = "123456789012345678901234567890";
        let bytes = encode(&big(huge), &Type::Number).unwrap();
        assert_eq!(bytes[0], 0xa0 | huge.len() as u8);
        assert_eq!(decode(&bytes, &Type::Number).unwrap(), big(huge));
        // A Big that fits an i64 goes as an int, as cty would send it.
        assert_eq!(
            hex(&encode(&big("-300"), &Type::Number).unwrap()),
            "d1 fe d4"
        );
        assert!(encode(&big("12abc"), &Type::Number).is_err());
    }

    #[test]
    fn floats() {
        // float32 1.5 and 2.0; an integral value reads as an int whatever its wire form.
        assert_eq!(
            decode(&unhex("ca 3f c0 00 00"), &Type::Number).unwrap(),
            float(1.5)
        );
        assert_eq!(
            decode(&unhex("ca 40 00 00 00"), &Type::Number).unwrap(),
            int(2)
        );
        assert_eq!(
            decode(&unhex("ca c1 20 00 00"), &Type::Number).unwrap(),
            int(-10)
        );
        assert_eq!(
            decode(&unhex("cb 3f b9 99 99 99 99 99 9a"), &Type::Number).unwrap(),
            float(0.1)
        );
        assert_eq!(
            hex(&encode(&float(1.5), &Type::Number).unwrap()),
            "cb 3f f8 00 00 00 00 00 00"
        );
        assert_eq!(hex(&encode(&float(3.0), &Type::Number).unwrap()), "03");
        assert_eq!(hex(&encode(&float(-0.0), &Type::Number).unwrap()), "00");
        // 2^63 is integral but beyond i64, so it stays a float.
        assert_eq!(
            hex(&encode(&float(9_223_372_036_854_775_808.0), &Type::Number).unwrap()),
            "cb 43 e0 00 00 00 00 00 00"
        );
        assert!(encode(&float(f64::NAN), &Type::Number).is_err());
        assert!(decode(&unhex("cb 7f f8 00 00 00 00 00 00"), &Type::Number).is_err());
    }

    #[test]
    fn numbers_as_strings() {
        // Terraform sends 0.1 from configuration as a string: not exact in a float64, so it
        // must go back as the same text (Terraform 1.0 rejects the nearest float as a change).
        assert_eq!(
            decode(&unhex("a3 30 2e 31"), &Type::Number).unwrap(),
            big("0.1")
        );
        assert_eq!(
            hex(&encode(&big("0.1"), &Type::Number).unwrap()),
            "a3 30 2e 31"
        );
        assert_eq!(decode(&unhex("a2 34 32"), &Type::Number).unwrap(), int(42));
        assert_eq!(
            decode(&unhex("c4 02 34 32"), &Type::Number).unwrap(),
            int(42)
        );
        let digits = "3.14159265358979323846264338327950288";
        let mut bytes = vec![0xd9, digits.len() as u8];
        bytes.extend_from_slice(digits.as_bytes());
        assert_eq!(decode(&bytes, &Type::Number).unwrap(), big(digits));
        let error = decode(&unhex("a3 61 62 63"), &Type::Number).unwrap_err();
        assert!(error.message().contains("\"abc\""), "{error}");
        // A string value under a number type encodes as the number it spells.
        assert_eq!(hex(&encode(&string("42"), &Type::Number).unwrap()), "2a");
        assert_eq!(
            hex(&encode(&string("1.5"), &Type::Number).unwrap()),
            "cb 3f f8 00 00 00 00 00 00"
        );
        assert!(encode(&string("forty-two"), &Type::Number).is_err());
    }

    #[test]
    fn dynamic_values_travel_with_their_type() {
        // ["string" as bin, "x"]
        let bytes = encode(&string("x"), &Type::Dynamic).unwrap();
        assert_eq!(hex(&bytes), "92 c4 08 22 73 74 72 69 6e 67 22 a1 78");
        assert_eq!(decode(&bytes, &Type::Dynamic).unwrap(), string("x"));
        // Terraform may send the type as str instead of bin.
        let bytes = unhex("92 a8 22 73 74 72 69 6e 67 22 a1 78");
        assert_eq!(decode(&bytes, &Type::Dynamic).unwrap(), string("x"));
        assert_eq!(hex(&encode(&Dynamic::Null, &Type::Dynamic).unwrap()), "c0");
        assert_eq!(decode(&unhex("c0"), &Type::Dynamic).unwrap(), Dynamic::Null);

        let ty = Type::object([("settings", Type::Dynamic)]);
        let cases = [
            Dynamic::Bool(true),
            int(5),
            Dynamic::List(vec![string("a"), Dynamic::Null, string("b")]),
            Dynamic::Set(vec![int(1), int(2)]),
            Dynamic::Tuple(vec![string("a"), int(1)]),
            map(&[("a", int(1)), ("b", int(2))]),
            object(&[("a", int(1)), ("b", string("two")), ("c", Dynamic::Null)]),
            Dynamic::List(vec![
                object(&[("k", Dynamic::Null)]),
                object(&[("k", Dynamic::List(vec![string("v")]))]),
            ]),
        ];
        for value in cases {
            assert_round_trip(object(&[("settings", value)]), &ty);
        }
        // Lists and maps whose elements disagree travel as a tuple and an object.
        let mixed = Dynamic::List(vec![string("a"), int(1)]);
        let bytes = encode(&mixed, &Type::Dynamic).unwrap();
        assert_eq!(
            decode(&bytes, &Type::Dynamic).unwrap(),
            Dynamic::Tuple(vec![string("a"), int(1)])
        );
        let mixed = map(&[("a", string("x")), ("b", Dynamic::Bool(true))]);
        let bytes = encode(&mixed, &Type::Dynamic).unwrap();
        assert_eq!(
            decode(&bytes, &Type::Dynamic).unwrap(),
            object(&[("a", string("x")), ("b", Dynamic::Bool(true))])
        );
        let error = encode(&Dynamic::Set(vec![string("a"), int(1)]), &Type::Dynamic).unwrap_err();
        assert!(error.message().contains("set"), "{error}");
    }
}
