//! Matching text in Terraform's human-readable output.

/// Terraform word-wraps diagnostics (at 78 columns when stderr is not a terminal) and, in some
/// versions, frames them with box-drawing characters. This joins everything back into single
/// spaces so that a phrase can be found wherever the line breaks fell.
pub fn flatten(output: &str) -> String {
    output
        .chars()
        .map(|c| {
            if matches!(c, '│' | '╷' | '╵') {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Removes ANSI colour sequences, for the few commands that have no `-no-color` flag.
pub fn strip_ansi(output: &str) -> String {
    let mut plain = String::with_capacity(output.len());
    let mut chars = output.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for terminator in chars.by_ref() {
                if terminator.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

/// An HCL string literal. JSON's escapes are valid in HCL; template sequences are not
/// literal text in HCL, so they are escaped too.
pub fn hcl_string(text: &str) -> String {
    serde_json::to_string(text)
        .expect("strings serialize")
        .replace("${", "$${")
        .replace("%{", "%%{")
}
