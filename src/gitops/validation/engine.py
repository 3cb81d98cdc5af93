"""The validator: load every file once, check schemas, feed the rules, apply suppressions.

    validate_paths(paths, facts)     plain manifests (files, folders or stdin), as one set
    check_manifests(manifests, facts)  one set of loaded objects (one environment)

Repository mode (`gitops.validation.repository`) builds on these. Findings come back sorted by
path, line and rule, without duplicates; paths are relative to the working directory where
possible. Configuration problems (an unsupported Kubernetes version, say) raise `ConfigError`;
everything wrong with the manifests themselves is a finding.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from gitops.validation.dispatch import run_rules
from gitops.validation.files import collect_files, load_input
from gitops.validation.loader import NO_OBJECT
from gitops.validation.model import (
    SUPPRESS_PREFIX,
    Facts,
    FieldPath,
    Finding,
    Issue,
    Located,
    Manifest,
)
from gitops.validation.registry import all_rules
from gitops.validation.schema.check import SchemaCheck
from gitops.validation.tally import Tally

__all__ = ["Facts", "FactsSource", "check_manifests", "validate_paths"]


@dataclass(frozen=True)
class FactsSource:
    """Where findings about the facts themselves (GB312, GB416) point: the facts file."""

    path: str = "(facts)"
    lines: Mapping[FieldPath, int] = field(default_factory=dict)
    object: str = NO_OBJECT

    def line_of(self, path: FieldPath) -> int:
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1 if self.lines else 0


@contextmanager
def gc_paused() -> Iterator[None]:
    """Validation builds a few million small acyclic objects; the cyclic collector would scan
    them again and again (half the run time) for nothing it could free. Reference counting frees
    them all the same. The survivors (the rules' index cache, the findings) are moved to the
    permanent generation, which the collector never scans."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()  # what survives would otherwise all be scanned by the next collection
            gc.enable()


def validate_paths(
    paths: Sequence[Path],
    facts: Facts,
    *,
    crds: Sequence[Manifest] = (),
    tally: Tally | None = None,
) -> list[Finding]:
    """Validate plain manifests: files (`-`: stdin), or folders (their .yaml/.yml/.json files),
    as one set. `crds` are CustomResourceDefinitions the cluster has beyond the set (schemas
    only: they are not validated themselves); `tally` counts what was read."""
    files = collect_files(paths)
    with gc_paused():
        manifests: list[Manifest] = []
        findings: list[Finding] = []
        for path in files:
            loaded = load_input(path)
            manifests.extend(loaded.manifests)
            findings.extend(loaded.findings)
        if tally is not None:
            tally.count(len(files), len(manifests), facts.kubernetes_version)
        findings.extend(check_manifests(manifests, facts, crds=crds))
        return finish(findings)


def check_manifests(
    manifests: list[Manifest],
    facts: Facts,
    source: FactsSource | None = None,
    *,
    crds: Sequence[Manifest] = (),
) -> list[Finding]:
    """Schema and every rule for one set of objects (one environment), suppressions applied."""
    return [item.finding for item in check_located(manifests, facts, source, crds=crds)]


def check_located(
    manifests: list[Manifest],
    facts: Facts,
    source: FactsSource | None = None,
    *,
    crds: Sequence[Manifest] = (),
) -> list[Located]:
    """`check_manifests`, each finding with the object and field path it is about."""
    rules = all_rules()
    source = source or FactsSource()
    schema = SchemaCheck(facts, [*crds, *manifests])  # a CRD of the set wins over a given one
    suppressed, findings = _suppressions(manifests, rules)
    for manifest in manifests:
        for rule_id, issue in schema.check(manifest):
            findings.append(to_finding(rules[rule_id].id, rules[rule_id].severity, issue, source))
    for rule_obj, issue in run_rules(manifests, facts, rules):
        findings.append(to_finding(rule_obj.id, issue.severity or rule_obj.severity, issue, source))
    return [
        item
        for item in findings
        if (f := item.finding).rule == "GB004"
        or f.rule not in suppressed.get((f.path, f.object), ())
    ]


def to_finding(rule_id: str, severity: str, issue: Issue, source: FactsSource) -> Located:
    manifest = issue.manifest
    if manifest is None:
        path, line, obj = source.path, source.line_of(issue.path), source.object
    else:
        path, line, obj = manifest.path, manifest.line_of(issue.path), manifest.ref
    finding = Finding(path, line, severity, rule_id, obj, issue.message)  # type: ignore[arg-type]
    return Located(finding, manifest, issue.path)


def _suppressions(
    manifests: list[Manifest], rules: Mapping[str, object]
) -> tuple[dict[tuple[str, str], set[str]], list[Located]]:
    """Valid `ignore-check.gitops/<rule>: "reason"` annotations per object, and GB004 findings."""
    suppressed: dict[tuple[str, str], set[str]] = {}
    findings: list[Located] = []
    for manifest in manifests:
        annotations = manifest.metadata.get("annotations")
        if not isinstance(annotations, dict):
            continue
        for key, reason in annotations.items():
            if not isinstance(key, str) or not key.startswith(SUPPRESS_PREFIX):
                continue
            rule_id = key[len(SUPPRESS_PREFIX) :]
            field_path = ("metadata", "annotations", key)
            line = manifest.line_of(field_path)
            problem = None
            if rule_id not in rules or rule_id == "GB004":
                problem = f"{key}: there is no rule {rule_id!r} to suppress (see --list-rules)"
            elif not isinstance(reason, str) or not reason.strip():
                problem = (
                    f'{key} needs a reason as its value, e.g. {key}: "the image is vendored"; '
                    "the rule stays on until there is one"
                )
            if problem:
                finding = Finding(manifest.path, line, "error", "GB004", manifest.ref, problem)
                findings.append(Located(finding, manifest, field_path))
            else:
                suppressed.setdefault((manifest.path, manifest.ref), set()).add(rule_id)
    return suppressed, findings


def finish(findings: list[Finding]) -> list[Finding]:
    """Sorted by path, line, rule (then object and message), each finding once."""
    return sorted(set(findings), key=lambda f: (f.path, f.line, f.rule, f.object, f.message))


def apply_suppressions(findings: list[Finding], manifests: list[Manifest]) -> list[Finding]:
    suppressed, _ = _suppressions(manifests, all_rules())
    return [f for f in findings if f.rule not in suppressed.get((f.path, f.object), ())]
