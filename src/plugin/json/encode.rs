//! Writing Terraform JSON from a [`Dynamic`] tree, under the same type-directed rules as the
//! MessagePack encoder.
//!
//! The output is built by hand rather than through `serde_json::Value` so that numbers keep
//! every digit (a `Big` is written as the literal it spells) and attributes come out in the
//! type's order.

use std::collections::BTreeMap;

use crate::plugin::codec_error::CodecError;
use crate::plugin::dynamic::{exact_i64, json_number_literal, Dynamic, Number, Type};

/// Appends `value`, of type `ty`, to `out`.
pub(super) fn write_value(out: &mut Vec<u8>, value: &Dynamic, ty: &Type) -> Result<(), CodecError> {
    match value {
        Dynamic::Null => {
            out.extend_from_slice(b"null");
            return Ok(());
        }
        Dynamic::Unknown => {
            return Err(CodecError::new(
                "an unknown value cannot be written as JSON",
            ));
        }
        _ => {}
    }
    match ty {
        Type::Dynamic => {
            let actual = value.implied_type()?;
            out.extend_from_slice(br#"{"value":"#);
            write_value(out, value, &actual)?;
            out.extend_from_slice(br#","type":"#);
            out.extend_from_slice(actual.to_json().to_string().as_bytes());
            out.push(b'}');
            Ok(())
        }
        Type::Bool => match value {
            Dynamic::Bool(b) => {
                out.extend_from_slice(if *b { b"true" } else { b"false" });
                Ok(())
            }
            other => Err(other.mismatch("a bool")),
        },
        Type::Number => write_number(out, value.to_number()?.as_ref()),
        Type::String => match value {
            Dynamic::String(text) => {
                write_string(out, text);
                Ok(())
            }
            other => Err(other.mismatch("a string")),
        },
        Type::List(element) | Type::Set(element) => {
            let items = sequence(value, ty)?;
            write_items(out, items.iter().zip(std::iter::repeat(&**element)))
        }
        Type::Tuple(elements) => {
            let items = sequence(value, ty)?;
            if items.len() != elements.len() {
                return Err(CodecError::tuple_length(elements.len(), items.len()));
            }
            write_items(out, items.iter().zip(elements))
        }
        Type::Map(element) => {
            let entries = keyed(value, ty)?;
            let members = entries.iter().map(|(key, item)| (key, item, &**element));
            write_members(out, members, CodecError::in_key)
        }
        Type::Object { attributes, .. } => {
            let entries = keyed(value, ty)?;
            if let Some(extra) = entries.keys().find(|name| !attributes.contains_key(*name)) {
                return Err(CodecError::no_such_attribute(extra));
            }
            let members = attributes.iter().map(|(name, attribute)| {
                (name, entries.get(name).unwrap_or(&Dynamic::Null), attribute)
            });
            write_members(out, members, CodecError::in_attribute)
        }
    }
}

fn write_items<'a>(
    out: &mut Vec<u8>,
    items: impl Iterator<Item = (&'a Dynamic, &'a Type)>,
) -> Result<(), CodecError> {
    out.push(b'[');
    for (index, (item, element)) in items.enumerate() {
        if index > 0 {
            out.push(b',');
        }
        write_value(out, item, element).map_err(|e| e.in_index(index))?;
    }
    out.push(b']');
    Ok(())
}

/// A JSON object of `(name, value, type)` members; `within` places a member's error in the
/// path, as a map key or as an attribute.
fn write_members<'a>(
    out: &mut Vec<u8>,
    members: impl Iterator<Item = (&'a String, &'a Dynamic, &'a Type)>,
    within: fn(CodecError, &str) -> CodecError,
) -> Result<(), CodecError> {
    out.push(b'{');
    for (index, (name, item, ty)) in members.enumerate() {
        if index > 0 {
            out.push(b',');
        }
        write_string(out, name);
        out.push(b':');
        write_value(out, item, ty).map_err(|e| within(e, name))?;
    }
    out.push(b'}');
    Ok(())
}

fn sequence<'v>(value: &'v Dynamic, ty: &Type) -> Result<&'v [Dynamic], CodecError> {
    match value {
        Dynamic::List(items) | Dynamic::Set(items) | Dynamic::Tuple(items) => Ok(items),
        other => Err(other.mismatch(if matches!(ty, Type::Tuple(_)) {
            "a tuple"
        } else {
            "a list"
        })),
    }
}

fn keyed<'v>(value: &'v Dynamic, ty: &Type) -> Result<&'v BTreeMap<String, Dynamic>, CodecError> {
    match value {
        Dynamic::Map(entries) | Dynamic::Object(entries) => Ok(entries),
        other => Err(other.mismatch(if matches!(ty, Type::Map(_)) {
            "a map"
        } else {
            "an object"
        })),
    }
}

fn write_string(out: &mut Vec<u8>, text: &str) {
    // serde_json's escaping is the canonical one; writing to a Vec cannot fail.
    serde_json::to_writer(&mut *out, text).expect("writing JSON to memory");
}

fn write_number(out: &mut Vec<u8>, number: &Number) -> Result<(), CodecError> {
    let literal = match number {
        Number::Int(n) => n.to_string(),
        Number::Float(f) if !f.is_finite() => {
            return Err(CodecError::new(format!(
                "{f} cannot be written as a JSON number"
            )));
        }
        Number::Float(f) => match exact_i64(*f) {
            Some(n) => n.to_string(),
            None => serde_json::to_string(f).expect("a finite float is valid JSON"),
        },
        Number::Big(text) => json_number_literal(text)
            .ok_or_else(|| CodecError::new(format!("{text:?} is not a decimal number")))?,
    };
    out.extend_from_slice(literal.as_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::plugin::dynamic::{Dynamic, Type};
    use crate::plugin::json::encode;
    use crate::plugin::test_support::{big, float, object, string, text};

    #[test]
    fn small_object_is_exact() {
        let ty = Type::object([("b", Type::Number), ("a", Type::String)]);
        let bytes = encode(&object(&[("a", string("x"))]), &ty).unwrap();
        assert_eq!(text(bytes), r#"{"a":"x","b":null}"#);
    }

    #[test]
    fn big_numbers_are_written_exactly() {
        let cases = [
            (
                big("123456789012345678901234567890"),
                "123456789012345678901234567890",
            ),
            (big("+12345678901234567890.5"), "12345678901234567890.5"),
            (big(".00000000000000000000001"), "0.00000000000000000000001"),
            (big("-1e400"), "-1e400"),
            (big("1.25e-400"), "1.25e-400"),
            (big("42"), "42"),
        ];
        for (value, expected) in cases {
            assert_eq!(text(encode(&value, &Type::Number).unwrap()), expected);
        }
        assert!(encode(&big("1,5"), &Type::Number).is_err());
        assert!(encode(&float(f64::INFINITY), &Type::Number).is_err());
    }

    #[test]
    fn unknowns_cannot_be_written() {
        let ty = Type::object([("nodes", Type::list(Type::object([("id", Type::String)])))]);
        let value = object(&[(
            "nodes",
            Dynamic::List(vec![object(&[("id", Dynamic::Unknown)])]),
        )]);
        let error = encode(&value, &ty).unwrap_err();
        assert_eq!(
            error.to_string(),
            ".nodes[0].id: an unknown value cannot be written as JSON"
        );
    }
}
