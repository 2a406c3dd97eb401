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
//!
//! The pieces: [`Value<T>`] itself (here), its serde impls that carry the unknown (`unknown`),
//! the serializer into a tree (`ser`, [`to_dynamic`]), the deserializer out of one (`de`,
//! [`from_dynamic`]), the error both report with the attribute's path (`error`), and
//! [`serde_as_vec`] for blocks that nest at most once.
//!
//! [`Dynamic`]: super::dynamic::Dynamic
//! [`Dynamic::Unknown`]: super::dynamic::Dynamic::Unknown

use std::mem;
use std::ops::{Deref, DerefMut};

use serde::{Deserialize, Serialize};

mod de;
mod error;
mod ser;
pub mod serde_as_vec;
#[cfg(test)]
mod test_models;
mod unknown;

pub use de::{from_dynamic, from_dynamic_ref};
pub use error::{BridgeError, PathStep};
pub use ser::to_dynamic;

/// The unit-struct name that stands for "unknown" inside serde (see the module docs). It is
/// deliberately not a valid Rust identifier, so no real type can collide with it.
const UNKNOWN_MARKER: &str = "$dbaas::plugin::value::Unknown";

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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::test_models::{known_model, Model};
    use super::*;
    use crate::plugin::dynamic::Dynamic;
    use crate::plugin::test_support::{int, object, string};

    #[test]
    fn a_known_model_becomes_the_expected_tree_and_back() {
        let model = known_model();
        let tree = to_dynamic(&model).unwrap();
        let expected = object(&[
            ("name", string("db")),
            ("size", int(3)),
            ("enabled", Dynamic::Bool(true)),
            ("tags", Dynamic::List(vec![string("a"), string("b")])),
            (
                "labels",
                Dynamic::Map(BTreeMap::from([("env".into(), string("prod"))])),
            ),
            (
                "timeouts",
                Dynamic::List(vec![object(&[
                    ("create", string("5m")),
                    ("delete", Dynamic::Null),
                ])]),
            ),
        ]);
        assert_eq!(tree, expected);
        assert_eq!(from_dynamic::<Model>(tree).unwrap(), model);
    }

    #[test]
    fn empty_structs_borrowed_strings_and_newtypes() {
        assert_eq!(to_dynamic(&StructEmpty {}).unwrap(), object(&[]));
        let empty: ValueEmpty = from_dynamic(object(&[])).unwrap();
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
