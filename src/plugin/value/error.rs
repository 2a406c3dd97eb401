//! The error both directions of the bridge return, with the path to the attribute that failed.
//!
//! The serializer and the deserializer both walk a whole resource model, and a bare serde
//! message ("invalid type: integer") would not say which of its attributes is wrong. Each
//! level of the walk adds its own step as the error travels back out, and the wording names
//! Terraform's kinds of value rather than Rust's.

use std::fmt;

use serde::de::{self, Expected, Unexpected};
use serde::ser;

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

/// A failed conversion between a serde type and a [`Dynamic`](crate::plugin::dynamic::Dynamic),
/// with where it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeError {
    /// Outermost step first. Steps are added as the error travels back out of the tree, so
    /// the innermost failure never needs to know where it sits.
    path: Vec<PathStep>,
    message: String,
}

impl BridgeError {
    pub(super) fn new(message: impl Into<String>) -> Self {
        BridgeError {
            path: Vec::new(),
            message: message.into(),
        }
    }

    /// Places the error one step deeper: `step` is where the failing value sits in its parent.
    pub(super) fn within(mut self, step: PathStep) -> Self {
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

/// "1 element", "2 elements": a count for length errors.
pub(super) fn elements(n: usize) -> String {
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::plugin::dynamic::Dynamic;
    use crate::plugin::test_support::{int, string};
    use crate::plugin::value::test_models::{known_model, Model};
    use crate::plugin::value::{from_dynamic, to_dynamic};

    #[test]
    fn errors_name_the_attribute_path() {
        let mut tree = to_dynamic(&known_model()).unwrap();
        fn create(tree: &mut Dynamic) -> &mut Dynamic {
            let Some(Dynamic::List(blocks)) = tree.attribute_mut("timeouts") else {
                panic!("timeouts is a list");
            };
            blocks[0].attribute_mut("create").unwrap()
        }
        *create(&mut tree) = int(5);
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
}
