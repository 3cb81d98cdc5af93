"""Feeding the registered rules: each gets what its scope declares, only for the kinds it names.

Objects are grouped by kind and pod templates extracted once; an "object" rule is called per
manifest, a "pod" rule per pod template, an "environment" rule once with the whole `Context`.
A rule that raises does not stop the run: the exception becomes an error finding of that rule,
on the object it was looking at, so the bug is visible and the other rules still report
(`crash_as_finding=False` lets the exception through instead, for tests of the rules).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from gitops.validation.model import Context, Facts, Issue, Manifest, PodView, pod_view
from gitops.validation.registry import Rule

_Call = tuple[tuple[Any, ...], Manifest | None]
"""The arguments of one call of a rule's check, and the manifest a crash of that call is about."""


def run_rules(
    manifests: list[Manifest],
    facts: Facts,
    rules: Mapping[str, Rule],
    *,
    crash_as_finding: bool = True,
) -> Iterator[tuple[Rule, Issue]]:
    """(rule, issue) for every issue every object/pod/environment rule reports.

    A rule that raises yields an error issue saying so (and the other rules still run); with
    `crash_as_finding=False` the exception propagates instead.
    """
    feed = _Feed(Context(facts, manifests))
    for rule_obj in rules.values():
        check = rule_obj.check
        if check is None or rule_obj.scope == "engine":
            continue
        for args, manifest in feed.calls(rule_obj):
            try:
                for issue in check(*args):
                    yield rule_obj, issue
            except Exception as exc:
                if not crash_as_finding:
                    raise
                yield rule_obj, _crash(rule_obj, manifest, exc)


class _Feed:
    """The manifests grouped by kind and their pod templates, extracted once for every rule."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.by_kind: dict[str, list[Manifest]] = {}
        self.pods_by_kind: dict[str, list[PodView]] = {}
        for manifest in ctx.manifests:
            self.by_kind.setdefault(manifest.kind, []).append(manifest)
            view = pod_view(manifest)
            if view is not None:
                self.pods_by_kind.setdefault(manifest.kind, []).append(view)
        self.all_pods = [view for views in self.pods_by_kind.values() for view in views]

    def calls(self, rule_obj: Rule) -> list[_Call]:
        """What the rule's scope declares: the context once, or each pod template or manifest (of
        the rule's kinds) with the context."""
        ctx = self.ctx
        if rule_obj.scope == "environment":
            return [((ctx,), None)]
        if rule_obj.scope == "pod":
            views: Iterable[PodView] = _select(self.all_pods, self.pods_by_kind, rule_obj.kinds)
            return [((view, ctx), view.manifest) for view in views]
        found: Iterable[Manifest] = _select(ctx.manifests, self.by_kind, rule_obj.kinds)
        return [((manifest, ctx), manifest) for manifest in found]


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
