//! How [`Value<T>`] crosses serde: its `Serialize` and `Deserialize` impls, the half of the
//! unknown-marker convention (see the module docs of `value`) that lives on the type's side.
//!
//! Kept apart from `Value`'s Option-like methods because this is the one place that must agree
//! with the serializer and deserializer in `ser` and `de` about how an unknown is spelled.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, EnumAccess, Unexpected, VariantAccess, Visitor};
use serde::{ser, Deserialize, Serialize};

use super::{Value, UNKNOWN_MARKER};

impl<T: Serialize> Serialize for Value<T> {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Value(x) => serializer.serialize_some(x),
            Value::Null => serializer.serialize_none(),
            Value::Unknown => serializer.serialize_unit_struct(UNKNOWN_MARKER),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Value<T> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_option(ValueVisitor(PhantomData))
    }
}

struct ValueVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ValueVisitor<T> {
    type Value = Value<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value, null or unknown")
    }

    fn visit_none<E: de::Error>(self) -> Result<Value<T>, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value<T>, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value<T>, D::Error> {
        T::deserialize(deserializer).map(Value::Value)
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value<T>, A::Error> {
        let ((), variant) = data.variant_seed(UnknownMarker)?;
        variant.unit_variant()?;
        Ok(Value::Unknown)
    }
}

/// Accepts only the unknown marker as an enum variant name, so an enum some other deserializer
/// might hand to [`ValueVisitor`] is an error rather than a fake unknown.
struct UnknownMarker;

impl<'de> DeserializeSeed<'de> for UnknownMarker {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl Visitor<'_> for UnknownMarker {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the unknown-value marker")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<(), E> {
        if name == UNKNOWN_MARKER {
            Ok(())
        } else {
            Err(E::invalid_value(Unexpected::Str(name), &self))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use serde::{Deserialize, Serialize};

    use super::super::test_models::{known_model, Model, Timeouts};
    use crate::plugin::dynamic::Dynamic;
    use crate::plugin::test_support::{object, string};
    use crate::plugin::value::{from_dynamic, to_dynamic, Value};

    #[test]
    fn null_and_unknown_round_trip_in_every_field() {
        for state in [Value::<()>::Null, Value::Unknown] {
            let model = Model {
                name: state.map(|()| String::new()),
                size: state.map(|()| 0),
                enabled: state.map(|()| false),
                tags: state.map(|()| Vec::new()),
                labels: state.map(|()| BTreeMap::new()),
                timeouts: state.map(|()| Timeouts::default()),
            };
            let tree = to_dynamic(&model).unwrap();
            let Dynamic::Object(attributes) = &tree else {
                panic!("not an object: {tree:?}");
            };
            for (name, value) in attributes {
                let expected = match (&state, name.as_str()) {
                    // A null block is an empty list of blocks, not a null.
                    (Value::Null, "timeouts") => Dynamic::List(vec![]),
                    (Value::Null, _) => Dynamic::Null,
                    _ => Dynamic::Unknown,
                };
                assert_eq!(value, &expected, "{name} for {state:?}");
            }
            assert_eq!(from_dynamic::<Model>(tree).unwrap(), model);
        }
    }

    #[test]
    fn unknowns_nested_in_lists_sets_and_maps_survive() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Nested {
            tags: Value<BTreeSet<Value<String>>>,
            hosts: Value<Vec<Value<String>>>,
            settings: Value<BTreeMap<String, Value<i64>>>,
        }
        let tree = object(&[
            ("tags", Dynamic::Set(vec![string("a"), Dynamic::Unknown])),
            (
                "hosts",
                Dynamic::List(vec![Dynamic::Unknown, Dynamic::Null]),
            ),
            (
                "settings",
                Dynamic::Map(BTreeMap::from([("x".into(), Dynamic::Unknown)])),
            ),
        ]);
        let nested: Nested = from_dynamic(tree).unwrap();
        assert_eq!(
            nested,
            Nested {
                tags: Value::Value(BTreeSet::from([Value::Value("a".into()), Value::Unknown])),
                hosts: Value::Value(vec![Value::Unknown, Value::Null]),
                settings: Value::Value(BTreeMap::from([("x".into(), Value::Unknown)])),
            }
        );
        let again = to_dynamic(&nested).unwrap();
        assert!(again.attribute("tags").unwrap().contains_unknown());
        assert_eq!(
            again.attribute("hosts"),
            Some(&Dynamic::List(vec![Dynamic::Unknown, Dynamic::Null]))
        );
        assert_eq!(from_dynamic::<Nested>(again).unwrap(), nested);
    }

    #[test]
    fn value_behaves_like_an_option_in_json() {
        assert_eq!(serde_json::to_string(&Value::Value(5)).unwrap(), "5");
        assert_eq!(serde_json::to_string(&Value::<i64>::Null).unwrap(), "null");
        assert_eq!(
            serde_json::to_string(&Value::<i64>::Unknown).unwrap(),
            "null"
        );
        assert_eq!(
            serde_json::from_str::<Value<i64>>("7").unwrap(),
            Value::Value(7)
        );
        assert_eq!(
            serde_json::from_str::<Value<i64>>("null").unwrap(),
            Value::Null
        );
        assert!(serde_json::from_str::<Value<i64>>("\"x\"").is_err());

        let json = serde_json::to_value(known_model()).unwrap();
        assert_eq!(
            json["timeouts"],
            serde_json::json!([{"create": "5m", "delete": null}])
        );
        assert_eq!(
            serde_json::from_value::<Model>(json).unwrap(),
            known_model()
        );
        let json = serde_json::to_value(Model::default()).unwrap();
        assert_eq!(json["name"], serde_json::Value::Null);
        assert_eq!(json["timeouts"], serde_json::json!([]));
        assert_eq!(
            serde_json::from_value::<Model>(json).unwrap(),
            Model::default()
        );
    }

    #[test]
    fn an_unknown_where_no_value_type_can_hold_it_is_an_error() {
        #[derive(Debug, Deserialize)]
        struct Plain {
            #[allow(dead_code)]
            name: String,
        }
        #[derive(Debug, Deserialize)]
        struct Outer {
            #[allow(dead_code)]
            inner: Vec<Plain>,
        }
        let tree = object(&[(
            "inner",
            Dynamic::List(vec![object(&[("name", Dynamic::Unknown)])]),
        )]);
        assert_eq!(
            from_dynamic::<Outer>(tree).unwrap_err().to_string(),
            ".inner[0].name: expected a string, got an unknown value"
        );
        #[derive(Debug, Deserialize)]
        struct WithOption {
            #[allow(dead_code)]
            name: Option<String>,
        }
        let tree = object(&[("name", Dynamic::Unknown)]);
        assert_eq!(
            from_dynamic::<WithOption>(tree).unwrap_err().to_string(),
            ".name: expected option, got an unknown value"
        );
        let error = from_dynamic::<serde_json::Value>(Dynamic::Unknown).unwrap_err();
        assert_eq!(
            error.to_string(),
            "expected any valid JSON value, got an unknown value"
        );
    }
}
