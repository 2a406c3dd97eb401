//! `secrets_in_state = false`: the passwords and password-bearing URIs a resource or data
//! source names are null in everything the provider hands Terraform to store (plan, state,
//! import, move, data source results), and their descriptions say so and where to get them.

use crate::plugin::dynamic::Dynamic;
use crate::plugin::schema::Schema;

/// Appended to the description of every secret attribute.
pub const SECRET_NOTE: &str = "Null when the provider's `secrets_in_state` is `false` \
     (`DBAAS_SECRETS_IN_STATE=false`): the value is then never written to plan or state; \
     read it through the ephemeral `dbaas_database_credentials` instead (Terraform ≥ 1.10).";

/// Adds [`SECRET_NOTE`] to the descriptions of the top-level attributes `names`.
pub fn mark(schema: &mut Schema, names: &[&str]) {
    for name in names {
        if let Some(attribute) = schema.block.attributes.get_mut(*name) {
            let text = &mut attribute.description.content;
            if !text.contains(SECRET_NOTE) {
                if !text.is_empty() && !text.ends_with(' ') {
                    text.push(' ');
                }
                text.push_str(SECRET_NOTE);
            }
        }
    }
}

/// Sets the top-level attributes `names` of `value` to null (a null value stays null).
pub fn scrub(value: &mut Dynamic, names: &[&str]) {
    if let Dynamic::Object(attributes) = value {
        for name in names {
            if let Some(attribute) = attributes.get_mut(*name) {
                *attribute = Dynamic::Null;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::schema::{Attribute, AttributeType, Block, Description};

    #[test]
    fn scrub_nulls_only_the_named_attributes() {
        let mut value = Dynamic::Object(
            [
                ("password".to_string(), Dynamic::String("s3cret".into())),
                ("host".to_string(), Dynamic::String("db.example".into())),
                ("uri".to_string(), Dynamic::Unknown),
            ]
            .into_iter()
            .collect(),
        );
        scrub(&mut value, &["password", "uri", "absent"]);
        assert_eq!(value.attribute("password"), Some(&Dynamic::Null));
        assert_eq!(value.attribute("uri"), Some(&Dynamic::Null));
        assert_eq!(
            value.attribute("host"),
            Some(&Dynamic::String("db.example".into()))
        );
        let mut null = Dynamic::Null;
        scrub(&mut null, &["password"]);
        assert!(null.is_null());
    }

    #[test]
    fn mark_appends_the_note_once() {
        let mut schema = Schema {
            block: Block {
                attributes: [(
                    "password".to_string(),
                    Attribute {
                        attr_type: AttributeType::String,
                        description: Description::markdown("The admin password."),
                        ..Default::default()
                    },
                )]
                .into_iter()
                .collect(),
                ..Default::default()
            },
            ..Default::default()
        };
        mark(&mut schema, &["password", "absent"]);
        mark(&mut schema, &["password"]);
        let text = &schema.block.attributes["password"].description.content;
        assert!(text.starts_with("The admin password. Null when"), "{text}");
        assert_eq!(text.matches("secrets_in_state").count(), 1, "{text}");
    }
}
