"""One environment's objects, indexed once for the cross-object rules.

`index_of(ctx)` builds the index the first time a rule asks for it and then returns the same
object for that context: every GB3xx rule shares one pass over the manifests, and selector lookups
use an inverted (namespace, label, value) index instead of scanning every pod.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from gitops.validation.model import Context, FieldPath, Manifest, PodView, pod_view
from gitops.validation.rules._operators import operator_pods
from gitops.validation.rules._util import (
    as_dict,
    as_list,
    items_of,
    map_selector_matches,
    namespace_of,
    selector_matches,
)

SECRET_PROVIDER_KINDS = frozenset(
    {"Secret", "SealedSecret", "ExternalSecret", "Certificate", "Gateway", "Ingress"}
)
GATEWAY_GROUP = "gateway.networking.k8s.io"
CERT_MANAGER_GROUP = "cert-manager.io"
ISSUER_ANNOTATION = "cert-manager.io/issuer"
CLUSTER_ISSUER_ANNOTATION = "cert-manager.io/cluster-issuer"
ISSUER_KIND_ANNOTATION = "cert-manager.io/issuer-kind"
ISSUER_GROUP_ANNOTATION = "cert-manager.io/issuer-group"
IGNORE_TLS_LISTENERS_ANNOTATION = "cert-manager.io/ignore-tls-listeners"
CERTIFICATE_KEYS = frozenset({"tls.crt", "tls.key", "ca.crt"})
"""The keys of the Secret cert-manager writes for a Certificate (cert-manager's meta/v1 TLS*Key)."""
_OUTPUT_FORMAT_KEYS = {"DER": "key.der", "CombinedPEM": "tls-combined.pem"}
_KEYSTORE_KEYS = {
    "pkcs12": ("keystore.p12", "truststore.p12"),
    "jks": ("keystore.jks", "truststore.jks"),
}


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
    hint: str | None = None  # why nothing in the set provides it, when that is known


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

    def find_in_group(self, group: str, kind: str, namespace: str, name: str) -> Manifest | None:
        """The object of that API group and kind (a Gateway of gateway.networking.k8s.io, not
        some other API's Gateway); namespace "" for a cluster-scoped kind."""
        found = self.identities.get((group, kind, namespace, name))
        return found[0] if found else None

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
            for target, provided in _secrets_provided(manifest, ns):
                _provide(index.secret_keys, (ns, target), provided)
            if kind == "Gateway" and manifest.group == GATEWAY_GROUP:
                index.references.extend(_gateway_certificate_references(manifest, ns))
        view = pod_view(manifest)
        if view is not None:
            index.pods.append((ns, view))
            index.pods_by_ns[ns].append(view)
            for key, value in view.labels.items():
                if isinstance(value, str):
                    index.label_index[(ns, key, value)].append(view)
            index.references.extend(_pod_references(view, ns))
        _add_operator_pods(index, ns, manifest)
    return index


def _add_operator_pods(index: EnvIndex, ns: str, manifest: Manifest) -> None:
    """The pods an operator makes from `manifest`, for the selectors (they hold no references)."""
    for made in operator_pods(manifest):
        index.pods_by_ns[ns].append(made)
        for key, value in made.labels.items():
            index.label_index[(ns, key, value)].append(made)


def _provide(
    secret_keys: dict[tuple[str, str], set[str] | None],
    key: tuple[str, str],
    provided: set[str] | None,
) -> None:
    """Record that a Secret is made with `provided` keys (None: unknown); two objects that make
    the same Secret provide the keys of both."""
    if key not in secret_keys:
        secret_keys[key] = provided
        return
    known = secret_keys[key]
    secret_keys[key] = None if known is None or provided is None else known | provided


def _secrets_provided(manifest: Manifest, ns: str) -> Iterator[tuple[str, set[str] | None]]:
    """(name, keys or None when they cannot be known) of each Secret this object makes in its
    namespace: a Secret itself, a SealedSecret, an ExternalSecret, a cert-manager Certificate, or
    a Gateway/Ingress whose certificates cert-manager issues."""
    obj, kind = manifest.obj, manifest.kind
    spec = as_dict(obj.get("spec"))
    if kind == "Secret":
        yield manifest.name, set(as_dict(obj.get("data"))) | set(as_dict(obj.get("stringData")))
    elif kind == "SealedSecret":
        template = as_dict(spec.get("template"))
        name = as_dict(template.get("metadata")).get("name") or manifest.name
        keys = set(as_dict(spec.get("encryptedData"))) | set(as_dict(template.get("data")))
        yield str(name), keys
    elif kind == "ExternalSecret":
        target = as_dict(spec.get("target"))
        name = str(target.get("name") or manifest.name)
        if spec.get("dataFrom") or target.get("template"):
            yield name, None
        else:
            yield name, {str(d.get("secretKey")) for _, d in items_of(spec.get("data"))}
    elif manifest.group == CERT_MANAGER_GROUP and kind == "Certificate":
        if isinstance(spec.get("secretName"), str) and spec["secretName"]:
            yield spec["secretName"], _certificate_keys(spec)
    elif manifest.group == GATEWAY_GROUP and kind == "Gateway":
        yield from ((name, set(CERTIFICATE_KEYS)) for name in gateway_certificates(manifest, ns))
    elif manifest.group == "networking.k8s.io" and kind == "Ingress":
        yield from ((name, set(CERTIFICATE_KEYS)) for name in _ingress_certificates(manifest))


def _certificate_keys(spec: dict[str, Any]) -> set[str]:
    """The keys cert-manager writes to a Certificate's spec.secretName: tls.crt, tls.key, ca.crt,
    plus those of additionalOutputFormats and keystores (cert-manager v1.21.1 apis/certmanager/v1
    CertificateOutputFormat*Key, PKCS12*Key, JKS*Key)."""
    keys = set(CERTIFICATE_KEYS)
    for _, output in items_of(spec.get("additionalOutputFormats")):
        key = _OUTPUT_FORMAT_KEYS.get(str(output.get("type")))
        if key:
            keys.add(key)
    for store, names in _KEYSTORE_KEYS.items():
        if as_dict(as_dict(spec.get("keystores")).get(store)).get("create") is True:
            keys.update(names)
    return keys


@dataclass(frozen=True)
class ShimIssuer:
    """The issuer cert-manager's certificate-shim reads from a Gateway's or an Ingress's
    annotations (issuerForIngressLike in cert-manager v1.21.1 certificate-shim/sync.go)."""

    annotation: str  # the annotation that names it: cert-manager.io/cluster-issuer or /issuer
    name: str
    kind: str  # ClusterIssuer or Issuer, unless cert-manager.io/issuer-kind says otherwise
    group: str
    problem: str | None = None  # why cert-manager refuses these annotations (it issues nothing)


def shim_issuer(manifest: Manifest) -> ShimIssuer | None:
    """The issuer the cert-manager annotations of `manifest` name, None when it has none."""
    annotations = as_dict(manifest.metadata.get("annotations"))
    issuer = annotations.get(ISSUER_ANNOTATION)
    cluster_issuer = annotations.get(CLUSTER_ISSUER_ANNOTATION)
    if issuer is None and cluster_issuer is None:
        return None
    annotation = CLUSTER_ISSUER_ANNOTATION if cluster_issuer is not None else ISSUER_ANNOTATION
    name = str(annotations[annotation] or "")
    kind = str(annotations.get(ISSUER_KIND_ANNOTATION) or "")
    kind = kind or ("ClusterIssuer" if cluster_issuer is not None else "Issuer")
    group = str(annotations.get(ISSUER_GROUP_ANNOTATION) or CERT_MANAGER_GROUP)
    problem = None
    if issuer is not None and cluster_issuer is not None:
        problem = f"both {ISSUER_ANNOTATION} and {CLUSTER_ISSUER_ANNOTATION} are set"
    elif cluster_issuer is not None and ISSUER_GROUP_ANNOTATION in annotations:
        problem = f"both {CLUSTER_ISSUER_ANNOTATION} and {ISSUER_GROUP_ANNOTATION} are set"
    elif not name:
        problem = f"{annotation} names no issuer"
    return ShimIssuer(annotation, name, kind, group, problem)


def gateway_certificates(gateway: Manifest, ns: str) -> Iterator[str]:
    """The Secrets cert-manager issues for a Gateway annotated with an issuer: one Certificate per
    `tls.certificateRefs` Secret of each listener it does not skip (`shim_skips`)."""
    for _, listener in items_of(gateway.get(("spec", "listeners"))):
        if shim_skips(gateway, listener, ns) is None:
            refs = as_dict(listener.get("tls")).get("certificateRefs")
            yield from (str(ref["name"]) for _, ref in items_of(refs) if ref.get("name"))


def shim_skips(gateway: Manifest, listener: dict[str, Any], ns: str) -> str | None:
    """Why cert-manager issues no certificate for this listener of a Gateway, None when it does.

    Mirrors SyncFnFor, handleGatewayAPIListeners and validateGatewayListenerBlock of cert-manager
    v1.21.1 pkg/controller/certificate-shim/sync.go: the Gateway carries a valid issuer
    annotation; the listener's protocol is HTTPS or TLS, its tls mode Terminate (the API server's
    default when unset), it is not named in cert-manager.io/ignore-tls-listeners, it has a
    hostname and certificateRefs that are all core Secrets of the Gateway's own namespace (one that
    is not makes cert-manager skip the whole listener)."""
    issuer = shim_issuer(gateway)
    if issuer is None:
        return f"the Gateway has no {CLUSTER_ISSUER_ANNOTATION} or {ISSUER_ANNOTATION} annotation"
    annotations = as_dict(gateway.metadata.get("annotations"))
    ignored = str(annotations.get(IGNORE_TLS_LISTENERS_ANNOTATION) or "").split(",")
    tls = as_dict(listener.get("tls"))
    refs = [ref for _, ref in items_of(tls.get("certificateRefs"))]
    name = listener.get("name")
    checks = (
        (issuer.problem, f"cert-manager ignores the Gateway: {issuer.problem}"),
        (listener.get("protocol") not in ("HTTPS", "TLS"), f"listener {name!r} is not HTTPS/TLS"),
        (tls.get("mode", "Terminate") != "Terminate", f"listener {name!r} does not terminate TLS"),
        (
            isinstance(name, str) and name in {n.strip() for n in ignored},
            f"listener {name!r} is in {IGNORE_TLS_LISTENERS_ANNOTATION}",
        ),
        (not listener.get("hostname"), f"cert-manager skips listener {name!r}: it has no hostname"),
        (
            not refs or not all(_is_local_secret(ref, ns, lenient=True) for ref in refs),
            f"cert-manager skips listener {name!r}: one of its certificateRefs is not a Secret of "
            f"namespace {ns}",
        ),
    )
    return next((reason for failed, reason in checks if failed), None)


def _is_local_secret(ref: dict[str, Any], ns: str, *, lenient: bool = False) -> bool:
    """Whether a Gateway API SecretObjectReference names a Secret of namespace `ns` (group "",
    kind Secret by default; cert-manager also takes group "core" and an empty kind)."""
    groups = ("", "core") if lenient else ("",)
    kinds = ("Secret", "") if lenient else ("Secret",)
    return (
        ref.get("group", "") in groups
        and ref.get("kind", "Secret") in kinds
        and ref.get("namespace", ns) == ns
    )


def _ingress_certificates(ingress: Manifest) -> Iterator[str]:
    """The Secrets cert-manager issues for an Ingress annotated with an issuer: each tls entry
    with hosts and a secretName, unless two entries share a secretName (then none; sync.go's
    buildCertificates, validateIngressTLSBlock and checkForDuplicateSecretNames)."""
    issuer = shim_issuer(ingress)
    if issuer is None or issuer.problem:
        return
    entries = [tls for _, tls in items_of(ingress.get(("spec", "tls")))]
    names = [tls.get("secretName") for tls in entries]
    if len(set(map(str, names))) != len(names):
        return
    for tls in entries:
        if tls.get("hosts") and isinstance(tls.get("secretName"), str) and tls["secretName"]:
            yield tls["secretName"]


def _gateway_certificate_references(gateway: Manifest, ns: str) -> Iterator[Reference]:
    """A Gateway listener's tls.certificateRefs that name a Secret of its own namespace: the
    Secret must be provided like any other (a cross-namespace one needs a ReferenceGrant)."""
    for i, listener in items_of(gateway.get(("spec", "listeners"))):
        refs = as_dict(listener.get("tls")).get("certificateRefs")
        for k, ref in items_of(refs):
            name = ref.get("name")
            if isinstance(name, str) and name and _is_local_secret(ref, ns):
                path = ("spec", "listeners", i, "tls", "certificateRefs", k, "name")
                hint = shim_skips(gateway, listener, ns)
                yield Reference(gateway, path, "Secret", ns, name, hint=hint)


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
