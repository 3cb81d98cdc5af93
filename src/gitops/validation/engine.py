"""The validator: load every file once, check schemas, feed the rules, apply suppressions.

    validate_repository(layout)      committed clusters/ == a fresh render (GB501), every
                                     environment against its own facts, and bootstrap/
    validate_paths(paths, facts)     plain manifests (files or folders), as one set

Findings come back sorted by path, line and rule, without duplicates. Paths are relative to the
repository root (repository mode) or to the working directory (PATH mode) where possible. In
repository mode a finding about an object names the file of apps/ it came from where that is
certain, with the rendered file of clusters/ kept beside it (`gitops.validation.origins`).
Configuration problems (facts, an unsupported Kubernetes version, a missing kustomize) raise
`ConfigError`; everything wrong with the manifests themselves is a finding.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from gitops.environments import Environment, load_environments
from gitops.errors import GitopsError, ToolMissing
from gitops.layout import Layout
from gitops.validation import origins, repository
from gitops.validation.dispatch import run_rules
from gitops.validation.files import collect_files, shown_path, yaml_files
from gitops.validation.loader import NO_OBJECT, field_lines, load_bytes, load_file
from gitops.validation.model import SUPPRESS_PREFIX, Facts, FieldPath, Finding, Issue, Manifest
from gitops.validation.origins import Located
from gitops.validation.registry import all_rules
from gitops.validation.schemacheck import SchemaCheck

__all__ = ["Facts", "FactsSource", "check_manifests", "validate_paths", "validate_repository"]


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
def _gc_paused() -> Iterator[None]:
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


def validate_paths(paths: Sequence[Path], facts: Facts) -> list[Finding]:
    """Validate plain manifests: files, or folders (their .yaml/.yml files), as one set."""
    files = collect_files(paths)
    with _gc_paused():
        manifests: list[Manifest] = []
        findings: list[Finding] = []
        for path in files:
            loaded = load_file(path, shown_path(path))
            manifests.extend(loaded.manifests)
            findings.extend(loaded.findings)
        findings.extend(check_manifests(manifests, facts))
        return finish(findings)


def check_manifests(
    manifests: list[Manifest], facts: Facts, source: FactsSource | None = None
) -> list[Finding]:
    """Schema and every rule for one set of objects (one environment), suppressions applied."""
    return [item.finding for item in _check(manifests, facts, source)]


def _check(
    manifests: list[Manifest], facts: Facts, source: FactsSource | None = None
) -> list[Located]:
    """`check_manifests`, each finding with the object and field path it is about."""
    rules = all_rules()
    source = source or FactsSource()
    schema = SchemaCheck(facts, manifests)
    suppressed, findings = _suppressions(manifests, rules)
    for manifest in manifests:
        for rule_id, issue in schema.check(manifest):
            findings.append(_finding(rules[rule_id].id, rules[rule_id].severity, issue, source))
    for rule_obj, issue in run_rules(manifests, facts, rules):
        findings.append(_finding(rule_obj.id, issue.severity or rule_obj.severity, issue, source))
    return [
        item
        for item in findings
        if (f := item.finding).rule == "GB004"
        or f.rule not in suppressed.get((f.path, f.object), ())
    ]


def _finding(rule_id: str, severity: str, issue: Issue, source: FactsSource) -> Located:
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


# ---- the repository ---------------------------------------------------------------------------


def validate_repository(
    layout: Layout, rendered: Mapping[str, Mapping[str, bytes]] | None = None
) -> list[Finding]:
    """Render check, every environment against its facts, and bootstrap/.

    `rendered` ({env: {path: bytes}}) skips rendering when the caller just rendered (bump,
    promote); by default every environment is rendered afresh, concurrently.
    """
    environments = load_environments(layout)
    names = [env.name for env in environments]
    findings: list[Finding] = []
    if rendered is None:
        rendered, failures = render_concurrently(layout, environments)
        findings.extend(failures)
    with _gc_paused():
        findings.extend(repository.sync_findings(layout, rendered, names))
        checked = {
            env.name: _check_environment(layout, env, rendered[env.name])
            for env in environments
            if env.name in rendered
        }
        overlays = {env.name: env.overlay_dir for env in environments}
        findings.extend(origins.attribute_environments(layout, overlays, checked))
        folders = repository.rendered_folders(layout, rendered)
        findings.extend(_check_bootstrap(layout, environments, folders))
        return finish(findings)


def render_concurrently(
    layout: Layout, environments: list[Environment]
) -> tuple[dict[str, dict[str, bytes]], list[Finding]]:
    """Render every environment (kustomize runs in parallel); a failed one becomes GB503."""
    from gitops import render

    def one(env: Environment) -> dict[str, bytes] | GitopsError:
        try:
            return render.render_environment(layout, env.name)
        except ToolMissing:
            raise
        except GitopsError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=max(1, min(4, len(environments)))) as pool:
        results = list(pool.map(one, environments))
    rendered: dict[str, dict[str, bytes]] = {}
    failures: list[Finding] = []
    for env, result in zip(environments, results, strict=True):
        if isinstance(result, GitopsError):
            overlay = layout.relative(env.overlay_dir / "kustomization.yaml").as_posix()
            path = layout.relative(result.path).as_posix() if result.path else overlay
            message = f"environment {env.name} does not render: {result.message}"
            failures.append(
                Finding(
                    path, result.line or 1, "error", "GB503", f"environment/{env.name}", message
                )
            )
        else:
            rendered[env.name] = result
    return rendered, failures


def _check_environment(
    layout: Layout, env: Environment, files: Mapping[str, bytes]
) -> list[Located]:
    """Every object of one environment against its facts (findings at the rendered files)."""
    base = layout.relative(layout.cluster_dir(env.name)).as_posix()
    manifests: list[Manifest] = []
    findings: list[Located] = []
    for name, data in sorted(files.items()):
        loaded = load_bytes(data, f"{base}/{name}")
        manifests.extend(loaded.manifests)
        findings.extend(Located(f, None, ()) for f in loaded.findings)
    facts_text = env.facts_file.read_text(encoding="utf-8")
    source = FactsSource(
        layout.relative(env.facts_file).as_posix(),
        field_lines(facts_text),
        f"environment/{env.name}",
    )
    findings.extend(_check(manifests, Facts.from_environment(env), source))
    return findings


def _check_bootstrap(
    layout: Layout, environments: list[Environment], folders: set[str]
) -> list[Finding]:
    """The controllers' entry points: each folder of bootstrap/ is one cluster's set, checked
    with the Kubernetes version of the environment its path names (else the oldest one)."""
    folder = layout.bootstrap_dir
    if not folder.is_dir():
        return []
    by_name = {env.name: env for env in environments}
    oldest = min((env.kubernetes_version for env in environments), key=_minor, default=None)
    groups: dict[Path, list[Path]] = {}
    for path in yaml_files(folder):
        groups.setdefault(path.parent, []).append(path)
    findings: list[Finding] = []
    for group, files in sorted(groups.items()):
        manifests: list[Manifest] = []
        for path in files:
            loaded = load_file(path, layout.relative(path).as_posix())
            manifests.extend(loaded.manifests)
            findings.extend(loaded.findings)
        env = next((by_name[p] for p in reversed(group.parts) if p in by_name), None)
        version = env.kubernetes_version if env else oldest
        facts = Facts(environment="bootstrap", secrets=None)
        facts = replace(facts, kubernetes_version=version) if version else facts
        checked = check_manifests(manifests, facts)
        for manifest in manifests:
            for issue in repository.bootstrap_path_issues(manifest, layout, folders):
                checked.append(_finding("GB502", "error", issue, FactsSource()).finding)
        findings.extend(_apply_suppressions(checked, manifests))
    return findings


def _apply_suppressions(findings: list[Finding], manifests: list[Manifest]) -> list[Finding]:
    suppressed, _ = _suppressions(manifests, all_rules())
    return [f for f in findings if f.rule not in suppressed.get((f.path, f.object), ())]


def _minor(version: str) -> int:
    from gitops.validation.apiversions import minor

    return minor(version)
