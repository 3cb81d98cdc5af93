"""Which schema an object is checked against, and the GB1xx findings that come out of it.

For each object, in order: the release's built-in type (GB101 for every schema error, GB104 when
the apiVersion is deprecated and will be removed); a CRD rendered in the same set (its served
version's schema); a CRD vendored in `gitops.validation.crds` (Argo CD, Flux); for both, the
CRD's CEL rules (GB105, `gitops.validation.cel`); an apiVersion the
deprecation guide says was removed (GB102, naming the replacement); a kind the environment's facts
declare under customResources (accepted unchecked: the facts say the cluster serves it); anything
else is unknown (GB103), with the apiVersions that do serve that kind, or the closest kind name.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from typing import Any

from gitops.validation import cel, crds
from gitops.validation.model import Facts, Issue, Manifest
from gitops.validation.schema import apiversions
from gitops.validation.schema.messages import describe
from gitops.validation.schema.release import Checker, Release, release_for

RuleIssue = tuple[str, Issue]
CRD_KIND = "CustomResourceDefinition"


class SchemaCheck:
    """Checks the objects of one environment against what its cluster serves."""

    def __init__(self, facts: Facts, manifests: Sequence[Manifest]) -> None:
        self.facts = facts
        self.release: Release = release_for(facts.kubernetes_version)
        self.declared = frozenset(facts.custom_resources)
        self.crds: dict[tuple[str, str], dict[str, Any]] = {}  # (group, kind) → CRD object
        self.crd_files: dict[tuple[str, str], str] = {}
        for manifest in manifests:
            if manifest.kind == CRD_KIND and manifest.api_version.startswith("apiextensions."):
                spec = manifest.obj.get("spec")
                names = spec.get("names") if isinstance(spec, dict) else None
                if (
                    isinstance(spec, dict)
                    and isinstance(names, dict)
                    and isinstance(spec.get("group"), str)
                ):
                    self.crds[(spec["group"], str(names.get("kind")))] = manifest.obj
                    self.crd_files[(spec["group"], str(names.get("kind")))] = manifest.path

    def check(self, manifest: Manifest) -> list[RuleIssue]:
        """The GB1xx findings of one object (a malformed CRD or object never raises)."""
        try:
            return list(self._check(manifest))
        except Exception as exc:
            message = (
                f"the object cannot be checked against its schema: {type(exc).__name__}: {exc}"
            )
            return [("GB101", Issue(manifest, (), message))]

    def _check(self, manifest: Manifest) -> Iterator[RuleIssue]:
        api_version, kind = manifest.api_version, manifest.kind
        checker = self.release.checker(api_version, kind)
        if checker is not None:
            yield from self._run(checker, manifest)
            row = apiversions.scheduled_removal(api_version, kind, self.release.version)
            if row is not None:
                message = (
                    f"{kind} {api_version} is deprecated and no longer served from Kubernetes "
                    f"{row.removed_in}; {self._advice(row)}"
                )
                yield "GB104", Issue(manifest, ("apiVersion",), message)
            return
        custom = self._custom_schema(manifest)
        if custom is not None:
            if custom:
                try:
                    found = list(self._run(self.release.custom_checker(custom), manifest))
                except Exception:  # jsonschema's TypeError, UnknownType, SchemaError…
                    return  # a malformed CRD in the set (`type: true`): its own check reports it
                yield from found
                yield from self._cel(manifest)
            return
        row = apiversions.removed_in(api_version, kind, self.release.version)
        if row is not None:
            message = (
                f"{kind} {api_version} was removed in Kubernetes {row.removed_in} (this cluster "
                f"runs {self.facts.kubernetes_version}); {self._advice(row)}"
            )
            yield "GB102", Issue(manifest, ("apiVersion",), message)
            return
        if f"{api_version}/{kind}" in self.declared:
            return
        yield "GB103", Issue(manifest, ("kind",), self._unknown(api_version, kind))

    def _run(self, checker: Checker, manifest: Manifest) -> Iterator[RuleIssue]:
        problems = checker.problems(manifest.obj)
        seen: set[tuple[Any, str]] = set()
        for problem in problems:
            if problem.instance is None and problem.keyword in ("oneOf", "type"):
                continue  # null means "not set" to the API server
            for path, message in describe(problem):
                if (path, message) not in seen:
                    seen.add((path, message))
                    yield "GB101", Issue(manifest, path, message)

    def _custom_schema(self, manifest: Manifest) -> dict[str, Any] | None:
        """The schema of a custom resource ({} when it exists but cannot be checked), or None."""
        group, _, version = manifest.api_version.rpartition("/")
        crd = self.crds.get((group, manifest.kind))
        if crd is not None:
            try:
                schema = crds.schema_from_crd(crd, version)
            except (AttributeError, TypeError, ValueError):
                return {}  # a malformed CRD: its own schema check reports it
            if schema is not None:
                return schema
            served = {api for api, _ in crds.crd_kinds(crd)}
            return {} if manifest.api_version in served else None
        return crds.crd_schema(manifest.api_version, manifest.kind)

    def _cel(self, manifest: Manifest) -> Iterator[RuleIssue]:
        """GB105: the CEL rules of the CRD whose schema `_custom_schema` chose."""
        group, _, version = manifest.api_version.rpartition("/")
        key = (group, manifest.kind)
        if key in self.crds:
            found = crds.version_schema_from_crd(self.crds[key], version)
            origin = f"CRD in {self.crd_files[key]}"
        else:
            found = crds.version_schema(manifest.api_version, manifest.kind)
            origin = "vendored"
        if found is not None and found.cel_rules:
            label = f"{manifest.kind} {manifest.api_version}"
            for issue in cel.check(manifest, found, label, origin):
                yield cel.RULE_ID, issue

    def _advice(self, row: apiversions.Removal) -> str:
        served = apiversions.by_preference(self.release.kinds.get(row.kind, []))
        if not row.replacement or row.replacement in served or not served:
            return row.advice()
        return (
            f"use apiVersion: {' or '.join(served)} (served by Kubernetes {self.release.version})"
        )

    def _unknown(self, api_version: str, kind: str) -> str:
        where = f"Kubernetes {self.release.version}"
        builtin = apiversions.by_preference(self.release.kinds.get(kind, []))
        if builtin:
            return f"{where} does not serve {kind} in {api_version}; use apiVersion: {builtin[0]}"
        custom = [api for api, k in crds.known_kinds() if k == kind]
        for crd in self.crds.values():
            custom += [api for api, k in crds.crd_kinds(crd) if k == kind and api not in custom]
        if custom:
            custom = apiversions.by_preference(custom)
            return (
                f"{api_version} is not a served version of {kind} (its CRD serves "
                f"{', '.join(custom)}); use apiVersion: {custom[0]}"
            )
        names = {*self.release.kinds, *(k for _, k in crds.known_kinds())}
        names |= {k for _, k in self.crds}
        guess = difflib.get_close_matches(kind, sorted(names), n=1, cutoff=0.75)
        if guess:
            api = (apiversions.by_preference(self.release.kinds.get(guess[0], [])) or [""])[0]
            hint = f" with apiVersion: {api}" if api else ""
            return f"unknown kind {kind!r} in {api_version}: did you mean {guess[0]!r}{hint}?"
        declare = (
            f"declare it in the environment's customResources as {api_version}/{kind}"
            if self.facts.environment
            else f"pass --custom-resource {api_version}/{kind}"
        )
        return (
            f"no schema for {kind} in {api_version} ({where}, no CRD for it in this set): add its "
            f"CustomResourceDefinition to the manifests, or {declare}"
        )
