"""API versions Kubernetes stopped serving, the release that removed them and their replacement.

Transcribed from the Kubernetes "Deprecated API Migration Guide" (kubernetes/website,
`content/en/docs/reference/using-api/deprecation-guide.md`, the revision whose newest section is
v1.32), section "Removed APIs by release". Only what the guide lists is here; an apiVersion with no
schema that is not in this table is reported as unknown instead. When the guide gains a section,
add its rows (and a test): the schema step alone would already refuse the removed version, this
table only makes the message name the replacement and warn before the removal. A replacement that
the target release does not serve (v1beta2 after 1.29, say) is replaced in the message by the
versions the schemas say it serves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Removal:
    api_version: str
    kind: str
    removed_in: str  # the first minor release that no longer serves it, e.g. "1.25"
    replacement: str  # the apiVersion to use instead ("" when there is none)
    note: str = ""

    def advice(self) -> str:
        if self.replacement:
            text = f"use apiVersion: {self.replacement}"
        else:
            text = "there is no replacement API"
        return f"{text} ({self.note})" if self.note else text


def _rows(
    removed_in: str, old: tuple[str, ...], kinds: tuple[str, ...], new: str, note: str = ""
) -> list[Removal]:
    return [Removal(api, kind, removed_in, new, note) for api in old for kind in kinds]


_FLOW = ("FlowSchema", "PriorityLevelConfiguration")
_V1BETA1 = ("extensions/v1beta1",)

REMOVALS: tuple[Removal, ...] = tuple(
    [
        *_rows("1.32", ("flowcontrol.apiserver.k8s.io/v1beta3",), _FLOW,
               "flowcontrol.apiserver.k8s.io/v1"),
        *_rows("1.29", ("flowcontrol.apiserver.k8s.io/v1beta2",), _FLOW,
               "flowcontrol.apiserver.k8s.io/v1"),
        *_rows("1.27", ("storage.k8s.io/v1beta1",), ("CSIStorageCapacity",), "storage.k8s.io/v1"),
        *_rows("1.26", ("flowcontrol.apiserver.k8s.io/v1beta1",), _FLOW,
               "flowcontrol.apiserver.k8s.io/v1beta2"),
        *_rows("1.26", ("autoscaling/v2beta2",), ("HorizontalPodAutoscaler",), "autoscaling/v2",
               "targetAverageUtilization becomes target.averageUtilization with type Utilization"),
        *_rows("1.25", ("batch/v1beta1",), ("CronJob",), "batch/v1"),
        *_rows("1.25", ("discovery.k8s.io/v1beta1",), ("EndpointSlice",), "discovery.k8s.io/v1"),
        *_rows("1.25", ("events.k8s.io/v1beta1",), ("Event",), "events.k8s.io/v1"),
        *_rows("1.25", ("autoscaling/v2beta1",), ("HorizontalPodAutoscaler",), "autoscaling/v2",
               "targetAverageUtilization becomes target.averageUtilization with type Utilization"),
        *_rows("1.25", ("policy/v1beta1",), ("PodDisruptionBudget",), "policy/v1",
               "in policy/v1 an empty selector {} selects every pod of the namespace"),
        *_rows("1.25", ("policy/v1beta1",), ("PodSecurityPolicy",), "",
               "use Pod Security Admission: label the namespace "
               "pod-security.kubernetes.io/enforce"),
        *_rows("1.25", ("node.k8s.io/v1beta1",), ("RuntimeClass",), "node.k8s.io/v1"),
        *_rows("1.22", ("admissionregistration.k8s.io/v1beta1",),
               ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"),
               "admissionregistration.k8s.io/v1",
               "sideEffects and admissionReviewVersions are now required"),
        *_rows("1.22", ("apiextensions.k8s.io/v1beta1",), ("CustomResourceDefinition",),
               "apiextensions.k8s.io/v1",
               "spec.validation moves to spec.versions[*].schema, which is now required"),
        *_rows("1.22", ("apiregistration.k8s.io/v1beta1",), ("APIService",),
               "apiregistration.k8s.io/v1"),
        *_rows("1.22", ("authentication.k8s.io/v1beta1",), ("TokenReview",),
               "authentication.k8s.io/v1"),
        *_rows("1.22", ("authorization.k8s.io/v1beta1",),
               ("LocalSubjectAccessReview", "SelfSubjectAccessReview", "SubjectAccessReview",
                "SelfSubjectRulesReview"),
               "authorization.k8s.io/v1", "spec.group was renamed to spec.groups"),
        *_rows("1.22", ("certificates.k8s.io/v1beta1",), ("CertificateSigningRequest",),
               "certificates.k8s.io/v1", "spec.signerName and spec.usages are now required"),
        *_rows("1.22", ("coordination.k8s.io/v1beta1",), ("Lease",), "coordination.k8s.io/v1"),
        *_rows("1.22", ("extensions/v1beta1", "networking.k8s.io/v1beta1"), ("Ingress",),
               "networking.k8s.io/v1",
               "spec.backend becomes spec.defaultBackend, serviceName/servicePort become "
               "service.name/service.port, pathType is required"),
        *_rows("1.22", ("networking.k8s.io/v1beta1",), ("IngressClass",), "networking.k8s.io/v1"),
        *_rows("1.22", ("rbac.authorization.k8s.io/v1beta1",),
               ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"),
               "rbac.authorization.k8s.io/v1"),
        *_rows("1.22", ("scheduling.k8s.io/v1beta1",), ("PriorityClass",), "scheduling.k8s.io/v1"),
        *_rows("1.22", ("storage.k8s.io/v1beta1",),
               ("CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"), "storage.k8s.io/v1"),
        *_rows("1.16", _V1BETA1, ("NetworkPolicy",), "networking.k8s.io/v1"),
        *_rows("1.16", (*_V1BETA1, "apps/v1beta2"), ("DaemonSet",), "apps/v1",
               "spec.selector is required: copy the template's labels"),
        *_rows("1.16", (*_V1BETA1, "apps/v1beta1", "apps/v1beta2"), ("Deployment", "ReplicaSet"),
               "apps/v1", "spec.selector is required: copy the template's labels"),
        *_rows("1.16", ("apps/v1beta1", "apps/v1beta2"), ("StatefulSet",), "apps/v1",
               "spec.selector is required: copy the template's labels"),
        *_rows("1.16", _V1BETA1, ("PodSecurityPolicy",), "",
               "use Pod Security Admission: label the namespace "
               "pod-security.kubernetes.io/enforce"),
    ]
)  # fmt: skip

_BY_KEY: dict[tuple[str, str], Removal] = {(r.api_version, r.kind): r for r in REMOVALS}


def minor(version: str) -> int:
    """`1.33` (or `v1.33.2`) → 33."""
    parts = version.lstrip("v").split(".")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def removed_in(api_version: str, kind: str, kubernetes_version: str) -> Removal | None:
    """The row when `kubernetes_version` no longer serves this apiVersion of `kind`."""
    row = _BY_KEY.get((api_version, kind))
    if row is not None and minor(kubernetes_version) >= minor(row.removed_in):
        return row
    return None


def scheduled_removal(api_version: str, kind: str, kubernetes_version: str) -> Removal | None:
    """The row when this apiVersion is still served by `kubernetes_version` but will go."""
    row = _BY_KEY.get((api_version, kind))
    if row is not None and minor(kubernetes_version) < minor(row.removed_in):
        return row
    return None


_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")
_STABILITY = {"alpha": 0, "beta": 1, None: 2}


def by_preference(api_versions: list[str]) -> list[str]:
    """Most preferred first: GA before beta before alpha, then the higher version (v2 > v1)."""

    def key(api_version: str) -> tuple[int, int, int]:
        match = _VERSION.match(api_version.rpartition("/")[2])
        if match is None:
            return (-1, 0, 0)
        major, stage, number = match.groups()
        return (_STABILITY[stage], int(major), int(number or 0))

    return sorted(api_versions, key=key, reverse=True)
