//! The MessagePack decoder: Terraform's bytes to a [`Dynamic`] tree, read as the schema's
//! [`Type`] says.
//!
//! The input comes from another process, so every read is bounds-checked and nesting is
//! limited: a malformed or hostile value is an error, never a panic or a stack overflow. It
//! accepts every header form MessagePack allows (and both forms Terraform uses for numbers),
//! where the encoder writes only the one cty would.

use std::collections::BTreeMap;

use super::{FALSE, NIL, TRUE};
use crate::plugin::codec_error::CodecError;
use crate::plugin::dynamic::{Dynamic, Number, Type};

/// Decodes a whole input: one value and nothing after it.
pub(super) fn read_document(bytes: &[u8], ty: &Type) -> Result<Dynamic, CodecError> {
    let mut reader = Reader {
        bytes,
        pos: 0,
        depth: 0,
    };
    let value = decode_value(&mut reader, ty)?;
    let left = bytes.len() - reader.pos;
    if left > 0 {
        return Err(CodecError::new(format!(
            "{left} unexpected byte(s) after the value"
        )));
    }
    Ok(value)
}

/// A cursor over the input. Every read is bounds-checked, so truncated or hostile input ends
/// in an error rather than a panic.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// How many values enclose the current one. The schema bounds nesting, except that each
    /// `dynamic` pair brings its own type, and pairs could be chained to exhaust the stack.
    depth: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Result<u8, CodecError> {
        self.bytes.get(self.pos).copied().ok_or_else(truncated)
    }

    fn byte(&mut self) -> Result<u8, CodecError> {
        let byte = self.peek()?;
        self.pos += 1;
        Ok(byte)
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], CodecError> {
        if self.bytes.len() - self.pos < len {
            return Err(truncated());
        }
        let taken = &self.bytes[self.pos..self.pos + len];
        self.pos += len;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut array = [0; N];
        array.copy_from_slice(self.take(N)?);
        Ok(array)
    }

    fn u8(&mut self) -> Result<u8, CodecError> {
        self.byte()
    }

    fn u16(&mut self) -> Result<u16, CodecError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, CodecError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }
}

fn truncated() -> CodecError {
    CodecError::new("unexpected end of MessagePack input")
}

fn is_ext(marker: u8) -> bool {
    matches!(marker, 0xd4..=0xd8 | 0xc7..=0xc9)
}

/// Skips an extension value of any type and header form. The protocol says every extension is
/// an unknown (type 0 plain, type 12 with refinements, others reserved for future kinds of
/// unknown), and refinements are optional information a provider may ignore.
fn skip_ext(reader: &mut Reader) -> Result<(), CodecError> {
    let payload = match reader.byte()? {
        0xd4 => 1,
        0xd5 => 2,
        0xd6 => 4,
        0xd7 => 8,
        0xd8 => 16,
        0xc7 => reader.u8()? as usize,
        0xc8 => reader.u16()? as usize,
        0xc9 => reader.u32()? as usize,
        other => {
            return Err(CodecError::new(format!(
                "0x{other:02x} is not an extension"
            )))
        }
    };
    // The extension type byte, then the payload.
    reader.take(1 + payload)?;
    Ok(())
}

/// Far deeper than any schema, far shallower than what would overflow a 2 MiB thread stack.
const MAX_DEPTH: usize = 256;

fn decode_value(reader: &mut Reader, ty: &Type) -> Result<Dynamic, CodecError> {
    if reader.depth >= MAX_DEPTH {
        return Err(CodecError::new("value nested too deeply"));
    }
    reader.depth += 1;
    let value = decode_nested(reader, ty);
    reader.depth -= 1;
    value
}

fn decode_nested(reader: &mut Reader, ty: &Type) -> Result<Dynamic, CodecError> {
    let marker = reader.peek()?;
    if is_ext(marker) {
        skip_ext(reader)?;
        return Ok(Dynamic::Unknown);
    }
    if marker == NIL {
        reader.pos += 1;
        return Ok(Dynamic::Null);
    }
    match ty {
        Type::Dynamic => {
            let len = read_array_len(reader, "a [type, value] pair for a dynamic value")?;
            if len != 2 {
                return Err(CodecError::new(format!(
                    "a dynamic value must be a [type, value] pair, got an array of {len}"
                )));
            }
            let type_json = read_bytes(reader, "the JSON type of a dynamic value")?;
            let actual = serde_json::from_slice(type_json)
                .map_err(|e| e.to_string())
                .and_then(|json| Type::from_json(&json))
                .map_err(|e| CodecError::new(format!("invalid type of a dynamic value: {e}")))?;
            decode_value(reader, &actual)
        }
        Type::Bool => match reader.byte()? {
            TRUE => Ok(Dynamic::Bool(true)),
            FALSE => Ok(Dynamic::Bool(false)),
            other => Err(wrong_marker("a bool", other)),
        },
        Type::Number => decode_number(reader).map(Dynamic::Number),
        Type::String => {
            let bytes = read_bytes(reader, "a string")?;
            Ok(Dynamic::String(utf8(bytes)?))
        }
        Type::List(element) => Ok(Dynamic::List(decode_items(reader, element, "a list")?)),
        Type::Set(element) => Ok(Dynamic::Set(decode_items(reader, element, "a set")?)),
        Type::Tuple(elements) => {
            let len = read_array_len(reader, "a tuple")?;
            if len != elements.len() {
                return Err(CodecError::tuple_length(elements.len(), len));
            }
            let mut items = Vec::with_capacity(len);
            for (index, element) in elements.iter().enumerate() {
                items.push(decode_value(reader, element).map_err(|e| e.in_index(index))?);
            }
            Ok(Dynamic::Tuple(items))
        }
        Type::Map(element) => {
            let len = read_map_len(reader, "a map")?;
            let mut entries = BTreeMap::new();
            for _ in 0..len {
                let key = read_key(reader)?;
                let item = decode_value(reader, element).map_err(|e| e.in_key(&key))?;
                if entries.insert(key.clone(), item).is_some() {
                    return Err(CodecError::new("duplicate map key").in_key(&key));
                }
            }
            Ok(Dynamic::Map(entries))
        }
        Type::Object { attributes, .. } => {
            let len = read_map_len(reader, "an object")?;
            let mut entries = BTreeMap::new();
            for _ in 0..len {
                let name = read_key(reader)?;
                let Some(attribute) = attributes.get(&name) else {
                    return Err(CodecError::no_such_attribute(&name));
                };
                let item = decode_value(reader, attribute).map_err(|e| e.in_attribute(&name))?;
                if entries.insert(name.clone(), item).is_some() {
                    return Err(CodecError::new("duplicate attribute").in_attribute(&name));
                }
            }
            // Terraform always sends every attribute, but a null is the only sensible reading
            // of one it leaves out, and it keeps every Object complete for the type.
            for name in attributes.keys() {
                entries.entry(name.clone()).or_insert(Dynamic::Null);
            }
            Ok(Dynamic::Object(entries))
        }
    }
}

fn decode_items(
    reader: &mut Reader,
    element: &Type,
    what: &str,
) -> Result<Vec<Dynamic>, CodecError> {
    let len = read_array_len(reader, what)?;
    // Every element takes at least one byte, so this bounds the allocation by the input size
    // however large a length the header claims.
    let mut items = Vec::with_capacity(len.min(reader.remaining()));
    for index in 0..len {
        items.push(decode_value(reader, element).map_err(|e| e.in_index(index))?);
    }
    Ok(items)
}

fn decode_number(reader: &mut Reader) -> Result<Number, CodecError> {
    let marker = reader.byte()?;
    let number = match marker {
        0x00..=0x7f => Number::Int(marker as i64),
        0xe0..=0xff => Number::Int(marker as i8 as i64),
        0xcc => Number::Int(reader.u8()? as i64),
        0xcd => Number::Int(reader.u16()? as i64),
        0xce => Number::Int(reader.u32()? as i64),
        0xcf => {
            let n = reader.u64()?;
            match i64::try_from(n) {
                Ok(n) => Number::Int(n),
                Err(_) => Number::parse(&n.to_string()).expect("an integer is a decimal"),
            }
        }
        0xd0 => Number::Int(reader.u8()? as i8 as i64),
        0xd1 => Number::Int(reader.u16()? as i16 as i64),
        0xd2 => Number::Int(reader.u32()? as i32 as i64),
        0xd3 => Number::Int(reader.u64()? as i64),
        0xca => float(f32::from_bits(reader.u32()?) as f64)?,
        0xcb => float(f64::from_bits(reader.u64()?))?,
        0xa0..=0xbf | 0xd9..=0xdb | 0xc4..=0xc6 => {
            // Terraform falls back to a decimal string for numbers an int or a float64 would
            // not hold exactly (including plain literals like 0.1 from configuration).
            reader.pos -= 1;
            let text = utf8(read_bytes(reader, "a number")?)?;
            Number::parse_required(&text)?
        }
        other => return Err(wrong_marker("a number", other)),
    };
    Ok(number)
}

fn float(f: f64) -> Result<Number, CodecError> {
    Number::from_f64(f).ok_or_else(|| CodecError::new("NaN is not a Terraform number"))
}

fn read_bytes<'a>(reader: &mut Reader<'a>, what: &str) -> Result<&'a [u8], CodecError> {
    let marker = reader.byte()?;
    let len = match marker {
        0xa0..=0xbf => (marker & 0x1f) as usize,
        0xd9 | 0xc4 => reader.u8()? as usize,
        0xda | 0xc5 => reader.u16()? as usize,
        0xdb | 0xc6 => reader.u32()? as usize,
        other => return Err(wrong_marker(what, other)),
    };
    reader.take(len)
}

fn read_key(reader: &mut Reader) -> Result<String, CodecError> {
    let bytes = read_bytes(reader, "a string map key")?;
    utf8(bytes)
}

fn utf8(bytes: &[u8]) -> Result<String, CodecError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| CodecError::new("string is not valid UTF-8"))
}

fn read_array_len(reader: &mut Reader, what: &str) -> Result<usize, CodecError> {
    match reader.byte()? {
        marker @ 0x90..=0x9f => Ok((marker & 0x0f) as usize),
        0xdc => Ok(reader.u16()? as usize),
        0xdd => Ok(reader.u32()? as usize),
        other => Err(wrong_marker(what, other)),
    }
}

fn read_map_len(reader: &mut Reader, what: &str) -> Result<usize, CodecError> {
    match reader.byte()? {
        marker @ 0x80..=0x8f => Ok((marker & 0x0f) as usize),
        0xde => Ok(reader.u16()? as usize),
        0xdf => Ok(reader.u32()? as usize),
        other => Err(wrong_marker(what, other)),
    }
}

fn wrong_marker(expected: &str, marker: u8) -> CodecError {
    let got = match marker {
        0x00..=0x7f | 0xe0..=0xff | 0xcc..=0xd3 => "an integer",
        0x80..=0x8f | 0xde | 0xdf => "a map",
        0x90..=0x9f | 0xdc | 0xdd => "an array",
        0xa0..=0xbf | 0xd9..=0xdb => "a string",
        0xc4..=0xc6 => "binary data",
        0xca | 0xcb => "a float",
        0xc0 => "nil",
        0xc2 | 0xc3 => "a bool",
        0xc7..=0xc9 | 0xd4..=0xd8 => "an extension",
        _ => "an invalid MessagePack byte",
    };
    CodecError::new(format!(
        "{expected} is required, got {got} (0x{marker:02x})"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::msgpack::{decode, encode};
    use crate::plugin::test_support::{int, object, string, unhex};

    #[test]
    fn sets_keep_the_order_received() {
        let bytes = unhex("93 a1 63 a1 61 a1 62");
        assert_eq!(
            decode(&bytes, &Type::set(Type::String)).unwrap(),
            Dynamic::Set(vec![string("c"), string("a"), string("b")])
        );
    }

    #[test]
    fn refined_unknowns_decode_in_every_header_form() {
        // Type 12 payloads: {1: false} ("not null") padded to the fixed sizes, then
        // {2: "pre"} (a string prefix) in the variable-length forms.
        let forms = [
            "d4 0c 00",
            "d5 0c 81 01",
            "d6 0c 81 01 c2 00",
            "d7 0c 81 01 c2 00 00 00 00 00",
            "d8 0c 81 01 c2 00 00 00 00 00 00 00 00 00 00 00 00 00",
            "c7 06 0c 81 02 a3 70 72 65",
            "c8 00 06 0c 81 02 a3 70 72 65",
            "c9 00 00 00 06 0c 81 02 a3 70 72 65",
            "c7 00 0c",
            "d4 00 00",
            "d5 00 00 00",
        ];
        for form in forms {
            assert_eq!(
                decode(&unhex(form), &Type::String).unwrap(),
                Dynamic::Unknown,
                "{form}"
            );
            assert_eq!(
                decode(&unhex(form), &Type::Dynamic).unwrap(),
                Dynamic::Unknown,
                "{form}"
            );
        }
        // ...and inside a structure, the bytes after the extension still line up.
        let ty = Type::object([("a", Type::String), ("b", Type::String)]);
        let bytes = unhex("82 a1 61 c7 03 0c 81 01 c2 a1 62 a1 78");
        assert_eq!(
            decode(&bytes, &ty).unwrap(),
            object(&[("a", Dynamic::Unknown), ("b", string("x"))])
        );
        // A payload cut short is an error, not a panic.
        assert!(decode(&unhex("c7 06 0c 81 02"), &Type::String).is_err());
    }

    #[test]
    fn missing_attributes_decode_as_null_at_any_depth() {
        let ty = Type::object([
            ("a", Type::String),
            (
                "inner",
                Type::object([("x", Type::Number), ("y", Type::list(Type::String))]),
            ),
        ]);
        // {"inner": {"x": 1}}
        let bytes = unhex("81 a5 69 6e 6e 65 72 81 a1 78 01");
        assert_eq!(
            decode(&bytes, &ty).unwrap(),
            object(&[
                ("a", Dynamic::Null),
                ("inner", object(&[("x", int(1)), ("y", Dynamic::Null)])),
            ])
        );
    }

    #[test]
    fn integers_decode_from_any_width() {
        let cases = [
            ("d0 ff", -1),
            ("d1 ff ff", -1),
            ("d2 ff ff ff ff", -1),
            ("d3 ff ff ff ff ff ff ff ff", -1),
            ("d0 05", 5),
            ("d3 00 00 00 00 00 00 00 05", 5),
            ("cc 05", 5),
            ("cd 00 05", 5),
            ("ce 00 00 00 05", 5),
            ("cf 00 00 00 00 00 00 00 05", 5),
            ("d1 80 00", -32768),
            ("d2 80 00 00 00", i32::MIN as i64),
        ];
        for (bytes, n) in cases {
            assert_eq!(
                decode(&unhex(bytes), &Type::Number).unwrap(),
                int(n),
                "{bytes}"
            );
        }
    }

    #[test]
    fn strings_accept_every_header_form() {
        let cases = [
            "a1 78",
            "d9 01 78",
            "da 00 01 78",
            "db 00 00 00 01 78",
            "c4 01 78",
            "c5 00 01 78",
            "c6 00 00 00 01 78",
        ];
        for bytes in cases {
            assert_eq!(
                decode(&unhex(bytes), &Type::String).unwrap(),
                string("x"),
                "{bytes}"
            );
        }
        let mut str8 = vec![0xd9, 32];
        str8.extend_from_slice(&[b'q'; 32]);
        assert_eq!(
            encode(&string(&"q".repeat(32)), &Type::String).unwrap(),
            str8
        );
        assert!(decode(&unhex("a2 c3 28"), &Type::String).is_err());
    }

    #[test]
    fn dynamic_decoding_rejects_malformed_pairs() {
        assert!(decode(&unhex("91 c4 08 22 73 74 72 69 6e 67 22"), &Type::Dynamic).is_err());
        assert!(decode(&unhex("92 c4 03 22 78 22 a1 78"), &Type::Dynamic).is_err());
        assert!(decode(&unhex("a1 78"), &Type::Dynamic).is_err());
    }

    #[test]
    fn decoding_errors_name_the_path() {
        let ty = Type::object([(
            "maintenance_window",
            Type::list(Type::object([("day", Type::String)])),
        )]);
        // {"maintenance_window": [{"day": 1}]}
        let mut bytes = unhex("81 b2");
        bytes.extend_from_slice(b"maintenance_window");
        bytes.extend_from_slice(&unhex("91 81 a3 64 61 79 01"));
        let error = decode(&bytes, &ty).unwrap_err();
        assert_eq!(error.path(), ".maintenance_window[0].day");
        assert!(
            error
                .message()
                .starts_with("a string is required, got an integer"),
            "{error}"
        );

        // An attribute the type lacks.
        let ty = Type::object([("a", Type::String)]);
        let error = decode(&unhex("81 a1 7a c0"), &ty).unwrap_err();
        assert_eq!(error.path(), ".z");

        let ty = Type::map(Type::Bool);
        let error = decode(&unhex("81 a1 6b a1 78"), &ty).unwrap_err();
        assert_eq!(error.path(), r#"["k"]"#);
    }

    #[test]
    fn chained_dynamic_pairs_are_bounded() {
        let mut bytes = Vec::new();
        for _ in 0..10_000 {
            bytes.extend_from_slice(&unhex("92 c4 09"));
            bytes.extend_from_slice(b"\"dynamic\"");
        }
        bytes.push(NIL);
        let error = decode(&bytes, &Type::Dynamic).unwrap_err();
        assert_eq!(error.message(), "value nested too deeply");
        // A few levels are fine.
        let mut bytes = Vec::new();
        for _ in 0..3 {
            bytes.extend_from_slice(&unhex("92 c4 09"));
            bytes.extend_from_slice(b"\"dynamic\"");
        }
        bytes.extend_from_slice(&unhex("92 c4 08"));
        bytes.extend_from_slice(b"\"string\"");
        bytes.extend_from_slice(&unhex("a1 78"));
        assert_eq!(decode(&bytes, &Type::Dynamic).unwrap(), string("x"));
    }

    #[test]
    fn malformed_input_is_an_error() {
        assert!(decode(&[], &Type::String).is_err());
        assert!(decode(&unhex("a5 61 62"), &Type::String).is_err());
        assert!(decode(&unhex("dd ff ff ff ff"), &Type::list(Type::String)).is_err());
        assert!(decode(&unhex("cb 00 00"), &Type::Number).is_err());
        let error = decode(&unhex("c3 c3"), &Type::Bool).unwrap_err();
        assert!(error.message().contains("1 unexpected byte"), "{error}");
        assert!(decode(&unhex("92 01 02"), &Type::Tuple(vec![Type::Number])).is_err());
        let duplicate = unhex("82 a1 61 01 a1 61 02");
        assert!(decode(&duplicate, &Type::map(Type::Number)).is_err());
        assert!(decode(&duplicate, &Type::object([("a", Type::Number)])).is_err());
        assert!(decode(&unhex("c1"), &Type::Number).is_err());
    }
}
