//! Whether the documentation sources are complete: an example for everything served, no
//! example or template for anything that is not, and a description on every attribute and
//! block.

use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::path::Path;

use crate::plugin::schema::{Attribute, Block};

use super::catalogue::{Catalogue, Kind};
use super::markdown::{description_text, nested_attributes, nested_block};
use super::{directory_entries, DocsError, PROVIDER_EXAMPLE, PROVIDER_NAME, TEMPLATE_SUFFIX};

/// Every problem with the sources, in a stable order; none means pages can be generated.
pub(super) fn problems(root: &Path, catalogue: &Catalogue) -> Result<Vec<String>, DocsError> {
    let mut problems = Vec::new();
    if !root.join(PROVIDER_EXAMPLE).is_file() {
        problems.push(format!(
            "the provider has no example: create {PROVIDER_EXAMPLE}"
        ));
    }
    for entry in &catalogue.entries {
        if !root.join(entry.example_path()).is_file() {
            problems.push(format!(
                "{} {} has no example: create {}",
                entry.kind,
                entry.type_name,
                entry.example_path()
            ));
        }
    }
    for kind in Kind::ALL {
        let served: BTreeSet<&str> = catalogue
            .entries
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.type_name.as_str())
            .collect();
        let examples = format!("examples/{}", kind.directory());
        for name in directory_entries(&root.join(&examples))? {
            if !served.contains(name.as_str()) {
                problems.push(format!(
                    "{examples}/{name} is the example of no {kind} the provider serves \
                     (a misspelt type name, or a removed {kind}?)"
                ));
            }
        }
        let templates = format!("templates/{}", kind.directory());
        for name in directory_entries(&root.join(&templates))? {
            let short = name.strip_suffix(TEMPLATE_SUFFIX).unwrap_or(&name);
            if !served.contains(format!("{PROVIDER_NAME}_{short}").as_str()) {
                problems.push(format!(
                    "{templates}/{name} is the template of no {kind} the provider serves \
                     (expected {templates}/<name without `{PROVIDER_NAME}_`>{TEMPLATE_SUFFIX})"
                ));
            }
        }
    }
    let mut undocumented = Vec::new();
    undocumented_in_block(&catalogue.provider.block, "", &mut undocumented);
    for path in undocumented.drain(..) {
        problems.push(format!("provider: {path} has no description"));
    }
    for entry in &catalogue.entries {
        undocumented_in_block(&entry.schema.block, "", &mut undocumented);
        for path in undocumented.drain(..) {
            problems.push(format!(
                "{} {}: {path} has no description",
                entry.kind, entry.type_name
            ));
        }
    }
    Ok(problems)
}

fn undocumented_in_block(block: &Block, prefix: &str, found: &mut Vec<String>) {
    if description_text(&block.description).is_none() {
        found.push(if prefix.is_empty() {
            "its top-level block".to_string()
        } else {
            format!("block `{}`", prefix.trim_end_matches('.'))
        });
    }
    undocumented_in_attributes(&block.attributes, prefix, found);
    for (name, nested) in &block.blocks {
        undocumented_in_block(
            nested_block(nested).block,
            &format!("{prefix}{name}."),
            found,
        );
    }
}

fn undocumented_in_attributes(
    attributes: &BTreeMap<String, Attribute>,
    prefix: &str,
    found: &mut Vec<String>,
) {
    for (name, attribute) in attributes {
        if description_text(&attribute.description).is_none() {
            found.push(format!("attribute `{prefix}{name}`"));
        }
        if let Some((_, children)) = nested_attributes(&attribute.attr_type) {
            undocumented_in_attributes(children, &format!("{prefix}{name}."), found);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{attribute, sample_block};
    use super::*;

    use crate::map;
    use crate::plugin::schema::{AttributeConstraint, AttributeType, NestedBlock};

    #[test]
    fn undocumented_attributes_and_blocks_are_named() {
        let mut block = sample_block();
        block.attributes.insert(
            "bare".into(),
            Attribute {
                attr_type: AttributeType::String,
                ..Default::default()
            },
        );
        block.blocks.insert(
            "timeouts".into(),
            NestedBlock::Optional(Block {
                attributes: map! {"create" => attribute(AttributeType::String, AttributeConstraint::Optional, " ")},
                ..Default::default()
            }),
        );
        let mut found = Vec::new();
        undocumented_in_block(&block, "", &mut found);
        assert_eq!(
            found,
            [
                "attribute `bare`",
                "block `timeouts`",
                "attribute `timeouts.create`"
            ]
        );
    }
}
