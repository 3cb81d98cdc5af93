"""RBAC policy (GB421-GB424, `rules.rbac`) beyond the corpus: what the findings say, and which
roles can be resolved."""

from __future__ import annotations

BINDING = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: {kind}
metadata: {{name: b, namespace: guestbook}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {role}}}
subjects:
  - {{kind: ServiceAccount, name: ci, namespace: guestbook}}
  - {{kind: Group, name: developers}}
"""
RBAC = ["GB421", "GB422", "GB423", "GB424"]


def test_cluster_admin_is_reported_once_naming_its_subjects(load_manifests, run_rules) -> None:
    manifests = load_manifests(BINDING.format(kind="ClusterRoleBinding", role="cluster-admin"))
    hits = run_rules(manifests, only=RBAC)
    assert [h.rule for h in hits] == ["GB421"]  # not GB423/GB424 on top
    message = hits[0].message
    assert "ServiceAccount guestbook/ci, Group developers" in message
    assert "in every namespace" in message and "write a Role" in message


def test_a_role_binding_to_edit_grants_secrets_and_pods_in_its_namespace(
    load_manifests, run_rules
) -> None:
    manifests = load_manifests(BINDING.format(kind="RoleBinding", role="edit"))
    hits = {h.rule: h.message for h in run_rules(manifests, only=RBAC)}
    assert sorted(hits) == ["GB423", "GB424"]
    assert "get, list, watch on every Secret in namespace guestbook" in hits["GB423"]
    assert "built-in ClusterRole edit" in hits["GB423"]
    assert "create on " in hits["GB424"] and "deployments" in hits["GB424"]


def test_a_cluster_role_of_the_set_wins_over_the_built_in_one(load_manifests, run_rules) -> None:
    role = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: edit}
rules:
  - {apiGroups: [""], resources: [configmaps], verbs: [get]}
"""
    manifests = load_manifests(BINDING.format(kind="RoleBinding", role="edit") + "---\n" + role)
    assert run_rules(manifests, only=RBAC) == []


def test_roles_of_other_api_groups_are_not_rbac(load_manifests, run_rules) -> None:
    role = """\
apiVersion: example.com/v1
kind: Role
metadata: {name: r, namespace: guestbook}
rules:
  - {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}
"""
    assert run_rules(load_manifests(role), only=RBAC) == []
