#!/usr/bin/env python3
"""Writes src/resources/database_config/settings.rs, the settings tables of the engine
configuration resources (`dbaas_database_<engine>_config`), from the API contract's config
schemas in schemas/api/config.json (derived mechanically from do-databases-openapi.yaml,
`components.responses.database_config`).

Each contract property becomes one row: the Terraform attribute name (DigitalOcean's provider's
spelling where it has one), the API key, the type and every constraint the contract states, and
a description built from the contract's own. The unit test `the_tables_match_the_contract` in
src/resources/database_config.rs reads the same file and fails when the table and the contract
disagree, so after a contract update: run this script, then `cargo fmt`.

Usage: scripts/gen-engine-config-settings.py   (from the repository root)
"""

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTRACT = os.path.join(ROOT, "schemas", "api", "config.json")
OUTPUT = os.path.join(ROOT, "src", "resources", "database_config", "settings.rs")

# The engines, in the order the contract's anyOf lists them, each recognised by a setting only
# it has.
ENGINES = [
    ("MYSQL", "automatic_sp_privileges"),
    ("POSTGRES", "autovacuum_freeze_max_age"),
    ("REDIS", "redis_maxmemory_policy"),
    ("VALKEY", "valkey_maxmemory_policy"),
    ("KAFKA", "group_initial_rebalance_delay_ms"),
    ("OPENSEARCH", "ism_enabled"),
    ("MONGODB", "default_read_concern"),
]

# DigitalOcean's provider names some settings differently from the API; a module written for
# it must keep working after the prefix is renamed, so its spelling wins.
VALKEY_KEEPS_PREFIX = {"valkey_maxmemory_policy", "valkey_active_expire_effort"}


def attribute_name(engine, key):
    if engine == "REDIS" and key.startswith("redis_"):
        return key[len("redis_"):]
    if engine == "VALKEY" and key.startswith("valkey_") and key not in VALKEY_KEEPS_PREFIX:
        return key[len("valkey_"):]
    # `pg_partman_bgw.role` and friends: Terraform names cannot hold a dot.
    return key.replace(".", "_")


def rust_str(text):
    return json.dumps(text, ensure_ascii=False)


def bound(value):
    if value is None:
        return "None"
    return "Some(%r)" % float(value)


def opt_usize(value):
    return "None" if value is None else "Some(%d)" % value


def types_of(schema):
    kind = schema.get("type")
    if isinstance(kind, list):
        return kind
    return [kind] if kind else []


def kind_of(schema, engine):
    types = types_of(schema)
    nullable = "null" in types
    main = [t for t in types if t != "null"]
    main = main[0] if main else None
    if main == "boolean":
        return "Kind::Bool"
    if main == "integer":
        allowed = ", ".join(str(int(v)) for v in schema.get("enum", []))
        return "Kind::Integer { min: %s, max: %s, allowed: &[%s] }" % (
            bound(schema.get("minimum")),
            bound(schema.get("maximum")),
            allowed,
        )
    if main == "number":
        return "Kind::Number { min: %s, max: %s }" % (
            bound(schema.get("minimum")),
            bound(schema.get("maximum")),
        )
    if main == "string":
        return (
            "Kind::String(Text { allowed: &[%s], min_length: %s, max_length: %s, pattern: %s, "
            "nullable: %s })"
            % (
                ", ".join(rust_str(v) for v in schema.get("enum", [])),
                opt_usize(schema.get("minLength")),
                opt_usize(schema.get("maxLength")),
                "None" if "pattern" not in schema else "Some(%s)" % rust_str(schema["pattern"]),
                "true" if nullable else "false",
            )
        )
    if main == "array":
        items = schema.get("items", {})
        if types_of(items) != ["string"]:
            sys.exit("unsupported array items: %r" % items)
        return "Kind::StringSet { allowed: &[%s], max_items: %s }" % (
            ", ".join(rust_str(v) for v in items.get("enum", [])),
            opt_usize(schema.get("maxItems")),
        )
    if main == "object":
        rows = "".join(row(engine, key, sub, 2) for key, sub in schema["properties"].items())
        return "Kind::Block(&[\n%s    ])" % rows
    sys.exit("unsupported schema: %r" % schema)


def sentence(text):
    text = " ".join(text.split())
    if text and text[-1] not in ".!?":
        text += "."
    return text


def row(engine, key, schema, depth):
    indent = "    " * depth
    name = attribute_name(engine, key) if depth == 1 else key
    default = schema.get("default")
    return (
        "%sSetting {\n%s    name: %s,\n%s    api: %s,\n%s    kind: %s,\n"
        "%s    description: %s,\n%s    default: %s,\n%s},\n"
        % (
            indent,
            indent,
            rust_str(name),
            indent,
            rust_str(key),
            indent,
            kind_of(schema, engine),
            indent,
            rust_str(sentence(schema.get("description", ""))),
            indent,
            "None" if default is None else "Some(%s)" % rust_str(json.dumps(default)),
            indent,
        )
    )


def main():
    with open(CONTRACT) as f:
        contract = json.load(f)
    schemas = contract["properties"]["config"]["anyOf"]
    out = [
        "//! The settings of every engine's configuration, one row per setting of the API\n"
        "//! contract's config schemas (`schemas/api/config.json`).\n"
        "//!\n"
        "//! GENERATED by `scripts/gen-engine-config-settings.py`: do not edit by hand. The test\n"
        "//! `the_tables_match_the_contract` fails when this table and the contract disagree.\n\n"
        "use super::table::{Kind, Setting, Text};\n\n"
    ]
    for (engine, marker), schema in zip(ENGINES, schemas):
        if marker not in schema["properties"]:
            sys.exit("the contract's config schemas are no longer in the expected order")
        out.append("/// The `%s` settings.\n" % engine.lower())
        out.append("pub static %s: &[Setting] = &[\n" % engine)
        for key, sub in schema["properties"].items():
            out.append(row(engine, key, sub, 1))
        out.append("];\n\n")
    with open(OUTPUT, "w") as f:
        f.write("".join(out).rstrip("\n") + "\n")


if __name__ == "__main__":
    main()
