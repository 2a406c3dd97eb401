//! Sample schemas and files shared by the docs tests.

use std::fs;
use std::path::Path;

use crate::map;
use crate::plugin::schema::{
    Attribute, AttributeConstraint, AttributeType, Block, Description, NestedBlock, Schema,
};

use super::catalogue::{Catalogue, Entry, Kind};

pub fn attribute(
    attr_type: AttributeType,
    constraint: AttributeConstraint,
    text: &str,
) -> Attribute {
    Attribute {
        attr_type,
        description: Description::markdown(text),
        constraint,
        ..Default::default()
    }
}

pub fn sample_block() -> Block {
    use AttributeConstraint::{Computed, Optional, OptionalComputed, Required};
    Block {
        description: Description::markdown("A sample."),
        attributes: map! {
            "name" => attribute(AttributeType::String, Required, "The name."),
            "id" => attribute(AttributeType::String, Computed, "The ID."),
            "password" => Attribute { sensitive: true, ..attribute(AttributeType::String, Computed, "The password.") },
            "tags" => attribute(AttributeType::Set(Box::new(AttributeType::String)), Optional, "Tags.\n\nCase-insensitive."),
            "window" => attribute(AttributeType::Object(map! {"day" => AttributeType::String, "hour" => AttributeType::String}), OptionalComputed, "When."),
            "nodes" => attribute(AttributeType::AttributeList(map! {
                "host" => attribute(AttributeType::String, Computed, "Host."),
                "weight" => attribute(AttributeType::Number, Optional, "Weight."),
            }), Optional, "Nodes.")
        },
        blocks: map! {
            "autoscale" => NestedBlock::Optional(Block {
                description: Description::markdown("Autoscaling."),
                attributes: map! {"enabled" => attribute(AttributeType::Bool, Required, "On or off.")},
                ..Default::default()
            })
        },
        ..Default::default()
    }
}

pub fn sample_catalogue() -> Catalogue {
    Catalogue {
        provider: Schema {
            version: 1,
            block: Block {
                description: Description::markdown("The **sample** provider."),
                attributes: map! {"token" => Attribute { sensitive: true, ..attribute(AttributeType::String, AttributeConstraint::Optional, "Token.") }},
                ..Default::default()
            },
        },
        entries: vec![
            Entry {
                kind: Kind::Resource,
                type_name: "dbaas_thing".into(),
                schema: Schema {
                    version: 1,
                    block: sample_block(),
                },
                identity: None,
            },
            Entry {
                kind: Kind::DataSource,
                type_name: "dbaas_thing_info".into(),
                schema: Schema {
                    version: 1,
                    block: sample_block(),
                },
                identity: None,
            },
        ],
    }
}

pub fn write_file(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}
