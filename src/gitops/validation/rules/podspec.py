"""Pod templates the API server refuses beyond containers, volumes and probes: scheduling
(tolerations, nodeSelector, affinity, topology spread) and the pod-level fields (images, DNS,
host aliases, names).

Mirrors `ValidatePodSpec` and what it calls (`ValidateTolerations`, `validateAffinity`,
`ValidateNodeSelectorRequirement`, `validatePodAffinityTerm`, `validateTopologySpreadConstraints`,
`validatePodDNSConfig`, `ValidateHostAliases`, `validateContainerCommon`) in
pkg/apis/core/validation/validation.go of kubernetes/kubernetes (commit
000f26050b9be6fb3d79fae95e06b47fc96128cd), for what a pod template has once `SetDefaults_PodSpec`
has run (dnsPolicy ClusterFirst when unset). Where a release relaxed a check (DNS search domains
with '_'), the relaxed form is taken.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from gitops.validation.model import Context, FieldPath, Issue, PodView
from gitops.validation.registry import rule
from gitops.validation.rules._util import (
    as_dict,
    as_list,
    dns_label_problem,
    dns_subdomain_problem,
    items_of,
    label_value_problem,
    qualified_name_problem,
)
from gitops.validation.rules.selectors import selector_syntax_issues
from gitops.validation.rules.servicespec import parse_ip

_SCHEDULING_FIELDS = frozenset(
    {"tolerations", "nodeSelector", "affinity", "topologySpreadConstraints"}
)
_TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_NODE_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")
_SPREAD_ACTIONS = ("DoNotSchedule", "ScheduleAnyway")
_POD_FIELDS = frozenset(
    {
        "dnsPolicy", "dnsConfig", "hostAliases", "hostname", "subdomain", "priorityClassName",
        "serviceAccountName", "activeDeadlineSeconds",
    }
)  # fmt: skip
_MAX_NAMESERVERS = 3
_MAX_SEARCHES = 32
_MAX_SEARCH_CHARS = 2048
_SEARCH_DOMAIN = re.compile(
    r"[a-z0-9_]([-a-z0-9_]*[a-z0-9_])?(\.[a-z0-9_]([-a-z0-9_]*[a-z0-9_])?)*"
)


@rule(
    "GB234",
    "invalid-scheduling",
    severity="error",
    scope="pod",
    summary="Tolerations, nodeSelector, node/pod affinity or topologySpreadConstraints the API "
    "server refuses (e.g. operator Exists with a value, tolerationSeconds without NoExecute, "
    "In without values, no topologyKey, maxSkew 0).",
    remediation="Follow the field's rule in the message: Exists takes no value, In/NotIn need "
    "values, Gt/Lt one integer, affinity terms need a topologyKey, weights 1-100.",
)
def check_scheduling(view: PodView, ctx: Context) -> Iterator[Issue]:
    spec = view.spec
    if not _SCHEDULING_FIELDS.intersection(spec):
        return
    for i, toleration in items_of(spec.get("tolerations")):
        yield from _toleration_issues(view, (*view.path, "tolerations", i), toleration)
    node_selector = spec.get("nodeSelector")
    for key, value in as_dict(node_selector).items():
        path = (*view.path, "nodeSelector", key)
        problem = qualified_name_problem(str(key))
        if problem:
            yield Issue(view.manifest, path, f"nodeSelector key {key!r} is invalid: {problem}")
        problem = label_value_problem(value)
        if problem:
            yield Issue(view.manifest, path, f"nodeSelector {key}={value!r}: the value {problem}")
    affinity = as_dict(spec.get("affinity"))
    apath = (*view.path, "affinity")
    yield from _node_affinity_issues(view, (*apath, "nodeAffinity"), affinity.get("nodeAffinity"))
    for key in ("podAffinity", "podAntiAffinity"):
        yield from _pod_affinity_issues(view, (*apath, key), affinity.get(key))
    yield from _spread_issues(view, (*view.path, "topologySpreadConstraints"), spec)


def _toleration_issues(view: PodView, path: FieldPath, item: dict[str, Any]) -> Iterator[Issue]:
    manifest = view.manifest
    key, operator = item.get("key") or "", item.get("operator") or "Equal"
    value, effect = item.get("value") or "", item.get("effect") or ""
    if key:
        problem = qualified_name_problem(str(key))
        if problem:
            yield Issue(manifest, (*path, "key"), f"toleration key {key!r} is invalid: {problem}")
    elif operator != "Exists":
        yield Issue(
            manifest,
            (*path, "operator") if "operator" in item else path,
            "a toleration without a key must use operator: Exists (it then tolerates every "
            "taint); add the taint's key or set operator: Exists",
        )
    if item.get("tolerationSeconds") is not None and effect != "NoExecute":
        yield Issue(
            manifest,
            (*path, "effect") if "effect" in item else path,
            "tolerationSeconds is only for effect NoExecute; set effect: NoExecute or remove "
            "tolerationSeconds",
        )
    if operator == "Exists" and value:
        yield Issue(
            manifest,
            (*path, "value"),
            "operator Exists takes no value; remove the value (or use operator: Equal)",
        )
    elif operator == "Equal":
        problem = label_value_problem(value) if isinstance(value, str) else None
        if problem:
            yield Issue(manifest, (*path, "value"), f"toleration value {value!r} {problem}")
    elif operator != "Exists":
        yield Issue(manifest, (*path, "operator"), f"operator {operator!r} is not Equal or Exists")
    if effect and effect not in _TAINT_EFFECTS:
        yield Issue(
            manifest,
            (*path, "effect"),
            f"effect {effect!r} is not one of {', '.join(_TAINT_EFFECTS)} (empty: all effects)",
        )


def _node_affinity_issues(view: PodView, path: FieldPath, affinity: Any) -> Iterator[Issue]:
    affinity = as_dict(affinity)
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if isinstance(required, dict):
        rpath = (*path, "requiredDuringSchedulingIgnoredDuringExecution")
        terms = as_list(required.get("nodeSelectorTerms"))
        if not terms:
            yield Issue(
                view.manifest,
                rpath,
                "requiredDuringSchedulingIgnoredDuringExecution needs at least one "
                "nodeSelectorTerm",
            )
        for i, term in items_of(terms):
            tpath = (*rpath, "nodeSelectorTerms", i)
            yield from _node_term_issues(view, tpath, term, label_values=True)
    preferred = affinity.get("preferredDuringSchedulingIgnoredDuringExecution")
    ppath = (*path, "preferredDuringSchedulingIgnoredDuringExecution")
    for i, item in items_of(preferred):
        yield from _weight_issues(view, (*ppath, i), item)
        preference = item.get("preference")
        if isinstance(preference, dict):
            ipath = (*ppath, i, "preference")
            yield from _node_term_issues(view, ipath, preference, label_values=False)


def _weight_issues(view: PodView, path: FieldPath, item: dict[str, Any]) -> Iterator[Issue]:
    weight = item.get("weight")
    if isinstance(weight, int) and not isinstance(weight, bool) and not 1 <= weight <= 100:
        yield Issue(view.manifest, (*path, "weight"), f"weight {weight} must be 1-100")


def _node_term_issues(
    view: PodView, path: FieldPath, term: dict[str, Any], *, label_values: bool
) -> Iterator[Issue]:
    for j, expr in items_of(term.get("matchExpressions")):
        epath = (*path, "matchExpressions", j)
        yield from _node_expression_issues(view, epath, expr, label_values=label_values)
    for j, expr in items_of(term.get("matchFields")):
        fpath = (*path, "matchFields", j)
        if expr.get("key") != "metadata.name":
            message = f"matchFields key {expr.get('key')!r} is not supported (only metadata.name)"
            yield Issue(view.manifest, (*fpath, "key"), message)
        if expr.get("operator") not in ("In", "NotIn") or len(as_list(expr.get("values"))) != 1:
            message = "matchFields needs operator In or NotIn with exactly one value"
            yield Issue(view.manifest, fpath, message)


def _node_expression_issues(
    view: PodView, path: FieldPath, expr: dict[str, Any], *, label_values: bool
) -> Iterator[Issue]:
    """ValidateNodeSelectorRequirement: a label key, an operator and the values it takes (label
    values, where the term is required)."""
    manifest = view.manifest
    key, operator, values = expr.get("key"), expr.get("operator"), as_list(expr.get("values"))
    problem = qualified_name_problem(str(key or ""))
    if problem:
        yield Issue(manifest, (*path, "key"), f"key {key!r}: {problem}")
    if operator in ("In", "NotIn") and not values:
        yield Issue(manifest, path, f"operator {operator} needs a non-empty values list")
    elif operator in ("Exists", "DoesNotExist") and values:
        yield Issue(manifest, (*path, "values"), f"operator {operator} takes no values")
    elif operator in ("Gt", "Lt") and len(values) != 1:
        yield Issue(manifest, path, f"operator {operator} needs exactly one value")
    elif operator not in _NODE_OPERATORS:
        message = f"operator {operator!r} is not one of {', '.join(_NODE_OPERATORS)}"
        yield Issue(manifest, (*path, "operator"), message)
    for k, value in enumerate(values if label_values else ()):
        problem = label_value_problem(value)
        if problem:
            yield Issue(manifest, (*path, "values", k), f"value {value!r} {problem}")


def _pod_affinity_issues(view: PodView, path: FieldPath, affinity: Any) -> Iterator[Issue]:
    affinity = as_dict(affinity)
    rkey, pkey = (
        "requiredDuringSchedulingIgnoredDuringExecution",
        "preferredDuringSchedulingIgnoredDuringExecution",
    )
    for i, term in items_of(affinity.get(rkey)):
        yield from _pod_term_issues(view, (*path, rkey, i), term)
    for i, item in items_of(affinity.get(pkey)):
        yield from _weight_issues(view, (*path, pkey, i), item)
        weighted = item.get("podAffinityTerm")
        if isinstance(weighted, dict):
            yield from _pod_term_issues(view, (*path, pkey, i, "podAffinityTerm"), weighted)


def _pod_term_issues(view: PodView, path: FieldPath, term: dict[str, Any]) -> Iterator[Issue]:
    manifest = view.manifest
    topology_key = term.get("topologyKey")
    if topology_key == "":  # a missing one is the schema's (it is required)
        yield Issue(
            manifest,
            (*path, "topologyKey"),
            "a pod affinity term needs a topologyKey (e.g. kubernetes.io/hostname or "
            "topology.kubernetes.io/zone)",
        )
    elif topology_key is not None:
        problem = qualified_name_problem(str(topology_key))
        if problem:
            message = f"topologyKey {topology_key!r} is invalid: {problem}"
            yield Issue(manifest, (*path, "topologyKey"), message)
    for key in ("labelSelector", "namespaceSelector"):
        yield from selector_syntax_issues(manifest, (*path, key), term.get(key))
    for k, namespace in enumerate(as_list(term.get("namespaces"))):
        problem = dns_label_problem(namespace)
        if problem:
            message = f"namespace {namespace!r} must be a DNS-1123 label: it {problem}"
            yield Issue(manifest, (*path, "namespaces", k), message)


def _spread_issues(view: PodView, path: FieldPath, spec: dict[str, Any]) -> Iterator[Issue]:
    manifest = view.manifest
    seen: set[tuple[Any, Any]] = set()
    for i, item in items_of(spec.get("topologySpreadConstraints")):
        ipath = (*path, i)
        skew, key, action = (
            item.get("maxSkew"),
            item.get("topologyKey"),
            item.get("whenUnsatisfiable"),
        )
        if isinstance(skew, int) and not isinstance(skew, bool) and skew <= 0:
            yield Issue(manifest, (*ipath, "maxSkew"), f"maxSkew {skew} must be greater than 0")
        if key == "":  # maxSkew, topologyKey and whenUnsatisfiable are required by the schema
            yield Issue(
                manifest,
                (*ipath, "topologyKey"),
                "a topology spread constraint needs a topologyKey",
            )
        if action is None:
            pass
        elif action not in _SPREAD_ACTIONS:
            message = f"whenUnsatisfiable {action!r} is not one of {', '.join(_SPREAD_ACTIONS)}"
            yield Issue(manifest, (*ipath, "whenUnsatisfiable"), message)
        elif (key, action) in seen:
            yield Issue(
                manifest,
                ipath,
                f"another constraint already spreads over {key} with {action}; merge them",
            )
        seen.add((key, action))
        min_domains = item.get("minDomains")
        if min_domains is not None:
            if isinstance(min_domains, int) and min_domains <= 0:
                message = f"minDomains {min_domains} must be greater than 0"
                yield Issue(manifest, (*ipath, "minDomains"), message)
            if action != "DoNotSchedule":
                message = "minDomains only works with whenUnsatisfiable: DoNotSchedule"
                yield Issue(manifest, (*ipath, "minDomains"), message)
        selector = item.get("labelSelector")
        yield from selector_syntax_issues(manifest, (*ipath, "labelSelector"), selector)
        yield from _match_label_keys_issues(view, ipath, item.get("matchLabelKeys"), selector)


def _match_label_keys_issues(
    view: PodView, path: FieldPath, keys: Any, selector: Any
) -> Iterator[Issue]:
    if not as_list(keys):
        return
    if not isinstance(selector, dict):
        message = "matchLabelKeys needs a labelSelector; add one or remove matchLabelKeys"
        yield Issue(view.manifest, (*path, "matchLabelKeys"), message)
        return
    used: set[Any] = set(as_dict(selector.get("matchLabels")))
    used |= {e.get("key") for _, e in items_of(selector.get("matchExpressions"))}
    for k, key in enumerate(as_list(keys)):
        problem = qualified_name_problem(str(key))
        if problem:
            message = f"matchLabelKeys key {key!r} is invalid: {problem}"
            yield Issue(view.manifest, (*path, "matchLabelKeys", k), message)
        elif key in used:
            message = f"{key!r} is in both matchLabelKeys and labelSelector; keep one"
            yield Issue(view.manifest, (*path, "matchLabelKeys", k), message)


@rule(
    "GB235",
    "invalid-pod-spec",
    severity="error",
    scope="pod",
    summary="A container without an image, dnsPolicy None without nameservers, a bad dnsConfig, "
    "hostAliases, hostname/subdomain, priorityClassName, serviceAccountName or "
    "activeDeadlineSeconds.",
    remediation="Give every container an image; with dnsPolicy: None list 1-3 nameservers under "
    "dnsConfig; use IP addresses and DNS names where the field asks for them.",
)
def check_pod_spec(view: PodView, ctx: Context) -> Iterator[Issue]:
    yield from _image_issues(view)
    if not _POD_FIELDS.intersection(view.spec):
        return
    yield from _dns_issues(view, view.spec)
    yield from _host_alias_issues(view)
    yield from _name_issues(view)
    deadline = view.spec.get("activeDeadlineSeconds")
    if isinstance(deadline, int) and not isinstance(deadline, bool) and deadline < 1:
        message = f"activeDeadlineSeconds {deadline} must be at least 1"
        yield Issue(view.manifest, (*view.path, "activeDeadlineSeconds"), message)


def _image_issues(view: PodView) -> Iterator[Issue]:
    for cpath, container in view.containers():
        if cpath[-2] == "ephemeralContainers":
            continue  # not allowed in a template at all
        if container.get("image") in (None, ""):
            name = container.get("name") or "?"
            yield Issue(
                view.manifest,
                (*cpath, "image") if "image" in container else cpath,
                f"container {name!r} has no image; the API server requires one",
            )


def _host_alias_issues(view: PodView) -> Iterator[Issue]:
    for i, alias in items_of(view.spec.get("hostAliases")):
        apath = (*view.path, "hostAliases", i)
        if parse_ip(alias.get("ip")) is None:
            message = f"hostAliases ip {alias.get('ip')!r} must be an IP address"
            yield Issue(view.manifest, (*apath, "ip") if "ip" in alias else apath, message)
        for j, hostname in enumerate(as_list(alias.get("hostnames"))):
            problem = dns_subdomain_problem(hostname)
            if problem:
                message = f"hostname {hostname!r} must be a DNS name: it {problem}"
                yield Issue(view.manifest, (*apath, "hostnames", j), message)


def _name_issues(view: PodView) -> Iterator[Issue]:
    checks = (
        ("hostname", dns_label_problem, "a DNS-1123 label"),
        ("subdomain", dns_label_problem, "a DNS-1123 label"),
        ("priorityClassName", dns_subdomain_problem, "a DNS-1123 subdomain"),
        ("serviceAccountName", dns_subdomain_problem, "a DNS-1123 subdomain"),
    )
    for key, check, what in checks:
        value = view.spec.get(key)
        if isinstance(value, str) and value:
            problem = check(value)
            if problem:
                message = f"{key} {value!r} must be {what}: it {problem}"
                yield Issue(view.manifest, (*view.path, key), message)


def _dns_issues(view: PodView, spec: dict[str, Any]) -> Iterator[Issue]:
    manifest, path = view.manifest, (*view.path, "dnsConfig")
    config = spec.get("dnsConfig")
    nameservers = as_list(as_dict(config).get("nameservers"))
    if spec.get("dnsPolicy") == "None" and not nameservers:
        yield Issue(
            manifest,
            (*path, "nameservers") if isinstance(config, dict) else (*view.path, "dnsPolicy"),
            "dnsPolicy None needs dnsConfig.nameservers (at least one): the pod gets no other "
            "DNS configuration",
        )
    if not isinstance(config, dict):
        return
    if len(nameservers) > _MAX_NAMESERVERS:
        message = f"{len(nameservers)} nameservers; at most {_MAX_NAMESERVERS} are allowed"
        yield Issue(manifest, (*path, "nameservers"), message)
    for i, server in enumerate(nameservers):
        if parse_ip(server) is None:
            message = f"nameserver {server!r} must be an IP address"
            yield Issue(manifest, (*path, "nameservers", i), message)
    yield from _search_issues(view, path, as_list(config.get("searches")))
    for i, option in items_of(config.get("options")):
        if not option.get("name"):
            yield Issue(manifest, (*path, "options", i), "a DNS option needs a name")


def _search_issues(view: PodView, path: FieldPath, searches: list[Any]) -> Iterator[Issue]:
    if len(searches) > _MAX_SEARCHES:
        message = f"{len(searches)} search domains; at most {_MAX_SEARCHES} are allowed"
        yield Issue(view.manifest, (*path, "searches"), message)
    if len(" ".join(map(str, searches))) > _MAX_SEARCH_CHARS:
        message = f"the search domains take more than {_MAX_SEARCH_CHARS} characters"
        yield Issue(view.manifest, (*path, "searches"), message)
    for i, search in enumerate(searches):
        domain = search.removesuffix(".") if isinstance(search, str) else ""
        if search != "." and (len(domain) > 253 or not _SEARCH_DOMAIN.fullmatch(domain)):
            message = f"search domain {search!r} must be a DNS name (lower case, digits, '-', '.')"
            yield Issue(view.manifest, (*path, "searches", i), message)
