#!/usr/bin/env bash
# A self-signed certificate for the Gateway's HTTPS listener, for a cluster Let's Encrypt cannot
# reach (kind on a CI runner): ACME's HTTP-01 challenge needs the host's public DNS. cert-manager
# keeps this Secret until it can issue one (it never can there), and Envoy serves it.
#
#   bash scripts/e2e/self-signed-tls.sh guestbook.dev.example.com
set -euo pipefail

host="${1:?usage: self-signed-tls.sh HOST}"
namespace="${TLS_NAMESPACE:-gateway}"
name="${TLS_SECRET:-guestbook-tls}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
openssl req -x509 -days 2 -nodes -newkey rsa:2048 -keyout "$work/tls.key" -out "$work/tls.crt" \
  -subj "/CN=$host" -addext "subjectAltName=DNS:$host" 2>/dev/null
for _ in $(seq 1 120); do
  kubectl get namespace "$namespace" >/dev/null 2>&1 && break
  sleep 5
done
kubectl -n "$namespace" create secret tls "$name" --cert="$work/tls.crt" --key="$work/tls.key" \
  --dry-run=client -o yaml | kubectl apply -f -
echo "self-signed-tls: $namespace/$name holds a self-signed certificate for $host" >&2
