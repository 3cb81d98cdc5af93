"""kube-linter's own check fixtures (`tests/fixtures/kube-linter`, vendored with their source and
commit in its README) through the whole validator, each file as a plain set with the default
facts, as `gitops validate FILE` would: the rules that cover a kube-linter check report exactly
the objects (and containers) kube-linter's e2e test (`e2etests/bats-tests.sh`) expects a report
for, as many times, and nothing else in that file.

A finding is named by rule, kind, name and where: `container NAME` when it is about one container,
else the field path it points at. What kube-linter reports on OpenShift DeploymentConfigs has no
counterpart (the validator does not know that kind: GB103)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops.validation.engine import check_located
from gitops.validation.loader import load_file
from gitops.validation.model import Facts, FieldPath, Manifest

FOLDER = Path(__file__).parents[2] / "fixtures" / "kube-linter" / "checks"

Expected = tuple[str, str, str, str]  # rule, kind, name, where

CASES: dict[str, tuple[tuple[str, ...], list[Expected]]] = {
    # file: (the rules compared, what they must report)
    "access-to-create-pods.yml": (
        ("GB424",),
        [("GB424", "RoleBinding", "role-binding1", "roleRef")],
    ),
    "access-to-secrets.yml": (
        ("GB423",),
        [("GB423", "RoleBinding", "role-binding1", "roleRef")],
    ),
    "cluster-admin-role-binding.yml": (
        ("GB421",),  # `dont-fire` binds `admin`: not cluster-admin
        [("GB421", "ClusterRoleBinding", "role-binding1", "roleRef.name")],
    ),
    "wildcard-in-rules.yml": (
        ("GB422",),  # two Roles named role1: only the second has a wildcard
        [("GB422", "Role", "role1", "rules[0].verbs[0]")],
    ),
    "non-isolated-pod.yml": (
        ("GB425",),  # + DeploymentConfig app2 in kube-linter
        [("GB425", "Deployment", "app1", "spec.template.metadata.labels")],
    ),
    "env-var-secret.yml": (
        ("GB426",),  # + DeploymentConfig app in kube-linter
        [("GB426", "Deployment", "app", "container app")],
    ),
    "read-secret-from-env-var.yml": (
        ("GB426",),  # kube-linter reports secretKeyRef itself, which is GB426's remedy
        [],
    ),
    "duplicate-env-var.yaml": (
        ("GB214",),
        [
            ("GB214", "Deployment", "?", "container fire-deployment"),
            ("GB214", "StatefulSet", "?", "container fire-stateful"),
        ],
    ),
    "dangling-networkpolicypeer-podselector.yml": (
        ("GB304",),
        [
            ("GB304", "NetworkPolicy", "app", "spec.ingress[0].from[0].podSelector"),
            # kube-linter's dangling-networkpolicy (another check) on the same policy
            ("GB304", "NetworkPolicy", "app", "spec.podSelector"),
        ],
    ),
    "liveness-port.yml": (
        ("GB213", "GB427"),
        [
            ("GB213", "Deployment", "?", "container fire-deployment-name"),
            ("GB427", "Deployment", "?", "container fire-deployment-int"),
            ("GB427", "Deployment", "?", "container fire-deployment-udp"),
            ("GB213", "StatefulSet", "?", "container fire-stateful-name"),
        ],
    ),
    "readiness-port.yml": (
        ("GB213", "GB427"),
        [
            ("GB213", "Deployment", "?", "container fire-deployment-name"),
            ("GB427", "Deployment", "?", "container fire-deployment-int"),
            ("GB427", "Deployment", "?", "container fire-deployment-udp"),
            ("GB427", "Deployment", "?", "container fire-deployment-grpc"),
        ],
    ),
    "startup-port.yml": (
        ("GB213", "GB427"),
        [
            ("GB213", "Deployment", "?", "container fire-deployment-name"),
            ("GB427", "Deployment", "?", "container fire-deployment-int"),
            ("GB427", "Deployment", "?", "container fire-deployment-udp"),
            ("GB427", "Deployment", "?", "container fire-deployment-grpc"),
        ],
    ),
    "run-as-non-root.yml": (
        ("GB401", "GB408"),  # + DeploymentConfigs app2 and group-zero in kube-linter
        [
            ("GB401", "Deployment", "app1", "spec.template.spec"),
            ("GB401", "Deployment", "group-zero", "spec.template.spec"),
            ("GB408", "Deployment", "group-zero", "container app3"),
        ],
    ),
    "no-rolling-update-strategy.yml": (
        ("GB218",),  # + DeploymentConfig app2 in kube-linter
        [("GB218", "Deployment", "app1", "spec.strategy.type")],
    ),
    "pdb-max-unavailable.yaml": (
        ("GB417",),  # `baz` allows 1 unavailable pod
        [("GB417", "PodDisruptionBudget", "foo", "spec.maxUnavailable")],
    ),
}


def _where(manifest: Manifest, path: FieldPath) -> str:
    for i, part in enumerate(path[:-1]):
        if part in ("containers", "initContainers") and isinstance(path[i + 1], int):
            container = manifest.get(path[: i + 2], {})
            return f"container {container.get('name', '?')}"
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")


def reports(name: str, rules: tuple[str, ...]) -> list[Expected]:
    loaded = load_file(FOLDER / name, name)
    found = []
    for finding, manifest, path in check_located(loaded.manifests, Facts()):
        if finding.rule in rules and manifest is not None:
            found.append(
                (finding.rule, manifest.kind, manifest.name or "?", _where(manifest, path))
            )
    return sorted(found)


def test_every_vendored_fixture_is_checked() -> None:
    assert sorted(p.name for p in FOLDER.iterdir()) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_rules_fire_where_kube_linter_expects_a_report(name: str) -> None:
    rules, expected = CASES[name]
    assert reports(name, rules) == sorted(expected)
