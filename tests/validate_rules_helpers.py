"""Helpers for the rule tests: load manifests with line numbers, run the GB2xx-GB4xx rules.

Manifests come from the engine's loader (`gitops.validation.loader`), so the tests exercise the
real line mapping; `run_rules` feeds the rules the way the engine does, but lets a rule's
exception through (the engine turns it into a finding), so that a crash fails the tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops.repo.environments import SecretSource
from gitops.validation.loader import load_text as load
from gitops.validation.model import Context, Facts, FieldPath, Manifest, pod_view
from gitops.validation.registry import all_rules

FIXTURES = Path(__file__).parent / "fixtures" / "validate-rules"
MY_RULES = ("GB2", "GB3", "GB4")
_EXPECT = re.compile(r"#\s*expect:\s*(.+)$")
_EXPECT_ENV = re.compile(r"#\s*expect-env:\s*(.+)$")
_CHECK = re.compile(r"^#\s*check:\s*(.+)$", re.MULTILINE)
_FACTS = re.compile(r"^#\s*facts:\s*(.+)$", re.MULTILINE)


@dataclass(frozen=True, order=True)
class Hit:
    rule: str
    line: int
    severity: str
    object: str
    path: FieldPath
    message: str


def load_text(text: str, path: str = "manifests.yaml") -> list[Manifest]:
    """The manifests of `text`, loaded by the engine's loader (line of every field included)."""
    return load(text, path).manifests


def facts(**overrides: Any) -> Facts:
    secrets = {
        "guestbook-postgres": SecretSource("guestbook-postgres", "manual", ("password",)),
        "guestbook-django": SecretSource("guestbook-django", "manual", ("secret-key",)),
    }
    values: dict[str, Any] = {
        "kubernetes_version": "1.34",
        "require_digest": True,
        "namespace": "guestbook",
        "environment": "test",
        "required_kinds": ("HorizontalPodAutoscaler", "PodDisruptionBudget"),
        "secrets": secrets,
    }
    values.update(overrides)
    return Facts(**values)


def run_rules(
    manifests: list[Manifest], the_facts: Facts | None = None, only: Iterable[str] = MY_RULES
) -> list[Hit]:
    """Run every registered rule whose id starts with one of `only`, as the engine feeds them."""
    ctx = Context(the_facts or facts(), manifests)
    prefixes = tuple(only)
    by_kind: dict[str, list[tuple[Manifest, Any]]] = {}
    for m in manifests:  # once per manifest, grouped by kind, as the engine does
        by_kind.setdefault(m.kind, []).append((m, pod_view(m)))
    hits: list[Hit] = []
    for rule_obj in all_rules().values():
        if not rule_obj.id.startswith(prefixes) or rule_obj.check is None:
            continue
        kinds = rule_obj.kinds if rule_obj.kinds is not None else by_kind.keys()
        fed = [pair for kind in kinds for pair in by_kind.get(kind, ())]
        if rule_obj.scope == "environment":
            issues = list(rule_obj.check(ctx))
        elif rule_obj.scope == "object":
            issues = [issue for m, _ in fed for issue in rule_obj.check(m, ctx)]
        elif rule_obj.scope == "pod":
            issues = [issue for _, v in fed if v is not None for issue in rule_obj.check(v, ctx)]
        else:
            continue
        for issue in issues:
            manifest = issue.manifest
            hits.append(
                Hit(
                    rule=rule_obj.id,
                    line=manifest.line_of(issue.path) if manifest else 0,
                    severity=issue.severity or rule_obj.severity,
                    object=manifest.ref if manifest else "",
                    path=issue.path,
                    message=issue.message,
                )
            )
    return sorted(hits)


def load_fixture(name: str) -> tuple[str, list[Manifest]]:
    path = FIXTURES / name
    text = path.read_text(encoding="utf-8")
    return text, load_text(text, str(path.relative_to(FIXTURES)))


def expected_in(text: str) -> list[tuple[str, int]]:
    """(rule, line) for every `# expect: GB201 GB202` comment in a fixture (line 0 for
    `# expect-env: GB416`, findings about the facts rather than a manifest)."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            found.extend((rule_id, number) for rule_id in match.group(1).split())
        match = _EXPECT_ENV.search(line)
        if match:  # a finding about the environment's facts, not a manifest line
            found.extend((rule_id, 0) for rule_id in match.group(1).split())
    return sorted(found)


def checked_prefixes(text: str) -> tuple[str, ...]:
    """`# check: GB2 GB3` at the top limits which rules a fixture is compared against."""
    match = _CHECK.search(text)
    return tuple(match.group(1).split()) if match else MY_RULES


def fixture_facts(text: str) -> Facts:
    """`# facts: require_digest=false secrets=none version=1.31` adjusts the default facts."""
    match = _FACTS.search(text)
    overrides: dict[str, Any] = {}
    for item in match.group(1).split() if match else ():
        key, _, value = item.partition("=")
        if key == "require_digest":
            overrides["require_digest"] = value == "true"
        elif key == "secrets" and value == "none":
            overrides["secrets"] = None
        elif key == "version":
            overrides["kubernetes_version"] = value
        elif key == "required":
            overrides["required_kinds"] = tuple(k for k in value.split(",") if k)
    return facts(**overrides)
