//! Schemas as providers declare them, and their protocol encoding.
//!
//! A schema is a [`Block`] of attributes and nested blocks. Its cty type ([`Block::value_type`])
//! is what the wire codecs use to read and write values, so the shape a provider declares and
//! the values it exchanges cannot disagree. Nested attributes are sent as `nested_type` alone
//! (sending a `type` beside it makes Terraform reject the schema).

use std::collections::BTreeMap;

use super::dynamic::Type;
use super::proto::tfplugin6 as pb;

/// Builds a `BTreeMap` from `key => value` pairs; keys are converted with `Into<String>`.
#[macro_export]
macro_rules! map {
    () => { ::std::collections::BTreeMap::new() };
    ($($key:expr => $value:expr),+ $(,)?) => {{
        let mut map = ::std::collections::BTreeMap::new();
        $( map.insert(::std::string::String::from($key), $value); )+
        map
    }};
}

/// How a description is formatted.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub enum StringKind {
    #[default]
    Plain,
    Markdown,
}

/// A description of a schema element.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct Description {
    pub kind: StringKind,
    pub content: String,
}

impl Description {
    pub fn plain(content: impl Into<String>) -> Self {
        Self {
            kind: StringKind::Plain,
            content: content.into(),
        }
    }

    pub fn markdown(content: impl Into<String>) -> Self {
        Self {
            kind: StringKind::Markdown,
            content: content.into(),
        }
    }

    fn kind_proto(&self) -> i32 {
        match self.kind {
            StringKind::Plain => pb::StringKind::Plain as i32,
            StringKind::Markdown => pb::StringKind::Markdown as i32,
        }
    }
}

/// The type of an attribute: a cty type, or nested attributes.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum AttributeType {
    String,
    Number,
    Bool,
    List(Box<AttributeType>),
    Set(Box<AttributeType>),
    Map(Box<AttributeType>),
    Object(BTreeMap<String, AttributeType>),
    Tuple(Vec<AttributeType>),
    /// Nested attributes: one object.
    AttributeSingle(BTreeMap<String, Attribute>),
    /// Nested attributes: a list of objects.
    AttributeList(BTreeMap<String, Attribute>),
    /// Nested attributes: a set of objects.
    AttributeSet(BTreeMap<String, Attribute>),
    /// Nested attributes: a map of objects.
    AttributeMap(BTreeMap<String, Attribute>),
    /// Any type; the value travels with its type.
    Any,
}

impl AttributeType {
    /// The cty type of a value of this attribute.
    pub fn value_type(&self) -> Type {
        fn nested(attributes: &BTreeMap<String, Attribute>) -> Type {
            let optional = attributes
                .iter()
                .filter(|(_, a)| a.constraint != AttributeConstraint::Required)
                .map(|(name, _)| name.clone())
                .collect();
            Type::Object {
                attributes: attributes
                    .iter()
                    .map(|(name, a)| (name.clone(), a.attr_type.value_type()))
                    .collect(),
                optional,
            }
        }
        match self {
            AttributeType::String => Type::String,
            AttributeType::Number => Type::Number,
            AttributeType::Bool => Type::Bool,
            AttributeType::Any => Type::Dynamic,
            AttributeType::List(element) => Type::list(element.value_type()),
            AttributeType::Set(element) => Type::set(element.value_type()),
            AttributeType::Map(element) => Type::map(element.value_type()),
            AttributeType::Object(fields) => {
                Type::object(fields.iter().map(|(n, t)| (n.clone(), t.value_type())))
            }
            AttributeType::Tuple(elements) => {
                Type::Tuple(elements.iter().map(AttributeType::value_type).collect())
            }
            AttributeType::AttributeSingle(attributes) => nested(attributes),
            AttributeType::AttributeList(attributes) => Type::list(nested(attributes)),
            AttributeType::AttributeSet(attributes) => Type::set(nested(attributes)),
            AttributeType::AttributeMap(attributes) => Type::map(nested(attributes)),
        }
    }

    fn nested(
        &self,
    ) -> Option<(
        pb::schema::object::NestingMode,
        &BTreeMap<String, Attribute>,
    )> {
        use pb::schema::object::NestingMode;
        match self {
            AttributeType::AttributeSingle(a) => Some((NestingMode::Single, a)),
            AttributeType::AttributeList(a) => Some((NestingMode::List, a)),
            AttributeType::AttributeSet(a) => Some((NestingMode::Set, a)),
            AttributeType::AttributeMap(a) => Some((NestingMode::Map, a)),
            _ => None,
        }
    }
}

/// Who sets an attribute.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub enum AttributeConstraint {
    /// Set by the provider only.
    Computed,
    /// Set by the practitioner, or null.
    #[default]
    Optional,
    /// Set by the practitioner, or by the provider when left out.
    OptionalComputed,
    /// Set by the practitioner.
    Required,
}

/// An attribute.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Attribute {
    pub attr_type: AttributeType,
    pub description: Description,
    pub constraint: AttributeConstraint,
    pub sensitive: bool,
    pub deprecated: bool,
    /// Its configured value reaches create and update but never plan or state (protocol 6.8).
    pub write_only: bool,
}

impl Default for Attribute {
    fn default() -> Self {
        Self {
            attr_type: AttributeType::String,
            description: Description::default(),
            constraint: AttributeConstraint::Optional,
            sensitive: false,
            deprecated: false,
            write_only: false,
        }
    }
}

impl Attribute {
    fn to_proto(&self, name: &str) -> pb::schema::Attribute {
        let (r#type, nested_type) = match self.attr_type.nested() {
            Some((nesting, attributes)) => (
                Vec::new(),
                Some(pb::schema::Object {
                    attributes: attributes.iter().map(|(n, a)| a.to_proto(n)).collect(),
                    nesting: nesting as i32,
                    ..Default::default()
                }),
            ),
            None => (
                self.attr_type
                    .value_type()
                    .to_json()
                    .to_string()
                    .into_bytes(),
                None,
            ),
        };
        pb::schema::Attribute {
            name: name.to_string(),
            r#type,
            nested_type,
            description: self.description.content.clone(),
            description_kind: self.description.kind_proto(),
            required: self.constraint == AttributeConstraint::Required,
            optional: matches!(
                self.constraint,
                AttributeConstraint::Optional | AttributeConstraint::OptionalComputed
            ),
            computed: matches!(
                self.constraint,
                AttributeConstraint::Computed | AttributeConstraint::OptionalComputed
            ),
            sensitive: self.sensitive,
            deprecated: self.deprecated,
            write_only: self.write_only,
        }
    }
}

/// A nested block and how often it may appear.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum NestedBlock {
    /// Exactly once.
    Single(Block),
    /// Any number of times, in order.
    List(Block),
    /// Any number of times, unordered.
    Set(Block),
    /// Any number of times, each with a label.
    Map(Block),
    /// At most once; when absent its attributes are null.
    Group(Block),
    /// At most once; a list of at most one element on the wire (use `value::serde_as_vec`).
    Optional(Block),
}

impl NestedBlock {
    pub fn block(&self) -> &Block {
        match self {
            NestedBlock::Single(b)
            | NestedBlock::List(b)
            | NestedBlock::Set(b)
            | NestedBlock::Map(b)
            | NestedBlock::Group(b)
            | NestedBlock::Optional(b) => b,
        }
    }

    /// The cty type of this block's value.
    pub fn value_type(&self) -> Type {
        let object = self.block().value_type();
        match self {
            NestedBlock::Single(_) | NestedBlock::Group(_) => object,
            NestedBlock::List(_) | NestedBlock::Optional(_) => Type::list(object),
            NestedBlock::Set(_) => Type::set(object),
            NestedBlock::Map(_) => Type::map(object),
        }
    }

    fn to_proto(&self, name: &str) -> pb::schema::NestedBlock {
        use pb::schema::nested_block::NestingMode;
        let (nesting, min_items, max_items) = match self {
            NestedBlock::Single(_) => (NestingMode::Single, 1, 1),
            NestedBlock::List(_) => (NestingMode::List, 0, 0),
            NestedBlock::Set(_) => (NestingMode::Set, 0, 0),
            NestedBlock::Map(_) => (NestingMode::Map, 0, 0),
            NestedBlock::Group(_) => (NestingMode::Group, 0, 0),
            NestedBlock::Optional(_) => (NestingMode::List, 0, 1),
        };
        pb::schema::NestedBlock {
            type_name: name.to_string(),
            block: Some(self.block().to_proto()),
            nesting: nesting as i32,
            min_items,
            max_items,
        }
    }
}

/// A block: attributes and nested blocks.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Block {
    pub version: i64,
    pub attributes: BTreeMap<String, Attribute>,
    pub blocks: BTreeMap<String, NestedBlock>,
    pub description: Description,
    pub deprecated: bool,
}

impl Block {
    /// The cty object type of this block's value.
    pub fn value_type(&self) -> Type {
        let attributes = self
            .attributes
            .iter()
            .map(|(name, attribute)| (name.clone(), attribute.attr_type.value_type()))
            .chain(
                self.blocks
                    .iter()
                    .map(|(name, block)| (name.clone(), block.value_type())),
            );
        Type::object(attributes)
    }

    pub fn to_proto(&self) -> pb::schema::Block {
        pb::schema::Block {
            version: self.version,
            attributes: self
                .attributes
                .iter()
                .map(|(name, attribute)| attribute.to_proto(name))
                .collect(),
            block_types: self
                .blocks
                .iter()
                .map(|(name, block)| block.to_proto(name))
                .collect(),
            description: self.description.content.clone(),
            description_kind: self.description.kind_proto(),
            deprecated: self.deprecated,
        }
    }

    /// Paths of every write-only attribute, at any depth of nested blocks and attributes.
    pub fn write_only_paths(&self) -> Vec<Vec<String>> {
        fn walk_attributes(
            attributes: &BTreeMap<String, Attribute>,
            prefix: &[String],
            out: &mut Vec<Vec<String>>,
        ) {
            for (name, attribute) in attributes {
                let mut path = prefix.to_vec();
                path.push(name.clone());
                if attribute.write_only {
                    out.push(path.clone());
                }
                if let Some((_, nested)) = attribute.attr_type.nested() {
                    walk_attributes(nested, &path, out);
                }
            }
        }
        fn walk(block: &Block, prefix: &[String], out: &mut Vec<Vec<String>>) {
            walk_attributes(&block.attributes, prefix, out);
            for (name, nested) in &block.blocks {
                let mut path = prefix.to_vec();
                path.push(name.clone());
                walk(nested.block(), &path, out);
            }
        }
        let mut out = Vec::new();
        walk(self, &[], &mut out);
        out
    }
}

/// A versioned schema of a provider, resource, data source or ephemeral resource.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

impl Schema {
    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }

    pub fn to_proto(&self) -> pb::Schema {
        pb::Schema {
            version: self.version,
            block: Some(self.block.to_proto()),
        }
    }
}

/// One attribute of a resource identity (protocol 6.9).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct IdentityAttribute {
    pub name: String,
    pub attr_type: AttributeType,
    pub required_for_import: bool,
    pub optional_for_import: bool,
    pub description: String,
}

/// What identifies a managed resource independently of its state (protocol 6.9).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct IdentitySchema {
    pub version: i64,
    pub attributes: Vec<IdentityAttribute>,
}

impl IdentitySchema {
    pub fn value_type(&self) -> Type {
        Type::object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.attr_type.value_type())),
        )
    }

    pub fn to_proto(&self) -> pb::ResourceIdentitySchema {
        pb::ResourceIdentitySchema {
            version: self.version,
            identity_attributes: self
                .attributes
                .iter()
                .map(|a| pb::resource_identity_schema::IdentityAttribute {
                    name: a.name.clone(),
                    r#type: a.attr_type.value_type().to_json().to_string().into_bytes(),
                    required_for_import: a.required_for_import,
                    optional_for_import: a.optional_for_import,
                    description: a.description.clone(),
                })
                .collect(),
        }
    }
}
