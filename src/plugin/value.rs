//! Typed Terraform values for schema structs, and the serde bridge between those structs and
//! [`Dynamic`] trees.
//!
//! Resources describe their configuration, plan and state as plain serde structs whose fields
//! are [`Value<T>`]: Terraform distinguishes a known value, null and "known after apply", and
//! `Option<T>` can only say two of those. The protocol layer speaks [`Dynamic`]; [`to_dynamic`]
//! and [`from_dynamic`] convert between the two so that every struct keeps using derived serde
//! impls, `#[serde(rename)]`, `#[serde(default)]` and friends.
//!
//! # How an unknown travels through serde
//!
//! serde's data model has no "unknown", so both directions use a private convention that only
//! this module's serializer and deserializer understand, and that degrades to null anywhere
//! else (serde_json included):
//!
//! * Serializing, `Value::Unknown` calls `serialize_unit_struct` with a private marker name.
//!   Our serializer turns exactly that name into [`Dynamic::Unknown`]; any other format sees an
//!   ordinary unit struct, which is `null` in JSON.
//! * Deserializing, `Value<T>` asks for `deserialize_option`. On [`Dynamic::Unknown`] our
//!   deserializer calls `visit_enum` with the marker name as a unit variant. `Value`'s visitor
//!   accepts exactly that variant; every other visitor (`String`, `Option`, a struct, ...)
//!   rejects an enum, and the deserializer turns the rejection into "expected a string, got
//!   an unknown value" (naming what the visitor wanted) at the attribute's path. Other formats never call
//!   `visit_enum` from `deserialize_option`, so for them `Value` is simply `Option` with `null`
//!   as [`Value::Null`].
//!
//! An unknown cannot survive serde's internal buffering (`#[serde(untagged)]`,
//! `#[serde(flatten)]`): the buffered content has no way to hold it, so deserializing one there
//! is the same "got an unknown value" error rather than a silent null.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::mem;
use std::ops::{Deref, DerefMut};

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, Expected, MapAccess, SeqAccess,
    Unexpected, VariantAccess, Visitor,
};
use serde::ser;
use serde::{Deserialize, Deserializer as _, Serialize};

use super::dynamic::{Dynamic, Number};

/// The unit-struct name that stands for "unknown" inside serde (see the module docs). It is
/// deliberately not a valid Rust identifier, so no real type can collide with it.
const UNKNOWN_MARKER: &str = "$dbaas::plugin::value::Unknown";

// ---------------------------------------------------------------------------------------------
// Value<T>
// ---------------------------------------------------------------------------------------------

/// A Terraform value of type `T`: known, null, or unknown until apply.
///
/// It works like [`Option`], with [`Value::Value`] for `Some` and [`Value::Null`] for `None`,
/// plus [`Value::Unknown`]. Methods that would produce an `Option` treat an unknown like null;
/// methods that produce another `Value` keep the unknown.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub enum Value<T> {
    /// A known value.
    Value(T),
    /// No value.
    #[default]
    Null,
    /// A value Terraform will only know after apply.
    Unknown,
}

/// An empty object, for blocks and attributes whose presence is all that matters.
#[derive(
    Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug, Serialize, Deserialize,
)]
pub struct StructEmpty {}

/// A value that carries no data: present, null or unknown.
pub type ValueEmpty = Value<StructEmpty>;

impl<T> Value<T> {
    /// Whether the value is known (neither null nor unknown).
    pub const fn is_value(&self) -> bool {
        matches!(self, Value::Value(_))
    }

    /// Whether the value is known and satisfies `f`.
    pub fn is_value_and(self, f: impl FnOnce(T) -> bool) -> bool {
        match self {
            Value::Value(x) => f(x),
            _ => false,
        }
    }

    pub const fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub const fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// Whether the value is anything but known.
    pub const fn is_null_or_unknown(&self) -> bool {
        !self.is_value()
    }

    pub const fn as_ref(&self) -> Value<&T> {
        match self {
            Value::Value(x) => Value::Value(x),
            Value::Null => Value::Null,
            Value::Unknown => Value::Unknown,
        }
    }

    pub fn as_mut(&mut self) -> Value<&mut T> {
        match self {
            Value::Value(x) => Value::Value(x),
            Value::Null => Value::Null,
            Value::Unknown => Value::Unknown,
        }
    }

    /// `Value<String>` to `Value<&str>`, and the like.
    pub fn as_deref(&self) -> Value<&T::Target>
    where
        T: Deref,
    {
        self.as_ref().map(Deref::deref)
    }

    pub fn as_deref_mut(&mut self) -> Value<&mut T::Target>
    where
        T: DerefMut,
    {
        self.as_mut().map(DerefMut::deref_mut)
    }

    /// The known value; `None` for null and unknown. (The old crate's name; it consumes.)
    pub fn as_option(self) -> Option<T> {
        self.into_option()
    }

    /// The known value; `None` for null and unknown.
    pub fn into_option(self) -> Option<T> {
        match self {
            Value::Value(x) => Some(x),
            _ => None,
        }
    }

    /// A reference to the known value; `None` for null and unknown.
    pub const fn as_ref_option(&self) -> Option<&T> {
        match self {
            Value::Value(x) => Some(x),
            _ => None,
        }
    }

    pub fn as_mut_option(&mut self) -> Option<&mut T> {
        match self {
            Value::Value(x) => Some(x),
            _ => None,
        }
    }

    /// `&Value<String>` to `Option<&str>`, and the like; `None` for null and unknown.
    pub fn as_deref_option(&self) -> Option<&T::Target>
    where
        T: Deref,
    {
        self.as_ref_option().map(Deref::deref)
    }

    pub fn as_deref_mut_option(&mut self) -> Option<&mut T::Target>
    where
        T: DerefMut,
    {
        self.as_mut_option().map(DerefMut::deref_mut)
    }

    /// The known value.
    ///
    /// # Panics
    /// With `msg` when the value is null or unknown.
    #[track_caller]
    pub fn expect(self, msg: &str) -> T {
        match self {
            Value::Value(x) => x,
            Value::Null => panic!("{msg} (value is null)"),
            Value::Unknown => panic!("{msg} (value is unknown)"),
        }
    }

    /// The known value.
    ///
    /// # Panics
    /// When the value is null or unknown.
    #[track_caller]
    pub fn unwrap(self) -> T {
        match self {
            Value::Value(x) => x,
            Value::Null => panic!("called `Value::unwrap()` on a null value"),
            Value::Unknown => panic!("called `Value::unwrap()` on an unknown value"),
        }
    }

    /// The known value, or `default` for null and unknown.
    pub fn unwrap_or(self, default: T) -> T {
        match self {
            Value::Value(x) => x,
            _ => default,
        }
    }

    pub fn unwrap_or_else(self, f: impl FnOnce() -> T) -> T {
        match self {
            Value::Value(x) => x,
            _ => f(),
        }
    }

    pub fn unwrap_or_default(self) -> T
    where
        T: Default,
    {
        self.unwrap_or_else(T::default)
    }

    /// Applies `f` to a known value; null and unknown stay what they are.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Value<U> {
        match self {
            Value::Value(x) => Value::Value(f(x)),
            Value::Null => Value::Null,
            Value::Unknown => Value::Unknown,
        }
    }

    pub fn inspect(self, f: impl FnOnce(&T)) -> Self {
        if let Value::Value(x) = &self {
            f(x);
        }
        self
    }

    /// `f` of a known value, or `default` for null and unknown.
    pub fn map_or<U>(self, default: U, f: impl FnOnce(T) -> U) -> U {
        match self {
            Value::Value(x) => f(x),
            _ => default,
        }
    }

    pub fn map_or_else<U>(self, default: impl FnOnce() -> U, f: impl FnOnce(T) -> U) -> U {
        match self {
            Value::Value(x) => f(x),
            _ => default(),
        }
    }

    /// `Ok` with a known value, `Err(err)` for null and unknown.
    pub fn ok_or<E>(self, err: E) -> Result<T, E> {
        match self {
            Value::Value(x) => Ok(x),
            _ => Err(err),
        }
    }

    pub fn ok_or_else<E>(self, err: impl FnOnce() -> E) -> Result<T, E> {
        match self {
            Value::Value(x) => Ok(x),
            _ => Err(err()),
        }
    }

    /// Iterates over the known value, if any.
    pub fn iter(&self) -> std::option::IntoIter<&T> {
        self.as_ref_option().into_iter()
    }

    pub fn iter_mut(&mut self) -> std::option::IntoIter<&mut T> {
        self.as_mut_option().into_iter()
    }

    /// `rhs` when `self` is known; otherwise `self`'s null or unknown.
    pub fn and<U>(self, rhs: Value<U>) -> Value<U> {
        self.and_then(|_| rhs)
    }

    pub fn and_then<U>(self, f: impl FnOnce(T) -> Value<U>) -> Value<U> {
        match self {
            Value::Value(x) => f(x),
            Value::Null => Value::Null,
            Value::Unknown => Value::Unknown,
        }
    }

    /// Null when a known value fails `predicate`; unknown stays unknown.
    pub fn filter(self, predicate: impl FnOnce(&T) -> bool) -> Self {
        match self {
            Value::Value(x) if !predicate(&x) => Value::Null,
            other => other,
        }
    }

    /// `rhs` in place of null. An unknown stays unknown: it may turn out to be a value, so
    /// falling back would claim to know more than Terraform does.
    pub fn or(self, rhs: Self) -> Self {
        match self {
            Value::Null => rhs,
            other => other,
        }
    }

    /// Like [`Value::or`], computing the fallback only for null.
    pub fn or_else(self, f: impl FnOnce() -> Self) -> Self {
        match self {
            Value::Null => f(),
            other => other,
        }
    }

    /// Takes the value out, leaving null.
    pub fn take(&mut self) -> Self {
        mem::take(self)
    }

    /// Puts a known value in, returning the old one.
    pub fn replace(&mut self, value: T) -> Self {
        mem::replace(self, Value::Value(value))
    }

    /// The known value, after making `value` the value when it was null or unknown.
    pub fn get_or_insert(&mut self, value: T) -> &mut T {
        self.get_or_insert_with(|| value)
    }

    pub fn get_or_insert_with(&mut self, f: impl FnOnce() -> T) -> &mut T {
        if !self.is_value() {
            *self = Value::Value(f());
        }
        match self {
            Value::Value(x) => x,
            _ => unreachable!("just made known"),
        }
    }

    /// Whether the value is known and equal to `x`.
    pub fn contains<U: PartialEq<T>>(&self, x: &U) -> bool {
        matches!(self, Value::Value(y) if x == y)
    }
}

impl<T> Value<&T> {
    pub fn copied(self) -> Value<T>
    where
        T: Copy,
    {
        self.map(|x| *x)
    }

    pub fn cloned(self) -> Value<T>
    where
        T: Clone,
    {
        self.map(T::clone)
    }
}

impl<T> Value<&mut T> {
    pub fn copied(self) -> Value<T>
    where
        T: Copy,
    {
        self.map(|x| *x)
    }

    pub fn cloned(self) -> Value<T>
    where
        T: Clone,
    {
        self.map(|x| x.clone())
    }
}

impl<T> Value<Value<T>> {
    /// The inner value; an outer null or unknown wins.
    pub fn flatten(self) -> Value<T> {
        self.and_then(|inner| inner)
    }
}

impl<T> From<T> for Value<T> {
    fn from(value: T) -> Self {
        Value::Value(value)
    }
}

/// `Some` is a known value, `None` null.
impl<T> From<Option<T>> for Value<T> {
    fn from(value: Option<T>) -> Self {
        match value {
            Some(x) => Value::Value(x),
            None => Value::Null,
        }
    }
}

impl<'a, T> From<&'a Value<T>> for Value<&'a T> {
    fn from(value: &'a Value<T>) -> Self {
        value.as_ref()
    }
}

impl<'a, T> From<&'a mut Value<T>> for Value<&'a mut T> {
    fn from(value: &'a mut Value<T>) -> Self {
        value.as_mut()
    }
}

impl<T> IntoIterator for Value<T> {
    type Item = T;
    type IntoIter = std::option::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.into_option().into_iter()
    }
}

impl<'a, T> IntoIterator for &'a Value<T> {
    type Item = &'a T;
    type IntoIter = std::option::IntoIter<&'a T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, T> IntoIterator for &'a mut Value<T> {
    type Item = &'a mut T;
    type IntoIter = std::option::IntoIter<&'a mut T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

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

/// Encodes a single optional nested block, `Value<T>`, as Terraform's list of zero or one
/// blocks: null is the empty list, a value the one-element list, and unknown an unknown list.
/// Use it with `#[serde(with = "value::serde_as_vec")]`.
pub mod serde_as_vec {
    use serde::ser::SerializeSeq;
    use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

    use super::Value;

    pub fn serialize<T, S>(value: &Value<T>, serializer: S) -> Result<S::Ok, S::Error>
    where
        T: Serialize,
        S: Serializer,
    {
        match value {
            Value::Value(block) => {
                let mut list = serializer.serialize_seq(Some(1))?;
                list.serialize_element(block)?;
                list.end()
            }
            Value::Null => serializer.serialize_seq(Some(0))?.end(),
            Value::Unknown => value.serialize(serializer),
        }
    }

    pub fn deserialize<'de, T, D>(deserializer: D) -> Result<Value<T>, D::Error>
    where
        T: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        // A null list (not just an empty one) and an unknown element are both possible on
        // the wire, so each level is a Value of its own.
        let blocks: Value<Vec<Value<T>>> = Deserialize::deserialize(deserializer)?;
        match blocks {
            Value::Value(mut blocks) => match blocks.len() {
                0 => Ok(Value::Null),
                1 => Ok(blocks.pop().unwrap_or_default()),
                n => Err(de::Error::invalid_length(n, &"at most one block")),
            },
            Value::Null => Ok(Value::Null),
            Value::Unknown => Ok(Value::Unknown),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// One step of the path to the attribute a conversion failed at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    /// An attribute of an object (a struct field): `.name`.
    Attribute(String),
    /// An element of a map: `["key"]`.
    Key(String),
    /// An element of a list, set or tuple: `[0]`.
    Index(usize),
}

/// A failed conversion between a serde type and a [`Dynamic`], with where it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeError {
    /// Outermost step first. Steps are added as the error travels back out of the tree, so
    /// the innermost failure never needs to know where it sits.
    path: Vec<PathStep>,
    message: String,
}

impl BridgeError {
    fn new(message: impl Into<String>) -> Self {
        BridgeError {
            path: Vec::new(),
            message: message.into(),
        }
    }

    fn within(mut self, step: PathStep) -> Self {
        self.path.insert(0, step);
        self
    }

    /// The path to the failing attribute, outermost step first; empty for the value itself.
    pub fn path(&self) -> &[PathStep] {
        &self.path
    }

    /// What went wrong, without the path.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The path in Terraform's notation, e.g. `.timeouts[0].create`.
    pub fn path_string(&self) -> String {
        let mut text = String::new();
        for step in &self.path {
            match step {
                PathStep::Attribute(name) => {
                    text.push('.');
                    text.push_str(name);
                }
                PathStep::Key(key) => text.push_str(&format!("[{key:?}]")),
                PathStep::Index(index) => text.push_str(&format!("[{index}]")),
            }
        }
        text
    }
}

impl fmt::Display for BridgeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path_string(), self.message)
        }
    }
}

impl std::error::Error for BridgeError {}

impl ser::Error for BridgeError {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        BridgeError::new(msg.to_string())
    }
}

impl de::Error for BridgeError {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        BridgeError::new(msg.to_string())
    }

    fn invalid_type(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        BridgeError::new(format!("expected {expected}, got {}", describe(unexpected)))
    }

    fn invalid_value(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        BridgeError::new(format!("expected {expected}, got {}", describe(unexpected)))
    }

    fn invalid_length(len: usize, expected: &dyn Expected) -> Self {
        BridgeError::new(format!("expected {expected}, got {}", elements(len)))
    }
}

fn elements(n: usize) -> String {
    if n == 1 {
        "1 element".into()
    } else {
        format!("{n} elements")
    }
}

/// Names what was found in Terraform's terms. String contents are left out on purpose: the
/// value may be a password, and the message ends up in a diagnostic.
fn describe(unexpected: Unexpected<'_>) -> String {
    match unexpected {
        Unexpected::Bool(b) => format!("a bool ({b})"),
        Unexpected::Unsigned(n) => format!("a number ({n})"),
        Unexpected::Signed(n) => format!("a number ({n})"),
        Unexpected::Float(n) => format!("a number ({n})"),
        Unexpected::Char(_) | Unexpected::Str(_) => "a string".into(),
        Unexpected::Bytes(_) => "bytes".into(),
        Unexpected::Unit => "null".into(),
        Unexpected::Option => "an optional value".into(),
        Unexpected::NewtypeStruct => "a newtype struct".into(),
        Unexpected::Seq => "a list".into(),
        Unexpected::Map => "an object".into(),
        Unexpected::Enum => "an enum".into(),
        Unexpected::UnitVariant
        | Unexpected::NewtypeVariant
        | Unexpected::TupleVariant
        | Unexpected::StructVariant => "an enum variant".into(),
        Unexpected::Other(other) => other.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Rust → Dynamic
// ---------------------------------------------------------------------------------------------

/// Converts a serde value (typically a resource's model struct) into a [`Dynamic`] tree.
///
/// Structs become objects and maps become maps (keys must serialize as strings); sequences,
/// sets and tuples become lists, which the wire codec re-types as the schema says.
/// `Value::Unknown` becomes [`Dynamic::Unknown`]; `None`, `()` and `Value::Null` become null.
pub fn to_dynamic<T: Serialize + ?Sized>(value: &T) -> Result<Dynamic, BridgeError> {
    value.serialize(DynamicSerializer)
}

struct DynamicSerializer;

fn int(n: i64) -> Dynamic {
    Dynamic::Number(Number::Int(n))
}

fn wide(n: impl TryInto<i64> + ToString + Copy) -> Dynamic {
    match n.try_into() {
        Ok(n) => int(n),
        Err(_) => Dynamic::Number(Number::Big(n.to_string())),
    }
}

impl ser::Serializer for DynamicSerializer {
    type Ok = Dynamic;
    type Error = BridgeError;
    type SerializeSeq = ListSerializer;
    type SerializeTuple = ListSerializer;
    type SerializeTupleStruct = ListSerializer;
    type SerializeTupleVariant = VariantSerializer<ListSerializer>;
    type SerializeMap = MapSerializer;
    type SerializeStruct = ObjectSerializer;
    type SerializeStructVariant = VariantSerializer<ObjectSerializer>;

    fn serialize_bool(self, v: bool) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::Bool(v))
    }

    fn serialize_i8(self, v: i8) -> Result<Dynamic, BridgeError> {
        Ok(int(v.into()))
    }

    fn serialize_i16(self, v: i16) -> Result<Dynamic, BridgeError> {
        Ok(int(v.into()))
    }

    fn serialize_i32(self, v: i32) -> Result<Dynamic, BridgeError> {
        Ok(int(v.into()))
    }

    fn serialize_i64(self, v: i64) -> Result<Dynamic, BridgeError> {
        Ok(int(v))
    }

    fn serialize_i128(self, v: i128) -> Result<Dynamic, BridgeError> {
        Ok(wide(v))
    }

    fn serialize_u8(self, v: u8) -> Result<Dynamic, BridgeError> {
        Ok(int(v.into()))
    }

    fn serialize_u16(self, v: u16) -> Result<Dynamic, BridgeError> {
        Ok(int(v.into()))
    }

    fn serialize_u32(self, v: u32) -> Result<Dynamic, BridgeError> {
        Ok(int(v.into()))
    }

    fn serialize_u64(self, v: u64) -> Result<Dynamic, BridgeError> {
        Ok(wide(v))
    }

    fn serialize_u128(self, v: u128) -> Result<Dynamic, BridgeError> {
        Ok(wide(v))
    }

    fn serialize_f32(self, v: f32) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::Number(Number::Float(v.into())))
    }

    fn serialize_f64(self, v: f64) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::Number(Number::Float(v)))
    }

    fn serialize_char(self, v: char) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::String(v.to_string()))
    }

    fn serialize_str(self, v: &str) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::String(v.to_string()))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::List(v.iter().map(|&b| int(b.into())).collect()))
    }

    fn serialize_none(self) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::Null)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Dynamic, BridgeError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::Null)
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<Dynamic, BridgeError> {
        Ok(if name == UNKNOWN_MARKER {
            Dynamic::Unknown
        } else {
            Dynamic::Null
        })
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::String(variant.to_string()))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Dynamic, BridgeError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Dynamic, BridgeError> {
        let inner = value
            .serialize(DynamicSerializer)
            .map_err(|e| e.within(PathStep::Attribute(variant.to_string())))?;
        Ok(tagged(variant, inner))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<ListSerializer, BridgeError> {
        Ok(ListSerializer {
            items: Vec::with_capacity(len.unwrap_or(0)),
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<ListSerializer, BridgeError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<ListSerializer, BridgeError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantSerializer<ListSerializer>, BridgeError> {
        Ok(VariantSerializer {
            variant,
            inner: self.serialize_seq(Some(len))?,
        })
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<MapSerializer, BridgeError> {
        Ok(MapSerializer {
            entries: BTreeMap::new(),
            key: None,
        })
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<ObjectSerializer, BridgeError> {
        Ok(ObjectSerializer {
            attributes: BTreeMap::new(),
        })
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantSerializer<ObjectSerializer>, BridgeError> {
        Ok(VariantSerializer {
            variant,
            inner: self.serialize_struct(name, len)?,
        })
    }
}

struct ListSerializer {
    items: Vec<Dynamic>,
}

impl ListSerializer {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), BridgeError> {
        let index = self.items.len();
        let item = value
            .serialize(DynamicSerializer)
            .map_err(|e| e.within(PathStep::Index(index)))?;
        self.items.push(item);
        Ok(())
    }
}

impl ser::SerializeSeq for ListSerializer {
    type Ok = Dynamic;
    type Error = BridgeError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), BridgeError> {
        self.push(value)
    }

    fn end(self) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::List(self.items))
    }
}

impl ser::SerializeTuple for ListSerializer {
    type Ok = Dynamic;
    type Error = BridgeError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), BridgeError> {
        self.push(value)
    }

    fn end(self) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::List(self.items))
    }
}

impl ser::SerializeTupleStruct for ListSerializer {
    type Ok = Dynamic;
    type Error = BridgeError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), BridgeError> {
        self.push(value)
    }

    fn end(self) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::List(self.items))
    }
}

struct MapSerializer {
    entries: BTreeMap<String, Dynamic>,
    /// The key given by `serialize_key`, waiting for its value.
    key: Option<String>,
}

impl ser::SerializeMap for MapSerializer {
    type Ok = Dynamic;
    type Error = BridgeError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), BridgeError> {
        // Serializing the key like any value accepts exactly what ends up as a string (str,
        // char, unit variants, newtypes of those) without a second serializer.
        match key.serialize(DynamicSerializer)? {
            Dynamic::String(key) => {
                self.key = Some(key);
                Ok(())
            }
            other => Err(BridgeError::new(format!(
                "map keys must be strings, got {}",
                kind(&other)
            ))),
        }
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), BridgeError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| BridgeError::new("map value serialized before its key"))?;
        let value = value
            .serialize(DynamicSerializer)
            .map_err(|e| e.within(PathStep::Key(key.clone())))?;
        self.entries.insert(key, value);
        Ok(())
    }

    fn end(self) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::Map(self.entries))
    }
}

struct ObjectSerializer {
    attributes: BTreeMap<String, Dynamic>,
}

impl ser::SerializeStruct for ObjectSerializer {
    type Ok = Dynamic;
    type Error = BridgeError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), BridgeError> {
        let value = value
            .serialize(DynamicSerializer)
            .map_err(|e| e.within(PathStep::Attribute(name.to_string())))?;
        self.attributes.insert(name.to_string(), value);
        Ok(())
    }

    fn end(self) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::Object(self.attributes))
    }
}

/// A tuple or struct variant, externally tagged as serde_json does it: `{variant: content}`.
struct VariantSerializer<S> {
    variant: &'static str,
    inner: S,
}

fn tagged(variant: &'static str, content: Dynamic) -> Dynamic {
    Dynamic::Object(BTreeMap::from([(variant.to_string(), content)]))
}

impl ser::SerializeTupleVariant for VariantSerializer<ListSerializer> {
    type Ok = Dynamic;
    type Error = BridgeError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), BridgeError> {
        let variant = self.variant;
        self.inner
            .push(value)
            .map_err(|e| e.within(PathStep::Attribute(variant.to_string())))
    }

    fn end(self) -> Result<Dynamic, BridgeError> {
        Ok(tagged(self.variant, Dynamic::List(self.inner.items)))
    }
}

impl ser::SerializeStructVariant for VariantSerializer<ObjectSerializer> {
    type Ok = Dynamic;
    type Error = BridgeError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), BridgeError> {
        let variant = self.variant;
        ser::SerializeStruct::serialize_field(&mut self.inner, name, value)
            .map_err(|e| e.within(PathStep::Attribute(variant.to_string())))
    }

    fn end(self) -> Result<Dynamic, BridgeError> {
        Ok(tagged(self.variant, Dynamic::Object(self.inner.attributes)))
    }
}

/// What kind of value a [`Dynamic`] is, for error messages.
fn kind(value: &Dynamic) -> &'static str {
    match value {
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

// ---------------------------------------------------------------------------------------------
// Dynamic → Rust
// ---------------------------------------------------------------------------------------------

/// Converts a [`Dynamic`] tree into a serde value (typically a resource's model struct).
///
/// Objects and maps read as maps (so structs, `BTreeMap` and `HashMap` work), lists, sets and
/// tuples as sequences (`Vec`, `BTreeSet`, `HashSet`, tuples), numbers as whatever numeric type
/// the target asks for when the value fits it, null as `None`/unit. Only [`Value<T>`] accepts
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

/// Offers the unknown to `visitor` (see the module docs). Only [`ValueVisitor`] takes it; any
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

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        self.integer(visitor)
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        self.integer(visitor)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        self.integer(visitor)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        self.integer(visitor)
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        self.integer(visitor)
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        self.integer(visitor)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        self.integer(visitor)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        self.integer(visitor)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        self.integer(visitor)
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        self.integer(visitor)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        self.float(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        self.float(visitor)
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
    use std::collections::{BTreeSet, HashMap, HashSet};

    use super::*;

    fn string(text: &str) -> Dynamic {
        Dynamic::String(text.to_string())
    }

    fn number(n: i64) -> Dynamic {
        Dynamic::Number(Number::Int(n))
    }

    fn object<const N: usize>(attributes: [(&str, Dynamic); N]) -> Dynamic {
        Dynamic::Object(
            attributes
                .into_iter()
                .map(|(name, value)| (name.to_string(), value))
                .collect(),
        )
    }

    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    struct Timeouts {
        create: Value<String>,
        delete: Value<String>,
    }

    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    struct Model {
        name: Value<String>,
        size: Value<i64>,
        enabled: Value<bool>,
        tags: Value<Vec<String>>,
        labels: Value<BTreeMap<String, String>>,
        #[serde(with = "serde_as_vec")]
        timeouts: Value<Timeouts>,
    }

    fn known_model() -> Model {
        Model {
            name: Value::Value("db".into()),
            size: Value::Value(3),
            enabled: Value::Value(true),
            tags: Value::Value(vec!["a".into(), "b".into()]),
            labels: Value::Value(BTreeMap::from([("env".into(), "prod".into())])),
            timeouts: Value::Value(Timeouts {
                create: Value::Value("5m".into()),
                delete: Value::Null,
            }),
        }
    }

    #[test]
    fn a_known_model_becomes_the_expected_tree_and_back() {
        let model = known_model();
        let tree = to_dynamic(&model).unwrap();
        let expected = object([
            ("name", string("db")),
            ("size", number(3)),
            ("enabled", Dynamic::Bool(true)),
            ("tags", Dynamic::List(vec![string("a"), string("b")])),
            (
                "labels",
                Dynamic::Map(BTreeMap::from([("env".into(), string("prod"))])),
            ),
            (
                "timeouts",
                Dynamic::List(vec![object([
                    ("create", string("5m")),
                    ("delete", Dynamic::Null),
                ])]),
            ),
        ]);
        assert_eq!(tree, expected);
        assert_eq!(from_dynamic::<Model>(tree).unwrap(), model);
    }

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
    fn a_single_block_is_a_list_of_zero_or_one() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Holder {
            #[serde(with = "serde_as_vec")]
            block: Value<Timeouts>,
        }
        let block = Timeouts {
            create: Value::Unknown,
            delete: Value::Value("1m".into()),
        };
        let cases = [
            (Value::Null, Dynamic::List(vec![])),
            (Value::Unknown, Dynamic::Unknown),
            (
                Value::Value(block.clone()),
                Dynamic::List(vec![object([
                    ("create", Dynamic::Unknown),
                    ("delete", string("1m")),
                ])]),
            ),
        ];
        for (value, list) in cases {
            let holder = Holder { block: value };
            let tree = to_dynamic(&holder).unwrap();
            assert_eq!(tree, object([("block", list)]));
            assert_eq!(from_dynamic::<Holder>(tree).unwrap(), holder);
        }
        // A null list reads as no block, as does a set of blocks.
        let null = object([("block", Dynamic::Null)]);
        assert_eq!(from_dynamic::<Holder>(null).unwrap().block, Value::Null);
        let set = object([(
            "block",
            Dynamic::Set(vec![object([
                ("create", string("2m")),
                ("delete", Dynamic::Null),
            ])]),
        )]);
        assert_eq!(
            from_dynamic::<Holder>(set).unwrap().block,
            Value::Value(Timeouts {
                create: Value::Value("2m".into()),
                delete: Value::Null,
            })
        );
        let two = object([("block", Dynamic::List(vec![object([]), object([])]))]);
        let error = from_dynamic::<Holder>(two).unwrap_err();
        assert_eq!(
            error.to_string(),
            ".block: expected at most one block, got 2 elements"
        );
    }

    #[test]
    fn unknowns_nested_in_lists_sets_and_maps_survive() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Nested {
            tags: Value<BTreeSet<Value<String>>>,
            hosts: Value<Vec<Value<String>>>,
            settings: Value<BTreeMap<String, Value<i64>>>,
        }
        let tree = object([
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
    fn errors_name_the_attribute_path() {
        let mut tree = to_dynamic(&known_model()).unwrap();
        fn create(tree: &mut Dynamic) -> &mut Dynamic {
            let Some(Dynamic::List(blocks)) = tree.attribute_mut("timeouts") else {
                panic!("timeouts is a list");
            };
            blocks[0].attribute_mut("create").unwrap()
        }
        *create(&mut tree) = number(5);
        let error = from_dynamic::<Model>(tree.clone()).unwrap_err();
        assert_eq!(
            error.to_string(),
            ".timeouts[0].create: expected a string, got a number (5)"
        );
        assert_eq!(
            error.path(),
            [
                PathStep::Attribute("timeouts".into()),
                PathStep::Index(0),
                PathStep::Attribute("create".into()),
            ]
        );
        assert_eq!(error.message(), "expected a string, got a number (5)");

        *tree.attribute_mut("labels").unwrap() =
            Dynamic::Map(BTreeMap::from([("a b".into(), Dynamic::Bool(true))]));
        *create(&mut tree) = string("5m");
        assert_eq!(
            from_dynamic::<Model>(tree).unwrap_err().to_string(),
            ".labels[\"a b\"]: expected a string, got a bool (true)"
        );

        // String contents stay out of messages: they may be secrets.
        let error = from_dynamic::<i64>(string("hunter2")).unwrap_err();
        assert_eq!(error.to_string(), "expected i64, got a string");
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
        let tree = object([(
            "inner",
            Dynamic::List(vec![object([("name", Dynamic::Unknown)])]),
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
        let tree = object([("name", Dynamic::Unknown)]);
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

    #[test]
    fn ignored_attributes_may_be_anything_even_unknown() {
        #[derive(Debug, PartialEq, Deserialize)]
        struct Partial {
            name: Value<String>,
        }
        let tree = object([("name", string("n")), ("other", Dynamic::Unknown)]);
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
        let tuple = Dynamic::Tuple(vec![string("x"), number(1)]);
        assert_eq!(
            from_dynamic::<(String, i64)>(tuple.clone()).unwrap(),
            ("x".to_string(), 1)
        );
        assert_eq!(
            from_dynamic::<(String,)>(tuple).unwrap_err().to_string(),
            "expected 1 element, got 2"
        );
        let map = Dynamic::Map(BTreeMap::from([("k".into(), number(2))]));
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
        let tree = object([
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
            object([
                ("a", string("x")),
                ("b", Dynamic::Null),
                ("type", string("t"))
            ])
        );
        // A missing Value field reads as null, like a missing Option.
        let sparse = object([("timeouts", Dynamic::List(vec![]))]);
        assert_eq!(from_dynamic::<Model>(sparse).unwrap(), Model::default());

        let missing = object([]);
        assert_eq!(
            from_dynamic::<Optional>(missing).unwrap_err().to_string(),
            "missing field `type`"
        );
    }

    #[test]
    fn numbers_read_as_whatever_the_target_asks_for() {
        let float = |x: f64| Dynamic::Number(Number::Float(x));
        let big = |text: &str| Dynamic::Number(Number::Big(text.into()));
        assert_eq!(from_dynamic::<i64>(float(3.0)).unwrap(), 3);
        assert_eq!(
            from_dynamic::<u64>(float(1e19)).unwrap(),
            10_000_000_000_000_000_000
        );
        assert_eq!(
            from_dynamic::<i64>(float(3.5)).unwrap_err().to_string(),
            "expected i64, got a number (3.5)"
        );
        assert_eq!(from_dynamic::<f64>(number(2)).unwrap(), 2.0);
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
        assert!(from_dynamic::<u8>(number(300)).is_err());
        assert!(from_dynamic::<u32>(number(-1)).is_err());
        assert!(from_dynamic::<i64>(big("1e400")).is_err());

        assert_eq!(to_dynamic(&u64::MAX).unwrap(), big("18446744073709551615"));
        assert_eq!(to_dynamic(&(i64::MAX as u64)).unwrap(), number(i64::MAX));
        assert_eq!(to_dynamic(&-5i128).unwrap(), number(-5));
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
        let tree = object([
            (
                "a",
                Dynamic::List(vec![number(1), Dynamic::Null, Dynamic::Bool(true)]),
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
        assert_eq!(
            from_dynamic::<Either>(number(4)).unwrap(),
            Either::Number(4)
        );
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
            object([("Named", object([("x", number(3))]))])
        );
    }

    #[test]
    fn serializer_errors_name_the_path_too() {
        #[derive(Serialize)]
        struct Bad {
            ids: Vec<BTreeMap<i64, String>>,
        }
        let bad = Bad {
            ids: vec![BTreeMap::from([(1, "x".into())])],
        };
        assert_eq!(
            to_dynamic(&bad).unwrap_err().to_string(),
            ".ids[0]: map keys must be strings, got a number"
        );
    }

    #[test]
    fn empty_structs_borrowed_strings_and_newtypes() {
        assert_eq!(to_dynamic(&StructEmpty {}).unwrap(), object([]));
        let empty: ValueEmpty = from_dynamic(object([])).unwrap();
        assert_eq!(empty, Value::Value(StructEmpty {}));
        assert_eq!(
            from_dynamic::<ValueEmpty>(Dynamic::Unknown).unwrap(),
            Value::Unknown
        );

        let tree = string("borrowed");
        assert_eq!(from_dynamic_ref::<&str>(&tree).unwrap(), "borrowed");

        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Id(String);
        assert_eq!(to_dynamic(&Id("i".into())).unwrap(), string("i"));
        assert_eq!(from_dynamic::<Id>(string("i")).unwrap(), Id("i".into()));
        assert_eq!(
            from_dynamic::<Value<Id>>(Dynamic::Unknown).unwrap(),
            Value::Unknown
        );
    }

    #[test]
    fn option_like_methods_keep_unknown_apart_from_null() {
        let known = Value::Value(2);
        let null = Value::<i32>::Null;
        let unknown = Value::<i32>::Unknown;

        assert_eq!(null.or(known), known);
        assert_eq!(unknown.or(known), unknown);
        assert_eq!(unknown.or_else(|| known), unknown);
        assert_eq!(known.map(|x| x * 2), Value::Value(4));
        assert_eq!(unknown.map(|x| x * 2), Value::Unknown);
        assert_eq!(null.and_then(|x| Value::Value(x + 1)), Value::Null);
        assert_eq!(unknown.and(known), Value::Unknown);
        assert_eq!(known.filter(|x| *x > 5), Value::Null);
        assert_eq!(unknown.filter(|x| *x > 5), Value::Unknown);
        assert_eq!(unknown.unwrap_or(7), 7);
        assert_eq!(unknown.unwrap_or_default(), 0);
        assert_eq!(known.map_or(0, |x| x + 1), 3);
        assert_eq!(unknown.as_option(), None);
        assert_eq!(known.into_option(), Some(2));
        assert_eq!(unknown.ok_or("no"), Err("no"));
        assert!(known.contains(&2) && !unknown.contains(&2));
        assert!(unknown.is_null_or_unknown() && null.is_null_or_unknown());
        assert!(!known.is_null_or_unknown());
        assert_eq!(
            Value::Value(Value::<i32>::Unknown).flatten(),
            Value::Unknown
        );
        assert_eq!(Value::from(Some(1)), Value::Value(1));
        assert_eq!(Value::<i32>::from(None), Value::Null);

        let text = Value::Value("abc".to_string());
        assert_eq!(text.as_deref(), Value::Value("abc"));
        assert_eq!(text.as_deref_option(), Some("abc"));
        assert_eq!(text.as_ref().cloned(), text);
        assert_eq!(text.iter().count(), 1);
        assert_eq!(Value::<String>::Unknown.into_iter().count(), 0);

        let mut slot = Value::<String>::Unknown;
        slot.get_or_insert("x".into()).push('y');
        assert_eq!(slot, Value::Value("xy".to_string()));
        assert_eq!(slot.take(), Value::Value("xy".to_string()));
        assert_eq!(slot, Value::Null);
        if let Some(s) = slot.replace("a".into()).as_mut_option() {
            s.clear();
        }
        assert_eq!(slot.as_ref_option().map(String::as_str), Some("a"));
        assert!(Value::Value(0) < Value::Null && Value::<i32>::Null < Value::Unknown);
    }

    #[test]
    #[should_panic(expected = "unknown value")]
    fn unwrap_says_why_it_panicked() {
        Value::<i32>::Unknown.unwrap();
    }
}
