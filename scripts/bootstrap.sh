#!/usr/bin/env bash
# Set up a fresh machine for one nox session, then run it:
#
#   bash scripts/bootstrap.sh validate        # the gate: nox -s validate over this repository
#   bash scripts/bootstrap.sh tests           # every test, with real PostgreSQL, Redis and Chromium
#   bash scripts/bootstrap.sh SESSION -- ARGS # any other session (image, bench, serve, lint, ...)
#   bash scripts/bootstrap.sh --setup-only SESSION   # install what SESSION needs, run nothing
#
# It installs only what the session needs, and only what is missing (a second run installs
# nothing): Debian/Ubuntu packages through apt (as root, or with sudo), and nox in a virtual
# environment of its own, linked into a folder on every shell's PATH (/usr/local/bin as root or
# with sudo, else ~/.local/bin), so that `nox -s ...` works in a new shell right after.
# GITOPS_TOOLS_HOME and GITOPS_BIN_DIR choose other folders. nox and what it needs come from
# requirements/nox.txt with --require-hashes (every file pinned and checked); a nox of its own
# from an older lock is replaced. The sessions install kubectl themselves (requirements/).
set -euo pipefail

setup_only=0
if [[ "${1:-}" == "--setup-only" ]]; then
  setup_only=1
  shift
fi
session="${1:-}"
if [[ -z "$session" ]]; then
  sed -n '2,16p' "$0" >&2
  exit 2
fi
shift
cd "$(dirname "$0")/.."
NOX_LOCK="$PWD/requirements/nox.txt"
NOX_VERSION="$(sed -n 's/^nox==\([^ ]*\).*/\1/p' "$NOX_LOCK")"

say() { printf 'bootstrap: %s\n' "$*" >&2; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else say "need root for: $*"; exit 2
  fi
}

apt_packages=(git python3-venv)
servers=(postgresql redis-server)
containers=(podman buildah runc debootstrap)  # podman with runc, and debootstrap for the stand-in base
case "$session" in
  tests) apt_packages+=("${servers[@]}" chromium wrk "${containers[@]}") ;;  # the image test too
  bench) apt_packages+=("${servers[@]}" wrk) ;;
  image) apt_packages+=("${servers[@]}" "${containers[@]}") ;;
  backup-drill) apt_packages+=(postgresql) ;;
esac

missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if (( ${#missing[@]} )); then
  if command -v apt-get >/dev/null; then
    say "installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    say "not a Debian/Ubuntu machine: install ${missing[*]} with your package manager"
  fi
fi

# The Debian package starts a system Redis on :6379; the tests start their own on free ports.

# nox, in a virtual environment of its own, linked into a folder on PATH.
if [[ $(id -u) -eq 0 ]] || command -v sudo >/dev/null; then
  tools_home="${GITOPS_TOOLS_HOME:-/opt/gitops-tools}"
  bin_dir="${GITOPS_BIN_DIR:-/usr/local/bin}"
else
  tools_home="${GITOPS_TOOLS_HOME:-$HOME/.local/share/gitops-tools}"
  bin_dir="${GITOPS_BIN_DIR:-$HOME/.local/bin}"
fi
maybe_root() {  # run as root only where the folder is not ours to write
  local target="$1"; shift
  mkdir -p "$target" 2>/dev/null || true
  if [[ -w "$target" ]]; then "$@"; else as_root "$@"; fi
}
nox_bin="$(command -v nox || true)"
if [[ -z "$nox_bin" && -x "$bin_dir/nox" ]]; then
  nox_bin="$bin_dir/nox"
fi
ours_outdated() {  # the nox found is the one this script installed, and not the locked version
  [[ "$(readlink -f "$nox_bin")" == "$(readlink -f "$tools_home/nox/bin/nox")" ]] &&
    ! compgen -G "$tools_home/nox/lib/python3*/site-packages/nox-$NOX_VERSION.dist-info" >/dev/null
}
if [[ -z "$nox_bin" ]] || ours_outdated; then
  say "installing nox $NOX_VERSION into $tools_home/nox, linked as $bin_dir/nox"
  maybe_root "$tools_home" python3 -m venv "$tools_home/nox"
  maybe_root "$tools_home" "$tools_home/nox/bin/python" -m pip install --quiet \
    --disable-pip-version-check --require-hashes -r "$NOX_LOCK"
  maybe_root "$bin_dir" ln -sfn "$tools_home/nox/bin/nox" "$bin_dir/nox"
  nox_bin="$bin_dir/nox"
fi
case ":$PATH:" in
  *":$(dirname "$nox_bin"):"*) ;;
  *) say "$(dirname "$nox_bin") is not on your PATH: add it (export PATH=\"$(dirname "$nox_bin"):\$PATH\") for \`nox\` to work in a new shell" ;;
esac

if (( setup_only )); then
  say "set up for $session: run \`nox -s $session\`"
  exit 0
fi
exec "$nox_bin" -s "$session" "$@"
