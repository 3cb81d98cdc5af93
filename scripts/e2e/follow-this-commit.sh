#!/usr/bin/env bash
# Point a cluster's Flux at this repository and commit, then apply the environment's entry points:
#
#   bash scripts/e2e/follow-this-commit.sh dev https://github.com/OWNER/REPO COMMIT
#
# The entry points name the repository's main branch; the end-to-end workflow tests the commit
# under test instead, so it rewrites the GitRepository's url and ref before applying it.
set -euo pipefail

env="${1:?usage: follow-this-commit.sh ENV URL COMMIT}"
url="${2:?usage: follow-this-commit.sh ENV URL COMMIT}"
commit="${3:?usage: follow-this-commit.sh ENV URL COMMIT}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
folder="$root/bootstrap/flux/$env"
if [[ ! -d "$folder" ]]; then
  echo "follow-this-commit: $folder: no Flux entry points for $env" >&2
  exit 2
fi
if [[ ! "$commit" =~ ^[0-9a-f]{40}$ ]]; then
  echo "follow-this-commit: $commit is not a full commit SHA" >&2
  exit 2
fi
for file in "$folder"/*.yaml; do
  if [[ "$(basename "$file")" == source.yaml ]]; then
    sed -e "s|^  url: .*|  url: $url|" -e "s|^    branch: main$|    commit: $commit|" "$file" | kubectl apply -f -
  else
    kubectl apply -f "$file"
  fi
done
echo "follow-this-commit: Flux follows $url at $commit for $env" >&2
