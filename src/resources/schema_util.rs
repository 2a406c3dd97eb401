//! Short constructors for schema attributes, so schemas read as a list of names and meanings.

use crate::plugin::schema::{Attribute, AttributeConstraint, AttributeType, Description};

fn attribute(
    attr_type: AttributeType,
    constraint: AttributeConstraint,
    description: &str,
) -> Attribute {
    Attribute {
        attr_type,
        description: Description::markdown(description),
        constraint,
        ..Default::default()
    }
}

pub fn required(attr_type: AttributeType, description: &str) -> Attribute {
    attribute(attr_type, AttributeConstraint::Required, description)
}

pub fn optional(attr_type: AttributeType, description: &str) -> Attribute {
    attribute(attr_type, AttributeConstraint::Optional, description)
}

pub fn optional_computed(attr_type: AttributeType, description: &str) -> Attribute {
    attribute(
        attr_type,
        AttributeConstraint::OptionalComputed,
        description,
    )
}

pub fn computed(attr_type: AttributeType, description: &str) -> Attribute {
    attribute(attr_type, AttributeConstraint::Computed, description)
}

pub fn sensitive(mut attribute: Attribute) -> Attribute {
    attribute.sensitive = true;
    attribute
}

/// The schema's top-level attribute names and the serialized default model's field names, each
/// sorted, for the test every resource, data source and ephemeral resource has: that its model
/// and its schema name the same things.
#[cfg(test)]
pub fn attribute_and_field_names<M: serde::Serialize + Default>(
    schema: &crate::plugin::schema::Schema,
) -> (Vec<String>, Vec<String>) {
    let mut attributes: Vec<String> = schema.block.attributes.keys().cloned().collect();
    attributes.sort_unstable();
    let model = serde_json::to_value(M::default()).expect("the model serializes");
    let mut fields: Vec<String> = model
        .as_object()
        .expect("the model is a struct")
        .keys()
        .cloned()
        .collect();
    fields.sort_unstable();
    (attributes, fields)
}
