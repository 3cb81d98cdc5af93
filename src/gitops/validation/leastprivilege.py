"""GB505 unrestricted-controller: every entry point applies with limited rights, not the
controller's own cluster-wide ones.

Argo CD applies an Application's objects as far as its AppProject allows, and the `default`
project, which Argo CD creates, allows every source, destination and kind: an Application under
bootstrap/ or clusters/ must name another project, one that an AppProject its cluster receives
defines (under bootstrap/, in a folder of its environment or of none, or in clusters/<env>/).
Flux's kustomize-controller applies with its own cluster-admin rights unless a Kustomization
names a ServiceAccount to impersonate: one that applies a folder of only namespaced objects (an
app layer: no cluster-scoped object, none of Flux's or Argo CD's own, which would act with their
controllers' rights anyway) needs no more than a Role, so it must name one (`serviceAccountName`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath

from gitops.render.controllers import FLUX_KUSTOMIZE
from gitops.render.state import Rendered
from gitops.repo.layout import Layout
from gitops.validation.applyorder.order import entry_points
from gitops.validation.engine import apply_suppressions
from gitops.validation.files import yaml_files
from gitops.validation.loader import load_bytes, load_file
from gitops.validation.model import Finding, Manifest

RULE = "GB505"
ARGO_CD = "argoproj.io"
CONTROLLER_GROUPS = (ARGO_CD, "toolkit.fluxcd.io")


def check_least_privilege(layout: Layout, rendered: Rendered) -> list[Finding]:
    """GB505 for the Applications under bootstrap/ and in `rendered`, and for the Flux
    Kustomizations under bootstrap/ that apply an app layer of `rendered`."""
    envs = set(rendered.environments)
    found = yaml_files(layout.bootstrap_dir) if layout.bootstrap_dir.is_dir() else []
    entries = [m for p in found for m in load_file(p, layout.relative(p).as_posix()).manifests]
    files: dict[str, dict[str, list[Manifest]]] = {}
    for env, data in rendered.files.items():
        base = layout.relative(layout.cluster_dir(env)).as_posix()
        files[env] = {n: load_bytes(b, f"{base}/{n}").manifests for n, b in data.items()}
    placed: list[tuple[Manifest, str | None]] = [(m, _env_of(m.path, envs)) for m in entries]
    placed += [(m, e) for e, by_name in files.items() for ms in by_name.values() for m in ms]
    projects: dict[str | None, set[str]] = {}
    for m, where in placed:
        if (m.group, m.kind) == (ARGO_CD, "AppProject"):
            projects.setdefault(where, set()).add(m.name)
    findings = [
        finding
        for m, where in placed
        if (m.group, m.kind) == (ARGO_CD, "Application")
        for finding in _project_findings(m, where, projects)
    ]
    for (controller, env), units in sorted(entry_points(layout, rendered).items()):
        for unit in units if controller == "flux" else ():
            applied = [m for name in unit.files for m in files[env][name]]
            findings.extend(_impersonation_findings(unit.entry, unit.folder, applied))
    return apply_suppressions(findings, [m for m, _ in placed])


def _env_of(path: str, envs: set[str]) -> str | None:
    """The environment a file of bootstrap/ is for: the first folder (or the file's stem) that
    names one; None for a file of no environment."""
    shown = PurePosixPath(path)
    return next((part for part in (*shown.parent.parts, shown.stem) if part in envs), None)


def _project_findings(
    app: Manifest, env: str | None, projects: dict[str | None, set[str]]
) -> Iterator[Finding]:
    """An Application of the `default` project, or of one its cluster is given no AppProject of."""
    project = str(app.get(("spec", "project")) or "default")
    if env is None:
        known = set().union(*projects.values())
    else:
        known = projects.get(env, set()) | projects.get(None, set())
    where = f"for environment {env}" if env else "under bootstrap/"
    if project == "default":
        message = (
            "uses the project 'default', which Argo CD creates allowing every source, destination "
            "and kind: name the environment's own AppProject (bootstrap/argocd/<env>/projects.yaml)"
        )
    elif project not in known:
        defined = ", ".join(sorted(known - {"default"})) or "none"
        message = (
            f"uses the project {project!r}, which no AppProject defines {where} (defined: "
            f"{defined}); Argo CD would not sync it: define it, or name one of those"
        )
    else:
        return
    line = app.line_of(("spec", "project"))
    yield Finding(app.path, line, "error", RULE, app.ref, message)


def _impersonation_findings(
    entry: Manifest, folder: str, applied: Iterable[Manifest]
) -> Iterator[Finding]:
    """A Flux Kustomization without serviceAccountName that applies only namespaced objects,
    none of them a controller's own."""
    applied = list(applied)
    if entry.group != FLUX_KUSTOMIZE or entry.get(("spec", "serviceAccountName")) or not applied:
        return
    if any(not m.namespace or m.group.endswith(CONTROLLER_GROUPS) for m in applied):
        return  # cluster-scoped objects, or Flux's and Argo CD's own: an infrastructure layer
    namespaces = ", ".join(sorted({m.namespace for m in applied}))
    message = (
        f"applies {folder}/, where every object is namespaced (in {namespaces}), with "
        "kustomize-controller's cluster-wide rights: set spec.serviceAccountName to a "
        f"ServiceAccount of {entry.namespace} that a Role in {namespaces} allows to apply them "
        "(bootstrap/README.md)"
    )
    yield Finding(entry.path, entry.line_of(("spec",)), "error", RULE, entry.ref, message)
