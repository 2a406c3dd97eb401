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

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::codec_error::CodecError;
use super::dynamic::{Dynamic, Number, Type};
use super::msgpack::{exact_i64, implied_type, json_number_literal, mismatch, number_from_decimal};

/// Decodes Terraform JSON of type `ty`, rejecting attributes the type does not have.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Dynamic, CodecError> {
    let json = parse(bytes)?;
    convert(&json, ty, Extra::Reject)
}

/// Decodes Terraform JSON of type `ty`, dropping object attributes the type does not have, at
/// any depth: for stored state written by a provider version whose schema had attributes this
/// one has removed. Everything else is as strict as [`decode`].
pub fn decode_lenient(bytes: &[u8], ty: &Type) -> Result<Dynamic, CodecError> {
    let json = parse(bytes)?;
    convert(&json, ty, Extra::Ignore)
}

/// Encodes `value` as Terraform JSON for the type `ty`, under the same type-directed rules as
/// the MessagePack encoder. JSON has no unknown values, so any unknown is an error.
pub fn encode(value: &Dynamic, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    encode_value(&mut out, value, ty)?;
    Ok(out)
}

#[derive(Clone, Copy)]
enum Extra {
    Reject,
    Ignore,
}

/// A parsed JSON document, with numbers as their literal text and object members in document
/// order (so duplicates can be caught).
#[derive(Debug)]
enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

fn parse(bytes: &[u8]) -> Result<Json, CodecError> {
    let literals = number_literals(bytes);
    let next = Cell::new(0);
    let seed = Seed {
        literals: &literals,
        next: &next,
    };
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let json = seed
        .deserialize(&mut deserializer)
        .and_then(|json| deserializer.end().map(|()| json))
        .map_err(|e| CodecError::new(format!("invalid JSON: {e}")))?;
    Ok(json)
}

/// The text of every number token in `bytes`, in document order. Outside strings, only
/// numbers contain `-` or digits (`true`, `false` and `null` have neither), so a scan that
/// skips strings finds exactly the numbers `serde_json` will report.
fn number_literals(bytes: &[u8]) -> Vec<&str> {
    let mut literals = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        match bytes[pos] {
            b'"' => {
                pos += 1;
                while pos < bytes.len() {
                    match bytes[pos] {
                        b'\\' => pos += 2,
                        b'"' => {
                            pos += 1;
                            break;
                        }
                        _ => pos += 1,
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                let start = pos;
                while pos < bytes.len()
                    && matches!(bytes[pos], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    pos += 1;
                }
                // The token is ASCII by construction.
                literals.push(std::str::from_utf8(&bytes[start..pos]).unwrap_or_default());
            }
            _ => pos += 1,
        }
    }
    literals
}

/// Builds a [`Json`] tree while `serde_json` parses, taking each number's text from the scan.
#[derive(Clone, Copy)]
struct Seed<'a> {
    literals: &'a [&'a str],
    next: &'a Cell<usize>,
}

impl Seed<'_> {
    /// The next literal, checked against the value `serde_json` read, so a scan that ever got
    /// out of step fails loudly instead of attaching digits to the wrong number.
    fn literal<E: de::Error>(self, matches: impl Fn(&str) -> bool) -> Result<Json, E> {
        let index = self.next.get();
        match self.literals.get(index) {
            Some(text) if matches(text) => {
                self.next.set(index + 1);
                Ok(Json::Number(text.to_string()))
            }
            _ => Err(E::custom("number literal out of step with the parser")),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Json;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Json, E> {
        self.literal(|text| text.parse() == Ok(n))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Json, E> {
        self.literal(|text| text.parse() == Ok(n))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Json, E> {
        // serde_json's fast float parser may be an ulp off the correctly rounded value.
        self.literal(|text| {
            text.parse::<f64>()
                .is_ok_and(|exact| exact == f || (exact - f).abs() <= exact.abs() * 1e-15)
        })
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Json, E> {
        Ok(Json::String(text.to_string()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(self)?;
            members.push((key, value));
        }
        Ok(Json::Object(members))
    }
}

fn describe(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "a bool",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn wrong(expected: &str, json: &Json) -> CodecError {
    CodecError::new(format!("{expected} is required, got {}", describe(json)))
}

fn convert(json: &Json, ty: &Type, extra: Extra) -> Result<Dynamic, CodecError> {
    if let Json::Null = json {
        return Ok(Dynamic::Null);
    }
    match ty {
        Type::Dynamic => {
            let Json::Object(members) = json else {
                return Err(wrong("a {\"value\": ..., \"type\": ...} object", json));
            };
            let (mut type_json, mut value) = (None, None);
            for (key, member) in members {
                match key.as_str() {
                    "type" => type_json = Some(member),
                    "value" => value = Some(member),
                    other => {
                        return Err(CodecError::new(format!(
                            "unexpected property {other:?} in a dynamic value"
                        )))
                    }
                }
            }
            let type_json =
                type_json.ok_or_else(|| CodecError::new("a dynamic value lacks its \"type\""))?;
            let value =
                value.ok_or_else(|| CodecError::new("a dynamic value lacks its \"value\""))?;
            let actual = Type::from_json(&to_serde(type_json))
                .map_err(|e| CodecError::new(format!("invalid type of a dynamic value: {e}")))?;
            convert(value, &actual, extra)
        }
        Type::Bool => match json {
            Json::Bool(b) => Ok(Dynamic::Bool(*b)),
            Json::String(text) => match text.as_str() {
                "true" | "1" => Ok(Dynamic::Bool(true)),
                "false" | "0" => Ok(Dynamic::Bool(false)),
                _ => Err(CodecError::new(format!(
                    "a bool is required, got the string {text:?}"
                ))),
            },
            other => Err(wrong("a bool", other)),
        },
        Type::Number => match json {
            Json::Number(text) | Json::String(text) => number_from_decimal(text)
                .map(Dynamic::Number)
                .ok_or_else(|| {
                    CodecError::new(format!("a number is required, got the string {text:?}"))
                }),
            other => Err(wrong("a number", other)),
        },
        Type::String => match json {
            Json::String(text) | Json::Number(text) => Ok(Dynamic::String(text.clone())),
            Json::Bool(b) => Ok(Dynamic::String(b.to_string())),
            other => Err(wrong("a string", other)),
        },
        Type::List(element) => Ok(Dynamic::List(convert_items(
            json, element, extra, "a list",
        )?)),
        Type::Set(element) => Ok(Dynamic::Set(convert_items(json, element, extra, "a set")?)),
        Type::Tuple(elements) => {
            let Json::Array(items) = json else {
                return Err(wrong("a tuple", json));
            };
            if items.len() != elements.len() {
                return Err(CodecError::new(format!(
                    "a tuple of {} elements is required, got {}",
                    elements.len(),
                    items.len()
                )));
            }
            let items = items
                .iter()
                .zip(elements)
                .enumerate()
                .map(|(index, (item, element))| {
                    convert(item, element, extra).map_err(|e| e.in_index(index))
                })
                .collect::<Result<_, _>>()?;
            Ok(Dynamic::Tuple(items))
        }
        Type::Map(element) => {
            let Json::Object(members) = json else {
                return Err(wrong("a map", json));
            };
            let mut entries = BTreeMap::new();
            for (key, member) in members {
                let item = convert(member, element, extra).map_err(|e| e.in_key(key))?;
                if entries.insert(key.clone(), item).is_some() {
                    return Err(CodecError::new("duplicate map key").in_key(key));
                }
            }
            Ok(Dynamic::Map(entries))
        }
        Type::Object { attributes, .. } => {
            let Json::Object(members) = json else {
                return Err(wrong("an object", json));
            };
            let mut entries = BTreeMap::new();
            for (name, member) in members {
                let Some(attribute) = attributes.get(name) else {
                    match extra {
                        Extra::Ignore => continue,
                        Extra::Reject => {
                            return Err(CodecError::new("the type has no such attribute")
                                .in_attribute(name))
                        }
                    }
                };
                let item = convert(member, attribute, extra).map_err(|e| e.in_attribute(name))?;
                if entries.insert(name.clone(), item).is_some() {
                    return Err(CodecError::new("duplicate attribute").in_attribute(name));
                }
            }
            // State saved before an attribute existed has no value for it: null is what
            // Terraform itself reads there.
            for name in attributes.keys() {
                entries.entry(name.clone()).or_insert(Dynamic::Null);
            }
            Ok(Dynamic::Object(entries))
        }
    }
}

fn convert_items(
    json: &Json,
    element: &Type,
    extra: Extra,
    what: &str,
) -> Result<Vec<Dynamic>, CodecError> {
    let Json::Array(items) = json else {
        return Err(wrong(what, json));
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| convert(item, element, extra).map_err(|e| e.in_index(index)))
        .collect()
}

/// A type's JSON form back as a `serde_json::Value`, for [`Type::from_json`]. Types contain
/// no numbers, so none is lost; one showing up makes the type invalid either way.
fn to_serde(json: &Json) -> serde_json::Value {
    use serde_json::Value;
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        Json::String(text) => Value::String(text.clone()),
        Json::Array(items) => Value::Array(items.iter().map(to_serde).collect()),
        Json::Object(members) => Value::Object(
            members
                .iter()
                .map(|(key, member)| (key.clone(), to_serde(member)))
                .collect(),
        ),
    }
}

fn encode_value(out: &mut Vec<u8>, value: &Dynamic, ty: &Type) -> Result<(), CodecError> {
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
            let actual = implied_type(value)?;
            out.extend_from_slice(br#"{"value":"#);
            encode_value(out, value, &actual)?;
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
            Dynamic::String(text) => {
                write_string(out, text);
                Ok(())
            }
            other => Err(mismatch("a string", other)),
        },
        Type::List(element) | Type::Set(element) => {
            let items = sequence(value, ty)?;
            write_items(out, items.iter().zip(std::iter::repeat(&**element)))
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
            write_items(out, items.iter().zip(elements))
        }
        Type::Map(element) => {
            let entries = keyed(value, ty)?;
            out.push(b'{');
            for (index, (key, item)) in entries.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_string(out, key);
                out.push(b':');
                encode_value(out, item, element).map_err(|e| e.in_key(key))?;
            }
            out.push(b'}');
            Ok(())
        }
        Type::Object { attributes, .. } => {
            let entries = keyed(value, ty)?;
            if let Some(extra) = entries.keys().find(|name| !attributes.contains_key(*name)) {
                return Err(CodecError::new("the type has no such attribute").in_attribute(extra));
            }
            out.push(b'{');
            for (index, (name, attribute)) in attributes.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_string(out, name);
                out.push(b':');
                let item = entries.get(name).unwrap_or(&Dynamic::Null);
                encode_value(out, item, attribute).map_err(|e| e.in_attribute(name))?;
            }
            out.push(b'}');
            Ok(())
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
        encode_value(out, item, element).map_err(|e| e.in_index(index))?;
    }
    out.push(b']');
    Ok(())
}

fn sequence<'v>(value: &'v Dynamic, ty: &Type) -> Result<&'v [Dynamic], CodecError> {
    match value {
        Dynamic::List(items) | Dynamic::Set(items) | Dynamic::Tuple(items) => Ok(items),
        other => Err(mismatch(
            if matches!(ty, Type::Tuple(_)) {
                "a tuple"
            } else {
                "a list"
            },
            other,
        )),
    }
}

fn keyed<'v>(value: &'v Dynamic, ty: &Type) -> Result<&'v BTreeMap<String, Dynamic>, CodecError> {
    match value {
        Dynamic::Map(entries) | Dynamic::Object(entries) => Ok(entries),
        other => Err(mismatch(
            if matches!(ty, Type::Map(_)) {
                "a map"
            } else {
                "an object"
            },
            other,
        )),
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

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap()
    }

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
    fn small_object_is_exact() {
        let ty = Type::object([("b", Type::Number), ("a", Type::String)]);
        let bytes = encode(&object(&[("a", s("x"))]), &ty).unwrap();
        assert_eq!(text(bytes), r#"{"a":"x","b":null}"#);
    }

    #[test]
    fn every_type_round_trips() {
        assert_round_trip(Dynamic::Bool(true), &Type::Bool);
        assert_round_trip(s("line\n\"quoted\" é"), &Type::String);
        assert_round_trip(int(-42), &Type::Number);
        assert_round_trip(float(0.1), &Type::Number);
        assert_round_trip(float(1.5e300), &Type::Number);
        assert_round_trip(big("123456789012345678901234567890"), &Type::Number);
        assert_round_trip(Dynamic::Null, &Type::list(Type::String));
        assert_round_trip(
            Dynamic::List(vec![s("a"), Dynamic::Null]),
            &Type::list(Type::String),
        );
        assert_round_trip(Dynamic::Set(vec![int(2), int(1)]), &Type::set(Type::Number));
        assert_round_trip(
            Dynamic::Tuple(vec![s("a"), Dynamic::Bool(false)]),
            &Type::Tuple(vec![Type::String, Type::Bool]),
        );
        assert_round_trip(
            map(&[("k", s("v")), ("z", Dynamic::Null)]),
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
                ("id", s("x")),
                ("window", object(&[("day", s("mon")), ("hour", int(3))])),
                ("tags", Dynamic::Set(vec![s("a")])),
            ]),
            &ty,
        );
        let ty = Type::object([("settings", Type::Dynamic)]);
        for value in [
            s("x"),
            Dynamic::List(vec![int(1), int(2)]),
            object(&[("a", int(1)), ("b", s("two"))]),
            Dynamic::Tuple(vec![s("a"), int(1)]),
            Dynamic::Null,
        ] {
            assert_round_trip(object(&[("settings", value)]), &ty);
        }
    }

    #[test]
    fn encoding_follows_the_type() {
        let items = Dynamic::List(vec![s("a")]);
        let bytes = encode(&items, &Type::set(Type::String)).unwrap();
        assert_eq!(text(bytes.clone()), r#"["a"]"#);
        assert_eq!(
            decode(&bytes, &Type::set(Type::String)).unwrap(),
            Dynamic::Set(vec![s("a")])
        );
        let bytes = encode(&object(&[("k", int(1))]), &Type::map(Type::Number)).unwrap();
        assert_eq!(
            decode(&bytes, &Type::map(Type::Number)).unwrap(),
            map(&[("k", int(1))])
        );
        assert_eq!(text(encode(&s("7"), &Type::Number).unwrap()), "7");
        assert_eq!(text(encode(&float(2.0), &Type::Number).unwrap()), "2");
        assert_eq!(text(encode(&float(0.25), &Type::Number).unwrap()), "0.25");
    }

    #[test]
    fn missing_attributes_are_null_at_any_depth() {
        let ty = Type::object([
            ("name", Type::String),
            (
                "window",
                Type::object([("day", Type::String), ("hour", Type::Number)]),
            ),
            (
                "nodes",
                Type::list(Type::object([("id", Type::String), ("size", Type::Number)])),
            ),
        ]);
        let value = decode(br#"{"window":{"day":"mon"},"nodes":[{"id":"a"}]}"#, &ty).unwrap();
        assert_eq!(
            value,
            object(&[
                ("name", Dynamic::Null),
                (
                    "window",
                    object(&[("day", s("mon")), ("hour", Dynamic::Null)])
                ),
                (
                    "nodes",
                    Dynamic::List(vec![object(&[("id", s("a")), ("size", Dynamic::Null)])])
                ),
            ])
        );
    }

    #[test]
    fn extra_attributes_are_rejected_or_dropped() {
        let ty = Type::object([
            ("name", Type::String),
            ("window", Type::list(Type::object([("day", Type::String)]))),
        ]);
        let state = br#"{"name":"db","legacy":1,"window":[{"day":"mon","hour":3}]}"#;
        let error = decode(state, &ty).unwrap_err();
        assert_eq!(error.path(), ".legacy");
        let nested = br#"{"name":"db","window":[{"day":"mon","hour":3}]}"#;
        assert_eq!(decode(nested, &ty).unwrap_err().path(), ".window[0].hour");
        assert_eq!(
            decode_lenient(state, &ty).unwrap(),
            object(&[
                ("name", s("db")),
                ("window", Dynamic::List(vec![object(&[("day", s("mon"))])])),
            ])
        );
        // Lenient is about unknown attributes only; type errors still fail.
        let wrong = br#"{"name":["db"],"legacy":1}"#;
        assert_eq!(decode_lenient(wrong, &ty).unwrap_err().path(), ".name");
        // Extra keys in a map are just elements.
        let tags = decode(br#"{"a":"1","b":"2"}"#, &Type::map(Type::String)).unwrap();
        assert_eq!(tags, map(&[("a", s("1")), ("b", s("2"))]));
    }

    #[test]
    fn numbers_stay_exact() {
        let cases = [
            ("1", int(1)),
            ("-0", int(0)),
            ("1.0", int(1)),
            ("1e2", int(100)),
            ("1.5", float(1.5)),
            ("0.1", float(0.1)),
            ("-9223372036854775808", int(i64::MIN)),
            ("9223372036854775807", int(i64::MAX)),
            ("9223372036854775808", big("9223372036854775808")),
            ("18446744073709551615", big("18446744073709551615")),
            ("18446744073709551616", big("18446744073709551616")),
            ("-9223372036854775809", big("-9223372036854775809")),
            (
                "123456789012345678901234567890",
                big("123456789012345678901234567890"),
            ),
            (
                "3.14159265358979323846264338327950288",
                big("3.14159265358979323846264338327950288"),
            ),
            ("1e300", float(1e300)),
            ("\"42\"", int(42)),
            ("\"1e400\"", big("1e400")),
        ];
        for (literal, expected) in cases {
            assert_eq!(
                decode(literal.as_bytes(), &Type::Number).unwrap(),
                expected,
                "{literal}"
            );
        }
        let error = decode(b"\"many\"", &Type::Number).unwrap_err();
        assert!(error.message().contains("\"many\""), "{error}");
    }

    #[test]
    fn number_literals_are_paired_with_the_right_numbers() {
        // Strings containing digits, quotes and escapes must not shift the pairing.
        let ty = Type::object([
            ("a", Type::String),
            ("b", Type::Number),
            ("c", Type::list(Type::Number)),
            ("d", Type::String),
        ]);
        let document = br#"{"d":"-1 \"2\\","c":[18446744073709551617,-3,0.5e1],"a":"12","b":98765432109876543210}"#;
        assert_eq!(
            decode(document, &ty).unwrap(),
            object(&[
                ("a", s("12")),
                ("b", big("98765432109876543210")),
                (
                    "c",
                    Dynamic::List(vec![big("18446744073709551617"), int(-3), int(5)])
                ),
                ("d", s("-1 \"2\\")),
            ])
        );
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
    fn primitive_conversions_match_cty() {
        assert_eq!(
            decode(b"\"true\"", &Type::Bool).unwrap(),
            Dynamic::Bool(true)
        );
        assert_eq!(decode(b"\"0\"", &Type::Bool).unwrap(), Dynamic::Bool(false));
        assert!(decode(b"\"yes\"", &Type::Bool).is_err());
        assert!(decode(b"1", &Type::Bool).is_err());
        assert_eq!(decode(b"1.50", &Type::String).unwrap(), s("1.50"));
        assert_eq!(decode(b"false", &Type::String).unwrap(), s("false"));
        assert!(decode(b"[]", &Type::String).is_err());
    }

    #[test]
    fn dynamic_values() {
        let bytes = encode(&Dynamic::List(vec![s("a")]), &Type::Dynamic).unwrap();
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
        let error = encode(&object(&[("b", s("x"))]), &ty).unwrap_err();
        assert_eq!(error.path(), ".b");
    }

    #[test]
    fn malformed_documents_are_errors() {
        let ty = Type::object([("a", Type::String)]);
        assert!(decode(b"", &ty).is_err());
        assert!(decode(br#"{"a":"x""#, &ty).is_err());
        assert!(decode(br#"{"a":"x"} extra"#, &ty).is_err());
        assert!(decode(br#"{"a":"x","a":"y"}"#, &ty).is_err());
        assert!(decode(br#"[1,2]"#, &Type::Tuple(vec![Type::Number])).is_err());
        assert!(decode(b"{}", &Type::list(Type::String)).is_err());
    }
}
