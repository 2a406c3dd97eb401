//! Terraform's values and types as the protocol carries them, independent of any schema
//! struct: a [`Dynamic`] tree (with unknown values) and its cty [`Type`].
//!
//! The wire codecs (`msgpack`, `json`) turn bytes into these trees and back, guided by the
//! type; `value` bridges them to serde structs.

use std::collections::BTreeMap;
use std::fmt;

/// A Terraform number. Terraform's numbers are arbitrary-precision; the wire carries them as
/// integers, floats or (when neither fits) decimal strings, and so does this type.
#[derive(Debug, Clone, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
    /// A number that fits neither an `i64` nor an `f64` exactly, in decimal notation.
    Big(String),
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(n) => write!(f, "{n}"),
            Number::Float(n) => write!(f, "{n}"),
            Number::Big(n) => f.write_str(n),
        }
    }
}

/// A value as Terraform sends and receives it.
///
/// Lists, sets and tuples are sequences; maps and objects are keyed by name. Which of the two a
/// sequence or a keyed value is on the wire is the [`Type`]'s business, so encoding always
/// takes the type, and a value built from a serde struct (`Object`/`List`) encodes correctly
/// into a set or a map where the schema says so.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Dynamic {
    #[default]
    Null,
    /// Known only after apply. Refinements (Terraform ≥ 1.6 narrows some unknowns, e.g. "not
    /// null") are accepted on input and not kept.
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Dynamic>),
    Set(Vec<Dynamic>),
    Tuple(Vec<Dynamic>),
    Map(BTreeMap<String, Dynamic>),
    Object(BTreeMap<String, Dynamic>),
}

impl Dynamic {
    pub fn is_null(&self) -> bool {
        matches!(self, Dynamic::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Dynamic::Unknown)
    }

    /// Whether the value, or anything inside it, is unknown.
    pub fn contains_unknown(&self) -> bool {
        match self {
            Dynamic::Unknown => true,
            Dynamic::List(items) | Dynamic::Set(items) | Dynamic::Tuple(items) => {
                items.iter().any(Dynamic::contains_unknown)
            }
            Dynamic::Map(entries) | Dynamic::Object(entries) => {
                entries.values().any(Dynamic::contains_unknown)
            }
            _ => false,
        }
    }

    /// The attribute `name` of an object value (`None` for anything else or a missing name).
    pub fn attribute(&self, name: &str) -> Option<&Dynamic> {
        match self {
            Dynamic::Object(attributes) => attributes.get(name),
            _ => None,
        }
    }

    /// A mutable attribute of an object value.
    pub fn attribute_mut(&mut self, name: &str) -> Option<&mut Dynamic> {
        match self {
            Dynamic::Object(attributes) => attributes.get_mut(name),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Dynamic::String(text) => Some(text),
            _ => None,
        }
    }
}

/// A cty type, as schemas declare it and as its JSON form (`"string"`,
/// `["list","string"]`, `["object",{"a":"number"}]`) travels in schemas and dynamic values.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    Bool,
    Number,
    String,
    /// Any type: the value travels with its type (`"dynamic"`).
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    /// Attribute types; the names in `optional` may be left out of a value given in
    /// configuration (cty's optional attributes).
    Object {
        attributes: BTreeMap<String, Type>,
        optional: Vec<String>,
    },
    Tuple(Vec<Type>),
}

impl Type {
    /// An object type with every attribute required.
    pub fn object<I, K>(attributes: I) -> Type
    where
        I: IntoIterator<Item = (K, Type)>,
        K: Into<String>,
    {
        Type::Object {
            attributes: attributes.into_iter().map(|(k, v)| (k.into(), v)).collect(),
            optional: Vec::new(),
        }
    }

    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }

    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }

    /// The type's JSON form, as schemas carry it.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{json, Value as J};
        match self {
            Type::Bool => J::from("bool"),
            Type::Number => J::from("number"),
            Type::String => J::from("string"),
            Type::Dynamic => J::from("dynamic"),
            Type::List(element) => json!(["list", element.to_json()]),
            Type::Set(element) => json!(["set", element.to_json()]),
            Type::Map(element) => json!(["map", element.to_json()]),
            Type::Object {
                attributes,
                optional,
            } => {
                let attributes: serde_json::Map<String, J> = attributes
                    .iter()
                    .map(|(name, ty)| (name.clone(), ty.to_json()))
                    .collect();
                if optional.is_empty() {
                    json!(["object", attributes])
                } else {
                    json!(["object", attributes, optional])
                }
            }
            Type::Tuple(elements) => {
                json!([
                    "tuple",
                    elements.iter().map(Type::to_json).collect::<Vec<_>>()
                ])
            }
        }
    }

    /// Reads a type from its JSON form.
    pub fn from_json(json: &serde_json::Value) -> Result<Type, String> {
        use serde_json::Value as J;
        match json {
            J::String(name) => match name.as_str() {
                "bool" => Ok(Type::Bool),
                "number" => Ok(Type::Number),
                "string" => Ok(Type::String),
                "dynamic" => Ok(Type::Dynamic),
                other => Err(format!("unknown primitive type {other:?}")),
            },
            J::Array(parts) => {
                let kind = parts.first().and_then(J::as_str).ok_or_else(|| {
                    format!("a complex type must start with its kind, got {json}")
                })?;
                let argument = parts
                    .get(1)
                    .ok_or_else(|| format!("type {kind:?} lacks its argument"))?;
                match kind {
                    "list" => Ok(Type::list(Type::from_json(argument)?)),
                    "set" => Ok(Type::set(Type::from_json(argument)?)),
                    "map" => Ok(Type::map(Type::from_json(argument)?)),
                    "object" => {
                        let J::Object(fields) = argument else {
                            return Err(format!(
                                "object attributes must be a JSON object, got {argument}"
                            ));
                        };
                        let attributes = fields
                            .iter()
                            .map(|(name, ty)| Ok((name.clone(), Type::from_json(ty)?)))
                            .collect::<Result<_, String>>()?;
                        let optional = match parts.get(2) {
                            Some(J::Array(names)) => names
                                .iter()
                                .map(|n| {
                                    n.as_str().map(str::to_string).ok_or(
                                        "optional attribute names must be strings".to_string(),
                                    )
                                })
                                .collect::<Result<_, _>>()?,
                            Some(other) => {
                                return Err(format!(
                                    "optional attributes must be a list, got {other}"
                                ))
                            }
                            None => Vec::new(),
                        };
                        Ok(Type::Object {
                            attributes,
                            optional,
                        })
                    }
                    "tuple" => {
                        let J::Array(elements) = argument else {
                            return Err(format!(
                                "tuple elements must be a JSON array, got {argument}"
                            ));
                        };
                        Ok(Type::Tuple(
                            elements
                                .iter()
                                .map(Type::from_json)
                                .collect::<Result<_, _>>()?,
                        ))
                    }
                    other => Err(format!("unknown type kind {other:?}")),
                }
            }
            other => Err(format!("not a type: {other}")),
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}
