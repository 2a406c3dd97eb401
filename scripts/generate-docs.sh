#!/usr/bin/env bash
# Regenerates everything derived from the provider's schema:
#   docs/                          from the schema, examples/ and templates/ (src/bin/dbaas-docs.rs)
#   schemas/provider.schema.json   `terraform providers schema -json`, keys sorted, pretty-printed
# Run it after changing a schema, an example or a template, and commit the result;
# `cargo test --test docs_drift` fails until you do.
#
# TERRAFORM_BIN selects the Terraform binary (default: `terraform` on PATH).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
repo="$REPO_ROOT"
# No fallback to a downloaded Terraform here: the committed schema should come from the CLI
# you develop with.
terraform="${TERRAFORM_BIN:-terraform}"
if ! command -v "$terraform" >/dev/null 2>&1; then
  echo "generate-docs: '$terraform' not found; install Terraform or set TERRAFORM_BIN" >&2
  exit 1
fi
# CA certificates (crates.io) and a C compiler and linker, installed when missing.
ensure_build_prerequisites

cd "$repo"
cargo build --quiet --bin terraform-provider-dbaas --bin dbaas-docs
bin_dir="${CARGO_TARGET_DIR:-$repo/target}/debug"
case "$bin_dir" in /*) ;; *) bin_dir="$repo/$bin_dir" ;; esac

"$bin_dir/dbaas-docs" --root "$repo"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Our own CLI configuration, so that a global one (mirrors, other overrides) cannot interfere.
# With dev_overrides Terraform needs no `terraform init` and no network.
cat >"$work/dev.tfrc" <<EOF
provider_installation {
  dev_overrides {
    "registry.terraform.io/dbaas/dbaas" = "$bin_dir"
  }
  direct {}
}
EOF
cat >"$work/main.tf" <<'EOF'
terraform {
  required_providers {
    dbaas = {
      source = "registry.terraform.io/dbaas/dbaas"
    }
  }
}
EOF

# Run Terraform with only our configuration; settings from the caller's environment could
# redirect it (TF_CLI_ARGS, TF_DATA_DIR, TF_WORKSPACE).
in_workdir() {
  (
    cd "$work"
    unset TF_CLI_ARGS TF_DATA_DIR TF_WORKSPACE
    TF_CLI_CONFIG_FILE="$work/dev.tfrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 "$terraform" "$@"
  )
}

in_workdir providers schema -json >"$work/schema.raw.json"
"$bin_dir/dbaas-docs" --format-schema-json <"$work/schema.raw.json" >"$work/provider.schema.json"
mkdir -p schemas
mv "$work/provider.schema.json" schemas/provider.schema.json
echo "wrote schemas/provider.schema.json ($(in_workdir version | head -n 1))"
