//! Reading Terraform JSON: parsing with every number's literal text kept, then converting the
//! parsed document to a [`Dynamic`] tree as the schema's [`Type`] says.
//!
//! The two steps are apart because the second is where Terraform's rules live (cty's
//! primitive conversions, missing and extra attributes), while the first only has to get the
//! document's numbers past `serde_json` without rounding them.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::plugin::codec_error::CodecError;
use crate::plugin::dynamic::{Dynamic, Number, Type};

/// What to do with an object attribute the type does not have.
#[derive(Clone, Copy)]
pub(super) enum Extra {
    Reject,
    Ignore,
}

/// Decodes a whole document of type `ty`.
pub(super) fn read_document(bytes: &[u8], ty: &Type, extra: Extra) -> Result<Dynamic, CodecError> {
    let json = parse(bytes)?;
    convert(&json, ty, extra)
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
            Json::Number(text) | Json::String(text) => {
                Number::parse_required(text).map(Dynamic::Number)
            }
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
                return Err(CodecError::tuple_length(elements.len(), items.len()));
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
                        Extra::Reject => return Err(CodecError::no_such_attribute(name)),
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

#[cfg(test)]
mod tests {
    use crate::plugin::dynamic::{Dynamic, Type};
    use crate::plugin::json::{decode, decode_lenient};
    use crate::plugin::test_support::{big, float, int, map, object, string};

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
                    object(&[("day", string("mon")), ("hour", Dynamic::Null)])
                ),
                (
                    "nodes",
                    Dynamic::List(vec![object(&[
                        ("id", string("a")),
                        ("size", Dynamic::Null)
                    ])])
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
                ("name", string("db")),
                (
                    "window",
                    Dynamic::List(vec![object(&[("day", string("mon"))])])
                ),
            ])
        );
        // Lenient is about unknown attributes only; type errors still fail.
        let wrong = br#"{"name":["db"],"legacy":1}"#;
        assert_eq!(decode_lenient(wrong, &ty).unwrap_err().path(), ".name");
        // Extra keys in a map are just elements.
        let tags = decode(br#"{"a":"1","b":"2"}"#, &Type::map(Type::String)).unwrap();
        assert_eq!(tags, map(&[("a", string("1")), ("b", string("2"))]));
    }

    #[test]
    fn numbers_stay_exact() {
        let cases = [
            ("1", int(1)),
            ("-0", int(0)),
            ("1.0", int(1)),
            ("1e2", int(100)),
            ("1.5", float(1.5)),
            ("0.1", big("0.1")),
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
            ("1e300", big("1e300")),
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
                ("a", string("12")),
                ("b", big("98765432109876543210")),
                (
                    "c",
                    Dynamic::List(vec![big("18446744073709551617"), int(-3), int(5)])
                ),
                ("d", string("-1 \"2\\")),
            ])
        );
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
        assert_eq!(decode(b"1.50", &Type::String).unwrap(), string("1.50"));
        assert_eq!(decode(b"false", &Type::String).unwrap(), string("false"));
        assert!(decode(b"[]", &Type::String).is_err());
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
