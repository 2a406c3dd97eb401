//! `docs/` and `schemas/provider.schema.json` are generated from the provider and committed.
//! These tests fail when either no longer matches the provider, when a resource or data source
//! has no example, and when an example is misformatted or invalid for the current schema.
//! The fix is always the same: run `scripts/generate-docs.sh` (after adding what is missing).
//!
//! The schema and example checks run the real `terraform` CLI (`$TERRAFORM_BIN`, else the one
//! on `PATH`) against the provider binary Cargo just built, through a `dev_overrides` CLI
//! configuration of their own. Without Terraform they fail: a drift check that skips itself
//! would let stale files through.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dbaas::docs::{
    self, Catalogue, IMPORT_BLOCK, IMPORT_IDENTITY_BLOCK, PROVIDER_EXAMPLE, PROVIDER_SOURCE,
    PROVIDER_TEMPLATE, REGENERATE_COMMAND, SCHEMA_FILE,
};
use serde_json::Value as Json;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn catalogue() -> Catalogue {
    Catalogue::dbaas().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn docs_match_the_provider_schema_examples_and_templates() {
    let pages = docs::generate(root(), &catalogue())
        .unwrap_or_else(|e| panic!("{e}\n\nAdd what is missing, then run {REGENERATE_COMMAND}."));
    let drifts = docs::drift(root(), &pages).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        drifts.is_empty(),
        "docs/ is stale:\n{}\n\nRun {REGENERATE_COMMAND} and commit the result.",
        drifts
            .iter()
            .map(|d| format!("  - {d}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn schema_file_matches_terraform_providers_schema() {
    let terraform = Terraform::new();
    terraform.write(
        "main.tf",
        &format!(
            "terraform {{\n  required_providers {{\n    dbaas = {{\n      source = \"{PROVIDER_SOURCE}\"\n    }}\n  }}\n}}\n"
        ),
    );
    let output = terraform.run(&["providers", "schema", "-json"]);
    assert!(
        output.status.success(),
        "`terraform providers schema -json` failed:\n{}",
        describe(&output)
    );
    let current: Json = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "`terraform providers schema -json` printed no JSON ({e}):\n{}",
            describe(&output)
        )
    });

    let committed_text = fs::read_to_string(root().join(SCHEMA_FILE))
        .unwrap_or_else(|e| panic!("cannot read {SCHEMA_FILE} ({e}); run {REGENERATE_COMMAND}"));
    let committed: Json = serde_json::from_str(&committed_text)
        .unwrap_or_else(|e| panic!("{SCHEMA_FILE} is not JSON ({e}); run {REGENERATE_COMMAND}"));
    let mut committed = without_cli_dependent_fields(committed);
    if terraform.version() < (1, 10) {
        // Terraform before 1.10 knows no ephemeral resources and does not print them.
        if let Some(providers) = committed["provider_schemas"].as_object_mut() {
            for provider in providers.values_mut() {
                if let Some(provider) = provider.as_object_mut() {
                    provider.remove("ephemeral_resource_schemas");
                }
            }
        }
    }
    let mut differences = Vec::new();
    json_differences(
        "",
        &committed,
        &without_cli_dependent_fields(current),
        &mut differences,
    );
    assert!(
        differences.is_empty(),
        "{SCHEMA_FILE} is stale ({} differences with what {} reports now; the first ones):\n{}\n\n\
         Run {REGENERATE_COMMAND} and commit the result.",
        differences.len(),
        terraform.version_text(),
        differences
            .iter()
            .take(25)
            .map(|d| format!("  - {d}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(
        committed_text,
        docs::normalize_schema_json(&committed_text).unwrap(),
        "{SCHEMA_FILE} is not sorted and pretty-printed as {REGENERATE_COMMAND} writes it"
    );
}

#[test]
fn every_resource_and_data_source_has_a_valid_example() {
    let catalogue = catalogue();
    let mut problems = Vec::new();
    let mut example_dirs = vec!["examples/provider".to_string()];
    for entry in &catalogue.entries {
        let example = entry.example_path();
        match fs::read_to_string(root().join(&example)) {
            Ok(text) => {
                let declaration = format!("{} \"{}\"", entry.kind.hcl_keyword(), entry.type_name);
                if !text.contains(&declaration) {
                    problems.push(format!(
                        "{example} never declares {declaration} \"…\", so it is no example of it"
                    ));
                }
                example_dirs.push(entry.example_dir());
            }
            Err(_) => problems.push(format!(
                "{} {} has no example: create {example}",
                entry.kind, entry.type_name
            )),
        }
        if let Some(import) = entry.import_path() {
            if let Ok(text) = fs::read_to_string(root().join(&import)) {
                problems.extend(import_script_problems(&import, &text, &entry.type_name));
            }
        }
    }

    let terraform = Terraform::new();
    for dir in [
        "examples/provider",
        "examples/resources",
        "examples/data-sources",
        "examples/ephemeral-resources",
        "examples/guides",
    ] {
        if !root().join(dir).is_dir() {
            continue;
        }
        let target = root().join(dir);
        let output = terraform.run(&[
            "fmt",
            "-check",
            "-recursive",
            "-diff",
            "-no-color",
            target.to_str().expect("UTF-8 path"),
        ]);
        if !output.status.success() {
            problems.push(format!(
                "`terraform fmt -check` rejects {dir} (run `terraform fmt -recursive {dir}`):\n{}",
                describe(&output)
            ));
        }
    }

    // `import` blocks arrived in Terraform 1.5; the suite also runs under Terraform 1.0.
    let import_blocks_supported = terraform.version() >= (1, 5);
    // ... and `import` blocks by `identity` in Terraform 1.12.
    let identity_imports_supported = terraform.version() >= (1, 12);
    // ... and `ephemeral` blocks in Terraform 1.10.
    let ephemeral_supported = terraform.version() >= (1, 10);
    // ... and `moved` between resource types of different providers in Terraform 1.8.
    let cross_type_moves_supported = terraform.version() >= (1, 8);
    for guide in ["credentials-out-of-state", "migrate-from-digitalocean"] {
        let dir = format!("examples/guides/{guide}");
        if root().join(&dir).is_dir() {
            example_dirs.push(dir);
        } else {
            problems.push(format!("the guide {guide} has no example directory {dir}"));
        }
    }
    for dir in example_dirs {
        if (dir.starts_with("examples/ephemeral-resources/")
            || dir == "examples/guides/credentials-out-of-state")
            && !ephemeral_supported
        {
            continue;
        }
        if dir == "examples/guides/migrate-from-digitalocean" && !cross_type_moves_supported {
            continue;
        }
        let check = Terraform::new();
        let mut declares_provider_requirements = false;
        for file in fs::read_dir(root().join(&dir)).unwrap() {
            let path = file.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            // Both import examples target the same address, so a Terraform that can check the
            // identity one checks it in place of the ID one.
            let has_identity_block = root().join(&dir).join(IMPORT_IDENTITY_BLOCK).is_file();
            if !name.ends_with(".tf")
                || (name == IMPORT_BLOCK
                    && (!import_blocks_supported
                        || (identity_imports_supported && has_identity_block)))
                || (name == IMPORT_IDENTITY_BLOCK && !identity_imports_supported)
            {
                continue;
            }
            let text = fs::read_to_string(&path).unwrap();
            declares_provider_requirements |= text.contains("required_providers");
            check.write(&name, &text);
        }
        if !declares_provider_requirements {
            check.write(
                "zz_required_providers.tf",
                &format!(
                    "terraform {{\n  required_providers {{\n    dbaas = {{\n      source = \"{PROVIDER_SOURCE}\"\n    }}\n  }}\n}}\n"
                ),
            );
        }
        let output = check.run(&["validate", "-no-color"]);
        if !output.status.success() {
            problems.push(format!(
                "`terraform validate` rejects {dir}:\n{}",
                describe(&output)
            ));
        }
    }

    assert!(
        problems.is_empty(),
        "examples are incomplete or invalid:\n{}",
        problems
            .iter()
            .map(|p| format!("  - {p}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The hand-written provider guide repeats the environment variables and defaults; it must not
/// drift from the provider's schema and constants, and it must mention every setting.
/// Every resource with an identity shows an `import` block by identity that sets exactly its
/// identity attributes (Terraform 1.12 checks the block itself, when it is the one running).
#[test]
fn identity_import_examples_name_the_identity_attributes() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for entry in catalogue().entries {
        let Some(identity) = &entry.identity else {
            continue;
        };
        let Some(path) = entry.import_identity_path() else {
            problems.push(format!(
                "{} has an identity but no import example path",
                entry.type_name
            ));
            continue;
        };
        let Ok(text) = fs::read_to_string(root().join(&path)) else {
            problems.push(format!(
                "{path} is missing ({} has an identity)",
                entry.type_name
            ));
            continue;
        };
        checked += 1;
        if !text.contains(&format!("to = {}.", entry.type_name)) {
            problems.push(format!("{path} does not import into a {}", entry.type_name));
        }
        let Some(body) = text
            .split_once("identity = {")
            .and_then(|(_, rest)| rest.split_once('}'))
            .map(|(body, _)| body)
        else {
            problems.push(format!("{path} has no `identity = {{ … }}`"));
            continue;
        };
        let set: Vec<String> = body
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(name, _)| name.trim().to_string())
            .collect();
        let expected: Vec<String> = identity.attributes.iter().map(|a| a.name.clone()).collect();
        if set != expected {
            problems.push(format!("{path} sets {set:?}; the identity is {expected:?}"));
        }
    }
    assert!(checked >= 4, "only {checked} identity examples checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn provider_guide_agrees_with_the_provider() {
    let guide = fs::read_to_string(root().join(PROVIDER_TEMPLATE)).unwrap();
    let provider_example = fs::read_to_string(root().join(PROVIDER_EXAMPLE)).unwrap();
    let provider = catalogue().provider;
    let mut problems = Vec::new();

    let mut tabulated = BTreeSet::new();
    for row in guide.lines().filter(|line| line.starts_with("| `")) {
        let cells: Vec<String> = row
            .trim_matches('|')
            .split('|')
            .map(|cell| cell.trim().trim_matches('`').to_string())
            .collect();
        let [setting, variable, default] = cells.as_slice() else {
            problems.push(format!("settings row {row:?} does not have three cells"));
            continue;
        };
        tabulated.insert(setting.clone());
        let Some(attribute) = provider.block.attributes.get(setting) else {
            problems.push(format!(
                "the guide lists `{setting}`, which the provider does not have"
            ));
            continue;
        };
        let description = &attribute.description.content;
        if !description.contains(variable.as_str()) {
            problems.push(format!(
                "the guide says `{setting}` comes from {variable}; its description does not: {description:?}"
            ));
        }
        if !description.contains(&format!("Default `{default}`")) {
            problems.push(format!(
                "the guide says `{setting}` defaults to {default}; its description does not: {description:?}"
            ));
        }
        // The provider example sets each knob to its default, and says so.
        let assignment = provider_example
            .lines()
            .filter_map(|line| line.split_once('='))
            .find(|(name, _)| name.trim() == setting)
            .map(|(_, value)| value.trim().trim_matches('"').to_string());
        if assignment.as_ref().is_some_and(|value| value != default) {
            problems.push(format!(
                "{PROVIDER_EXAMPLE} sets `{setting}` to {} while the default is {default}",
                assignment.unwrap_or_default()
            ));
        }
    }
    for setting in provider.block.attributes.keys() {
        if !tabulated.contains(setting) && !guide.contains(&format!("`{setting}`")) {
            problems.push(format!("the guide never mentions the setting `{setting}`"));
        }
    }
    for (what, variables) in [
        ("token", &dbaas::provider::TOKEN_VARIABLES[..]),
        ("endpoint", &dbaas::provider::ENDPOINT_VARIABLES[..]),
        ("log level", &dbaas::logging::LEVEL_VARIABLES[..]),
    ] {
        let positions: Vec<Option<usize>> = variables
            .iter()
            .map(|v| guide.find(&format!("`{v}`")))
            .collect();
        if positions.iter().any(Option::is_none) || !positions.windows(2).all(|w| w[0] < w[1]) {
            problems.push(format!(
                "the guide must name the {what} variables in the provider's order: {}",
                variables.join(" > ")
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{PROVIDER_TEMPLATE} disagrees with the provider:\n{}",
        problems
            .iter()
            .map(|p| format!("  - {p}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// `import.sh` is shown verbatim on the Registry: comments, and `terraform import` commands for
/// this resource with one ID each.
fn import_script_problems(path: &str, text: &str, type_name: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut commands = 0;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        commands += 1;
        let words: Vec<&str> = line.split_whitespace().collect();
        let valid = matches!(
            words.as_slice(),
            ["terraform", "import", address, _id] if address.starts_with(&format!("{type_name}."))
        );
        if !valid {
            problems.push(format!(
                "{path}: {line:?} is not `terraform import {type_name}.<name> <id>`"
            ));
        }
    }
    if commands == 0 {
        problems.push(format!("{path} has no `terraform import` command"));
    }
    problems
}

/// The fields whose value depends on the Terraform release rather than on the provider, so
/// that the file generated with one release is checked under another (the test suite also runs
/// under Terraform 1.0): the JSON `format_version` ("0.2" before 1.1, then "1.0"), and the
/// schema versions of the provider block and of data sources, which Terraform 1.0 reports as 0
/// and which mean nothing to Terraform (only resource schema versions drive state upgrades).
fn without_cli_dependent_fields(mut schema: Json) -> Json {
    if let Some(top) = schema.as_object_mut() {
        top.remove("format_version");
    }
    if let Some(providers) = schema["provider_schemas"].as_object_mut() {
        for provider in providers.values_mut() {
            if let Some(block) = provider["provider"].as_object_mut() {
                block.remove("version");
            }
            if let Some(data_sources) = provider["data_source_schemas"].as_object_mut() {
                for data_source in data_sources.values_mut() {
                    if let Some(data_source) = data_source.as_object_mut() {
                        data_source.remove("version");
                    }
                }
            }
        }
    }
    schema
}

/// Where two JSON documents differ, as `path: what` lines.
fn json_differences(path: &str, committed: &Json, current: &Json, out: &mut Vec<String>) {
    match (committed, current) {
        (Json::Object(old), Json::Object(new)) => {
            for key in old.keys().chain(new.keys()).collect::<BTreeSet<_>>() {
                let child = format!("{path}/{key}");
                match (old.get(key), new.get(key)) {
                    (Some(a), Some(b)) => json_differences(&child, a, b, out),
                    (Some(_), None) => out.push(format!("{child}: gone from the provider")),
                    (None, Some(_)) => out.push(format!("{child}: new in the provider")),
                    (None, None) => unreachable!("the key comes from one of the maps"),
                }
            }
        }
        (Json::Array(old), Json::Array(new)) if old.len() == new.len() => {
            for (index, (a, b)) in old.iter().zip(new).enumerate() {
                json_differences(&format!("{path}/{index}"), a, b, out);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(format!(
            "{}: committed {}, now {}",
            if path.is_empty() { "/" } else { path },
            brief(a),
            brief(b)
        )),
    }
}

fn brief(value: &Json) -> String {
    let text = value.to_string();
    if text.chars().count() > 120 {
        format!("{}…", text.chars().take(120).collect::<String>())
    } else {
        text
    }
}

fn describe(output: &Output) -> String {
    format!(
        "{}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout).trim_end(),
        String::from_utf8_lossy(&output.stderr).trim_end()
    )
}

/// A Terraform working directory whose CLI configuration sends `dbaas/dbaas` to the provider
/// binary under test. The configuration is always our own file: a user's global one could
/// install another provider or point at a mirror.
struct Terraform {
    binary: PathBuf,
    dir: tempfile::TempDir,
}

impl Terraform {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let provider_dir = Path::new(env!("CARGO_BIN_EXE_terraform-provider-dbaas"))
            .parent()
            .expect("the provider binary is in a directory")
            .to_str()
            .expect("UTF-8 path")
            .to_string();
        let terraform = Terraform {
            binary: terraform_binary(),
            dir,
        };
        terraform.write(
            "dev.tfrc",
            &format!(
                "provider_installation {{\n  dev_overrides {{\n    {:?} = {:?}\n  }}\n  direct {{}}\n}}\n",
                PROVIDER_SOURCE, provider_dir
            ),
        );
        terraform
    }

    fn write(&self, name: &str, text: &str) {
        fs::write(self.dir.path().join(name), text).expect("write into the temporary directory");
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(&self.binary)
            .args(args)
            .current_dir(self.dir.path())
            .env("TF_CLI_CONFIG_FILE", self.dir.path().join("dev.tfrc"))
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env_remove("TF_CLI_ARGS")
            .env_remove("TF_DATA_DIR")
            .env_remove("TF_WORKSPACE")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.binary.display()))
    }

    fn version_text(&self) -> String {
        let output = self.run(&["version", "-json"]);
        serde_json::from_slice::<Json>(&output.stdout)
            .ok()
            .and_then(|v| v["terraform_version"].as_str().map(str::to_string))
            .map(|version| format!("Terraform {version}"))
            .unwrap_or_else(|| "terraform".into())
    }

    /// (major, minor) of the Terraform in use.
    fn version(&self) -> (u64, u64) {
        let text = self.version_text();
        let mut numbers = text
            .trim_start_matches("Terraform ")
            .split('.')
            .map(|part| part.parse::<u64>());
        match (numbers.next(), numbers.next()) {
            (Some(Ok(major)), Some(Ok(minor))) => (major, minor),
            _ => panic!(
                "cannot tell which Terraform version {} is",
                self.binary.display()
            ),
        }
    }
}

fn terraform_binary() -> PathBuf {
    if let Some(binary) = std::env::var_os("TERRAFORM_BIN").filter(|v| !v.is_empty()) {
        return PathBuf::from(binary);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("terraform"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "Terraform is needed for this check and was not found: install `terraform` on \
                 PATH or set TERRAFORM_BIN to its path. This test never skips, because a drift \
                 check that skips itself lets stale files through."
            )
        })
}
