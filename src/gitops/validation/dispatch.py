"""Feeding the registered rules: each gets what its scope declares, only for the kinds it names.

Objects are grouped by kind and pod templates extracted once; an "object" rule is called per
manifest, a "pod" rule per pod template, an "environment" rule once with the whole `Context`.
A rule that raises does not stop the run: the exception becomes an error finding of that rule,
on the object it was looking at, so the bug is visible and the other rules still report.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from gitops.validation.model import Context, Facts, Issue, Manifest, PodView, pod_view
from gitops.validation.registry import Rule


def run_rules(
    manifests: list[Manifest], facts: Facts, rules: Mapping[str, Rule]
) -> Iterator[tuple[Rule, Issue]]:
    """(rule, issue) for every issue every object/pod/environment rule reports."""
    ctx = Context(facts, manifests)
    by_kind: dict[str, list[Manifest]] = {}
    pods_by_kind: dict[str, list[PodView]] = {}
    for manifest in manifests:
        by_kind.setdefault(manifest.kind, []).append(manifest)
        view = pod_view(manifest)
        if view is not None:
            pods_by_kind.setdefault(manifest.kind, []).append(view)
    all_pods = [view for views in pods_by_kind.values() for view in views]
    for rule_obj in rules.values():
        check = rule_obj.check
        if check is None or rule_obj.scope == "engine":
            continue
        if rule_obj.scope == "environment":
            try:
                for issue in check(ctx):
                    yield rule_obj, issue
            except Exception as exc:
                yield rule_obj, _crash(rule_obj, None, exc)
            continue
        if rule_obj.scope == "pod":
            targets: Iterable[Any] = _select(all_pods, pods_by_kind, rule_obj.kinds)
        else:
            targets = _select(manifests, by_kind, rule_obj.kinds)
        for target in targets:
            try:
                for issue in check(target, ctx):
                    yield rule_obj, issue
            except Exception as exc:
                manifest = target.manifest if isinstance(target, PodView) else target
                yield rule_obj, _crash(rule_obj, manifest, exc)


def _select(everything: list[Any], by_kind: Mapping[str, list[Any]], kinds: Any) -> Iterable[Any]:
    if kinds is None:
        return everything
    return [item for kind in kinds for item in by_kind.get(kind, ())]


def _crash(rule_obj: Rule, manifest: Manifest | None, exc: Exception) -> Issue:
    """One broken rule must not hide every other finding: its failure is a finding itself."""
    message = (
        f"rule {rule_obj.id} ({rule_obj.name}) failed on this object: "
        f"{type(exc).__name__}: {exc}; this is a bug in the validator, please report it"
    )
    return Issue(manifest, (), message, "error")
