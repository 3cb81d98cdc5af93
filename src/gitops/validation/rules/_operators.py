"""The pods that known operators make from custom resources, as selector rules see them.

A Service, PodDisruptionBudget or NetworkPolicy next to a prometheus-operator `Prometheus` selects
pods that no manifest of the set describes: the operator makes a StatefulSet for the custom
resource, whose pods carry labels the operator chooses. `operator_pods(manifest)` gives those pods
as `PodView`s (labels, and the containers' ports for targetPort checks), so that the cross-object
rules find them like the pod templates of the set's own workloads. They are not real templates:
the pod rules never see them and nothing points into them.

The labels and ports are those of the operators' source, at the commits cited:

- prometheus-operator (github.com/prometheus-operator/prometheus-operator, commit
  6adcebc5076c34f4f55f8f5f7b1e528929373ac7, v0.93.0-24): pods of a `Prometheus` carry
  `spec.podMetadata.labels` and then `makeSelectorLabels` of pkg/prometheus/server/operator.go
  (`app.kubernetes.io/name: prometheus`, `app.kubernetes.io/managed-by: prometheus-operator`,
  `app.kubernetes.io/instance: NAME`, `operator.prometheus.io/name: NAME`, `prometheus: NAME`)
  and `operator.prometheus.io/shard: "N"` for each shard (pkg/prometheus/server/statefulset.go,
  `makeStatefulSetSpec`); a `PrometheusAgent` the same with `app.kubernetes.io/name:
  prometheus-agent` and no `prometheus` label (pkg/prometheus/agent/operator.go), no shard label
  in DaemonSet mode (pkg/prometheus/agent/daemonset.go); an `Alertmanager` `alertmanager: NAME`
  and `app.kubernetes.io/name: alertmanager` (pkg/alertmanager/operator.go); a `ThanosRuler`
  `thanos-ruler: NAME` and `app.kubernetes.io/name: thanos-ruler` (pkg/thanos/operator.go). The
  custom resource's own metadata.labels go to the StatefulSet, not to its pods. Ports:
  `MakeContainerPorts` (pkg/prometheus/common.go: spec.portName, default "web", 9090), the
  thanos-sidecar's http 10902 and grpc 10901 (statefulset.go), Alertmanager's web 9093 and
  mesh-tcp/mesh-udp 9094 (pkg/alertmanager/statefulset.go), ThanosRuler's grpc 10901 and web 10902
  (pkg/thanos/statefulset.go), the config-reloader's reloader-web 8080
  (pkg/operator/config_reloader.go); `listenLocal` drops the web ports.
- CloudNativePG (github.com/cloudnative-pg/cloudnative-pg, commit
  a95a534dbe0854495b863bbc1b7651f74d310916): the instances of a `Cluster` carry
  `spec.inheritedMetadata.labels` and the labels of `buildInstance` (pkg/specs/pods.go:
  `cnpg.io/cluster`, `cnpg.io/instanceName: NAME-N`, `cnpg.io/podRole: instance`,
  `app.kubernetes.io/name: postgresql`, `app.kubernetes.io/instance: NAME`,
  `app.kubernetes.io/component: database`, `app.kubernetes.io/managed-by: cloudnative-pg`), and
  the instance manager adds `role` and `cnpg.io/instanceRole` (primary or replica,
  pkg/reconciler/instance/metadata.go); ports postgresql 5432, metrics 9187, status 8000. A
  `Pooler`'s pods carry its spec.template's labels and `cnpg.io/poolerName`, `cnpg.io/cluster`,
  `cnpg.io/podRole: pooler`, `app.kubernetes.io/component: pooler` (pkg/specs/pgbouncer/
  deployments.go); ports pgbouncer 5432, metrics 9127.

Sealed Secrets needs nothing here: the Secret a SealedSecret makes is known to the reference
rules (`_index._secrets_provided`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from gitops.validation.model import Manifest, PodView
from gitops.validation.rules._util import as_dict, items_of

MONITORING_GROUP = "monitoring.coreos.com"
CNPG_GROUP = "postgresql.cnpg.io"
_MANAGED_BY = "app.kubernetes.io/managed-by"
_NAME = "app.kubernetes.io/name"
_INSTANCE = "app.kubernetes.io/instance"
_VERSION = "app.kubernetes.io/version"
_COMPONENT = "app.kubernetes.io/component"
_SHARD = "operator.prometheus.io/shard"
_RELOADER = ("config-reloader", [("reloader-web", 8080, "TCP")])
_MAX_PODS = 64  # shards or instances modelled per custom resource

Port = tuple[str, int, str]
Container = tuple[str, list[Port]]


def operator_pods(manifest: Manifest) -> list[PodView]:
    """The pods an operator makes from `manifest` ([] for anything else)."""
    if manifest.kind not in _KINDS:  # the common case, cheaply (every object passes here)
        return []
    make = _MAKERS.get((manifest.group, manifest.kind))
    if make is None or not isinstance(manifest.obj.get("spec"), dict):
        return []
    return list(make(manifest))


def _view(manifest: Manifest, labels: dict[str, Any], containers: list[Container]) -> PodView:
    """A pod of `manifest` with these labels and containers; the custom resource's own
    spec.containers (which the operators merge into theirs by name) add their ports."""
    made: list[dict[str, Any]] = [
        {
            "name": name,
            "ports": [
                {"name": port, "containerPort": number, "protocol": protocol}
                for port, number, protocol in ports
            ],
        }
        for name, ports in containers
    ]
    for _, extra in items_of(manifest.get(("spec", "containers"))):
        made.append({"name": extra.get("name"), "ports": extra.get("ports") or []})
    text = {str(k): v for k, v in labels.items() if isinstance(v, str)}
    return PodView(manifest, ("spec",), {"containers": made}, text)


def _count(value: Any, default: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return default
    return min(value, _MAX_PODS)


def _pod_metadata_labels(spec: dict[str, Any], key: str = "podMetadata") -> dict[str, Any]:
    return dict(as_dict(as_dict(spec.get(key)).get("labels")))


def _version_label(spec: dict[str, Any]) -> dict[str, str]:
    """app.kubernetes.io/version as the operator writes it (semver without the "v") when
    spec.version names one; without it the operator's default version is not known here."""
    version = spec.get("version")
    if isinstance(version, str) and version.lstrip("v")[:1].isdigit():
        return {_VERSION: version.lstrip("v")}
    return {}


def _listens(spec: dict[str, Any]) -> bool:
    return spec.get("listenLocal") is not True


def _port_name(spec: dict[str, Any]) -> str:
    name = spec.get("portName")
    return name if isinstance(name, str) and name else "web"


def _reloader(spec: dict[str, Any]) -> list[Container]:
    signal = spec.get("reloadStrategy") == "ProcessSignal"  # then listenLocal is not passed on
    return [_RELOADER] if _listens(spec) or signal else [("config-reloader", [])]


def _prometheus(manifest: Manifest, app: str = "prometheus") -> Iterator[PodView]:
    spec, name = as_dict(manifest.obj["spec"]), manifest.name
    web = [(_port_name(spec), 9090, "TCP")] if _listens(spec) else []
    containers: list[Container] = [("prometheus", web), *_reloader(spec)]
    if app == "prometheus" and isinstance(spec.get("thanos"), dict):
        containers.append(("thanos-sidecar", [("http", 10902, "TCP"), ("grpc", 10901, "TCP")]))
    selector = {
        _NAME: app,
        _MANAGED_BY: "prometheus-operator",
        _INSTANCE: name,
        "operator.prometheus.io/name": name,
    }
    if app == "prometheus":
        selector["prometheus"] = name
    base = {**_version_label(spec), **_pod_metadata_labels(spec), **selector}
    if app == "prometheus-agent" and spec.get("mode") == "DaemonSet":
        yield _view(manifest, base, containers)
        return
    for shard in range(_count(spec.get("shards"))):
        yield _view(manifest, {**base, _SHARD: str(shard)}, containers)


def _alertmanager(manifest: Manifest) -> Iterator[PodView]:
    spec, name = as_dict(manifest.obj["spec"]), manifest.name
    web = [(_port_name(spec), 9093, "TCP")] if _listens(spec) else []
    mesh = [("mesh-tcp", 9094, "TCP"), ("mesh-udp", 9094, "UDP")]
    selector = {
        _NAME: "alertmanager",
        _MANAGED_BY: "prometheus-operator",
        _INSTANCE: name,
        "alertmanager": name,
    }
    labels = {**_version_label(spec), **_pod_metadata_labels(spec), **selector}
    yield _view(manifest, labels, [("alertmanager", [*web, *mesh]), *_reloader(spec)])


def _thanos_ruler(manifest: Manifest) -> Iterator[PodView]:
    spec, name = as_dict(manifest.obj["spec"]), manifest.name
    web = [(_port_name(spec), 10902, "TCP")] if _listens(spec) else []
    selector = {
        _NAME: "thanos-ruler",
        _MANAGED_BY: "prometheus-operator",
        _INSTANCE: name,
        "thanos-ruler": name,
    }
    labels = {**_pod_metadata_labels(spec), **selector, **_version_label(spec)}
    ports = [("grpc", 10901, "TCP"), *web]
    yield _view(manifest, labels, [("thanos-ruler", ports), *_reloader(spec)])


def _cnpg_cluster(manifest: Manifest) -> Iterator[PodView]:
    spec, name = as_dict(manifest.obj["spec"]), manifest.name
    ports: list[Port] = [("postgresql", 5432, "TCP"), ("metrics", 9187, "TCP")]
    containers: list[Container] = [("postgres", [*ports, ("status", 8000, "TCP")])]
    inherited = _pod_metadata_labels(spec, "inheritedMetadata")
    for serial in range(1, _count(spec.get("instances")) + 1):
        role = "primary" if serial == 1 else "replica"
        labels = {
            **inherited,
            "cnpg.io/cluster": name,
            "cnpg.io/instanceName": f"{name}-{serial}",
            "cnpg.io/podRole": "instance",
            _NAME: "postgresql",
            _INSTANCE: name,
            _COMPONENT: "database",
            _MANAGED_BY: "cloudnative-pg",
            "role": role,
            "cnpg.io/instanceRole": role,
        }
        yield _view(manifest, labels, containers)


def _cnpg_pooler(manifest: Manifest) -> Iterator[PodView]:
    spec, name = as_dict(manifest.obj["spec"]), manifest.name
    cluster = as_dict(spec.get("cluster")).get("name")
    template = as_dict(as_dict(spec.get("template")).get("metadata")).get("labels")
    labels = {
        **as_dict(template),
        "cnpg.io/poolerName": name,
        "cnpg.io/podRole": "pooler",
        _NAME: "postgresql",
        _COMPONENT: "pooler",
        _MANAGED_BY: "cloudnative-pg",
    }
    if isinstance(cluster, str) and cluster:
        labels.update({"cnpg.io/cluster": cluster, _INSTANCE: cluster})
    ports: list[Port] = [("pgbouncer", 5432, "TCP"), ("metrics", 9127, "TCP")]
    yield _view(manifest, labels, [("pgbouncer", ports)])


_MAKERS: dict[tuple[str, str], Callable[[Manifest], Iterator[PodView]]] = {
    (MONITORING_GROUP, "Prometheus"): _prometheus,
    (MONITORING_GROUP, "PrometheusAgent"): lambda m: _prometheus(m, "prometheus-agent"),
    (MONITORING_GROUP, "Alertmanager"): _alertmanager,
    (MONITORING_GROUP, "ThanosRuler"): _thanos_ruler,
    (CNPG_GROUP, "Cluster"): _cnpg_cluster,
    (CNPG_GROUP, "Pooler"): _cnpg_pooler,
}
_KINDS = frozenset(kind for _, kind in _MAKERS)
