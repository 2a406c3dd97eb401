//! The part of tfplugindocs' template language (Go `text/template` plus its functions) that
//! provider pages need:
//!
//! - text, `{{ .Field }}`, `{{/* comments */}}`, and the `{{-` / `-}}` whitespace trimming;
//! - `{{ if PIPELINE }} … {{ else }} … {{ end }}`;
//! - pipelines of `.Field`, `"string"` and functions: `tffile PATH`, `codefile LANG PATH`,
//!   `trimspace`, `plainmarkdown`, `prefixlines PREFIX`, `lower`, `upper`.
//!
//! Anything else (`range`, `printf`, variables…) is an error naming the action, never output
//! that silently differs from what tfplugindocs would produce.

use std::sync::OnceLock;

use regex::Regex;

/// A field's or pipeline's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Bool(bool),
}

impl Value {
    fn truthy(&self) -> bool {
        match self {
            Value::Text(text) => !text.is_empty(),
            Value::Bool(value) => *value,
        }
    }

    fn into_text(self) -> String {
        match self {
            Value::Text(text) => text,
            Value::Bool(value) => value.to_string(),
        }
    }
}

/// What a template can see.
pub trait Context {
    fn field(&self, name: &str) -> Option<Value>;
    /// The file at `path` as a fenced code block in `language`.
    fn code_file(&self, language: &str, path: &str) -> Result<String, String>;
}

#[derive(Debug)]
enum Arg {
    Field(String),
    Literal(String),
    Function(String),
}

#[derive(Debug)]
struct Pipeline {
    source: String,
    commands: Vec<Vec<Arg>>,
}

#[derive(Debug)]
enum Node {
    Text(String),
    Output(Pipeline),
    If {
        condition: Pipeline,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
}

enum Action {
    Comment,
    If(Pipeline),
    Else,
    End,
    Output(Pipeline),
}

enum Token {
    Text(String),
    Action(String),
}

/// Renders `source` against `context`; errors name the action and its line.
pub fn render(source: &str, context: &dyn Context) -> Result<String, String> {
    let tokens = lex(source)?;
    let mut tokens = tokens.into_iter();
    let (nodes, terminator) = parse(&mut tokens)?;
    match terminator {
        Terminator::Eof => {}
        Terminator::Else => return Err("{{ else }} without {{ if }}".into()),
        Terminator::End => return Err("{{ end }} without {{ if }}".into()),
    }
    let mut out = String::new();
    execute(&nodes, context, &mut out)?;
    Ok(out)
}

fn lex(source: &str) -> Result<Vec<(Token, usize)>, String> {
    let mut tokens = Vec::new();
    let mut rest = source;
    let mut trim_next = false;
    let mut line = 1;
    while let Some(start) = rest.find("{{") {
        let mut text = &rest[..start];
        if trim_next {
            text = text.trim_start();
        }
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| {
            format!(
                "line {}: `{{{{` is never closed",
                line + count_lines(&rest[..start])
            )
        })?;
        let mut inner = &after[..end];
        let trim_before =
            inner.starts_with('-') && inner[1..].starts_with(|c: char| c.is_ascii_whitespace());
        if trim_before {
            text = text.trim_end();
            inner = &inner[1..];
        }
        trim_next = inner.ends_with('-')
            && inner[..inner.len() - 1].ends_with(|c: char| c.is_ascii_whitespace());
        if trim_next {
            inner = &inner[..inner.len() - 1];
        }
        line += count_lines(&rest[..start]);
        tokens.push((Token::Text(text.to_string()), line));
        tokens.push((Token::Action(inner.trim().to_string()), line));
        line += count_lines(inner);
        rest = &after[end + 2..];
    }
    let text = if trim_next { rest.trim_start() } else { rest };
    tokens.push((Token::Text(text.to_string()), line));
    Ok(tokens)
}

fn count_lines(text: &str) -> usize {
    text.matches('\n').count()
}

enum Terminator {
    Eof,
    Else,
    End,
}

fn parse(
    tokens: &mut impl Iterator<Item = (Token, usize)>,
) -> Result<(Vec<Node>, Terminator), String> {
    let mut nodes = Vec::new();
    while let Some((token, line)) = tokens.next() {
        let action = match token {
            Token::Text(text) => {
                if !text.is_empty() {
                    nodes.push(Node::Text(text));
                }
                continue;
            }
            Token::Action(action) => {
                classify(&action).map_err(|e| format!("line {line}: {{{{ {action} }}}}: {e}"))?
            }
        };
        match action {
            Action::Comment => {}
            Action::Output(pipeline) => nodes.push(Node::Output(pipeline)),
            Action::Else => return Ok((nodes, Terminator::Else)),
            Action::End => return Ok((nodes, Terminator::End)),
            Action::If(condition) => {
                let unclosed = || format!("line {line}: {{{{ if }}}} without {{{{ end }}}}");
                let (then, terminator) = parse(tokens)?;
                let otherwise = match terminator {
                    Terminator::End => Vec::new(),
                    Terminator::Else => match parse(tokens)? {
                        (otherwise, Terminator::End) => otherwise,
                        (_, Terminator::Else) => {
                            return Err(format!(
                                "line {line}: {{{{ if }}}} with two {{{{ else }}}}"
                            ))
                        }
                        (_, Terminator::Eof) => return Err(unclosed()),
                    },
                    Terminator::Eof => return Err(unclosed()),
                };
                nodes.push(Node::If {
                    condition,
                    then,
                    otherwise,
                });
            }
        }
    }
    Ok((nodes, Terminator::Eof))
}

fn classify(action: &str) -> Result<Action, String> {
    if action.starts_with("/*") && action.ends_with("*/") {
        return Ok(Action::Comment);
    }
    let (keyword, rest) = action
        .split_once(char::is_whitespace)
        .map(|(k, r)| (k, r.trim()))
        .unwrap_or((action, ""));
    match keyword {
        "else" if rest.is_empty() => Ok(Action::Else),
        "end" if rest.is_empty() => Ok(Action::End),
        "if" if !rest.is_empty() => Ok(Action::If(pipeline(rest)?)),
        "if" | "else" | "end" | "range" | "with" | "define" | "template" | "block" | "break"
        | "continue" => Err(format!(
            "`{keyword}` is not supported here (see dbaas::docs::template)"
        )),
        _ => Ok(Action::Output(pipeline(action)?)),
    }
}

fn pipeline(source: &str) -> Result<Pipeline, String> {
    let mut commands = vec![Vec::new()];
    let mut chars = source.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '|' {
            chars.next();
            commands.push(Vec::new());
        } else if c == '"' || c == '`' {
            chars.next();
            let literal = string_literal(c, &mut chars)?;
            commands
                .last_mut()
                .expect("one command")
                .push(Arg::Literal(literal));
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '|' || c == '"' || c == '`' {
                    break;
                }
                word.push(c);
                chars.next();
            }
            let is_identifier = |name: &str| {
                !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !name.starts_with(|c: char| c.is_ascii_digit())
            };
            let arg = match word.strip_prefix('.') {
                Some(field) if is_identifier(field) => Arg::Field(field.to_string()),
                None if is_identifier(&word) => Arg::Function(word),
                _ => return Err(format!("`{word}` is not supported here")),
            };
            commands.last_mut().expect("one command").push(arg);
        }
    }
    if commands.iter().any(Vec::is_empty) {
        return Err("empty command in pipeline".into());
    }
    Ok(Pipeline {
        source: source.to_string(),
        commands,
    })
}

fn string_literal(
    quote: char,
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
) -> Result<String, String> {
    let mut literal = String::new();
    loop {
        match chars.next() {
            None => return Err("unterminated string".into()),
            Some(c) if c == quote => return Ok(literal),
            Some('\\') if quote == '"' => match chars.next() {
                Some('n') => literal.push('\n'),
                Some('t') => literal.push('\t'),
                Some(c @ ('\\' | '"')) => literal.push(c),
                other => return Err(format!("unsupported escape \\{}", other.unwrap_or(' '))),
            },
            Some(c) => literal.push(c),
        }
    }
}

fn execute(nodes: &[Node], context: &dyn Context, out: &mut String) -> Result<(), String> {
    for node in nodes {
        match node {
            Node::Text(text) => out.push_str(text),
            Node::Output(pipeline) => out.push_str(&evaluate(pipeline, context)?.into_text()),
            Node::If {
                condition,
                then,
                otherwise,
            } => {
                let branch = if evaluate(condition, context)?.truthy() {
                    then
                } else {
                    otherwise
                };
                execute(branch, context, out)?;
            }
        }
    }
    Ok(())
}

fn evaluate(pipeline: &Pipeline, context: &dyn Context) -> Result<Value, String> {
    let fail = |message: String| format!("{{{{ {} }}}}: {message}", pipeline.source);
    let field = |name: &str| {
        context
            .field(name)
            .ok_or_else(|| fail(format!("no field `.{name}` on this page")))
    };
    let mut piped: Option<Value> = None;
    for command in &pipeline.commands {
        let value = match command.as_slice() {
            [Arg::Field(name)] if piped.is_none() => field(name)?,
            [Arg::Literal(text)] if piped.is_none() => Value::Text(text.clone()),
            // Go's `or` and `and`: the first argument that decides, as a value (not text), so
            // that `{{ if or .HasA .HasB }}` tests booleans.
            [Arg::Function(name), args @ ..]
                if (name == "or" || name == "and") && !args.is_empty() && piped.is_none() =>
            {
                let want = name == "or";
                let mut decided = None;
                for arg in args {
                    let value = match arg {
                        Arg::Field(name) => field(name)?,
                        Arg::Literal(text) => Value::Text(text.clone()),
                        Arg::Function(inner) => {
                            return Err(fail(format!(
                                "`{inner}` cannot be an argument (nested calls are not supported)"
                            )))
                        }
                    };
                    let stop = value.truthy() == want;
                    decided = Some(value);
                    if stop {
                        break;
                    }
                }
                decided.expect("at least one argument")
            }
            [Arg::Function(name), args @ ..] => {
                let mut values = Vec::new();
                for arg in args {
                    values.push(match arg {
                        Arg::Field(name) => field(name)?.into_text(),
                        Arg::Literal(text) => text.clone(),
                        Arg::Function(inner) => {
                            return Err(fail(format!(
                                "`{inner}` cannot be an argument (nested calls are not supported)"
                            )))
                        }
                    });
                }
                if let Some(input) = piped.take() {
                    values.push(input.into_text());
                }
                Value::Text(call(name, &values, context).map_err(&fail)?)
            }
            _ => return Err(fail("only a function can take arguments".into())),
        };
        piped = Some(value);
    }
    Ok(piped.expect("a pipeline has a command"))
}

fn call(name: &str, args: &[String], context: &dyn Context) -> Result<String, String> {
    let arity = |n: usize| {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!(
                "`{name}` takes {n} argument(s), got {}",
                args.len()
            ))
        }
    };
    match name {
        "tffile" => {
            arity(1)?;
            context.code_file("terraform", &args[0])
        }
        "codefile" => {
            arity(2)?;
            context.code_file(&args[0], &args[1])
        }
        "trimspace" => {
            arity(1)?;
            Ok(args[0].trim().to_string())
        }
        "plainmarkdown" => {
            arity(1)?;
            Ok(plain_markdown(&args[0]))
        }
        "prefixlines" => {
            arity(2)?;
            Ok(args[1]
                .split('\n')
                .map(|line| format!("{}{line}", args[0]))
                .collect::<Vec<_>>()
                .join("\n"))
        }
        "lower" => {
            arity(1)?;
            Ok(args[0].to_lowercase())
        }
        "upper" => {
            arity(1)?;
            Ok(args[0].to_uppercase())
        }
        _ => Err(format!("unknown function `{name}`")),
    }
}

/// Markdown as plain text, for YAML front matter: links become their text, and code and
/// emphasis markers go.
pub fn plain_markdown(markdown: &str) -> String {
    static LINK: OnceLock<Regex> = OnceLock::new();
    static EMPHASIS: OnceLock<Regex> = OnceLock::new();
    let link = super::cached_regex(&LINK, r"\[([^\]]*)\]\([^)]*\)");
    let emphasis = super::cached_regex(&EMPHASIS, r"\*\*|__");
    let text = link.replace_all(markdown, "$1");
    emphasis.replace_all(&text, "").replace('`', "")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    struct Fields(BTreeMap<&'static str, Value>);

    impl Context for Fields {
        fn field(&self, name: &str) -> Option<Value> {
            self.0.get(name).cloned()
        }
        fn code_file(&self, language: &str, path: &str) -> Result<String, String> {
            Ok(format!("<{language}:{path}>"))
        }
    }

    fn fields() -> Fields {
        Fields(BTreeMap::from([
            ("Name", Value::Text("dbaas_thing".into())),
            (
                "Description",
                Value::Text("  A `thing`, see [docs](https://x).\nTwo lines. ".into()),
            ),
            ("Yes", Value::Bool(true)),
            ("No", Value::Bool(false)),
            ("File", Value::Text("examples/x.tf".into())),
        ]))
    }

    #[test]
    fn templates_substitute_fields_and_pipe_through_functions() {
        let out = render(
            "# {{ .Name }}\n{{ .Description | plainmarkdown | trimspace | prefixlines \"  \" }}\n{{ tffile .File }}\n{{ codefile \"shell\" \"i.sh\" }}",
            &fields(),
        )
        .unwrap();
        assert_eq!(
            out,
            "# dbaas_thing\n  A thing, see docs.\n  Two lines.\n<terraform:examples/x.tf>\n<shell:i.sh>"
        );
    }

    #[test]
    fn or_and_and_decide_on_booleans() {
        let cases = [
            ("{{ if or .No .Yes }}y{{ else }}n{{ end }}", "y"),
            ("{{ if or .No .No }}y{{ else }}n{{ end }}", "n"),
            ("{{ if and .Yes .No }}y{{ else }}n{{ end }}", "n"),
            ("{{ if and .Yes .Yes }}y{{ else }}n{{ end }}", "y"),
            ("{{ or .No .Name }}", "dbaas_thing"),
        ];
        for (template, expected) in cases {
            assert_eq!(render(template, &fields()).unwrap(), expected, "{template}");
        }
    }

    #[test]
    fn templates_trim_whitespace_and_branch() {
        let source = "a\n\n{{ if .Yes -}}\n  yes\n{{- end }}\n{{- if .No }} no {{ else }} not no{{ end }}\n{{/* note */}}b";
        assert_eq!(render(source, &fields()).unwrap(), "a\n\nyes not no\nb");
    }

    #[test]
    fn templates_reject_what_they_do_not_implement() {
        for (source, expected) in [
            ("{{ range .Name }}{{ end }}", "`range` is not supported"),
            ("{{ .Missing }}", "no field `.Missing`"),
            ("{{ printf \"%q\" .Name }}", "unknown function `printf`"),
            ("{{ if .Yes }}open", "without {{ end }}"),
            ("x {{ end }}", "{{ end }} without {{ if }}"),
            ("{{ .Name", "never closed"),
            ("{{ trimspace }}", "takes 1 argument(s), got 0"),
            ("\n\n{{ $x := 1 }}", "line 3"),
        ] {
            let error = render(source, &fields()).unwrap_err();
            assert!(error.contains(expected), "{source:?}: {error}");
        }
    }
}
