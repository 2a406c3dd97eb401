//! Terraform's values and types as the protocol carries them, independent of any schema
//! struct: a [`Dynamic`] tree (with unknown values) and its cty [`Type`].
//!
//! The wire codecs (`msgpack`, `json`) turn bytes into these trees and back, guided by the
//! type; `value` bridges them to serde structs. What both codecs need to know about a tree
//! beyond its shape lives here, so they cannot drift apart: the type a `dynamic` value travels
//! with (`Dynamic::implied_type`) and how a number's decimal text is classified
//! ([`Number`]).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use super::codec_error::CodecError;

mod number;

pub use number::Number;
pub(in crate::plugin) use number::{exact_i64, json_number_literal};

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

    /// What kind of value this is, in the words error messages use ("a bool", "an unknown
    /// value").
    pub(in crate::plugin) fn kind_name(&self) -> &'static str {
        match self {
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
        }
    }

    /// The codec error for this value standing where `expected` ("a bool") is required.
    pub(in crate::plugin) fn mismatch(&self, expected: &str) -> CodecError {
        CodecError::new(format!("{expected} is required, got {}", self.kind_name()))
    }

    /// The number this value stands for under a number type: a number, or a string that spells
    /// one (cty converts such a string to the number, so both encoders accept it).
    pub(in crate::plugin) fn to_number(&self) -> Result<Cow<'_, Number>, CodecError> {
        match self {
            Dynamic::Number(number) => Ok(Cow::Borrowed(number)),
            Dynamic::String(text) => Number::parse_required(text).map(Cow::Owned),
            other => Err(other.mismatch("a number")),
        }
    }

    /// The type a value of `dynamic` type travels with: what its shape says, the way Terraform
    /// would type the same value written in configuration.
    ///
    /// Nulls, unknowns and the elements of empty collections carry no type, so they contribute
    /// `dynamic`, which then gives way to whatever their siblings say. A list whose elements
    /// disagree becomes a tuple and a map whose elements disagree an object, as in Terraform's
    /// own type inference; a set has no such fallback.
    pub(in crate::plugin) fn implied_type(&self) -> Result<Type, CodecError> {
        Ok(match self {
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
                    .map(|(key, item)| item.implied_type().map_err(|e| e.in_key(key)))
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
                            item.implied_type().map_err(|e| e.in_attribute(name))?,
                        ))
                    })
                    .collect::<Result<Vec<_>, CodecError>>()?,
            ),
        })
    }
}

fn implied_types(items: &[Dynamic]) -> Result<Vec<Type>, CodecError> {
    items
        .iter()
        .enumerate()
        .map(|(index, item)| item.implied_type().map_err(|e| e.in_index(index)))
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
