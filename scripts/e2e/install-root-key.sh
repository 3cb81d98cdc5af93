#!/usr/bin/env bash
# Give a cluster the environment's root key: the Sealed Secrets controller's key pair, before the
# controller starts (it reads keys only at startup). The private key comes from the environment
# variable ROOT_KEY (PEM; a CI secret), the certificate is the committed one:
#
#   ROOT_KEY="$(cat tls.key)" bash scripts/e2e/install-root-key.sh apps/environments/dev/sealed-secrets.pem
#
# Refuses a key that does not belong to the certificate (the environment's Secrets were sealed
# for that certificate: re-seal them for a new key, bootstrap/README.md). The key never reaches a
# file outside a private temporary folder, nor a command's arguments.
set -euo pipefail

cert="${1:?usage: ROOT_KEY=... install-root-key.sh CERTIFICATE}"
namespace="${ROOT_KEY_NAMESPACE:-kube-system}"
name="${ROOT_KEY_SECRET:-sealed-secrets-root}"
if [[ -z "${ROOT_KEY:-}" ]]; then
  echo "install-root-key: ROOT_KEY is empty: set it to the environment's private key (PEM)" >&2
  exit 2
fi
if [[ ! -f "$cert" ]]; then
  echo "install-root-key: $cert: no such certificate" >&2
  exit 2
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 700 "$work"
(umask 077 && printf '%s\n' "$ROOT_KEY" > "$work/tls.key")
key_modulus="$(openssl rsa -noout -modulus -in "$work/tls.key" 2>/dev/null || true)"
cert_modulus="$(openssl x509 -noout -modulus -in "$cert" 2>/dev/null || true)"
if [[ -z "$key_modulus" || "$key_modulus" != "$cert_modulus" ]]; then
  echo "install-root-key: the key in ROOT_KEY does not belong to $cert; its environment's Secrets" \
       "cannot be unsealed with it (make a key pair and re-seal: bootstrap/README.md)" >&2
  exit 1
fi
kubectl -n "$namespace" create secret tls "$name" --cert="$cert" --key="$work/tls.key" \
  --dry-run=client -o yaml | kubectl apply -f -
kubectl -n "$namespace" label secret "$name" --overwrite sealedsecrets.bitnami.com/sealed-secrets-key=active
echo "install-root-key: $namespace/$name holds the key of $cert" >&2
