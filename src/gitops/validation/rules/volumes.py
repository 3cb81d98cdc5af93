"""Pod volumes and mounts the API server refuses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops.validation.model import Context, FieldPath, Issue, Manifest, PodView
from gitops.validation.registry import rule
from gitops.validation.rules._util import dns_label_problem, items_of


def claim_template_names(view: PodView) -> set[str]:
    """A StatefulSet's volumeClaimTemplates are volumes its containers may mount."""
    if view.manifest.kind != "StatefulSet":
        return set()
    templates = view.manifest.get(("spec", "volumeClaimTemplates"))
    return {
        str(t.get("metadata", {}).get("name"))
        for _, t in items_of(templates)
        if isinstance(t.get("metadata"), dict)
    }


def _subpath_problem(sub_path: str) -> str | None:
    if sub_path.startswith("/"):
        return "must be a relative path"
    if ".." in sub_path.split("/"):
        return "must not contain '..'"
    return None


@rule(
    "GB215",
    "invalid-volume",
    severity="error",
    scope="pod",
    summary="Duplicate or invalid volume names, several sources in one volume, mounts of volumes "
    "that do not exist, repeated mountPath, or a bad subPath.",
    remediation="Name each volume once (DNS label), give it one source, mount only those.",
)
def check_volumes(view: PodView, ctx: Context) -> Iterator[Issue]:
    names: set[str] = set()
    for i, volume in items_of(view.spec.get("volumes")):
        yield from _volume_issues(view.manifest, (*view.path, "volumes", i), volume, names)
    mountable = names | claim_template_names(view)
    for cpath, container in view.containers():
        cname = str(container.get("name", "?"))
        paths: set[str] = set()
        for i, mount in items_of(container.get("volumeMounts")):
            mpath = (*cpath, "volumeMounts", i)
            yield from _mount_issues(
                view.manifest, mpath, mount, cname, mountable=mountable, paths=paths
            )


def _volume_issues(
    manifest: Manifest, vpath: FieldPath, volume: dict[str, Any], names: set[str]
) -> Iterator[Issue]:
    """A volume's name (a DNS label, used once; `names` collects them) and its one source."""
    name = volume.get("name")
    if isinstance(name, str) and name:
        problem = dns_label_problem(name)
        if problem:
            message = f"volume name {name!r} must be a DNS-1123 label: it {problem}"
            yield Issue(manifest, (*vpath, "name"), message)
        if name in names:
            message = f"volume name {name!r} is used twice; rename or merge one"
            yield Issue(manifest, (*vpath, "name"), message)
        names.add(name)
    sources = [key for key in volume if key != "name"]
    if len(sources) > 1:
        yield Issue(
            manifest,
            (*vpath, sources[1]),
            f"volume {name!r} has {len(sources)} sources ({', '.join(sources)}); a volume "
            "has exactly one: split it into separate volumes",
        )


def _mount_issues(
    manifest: Manifest,
    mpath: FieldPath,
    mount: dict[str, Any],
    cname: str,
    *,
    mountable: set[str],
    paths: set[str],
) -> Iterator[Issue]:
    """One volumeMount: names a volume of the pod, mounts a path once (`paths` collects them),
    and has a relative subPath without '..'."""
    name = mount.get("name")
    if isinstance(name, str) and name and name not in mountable:
        known = ", ".join(sorted(mountable)) or "none"
        yield Issue(
            manifest,
            (*mpath, "name"),
            f"{cname}: volumeMount {name!r} names no volume of this pod (volumes: "
            f"{known}); add the volume to spec.volumes or fix the name",
        )
    mount_path = mount.get("mountPath")
    if isinstance(mount_path, str) and mount_path:
        normal = mount_path.rstrip("/") or "/"
        if normal in paths:
            yield Issue(
                manifest,
                (*mpath, "mountPath"),
                f"{cname}: mountPath {mount_path!r} is used twice; mount each path once "
                "(use subPath to mount several files into one directory)",
            )
        paths.add(normal)
    sub_path = mount.get("subPath")
    problem = _subpath_problem(sub_path) if isinstance(sub_path, str) and sub_path else None
    if problem:
        yield Issue(manifest, (*mpath, "subPath"), f"{cname}: subPath {sub_path!r} {problem}")
