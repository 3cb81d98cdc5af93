"""Pod Security Standards, "restricted" profile, as the PodSecurity admission plugin checks it.

Source: kubernetes/staging/src/k8s.io/pod-security-admission/policy/check_*.go and
https://kubernetes.io/docs/concepts/security/pod-security-standards/. Restricted includes every
baseline control. Every container counts: containers, initContainers and ephemeralContainers.
Pods with `hostUsers: false` (user namespaces) are exempt from the runAsNonRoot/runAsUser controls,
as in the admission plugin. All errors except GB407 (readOnlyRootFilesystem) and GB408 (the root
group: runAsGroup/fsGroup 0), which are not part of the standard: warnings (images built for
OpenShift's arbitrary UIDs rely on group 0 on purpose).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops.validation.model import Context, FieldPath, Issue, PodView
from gitops.validation.registry import rule
from gitops.validation.rules._util import as_dict, as_list, items_of

_SECCOMP_OK = ("RuntimeDefault", "Localhost")
_ALLOWED_VOLUMES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)
_SAFE_SYSCTLS = frozenset({
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
})  # fmt: skip
_SELINUX_TYPES = frozenset(
    {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
)


def _pod_sc(view: PodView) -> dict[str, Any]:
    return as_dict(view.spec.get("securityContext"))


def _sc(container: dict[str, Any]) -> dict[str, Any]:
    return as_dict(container.get("securityContext"))


def _name(container: dict[str, Any]) -> str:
    return str(container.get("name", "?"))


@rule(
    "GB401",
    "run-as-non-root",
    severity="error",
    scope="pod",
    summary="PSS restricted: runAsNonRoot must be true (pod or every container), runAsUser != 0.",
    remediation="Set spec.securityContext.runAsNonRoot: true and a non-zero runAsUser.",
)
def check_run_as_non_root(view: PodView, ctx: Context) -> Iterator[Issue]:
    if view.spec.get("hostUsers") is False:
        return
    pod_sc, pod_path = _pod_sc(view), (*view.path, "securityContext")
    pod_value = pod_sc.get("runAsNonRoot")
    if pod_value is False:
        message = "runAsNonRoot is false; set it to true (the image must run as a non-root user)"
        yield Issue(view.manifest, (*pod_path, "runAsNonRoot"), message)
    if pod_sc.get("runAsUser") == 0:
        message = "runAsUser 0 runs as root; use a non-zero UID (e.g. 10001)"
        yield Issue(view.manifest, (*pod_path, "runAsUser"), message)
    implicit = []
    for cpath, container in view.containers():
        sc = _sc(container)
        value = sc.get("runAsNonRoot")
        if value is False:
            yield Issue(
                view.manifest,
                (*cpath, "securityContext", "runAsNonRoot"),
                f"{_name(container)}: runAsNonRoot is false; set it to true",
            )
        elif value is None and pod_value is not True:
            implicit.append(_name(container))
        if sc.get("runAsUser") == 0:
            yield Issue(
                view.manifest,
                (*cpath, "securityContext", "runAsUser"),
                f"{_name(container)}: runAsUser 0 runs as root; use a non-zero UID",
            )
    if implicit and pod_value is not False:
        yield Issue(
            view.manifest,
            pod_path if pod_sc else view.path,
            f"set securityContext.runAsNonRoot: true on the pod (or on container(s) "
            f"{', '.join(implicit)})",
        )


@rule(
    "GB402",
    "allow-privilege-escalation",
    severity="error",
    scope="pod",
    summary="PSS restricted: every container must set allowPrivilegeEscalation: false.",
    remediation="Add securityContext.allowPrivilegeEscalation: false to each container.",
)
def check_privilege_escalation(view: PodView, ctx: Context) -> Iterator[Issue]:
    for cpath, container in view.containers():
        sc = _sc(container)
        if sc.get("allowPrivilegeEscalation") is not False:
            path = (*cpath, "securityContext", "allowPrivilegeEscalation")
            yield Issue(
                view.manifest,
                path if "allowPrivilegeEscalation" in sc else cpath,
                f"{_name(container)}: set securityContext.allowPrivilegeEscalation: false",
            )


@rule(
    "GB403",
    "capabilities",
    severity="error",
    scope="pod",
    summary="PSS restricted: drop ALL capabilities; add back at most NET_BIND_SERVICE.",
    remediation="securityContext.capabilities: {drop: [ALL]} (add: [NET_BIND_SERVICE] if needed).",
)
def check_capabilities(view: PodView, ctx: Context) -> Iterator[Issue]:
    for cpath, container in view.containers():
        caps = as_dict(_sc(container).get("capabilities"))
        base: FieldPath = (*cpath, "securityContext", "capabilities")
        if "ALL" not in as_list(caps.get("drop")):
            yield Issue(
                view.manifest,
                (*base, "drop") if "drop" in caps else cpath,
                f"{_name(container)}: capabilities.drop must include ALL",
            )
        for i, cap in enumerate(as_list(caps.get("add"))):
            if cap != "NET_BIND_SERVICE":
                yield Issue(
                    view.manifest,
                    (*base, "add", i),
                    f"{_name(container)}: capability {cap} may not be added; only "
                    "NET_BIND_SERVICE is allowed: remove it",
                )


@rule(
    "GB404",
    "seccomp-profile",
    severity="error",
    scope="pod",
    summary="PSS restricted: seccompProfile.type RuntimeDefault or Localhost on the pod or every "
    "container.",
    remediation="Set spec.securityContext.seccompProfile.type: RuntimeDefault.",
)
def check_seccomp(view: PodView, ctx: Context) -> Iterator[Issue]:
    pod_sc, pod_path = _pod_sc(view), (*view.path, "securityContext")
    pod_type = as_dict(pod_sc.get("seccompProfile")).get("type")
    if pod_type is not None and pod_type not in _SECCOMP_OK:
        yield Issue(
            view.manifest,
            (*pod_path, "seccompProfile", "type"),
            f"seccompProfile type {pod_type} is not allowed; use RuntimeDefault (or Localhost)",
        )
    implicit = []
    for cpath, container in view.containers():
        ctype = as_dict(_sc(container).get("seccompProfile")).get("type")
        if ctype is None:
            if pod_type not in _SECCOMP_OK:
                implicit.append(_name(container))
        elif ctype not in _SECCOMP_OK:
            yield Issue(
                view.manifest,
                (*cpath, "securityContext", "seccompProfile", "type"),
                f"{_name(container)}: seccompProfile type {ctype} is not allowed; use "
                "RuntimeDefault",
            )
    if implicit and pod_type is None:
        yield Issue(
            view.manifest,
            pod_path if pod_sc else view.path,
            "set securityContext.seccompProfile.type: RuntimeDefault on the pod (or on "
            f"container(s) {', '.join(implicit)})",
        )


def _host_issues(view: PodView) -> Iterator[Issue]:
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if view.spec.get(key) is True:
            message = f"{key}: true shares the node's namespace; remove it"
            yield Issue(view.manifest, (*view.path, key), message)
    pod_sc = _pod_sc(view)
    for i, sysctl in items_of(pod_sc.get("sysctls")):
        if str(sysctl.get("name")) not in _SAFE_SYSCTLS:
            yield Issue(
                view.manifest,
                (*view.path, "securityContext", "sysctls", i, "name"),
                f"sysctl {sysctl.get('name')} is not in the safe set; remove it",
            )
    yield from _mac_issues(view, (*view.path, "securityContext"), pod_sc, "pod")


def _mac_issues(view: PodView, path: FieldPath, sc: dict[str, Any], who: str) -> Iterator[Issue]:
    if as_dict(sc.get("appArmorProfile")).get("type") == "Unconfined":
        message = f"{who}: appArmorProfile Unconfined is not allowed; use RuntimeDefault"
        yield Issue(view.manifest, (*path, "appArmorProfile", "type"), message)
    selinux = as_dict(sc.get("seLinuxOptions"))
    if (
        str(selinux.get("type", "")) not in _SELINUX_TYPES
        or selinux.get("user")
        or selinux.get("role")
    ):
        yield Issue(
            view.manifest,
            (*path, "seLinuxOptions"),
            f"{who}: seLinuxOptions may only set type container_t/container_init_t/"
            "container_kvm_t/container_engine_t (no user or role)",
        )
    if as_dict(sc.get("windowsOptions")).get("hostProcess") is True:
        message = f"{who}: windowsOptions.hostProcess is not allowed; remove it"
        yield Issue(view.manifest, (*path, "windowsOptions", "hostProcess"), message)


@rule(
    "GB405",
    "host-access",
    severity="error",
    scope="pod",
    summary="PSS baseline: privileged, host namespaces, hostPort, procMount, unsafe sysctls, "
    "AppArmor/SELinux overrides.",
    remediation="Remove privileged, hostNetwork/hostPID/hostIPC, hostPort and the like.",
)
def check_host_access(view: PodView, ctx: Context) -> Iterator[Issue]:
    yield from _host_issues(view)
    for cpath, container in view.containers():
        sc, name = _sc(container), _name(container)
        scpath = (*cpath, "securityContext")
        if sc.get("privileged") is True:
            message = f"{name}: privileged: true is not allowed; remove it"
            yield Issue(view.manifest, (*scpath, "privileged"), message)
        if sc.get("procMount") not in (None, "Default"):
            message = f"{name}: procMount must be Default; remove it"
            yield Issue(view.manifest, (*scpath, "procMount"), message)
        yield from _mac_issues(view, scpath, sc, name)
        for i, port in items_of(container.get("ports")):
            if port.get("hostPort") not in (None, 0):
                yield Issue(
                    view.manifest,
                    (*cpath, "ports", i, "hostPort"),
                    f"{name}: hostPort {port['hostPort']} is not allowed; remove it and expose "
                    "the port through a Service",
                )


@rule(
    "GB406",
    "volume-types",
    severity="error",
    scope="pod",
    summary="PSS restricted: only configMap, csi, downwardAPI, emptyDir, ephemeral, "
    "persistentVolumeClaim, projected and secret volumes (no hostPath).",
    remediation="Replace hostPath and in-tree volume types with a PersistentVolumeClaim.",
)
def check_volume_types(view: PodView, ctx: Context) -> Iterator[Issue]:
    for i, volume in items_of(view.spec.get("volumes")):
        for key in volume:
            if key != "name" and key not in _ALLOWED_VOLUMES:
                yield Issue(
                    view.manifest,
                    (*view.path, "volumes", i, key),
                    f"volume {volume.get('name')!r} uses {key}, which the restricted profile "
                    "forbids; use a PersistentVolumeClaim (or emptyDir/configMap/secret)",
                )


@rule(
    "GB407",
    "read-only-root-filesystem",
    severity="warning",
    scope="pod",
    summary="A container's root filesystem is writable (readOnlyRootFilesystem is not true).",
    remediation="Set readOnlyRootFilesystem: true and mount an emptyDir where it must write.",
)
def check_read_only_root(view: PodView, ctx: Context) -> Iterator[Issue]:
    for cpath, container in view.containers():
        sc = _sc(container)
        if sc.get("readOnlyRootFilesystem") is not True:
            path = (*cpath, "securityContext", "readOnlyRootFilesystem")
            yield Issue(
                view.manifest,
                path if "readOnlyRootFilesystem" in sc else cpath,
                f"{_name(container)}: set securityContext.readOnlyRootFilesystem: true (mount an "
                "emptyDir at paths the process writes, e.g. /tmp)",
            )


def _is_gid_zero(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value == 0


def _root_group_settings(view: PodView) -> Iterator[tuple[FieldPath, str, str]]:
    """(path, who, setting) of every place that puts the pod's processes in group 0."""
    pod_sc, pod_path = _pod_sc(view), (*view.path, "securityContext")
    if _is_gid_zero(pod_sc.get("runAsGroup")):
        yield (*pod_path, "runAsGroup"), "the pod", "runAsGroup 0"
    if _is_gid_zero(pod_sc.get("fsGroup")):
        yield (*pod_path, "fsGroup"), "the pod", "fsGroup 0 (added to every container's groups)"
    for i, group in enumerate(as_list(pod_sc.get("supplementalGroups"))):
        if _is_gid_zero(group):
            yield (*pod_path, "supplementalGroups", i), "the pod", "supplementalGroups with 0"
    for cpath, container in view.containers():
        if _is_gid_zero(_sc(container).get("runAsGroup")):
            path = (*cpath, "securityContext", "runAsGroup")
            yield path, _name(container), "runAsGroup 0"


@rule(
    "GB408",
    "run-as-root-group",
    severity="warning",
    scope="pod",
    summary="A pod or container runs in the root group: runAsGroup 0, fsGroup 0 or 0 in "
    "supplementalGroups.",
    remediation="Use a non-zero GID (e.g. runAsGroup: 10001, fsGroup: 10001).",
)
def check_root_group(view: PodView, ctx: Context) -> Iterator[Issue]:
    for path, who, setting in _root_group_settings(view):
        yield Issue(
            view.manifest,
            path,
            f"{who}: {setting} puts the process in the root group, which may read and write "
            "every file the image or a volume leaves to group 0; use a non-zero GID (e.g. 10001)",
        )
