#!/usr/bin/env bash
# The benchmark: builds the provider, the emulator and dbaas-bench in release mode, then runs
# target/release/dbaas-bench, which measures on this machine
#   - the provider's start-up time to the plugin handshake line (`1|6|unix|<socket>|grpc|<cert>`;
#     median and p90 of 30 runs) and its RSS at that moment, started as Terraform starts it
#     (auto-mTLS with a P-521 client certificate the benchmark makes itself) and without a
#     client certificate,
#   - the release binary's size, and whether it is stripped (the release profile strips it),
#   - plan / apply / refresh plan / destroy of 10, 100 and 300 clusters with the real Terraform
#     CLI against dbaas-mock (2 s provisioning delay, Terraform's default parallelism): wall
#     time, API requests (total, per cluster and by kind) and the provider's peak RSS, and
#     where each apply's time goes (the creates' waves, from the emulator's request log).
# `./scripts/bench.sh real-engines [--runs N]` measures instead how long a cluster of
# `dbaas-mock --real-engines` takes from create to online, per engine (installing the servers
# when they are missing).
# The report is written to target/bench/results.md and printed. Nothing is asserted: this is a
# measurement, not a test. With the defaults it takes a few minutes. Works from any directory;
# extra arguments go to dbaas-bench (e.g. `./scripts/bench.sh --counts 10,50 --startup-runs 5`,
# `./scripts/bench.sh --help`).
#
# Environment:
#   TERRAFORM_BIN     Terraform CLI to drive (default: terraform on PATH, else Terraform 1.0.3
#                     downloaded into .tools/).
#   CARGO_TARGET_DIR  honoured as by cargo; the report goes to $CARGO_TARGET_DIR/bench/.
#   DIGITALOCEAN_PROVIDER_BIN
#                     DigitalOcean's provider binary (terraform-provider-digitalocean, built
#                     by you); when set, every scenario also runs with it on the same emulator,
#                     the report gets a side-by-side table and the chart goes to
#                     benchmarks/comparison.svg (same as `--digitalocean PATH --chart FILE`).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

ensure_build_prerequisites
select_terraform
log "Terraform: $TERRAFORM_BIN (v$(terraform_version_of "$TERRAFORM_BIN")), $(cargo --version)"

log "cargo build --release --bins"
cargo build --release --bins

TARGET_DIR="${CARGO_TARGET_DIR:-$REPO_ROOT/target}"
case "$TARGET_DIR" in
    /*) ;;
    *) TARGET_DIR="$REPO_ROOT/$TARGET_DIR" ;;
esac

compare=()
if [ -n "${DIGITALOCEAN_PROVIDER_BIN:-}" ]; then
    [ -x "$DIGITALOCEAN_PROVIDER_BIN" ] \
        || die "DIGITALOCEAN_PROVIDER_BIN=$DIGITALOCEAN_PROVIDER_BIN is not an executable"
    compare=(--digitalocean "$DIGITALOCEAN_PROVIDER_BIN" --chart "$REPO_ROOT/benchmarks/comparison.svg")
fi

if [ "${1:-}" = "real-engines" ]; then
    # `./scripts/bench.sh real-engines [--runs N]`: create → online of real-engine clusters.
    ensure_real_engines
    log "running dbaas-bench $*"
    exec "$TARGET_DIR/release/dbaas-bench" "$@"
fi

log "running dbaas-bench"
exec "$TARGET_DIR/release/dbaas-bench" --terraform "$TERRAFORM_BIN" \
    --out "$TARGET_DIR/bench/results.md" "${compare[@]}" "$@"
