"""One environment's objects, indexed once for the cross-object rules.

`index_of(ctx)` builds the index the first time a rule asks for it and then returns the same
object for that context: every GB3xx rule shares one pass over the manifests, and selector lookups
use an inverted (namespace, label, value) index instead of scanning every pod.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from gitops.validation.model import Context, FieldPath, Manifest, PodView, pod_view
from gitops.validation.rules._util import (
    as_dict,
    as_list,
    items_of,
    map_selector_matches,
    namespace_of,
    selector_matches,
)

SECRET_PROVIDER_KINDS = frozenset({"Secret", "SealedSecret", "ExternalSecret"})


@dataclass(slots=True)
class Reference:
    """A field of `manifest` at `path` that names a `kind` object (and maybe one of its keys)."""

    manifest: Manifest
    path: FieldPath
    kind: str  # ConfigMap, Secret, ServiceAccount, PersistentVolumeClaim
    namespace: str
    name: str
    key: str | None = None
    key_path: FieldPath | None = None
    optional: bool = False


@dataclass
class EnvIndex:
    default_namespace: str | None
    objects: dict[tuple[str, str, str], Manifest] = field(default_factory=dict)
    by_kind: dict[str, list[Manifest]] = field(default_factory=dict)
    identities: dict[tuple[str, str, str, str], list[Manifest]] = field(default_factory=dict)
    pods: list[tuple[str, PodView]] = field(default_factory=list)
    pods_by_ns: dict[str, list[PodView]] = field(default_factory=lambda: defaultdict(list))
    label_index: dict[tuple[str, str, Any], list[PodView]] = field(
        default_factory=lambda: defaultdict(list)
    )
    config_keys: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    secret_keys: dict[tuple[str, str], set[str] | None] = field(default_factory=dict)
    references: list[Reference] = field(default_factory=list)

    def ns(self, manifest: Manifest) -> str:
        return namespace_of(manifest, self.default_namespace)

    def of_kind(self, kind: str) -> list[Manifest]:
        return self.by_kind.get(kind, [])

    def find(self, kind: str, namespace: str, name: str) -> Manifest | None:
        return self.objects.get((kind, namespace, name))

    def pods_matching_map(self, namespace: str, selector: dict[str, Any]) -> list[PodView]:
        """Pod templates in `namespace` whose labels include every pair of `selector`."""
        if not selector:
            return list(self.pods_by_ns.get(namespace, ()))
        if not all(isinstance(v, str) for v in selector.values()):
            return []  # a malformed selector (GB205 reports it) selects nothing
        candidates = min(
            (self.label_index.get((namespace, k, v), []) for k, v in selector.items()), key=len
        )
        return [view for view in candidates if map_selector_matches(selector, view.labels)]

    def pods_matching(self, namespace: str, selector: dict[str, Any]) -> list[PodView]:
        """Pod templates in `namespace` that a metav1.LabelSelector selects ({} selects all)."""
        match_labels = as_dict(selector.get("matchLabels"))
        candidates = (
            self.pods_matching_map(namespace, match_labels)
            if match_labels
            else self.pods_by_ns.get(namespace, [])
        )
        return [view for view in candidates if selector_matches(selector, view.labels)]


_CACHE: dict[int, tuple[Context, int, EnvIndex]] = {}
_CACHE_SIZE = 4


def index_of(ctx: Context) -> EnvIndex:
    cached = _CACHE.get(id(ctx))
    if cached is not None and cached[0] is ctx and cached[1] == len(ctx.manifests):
        return cached[2]
    index = build_index(ctx.manifests, ctx.facts.namespace)
    while len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(ctx)] = (ctx, len(ctx.manifests), index)  # holding ctx keeps its id unique
    return index


def build_index(manifests: Iterable[Manifest], default_namespace: str | None) -> EnvIndex:
    index = EnvIndex(default_namespace)
    for manifest in manifests:
        ns = index.ns(manifest)
        kind, name = manifest.kind, manifest.name
        index.objects.setdefault((kind, ns, name), manifest)
        index.by_kind.setdefault(kind, []).append(manifest)
        identity = (manifest.group, kind, ns, name)
        index.identities.setdefault(identity, []).append(manifest)
        if kind == "ConfigMap":
            keys = set(as_dict(manifest.obj.get("data"))) | set(
                as_dict(manifest.obj.get("binaryData"))
            )
            index.config_keys[(ns, name)] = keys
        elif kind in SECRET_PROVIDER_KINDS:
            target, provided = _secret_provided(manifest)
            index.secret_keys[(ns, target)] = provided
        view = pod_view(manifest)
        if view is not None:
            index.pods.append((ns, view))
            index.pods_by_ns[ns].append(view)
            for key, value in view.labels.items():
                if isinstance(value, str):
                    index.label_index[(ns, key, value)].append(view)
            index.references.extend(_pod_references(view, ns))
    return index


def _secret_provided(manifest: Manifest) -> tuple[str, set[str] | None]:
    """(name of the Secret this object makes, its keys or None when they cannot be known)."""
    obj = manifest.obj
    if manifest.kind == "Secret":
        return manifest.name, set(as_dict(obj.get("data"))) | set(as_dict(obj.get("stringData")))
    spec = as_dict(obj.get("spec"))
    if manifest.kind == "SealedSecret":
        template = as_dict(spec.get("template"))
        name = as_dict(template.get("metadata")).get("name") or manifest.name
        return str(name), set(as_dict(spec.get("encryptedData"))) | set(
            as_dict(template.get("data"))
        )
    target = as_dict(spec.get("target"))
    name = str(target.get("name") or manifest.name)
    if spec.get("dataFrom") or target.get("template"):
        return name, None
    return name, {str(d.get("secretKey")) for _, d in items_of(spec.get("data"))}


def _pod_references(view: PodView, ns: str) -> Iterable[Reference]:
    manifest, spec = view.manifest, view.spec
    for cpath, container in view.containers():
        yield from _container_references(manifest, cpath, container, ns)
    for i, volume in items_of(spec.get("volumes")):
        vpath = (*view.path, "volumes", i)
        yield from _volume_references(manifest, vpath, volume, ns)
    for i, secret in items_of(spec.get("imagePullSecrets")):
        if secret.get("name"):
            path = (*view.path, "imagePullSecrets", i, "name")
            yield Reference(manifest, path, "Secret", ns, str(secret["name"]))
    account = spec.get("serviceAccountName") or spec.get("serviceAccount")
    if isinstance(account, str) and account and account != "default":
        key = "serviceAccountName" if spec.get("serviceAccountName") else "serviceAccount"
        yield Reference(manifest, (*view.path, key), "ServiceAccount", ns, account)


def _container_references(
    manifest: Manifest, cpath: FieldPath, container: dict[str, Any], ns: str
) -> Iterable[Reference]:
    """ConfigMaps and Secrets a container's `env` (by key) and `envFrom` (whole) read."""
    for i, env in items_of(container.get("env")):
        value_from = as_dict(env.get("valueFrom"))
        for key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
            ref = value_from.get(key)
            if isinstance(ref, dict) and ref.get("name"):
                path = (*cpath, "env", i, "valueFrom", key)
                yield Reference(
                    manifest, (*path, "name"), kind, ns, str(ref["name"]),
                    key=str(ref.get("key")), key_path=(*path, "key"),
                    optional=ref.get("optional") is True,
                )  # fmt: skip
    for i, source in items_of(container.get("envFrom")):
        for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            ref = source.get(key)
            if isinstance(ref, dict) and ref.get("name"):
                path = (*cpath, "envFrom", i, key, "name")
                optional = ref.get("optional") is True
                yield Reference(manifest, path, kind, ns, str(ref["name"]), optional=optional)


def _volume_sources(vpath: FieldPath, volume: dict[str, Any]) -> list[tuple[FieldPath, str, Any]]:
    """(path, kind, source) of each ConfigMap or Secret a volume mounts, projected ones too."""
    sources: list[tuple[FieldPath, str, Any]] = []
    if isinstance(volume.get("configMap"), dict):
        sources.append(((*vpath, "configMap"), "ConfigMap", volume["configMap"]))
    if isinstance(volume.get("secret"), dict):
        sources.append(((*vpath, "secret"), "Secret", volume["secret"]))
    for j, source in items_of(as_dict(volume.get("projected")).get("sources")):
        spath = (*vpath, "projected", "sources", j)
        for key, kind in (("configMap", "ConfigMap"), ("secret", "Secret")):
            if isinstance(source.get(key), dict):
                sources.append(((*spath, key), kind, source[key]))
    return sources


def _volume_references(
    manifest: Manifest, vpath: FieldPath, volume: dict[str, Any], ns: str
) -> Iterable[Reference]:
    for path, kind, source in _volume_sources(vpath, volume):
        name_key = "secretName" if kind == "Secret" and path[-1] == "secret" else "name"
        name = source.get(name_key)
        if not name:
            continue
        optional = source.get("optional") is True
        yield Reference(manifest, (*path, name_key), kind, ns, str(name), optional=optional)
        for k, item in items_of(as_list(source.get("items"))):
            if item.get("key") is not None:
                yield Reference(
                    manifest, (*path, name_key), kind, ns, str(name), key=str(item["key"]),
                    key_path=(*path, "items", k, "key"), optional=optional,
                )  # fmt: skip
    claim = as_dict(volume.get("persistentVolumeClaim")).get("claimName")
    if isinstance(claim, str) and claim:
        path = (*vpath, "persistentVolumeClaim", "claimName")
        yield Reference(manifest, path, "PersistentVolumeClaim", ns, claim)
