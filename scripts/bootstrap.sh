#!/usr/bin/env bash
# Set up a fresh machine for one nox session, then run it:
#
#   bash scripts/bootstrap.sh validate        # the gate: nox -s validate over this repository
#   bash scripts/bootstrap.sh tests           # every test, with real PostgreSQL, Redis and Chromium
#   bash scripts/bootstrap.sh SESSION -- ARGS # any other session (image, bench, serve, lint, ...)
#
# It installs only what the session needs: Debian/Ubuntu packages through apt (as root, or with
# sudo), and nox through pip or pipx. It never installs kubectl for you (no Debian package ships
# it); it says how to get kubectl or kustomize when neither is there.
set -euo pipefail

session="${1:-}"
if [[ -z "$session" ]]; then
  sed -n '2,12p' "$0" >&2
  exit 2
fi
shift
cd "$(dirname "$0")/.."

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

if ! command -v kustomize >/dev/null && ! command -v kubectl >/dev/null; then
  say "render, validate and diff need kustomize: install kubectl (https://kubernetes.io/docs/tasks/tools/)"
  say "or the kustomize binary (https://kubectl.docs.kubernetes.io/installation/kustomize/)"
  [[ "$session" == tests || "$session" == validate || "$session" == render ]] && exit 2
fi

if ! command -v nox >/dev/null; then
  say "installing nox"
  if ! python3 -m pip install --quiet --user nox 2>/dev/null && ! python3 -m pip install --quiet nox 2>/dev/null; then
    # Debian's own python refuses pip outside a venv (PEP 668): use pipx there.
    command -v pipx >/dev/null || as_root apt-get install -y -qq pipx >/dev/null
    pipx install nox >/dev/null
  fi
  export PATH="$HOME/.local/bin:$PATH"
fi

exec nox -s "$session" "$@"
