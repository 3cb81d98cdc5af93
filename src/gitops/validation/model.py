"""The data the validator passes between its steps: manifests with line numbers, facts, findings.

Rules never parse YAML or walk files: the engine loads every document once into a `Manifest`
(plain data plus the line of every field) and hands rules what they declare they need.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from gitops.repo.environments import Environment

Severity = Literal["error", "warning"]
FieldPath = tuple[str | int, ...]

SUPPRESS_PREFIX = "ignore-check.gitops/"
"""`metadata.annotations["ignore-check.gitops/GB401"] = "reason"` silences GB401 for one object."""

DEFAULT_KUBERNETES_VERSION = "1.33"


@dataclass(frozen=True, order=True)
class Location:
    """A line of a file (path relative to the repository root)."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True, order=True)
class Finding:
    """What is wrong, where. In repository mode `path` and `line` name the source under `apps/`
    when it is certain (`gitops.validation.origins`), and `rendered` then keeps the rendered file
    under `clusters/`; otherwise `path` is the rendered file and `rendered` is None."""

    path: str
    line: int
    severity: Severity
    rule: str
    object: str
    message: str
    # Not compared: where it was rendered adds to a finding, it does not make another one.
    rendered: Location | None = field(default=None, compare=False)

    def format(self) -> str:
        where = f" (rendered: {self.rendered})" if self.rendered else ""
        return (
            f"{self.path}:{self.line}: {self.severity} {self.rule} {self.object}: "
            f"{self.message}{where}"
        )


@dataclass
class Manifest:
    """One YAML document that is a Kubernetes object, with the line of each of its fields."""

    path: str
    index: int
    obj: dict[str, Any]
    line: int
    lines: Mapping[FieldPath, int] = field(default_factory=dict)

    @property
    def api_version(self) -> str:
        return str(self.obj.get("apiVersion", ""))

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def metadata(self) -> dict[str, Any]:
        meta = self.obj.get("metadata")
        return meta if isinstance(meta, dict) else {}

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", ""))

    @property
    def namespace(self) -> str:
        return str(self.metadata.get("namespace") or "")

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def ref(self) -> str:
        """`Kind/namespace/name`, or `Kind/name` for an object without a namespace."""
        parts = [self.kind or "?", self.namespace, self.name or "?"]
        return "/".join(p for p in parts if p)

    def line_of(self, path: FieldPath) -> int:
        """Line of the field at `path`, or of its nearest existing parent, or of the document."""
        for end in range(len(path), 0, -1):
            found = self.lines.get(tuple(path[:end]))
            if found is not None:
                return found
        return self.line

    def get(self, path: FieldPath, default: Any = None) -> Any:
        node: Any = self.obj
        for part in path:
            if isinstance(part, int):
                if not isinstance(node, list) or part >= len(node):
                    return default
            elif not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node


@dataclass(frozen=True)
class Issue:
    """What a rule reports; the engine turns it into a Finding (path, line, object, rule)."""

    manifest: Manifest | None
    path: FieldPath
    message: str
    severity: Severity | None = None  # None: the rule's own severity


class Located(NamedTuple):
    """A finding with what it is about: the rendered object and the field path in it."""

    finding: Finding
    manifest: Manifest | None
    path: FieldPath


@dataclass(frozen=True)
class PodView:
    """A pod template found inside a workload, for rules that look at pods."""

    manifest: Manifest
    path: FieldPath  # path of the PodSpec inside the object, e.g. ("spec", "template", "spec")
    spec: dict[str, Any]
    labels: Mapping[str, str]

    def containers(self, *, init: bool = True) -> Iterator[tuple[FieldPath, dict[str, Any]]]:
        """(path, container) for containers, then init containers (and ephemeral ones)."""
        keys = ("containers", "initContainers", "ephemeralContainers") if init else ("containers",)
        for key in keys:
            items = self.spec.get(key)
            if isinstance(items, list):
                for i, container in enumerate(items):
                    if isinstance(container, dict):
                        yield (*self.path, key, i), container


POD_SPEC_PATHS: dict[str, FieldPath] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def pod_view(manifest: Manifest) -> PodView | None:
    """The pod template of a workload (None for other kinds or a malformed object)."""
    path = POD_SPEC_PATHS.get(manifest.kind)
    if path is None:
        return None
    spec = manifest.get(path)
    if not isinstance(spec, dict):
        return None
    meta_path = ("metadata",) if manifest.kind == "Pod" else (*path[:-1], "metadata")
    labels = manifest.get((*meta_path, "labels"), {}) or {}
    return PodView(manifest, path, spec, labels if isinstance(labels, dict) else {})


@dataclass(frozen=True)
class Facts:
    """What the validator knows about the cluster the manifests are for."""

    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    require_digest: bool = False
    namespace: str | None = None
    environment: str | None = None
    required_kinds: tuple[str, ...] = ()
    custom_resources: tuple[str, ...] = ()  # "group/version/Kind" or "apiVersion/Kind"
    complete: bool = False
    """The manifests are everything the cluster receives (an environment of this repository, or
    PATH mode with --complete): what they refer to must be among them (a Secret provided by a
    SealedSecret, a cert-manager Certificate or a Gateway's certificate, a ConfigMap, a
    ServiceAccount, the pods a selector means). Otherwise an object that is not among them may
    exist elsewhere, and its absence is a warning (`gitops.validation.rules._partial`)."""

    @classmethod
    def from_environment(cls, env: Environment) -> Facts:
        return cls(
            kubernetes_version=env.kubernetes_version,
            require_digest=env.require_digest,
            environment=env.name,
            required_kinds=env.required_kinds,
            custom_resources=env.custom_resources,
            complete=True,
        )


@dataclass
class Context:
    """Everything an environment-wide rule may look at: all manifests and the facts."""

    facts: Facts
    manifests: list[Manifest]

    def of_kind(self, *kinds: str) -> list[Manifest]:
        return [m for m in self.manifests if m.kind in kinds]

    def pods(self) -> list[PodView]:
        return [view for m in self.manifests if (view := pod_view(m)) is not None]
