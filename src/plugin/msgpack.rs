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
//! The number and implied-type helpers at the bottom are shared with the JSON codec, which
//! needs the same classification of decimal numbers and the same typing of `dynamic` values.

use std::collections::BTreeMap;

use super::codec_error::CodecError;
use super::dynamic::{Dynamic, Number, Type};

const NIL: u8 = 0xc0;
const FALSE: u8 = 0xc2;
const TRUE: u8 = 0xc3;

/// A wholly unknown value: fixext1 of extension type 0 with a zero payload byte, exactly what
/// cty writes. Refinements are never sent back: the provider only ever returns what it knows,
/// and an unrefined unknown is always a valid (if less precise) answer.
const UNKNOWN: [u8; 3] = [0xd4, 0x00, 0x00];

/// Encodes `value` as Terraform MessagePack for the type `ty`.
///
/// The type decides the wire form: sequences (`List`/`Set`/`Tuple`) encode as any of list, set
/// or tuple; keyed values (`Map`/`Object`) as either map or object; numbers convert between
/// int, float and big forms as needed, and a string holding a decimal number is accepted for a
/// number. Objects carry every attribute of the type, a missing one as null.
pub fn encode(value: &Dynamic, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    encode_value(&mut out, value, ty)?;
    Ok(out)
}

/// Decodes Terraform MessagePack of type `ty`.
///
/// The result's variants follow the type (`Set` for a set, `Map` for a map, ...). Any
/// extension value is an unknown, refined or not; missing object attributes become null.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Dynamic, CodecError> {
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

fn encode_value(out: &mut Vec<u8>, value: &Dynamic, ty: &Type) -> Result<(), CodecError> {
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
            let actual = implied_type(value)?;
            write_array_len(out, 2)?;
            // The type goes as bin, like cty; Terraform's decoder takes bin or str.
            write_bin(out, actual.to_json().to_string().as_bytes())?;
            encode_value(out, value, &actual)
        }
        Type::Bool => match value {
            Dynamic::Bool(b) => {
                out.push(if *b { TRUE } else { FALSE });
                Ok(())
            }
            other => Err(mismatch("a bool", other)),
        },
        Type::Number => match value {
            Dynamic::Number(number) => write_number(out, number),
            Dynamic::String(text) => match number_from_decimal(text) {
                Some(number) => write_number(out, &number),
                None => Err(CodecError::new(format!(
                    "a number is required, got the string {text:?}"
                ))),
            },
            other => Err(mismatch("a number", other)),
        },
        Type::String => match value {
            Dynamic::String(text) => write_str(out, text),
            other => Err(mismatch("a string", other)),
        },
        Type::List(element) | Type::Set(element) => {
            let items = sequence(value, ty)?;
            write_array_len(out, items.len())?;
            for (index, item) in items.iter().enumerate() {
                encode_value(out, item, element).map_err(|e| e.in_index(index))?;
            }
            Ok(())
        }
        Type::Tuple(elements) => {
            let items = sequence(value, ty)?;
            if items.len() != elements.len() {
                return Err(CodecError::new(format!(
                    "a tuple of {} elements is required, got {}",
                    elements.len(),
                    items.len()
                )));
            }
            write_array_len(out, items.len())?;
            for (index, (item, element)) in items.iter().zip(elements).enumerate() {
                encode_value(out, item, element).map_err(|e| e.in_index(index))?;
            }
            Ok(())
        }
        Type::Map(element) => {
            let entries = keyed(value, ty)?;
            write_map_len(out, entries.len())?;
            for (key, item) in entries {
                write_str(out, key)?;
                encode_value(out, item, element).map_err(|e| e.in_key(key))?;
            }
            Ok(())
        }
        Type::Object { attributes, .. } => {
            let entries = keyed(value, ty)?;
            if let Some(extra) = entries.keys().find(|name| !attributes.contains_key(*name)) {
                return Err(CodecError::new("the type has no such attribute").in_attribute(extra));
            }
            // BTreeMap order is byte order, the same as cty's sort.Strings, so the bytes match
            // what Terraform itself would produce for the value.
            write_map_len(out, attributes.len())?;
            for (name, attribute) in attributes {
                write_str(out, name)?;
                let item = entries.get(name).unwrap_or(&Dynamic::Null);
                encode_value(out, item, attribute).map_err(|e| e.in_attribute(name))?;
            }
            Ok(())
        }
    }
}

fn sequence<'v>(value: &'v Dynamic, ty: &Type) -> Result<&'v [Dynamic], CodecError> {
    match value {
        Dynamic::List(items) | Dynamic::Set(items) | Dynamic::Tuple(items) => Ok(items),
        other => Err(mismatch(&format!("a {}", kind(ty)), other)),
    }
}

fn keyed<'v>(value: &'v Dynamic, ty: &Type) -> Result<&'v BTreeMap<String, Dynamic>, CodecError> {
    match value {
        Dynamic::Map(entries) | Dynamic::Object(entries) => Ok(entries),
        other => Err(mismatch(&format!("a {}", kind(ty)), other)),
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

pub(super) fn mismatch(expected: &str, got: &Dynamic) -> CodecError {
    let got = match got {
        Dynamic::Null => "null",
        Dynamic::Unknown => "an unknown value",
        Dynamic::Bool(_) => "a bool",
        Dynamic::Number(_) => "a number",
        Dynamic::String(_) => "a string",
        Dynamic::List(_) => "a list",
        Dynamic::Set(_) => "a set",
        Dynamic::Tuple(_) => "a tuple",
        Dynamic::Map(_) => "a map",
        Dynamic::Object(_) => "an object",
    };
    CodecError::new(format!("{expected} is required, got {got}"))
}

fn write_number(out: &mut Vec<u8>, number: &Number) -> Result<(), CodecError> {
    match number {
        Number::Int(n) => {
            write_int(out, *n);
            Ok(())
        }
        Number::Float(f) => write_float(out, *f),
        Number::Big(text) => match number_from_decimal(text) {
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
    let len = text.len();
    if len <= 31 {
        out.push(0xa0 | len as u8);
    } else if len <= u8::MAX as usize {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= u16::MAX as usize {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&length_u32(len, "string")?.to_be_bytes());
    }
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

fn write_bin(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), CodecError> {
    let len = bytes.len();
    if len <= u8::MAX as usize {
        out.extend_from_slice(&[0xc4, len as u8]);
    } else if len <= u16::MAX as usize {
        out.push(0xc5);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xc6);
        out.extend_from_slice(&length_u32(len, "binary")?.to_be_bytes());
    }
    out.extend_from_slice(bytes);
    Ok(())
}

fn write_array_len(out: &mut Vec<u8>, len: usize) -> Result<(), CodecError> {
    if len <= 15 {
        out.push(0x90 | len as u8);
    } else if len <= u16::MAX as usize {
        out.push(0xdc);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdd);
        out.extend_from_slice(&length_u32(len, "array")?.to_be_bytes());
    }
    Ok(())
}

fn write_map_len(out: &mut Vec<u8>, len: usize) -> Result<(), CodecError> {
    if len <= 15 {
        out.push(0x80 | len as u8);
    } else if len <= u16::MAX as usize {
        out.push(0xde);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdf);
        out.extend_from_slice(&length_u32(len, "map")?.to_be_bytes());
    }
    Ok(())
}

fn length_u32(len: usize, what: &str) -> Result<u32, CodecError> {
    u32::try_from(len)
        .map_err(|_| CodecError::new(format!("{what} of {len} items is too long for MessagePack")))
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
                return Err(CodecError::new(format!(
                    "a tuple of {} elements is required, got {len}",
                    elements.len()
                )));
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
                    return Err(
                        CodecError::new("the type has no such attribute").in_attribute(&name)
                    );
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
                Err(_) => number_from_decimal(&n.to_string()).expect("an integer is a decimal"),
            }
        }
        0xd0 => Number::Int(reader.u8()? as i8 as i64),
        0xd1 => Number::Int(reader.u16()? as i16 as i64),
        0xd2 => Number::Int(reader.u32()? as i32 as i64),
        0xd3 => Number::Int(reader.u64()? as i64),
        0xca => number_from_f64(f32::from_bits(reader.u32()?) as f64)?,
        0xcb => number_from_f64(f64::from_bits(reader.u64()?))?,
        0xa0..=0xbf | 0xd9..=0xdb | 0xc4..=0xc6 => {
            // Terraform falls back to a decimal string for numbers an int or a float64 would
            // not hold exactly (including plain literals like 0.1 from configuration).
            reader.pos -= 1;
            let text = utf8(read_bytes(reader, "a number")?)?;
            number_from_decimal(&text).ok_or_else(|| {
                CodecError::new(format!("a number is required, got the string {text:?}"))
            })?
        }
        other => return Err(wrong_marker("a number", other)),
    };
    Ok(number)
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

/// `f` as an `i64` when it is exactly one.
pub(super) fn exact_i64(f: f64) -> Option<i64> {
    // 2^63 is exactly representable, so the range check is exact; NaN and infinities fail
    // the fract test.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f)).then_some(f as i64)
}

/// A float read off the wire, as a [`Number`]. Integral values become `Int`, so a number
/// decodes the same whichever wire form Terraform chose for it.
pub(super) fn number_from_f64(f: f64) -> Result<Number, CodecError> {
    if f.is_nan() {
        return Err(CodecError::new("NaN is not a Terraform number"));
    }
    Ok(exact_i64(f).map_or(Number::Float(f), Number::Int))
}

/// Classifies a decimal number given as text (`-12`, `0.1`, `1.5e300`, `.5`, `+3`: the syntax
/// Terraform's number parser accepts, minus infinities), or `None` if it is not one.
///
/// * `Int` when the value is an integer within `i64`;
/// * `Float` when the `f64` nearest to it prints back as the same decimal value, i.e. nothing
///   a reader of the decimal would notice is lost (this is also the precision at which cty
///   considers two numbers equal, so Terraform sees no difference either);
/// * `Big`, keeping the text as given, for everything else (integers beyond `i64` that a float
///   would round, decimals with more significant digits than a float holds, huge exponents).
pub(super) fn number_from_decimal(text: &str) -> Option<Number> {
    let decimal = Decimal::parse(text)?;
    if let Some(n) = decimal.to_i64() {
        return Some(Number::Int(n));
    }
    if let Ok(f) = text.parse::<f64>() {
        if f.is_finite() && Decimal::parse(&format!("{f:e}")).as_ref() == Some(&decimal) {
            return Some(Number::Float(f));
        }
    }
    Some(Number::Big(text.to_string()))
}

/// `text` (a decimal number in any syntax [`number_from_decimal`] accepts) as a valid JSON
/// number literal of the same value, or `None` if it is not a decimal number.
pub(super) fn json_number_literal(text: &str) -> Option<String> {
    Decimal::parse(text).map(|decimal| decimal.to_json_literal())
}

/// A decimal number in a canonical form (`digits × 10^exponent`, no leading or trailing zeros
/// in `digits`, zero as empty digits), so two spellings of the same value compare equal.
#[derive(Debug, PartialEq)]
struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    exponent: i64,
}

impl Decimal {
    /// Exponents are clamped far beyond anything an `f64` or `i64` reaches, which keeps the
    /// arithmetic from overflowing without changing any classification.
    const EXPONENT_LIMIT: i64 = 1 << 40;

    fn parse(text: &str) -> Option<Decimal> {
        let bytes = text.as_bytes();
        let mut pos = 0;
        let negative = match bytes.first() {
            Some(b'-') => {
                pos += 1;
                true
            }
            Some(b'+') => {
                pos += 1;
                false
            }
            _ => false,
        };
        let integer_start = pos;
        while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
            pos += 1;
        }
        let mut digits = bytes[integer_start..pos].to_vec();
        let mut fraction_len = 0;
        if bytes.get(pos) == Some(&b'.') {
            pos += 1;
            let fraction_start = pos;
            while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
                pos += 1;
            }
            fraction_len = pos - fraction_start;
            digits.extend_from_slice(&bytes[fraction_start..pos]);
        }
        if digits.is_empty() {
            return None;
        }
        let mut exponent: i64 = 0;
        if matches!(bytes.get(pos), Some(b'e' | b'E')) {
            pos += 1;
            let exponent_negative = match bytes.get(pos) {
                Some(b'-') => {
                    pos += 1;
                    true
                }
                Some(b'+') => {
                    pos += 1;
                    false
                }
                _ => false,
            };
            let exponent_start = pos;
            while let Some(digit) = bytes.get(pos).filter(|b| b.is_ascii_digit()) {
                exponent = (exponent * 10 + (digit - b'0') as i64).min(Self::EXPONENT_LIMIT);
                pos += 1;
            }
            if pos == exponent_start {
                return None;
            }
            if exponent_negative {
                exponent = -exponent;
            }
        }
        if pos != bytes.len() {
            return None;
        }
        exponent -= fraction_len as i64;
        let leading = digits.iter().take_while(|d| **d == b'0').count();
        digits.drain(..leading);
        while digits.last() == Some(&b'0') {
            digits.pop();
            exponent += 1;
        }
        if digits.is_empty() {
            return Some(Decimal {
                negative: false,
                digits,
                exponent: 0,
            });
        }
        Some(Decimal {
            negative,
            digits,
            exponent,
        })
    }

    /// The value as a JSON number literal: plain digits while that stays short, scientific
    /// notation otherwise (JSON has no `+`, `.5` or `5.` forms, which Terraform's parser allows
    /// in strings).
    fn to_json_literal(&self) -> String {
        const PLAIN_LIMIT: i64 = 40;
        if self.digits.is_empty() {
            return "0".to_string();
        }
        let sign = if self.negative { "-" } else { "" };
        let digits: String = self.digits.iter().map(|d| *d as char).collect();
        let len = digits.len() as i64;
        if self.exponent >= 0 && self.exponent <= PLAIN_LIMIT {
            return format!("{sign}{digits}{}", "0".repeat(self.exponent as usize));
        }
        if self.exponent < 0 && -self.exponent < len {
            let (whole, fraction) = digits.split_at((len + self.exponent) as usize);
            return format!("{sign}{whole}.{fraction}");
        }
        if self.exponent < 0 && -self.exponent - len <= PLAIN_LIMIT {
            let zeros = "0".repeat((-self.exponent - len) as usize);
            return format!("{sign}0.{zeros}{digits}");
        }
        let (first, rest) = digits.split_at(1);
        let point = if rest.is_empty() { "" } else { "." };
        format!("{sign}{first}{point}{rest}e{}", self.exponent + len - 1)
    }

    fn to_i64(&self) -> Option<i64> {
        if self.digits.is_empty() {
            return Some(0);
        }
        // Trailing zeros are folded into the exponent, so a negative one means a fraction.
        if self.exponent < 0 || self.digits.len() as i64 + self.exponent > 19 {
            return None;
        }
        let mut text = String::with_capacity(21);
        if self.negative {
            text.push('-');
        }
        text.extend(self.digits.iter().map(|d| *d as char));
        text.push_str(&"0".repeat(self.exponent as usize));
        text.parse().ok()
    }
}

/// The type a value of `dynamic` type travels with: what its shape says, the way Terraform
/// would type the same value written in configuration.
///
/// Nulls, unknowns and the elements of empty collections carry no type, so they contribute
/// `dynamic`, which then gives way to whatever their siblings say. A list whose elements
/// disagree becomes a tuple and a map whose elements disagree an object, as in Terraform's own
/// type inference; a set has no such fallback.
pub(super) fn implied_type(value: &Dynamic) -> Result<Type, CodecError> {
    Ok(match value {
        Dynamic::Null | Dynamic::Unknown => Type::Dynamic,
        Dynamic::Bool(_) => Type::Bool,
        Dynamic::Number(_) => Type::Number,
        Dynamic::String(_) => Type::String,
        Dynamic::List(items) => {
            let types = implied_types(items)?;
            match common_type(&types) {
                Some(element) => Type::list(element),
                None => Type::Tuple(types),
            }
        }
        Dynamic::Set(items) => {
            let types = implied_types(items)?;
            Type::set(common_type(&types).ok_or_else(|| {
                CodecError::new("the elements of a set of dynamic type must share one type")
            })?)
        }
        Dynamic::Tuple(items) => Type::Tuple(implied_types(items)?),
        Dynamic::Map(entries) => {
            let types = entries
                .iter()
                .map(|(key, item)| implied_type(item).map_err(|e| e.in_key(key)))
                .collect::<Result<Vec<_>, _>>()?;
            match common_type(&types) {
                Some(element) => Type::map(element),
                None => Type::object(entries.keys().cloned().zip(types)),
            }
        }
        Dynamic::Object(entries) => Type::object(
            entries
                .iter()
                .map(|(name, item)| {
                    Ok((
                        name.clone(),
                        implied_type(item).map_err(|e| e.in_attribute(name))?,
                    ))
                })
                .collect::<Result<Vec<_>, CodecError>>()?,
        ),
    })
}

fn implied_types(items: &[Dynamic]) -> Result<Vec<Type>, CodecError> {
    items
        .iter()
        .enumerate()
        .map(|(index, item)| implied_type(item).map_err(|e| e.in_index(index)))
        .collect()
}

/// The one type all of `types` fit (`dynamic` for none), if there is one.
fn common_type(types: &[Type]) -> Option<Type> {
    types
        .iter()
        .try_fold(Type::Dynamic, |common, ty| unify(&common, ty))
}

fn unify(a: &Type, b: &Type) -> Option<Type> {
    match (a, b) {
        _ if a == b => Some(a.clone()),
        (Type::Dynamic, other) | (other, Type::Dynamic) => Some(other.clone()),
        (Type::List(x), Type::List(y)) => Some(Type::list(unify(x, y)?)),
        (Type::Set(x), Type::Set(y)) => Some(Type::set(unify(x, y)?)),
        (Type::Map(x), Type::Map(y)) => Some(Type::map(unify(x, y)?)),
        (Type::Tuple(x), Type::Tuple(y)) if x.len() == y.len() => Some(Type::Tuple(
            x.iter()
                .zip(y)
                .map(|(x, y)| unify(x, y))
                .collect::<Option<_>>()?,
        )),
        (Type::Object { attributes: x, .. }, Type::Object { attributes: y, .. })
            if x.keys().eq(y.keys()) =>
        {
            Some(Type::object(
                x.iter()
                    .zip(y.values())
                    .map(|((name, x), y)| Some((name.clone(), unify(x, y)?)))
                    .collect::<Option<Vec<_>>>()?,
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Dynamic {
        Dynamic::String(text.to_string())
    }

    fn int(n: i64) -> Dynamic {
        Dynamic::Number(Number::Int(n))
    }

    fn float(f: f64) -> Dynamic {
        Dynamic::Number(Number::Float(f))
    }

    fn big(text: &str) -> Dynamic {
        Dynamic::Number(Number::Big(text.to_string()))
    }

    fn object(entries: &[(&str, Dynamic)]) -> Dynamic {
        Dynamic::Object(
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn map(entries: &[(&str, Dynamic)]) -> Dynamic {
        Dynamic::Map(
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn hex(bytes: &[u8]) -> String {
        bytes
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn unhex(text: &str) -> Vec<u8> {
        text.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    }

    #[track_caller]
    fn assert_round_trip(value: Dynamic, ty: &Type) {
        let bytes = encode(&value, ty).unwrap();
        assert_eq!(decode(&bytes, ty).unwrap(), value, "bytes {}", hex(&bytes));
    }

    #[test]
    fn small_object_is_byte_exact() {
        let ty = Type::object([("a", Type::String), ("b", Type::Number)]);
        let bytes = encode(&object(&[("a", s("x")), ("b", Dynamic::Null)]), &ty).unwrap();
        assert_eq!(hex(&bytes), "82 a1 61 a1 78 a1 62 c0");
        // A missing attribute goes out as null all the same.
        let bytes = encode(&object(&[("a", s("x"))]), &ty).unwrap();
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
    fn primitives_round_trip() {
        assert_round_trip(Dynamic::Bool(true), &Type::Bool);
        assert_round_trip(Dynamic::Bool(false), &Type::Bool);
        assert_round_trip(s(""), &Type::String);
        assert_round_trip(s("héllo"), &Type::String);
        assert_round_trip(s(&"x".repeat(40)), &Type::String);
        assert_round_trip(s(&"y".repeat(300)), &Type::String);
        assert_round_trip(s(&"z".repeat(70_000)), &Type::String);
        assert_round_trip(int(42), &Type::Number);
        assert_round_trip(float(1.5), &Type::Number);
        assert_round_trip(float(-2.5e-300), &Type::Number);
        assert_round_trip(float(f64::INFINITY), &Type::Number);
        assert_round_trip(Dynamic::Null, &Type::String);
        assert_round_trip(Dynamic::Unknown, &Type::Number);
    }

    #[test]
    fn collections_round_trip() {
        let list = Dynamic::List(vec![s("a"), Dynamic::Null, Dynamic::Unknown]);
        assert_round_trip(list, &Type::list(Type::String));
        assert_round_trip(Dynamic::List(vec![]), &Type::list(Type::String));
        let set = Dynamic::Set(vec![int(3), int(1), int(2)]);
        assert_round_trip(set, &Type::set(Type::Number));
        let tuple = Dynamic::Tuple(vec![s("a"), int(1), Dynamic::Bool(true)]);
        assert_round_trip(
            tuple,
            &Type::Tuple(vec![Type::String, Type::Number, Type::Bool]),
        );
        let tags = map(&[
            ("env", s("prod")),
            ("team", s("db")),
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
            ("name", s("db")),
            ("sizes", Dynamic::List(vec![int(1), int(2)])),
            ("labels", map(&[("a", s("b"))])),
            ("window", object(&[("day", s("monday")), ("hour", int(3))])),
        ]);
        assert_round_trip(value, &nested);
        let long: Vec<Dynamic> = (0..70_000).map(int).collect();
        assert_round_trip(Dynamic::List(long), &Type::list(Type::Number));
        let wide: BTreeMap<String, Dynamic> =
            (0..20).map(|i| (format!("k{i:02}"), int(i))).collect();
        assert_round_trip(Dynamic::Map(wide), &Type::map(Type::Number));
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
    fn encoding_follows_the_type_not_the_variant() {
        let items = Dynamic::List(vec![s("a"), s("b")]);
        let as_set = encode(&items, &Type::set(Type::String)).unwrap();
        assert_eq!(hex(&as_set), "92 a1 61 a1 62");
        assert_eq!(
            decode(&as_set, &Type::set(Type::String)).unwrap(),
            Dynamic::Set(vec![s("a"), s("b")])
        );
        let as_tuple = encode(&items, &Type::Tuple(vec![Type::String, Type::String])).unwrap();
        assert_eq!(as_tuple, as_set);

        let keyed = object(&[("k", s("v"))]);
        let ty = Type::map(Type::String);
        assert_eq!(
            decode(&encode(&keyed, &ty).unwrap(), &ty).unwrap(),
            map(&[("k", s("v"))])
        );
        let ty = Type::object([("k", Type::String)]);
        assert_eq!(
            decode(&encode(&map(&[("k", s("v"))]), &ty).unwrap(), &ty).unwrap(),
            keyed
        );
    }

    #[test]
    fn sets_keep_the_order_received() {
        let bytes = unhex("93 a1 63 a1 61 a1 62");
        assert_eq!(
            decode(&bytes, &Type::set(Type::String)).unwrap(),
            Dynamic::Set(vec![s("c"), s("a"), s("b")])
        );
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
            object(&[("a", Dynamic::Unknown), ("b", s("x"))])
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
        // Terraform sends 0.1 from configuration as a string: not exact in a float64.
        assert_eq!(
            decode(&unhex("a3 30 2e 31"), &Type::Number).unwrap(),
            float(0.1)
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
        assert_eq!(hex(&encode(&s("42"), &Type::Number).unwrap()), "2a");
        assert_eq!(
            hex(&encode(&s("1.5"), &Type::Number).unwrap()),
            "cb 3f f8 00 00 00 00 00 00"
        );
        assert!(encode(&s("forty-two"), &Type::Number).is_err());
    }

    #[test]
    fn number_classification() {
        let cases: [(&str, Option<Number>); 14] = [
            ("0", Some(Number::Int(0))),
            ("-0.0", Some(Number::Int(0))),
            ("1.0", Some(Number::Int(1))),
            ("1e3", Some(Number::Int(1000))),
            ("+7", Some(Number::Int(7))),
            ("-9223372036854775808", Some(Number::Int(i64::MIN))),
            (
                "9223372036854775808",
                Some(Number::Big("9223372036854775808".into())),
            ),
            ("1e30", Some(Number::Float(1e30))),
            (".5", Some(Number::Float(0.5))),
            ("0.1", Some(Number::Float(0.1))),
            ("1e400", Some(Number::Big("1e400".into()))),
            (
                "0.10000000000000000001",
                Some(Number::Big("0.10000000000000000001".into())),
            ),
            ("1e", None),
            ("inf", None),
        ];
        for (text, expected) in cases {
            assert_eq!(number_from_decimal(text), expected, "{text}");
        }
        for bad in ["", "-", ".", "1.2.3", "0x10", "1 ", "nan", "1e+"] {
            assert_eq!(number_from_decimal(bad), None, "{bad:?}");
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
                s("x"),
                "{bytes}"
            );
        }
        let mut str8 = vec![0xd9, 32];
        str8.extend_from_slice(&[b'q'; 32]);
        assert_eq!(encode(&s(&"q".repeat(32)), &Type::String).unwrap(), str8);
        assert!(decode(&unhex("a2 c3 28"), &Type::String).is_err());
    }

    #[test]
    fn dynamic_values_travel_with_their_type() {
        // ["string" as bin, "x"]
        let bytes = encode(&s("x"), &Type::Dynamic).unwrap();
        assert_eq!(hex(&bytes), "92 c4 08 22 73 74 72 69 6e 67 22 a1 78");
        assert_eq!(decode(&bytes, &Type::Dynamic).unwrap(), s("x"));
        // Terraform may send the type as str instead of bin.
        let bytes = unhex("92 a8 22 73 74 72 69 6e 67 22 a1 78");
        assert_eq!(decode(&bytes, &Type::Dynamic).unwrap(), s("x"));
        assert_eq!(hex(&encode(&Dynamic::Null, &Type::Dynamic).unwrap()), "c0");
        assert_eq!(decode(&unhex("c0"), &Type::Dynamic).unwrap(), Dynamic::Null);

        let ty = Type::object([("settings", Type::Dynamic)]);
        let cases = [
            Dynamic::Bool(true),
            int(5),
            Dynamic::List(vec![s("a"), Dynamic::Null, s("b")]),
            Dynamic::Set(vec![int(1), int(2)]),
            Dynamic::Tuple(vec![s("a"), int(1)]),
            map(&[("a", int(1)), ("b", int(2))]),
            object(&[("a", int(1)), ("b", s("two")), ("c", Dynamic::Null)]),
            Dynamic::List(vec![
                object(&[("k", Dynamic::Null)]),
                object(&[("k", Dynamic::List(vec![s("v")]))]),
            ]),
        ];
        for value in cases {
            assert_round_trip(object(&[("settings", value)]), &ty);
        }
        // Lists and maps whose elements disagree travel as a tuple and an object.
        let mixed = Dynamic::List(vec![s("a"), int(1)]);
        let bytes = encode(&mixed, &Type::Dynamic).unwrap();
        assert_eq!(
            decode(&bytes, &Type::Dynamic).unwrap(),
            Dynamic::Tuple(vec![s("a"), int(1)])
        );
        let mixed = map(&[("a", s("x")), ("b", Dynamic::Bool(true))]);
        let bytes = encode(&mixed, &Type::Dynamic).unwrap();
        assert_eq!(
            decode(&bytes, &Type::Dynamic).unwrap(),
            object(&[("a", s("x")), ("b", Dynamic::Bool(true))])
        );
        let error = encode(&Dynamic::Set(vec![s("a"), int(1)]), &Type::Dynamic).unwrap_err();
        assert!(error.message().contains("set"), "{error}");
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
    fn dynamic_decoding_rejects_malformed_pairs() {
        assert!(decode(&unhex("91 c4 08 22 73 74 72 69 6e 67 22"), &Type::Dynamic).is_err());
        assert!(decode(&unhex("92 c4 03 22 78 22 a1 78"), &Type::Dynamic).is_err());
        assert!(decode(&unhex("a1 78"), &Type::Dynamic).is_err());
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
            Dynamic::List(vec![object(&[("dya", s("monday"))])]),
        )]);
        assert_eq!(
            encode(&value, &ty).unwrap_err().path(),
            ".maintenance_window[0].dya"
        );

        let ty = Type::object([("tags", Type::map(Type::Number))]);
        let value = object(&[("tags", map(&[("env", s("prod"))]))]);
        assert_eq!(encode(&value, &ty).unwrap_err().path(), r#".tags["env"]"#);

        let error = encode(&int(1), &Type::list(Type::String)).unwrap_err();
        assert_eq!(error.to_string(), "a list is required, got a number");
        let tuple = Type::Tuple(vec![Type::String]);
        assert!(encode(&Dynamic::List(vec![]), &tuple).is_err());
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
        assert_eq!(decode(&bytes, &Type::Dynamic).unwrap(), s("x"));
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
