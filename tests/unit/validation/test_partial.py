"""Validating a part of something larger (PATH mode): what the given files refer to but do not
contain is a warning that says so, unless --complete declares them to be everything; Lists are
checked item by item. On real upstream manifests (tests/fixtures/validate-partial, SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops import cli
from gitops.validation.engine import validate_paths
from gitops.validation.model import Facts
from gitops.validation.rules._partial import NOT_GIVEN

CROSS_OBJECT = ("GB3",)
PARTIAL = Facts()
COMPLETE = Facts(complete=True)


@pytest.fixture
def upstream(fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = fixtures_dir / "validate-partial"
    monkeypatch.chdir(folder)
    return folder


def findings(paths: list[str], facts: Facts, prefixes: tuple[str, ...] = CROSS_OBJECT) -> list:
    return [
        f for f in validate_paths([Path(p) for p in paths], facts) if f.rule.startswith(prefixes)
    ]


def test_kube_prometheus_as_a_whole_has_no_cross_object_finding(upstream: Path) -> None:
    """The Service, PDB and NetworkPolicy of Prometheus and Alertmanager select the pods the
    operator makes (labels from podMetadata and the operator's own), their targetPorts name the
    operator's container ports (web, reloader-web), the ServiceAccounts are there."""
    assert findings(["kube-prometheus"], COMPLETE) == []
    assert findings(["kube-prometheus"], PARTIAL) == []


def test_the_lists_of_kube_prometheus_are_not_unknown_kinds(upstream: Path) -> None:
    files = ["kube-prometheus/prometheus-roleSpecificNamespaces.yaml",
             "kube-prometheus/prometheus-roleBindingSpecificNamespaces.yaml"]  # fmt: skip
    assert findings(files, PARTIAL, ("GB0", "GB1", "GB2")) == []


def test_one_file_of_a_set_warns_about_what_is_elsewhere(upstream: Path) -> None:
    """The user's case: one Service of kube-prometheus alone. Its pods are made from a Prometheus
    in another file: a warning that says so, an error only when the files are declared complete."""
    service = ["kube-prometheus/prometheus-service.yaml"]
    (warning,) = findings(service, PARTIAL)
    assert (warning.rule, warning.severity, warning.line) == ("GB302", "warning", 20)
    assert NOT_GIVEN in warning.message
    (error,) = findings(service, COMPLETE)
    assert (error.rule, error.severity) == ("GB302", "error")
    assert NOT_GIVEN not in error.message
    with_prometheus = [*service, "kube-prometheus/prometheus-prometheus.yaml"]
    assert findings(with_prometheus, COMPLETE) == []


def test_a_selector_that_matches_no_operator_pod_is_still_reported(upstream: Path) -> None:
    """prometheus-operator's shards example: the Service selects `prometheus: shards`, a label of
    the Prometheus object itself, which the operator puts on the StatefulSet but not on the pods
    (they get `prometheus: <name>`, here "prometheus"). The thanos example selects by name: fine,
    and its sidecar Service's targetPort grpc is the thanos-sidecar's port."""
    (finding,) = findings(["prometheus-operator"], COMPLETE)
    assert (finding.rule, finding.path, finding.line) == (
        "GB302",
        "prometheus-operator/shards/prometheus-service.yaml",
        13,
    )
    assert findings(["prometheus-operator/thanos"], COMPLETE) == []


def test_cloudnative_pg_cluster_pods_count_for_a_networkpolicy(upstream: Path) -> None:
    policy = ["cloudnative-pg/networkpolicy-example.yaml"]
    (warning,) = findings(policy, PARTIAL)
    assert (warning.rule, warning.severity) == ("GB304", "warning")
    assert NOT_GIVEN in warning.message
    assert findings([*policy, "cloudnative-pg/cluster-example.yaml"], COMPLETE) == []


REFERENCES = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers:
        - name: web
          image: "x:1"
          envFrom:
            - configMapRef: {name: settings}
            - secretRef: {name: credentials}
          volumeMounts: [{name: data, mountPath: /data}]
      volumes:
        - {name: data, persistentVolumeClaim: {claimName: data}}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{name: http, port: 80}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api, namespace: shop}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: api}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  rules:
    - http:
        paths:
          - path: /
            pathType: Prefix
            backend: {service: {name: web, port: {number: 80}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: worker, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: worker}
  minReplicas: 1
  maxReplicas: 3
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  rules:
    - backendRefs: [{name: web, port: 80}]
"""
EXPECTED = [
    ("GB302", 24),  # Service api: no pod
    ("GB303", 32),  # PDB api: no pod
    ("GB304", 38),  # NetworkPolicy api: no pod (a warning either way)
    ("GB306", 14),  # ConfigMap settings
    ("GB307", 15),  # Secret credentials
    ("GB308", 9),  # ServiceAccount web
    ("GB309", 18),  # PVC data
    ("GB310", 49),  # Ingress backend Service web
    ("GB311", 55),  # HPA target Deployment worker
    ("GB314", 64),  # HTTPRoute backend Service web
]


def test_every_reference_to_an_absent_object_is_a_warning_unless_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("shop.yaml").write_text(REFERENCES)
    partial = findings(["shop.yaml"], PARTIAL)
    assert sorted((f.rule, f.line) for f in partial) == EXPECTED
    for finding in partial:
        assert finding.severity == "warning", finding.format()
        assert NOT_GIVEN in finding.message, finding.format()
    complete = findings(["shop.yaml"], COMPLETE)
    assert sorted((f.rule, f.line) for f in complete) == EXPECTED
    for finding in complete:
        expected = "warning" if finding.rule == "GB304" else "error"
        assert finding.severity == expected, finding.format()
        assert NOT_GIVEN not in finding.message, finding.format()


def test_a_missing_key_of_an_object_that_is_given_stays_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("app.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {MODE: fast}\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        "    - name: app\n      image: 'x:1'\n      env:\n        - name: MODE\n"
        "          valueFrom: {configMapKeyRef: {name: settings, key: MOD}}\n"
    )
    (finding,) = findings(["app.yaml"], PARTIAL)
    assert (finding.rule, finding.severity, finding.line) == ("GB306", "error", 15)


def test_the_cli_warns_by_default_and_errs_with_complete(
    upstream: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service = "kube-prometheus/prometheus-service.yaml"
    assert cli.main(["validate", service]) == 0
    out = capsys.readouterr().out
    assert f"{service}:20: warning GB302" in out
    assert cli.main(["validate", "--complete", service]) == 1
    assert f"{service}:20: error GB302" in capsys.readouterr().out


def test_repository_mode_is_always_complete_and_refuses_the_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["validate", "--complete"]) == 2
    assert "--complete apply to PATH mode" in capsys.readouterr().err
    from gitops.repo.environments import load_environments
    from gitops.repo.layout import Layout

    root = Path(__file__).parents[3]
    for env in load_environments(Layout(root)):
        assert Facts.from_environment(env).complete
