"""What the internet reaches through the Gateway, per environment: the probes' paths answer 404
at the Gateway and POSTs are rate-limited there (/compute: tests/integration/kustomize/
test_load_test.py)."""

from __future__ import annotations

import pytest

from .test_cluster_state import ENVS


def _named(objects, kind: str, name: str) -> dict:
    (found,) = [o for o in objects.by_kind(kind) if o["metadata"]["name"] == name]
    return found


@pytest.mark.parametrize("env", ENVS)
def test_the_probes_are_not_routed_to_the_pods(env: str, load_cluster) -> None:
    objects = load_cluster(env).of_app("guestbook")
    route = _named(objects, "HTTPRoute", "guestbook-web")
    probes = [
        rule
        for rule in route["spec"]["rules"]
        if {m["path"]["value"] for m in rule.get("matches", [])} == {"/healthz", "/readyz"}
    ]
    assert len(probes) == 1 and "backendRefs" not in probes[0]
    assert all(m["path"]["type"] == "Exact" for m in probes[0]["matches"])
    (extension,) = [f["extensionRef"] for f in probes[0]["filters"]]
    assert (extension["group"], extension["kind"]) == ("gateway.envoyproxy.io", "HTTPRouteFilter")
    answer = _named(objects, "HTTPRouteFilter", extension["name"])["spec"]["directResponse"]
    assert answer["statusCode"] == 404


@pytest.mark.parametrize("env", ENVS)
def test_posts_are_rate_limited_at_the_gateway(env: str, load_cluster) -> None:
    objects = load_cluster(env).of_app("guestbook")
    policies = objects.by_kind("BackendTrafficPolicy")
    limited = [
        rule
        for policy in policies
        if {"kind": "HTTPRoute", "name": "guestbook-web"}.items()
        <= {k: v for t in policy["spec"]["targetRefs"] for k, v in t.items()}.items()
        for rule in policy["spec"]["rateLimit"]["local"]["rules"]
        if any(m["value"] == "POST" for s in rule["clientSelectors"] for m in s["methods"])
    ]
    assert len(limited) == 1
    assert limited[0]["limit"]["requests"] > 0
