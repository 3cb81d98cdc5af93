"""The one place where rules are registered: id, severity, what they check and how to fix it.

A rule is a function decorated with `@rule(...)`. It declares its scope and the engine feeds it:
- "object":      check(manifest, ctx) for every manifest (of `kinds`, when given)
- "pod":         check(pod_view, ctx) for every pod template of a workload (of `kinds`)
- "environment": check(ctx) once for the whole set of manifests
- "engine":      implemented inside the engine (YAML, schema, render sync); listed for docs
Each yields `Issue`s. Ids: GB0xx documents, GB1xx schema, GB2xx what the API server refuses,
GB3xx across objects, GB4xx policy, GB5xx the repository itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from gitops.validation.model import Issue, Severity

Scope = Literal["object", "pod", "environment", "engine"]
Check = Callable[..., Iterable[Issue]]


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: Severity
    scope: Scope
    summary: str
    remediation: str
    kinds: frozenset[str] | None = None
    check: Check | None = None


RULES: dict[str, Rule] = {}


def register(rule_obj: Rule) -> Rule:
    if rule_obj.id in RULES:
        raise ValueError(f"rule id {rule_obj.id} registered twice")
    RULES[rule_obj.id] = rule_obj
    return rule_obj


def rule(
    id: str,
    name: str,
    *,
    severity: Severity,
    scope: Scope,
    summary: str,
    remediation: str,
    kinds: Iterable[str] | None = None,
) -> Callable[[Check], Check]:
    """Register the decorated function as rule `id`."""

    def decorate(func: Check) -> Check:
        register(
            Rule(
                id=id,
                name=name,
                severity=severity,
                scope=scope,
                summary=summary,
                remediation=remediation,
                kinds=frozenset(kinds) if kinds is not None else None,
                check=func,
            )
        )
        return func

    return decorate


def all_rules() -> dict[str, Rule]:
    """Every rule, after importing the modules that register them."""
    import gitops.validation.rules  # noqa: F401 - registers the rules on import

    return dict(sorted(RULES.items()))


def describe(rule_obj: Rule) -> dict[str, Any]:
    return {
        "id": rule_obj.id,
        "name": rule_obj.name,
        "severity": rule_obj.severity,
        "scope": rule_obj.scope,
        "summary": rule_obj.summary,
        "remediation": rule_obj.remediation,
    }
