#!/usr/bin/env bash
# The demo: builds the provider and the emulator, starts dbaas-mock on a free local port, and
# runs examples/quickstart through its whole life with the real Terraform CLI:
# apply → output → plan (must be empty) → destroy. Nothing touches a real account, and the
# repository is left as it was (Terraform works in a temporary copy). Works from any directory.
#
# `./scripts/demo.sh --real-engines` runs the module test instead: it installs the database
# servers (PostgreSQL, PgBouncer, MariaDB, Redis from Debian's packages) when they are missing,
# starts `dbaas-mock --real-engines`, and runs `terraform test` in examples/module-test, whose
# apply connects to the cluster with psql (Terraform >= 1.10).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

REAL_ENGINES=false
for arg in "$@"; do
    case "$arg" in
        --real-engines) REAL_ENGINES=true ;;
        -h | --help)
            sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) die "unknown argument '$arg' (usage: ./scripts/demo.sh [--real-engines])" ;;
    esac
done

ensure_build_prerequisites
select_terraform
EXAMPLE=quickstart
MOCK_ARGS=()
if [ "$REAL_ENGINES" = true ]; then
    ensure_real_engines
    EXAMPLE=module-test
    MOCK_ARGS=(--real-engines)
    case "$(terraform_version_of "$TERRAFORM_BIN")" in
        1.[0-9].* | 1.[0-9]) die "the module test needs Terraform 1.10 or newer (ephemeral resources); $TERRAFORM_BIN is $(terraform_version_of "$TERRAFORM_BIN"). Set TERRAFORM_BIN to a newer CLI." ;;
    esac
fi
[ -d "examples/$EXAMPLE" ] || die "examples/$EXAMPLE is missing"

log "cargo build --release --bins"
cargo build --release --bins
RELEASE_DIR="$REPO_ROOT/target/release"

WORK="$(mktemp -d)"
MOCK_PID=""
cleanup() {
    if [ -n "$MOCK_PID" ] && kill -0 "$MOCK_PID" 2>/dev/null; then
        kill "$MOCK_PID" 2>/dev/null || true
        wait "$MOCK_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A token nobody else knows, so that only this demo can talk to this emulator.
DEMO_TOKEN="demo-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"

log "starting dbaas-mock ${MOCK_ARGS[*]+"${MOCK_ARGS[*]}"}"
"$RELEASE_DIR/dbaas-mock" --port 0 --token "$DEMO_TOKEN" \
    --provision-delay-ms 2000 --transition-delay-ms 1000 ${MOCK_ARGS[@]+"${MOCK_ARGS[@]}"} \
    >"$WORK/mock.out" 2>"$WORK/mock.err" &
MOCK_PID=$!

MOCK_URL=""
for _ in $(seq 1 300); do
    # Only a complete first line counts; a partial one could be a truncated address.
    if [ "$(wc -l <"$WORK/mock.out")" -ge 1 ]; then
        first_line="$(head -n 1 "$WORK/mock.out")"
        case "$first_line" in
            "dbaas-mock listening on http://127.0.0.1:"*) MOCK_URL="${first_line#dbaas-mock listening on }" ;;
            *) die "unexpected first line from dbaas-mock: $first_line" ;;
        esac
        break
    fi
    if ! kill -0 "$MOCK_PID" 2>/dev/null; then
        cat "$WORK/mock.err" >&2
        die "dbaas-mock exited before it was listening"
    fi
    sleep 0.1
done
[ -n "$MOCK_URL" ] || die "dbaas-mock did not report its address within 30 seconds"
log "dbaas-mock listening on $MOCK_URL"

cat >"$WORK/cli.tfrc" <<EOF
provider_installation {
  dev_overrides {
    "registry.terraform.io/dbaas/dbaas" = "$RELEASE_DIR"
  }
  direct {}
}
EOF

mkdir "$WORK/example"
cp -R "examples/$EXAMPLE/." "$WORK/example/"
rm -rf "$WORK/example/.terraform" "$WORK/example/.terraform.lock.hcl" "$WORK"/example/*.tfstate*

# Only the variables below may steer the provider: no credentials or endpoints from the
# caller's environment, no injected CLI arguments.
for name in $(compgen -e); do
    case "$name" in
        TF_* | DBAAS_* | DIGITALOCEAN_*) unset "$name" ;;
    esac
done
export TF_CLI_CONFIG_FILE="$WORK/cli.tfrc"
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
# Passed through the environment, not -var, so the token never appears in a process list.
export TF_VAR_api_endpoint="$MOCK_URL" TF_VAR_token="$DEMO_TOKEN"

# Colour only for a terminal, so that a piped or logged demo stays readable.
COLOR_FLAGS=()
[ -t 1 ] || COLOR_FLAGS=(-no-color)
tf() {
    local subcommand="$1"
    shift
    "$TERRAFORM_BIN" -chdir="$WORK/example" "$subcommand" ${COLOR_FLAGS[@]+"${COLOR_FLAGS[@]}"} "$@"
}

if [ "$REAL_ENGINES" = true ]; then
    log "terraform test (the module's apply connects with psql through the user and the pool)"
    tf test
    log "the emulator's servers stop with it; nothing is left running"
    log "demo finished"
    exit 0
fi

log "terraform apply"
tf apply -input=false -auto-approve

log "terraform output (sensitive values stay hidden)"
tf output

log "terraform plan -detailed-exitcode (must show no changes)"
plan_status=0
tf plan -input=false -detailed-exitcode || plan_status=$?
case "$plan_status" in
    0) log "no changes: the state matches the emulator" ;;
    2) die "the plan after apply is not empty" ;;
    *) die "terraform plan failed" ;;
esac

log "terraform destroy"
tf destroy -input=false -auto-approve

log "demo finished"
