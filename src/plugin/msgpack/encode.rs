//! The MessagePack encoder: a [`Dynamic`] tree to the bytes Terraform expects, with the
//! schema's [`Type`] deciding every wire form.
//!
//! Kept apart from the decoder because the two directions share no logic, only marker bytes:
//! encoding picks the one form cty would write, decoding must accept every form Terraform may
//! send.

use std::collections::BTreeMap;

use super::{FALSE, NIL, TRUE};
use crate::plugin::codec_error::CodecError;
use crate::plugin::dynamic::{exact_i64, Dynamic, Number, Type};

/// A wholly unknown value: fixext1 of extension type 0 with a zero payload byte, exactly what
/// cty writes. Refinements are never sent back: the provider only ever returns what it knows,
/// and an unrefined unknown is always a valid (if less precise) answer.
const UNKNOWN: [u8; 3] = [0xd4, 0x00, 0x00];

/// Appends `value`, of type `ty`, to `out`.
pub(super) fn write_value(out: &mut Vec<u8>, value: &Dynamic, ty: &Type) -> Result<(), CodecError> {
    // Null and unknown look the same under every type, including `dynamic`: cty only wraps a
    // value in its type when that type is known, and ours never is for these two.
    match value {
        Dynamic::Null => {
            out.push(NIL);
            return Ok(());
        }
        Dynamic::Unknown => {
            out.extend_from_slice(&UNKNOWN);
            return Ok(());
        }
        _ => {}
    }
    match ty {
        Type::Dynamic => {
            let actual = value.implied_type()?;
            write_array_len(out, 2)?;
            // The type goes as bin, like cty; Terraform's decoder takes bin or str.
            write_bin(out, actual.to_json().to_string().as_bytes())?;
            write_value(out, value, &actual)
        }
        Type::Bool => match value {
            Dynamic::Bool(b) => {
                out.push(if *b { TRUE } else { FALSE });
                Ok(())
            }
            other => Err(other.mismatch("a bool")),
        },
        Type::Number => write_number(out, value.to_number()?.as_ref()),
        Type::String => match value {
            Dynamic::String(text) => write_str(out, text),
            other => Err(other.mismatch("a string")),
        },
        Type::List(element) | Type::Set(element) => {
            let items = sequence(value, ty)?;
            write_array_len(out, items.len())?;
            for (index, item) in items.iter().enumerate() {
                write_value(out, item, element).map_err(|e| e.in_index(index))?;
            }
            Ok(())
        }
        Type::Tuple(elements) => {
            let items = sequence(value, ty)?;
            if items.len() != elements.len() {
                return Err(CodecError::tuple_length(elements.len(), items.len()));
            }
            write_array_len(out, items.len())?;
            for (index, (item, element)) in items.iter().zip(elements).enumerate() {
                write_value(out, item, element).map_err(|e| e.in_index(index))?;
            }
            Ok(())
        }
        Type::Map(element) => {
            let entries = keyed(value, ty)?;
            write_map_len(out, entries.len())?;
            for (key, item) in entries {
                write_str(out, key)?;
                write_value(out, item, element).map_err(|e| e.in_key(key))?;
            }
            Ok(())
        }
        Type::Object { attributes, .. } => {
            let entries = keyed(value, ty)?;
            if let Some(extra) = entries.keys().find(|name| !attributes.contains_key(*name)) {
                return Err(CodecError::no_such_attribute(extra));
            }
            // BTreeMap order is byte order, the same as cty's sort.Strings, so the bytes match
            // what Terraform itself would produce for the value.
            write_map_len(out, attributes.len())?;
            for (name, attribute) in attributes {
                write_str(out, name)?;
                let item = entries.get(name).unwrap_or(&Dynamic::Null);
                write_value(out, item, attribute).map_err(|e| e.in_attribute(name))?;
            }
            Ok(())
        }
    }
}

fn sequence<'v>(value: &'v Dynamic, ty: &Type) -> Result<&'v [Dynamic], CodecError> {
    match value {
        Dynamic::List(items) | Dynamic::Set(items) | Dynamic::Tuple(items) => Ok(items),
        other => Err(other.mismatch(&format!("a {}", kind(ty)))),
    }
}

fn keyed<'v>(value: &'v Dynamic, ty: &Type) -> Result<&'v BTreeMap<String, Dynamic>, CodecError> {
    match value {
        Dynamic::Map(entries) | Dynamic::Object(entries) => Ok(entries),
        other => Err(other.mismatch(&format!("a {}", kind(ty)))),
    }
}

fn kind(ty: &Type) -> &'static str {
    match ty {
        Type::Bool => "bool",
        Type::Number => "number",
        Type::String => "string",
        Type::Dynamic => "dynamic value",
        Type::List(_) => "list",
        Type::Set(_) => "set",
        Type::Map(_) => "map",
        Type::Object { .. } => "object",
        Type::Tuple(_) => "tuple",
    }
}

fn write_number(out: &mut Vec<u8>, number: &Number) -> Result<(), CodecError> {
    match number {
        Number::Int(n) => {
            write_int(out, *n);
            Ok(())
        }
        Number::Float(f) => write_float(out, *f),
        Number::Big(text) => match Number::parse(text) {
            // cty sends any number that is exactly an i64 as an int, whatever its origin.
            Some(Number::Int(n)) => {
                write_int(out, n);
                Ok(())
            }
            // Strings are the one form that keeps every digit; Terraform parses them back
            // with its own arbitrary-precision parser.
            Some(_) => write_str(out, text),
            None => Err(CodecError::new(format!("{text:?} is not a decimal number"))),
        },
    }
}

/// The smallest MessagePack integer for `n`, unsigned forms for non-negative values, the way
/// cty's encoder (with compact ints) writes them.
fn write_int(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        let n = n as u64;
        if n <= 0x7f {
            out.push(n as u8);
        } else if n <= u8::MAX as u64 {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= u16::MAX as u64 {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= u32::MAX as u64 {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&n.to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= i8::MIN as i64 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= i16::MIN as i64 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= i32::MIN as i64 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn write_float(out: &mut Vec<u8>, f: f64) -> Result<(), CodecError> {
    if f.is_nan() {
        return Err(CodecError::new("NaN is not a Terraform number"));
    }
    // An integral float goes as an int, as cty does: Terraform compares numbers by value, but
    // an int keeps the wire bytes identical to what Terraform would send for the same value.
    match exact_i64(f) {
        Some(n) => write_int(out, n),
        None => {
            out.push(0xcb);
            out.extend_from_slice(&f.to_be_bytes());
        }
    }
    Ok(())
}

fn write_str(out: &mut Vec<u8>, text: &str) -> Result<(), CodecError> {
    write_len(out, text.len(), &STR)?;
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

fn write_bin(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), CodecError> {
    write_len(out, bytes.len(), &BIN)?;
    out.extend_from_slice(bytes);
    Ok(())
}

fn write_array_len(out: &mut Vec<u8>, len: usize) -> Result<(), CodecError> {
    write_len(out, len, &ARRAY)
}

fn write_map_len(out: &mut Vec<u8>, len: usize) -> Result<(), CodecError> {
    write_len(out, len, &MAP)
}

/// The header forms a length can take for one kind of value. MessagePack packs short lengths
/// into the marker byte itself (the "fix" forms) and otherwise follows the marker with an 8-,
/// 16- or 32-bit length; not every kind has every form.
struct LengthForms {
    /// The fix marker and the largest length it holds.
    fix: Option<(u8, usize)>,
    len8: Option<u8>,
    len16: u8,
    len32: u8,
    /// The kind, for the error about a length beyond 32 bits.
    what: &'static str,
}

const STR: LengthForms = LengthForms {
    fix: Some((0xa0, 31)),
    len8: Some(0xd9),
    len16: 0xda,
    len32: 0xdb,
    what: "string",
};
const BIN: LengthForms = LengthForms {
    fix: None,
    len8: Some(0xc4),
    len16: 0xc5,
    len32: 0xc6,
    what: "binary",
};
const ARRAY: LengthForms = LengthForms {
    fix: Some((0x90, 15)),
    len8: None,
    len16: 0xdc,
    len32: 0xdd,
    what: "array",
};
const MAP: LengthForms = LengthForms {
    fix: Some((0x80, 15)),
    len8: None,
    len16: 0xde,
    len32: 0xdf,
    what: "map",
};

/// The smallest header `forms` allows for `len`, as cty writes it.
fn write_len(out: &mut Vec<u8>, len: usize, forms: &LengthForms) -> Result<(), CodecError> {
    match (forms.fix, forms.len8) {
        (Some((marker, max)), _) if len <= max => out.push(marker | len as u8),
        (_, Some(marker)) if len <= u8::MAX as usize => out.extend_from_slice(&[marker, len as u8]),
        _ if len <= u16::MAX as usize => {
            out.push(forms.len16);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(forms.len32);
            out.extend_from_slice(&length_u32(len, forms.what)?.to_be_bytes());
        }
    }
    Ok(())
}

fn length_u32(len: usize, what: &str) -> Result<u32, CodecError> {
    u32::try_from(len)
        .map_err(|_| CodecError::new(format!("{what} of {len} items is too long for MessagePack")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::msgpack::encode;
    use crate::plugin::test_support::{hex, int, map, object, string};

    #[test]
    fn small_object_is_byte_exact() {
        let ty = Type::object([("a", Type::String), ("b", Type::Number)]);
        let bytes = encode(&object(&[("a", string("x")), ("b", Dynamic::Null)]), &ty).unwrap();
        assert_eq!(hex(&bytes), "82 a1 61 a1 78 a1 62 c0");
        // A missing attribute goes out as null all the same.
        let bytes = encode(&object(&[("a", string("x"))]), &ty).unwrap();
        assert_eq!(hex(&bytes), "82 a1 61 a1 78 a1 62 c0");
    }

    #[test]
    fn object_attributes_are_sorted_by_name() {
        let ty = Type::object([("b", Type::Bool), ("a", Type::Bool), ("B", Type::Bool)]);
        let value = object(&[
            ("a", Dynamic::Bool(true)),
            ("b", Dynamic::Bool(false)),
            ("B", Dynamic::Null),
        ]);
        assert_eq!(
            hex(&encode(&value, &ty).unwrap()),
            "83 a1 42 c0 a1 61 c3 a1 62 c2"
        );
    }

    #[test]
    fn sixteen_elements_use_array16_and_map16() {
        let items: Vec<Dynamic> = (0..16).map(|_| Dynamic::Null).collect();
        let bytes = encode(&Dynamic::List(items), &Type::list(Type::String)).unwrap();
        assert_eq!(hex(&bytes[..3]), "dc 00 10");
        let entries: BTreeMap<String, Dynamic> = (0..16)
            .map(|i| (format!("{i:02}"), Dynamic::Null))
            .collect();
        let bytes = encode(&Dynamic::Map(entries), &Type::map(Type::String)).unwrap();
        assert_eq!(hex(&bytes[..3]), "de 00 10");
    }

    #[test]
    fn unknown_encodes_as_fixext1_type_0() {
        assert_eq!(
            hex(&encode(&Dynamic::Unknown, &Type::String).unwrap()),
            "d4 00 00"
        );
        assert_eq!(
            hex(&encode(&Dynamic::Unknown, &Type::Dynamic).unwrap()),
            "d4 00 00"
        );
        let ty = Type::object([("id", Type::String)]);
        assert_eq!(
            hex(&encode(&object(&[("id", Dynamic::Unknown)]), &ty).unwrap()),
            "81 a2 69 64 d4 00 00"
        );
    }

    #[test]
    fn dynamic_type_json_is_the_schema_form() {
        let value = Dynamic::List(vec![object(&[("n", int(1))])]);
        let bytes = encode(&value, &Type::Dynamic).unwrap();
        let expected_type = br#"["list",["object",{"n":"number"}]]"#;
        assert_eq!(&bytes[..3], &[0x92, 0xc4, expected_type.len() as u8]);
        assert_eq!(&bytes[3..3 + expected_type.len()], expected_type);
    }

    #[test]
    fn encoding_errors_name_the_path() {
        let ty = Type::object([(
            "maintenance_window",
            Type::list(Type::object([
                ("day", Type::String),
                ("hour", Type::String),
            ])),
        )]);
        let value = object(&[(
            "maintenance_window",
            Dynamic::List(vec![object(&[("day", int(1))])]),
        )]);
        let error = encode(&value, &ty).unwrap_err();
        assert_eq!(error.path(), ".maintenance_window[0].day");
        assert_eq!(
            error.to_string(),
            ".maintenance_window[0].day: a string is required, got a number"
        );

        let value = object(&[(
            "maintenance_window",
            Dynamic::List(vec![object(&[("dya", string("monday"))])]),
        )]);
        assert_eq!(
            encode(&value, &ty).unwrap_err().path(),
            ".maintenance_window[0].dya"
        );

        let ty = Type::object([("tags", Type::map(Type::Number))]);
        let value = object(&[("tags", map(&[("env", string("prod"))]))]);
        assert_eq!(encode(&value, &ty).unwrap_err().path(), r#".tags["env"]"#);

        let error = encode(&int(1), &Type::list(Type::String)).unwrap_err();
        assert_eq!(error.to_string(), "a list is required, got a number");
        let tuple = Type::Tuple(vec![Type::String]);
        assert!(encode(&Dynamic::List(vec![]), &tuple).is_err());
    }
}
