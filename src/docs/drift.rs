//! Comparing `docs/` with the generated pages, and bringing it up to date.

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::io;
use std::path::Path;

use super::{directory_entries, DocsError, Page, DOCS_DIR};

/// How a file under `docs/` differs from what the generator produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    Missing {
        path: String,
    },
    Outdated {
        path: String,
        line: usize,
        expected: String,
        found: String,
    },
    /// A file under `docs/` that no source produces.
    Unexpected {
        path: String,
    },
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Drift::Missing { path } => write!(f, "{path} is missing"),
            Drift::Outdated {
                path,
                line,
                expected,
                found,
            } => write!(
                f,
                "{path} is out of date (line {line}: expected {expected:?}, found {found:?})"
            ),
            Drift::Unexpected { path } => write!(
                f,
                "{path} is not generated from any source (hand-written text belongs in templates/)"
            ),
        }
    }
}

/// Compares `docs/` with the pages; an empty result means `docs/` is up to date.
pub fn drift(root: &Path, pages: &[Page]) -> Result<Vec<Drift>, DocsError> {
    let mut drifts = Vec::new();
    for page in pages {
        let path = root.join(&page.path);
        match fs::read_to_string(&path) {
            Ok(current) if current == page.contents => {}
            Ok(current) => {
                let (line, expected, found) = first_difference(&page.contents, &current);
                drifts.push(Drift::Outdated {
                    path: page.path.clone(),
                    line,
                    expected,
                    found,
                });
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => drifts.push(Drift::Missing {
                path: page.path.clone(),
            }),
            Err(source) => return Err(DocsError::Read { path, source }),
        }
    }
    let generated: BTreeSet<&str> = pages.iter().map(|page| page.path.as_str()).collect();
    for path in files_under(root, DOCS_DIR)? {
        if !generated.contains(path.as_str()) {
            drifts.push(Drift::Unexpected { path });
        }
    }
    Ok(drifts)
}

/// Brings `docs/` up to date: writes what drifted and deletes what no source produces.
/// Returns what it changed.
pub fn write(root: &Path, pages: &[Page]) -> Result<Vec<Drift>, DocsError> {
    let drifts = drift(root, pages)?;
    for item in &drifts {
        match item {
            Drift::Missing { path } | Drift::Outdated { path, .. } => {
                let page = pages
                    .iter()
                    .find(|page| &page.path == path)
                    .expect("drift comes from these pages");
                let target = root.join(path);
                if let Some(parent) = target.parent() {
                    fs::create_dir_all(parent).map_err(|source| DocsError::Write {
                        path: parent.to_path_buf(),
                        source,
                    })?;
                }
                fs::write(&target, &page.contents).map_err(|source| DocsError::Write {
                    path: target.clone(),
                    source,
                })?;
            }
            Drift::Unexpected { path } => {
                let target = root.join(path);
                fs::remove_file(&target).map_err(|source| DocsError::Write {
                    path: target.clone(),
                    source,
                })?;
            }
        }
    }
    Ok(drifts)
}

fn first_difference(expected: &str, found: &str) -> (usize, String, String) {
    let mut expected_lines = expected.lines();
    let mut found_lines = found.lines();
    let mut line = 1;
    loop {
        match (expected_lines.next(), found_lines.next()) {
            (Some(a), Some(b)) if a == b => line += 1,
            (a, b) => {
                let show = |text: Option<&str>| text.unwrap_or("<end of file>").to_string();
                return (line, show(a), show(b));
            }
        }
    }
}

/// Files under `root/dir`, recursively, as `/`-separated paths relative to `root`, sorted.
fn files_under(root: &Path, dir: &str) -> Result<Vec<String>, DocsError> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_string()];
    while let Some(relative) = pending.pop() {
        for name in directory_entries(&root.join(&relative))? {
            let child = format!("{relative}/{name}");
            let path = root.join(&child);
            let metadata = fs::metadata(&path).map_err(|source| DocsError::Read {
                path: path.clone(),
                source,
            })?;
            if metadata.is_dir() {
                pending.push(child);
            } else {
                files.push(child);
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_differing_line_is_reported() {
        assert_eq!(
            first_difference("a\nb\nc\n", "a\nx\nc\n"),
            (2, "b".to_string(), "x".to_string())
        );
        assert_eq!(
            first_difference("a\nb\n", "a\n"),
            (2, "b".to_string(), "<end of file>".to_string())
        );
    }
}
