"""Syntax checks and helpers shared by the rules, mirroring Kubernetes' apimachinery validation.

Every regular expression is compiled once, here; each `is_*`/`*_problem` function returns `None`
when the value is valid and otherwise a short reason in the API server's words.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from gitops.validation.model import Manifest

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_PORT_NAME = re.compile(r"[-a-z0-9]+")
_HAS_LETTER = re.compile(r"[a-z]")
_CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_PERCENT = re.compile(r"[0-9]+%")

TextCheck = Callable[[str], "str | None"]


def text_check(func: TextCheck) -> Callable[[Any], str | None]:
    """Cache a check of a string; any other value (a YAML number or mapping) fails it."""
    cached = functools.lru_cache(maxsize=8192)(func)

    @functools.wraps(func)
    def check(value: Any) -> str | None:
        return cached(value) if isinstance(value, str) else "must be a string"

    return check


LABEL_RULE = "alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"


@text_check
def dns_label_problem(value: str) -> str | None:
    if len(value) > 63:
        return "must be no more than 63 characters"
    if not _DNS_LABEL.fullmatch(value):
        return "must be lower case alphanumerics or '-', starting and ending with an alphanumeric"
    return None


@text_check
def dns1035_label_problem(value: str) -> str | None:
    if len(value) > 63:
        return "must be no more than 63 characters"
    if not _DNS1035_LABEL.fullmatch(value):
        return (
            "must be lower case alphanumerics or '-', start with a letter, end with an alphanumeric"
        )
    return None


@text_check
def dns_subdomain_problem(value: str) -> str | None:
    if len(value) > 253:
        return "must be no more than 253 characters"
    if not _DNS_SUBDOMAIN.fullmatch(value):
        return (
            "must be lower case alphanumerics, '-' or '.', starting and ending with an alphanumeric"
        )
    return None


def path_segment_problem(value: str) -> str | None:
    if value in (".", ".."):
        return f"may not be {value!r}"
    for bad in ("/", "%"):
        if bad in value:
            return f"may not contain {bad!r}"
    return None


@text_check
def qualified_name_problem(value: str) -> str | None:
    """Label and annotation keys: optional DNS-subdomain prefix, '/', name of ≤ 63 characters."""
    prefix, slash, name = value.rpartition("/")
    if slash:
        if not prefix:
            return "prefix part must be non-empty"
        problem = dns_subdomain_problem(prefix)
        if problem:
            return f"prefix part {problem}"
    if not name:
        return "name part must be non-empty"
    if len(name) > 63:
        return "name part must be no more than 63 characters"
    if not _QUALIFIED_NAME.fullmatch(name):
        return f"name part must consist of {LABEL_RULE}"
    return None


def label_value_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a string (quote it in YAML)"
    return _label_string_problem(value)


@functools.lru_cache(maxsize=8192)
def _label_string_problem(value: str) -> str | None:
    if len(value) > 63:
        return "must be no more than 63 characters"
    if value and not _QUALIFIED_NAME.fullmatch(value):
        return f"must be empty or consist of {LABEL_RULE}"
    return None


@text_check
def port_name_problem(value: str) -> str | None:
    """IANA_SVC_NAME: ≤ 15 of [-a-z0-9], at least one letter, no leading/trailing/double '-'."""
    if len(value) > 15:
        return "must be no more than 15 characters"
    if not _PORT_NAME.fullmatch(value):
        return "must contain only lower case alphanumerics and '-'"
    if not _HAS_LETTER.search(value):
        return "must contain at least one letter (a-z)"
    if "--" in value:
        return "must not contain consecutive hyphens"
    if value[0] == "-" or value[-1] == "-":
        return "must not begin or end with a hyphen"
    return None


def port_number_problem(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        return "must be between 1 and 65535, inclusive"
    return None


def int_or_port_name_problem(value: Any) -> str | None:
    """A targetPort / probe port: a number 1-65535 or an IANA port name."""
    if isinstance(value, str):
        if value.isdigit():
            return port_number_problem(int(value))
        return port_name_problem(value)
    return port_number_problem(value)


def config_key_problem(value: Any) -> str | None:
    """IsConfigMapKey (apimachinery util/validation): ConfigMap and Secret keys, and key refs."""
    if not isinstance(value, str) or not value:
        return "must be a non-empty string"
    if len(value) > 253:
        return "must be no more than 253 characters"
    if not _CONFIG_KEY.fullmatch(value):
        return "must consist of alphanumerics, '-', '_' or '.'"
    if value in (".", "..") or value.startswith(".."):
        return "must not be '.' or '..' or start with '..'"
    return None


def percent_or_int(value: Any) -> tuple[int | None, bool]:
    """(number, is_percent) of an int-or-string like maxSurge; (None, False) when malformed."""
    if isinstance(value, bool):
        return None, False
    if isinstance(value, int):
        return value, False
    if isinstance(value, str) and _PERCENT.fullmatch(value):
        return int(value[:-1]), True
    return None, False


# --- Objects and namespaces -------------------------------------------------------------------

CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "StorageClass",
        "CSIDriver",
        "CSINode",
        "VolumeAttachment",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "APIService",
        "PriorityClass",
        "RuntimeClass",
        "IngressClass",
        "GatewayClass",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "FlowSchema",
        "PriorityLevelConfiguration",
        "CertificateSigningRequest",
        "ClusterIssuer",
        "ClusterSecretStore",
    }
)


def namespace_of(manifest: Manifest, default: str | None) -> str:
    """The namespace the object lands in: its own, else the environment's, else 'default'."""
    if manifest.kind in CLUSTER_SCOPED_KINDS:
        return ""
    return manifest.namespace or default or "default"


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def items_of(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, item) for the mapping items of a list; other entries are the schema's business."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict):
                yield i, item


# --- Label selectors --------------------------------------------------------------------------

SELECTOR_OPERATORS = frozenset({"In", "NotIn", "Exists", "DoesNotExist"})


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    """Whether a metav1.LabelSelector (matchLabels + matchExpressions) selects `labels`."""
    match_labels = selector.get("matchLabels")
    if isinstance(match_labels, dict):
        for key, value in match_labels.items():
            if labels.get(key) != value:
                return False
    for expr in as_list(selector.get("matchExpressions")):
        if not isinstance(expr, dict):
            continue
        key = expr.get("key")
        op = expr.get("operator")
        values = as_list(expr.get("values"))
        present = isinstance(key, str) and key in labels
        value = labels[key] if isinstance(key, str) and present else None
        if op == "In" and (not present or value not in values):
            return False
        if op == "NotIn" and present and value in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def map_selector_matches(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    """A Service-style selector (plain map): every pair must be among the labels."""
    return all(labels.get(key) == value for key, value in selector.items())


def is_empty_selector(selector: Any) -> bool:
    return (
        isinstance(selector, dict)
        and not selector.get("matchLabels")
        and not selector.get("matchExpressions")
    )


def describe_selector(selector: Mapping[str, Any]) -> str:
    selector = as_dict(selector)
    parts = [f"{k}={v}" for k, v in as_dict(selector.get("matchLabels")).items()]
    for expr in as_list(selector.get("matchExpressions")):
        if isinstance(expr, dict):
            values = ",".join(str(v) for v in as_list(expr.get("values")))
            parts.append(f"{expr.get('key')} {expr.get('operator')} ({values})".replace(" ()", ""))
    return ", ".join(parts) or "{}"


def describe_labels(labels: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in as_dict(labels).items()) or "none"
