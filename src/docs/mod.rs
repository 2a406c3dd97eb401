//! Registry documentation, generated from the provider's own schema and the HCL under
//! `examples/`, in the layout of HashiCorp's terraform-plugin-docs (tfplugindocs), so the pages
//! render on the Terraform Registry and tfplugindocs could take over with
//! `--providers-schema schemas/provider.schema.json` without moving a file.
//!
//! | source | page |
//! |---|---|
//! | provider schema, `examples/provider/provider.tf`, `templates/index.md.tmpl` | `docs/index.md` |
//! | resource `dbaas_<name>`, `examples/resources/dbaas_<name>/{resource.tf,import.sh,import-by-string-id.tf}`, `templates/resources/<name>.md.tmpl` | `docs/resources/<name>.md` |
//! | data source `dbaas_<name>`, `examples/data-sources/dbaas_<name>/data-source.tf`, `templates/data-sources/<name>.md.tmpl` | `docs/data-sources/<name>.md` |
//! | ephemeral resource `dbaas_<name>`, `examples/ephemeral-resources/dbaas_<name>/ephemeral-resource.tf`, `templates/ephemeral-resources/<name>.md.tmpl` | `docs/ephemeral-resources/<name>.md` |
//!
//! The schemas are read in-process from the provider's [`ProviderHandler::schemas`], so
//! resources, data sources and ephemeral resources added to the provider are documented
//! without touching this module. Templates are optional; without one a page uses tfplugindocs'
//! default layout. They are written in the subset of tfplugindocs' Go-template language that
//! [`template`] implements, so they stay valid tfplugindocs templates.
//!
//! Generation refuses to run, naming every problem at once, when something served has no
//! example, when an example or template belongs to nothing the provider serves, or when an
//! attribute or block has no description: an undocumented attribute is a documentation bug.
//!
//! The module is split by concern: `catalogue` (what is served and where its files live),
//! `sources` (the completeness checks), `pages` (page templates and their fields),
//! `markdown` (schema → Markdown), [`template`] (the Go-template subset), `drift` (comparing
//! and writing `docs/`) and `schema_json` (the committed `terraform providers schema -json`).
//!
//! [`ProviderHandler::schemas`]: crate::plugin::service::ProviderHandler::schemas

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;

mod catalogue;
mod drift;
mod markdown;
mod pages;
mod schema_json;
mod sources;
pub mod template;
#[cfg(test)]
mod test_support;

pub use catalogue::{Catalogue, Entry, Kind};
pub use drift::{drift, write, Drift};
pub use markdown::schema_markdown;
pub use schema_json::normalize_schema_json;

/// The provider's type name, the prefix of every resource, data source and ephemeral resource
/// type.
pub const PROVIDER_NAME: &str = "dbaas";
/// The provider's source address, as configurations require it.
pub const PROVIDER_SOURCE: &str = "registry.terraform.io/dbaas/dbaas";
/// The golden `terraform providers schema -json` output, relative to the repository root.
pub const SCHEMA_FILE: &str = "schemas/provider.schema.json";
/// The command that brings `docs/` and [`SCHEMA_FILE`] up to date.
pub const REGENERATE_COMMAND: &str = "scripts/generate-docs.sh";
/// The generated directory, relative to the repository root.
pub const DOCS_DIR: &str = "docs";

/// The provider page's example, relative to the repository root.
pub const PROVIDER_EXAMPLE: &str = "examples/provider/provider.tf";
/// The provider page's hand-written template, relative to the repository root.
pub const PROVIDER_TEMPLATE: &str = "templates/index.md.tmpl";
/// The `terraform import` example in a resource's example directory.
pub const IMPORT_SCRIPT: &str = "import.sh";
/// The `import` block example in a resource's example directory (Terraform 1.5 and later).
pub const IMPORT_BLOCK: &str = "import-by-string-id.tf";
pub const IMPORT_IDENTITY_BLOCK: &str = "import-by-identity.tf";
const TEMPLATE_SUFFIX: &str = ".md.tmpl";

/// Why documentation could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    #[error("the provider's schema cannot be documented: {0}")]
    Schema(String),
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error("{path}: {message}")]
    Template { path: String, message: String },
    #[error("the documentation sources are incomplete:\n{}", bullet_list(.0))]
    Sources(Vec<String>),
}

fn bullet_list(items: &[String]) -> String {
    items
        .iter()
        .map(|item| format!("  - {item}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Relative to the repository root, with `/` separators.
    pub path: String,
    pub contents: String,
}

/// Renders every page, or explains every missing or dangling source at once.
pub fn generate(root: &Path, catalogue: &Catalogue) -> Result<Vec<Page>, DocsError> {
    let problems = sources::problems(root, catalogue)?;
    if !problems.is_empty() {
        return Err(DocsError::Sources(problems));
    }
    let mut pages = vec![pages::provider_page(root, catalogue)?];
    for entry in &catalogue.entries {
        pages.push(pages::entry_page(root, entry)?);
    }
    pages.extend(pages::guide_pages(root)?);
    Ok(pages)
}

/// Names in a directory, sorted; none when it does not exist.
fn directory_entries(dir: &Path) -> Result<Vec<String>, DocsError> {
    let read = match fs::read_dir(dir) {
        Ok(read) => read,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(DocsError::Read {
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    let mut names = Vec::new();
    for item in read {
        let item = item.map_err(|source| DocsError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        names.push(item.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// Regexes are compiled once per process, on first use.
fn cached_regex<'a>(cell: &'a OnceLock<Regex>, pattern: &str) -> &'a Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("the pattern is a valid regex"))
}

#[cfg(test)]
mod tests {
    use super::test_support::{sample_catalogue, write_file};
    use super::*;

    #[test]
    fn missing_and_dangling_sources_are_all_reported() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write_file(
            root,
            "examples/resources/dbaas_thing/resource.tf",
            "resource \"dbaas_thing\" \"x\" {}\n",
        );
        write_file(root, "examples/resources/dbaas_gone/resource.tf", "");
        write_file(root, "templates/data-sources/gone.md.tmpl", "");
        let Err(DocsError::Sources(problems)) = generate(root, &sample_catalogue()) else {
            panic!("generation must refuse incomplete sources");
        };
        assert_eq!(
            problems,
            [
                "the provider has no example: create examples/provider/provider.tf",
                "data source dbaas_thing_info has no example: create examples/data-sources/dbaas_thing_info/data-source.tf",
                "examples/resources/dbaas_gone is the example of no resource the provider serves (a misspelt type name, or a removed resource?)",
                "templates/data-sources/gone.md.tmpl is the template of no data source the provider serves (expected templates/data-sources/<name without `dbaas_`>.md.tmpl)",
            ]
        );
    }

    #[test]
    fn pages_are_generated_checked_and_written() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write_file(
            root,
            "examples/provider/provider.tf",
            "provider \"dbaas\" {}\n",
        );
        write_file(
            root,
            "examples/resources/dbaas_thing/resource.tf",
            "\nresource \"dbaas_thing\" \"x\" {}\n\n",
        );
        write_file(
            root,
            "examples/resources/dbaas_thing/import.sh",
            "terraform import dbaas_thing.x 123\n",
        );
        write_file(
            root,
            "examples/data-sources/dbaas_thing_info/data-source.tf",
            "data \"dbaas_thing_info\" \"x\" {}\n",
        );
        write_file(root, "templates/index.md.tmpl", "# {{ .ProviderShortName }}\n\n{{ .Description }}\n\n## Guide\n\nHand-written.\n\n{{ .SchemaMarkdown | trimspace }}\n\n\n");
        write_file(root, "docs/resources/removed.md", "stale");
        let pages = generate(root, &sample_catalogue()).unwrap();
        let paths: Vec<_> = pages.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "docs/index.md",
                "docs/resources/thing.md",
                "docs/data-sources/thing_info.md"
            ]
        );

        let index = &pages[0].contents;
        assert!(index.starts_with("# dbaas\n\nThe **sample** provider.\n\n## Guide\n\nHand-written.\n\n<!-- schema generated by dbaas-docs -->\n"), "{index}");
        assert!(
            index.ends_with("- `token` (String, Sensitive) Token.\n"),
            "{index}"
        );

        let resource = &pages[1].contents;
        assert!(resource.contains("page_title: \"dbaas_thing Resource - dbaas\"\nsubcategory: \"\"\ndescription: |-\n  A sample.\n---\n\n# dbaas_thing (Resource)\n\nA sample.\n\n## Example Usage\n\n```terraform\nresource \"dbaas_thing\" \"x\" {}\n```\n\n<!-- schema generated by dbaas-docs -->\n## Schema\n"), "{resource}");
        assert!(resource.ends_with("## Import\n\nImport is supported using the following syntax:\n\nThe [`terraform import` command](https://developer.hashicorp.com/terraform/cli/commands/import) can be used, for example:\n\n```shell\nterraform import dbaas_thing.x 123\n```\n"), "{resource}");
        let data_source = &pages[2].contents;
        assert!(
            data_source.contains("# dbaas_thing_info (Data Source)\n"),
            "{data_source}"
        );
        assert!(!data_source.contains("## Import"), "{data_source}");

        let drifts = drift(root, &pages).unwrap();
        assert_eq!(drifts.len(), 4, "{drifts:?}");
        assert!(drifts.contains(&Drift::Unexpected {
            path: "docs/resources/removed.md".into()
        }));
        assert_eq!(write(root, &pages).unwrap(), drifts);
        assert_eq!(drift(root, &pages).unwrap(), []);
        assert!(!root.join("docs/resources/removed.md").exists());

        fs::write(
            root.join("docs/resources/thing.md"),
            resource.replace("The name.", "A name."),
        )
        .unwrap();
        let drifts: [Drift; 1] = drift(root, &pages).unwrap().try_into().unwrap();
        let [Drift::Outdated {
            path,
            line,
            expected,
            found,
        }] = drifts
        else {
            panic!("one outdated page expected");
        };
        assert_eq!(path, "docs/resources/thing.md");
        assert_eq!(expected, "- `name` (String) The name.");
        assert_eq!(found, "- `name` (String) A name.");
        assert_eq!(resource.lines().nth(line - 1), Some(expected.as_str()));
    }

    #[test]
    fn ephemeral_resources_get_pages_of_their_own() {
        let mut catalogue = sample_catalogue();
        catalogue.entries.push(Entry {
            kind: Kind::EphemeralResource,
            type_name: "dbaas_thing_token".into(),
            schema: catalogue.entries[1].schema.clone(),
            identity: None,
        });
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write_file(
            root,
            "examples/provider/provider.tf",
            "provider \"dbaas\" {}\n",
        );
        write_file(
            root,
            "examples/resources/dbaas_thing/resource.tf",
            "resource \"dbaas_thing\" \"x\" {}\n",
        );
        write_file(
            root,
            "examples/data-sources/dbaas_thing_info/data-source.tf",
            "data \"dbaas_thing_info\" \"x\" {}\n",
        );
        write_file(root, "templates/ephemeral-resources/gone.md.tmpl", "");
        let Err(DocsError::Sources(problems)) = generate(root, &catalogue) else {
            panic!("generation must refuse incomplete sources");
        };
        assert_eq!(
            problems,
            [
                "ephemeral resource dbaas_thing_token has no example: create examples/ephemeral-resources/dbaas_thing_token/ephemeral-resource.tf",
                "templates/ephemeral-resources/gone.md.tmpl is the template of no ephemeral resource the provider serves (expected templates/ephemeral-resources/<name without `dbaas_`>.md.tmpl)",
            ]
        );

        fs::remove_file(root.join("templates/ephemeral-resources/gone.md.tmpl")).unwrap();
        write_file(
            root,
            "examples/ephemeral-resources/dbaas_thing_token/ephemeral-resource.tf",
            "ephemeral \"dbaas_thing_token\" \"x\" {}\n",
        );
        // Ephemeral resources cannot be imported: an import script beside one is ignored.
        write_file(
            root,
            "examples/ephemeral-resources/dbaas_thing_token/import.sh",
            "terraform import x y\n",
        );
        let pages = generate(root, &catalogue).unwrap();
        let page = pages
            .iter()
            .find(|p| p.path == "docs/ephemeral-resources/thing_token.md")
            .expect("the ephemeral resource has a page");
        assert!(
            page.contents
                .contains("page_title: \"dbaas_thing_token Ephemeral Resource - dbaas\"\n"),
            "{}",
            page.contents
        );
        assert!(page.contents.contains("# dbaas_thing_token (Ephemeral Resource)\n\nA sample.\n\n## Example Usage\n\n```terraform\nephemeral \"dbaas_thing_token\" \"x\" {}\n```\n"), "{}", page.contents);
        assert!(!page.contents.contains("## Import"), "{}", page.contents);
        assert_eq!(
            pages.last().unwrap().path,
            page.path,
            "ephemeral pages come last"
        );
    }
}
