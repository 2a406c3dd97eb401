//! [`Dynamic`] to Rust: a serde `Deserializer` over a borrowed tree.
//!
//! It offers an unknown only through the marker that [`Value<T>`](super::Value)'s visitor
//! accepts, so an unknown anywhere else is an error at its path rather than a silent null, and
//! it lets the target's requested type decide how a number reads (`5.0` into an `i64`, a big
//! decimal into a `u128`).

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, Expected, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};
use serde::{Deserialize, Deserializer as _};

use super::error::{elements, BridgeError, PathStep};
use super::UNKNOWN_MARKER;
use crate::plugin::dynamic::{Dynamic, Number};

/// Converts a [`Dynamic`] tree into a serde value (typically a resource's model struct).
///
/// Objects and maps read as maps (so structs, `BTreeMap` and `HashMap` work), lists, sets and
/// tuples as sequences (`Vec`, `BTreeSet`, `HashSet`, tuples), numbers as whatever numeric type
/// the target asks for when the value fits it, null as `None`/unit. Only [`Value<T>`](super::Value) accepts
/// [`Dynamic::Unknown`]; anywhere else an unknown is an error naming its path.
pub fn from_dynamic<T: DeserializeOwned>(value: Dynamic) -> Result<T, BridgeError> {
    from_dynamic_ref(&value)
}

/// Like [`from_dynamic`], borrowing the tree, so the target may borrow strings from it.
pub fn from_dynamic_ref<'de, T: Deserialize<'de>>(value: &'de Dynamic) -> Result<T, BridgeError> {
    T::deserialize(DynamicDeserializer { value })
}

struct DynamicDeserializer<'de> {
    value: &'de Dynamic,
}

/// Offers the unknown to `visitor` (see `value`'s module docs). Only `Value`'s visitor takes it; any
/// other visitor's refusal is replaced by an error that says what happened, since serde's own
/// ("invalid type: enum") would point at something the configuration never contained.
fn visit_unknown<'de, V: Visitor<'de>>(visitor: V) -> Result<V::Value, BridgeError> {
    let expected = (&visitor as &dyn Expected).to_string();
    visitor
        .visit_enum(BorrowedStrDeserializer::<BridgeError>::new(UNKNOWN_MARKER))
        .map_err(|_| BridgeError::new(format!("expected {expected}, got an unknown value")))
}

impl<'de> DynamicDeserializer<'de> {
    /// For integer targets: whole floats and big numbers that fit are offered as integers, so
    /// `5.0` reads into an `i64`; anything else is offered as it is, for the visitor to judge.
    fn integer<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        match self.value {
            Dynamic::Number(Number::Float(x)) if x.fract() == 0.0 => {
                // `i64::MAX as f64` rounds up to 2^63, so the bounds are exclusive there.
                if *x >= -(2f64.powi(63)) && *x < 2f64.powi(63) {
                    visitor.visit_i64(*x as i64)
                } else if *x >= 0.0 && *x < 2f64.powi(64) {
                    visitor.visit_u64(*x as u64)
                } else {
                    visitor.visit_f64(*x)
                }
            }
            Dynamic::Number(Number::Big(text)) => {
                if let Ok(n) = text.parse::<i64>() {
                    visitor.visit_i64(n)
                } else if let Ok(n) = text.parse::<u64>() {
                    visitor.visit_u64(n)
                } else if let Ok(n) = text.parse::<i128>() {
                    visitor.visit_i128(n)
                } else if let Ok(n) = text.parse::<u128>() {
                    visitor.visit_u128(n)
                } else {
                    let expected = (&visitor as &dyn Expected).to_string();
                    Err(BridgeError::new(format!(
                        "expected {expected}, got the number {text}, which is not a whole \
                         number in its range"
                    )))
                }
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn float<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        match self.value {
            Dynamic::Number(Number::Big(text)) => match text.parse::<f64>() {
                Ok(x) => visitor.visit_f64(x),
                Err(_) => Err(BridgeError::new(format!(
                    "{text:?} is not a decimal number"
                ))),
            },
            _ => self.deserialize_any(visitor),
        }
    }
}

/// Every integer width reads through [`DynamicDeserializer::integer`] and both float widths
/// through [`DynamicDeserializer::float`]: which width fits is the visitor's call, so the
/// methods differ only in name.
macro_rules! number_hints {
    ($read:ident: $($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
            self.$read(visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for DynamicDeserializer<'de> {
    type Error = BridgeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        match self.value {
            Dynamic::Null => visitor.visit_unit(),
            Dynamic::Unknown => visit_unknown(visitor),
            Dynamic::Bool(b) => visitor.visit_bool(*b),
            Dynamic::Number(Number::Int(n)) => visitor.visit_i64(*n),
            Dynamic::Number(Number::Float(x)) => visitor.visit_f64(*x),
            // Without a hint, a number beyond u64 stays decimal text: converting it to a float
            // would silently drop digits.
            Dynamic::Number(Number::Big(text)) => {
                if let Ok(n) = text.parse::<i64>() {
                    visitor.visit_i64(n)
                } else if let Ok(n) = text.parse::<u64>() {
                    visitor.visit_u64(n)
                } else {
                    visitor.visit_borrowed_str(text)
                }
            }
            Dynamic::String(text) => visitor.visit_borrowed_str(text),
            Dynamic::List(items) | Dynamic::Set(items) | Dynamic::Tuple(items) => {
                let mut seq = SeqDeserializer {
                    items: items.iter(),
                    index: 0,
                };
                let value = visitor.visit_seq(&mut seq)?;
                // A visitor that stops early (a tuple shorter than the list) would otherwise
                // drop the rest without a word.
                match seq.items.len() {
                    0 => Ok(value),
                    left => Err(BridgeError::new(format!(
                        "expected {}, got {}",
                        elements(items.len() - left),
                        items.len()
                    ))),
                }
            }
            Dynamic::Map(entries) | Dynamic::Object(entries) => {
                let mut map = MapDeserializer {
                    entries: entries.iter(),
                    pending: None,
                    object: matches!(self.value, Dynamic::Object(_)),
                };
                visitor.visit_map(&mut map)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        match self.value {
            Dynamic::Null => visitor.visit_none(),
            Dynamic::Unknown => visit_unknown(visitor),
            _ => visitor.visit_some(self),
        }
    }

    number_hints! {
        integer: deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
    }

    number_hints! {
        float: deserialize_f32 deserialize_f64
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, BridgeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, BridgeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, BridgeError> {
        match self.value {
            Dynamic::String(variant) => {
                visitor.visit_enum(BorrowedStrDeserializer::<BridgeError>::new(variant))
            }
            // The form the serializer writes for variants with content.
            Dynamic::Object(entries) | Dynamic::Map(entries) if entries.len() == 1 => {
                let (variant, content) = entries.iter().next().expect("one entry");
                visitor
                    .visit_enum(EnumDeserializer { variant, content })
                    .map_err(|e| e.within(PathStep::Attribute(variant.clone())))
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        // An ignored attribute may well be unknown; it must not fail the whole struct.
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool char str string bytes byte_buf seq tuple tuple_struct map struct identifier
    }
}

struct SeqDeserializer<'de> {
    items: std::slice::Iter<'de, Dynamic>,
    index: usize,
}

impl<'de> SeqAccess<'de> for SeqDeserializer<'de> {
    type Error = BridgeError;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, BridgeError> {
        let Some(value) = self.items.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        seed.deserialize(DynamicDeserializer { value })
            .map(Some)
            .map_err(|e| e.within(PathStep::Index(index)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapDeserializer<'de> {
    entries: std::collections::btree_map::Iter<'de, String, Dynamic>,
    /// The entry whose key was just handed out, waiting for its value to be asked for.
    pending: Option<(&'de String, &'de Dynamic)>,
    /// Objects and maps name their steps differently in error paths.
    object: bool,
}

impl MapDeserializer<'_> {
    fn step(&self, key: &str) -> PathStep {
        if self.object {
            PathStep::Attribute(key.to_string())
        } else {
            PathStep::Key(key.to_string())
        }
    }
}

impl<'de> MapAccess<'de> for MapDeserializer<'de> {
    type Error = BridgeError;

    fn next_key_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, BridgeError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.pending = Some((key, value));
        seed.deserialize(BorrowedStrDeserializer::<BridgeError>::new(key))
            .map(Some)
            .map_err(|e| e.within(self.step(key)))
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, BridgeError> {
        let (key, value) = self
            .pending
            .take()
            .ok_or_else(|| BridgeError::new("map value requested before its key"))?;
        seed.deserialize(DynamicDeserializer { value })
            .map_err(|e| e.within(self.step(key)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// An externally tagged variant with content, `{variant: content}`.
struct EnumDeserializer<'de> {
    variant: &'de str,
    content: &'de Dynamic,
}

impl<'de> EnumAccess<'de> for EnumDeserializer<'de> {
    type Error = BridgeError;
    type Variant = DynamicDeserializer<'de>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, DynamicDeserializer<'de>), BridgeError> {
        let variant =
            seed.deserialize(BorrowedStrDeserializer::<BridgeError>::new(self.variant))?;
        Ok((
            variant,
            DynamicDeserializer {
                value: self.content,
            },
        ))
    }
}

impl<'de> VariantAccess<'de> for DynamicDeserializer<'de> {
    type Error = BridgeError;

    fn unit_variant(self) -> Result<(), BridgeError> {
        Deserialize::deserialize(self)
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<S::Value, BridgeError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, BridgeError> {
        self.deserialize_any(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, BridgeError> {
        self.deserialize_any(visitor)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::plugin::test_support::{big, float, int, object, string};
    use crate::plugin::value::test_models::Model;
    use crate::plugin::value::{to_dynamic, Value};

    #[test]
    fn ignored_attributes_may_be_anything_even_unknown() {
        #[derive(Debug, PartialEq, Deserialize)]
        struct Partial {
            name: Value<String>,
        }
        let tree = object(&[("name", string("n")), ("other", Dynamic::Unknown)]);
        assert_eq!(
            from_dynamic::<Partial>(tree).unwrap(),
            Partial {
                name: Value::Value("n".into())
            }
        );
    }

    #[test]
    fn sets_read_into_any_collection() {
        let set = Dynamic::Set(vec![string("b"), string("a"), string("b")]);
        assert_eq!(
            from_dynamic::<BTreeSet<String>>(set.clone()).unwrap(),
            BTreeSet::from(["a".to_string(), "b".to_string()])
        );
        assert_eq!(
            from_dynamic::<HashSet<String>>(set.clone()).unwrap(),
            HashSet::from(["a".to_string(), "b".to_string()])
        );
        assert_eq!(from_dynamic::<Vec<String>>(set).unwrap(), ["b", "a", "b"]);
        let tuple = Dynamic::Tuple(vec![string("x"), int(1)]);
        assert_eq!(
            from_dynamic::<(String, i64)>(tuple.clone()).unwrap(),
            ("x".to_string(), 1)
        );
        assert_eq!(
            from_dynamic::<(String,)>(tuple).unwrap_err().to_string(),
            "expected 1 element, got 2"
        );
        let map = Dynamic::Map(BTreeMap::from([("k".into(), int(2))]));
        assert_eq!(
            from_dynamic::<HashMap<String, u8>>(map).unwrap(),
            HashMap::from([("k".to_string(), 2)])
        );
        // Serializing a set writes a list; the codec re-types it by the schema.
        assert_eq!(
            to_dynamic(&BTreeSet::from(["a"])).unwrap(),
            Dynamic::List(vec![string("a")])
        );
    }

    #[test]
    fn option_fields_read_null_missing_and_present() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Optional {
            #[serde(default)]
            a: Option<String>,
            b: Option<i64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            c: Option<bool>,
            #[serde(rename = "type")]
            kind: String,
        }
        let tree = object(&[
            ("a", Dynamic::Null),
            ("type", string("t")),
            ("c", Dynamic::Bool(false)),
        ]);
        let optional: Optional = from_dynamic(tree).unwrap();
        assert_eq!(
            optional,
            Optional {
                a: None,
                b: None,
                c: Some(false),
                kind: "t".into(),
            }
        );
        let none = Optional {
            a: Some("x".into()),
            b: None,
            c: None,
            kind: "t".into(),
        };
        assert_eq!(
            to_dynamic(&none).unwrap(),
            object(&[
                ("a", string("x")),
                ("b", Dynamic::Null),
                ("type", string("t"))
            ])
        );
        // A missing Value field reads as null, like a missing Option.
        let sparse = object(&[("timeouts", Dynamic::List(vec![]))]);
        assert_eq!(from_dynamic::<Model>(sparse).unwrap(), Model::default());

        let missing = object(&[]);
        assert_eq!(
            from_dynamic::<Optional>(missing).unwrap_err().to_string(),
            "missing field `type`"
        );
    }

    #[test]
    fn numbers_read_as_whatever_the_target_asks_for() {
        assert_eq!(from_dynamic::<i64>(float(3.0)).unwrap(), 3);
        assert_eq!(
            from_dynamic::<u64>(float(1e19)).unwrap(),
            10_000_000_000_000_000_000
        );
        assert_eq!(
            from_dynamic::<i64>(float(3.5)).unwrap_err().to_string(),
            "expected i64, got a number (3.5)"
        );
        assert_eq!(from_dynamic::<f64>(int(2)).unwrap(), 2.0);
        assert_eq!(
            from_dynamic::<u64>(big("18446744073709551615")).unwrap(),
            u64::MAX
        );
        assert_eq!(
            from_dynamic::<i128>(big("-18446744073709551616")).unwrap(),
            -(1 << 64)
        );
        assert_eq!(from_dynamic::<f64>(big("1.5")).unwrap(), 1.5);
        assert!(from_dynamic::<i64>(big("18446744073709551615")).is_err());
        assert!(from_dynamic::<u8>(int(300)).is_err());
        assert!(from_dynamic::<u32>(int(-1)).is_err());
        assert!(from_dynamic::<i64>(big("1e400")).is_err());

        assert_eq!(to_dynamic(&u64::MAX).unwrap(), big("18446744073709551615"));
        assert_eq!(to_dynamic(&(i64::MAX as u64)).unwrap(), int(i64::MAX));
        assert_eq!(to_dynamic(&-5i128).unwrap(), int(-5));
        assert_eq!(to_dynamic(&0.5f64).unwrap(), float(0.5));

        // Untyped targets keep big numbers exact instead of rounding them to a float.
        assert_eq!(
            from_dynamic::<serde_json::Value>(big("18446744073709551615")).unwrap(),
            serde_json::json!(18446744073709551615u64)
        );
        assert_eq!(
            from_dynamic::<serde_json::Value>(big("99999999999999999999999")).unwrap(),
            serde_json::json!("99999999999999999999999")
        );
    }

    #[test]
    fn deserialize_any_serves_json_values_and_untagged_enums() {
        let tree = object(&[
            (
                "a",
                Dynamic::List(vec![int(1), Dynamic::Null, Dynamic::Bool(true)]),
            ),
            (
                "b",
                Dynamic::Map(BTreeMap::from([("c".into(), string("d"))])),
            ),
        ]);
        assert_eq!(
            from_dynamic::<serde_json::Value>(tree).unwrap(),
            serde_json::json!({"a": [1, null, true], "b": {"c": "d"}})
        );
        assert_eq!(
            to_dynamic(&serde_json::json!({"x": [1.5]})).unwrap(),
            Dynamic::Map(BTreeMap::from([(
                "x".into(),
                Dynamic::List(vec![Dynamic::Number(Number::Float(1.5))])
            )]))
        );

        #[derive(Debug, PartialEq, Deserialize)]
        #[serde(untagged)]
        enum Either {
            Number(i64),
            Text(String),
        }
        assert_eq!(from_dynamic::<Either>(int(4)).unwrap(), Either::Number(4));
        assert_eq!(
            from_dynamic::<Either>(string("x")).unwrap(),
            Either::Text("x".into())
        );

        // serde buffers untagged content, and the buffer cannot hold an unknown.
        #[derive(Debug, Deserialize)]
        #[serde(untagged)]
        enum Buffered {
            #[allow(dead_code)]
            Text(Value<String>),
        }
        let error = from_dynamic::<Buffered>(Dynamic::Unknown).unwrap_err();
        assert!(
            error.to_string().ends_with("got an unknown value"),
            "{error}"
        );
    }

    #[test]
    fn enums_travel_as_their_variant_names() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Policy {
            AllKeysLru,
            Noeviction,
        }
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        enum Shape {
            Point(i64),
            Pair(i64, i64),
            Named { x: i64 },
        }
        assert_eq!(
            to_dynamic(&Policy::AllKeysLru).unwrap(),
            string("all_keys_lru")
        );
        assert_eq!(
            from_dynamic::<Policy>(string("noeviction")).unwrap(),
            Policy::Noeviction
        );
        let error = from_dynamic::<Value<Policy>>(string("lru")).unwrap_err();
        assert!(
            error.to_string().starts_with("unknown variant `lru`"),
            "{error}"
        );
        for shape in [Shape::Point(1), Shape::Pair(1, 2), Shape::Named { x: 3 }] {
            let tree = to_dynamic(&shape).unwrap();
            assert_eq!(from_dynamic::<Shape>(tree).unwrap(), shape);
        }
        assert_eq!(
            to_dynamic(&Shape::Named { x: 3 }).unwrap(),
            object(&[("Named", object(&[("x", int(3))]))])
        );
    }
}
