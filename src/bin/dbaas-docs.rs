//! Generates the Registry documentation under `docs/` from the provider's schema, `examples/`
//! and `templates/` (see `dbaas::docs`), or checks that it is up to date.
//!
//! ```text
//! cargo run --bin dbaas-docs                          # rewrite docs/ in place
//! cargo run --bin dbaas-docs -- --check               # exit 1, listing stale files, if docs/ is out of date
//! cargo run --bin dbaas-docs -- --format-schema-json  # stdin → stdout: sorted, pretty JSON
//! ```
//!
//! `scripts/generate-docs.sh` runs this and also refreshes `schemas/provider.schema.json`.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use dbaas::docs::{self, Catalogue, Drift, DOCS_DIR, REGENERATE_COMMAND};

const USAGE: &str = "usage: dbaas-docs [--root DIR] [--check | --format-schema-json]

  (no option)           regenerate docs/ from the provider schema, examples/ and templates/
  --check               change nothing; exit 1 and list the stale files if docs/ is out of date
  --format-schema-json  read `terraform providers schema -json` output on stdin and write it
                        to stdout with sorted keys, pretty-printed
  --root DIR            the repository root (default: the directory this tool was built from)";

#[derive(Debug, PartialEq, Eq)]
enum Mode {
    Help,
    Write,
    Check,
    FormatSchemaJson,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<(Mode, PathBuf), String> {
    let mut mode = Mode::Write;
    let mut root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let wanted = match arg.as_str() {
            "--check" => Mode::Check,
            "--format-schema-json" => Mode::FormatSchemaJson,
            "--root" => {
                root = args
                    .next()
                    .map(PathBuf::from)
                    .ok_or("--root needs a directory")?;
                continue;
            }
            "-h" | "--help" => return Ok((Mode::Help, root)),
            other => return Err(format!("unknown argument {other:?}")),
        };
        if mode != Mode::Write {
            return Err("--check and --format-schema-json are exclusive".into());
        }
        mode = wanted;
    }
    Ok((mode, root))
}

fn main() -> ExitCode {
    let (mode, root) = match parse_args(std::env::args().skip(1)) {
        Ok((Mode::Help, _)) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(parsed) => parsed,
        Err(problem) => {
            eprintln!("dbaas-docs: {problem}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(mode, &root) {
        Ok(code) => code,
        Err(problem) => {
            eprintln!("dbaas-docs: {problem}");
            ExitCode::from(2)
        }
    }
}

fn run(mode: Mode, root: &std::path::Path) -> Result<ExitCode, String> {
    if mode == Mode::FormatSchemaJson {
        let mut raw = String::new();
        std::io::stdin()
            .read_to_string(&mut raw)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        let text = docs::normalize_schema_json(&raw)
            .map_err(|e| format!("stdin is not the JSON of a provider schema: {e}"))?;
        print!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
    let catalogue = Catalogue::dbaas().map_err(|e| e.to_string())?;
    let pages = docs::generate(root, &catalogue).map_err(|e| e.to_string())?;
    if mode == Mode::Check {
        let drifts = docs::drift(root, &pages).map_err(|e| e.to_string())?;
        if drifts.is_empty() {
            println!("{DOCS_DIR}/ is up to date ({} pages)", pages.len());
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!("{DOCS_DIR}/ is out of date:");
        for drift in &drifts {
            eprintln!("  - {drift}");
        }
        eprintln!(
            "Run {REGENERATE_COMMAND} (or `cargo run --bin dbaas-docs`) and commit the result."
        );
        return Ok(ExitCode::FAILURE);
    }
    let changes = docs::write(root, &pages).map_err(|e| e.to_string())?;
    for change in &changes {
        match change {
            Drift::Missing { path } => println!("created {path}"),
            Drift::Outdated { path, .. } => println!("updated {path}"),
            Drift::Unexpected { path } => println!("deleted {path}"),
        }
    }
    if changes.is_empty() {
        println!("{DOCS_DIR}/ is up to date ({} pages)", pages.len());
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<(Mode, PathBuf), String> {
        parse_args(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn arguments_select_one_mode_and_a_root() {
        assert_eq!(parse(&[]).unwrap().0, Mode::Write);
        assert_eq!(
            parse(&["--root", "/r", "--check"]).unwrap(),
            (Mode::Check, PathBuf::from("/r"))
        );
        assert_eq!(
            parse(&["--format-schema-json"]).unwrap().0,
            Mode::FormatSchemaJson
        );
        assert!(parse(&["--check", "--format-schema-json"])
            .unwrap_err()
            .contains("exclusive"));
        assert!(parse(&["--root"])
            .unwrap_err()
            .contains("needs a directory"));
        assert!(parse(&["--frobnicate"]).unwrap_err().contains("unknown"));
        assert_eq!(parse(&["--check", "--help"]).unwrap().0, Mode::Help);
    }
}
