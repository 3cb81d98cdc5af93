"""The project's policy for RBAC: who may do everything, and who may read Secrets or start pods.

A Role or ClusterRole grants nothing until a binding names it, so GB421, GB423 and GB424 look at
RoleBindings and ClusterRoleBindings (who gets the power) and resolve the role they name: a Role
of the binding's namespace, a ClusterRole of the set (an aggregated one: the rules of the
ClusterRoles its aggregationRule selects), or one of the default user-facing ClusterRoles of
every cluster (kubernetes plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go: `admin`
and `edit` read and write Secrets and create pods and the workloads that make pods, `view` does
neither; `cluster-admin` may do everything, which GB421 alone reports). A role that is neither in
the set nor one of those is unknown, and nothing is said about it. GB422 looks at the roles
themselves.

A rule counts for a resource when its apiGroups hold the resource's group (or `*`) and its
resources the resource (or `*`); a rule restricted by resourceNames grants access to those
objects only (the least-privilege way to read one Secret), so it is not counted.

Severity, and why:
- GB421 cluster-admin (error): every right on everything, for any subject; nothing a workload
  needs, and the one binding an attacker wants.
- GB422 wildcards (error): `*` in verbs or resources grants what does not exist yet (every new
  verb, resource and CRD), so nobody can review what the role allows.
- GB423 Secret read access, GB424 the right to create pods (warnings): controllers may need them
  (CIS Kubernetes Benchmark 5.1.2, 5.1.4: keep them to the few that do); creating a pod (or a
  Deployment, Job...) runs anything as any ServiceAccount of the namespace, reading its Secrets.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from gitops.validation.model import Context, FieldPath, Issue, Manifest
from gitops.validation.registry import rule
from gitops.validation.rules._index import EnvIndex, index_of
from gitops.validation.rules._util import as_dict, as_list, items_of, selector_matches

RBAC_GROUP = "rbac.authorization.k8s.io"
BINDING_KINDS = ("RoleBinding", "ClusterRoleBinding")
READ_VERBS = frozenset({"get", "list", "watch"})
POD_MAKERS: dict[str, frozenset[str]] = {
    "": frozenset({"pods", "replicationcontrollers"}),
    "apps": frozenset({"deployments", "replicasets", "statefulsets", "daemonsets"}),
    "batch": frozenset({"jobs", "cronjobs"}),
}
"""The resources whose creation starts pods, per API group (the workload controllers make the
pods with the pod template the creator wrote)."""


@dataclass(frozen=True)
class PolicyRule:
    """One rule of a role, where it is written (a built-in role's rules are written nowhere)."""

    source: str  # "Role/ns/name", "ClusterRole/name", or "built-in ClusterRole name"
    verbs: frozenset[str]
    groups: frozenset[str]
    resources: frozenset[str]
    named: bool  # restricted by resourceNames

    def grants(self, verbs: frozenset[str], group: str, resources: frozenset[str]) -> set[str]:
        """The verbs of `verbs` this rule grants on one of `resources` of `group`."""
        if self.named or not (self.groups & {group, "*"}):
            return set()
        if not (self.resources & resources or "*" in self.resources):
            return set()
        return set(verbs) if "*" in self.verbs else set(self.verbs & verbs)


def _rule(source: str, verbs: list[str], groups: list[str], resources: list[str]) -> PolicyRule:
    return PolicyRule(source, frozenset(verbs), frozenset(groups), frozenset(resources), False)


_WRITE = ["create", "delete", "deletecollection", "patch", "update"]
_EDIT = [
    _rule("built-in ClusterRole edit", ["get", "list", "watch"], [""], ["secrets"]),
    _rule("built-in ClusterRole edit", _WRITE, [""], ["pods", "secrets", "replicationcontrollers"]),
    _rule("built-in ClusterRole edit", _WRITE, ["apps"], sorted(POD_MAKERS["apps"])),
    _rule("built-in ClusterRole edit", _WRITE, ["batch"], ["jobs", "cronjobs"]),
]
BUILT_IN_ROLES: dict[str, list[PolicyRule]] = {
    "admin": [
        PolicyRule(r.source.replace("edit", "admin"), r.verbs, r.groups, r.resources, False)
        for r in _EDIT
    ],
    "edit": _EDIT,
    "view": [],
}
"""What the default user-facing ClusterRoles grant of what GB423/GB424 look at (bootstrappolicy
policy.go, system:aggregate-to-edit and -admin, which `edit` and `admin` aggregate)."""


def _strings(value: Any) -> frozenset[str]:
    return frozenset(str(v) for v in as_list(value))


def role_rules(manifest: Manifest) -> list[PolicyRule]:
    return [
        PolicyRule(
            manifest.ref,
            _strings(r.get("verbs")),
            _strings(r.get("apiGroups")),
            _strings(r.get("resources")),
            bool(as_list(r.get("resourceNames"))),
        )
        for _, r in items_of(manifest.obj.get("rules"))
    ]


def _cluster_role_rules(index: EnvIndex, role: Manifest) -> list[PolicyRule]:
    """A ClusterRole's own rules, plus those of the ClusterRoles its aggregationRule selects."""
    found = role_rules(role)
    selectors = as_dict(role.obj.get("aggregationRule")).get("clusterRoleSelectors")
    for _, selector in items_of(selectors):
        for other in index.of_kind("ClusterRole"):
            labels = as_dict(other.metadata.get("labels"))
            if (
                other is not role
                and other.group == RBAC_GROUP
                and selector_matches(selector, labels)
            ):
                found.extend(role_rules(other))
    return found


def bound_rules(index: EnvIndex, binding: Manifest) -> list[PolicyRule] | None:
    """The rules the role of `binding` grants; None when that role is unknown (not in the set,
    not a default ClusterRole)."""
    ref = as_dict(binding.obj.get("roleRef"))
    kind, name = ref.get("kind"), ref.get("name")
    if not isinstance(name, str):
        return None
    if kind == "Role" and binding.kind == "RoleBinding":
        role = index.find_in_group(RBAC_GROUP, "Role", index.ns(binding), name)
        return role_rules(role) if role is not None else None
    if kind == "ClusterRole":
        role = index.find_in_group(RBAC_GROUP, "ClusterRole", "", name)
        if role is not None:
            return _cluster_role_rules(index, role)
        return BUILT_IN_ROLES.get(name)
    return None


def _bindings(ctx: Context) -> Iterator[tuple[EnvIndex, Manifest]]:
    index = index_of(ctx)
    for kind in BINDING_KINDS:
        for binding in index.of_kind(kind):
            if binding.group == RBAC_GROUP:
                yield index, binding


def _is_cluster_admin(binding: Manifest) -> bool:
    ref = as_dict(binding.obj.get("roleRef"))
    return ref.get("kind") == "ClusterRole" and ref.get("name") == "cluster-admin"


def describe_subjects(binding: Manifest) -> str:
    """`ServiceAccount ns/name, Group name`, the subjects a binding gives its role to."""
    parts = []
    for _, subject in items_of(binding.obj.get("subjects")):
        ns = subject.get("namespace")
        name = f"{ns}/{subject.get('name')}" if ns else str(subject.get("name"))
        parts.append(f"{subject.get('kind', '?')} {name}")
    return ", ".join(parts) or "no subject"


def _scope(binding: Manifest, index: EnvIndex) -> str:
    if binding.kind == "ClusterRoleBinding":
        return "in every namespace"
    return f"in namespace {index.ns(binding)}"


@rule(
    "GB421",
    "rbac-cluster-admin",
    severity="error",
    scope="environment",
    summary="A RoleBinding or ClusterRoleBinding grants the cluster-admin ClusterRole.",
    remediation="Bind a Role (or ClusterRole) that lists only the verbs and resources the subject "
    "needs.",
)
def check_cluster_admin(ctx: Context) -> Iterator[Issue]:
    for index, binding in _bindings(ctx):
        if _is_cluster_admin(binding):
            yield Issue(
                binding,
                ("roleRef", "name"),
                f"binds cluster-admin (every verb on every resource) {_scope(binding, index)} to "
                f"{describe_subjects(binding)}; write a Role that lists only the verbs and "
                "resources it needs and bind that",
            )


def _wildcards(rule_obj: dict[str, Any]) -> Iterator[str]:
    for key in ("verbs", "resources"):
        if "*" in as_list(rule_obj.get(key)):
            yield key


@rule(
    "GB422",
    "rbac-wildcard",
    severity="error",
    scope="object",
    summary="A Role or ClusterRole rule uses '*' in verbs or resources.",
    remediation="List the verbs and resources explicitly (e.g. verbs: [get, list, watch]).",
    kinds=["Role", "ClusterRole"],
)
def check_wildcards(manifest: Manifest, ctx: Context) -> Iterator[Issue]:
    if manifest.group != RBAC_GROUP:
        return
    for i, rule_obj in items_of(manifest.obj.get("rules")):
        for key in _wildcards(rule_obj):
            path: FieldPath = ("rules", i, key, as_list(rule_obj[key]).index("*"))
            what = (
                "every verb, present and future"
                if key == "verbs"
                else ("every resource of its apiGroups, present and future (new CRDs too)")
            )
            yield Issue(
                manifest,
                path,
                f"rules[{i}] grants '*' in {key}: {what}; list the {key} it needs instead",
            )


def _access(
    index: EnvIndex, binding: Manifest, verbs: frozenset[str], targets: dict[str, frozenset[str]]
) -> tuple[set[str], set[str], str] | None:
    """(verbs, resources, where) the binding's role grants of `verbs` on `targets` (group ->
    resources), None when it grants none of them, its role is unknown, or it is cluster-admin
    (GB421 says so)."""
    rules = None if _is_cluster_admin(binding) else bound_rules(index, binding)
    if not rules:
        return None
    found_verbs: set[str] = set()
    found_resources: set[str] = set()
    sources: list[str] = []
    for policy_rule in rules:
        for group, resources in targets.items():
            granted = policy_rule.grants(verbs, group, resources)
            if granted:
                found_verbs |= granted
                found_resources |= (
                    set(resources)
                    if "*" in policy_rule.resources
                    else set(policy_rule.resources & resources)
                )
                if policy_rule.source not in sources:
                    sources.append(policy_rule.source)
    if not found_verbs:
        return None
    return found_verbs, found_resources, ", ".join(sources)


@rule(
    "GB423",
    "rbac-secrets-access",
    severity="warning",
    scope="environment",
    summary="A binding grants get, list or watch on Secrets (of a namespace or every one).",
    remediation="Grant only the Secrets it needs by name (resourceNames), or mount them instead.",
)
def check_secrets_access(ctx: Context) -> Iterator[Issue]:
    for index, binding in _bindings(ctx):
        found = _access(index, binding, READ_VERBS, {"": frozenset({"secrets"})})
        if found is None:
            continue
        verbs, _, source = found
        yield Issue(
            binding,
            ("roleRef",),
            f"gives {describe_subjects(binding)} {', '.join(sorted(verbs))} on every Secret "
            f"{_scope(binding, index)} (through {source}); restrict the rule to the Secrets it "
            "needs with resourceNames, or mount them into the pod instead of reading them",
        )


@rule(
    "GB424",
    "rbac-create-pods",
    severity="warning",
    scope="environment",
    summary="A binding grants create on pods or on workloads that make pods (Deployments, "
    "Jobs...).",
    remediation="Remove create on pods and workloads unless the subject is a controller that must "
    "start them.",
)
def check_create_pods(ctx: Context) -> Iterator[Issue]:
    for index, binding in _bindings(ctx):
        found = _access(index, binding, frozenset({"create"}), POD_MAKERS)
        if found is None:
            continue
        _, resources, source = found
        yield Issue(
            binding,
            ("roleRef",),
            f"gives {describe_subjects(binding)} create on {', '.join(sorted(resources))} "
            f"{_scope(binding, index)} (through {source}): it can run any image as any "
            "ServiceAccount there and read what those can; remove create unless it is a "
            "controller that must start pods",
        )
