"""The parsers and edge cases behind the rules, with inputs taken from Kubernetes' own rules."""

from __future__ import annotations

from fractions import Fraction

import pytest
from validate_rules_helpers import facts, load_fixture, load_text, run_rules

from gitops.validation.model import Context
from gitops.validation.rules import _index
from gitops.validation.rules._util import (
    label_value_problem,
    port_name_problem,
    qualified_name_problem,
    selector_matches,
)
from gitops.validation.rules.cron import schedule_problem, time_zone_problem
from gitops.validation.rules.policy import split_image
from gitops.validation.rules.quantities import parse_quantity

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: guestbook
spec:
  containers:
    - name: app
      image: "x:1"
{extra}
"""


def pod(extra: str) -> list:
    return load_text(POD.format(extra=extra))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("100m", Fraction(1, 10)),
        ("1", Fraction(1)),
        ("1.5Gi", Fraction(3 * 2**29)),
        ("1e3", Fraction(1000)),
        ("1E", Fraction(10**18)),
        (".5", Fraction(1, 2)),
        ("+2k", Fraction(2000)),
        (0.25, Fraction(1, 4)),
        (3, Fraction(3)),
    ],
)
def test_quantities_that_parse(text: object, value: Fraction) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["1 Gi", "1GB", "1gi", "abc", "", "1e", "--1", "Mi", True, None])
def test_quantities_the_api_server_refuses(text: object) -> None:
    assert parse_quantity(text) is None


@pytest.mark.parametrize(
    "schedule",
    [
        "* * * * *",
        "*/5 * * * *",
        "0 0 1 jan-mar mon-fri",
        "0 0 ? * SUN",
        "5,10-20/2 3 * * 0-6",
        "@hourly",
        "@daily",
        "@midnight",
        "@every 1h30m",
        "0 12 31 12 6",
        "7/10 * * * *",
    ],
)
def test_schedules_that_parse(schedule: str) -> None:
    assert schedule_problem(schedule) is None


@pytest.mark.parametrize(
    ("schedule", "reason"),
    [
        ("* * * *", "expected exactly 5 fields"),
        ("0 0 0 * * *", "expected exactly 5 fields"),
        ("60 * * * *", "above the maximum 59"),
        ("0 24 * * *", "above the maximum 23"),
        ("0 0 0 * *", "below the minimum 1"),
        ("0 0 * 13 *", "above the maximum 12"),
        ("0 0 * * 7", "above the maximum 6"),
        ("0 0 * * funday", "not a number"),
        ("*/0 * * * *", "positive"),
        ("5-1 * * * *", "starts after it ends"),
        ("1-2-3 * * * *", "too many hyphens"),
        ("TZ=UTC 0 0 * * *", "spec.timeZone"),
        ("@fortnightly", "unknown descriptor"),
        ("@every soon", "@every needs a duration"),
        ("", "empty"),
    ],
)
def test_schedules_the_api_server_refuses(schedule: str, reason: str) -> None:
    problem = schedule_problem(schedule)
    assert problem is not None and reason in problem


def test_time_zones() -> None:
    assert time_zone_problem("Europe/Paris") is None
    assert time_zone_problem("Etc/UTC") is None
    assert "explicit" in (time_zone_problem("Local") or "")
    assert time_zone_problem("") is not None
    assert time_zone_problem("Europe/Pariss") is not None


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        ("app", True),
        ("app.kubernetes.io/name", True),
        ("a" * 63, True),
        ("a" * 64, False),
        ("example.com/", False),
        ("/name", False),
        ("Example.com/x", False),
        ("x/y/z", False),
        ("under_score-dot.9", True),
        ("-lead", False),
    ],
)
def test_label_keys(key: str, ok: bool) -> None:
    assert (qualified_name_problem(key) is None) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("", True),
        ("v1.2_3-x", True),
        ("a" * 63, True),
        ("a" * 64, False),
        ("-x", False),
        ("x y", False),
        (12, False),
        (True, False),
    ],
)
def test_label_values(value: object, ok: bool) -> None:
    assert (label_value_problem(value) is None) is ok


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("http", True),
        ("h2c", True),
        ("web-metrics", True),
        ("a" * 15, True),
        ("a" * 16, False),
        ("8080", False),
        ("my_port", False),
        ("a--b", False),
        ("-a", False),
        ("HTTP", False),
    ],
)
def test_port_names(name: str, ok: bool) -> None:
    assert (port_name_problem(name) is None) is ok


def test_selector_semantics() -> None:
    labels = {"app": "web", "tier": "front"}
    assert selector_matches({}, labels)
    assert selector_matches({"matchLabels": {"app": "web"}}, labels)
    assert not selector_matches({"matchLabels": {"app": "api"}}, labels)
    expr = {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["back"]}]}
    assert selector_matches(expr, labels)
    expr = {"matchExpressions": [{"key": "canary", "operator": "DoesNotExist"}]}
    assert selector_matches(expr, labels)
    expr = {"matchExpressions": [{"key": "canary", "operator": "Exists"}]}
    assert not selector_matches(expr, labels)


@pytest.mark.parametrize(
    ("image", "parts"),
    [
        ("nginx", ("nginx", None, None)),
        ("nginx:1.27", ("nginx", "1.27", None)),
        ("localhost:5000/app", ("localhost:5000/app", None, None)),
        ("localhost:5000/app:2", ("localhost:5000/app", "2", None)),
        ("ghcr.io/a/b:1@sha256:abc", ("ghcr.io/a/b", "1", "sha256:abc")),
        ("ghcr.io/a/b@sha256:abc", ("ghcr.io/a/b", None, "sha256:abc")),
    ],
)
def test_image_references(image: str, parts: tuple) -> None:
    assert split_image(image) == parts


def test_env_var_names_follow_the_cluster_version() -> None:
    manifests = pod("      env:\n        - {name: my.setting:with-colon, value: x}")
    assert run_rules(manifests, facts(kubernetes_version="1.34"), ["GB214"]) == []
    hits = run_rules(manifests, facts(kubernetes_version="1.31"), ["GB214"])
    assert [(h.rule, h.line) for h in hits] == [("GB214", 11)]
    hits = run_rules(pod("      env:\n        - {name: A=B, value: x}"), facts(), ["GB214"])
    assert [(h.rule, h.line) for h in hits] == [("GB214", 11)]


def test_generate_name_prefix_may_end_with_a_dash() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: settings-\n"
    assert run_rules(load_text(text), only=["GB201"]) == []
    bad = text.replace("settings-", "Settings-")
    assert [h.line for h in run_rules(load_text(bad), only=["GB201"])] == [4]


def test_annotations_over_256_kib() -> None:
    big = "x" * (256 * 1024)
    text = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    a: {big}\n"
    hits = run_rules(load_text(text), only=["GB203"])
    assert [(h.line, "256 KiB" in h.message) for h in hits] == [(5, True)]


def test_secret_without_statement_is_a_warning_and_with_statement_an_error() -> None:
    manifests = pod(
        "      envFrom:\n        - secretRef: {name: api-token}\n"
        "        - secretRef: {name: maybe, optional: true}"
    )
    hits = run_rules(manifests, facts(secrets=None), ["GB307"])
    assert [(h.line, h.severity) for h in hits] == [(11, "warning")]
    hits = run_rules(manifests, facts(), ["GB307"])
    assert [(h.line, h.severity) for h in hits] == [(11, "error")]
    assert "secrets statement" in hits[0].message


def test_default_service_account_needs_no_object() -> None:
    manifests = pod("  serviceAccountName: default")
    assert run_rules(manifests, only=["GB308"]) == []


def test_statefulset_claim_templates_are_mountable_and_not_missing_pvcs() -> None:
    _, manifests = load_fixture("good/guestbook.yaml")
    statefulset = [m for m in manifests if m.kind == "StatefulSet"]
    assert run_rules(statefulset, only=["GB215", "GB309"]) == []


def test_pdb_with_max_unavailable_zero_blocks_drains() -> None:
    _, manifests = load_fixture("good/guestbook.yaml")
    pdb = next(m for m in manifests if m.kind == "PodDisruptionBudget")
    pdb.obj["spec"] = {"maxUnavailable": 0, "selector": pdb.obj["spec"]["selector"]}
    hits = run_rules(manifests, only=["GB417"])
    assert [h.object for h in hits] == ["PodDisruptionBudget/guestbook/guestbook-web"]
    assert "HorizontalPodAutoscaler" not in hits[0].message and "2 replica(s)" in hits[0].message


def test_objects_without_namespace_land_in_the_environment_namespace() -> None:
    _, manifests = load_fixture("good/guestbook.yaml")
    for manifest in manifests:
        manifest.metadata.pop("namespace", None)
    assert run_rules(manifests, facts(namespace="guestbook")) == []
    hits = run_rules(manifests + load_text(POD.format(extra="")), only=["GB301"])
    assert hits == []


def test_index_is_built_once_per_context(monkeypatch: pytest.MonkeyPatch) -> None:
    _, manifests = load_fixture("good/guestbook.yaml")
    calls = []
    real = _index.build_index
    monkeypatch.setattr(_index, "build_index", lambda *a: calls.append(1) or real(*a))
    ctx = Context(facts(), manifests)
    first = _index.index_of(ctx)
    assert _index.index_of(ctx) is first
    assert len(calls) == 1
    assert _index.index_of(Context(facts(), manifests)) is not first
