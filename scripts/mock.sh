#!/usr/bin/env bash
# Builds dbaas-mock (release) and runs it with the given arguments, e.g.
#   ./scripts/mock.sh --port 8080
#   ./scripts/mock.sh --real-engines --port 8080 --state-file mock-state.json
# With --real-engines it first installs the database servers it runs (PostgreSQL 15,
# PgBouncer, MariaDB 10.11, Redis 7 and their clients, from Debian's packages) when they are
# missing, and says so. Stop it with Ctrl-C (or SIGTERM): every server it started stops too.
# See `./scripts/mock.sh --help` for the emulator's flags. Works from any directory.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

ensure_build_prerequisites
for arg in "$@"; do
    if [ "$arg" = "--real-engines" ]; then
        ensure_real_engines
    fi
done

log "cargo build --release --bin dbaas-mock"
cargo build --release --bin dbaas-mock
exec "$REPO_ROOT/target/release/dbaas-mock" "$@"
