//! What the provider serves, with schemas, and where each type's documentation files live.

use std::fmt;
use std::sync::Arc;

use crate::framework::context::ProviderData;
use crate::plugin::schema::{IdentitySchema, Schema};
use crate::plugin::service::{ProviderHandler, ProviderSchemas};

use super::{
    DocsError, DOCS_DIR, IMPORT_BLOCK, IMPORT_IDENTITY_BLOCK, IMPORT_SCRIPT, PROVIDER_NAME,
    TEMPLATE_SUFFIX,
};

/// Resource, data source or ephemeral resource: they differ only in where their files live,
/// in wording, and in whether they can be imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Resource,
    DataSource,
    EphemeralResource,
}

impl Kind {
    /// Every kind, in the order their pages are generated.
    pub const ALL: [Kind; 3] = [Kind::Resource, Kind::DataSource, Kind::EphemeralResource];

    /// How the Registry names the kind in titles.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Resource => "Resource",
            Kind::DataSource => "Data Source",
            Kind::EphemeralResource => "Ephemeral Resource",
        }
    }

    /// The directory name under `examples/`, `docs/` and `templates/`.
    pub fn directory(self) -> &'static str {
        match self {
            Kind::Resource => "resources",
            Kind::DataSource => "data-sources",
            Kind::EphemeralResource => "ephemeral-resources",
        }
    }

    /// The example file tfplugindocs looks for.
    pub fn example_file(self) -> &'static str {
        match self {
            Kind::Resource => "resource.tf",
            Kind::DataSource => "data-source.tf",
            Kind::EphemeralResource => "ephemeral-resource.tf",
        }
    }

    /// The HCL block keyword that declares one.
    pub fn hcl_keyword(self) -> &'static str {
        match self {
            Kind::Resource => "resource",
            Kind::DataSource => "data",
            Kind::EphemeralResource => "ephemeral",
        }
    }

    /// Only managed resources live in state, so only they can be imported.
    pub fn importable(self) -> bool {
        self == Kind::Resource
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Resource => "resource",
            Kind::DataSource => "data source",
            Kind::EphemeralResource => "ephemeral resource",
        })
    }
}

/// One resource, data source or ephemeral resource and where its documentation files live.
/// Paths are relative to the repository root, with `/` separators, as they appear in
/// messages and templates.
#[derive(Debug, Clone)]
pub struct Entry {
    pub kind: Kind,
    /// The full type name, e.g. `dbaas_database_cluster`.
    pub type_name: String,
    pub schema: Schema,
    /// The resource identity (protocol 6.9), for resources that have one.
    pub identity: Option<IdentitySchema>,
}

impl Entry {
    /// The type name without the provider prefix, as tfplugindocs names pages and templates.
    pub fn short_name(&self) -> &str {
        short_name(&self.type_name).unwrap_or(&self.type_name)
    }

    pub fn example_dir(&self) -> String {
        format!("examples/{}/{}", self.kind.directory(), self.type_name)
    }

    pub fn example_path(&self) -> String {
        format!("{}/{}", self.example_dir(), self.kind.example_file())
    }

    /// `import.sh`; only resources can be imported.
    pub fn import_path(&self) -> Option<String> {
        self.kind
            .importable()
            .then(|| format!("{}/{IMPORT_SCRIPT}", self.example_dir()))
    }

    /// `import-by-string-id.tf`; only resources can be imported.
    pub fn import_block_path(&self) -> Option<String> {
        self.kind
            .importable()
            .then(|| format!("{}/{IMPORT_BLOCK}", self.example_dir()))
    }

    /// `import-by-identity.tf`; only resources with an identity can be imported by it.
    pub fn import_identity_path(&self) -> Option<String> {
        (self.kind.importable() && self.identity.is_some())
            .then(|| format!("{}/{IMPORT_IDENTITY_BLOCK}", self.example_dir()))
    }

    pub fn doc_path(&self) -> String {
        format!(
            "{DOCS_DIR}/{}/{}.md",
            self.kind.directory(),
            self.short_name()
        )
    }

    pub fn template_path(&self) -> String {
        format!(
            "templates/{}/{}{TEMPLATE_SUFFIX}",
            self.kind.directory(),
            self.short_name()
        )
    }
}

/// `name` without `dbaas_`, if it has that prefix.
fn short_name(name: &str) -> Option<&str> {
    name.strip_prefix(PROVIDER_NAME)?.strip_prefix('_')
}

/// Everything the provider serves, with schemas, sorted by kind and type name.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub provider: Schema,
    pub entries: Vec<Entry>,
}

impl Catalogue {
    /// The dbaas provider's catalogue. Schemas need no configuration, so the provider is
    /// built with empty provider data, as Terraform finds it before `configure`.
    pub fn dbaas() -> Result<Self, DocsError> {
        Self::of(&crate::provider::provider(
            Arc::new(ProviderData::default()),
        ))
    }

    /// Any provider's catalogue, from the schemas it serves.
    pub fn of(provider: &dyn ProviderHandler) -> Result<Self, DocsError> {
        Self::from_schemas(provider.schemas())
    }

    /// The catalogue of these schemas, keyed by full type name as the protocol sends them.
    /// Every type name must start with `dbaas_`: pages, templates and examples are named
    /// after the rest, and configurations could not use the type without a `provider`
    /// argument.
    pub fn from_schemas(schemas: ProviderSchemas) -> Result<Self, DocsError> {
        let served = [
            (Kind::Resource, schemas.resources),
            (Kind::DataSource, schemas.data_sources),
            (Kind::EphemeralResource, schemas.ephemeral_resources),
        ];
        let mut entries = Vec::new();
        let mut misnamed = Vec::new();
        let mut identities = schemas.identities;
        for (kind, schemas) in served {
            for (type_name, schema) in schemas {
                let identity = match kind {
                    Kind::Resource => identities.remove(&type_name),
                    _ => None,
                };
                if !short_name(&type_name).is_some_and(|rest| !rest.is_empty()) {
                    misnamed.push(format!(
                        "{kind} {type_name:?} is not named `{PROVIDER_NAME}_<name>`"
                    ));
                }
                entries.push(Entry {
                    kind,
                    type_name,
                    schema,
                    identity,
                });
            }
        }
        if !misnamed.is_empty() {
            return Err(DocsError::Schema(misnamed.join("; ")));
        }
        entries.sort_by(|a, b| (a.kind, &a.type_name).cmp(&(b.kind, &b.type_name)));
        Ok(Catalogue {
            provider: schemas.provider,
            entries,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::map;
    use crate::plugin::schema::{Block, Description};

    fn schema(text: &str) -> Schema {
        Schema {
            version: 1,
            block: Block {
                description: Description::markdown(text),
                ..Default::default()
            },
        }
    }

    #[test]
    fn every_kind_is_catalogued_by_full_type_name() {
        let catalogue = Catalogue::from_schemas(ProviderSchemas {
            provider: schema("The provider."),
            resources: map! {"dbaas_thing" => schema("A thing.")},
            data_sources: map! {"dbaas_thing" => schema("A thing, read.")},
            ephemeral_resources: map! {"dbaas_thing_token" => schema("A token.")},
            ..Default::default()
        })
        .unwrap();
        let entries: Vec<_> = catalogue
            .entries
            .iter()
            .map(|e| (e.kind, e.type_name.as_str(), e.doc_path(), e.example_path()))
            .collect();
        assert_eq!(
            entries,
            [
                (
                    Kind::Resource,
                    "dbaas_thing",
                    "docs/resources/thing.md".to_string(),
                    "examples/resources/dbaas_thing/resource.tf".to_string()
                ),
                (
                    Kind::DataSource,
                    "dbaas_thing",
                    "docs/data-sources/thing.md".to_string(),
                    "examples/data-sources/dbaas_thing/data-source.tf".to_string()
                ),
                (
                    Kind::EphemeralResource,
                    "dbaas_thing_token",
                    "docs/ephemeral-resources/thing_token.md".to_string(),
                    "examples/ephemeral-resources/dbaas_thing_token/ephemeral-resource.tf"
                        .to_string()
                ),
            ]
        );
        let ephemeral = &catalogue.entries[2];
        assert_eq!(
            ephemeral.template_path(),
            "templates/ephemeral-resources/thing_token.md.tmpl"
        );
        assert_eq!(ephemeral.import_path(), None);
        assert_eq!(ephemeral.kind.hcl_keyword(), "ephemeral");
        assert_eq!(ephemeral.kind.label(), "Ephemeral Resource");
        assert_eq!(
            catalogue.entries[0].import_path().as_deref(),
            Some("examples/resources/dbaas_thing/import.sh")
        );
    }

    #[test]
    fn type_names_must_carry_the_provider_prefix() {
        let error = Catalogue::from_schemas(ProviderSchemas {
            resources: map! {"thing" => schema("A thing."), "dbaas_" => schema("Nothing.")},
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "the provider's schema cannot be documented: resource \"dbaas_\" is not named \
             `dbaas_<name>`; resource \"thing\" is not named `dbaas_<name>`"
        );
    }

    #[test]
    fn the_dbaas_catalogue_has_every_type_the_provider_serves() {
        let catalogue = Catalogue::dbaas().unwrap();
        let names: Vec<_> = catalogue
            .entries
            .iter()
            .map(|e| format!("{} {}", e.kind, e.type_name))
            .collect();
        for expected in [
            "resource dbaas_database_cluster",
            "resource dbaas_database_connection_pool",
            "data source dbaas_database_cluster",
            "data source dbaas_database_options",
            "data source dbaas_database_ca",
        ] {
            assert!(names.iter().any(|n| n == expected), "{expected}: {names:?}");
        }
        assert!(catalogue.provider.block.attributes.contains_key("token"));
    }
}
