//! Quoting of names and values for the languages the manager writes: PostgreSQL and MariaDB
//! SQL, Redis' command line and configuration syntax, PgBouncer's auth file and ini file.
//!
//! Every function either quotes fully or refuses (a NUL byte cannot be carried by any of
//! them), so that a nasty name can never break out of its quotes.

/// A PostgreSQL identifier: `"…"` with `"` doubled.
pub fn pg_ident(name: &str) -> anyhow::Result<String> {
    no_nul(name)?;
    Ok(format!("\"{}\"", name.replace('"', "\"\"")))
}

/// A PostgreSQL string literal (`standard_conforming_strings` is on, the default since 9.1, so
/// a backslash is an ordinary character): `'…'` with `'` doubled.
pub fn pg_literal(value: &str) -> anyhow::Result<String> {
    no_nul(value)?;
    Ok(format!("'{}'", value.replace('\'', "''")))
}

/// A MariaDB identifier: `` `…` `` with `` ` `` doubled.
pub fn my_ident(name: &str) -> anyhow::Result<String> {
    no_nul(name)?;
    Ok(format!("`{}`", name.replace('`', "``")))
}

/// A MariaDB database name in `GRANT … ON db.*`, where `_` and `%` are wildcards unless
/// escaped with a backslash.
pub fn my_grant_db(name: &str) -> anyhow::Result<String> {
    no_nul(name)?;
    let escaped = name
        .replace('\\', "\\\\")
        .replace('_', "\\_")
        .replace('%', "\\%");
    my_ident(&escaped)
}

/// A MariaDB string literal (default `sql_mode`: backslash escapes are on).
pub fn my_literal(value: &str) -> anyhow::Result<String> {
    no_nul(value)?;
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{1a}' => out.push_str("\\Z"),
            c => out.push(c),
        }
    }
    out.push('\'');
    Ok(out)
}

/// An argument for `redis-cli` reading commands from stdin, or a value in `redis.conf`:
/// `"…"` with `\\`, `\"` and `\xHH` for anything not printable ASCII.
pub fn redis_arg(value: &str) -> anyhow::Result<String> {
    no_nul(value)?;
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for byte in value.bytes() {
        match byte {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            0x20..=0x7e => out.push(byte as char),
            other => out.push_str(&format!("\\x{other:02x}")),
        }
    }
    out.push('"');
    Ok(out)
}

/// A user name or password in PgBouncer's `auth_file`: `"…"` with `"` doubled. A line break
/// would end the entry, so it is refused.
pub fn pgbouncer_auth(value: &str) -> anyhow::Result<String> {
    no_nul(value)?;
    if value.contains(['\n', '\r']) {
        anyhow::bail!("a line break cannot be carried in PgBouncer's auth file");
    }
    Ok(format!("\"{}\"", value.replace('"', "\"\"")))
}

/// A name in PgBouncer's ini file (a pool name as the key, or a value in its connection
/// string). PgBouncer's ini syntax has no general quoting, so only the characters DigitalOcean
/// allows in pool, database and user names (letters, digits, `_`, `-`, `.`) pass.
pub fn pgbouncer_name(value: &str, what: &str) -> anyhow::Result<String> {
    let safe = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !safe {
        anyhow::bail!(
            "the {what} {value:?} cannot be used in a PgBouncer pool with --real-engines: only \
             letters, digits, `_`, `-` and `.` are supported there"
        );
    }
    Ok(value.to_string())
}

fn no_nul(value: &str) -> anyhow::Result<()> {
    if value.contains('\0') {
        anyhow::bail!("a NUL character cannot be used in a database name, user name or password");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NASTY: &str = "a\"b'c`d\\e;f -- g\n%_$x";

    #[test]
    fn pg_quotes_nasty_names_and_values() {
        assert_eq!(pg_ident(NASTY).unwrap(), "\"a\"\"b'c`d\\e;f -- g\n%_$x\"");
        assert_eq!(pg_literal(NASTY).unwrap(), "'a\"b''c`d\\e;f -- g\n%_$x'");
        assert_eq!(pg_ident("").unwrap(), "\"\"");
        assert!(pg_ident("a\0b").is_err());
        assert!(pg_literal("\0").is_err());
    }

    #[test]
    fn mariadb_quotes_nasty_names_and_values() {
        assert_eq!(my_ident(NASTY).unwrap(), "`a\"b'c``d\\e;f -- g\n%_$x`");
        assert_eq!(
            my_literal(NASTY).unwrap(),
            "'a\"b\\'c`d\\\\e;f -- g\\n%_$x'"
        );
        assert_eq!(my_grant_db("my_db%").unwrap(), "`my\\_db\\%`");
        assert_eq!(my_grant_db("a\\_").unwrap(), "`a\\\\\\_`");
        assert!(my_literal("x\0").is_err());
    }

    #[test]
    fn redis_quotes_everything_unprintable() {
        assert_eq!(
            redis_arg("p w\"\\\né").unwrap(),
            "\"p w\\\"\\\\\\x0a\\xc3\\xa9\""
        );
        assert!(redis_arg("\0").is_err());
    }

    #[test]
    fn pgbouncer_refuses_what_it_cannot_carry() {
        assert_eq!(pgbouncer_auth("a\"b").unwrap(), "\"a\"\"b\"");
        assert!(pgbouncer_auth("a\nb").is_err());
        assert_eq!(pgbouncer_name("pool-1.a_b", "pool").unwrap(), "pool-1.a_b");
        assert!(pgbouncer_name("a b", "pool").is_err());
        assert!(pgbouncer_name("a=b", "pool").is_err());
        assert!(pgbouncer_name("", "pool").is_err());
    }
}
