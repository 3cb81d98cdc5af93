"""Gateway API and cert-manager rules (`rules.gateway`): hostname and namespace matching as
Gateway API defines them, and what a set that is not complete (plain files) only warns about."""

from __future__ import annotations

from typing import Any

import pytest

from gitops.validation.model import Context
from gitops.validation.rules._index import index_of
from gitops.validation.rules.gateway import (
    NamespaceLabels,
    hostnames_intersect,
    kind_refusal,
    listener_hostname_matches,
    namespace_labels,
    namespace_refusal,
)

NAME = "kubernetes.io/metadata.name"


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("guestbook.example.com", "guestbook.example.com", True),
        ("*.example.com", "guestbook.example.com", True),
        ("*.example.com", "a.b.example.com", True),  # a wildcard is one or more labels
        ("*.example.com", "example.com", False),
        ("*.example.com", "badexample.com", False),  # only whole labels
        ("guestbook.example.com", "*.example.com", True),  # the route's wildcard covers it
        ("*.example.com", "*.dev.example.com", True),
        ("*.dev.example.com", "*.example.com", True),
        ("*.example.com", "*.example.net", False),
        ("guestbook.example.com", "shop.example.com", False),
        ("*.dev.example.com", "guestbook.example.com", False),
    ],
)
def test_hostnames_intersect_as_gateway_api_defines_it(
    first: str, second: str, expected: bool
) -> None:
    assert hostnames_intersect(first, second) is expected
    assert hostnames_intersect(second, first) is expected


def test_a_listener_or_route_without_hostname_matches_everything() -> None:
    assert listener_hostname_matches(None, ["guestbook.example.com"])
    assert listener_hostname_matches("guestbook.example.com", [])
    assert listener_hostname_matches("*.example.com", ["example.org", "www.example.com"])
    assert not listener_hostname_matches("*.example.com", ["example.com", "example.org"])


def _listener(namespaces: dict[str, Any] | None = None) -> dict[str, Any]:
    listener: dict[str, Any] = {"name": "http", "port": 80, "protocol": "HTTP"}
    if namespaces is not None:
        listener["allowedRoutes"] = {"namespaces": namespaces}
    return listener


def _ns(name: str, labels: dict[str, str] | None = None) -> NamespaceLabels:
    """A namespace as the rules see it: its object's labels when `labels` is given (None: the
    Namespace is not in the set), and always kubernetes.io/metadata.name."""
    return NamespaceLabels(name, {**(labels or {}), NAME: name}, labels is not None)


def test_listeners_admit_their_own_namespace_by_default() -> None:
    assert namespace_refusal(_listener(), "gateway", _ns("gateway")) is None
    refusal = namespace_refusal(_listener(), "gateway", _ns("shop", {}))
    assert refusal is not None and refusal.certain
    assert "from: Same, the default" in refusal.reason
    assert namespace_refusal(_listener({"from": "All"}), "gateway", _ns("shop")) is None


@pytest.mark.parametrize(
    ("selector", "namespace", "admitted"),
    [
        ({"matchLabels": {NAME: "guestbook-dev"}}, _ns("guestbook-dev"), True),
        ({"matchLabels": {NAME: "guestbook-dev"}}, _ns("guestbook-prod"), False),
        (
            {"matchExpressions": [{"key": NAME, "operator": "In", "values": ["a", "shop"]}]},
            _ns("shop"),
            True,
        ),
        (
            {"matchExpressions": [{"key": NAME, "operator": "NotIn", "values": ["shop"]}]},
            _ns("shop"),
            False,
        ),
        ({"matchLabels": {"team": "shop"}}, _ns("shop", {"team": "shop"}), True),
        ({"matchLabels": {"team": "shop"}}, _ns("shop", {"team": "blog"}), False),
        ({"matchExpressions": [{"key": "team", "operator": "Exists"}]}, _ns("shop", {}), False),
        ({"matchExpressions": [{"key": "team", "operator": "DoesNotExist"}]}, _ns("shop"), True),
        ({}, _ns("anything"), True),
    ],
)
def test_selector_listeners_match_the_labels_of_the_routes_namespace(
    selector: dict[str, Any], namespace: NamespaceLabels, admitted: bool
) -> None:
    listener = _listener({"from": "Selector", "selector": selector})
    assert (namespace_refusal(listener, "gateway", namespace) is None) is admitted


def test_an_unknown_namespace_is_said_to_be_unknown_only_when_it_matters() -> None:
    by_team = _listener({"from": "Selector", "selector": {"matchLabels": {"team": "shop"}}})
    refusal = namespace_refusal(by_team, "gateway", _ns("shop"))
    assert refusal is not None and not refusal.certain
    assert "Namespace shop is not among the manifests" in refusal.reason
    known = namespace_refusal(by_team, "gateway", _ns("shop", {"team": "blog"}))
    assert known is not None and known.certain and "not among" not in known.reason
    by_name = _listener({"from": "Selector", "selector": {"matchLabels": {NAME: "blog"}}})
    refusal = namespace_refusal(by_name, "gateway", _ns("shop"))
    assert refusal is not None and refusal.certain and "not among" not in refusal.reason


def test_namespace_labels_come_from_the_namespace_object_plus_its_name(
    load_manifests, rule_facts
) -> None:
    manifests = load_manifests(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {team: shop}\n"
    )
    index = index_of(Context(rule_facts(), manifests))
    assert namespace_labels(index, "shop") == NamespaceLabels(
        "shop", {"team": "shop", NAME: "shop"}, True
    )
    assert namespace_labels(index, "blog") == NamespaceLabels("blog", {NAME: "blog"}, False)


def test_listener_kinds_come_from_allowed_routes_or_the_protocol() -> None:
    grpc_only = {"protocol": "HTTPS", "allowedRoutes": {"kinds": [{"kind": "GRPCRoute"}]}}
    assert kind_refusal(grpc_only, "GRPCRoute") is None
    assert kind_refusal(grpc_only, "HTTPRoute") is not None
    assert kind_refusal({"protocol": "HTTPS"}, "GRPCRoute") is None
    assert kind_refusal({"protocol": "TCP"}, "HTTPRoute") is not None
    assert kind_refusal({"protocol": "example.com/quic"}, "HTTPRoute") is None


ROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
  namespace: shop
spec:
  parentRefs:
    - name: public
      namespace: gateway
  rules:
    - backendRefs:
        - name: web
          port: 80
        - name: catalog
          namespace: catalog
          port: 80
"""
GATEWAY = """\
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
      allowedRoutes:
        namespaces:
          from: Selector
          selector: {matchLabels: {team: shop}}
      tls:
        certificateRefs: [{name: shop-tls}]
"""


def _severities(hits: list[Any]) -> list[tuple[str, int, str]]:
    return [(h.rule, h.line, h.severity) for h in hits]


def test_what_may_live_elsewhere_is_an_error_when_complete_and_a_warning_when_not(
    load_manifests, run_rules, rule_facts
) -> None:
    route = load_manifests(ROUTE)
    only = ["GB313", "GB314"]
    assert _severities(run_rules(route, rule_facts(), only)) == [
        ("GB313", 8, "error"),  # no Gateway gateway/public
        ("GB314", 12, "error"),  # no Service web in the route's own namespace
        ("GB314", 14, "error"),  # no Service catalog/catalog
    ]
    hits = run_rules(route, rule_facts(complete=False), only)
    assert _severities(hits) == [
        ("GB313", 8, "warning"),
        ("GB314", 12, "warning"),  # its Service may be in a file that was not given
        ("GB314", 14, "warning"),
    ]
    assert "is not among the given files" in hits[0].message
    gateway = load_manifests(GATEWAY)
    assert _severities(run_rules(gateway, rule_facts(complete=False), ["GB315", "GB316"])) == [
        ("GB315", 8, "warning"),
        ("GB316", 6, "warning"),
    ]
    assert _severities(run_rules(gateway, rule_facts(), ["GB315", "GB316"])) == [
        ("GB315", 8, "error"),
        ("GB316", 6, "error"),
    ]


def test_a_selector_on_labels_of_an_absent_namespace_warns_unless_complete(
    load_manifests, run_rules, rule_facts
) -> None:
    manifests = load_manifests(GATEWAY + "---\n" + ROUTE)
    hits = run_rules(manifests, rule_facts(complete=False), ["GB313"])
    assert _severities(hits) == [("GB313", 28, "warning")]
    assert "Namespace shop is not among the manifests" in hits[0].message
    assert _severities(run_rules(manifests, rule_facts(), ["GB313"])) == [("GB313", 28, "error")]
    labelled = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {team: shop}}\n"
    manifests = load_manifests(GATEWAY + "---\n" + ROUTE + "---\n" + labelled)
    assert run_rules(manifests, rule_facts(complete=False), ["GB313"]) == []


def test_a_gateway_certificate_is_provided_by_cert_manager_only_with_the_annotation(
    load_manifests, run_rules
) -> None:
    assert run_rules(load_manifests(GATEWAY), only=["GB307"]) == []
    bare = GATEWAY.replace("  annotations: {cert-manager.io/cluster-issuer: letsencrypt}\n", "")
    hits = run_rules(load_manifests(bare), only=["GB307"])
    assert _severities(hits) == [("GB307", 18, "error")]
    assert "the Gateway has no cert-manager.io/cluster-issuer" in hits[0].message
    other = GATEWAY.replace("[{name: shop-tls}]", "[{name: shop-tls, namespace: certs}]")
    assert run_rules(load_manifests(other), only=["GB307"]) == []  # another namespace's: no ref
