# Shared by scripts/run and scripts/test. Idempotent: each step checks before it installs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Build output lives outside the clone (kept across runs), one directory per checkout: cargo judges freshness by file
# times, so two checkouts sharing one target directory could run each other's stale code.
CACHE="$HOME/.cache/partnerdesk/$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Runs a command as root (directly, or through sudo).
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi
}

apt_install() {
  log "installing Debian packages: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_rust() {
  if ! command -v cargo >/dev/null; then
    [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
  fi
  command -v cargo >/dev/null || die "Rust is required: install it with rustup (https://rustup.rs), then run this again."
  # Crates with C parts (ring, sqlite) need a C compiler.
  command -v cc >/dev/null || apt_install build-essential pkg-config
}

# rustfmt and clippy, which scripts/test runs: rustup's components, or Debian's packages with Debian's Rust.
ensure_rust_lint_tools() {
  cargo fmt --version >/dev/null 2>&1 && cargo clippy --version >/dev/null 2>&1 && return 0
  if command -v rustup >/dev/null; then
    log "installing rustfmt and clippy (rustup component add)"
    rustup component add rustfmt clippy
  else
    apt_install rustfmt rust-clippy
  fi
  cargo fmt --version >/dev/null 2>&1 || die "cargo fmt is not available after installing rustfmt"
  cargo clippy --version >/dev/null 2>&1 || die "cargo clippy is not available after installing clippy"
}

# Debian's docker-compose (to validate docker-compose.yml; there is no Docker engine needed for that), nginx (to
# check deploy/nginx.conf) and promtool from prometheus (to check the `/metrics` output in tests/api/metrics.rs).
ensure_deploy_tools() {
  local need=()
  command -v docker-compose >/dev/null || need+=(docker-compose)
  command -v promtool >/dev/null || need+=(prometheus)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
  [ ${#need[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${need[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # Without recommends: docker-compose would bring the Docker engine along, which validating a file does not need.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

# Debian's Chromium and Node.js with npm, for the browser tests.
ensure_browser_tools() {
  local need=()
  [ -x /usr/bin/chromium ] || need+=(chromium)
  command -v node >/dev/null || need+=(nodejs)
  command -v npm >/dev/null || need+=(npm)
  [ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"
}
