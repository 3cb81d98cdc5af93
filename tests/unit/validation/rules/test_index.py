"""The index of objects the cross-object rules share (`rules._index`)."""

from __future__ import annotations

import pytest

from gitops.validation.model import Context
from gitops.validation.rules import _index


def test_index_is_built_once_per_context(
    monkeypatch: pytest.MonkeyPatch, rule_fixture, rule_facts
) -> None:
    manifests = rule_fixture("good/guestbook.yaml").manifests
    calls = []
    real = _index.build_index
    monkeypatch.setattr(_index, "build_index", lambda *a: calls.append(1) or real(*a))
    ctx = Context(rule_facts(), manifests)
    first = _index.index_of(ctx)
    assert _index.index_of(ctx) is first
    assert len(calls) == 1
    assert _index.index_of(Context(rule_facts(), manifests)) is not first


CERT_MANAGER = """\
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web, namespace: shop}
spec:
  secretName: web-tls
  issuerRef: {name: local}
  keystores:
    pkcs12: {create: true, passwordSecretRef: {name: p12, key: password}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: legacy
  namespace: shop
  annotations: {cert-manager.io/issuer: local}
spec:
  tls:
    - {hosts: [a.example.com], secretName: a-tls}
    - {secretName: no-hosts-tls}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: twice
  namespace: shop
  annotations: {cert-manager.io/issuer: local}
spec:
  tls:
    - {hosts: [b.example.com], secretName: b-tls}
    - {hosts: [c.example.com], secretName: b-tls}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: public
  namespace: gateway
  annotations: {cert-manager.io/cluster-issuer: letsencrypt}
spec:
  gatewayClassName: envoy
  listeners:
    - name: https
      port: 443
      protocol: HTTPS
      hostname: shop.example.com
      tls: {certificateRefs: [{name: shop-tls}, {group: "", kind: Secret, name: shop-ecdsa}]}
    - name: passthrough
      port: 8443
      protocol: TLS
      hostname: db.example.com
      tls: {mode: Passthrough, certificateRefs: [{name: db-tls}]}
"""


def test_cert_manager_provides_certificates_and_what_annotated_gateways_and_ingresses_name(
    load_manifests, rule_facts
) -> None:
    """A Certificate makes spec.secretName (with its keystores); cert-manager's certificate-shim
    makes the certificateRefs of an annotated Gateway's terminating listeners with a hostname,
    and the secretName of an annotated Ingress's tls entries with hosts (none when two share
    one)."""
    index = _index.index_of(Context(rule_facts(), load_manifests(CERT_MANAGER)))
    tls = {"tls.crt", "tls.key", "ca.crt"}
    assert index.secret_keys == {
        ("shop", "web-tls"): tls | {"keystore.p12", "truststore.p12"},
        ("shop", "a-tls"): tls,
        ("gateway", "shop-tls"): tls,
        ("gateway", "shop-ecdsa"): tls,
    }
    gateway_refs = [(r.namespace, r.name) for r in index.references if r.manifest.kind == "Gateway"]
    assert gateway_refs == [
        ("gateway", "shop-tls"),
        ("gateway", "shop-ecdsa"),
        ("gateway", "db-tls"),
    ]
