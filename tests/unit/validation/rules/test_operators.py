"""The pods known operators make from custom resources (`rules._operators`), as the selector rules
(GB302-GB305) see them: the labels and ports of prometheus-operator's and CloudNativePG's source."""

from __future__ import annotations

from gitops.validation.rules._operators import operator_pods

PROMETHEUS = """\
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata:
  name: k8s
  namespace: monitoring
  labels: {team: sre}
spec:
  version: v3.5.0
  shards: 2
  podMetadata:
    labels: {app.kubernetes.io/part-of: kube-prometheus, prometheus: overridden}
  thanos: {}
  containers:
    - name: oauth-proxy
      ports: [{name: proxy, containerPort: 8443}]
"""


def test_prometheus_pods_carry_the_operator_labels_per_shard(load_manifests) -> None:
    shard0, shard1 = operator_pods(load_manifests(PROMETHEUS)[0])
    assert shard0.labels == {
        "app.kubernetes.io/version": "3.5.0",
        "app.kubernetes.io/part-of": "kube-prometheus",
        "app.kubernetes.io/name": "prometheus",
        "app.kubernetes.io/managed-by": "prometheus-operator",
        "app.kubernetes.io/instance": "k8s",
        "operator.prometheus.io/name": "k8s",
        "prometheus": "k8s",  # the operator's label wins over podMetadata's
        "operator.prometheus.io/shard": "0",
    }
    assert shard1.labels["operator.prometheus.io/shard"] == "1"
    assert "team" not in shard0.labels  # the object's own labels go to the StatefulSet only
    ports = {
        c["name"]: [(p["name"], p["containerPort"]) for p in c["ports"]]
        for c in shard0.spec["containers"]
    }
    assert ports == {
        "prometheus": [("web", 9090)],
        "config-reloader": [("reloader-web", 8080)],
        "thanos-sidecar": [("http", 10902), ("grpc", 10901)],
        "oauth-proxy": [("proxy", 8443)],
    }


def test_listen_local_and_port_name(load_manifests) -> None:
    text = PROMETHEUS.replace("  thanos: {}\n", "  listenLocal: true\n")
    (pod, _) = operator_pods(load_manifests(text)[0])
    names = {p["name"] for c in pod.spec["containers"] for p in c["ports"]}
    assert names == {"proxy"}
    text = PROMETHEUS.replace("  thanos: {}\n", "  portName: http-web\n")
    (pod, _) = operator_pods(load_manifests(text)[0])
    assert pod.spec["containers"][0]["ports"][0]["name"] == "http-web"


def test_agents_alertmanagers_and_thanos_rulers(load_manifests) -> None:
    text = """\
apiVersion: monitoring.coreos.com/v1alpha1
kind: PrometheusAgent
metadata: {name: agent}
spec: {mode: DaemonSet}
---
apiVersion: monitoring.coreos.com/v1
kind: Alertmanager
metadata: {name: main}
spec: {replicas: 3}
---
apiVersion: monitoring.coreos.com/v1
kind: ThanosRuler
metadata: {name: rules}
spec: {queryEndpoints: [thanos-query:9090]}
"""
    agent, alertmanager, ruler = (operator_pods(m) for m in load_manifests(text))
    assert [p.labels for p in agent] == [
        {
            "app.kubernetes.io/name": "prometheus-agent",
            "app.kubernetes.io/managed-by": "prometheus-operator",
            "app.kubernetes.io/instance": "agent",
            "operator.prometheus.io/name": "agent",
        }
    ]
    (pod,) = alertmanager
    assert pod.labels["alertmanager"] == "main"
    assert pod.labels["app.kubernetes.io/name"] == "alertmanager"
    assert [(p["name"], p["protocol"]) for p in pod.spec["containers"][0]["ports"]] == [
        ("web", "TCP"),
        ("mesh-tcp", "TCP"),
        ("mesh-udp", "UDP"),
    ]
    (pod,) = ruler
    assert pod.labels["thanos-ruler"] == "rules"
    assert [p["name"] for p in pod.spec["containers"][0]["ports"]] == ["grpc", "web"]


def test_cloudnative_pg_cluster_and_pooler(load_manifests) -> None:
    text = """\
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: db}
spec:
  instances: 3
  inheritedMetadata: {labels: {team: data}}
---
apiVersion: postgresql.cnpg.io/v1
kind: Pooler
metadata: {name: db-rw}
spec:
  cluster: {name: db}
  type: rw
  template:
    metadata: {labels: {tier: pooler}}
"""
    cluster, pooler = (operator_pods(m) for m in load_manifests(text))
    assert [p.labels["cnpg.io/instanceRole"] for p in cluster] == ["primary", "replica", "replica"]
    assert [p.labels["cnpg.io/instanceName"] for p in cluster] == ["db-1", "db-2", "db-3"]
    assert {p.labels["role"] for p in cluster} == {"primary", "replica"}
    assert cluster[0].labels["cnpg.io/cluster"] == "db"
    assert cluster[0].labels["team"] == "data"
    (pod,) = pooler
    assert pod.labels["cnpg.io/poolerName"] == "db-rw"
    assert pod.labels["cnpg.io/cluster"] == "db"
    assert pod.labels["tier"] == "pooler"


def test_other_kinds_and_groups_make_no_pods(load_manifests) -> None:
    text = (
        "apiVersion: example.com/v1\nkind: Cluster\nmetadata: {name: x}\nspec: {}\n---\n"
        "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: x}\n"
        "spec: {}\n---\n"
        "apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\nmetadata: {name: x}\n"
    )
    assert [operator_pods(m) for m in load_manifests(text)] == [[], [], []]


def test_the_selector_rules_find_operator_pods(load_manifests, run_rules, rule_facts) -> None:
    """A Service selecting a Prometheus's pods, by a port name its containers have: no finding;
    one selecting a label only the Prometheus object carries, or naming a port the pods lack:
    GB302, GB305."""
    text = (
        PROMETHEUS
        + """\
---
apiVersion: v1
kind: Service
metadata: {name: prometheus, namespace: monitoring}
spec:
  selector: {app.kubernetes.io/name: prometheus, prometheus: k8s}
  ports:
    - {name: web, port: 9090, targetPort: web}
    - {name: grpc, port: 10901, targetPort: grpc}
    - {name: metrics, port: 9100, targetPort: metrics}
---
apiVersion: v1
kind: Service
metadata: {name: by-team, namespace: monitoring}
spec:
  selector: {team: sre}
  ports: [{name: web, port: 9090, targetPort: web}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: prometheus, namespace: monitoring}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {operator.prometheus.io/shard: "1"}}
"""
    )
    hits = run_rules(load_manifests(text), rule_facts(), ["GB302", "GB303", "GB305"])
    assert [(h.rule, h.line) for h in hits] == [("GB302", 31), ("GB305", 25)]
