//! Diagnostics and attribute paths, as the protocol carries them.
//!
//! Nothing here captures a backtrace or reads the environment: a diagnostic says exactly what
//! its author wrote.

use std::borrow::Cow;
use std::fmt;

use super::proto::tfplugin6 as pb;

/// A step of an [`AttributePath`].
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum AttributePathStep {
    Attribute(Cow<'static, str>),
    Key(Cow<'static, str>),
    Index(i64),
}

impl fmt::Display for AttributePathStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttributePathStep::Attribute(name) => write!(f, ".{name}"),
            AttributePathStep::Key(key) => write!(f, "[{key:?}]"),
            AttributePathStep::Index(index) => write!(f, "[{index}]"),
        }
    }
}

/// Where in a value a diagnostic points; empty for the whole resource or block.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct AttributePath {
    pub steps: Vec<AttributePathStep>,
}

impl AttributePath {
    /// The path of a top-level attribute.
    pub fn new(name: impl Into<Cow<'static, str>>) -> Self {
        Self::root().attribute(name)
    }

    pub fn root() -> Self {
        Self::default()
    }

    pub fn attribute(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.steps.push(AttributePathStep::Attribute(name.into()));
        self
    }

    pub fn key(mut self, key: impl Into<Cow<'static, str>>) -> Self {
        self.steps.push(AttributePathStep::Key(key.into()));
        self
    }

    pub fn index(mut self, index: impl Into<i64>) -> Self {
        self.steps.push(AttributePathStep::Index(index.into()));
        self
    }

    pub fn is_root(&self) -> bool {
        self.steps.is_empty()
    }

    pub fn to_proto(&self) -> pb::AttributePath {
        use pb::attribute_path::step::Selector;
        pb::AttributePath {
            steps: self
                .steps
                .iter()
                .map(|step| pb::attribute_path::Step {
                    selector: Some(match step {
                        AttributePathStep::Attribute(name) => {
                            Selector::AttributeName(name.to_string())
                        }
                        AttributePathStep::Key(key) => Selector::ElementKeyString(key.to_string()),
                        AttributePathStep::Index(index) => Selector::ElementKeyInt(*index),
                    }),
                })
                .collect(),
        }
    }

    /// Reads a path Terraform sent (e.g. in a write-only or replace context).
    pub fn from_proto(path: &pb::AttributePath) -> Self {
        use pb::attribute_path::step::Selector;
        Self {
            steps: path
                .steps
                .iter()
                .filter_map(|step| match step.selector.as_ref()? {
                    Selector::AttributeName(name) => {
                        Some(AttributePathStep::Attribute(name.clone().into()))
                    }
                    Selector::ElementKeyString(key) => {
                        Some(AttributePathStep::Key(key.clone().into()))
                    }
                    Selector::ElementKeyInt(index) => Some(AttributePathStep::Index(*index)),
                })
                .collect(),
        }
    }
}

impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            match (i, step) {
                (0, AttributePathStep::Attribute(name)) => f.write_str(name)?,
                _ => write!(f, "{step}")?,
            }
        }
        Ok(())
    }
}

/// One error or warning.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Diagnostic {
    pub summary: Cow<'static, str>,
    pub detail: Cow<'static, str>,
    pub attribute: AttributePath,
}

impl Diagnostic {
    pub fn new(
        summary: impl Into<Cow<'static, str>>,
        detail: impl Into<Cow<'static, str>>,
        attribute: AttributePath,
    ) -> Self {
        Self {
            summary: summary.into(),
            detail: detail.into(),
            attribute,
        }
    }
}

/// The errors and warnings of one request.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct Diagnostics {
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn add_error(&mut self, diagnostic: Diagnostic) {
        self.errors.push(diagnostic);
    }

    pub fn add_warning(&mut self, diagnostic: Diagnostic) {
        self.warnings.push(diagnostic);
    }

    pub fn error(
        &mut self,
        summary: impl Into<Cow<'static, str>>,
        detail: impl Into<Cow<'static, str>>,
        attribute: AttributePath,
    ) {
        self.add_error(Diagnostic::new(summary, detail, attribute));
    }

    pub fn root_error(
        &mut self,
        summary: impl Into<Cow<'static, str>>,
        detail: impl Into<Cow<'static, str>>,
    ) {
        self.error(summary, detail, AttributePath::root());
    }

    pub fn warning(
        &mut self,
        summary: impl Into<Cow<'static, str>>,
        detail: impl Into<Cow<'static, str>>,
        attribute: AttributePath,
    ) {
        self.add_warning(Diagnostic::new(summary, detail, attribute));
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.errors.extend(other.errors);
        self.warnings.extend(other.warnings);
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Diagnostics from one error.
    pub fn from_error(
        summary: impl Into<Cow<'static, str>>,
        detail: impl Into<Cow<'static, str>>,
    ) -> Self {
        let mut diags = Self::default();
        diags.root_error(summary, detail);
        diags
    }

    pub fn to_proto(&self) -> Vec<pb::Diagnostic> {
        let encode = |severity: pb::diagnostic::Severity, d: &Diagnostic| pb::Diagnostic {
            severity: severity as i32,
            summary: d.summary.to_string(),
            detail: d.detail.to_string(),
            attribute: (!d.attribute.is_root()).then(|| d.attribute.to_proto()),
        };
        self.errors
            .iter()
            .map(|d| encode(pb::diagnostic::Severity::Error, d))
            .chain(
                self.warnings
                    .iter()
                    .map(|d| encode(pb::diagnostic::Severity::Warning, d)),
            )
            .collect()
    }
}
