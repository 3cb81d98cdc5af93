"""The risks the diff flags: immutable fields, removed objects that hold data, HPA-owned
replicas."""

from __future__ import annotations

from gitops.diff.objects import diff_renders
from gitops.render.state import Rendered

JOB = """apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  namespace: app
{annotations}spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: {image}
"""
STATEFULSET = """apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: app
spec:
  serviceName: db
  replicas: {replicas}
  selector:
    matchLabels: {{app: db}}
  template:
    metadata:
      labels: {{app: db}}
    spec:
      containers:
      - name: db
        image: postgres:17
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests:
          storage: {size}
"""


def _diff(before: dict[str, str], after: dict[str, str]) -> list[str]:
    old = Rendered({"prod": {k: v.encode() for k, v in before.items()}})
    new = Rendered({"prod": {k: v.encode() for k, v in after.items()}})
    return list(diff_renders(old, new)[0].risks)


def test_a_jobs_template_change_is_flagged_unless_both_controllers_recreate_it() -> None:
    plain = {"job.yaml": JOB.format(annotations="", image="app:1")}
    changed = {"job.yaml": JOB.format(annotations="", image="app:2")}
    (risk,) = _diff(plain, changed)
    assert risk.startswith("Job/app/migrate: spec.template")
    assert "cannot change in place" in risk
    assert "(Flux's annotation missing, Argo CD's missing)" in risk
    recreated = (
        "  annotations:\n"
        "    argocd.argoproj.io/hook: PreSync\n"
        "    argocd.argoproj.io/hook-delete-policy: BeforeHookCreation\n"
        "    kustomize.toolkit.fluxcd.io/force: enabled\n"
    )
    before = {"job.yaml": JOB.format(annotations=recreated, image="app:1")}
    after = {"job.yaml": JOB.format(annotations=recreated, image="app:2")}
    assert _diff(before, after) == []  # this repository's migration Job


def test_a_statefulsets_claim_templates_are_immutable_but_its_replicas_are_not() -> None:
    before = {"sts.yaml": STATEFULSET.format(replicas=1, size="1Gi")}
    assert _diff(before, {"sts.yaml": STATEFULSET.format(replicas=2, size="1Gi")}) == []
    (risk,) = _diff(before, {"sts.yaml": STATEFULSET.format(replicas=1, size="5Gi")})
    assert risk.startswith("StatefulSet/app/db: spec.volumeClaimTemplates")


def test_removing_an_object_that_holds_data_is_flagged() -> None:
    before = {"sts.yaml": STATEFULSET.format(replicas=1, size="1Gi")}
    (risk,) = _diff(before, {})
    assert risk.startswith("StatefulSet/app/db is removed: pruning deletes it and its pods")
    namespace = {"ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: app\n"}
    (risk,) = _diff(namespace, {})
    assert "Namespace/app is removed: pruning deletes it and every object in it" in risk
    kept = {
        "ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: app\n  annotations:\n"
        "    kustomize.toolkit.fluxcd.io/prune: disabled\n"
        "    argocd.argoproj.io/sync-options: Prune=false\n"
    }
    assert _diff(kept, {}) == []


def test_replicas_an_hpa_owns_are_flagged_and_others_not() -> None:
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: app\n"
        "spec:\n  replicas: {n}\n"
    )
    hpa = (
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n"
        "  namespace: app\nspec:\n  scaleTargetRef: {kind: Deployment, name: web}\n"
    )
    before = {"d.yaml": deployment.format(n=2)}
    after = {"d.yaml": deployment.format(n=3)}
    assert _diff(before, after) == []
    (risk,) = _diff({**before, "h.yaml": hpa}, {**after, "h.yaml": hpa})
    assert "HorizontalPodAutoscaler/app/web owns the replicas" in risk
