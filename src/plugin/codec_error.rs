//! The error both wire codecs (`msgpack`, `json`) return.
//!
//! A value that fails to encode or decode is usually one attribute deep inside a large resource
//! object, and Terraform shows the error to the user verbatim; naming the attribute path
//! (`.maintenance_window[0].day`) is what makes it actionable. The codecs build the path while
//! the error travels back up the recursion, so each level only prepends its own step.

use std::fmt;

/// Why a value could not be encoded or decoded, and where in the value that happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecError {
    /// Terraform-style path from the root: `.attribute`, `[index]`, `["map key"]`; empty for
    /// the root value itself.
    path: String,
    message: String,
}

impl CodecError {
    /// An error at the value currently being processed; enclosing levels add their steps.
    pub fn new(message: impl Into<String>) -> CodecError {
        CodecError {
            path: String::new(),
            message: message.into(),
        }
    }

    /// A tuple value whose length is not the type's: both codecs, both directions.
    pub fn tuple_length(required: usize, got: usize) -> CodecError {
        CodecError::new(format!(
            "a tuple of {required} elements is required, got {got}"
        ))
    }

    /// An object attribute `name` that the object type lacks.
    pub fn no_such_attribute(name: &str) -> CodecError {
        CodecError::new("the type has no such attribute").in_attribute(name)
    }

    /// The path of the failing value, e.g. `.maintenance_window[0].day` (empty for the root).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What went wrong, without the path.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Places the error inside the object attribute `name`.
    pub fn in_attribute(mut self, name: &str) -> CodecError {
        self.path.insert_str(0, &format!(".{name}"));
        self
    }

    /// Places the error inside element `index` of a list, set or tuple.
    pub fn in_index(mut self, index: usize) -> CodecError {
        self.path.insert_str(0, &format!("[{index}]"));
        self
    }

    /// Places the error inside the map element `key`. Map keys are arbitrary strings, so they
    /// are quoted (with JSON escaping) to keep the path unambiguous.
    pub fn in_key(mut self, key: &str) -> CodecError {
        let quoted = serde_json::to_string(key).unwrap_or_else(|_| format!("{key:?}"));
        self.path.insert_str(0, &format!("[{quoted}]"));
        self
    }
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for CodecError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_prepended_as_the_error_unwinds() {
        let error = CodecError::new("a number is required")
            .in_attribute("day")
            .in_index(0)
            .in_attribute("maintenance_window");
        assert_eq!(error.path(), ".maintenance_window[0].day");
        assert_eq!(error.message(), "a number is required");
        assert_eq!(
            error.to_string(),
            ".maintenance_window[0].day: a number is required"
        );
    }

    #[test]
    fn map_keys_are_quoted() {
        let error = CodecError::new("bad")
            .in_key("a \"b\"")
            .in_attribute("tags");
        assert_eq!(error.to_string(), r#".tags["a \"b\""]: bad"#);
    }

    #[test]
    fn root_errors_have_no_path_prefix() {
        let error = CodecError::new("trailing bytes");
        assert_eq!(error.path(), "");
        assert_eq!(error.to_string(), "trailing bytes");
    }
}
