"""bootstrap/README.md's runbook, walked on this repository: from an empty cluster, the steps it
does by hand (the root key, the controller's install, the entry points), then the folders of
clusters/<env>/ in the order the controller applies them. Every object must find what it needs
(its kind's CRD, its namespace, each Secret and key it reads, its Gateway, its issuer) in what
the Kubernetes release serves, in those steps, or in a folder applied no later than its own.

GB504 (`nox -s validate`) refuses a need met only by a later folder; this walk also refuses one
met nowhere, which is what "from git alone" means, and a rendered file no entry point applies.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from gitops.render.controllers import CONTROLLERS, FLUX_SOURCES
from gitops.render.state import Rendered
from gitops.repo.environments import environment_names, load_environment
from gitops.repo.layout import Layout
from gitops.validation.applyorder.needs import Key, needs, provided
from gitops.validation.applyorder.order import Unit, entry_points
from gitops.validation.crds.store import Catalog
from gitops.validation.loader import load_bytes, load_file
from gitops.validation.model import Manifest
from gitops.validation.rules._index import build_index
from gitops.validation.schema.release import release_for

REPO = Path(__file__).resolve().parents[2]
LAYOUT = Layout(REPO)
ENVS = environment_names(LAYOUT)
RUNBOOK = REPO / "bootstrap" / "README.md"

HAND_STEPS = [
    "kubectl -n kube-system create secret tls sealed-secrets-root --cert=tls.crt --key=tls.key",
    "kubectl -n kube-system label secret sealed-secrets-root "
    "sealedsecrets.bitnami.com/sealed-secrets-key=active",
    "flux install --version=v2.9.6",
    "kubectl apply -f bootstrap/flux/dev/",
    "kubectl apply -k bootstrap/argocd/install --server-side --force-conflicts",
    "kubectl apply -f bootstrap/argocd/dev/projects.yaml",
    "kubectl apply -f bootstrap/argocd/dev/root.yaml",
]
"""Everything the runbook creates in a cluster by hand, for dev (the same for every
environment): the root key, then one controller and its entry points."""

INSTALLED_GROUPS = {"flux": "toolkit.fluxcd.io", "argocd": "argoproj.io"}
"""The API groups (by suffix) whose CRDs the controller's install step brings."""


def runbook_commands() -> list[str]:
    """The commands of the runbook's ```sh blocks that change a cluster, comments dropped."""
    text = RUNBOOK.read_text(encoding="utf-8")
    section = text.split("## The runbook", 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            changes = words[:1] == ["kubectl"] and not {"get", "describe"} & set(words)
            if changes or words[:2] == ["flux", "install"]:
                commands.append(shlex.join(words))
    return commands


def test_the_runbook_creates_by_hand_only_the_root_key_and_the_entry_points() -> None:
    assert runbook_commands() == HAND_STEPS


def test_the_end_to_end_workflow_installs_the_flux_of_the_runbook() -> None:
    """.github/workflows/e2e.yml follows the runbook on kind: the same Flux release."""
    (install,) = [c for c in HAND_STEPS if c.startswith("flux install")]
    version = install.split("--version=v")[1]
    workflow = yaml.safe_load((REPO / ".github/workflows/e2e.yml").read_text(encoding="utf-8"))
    steps = [step for job in workflow["jobs"].values() for step in job.get("steps", [])]
    (setup,) = [s for s in steps if str(s.get("uses", "")).startswith("fluxcd/flux2/action@")]
    assert str(setup["with"]["version"]) == version
    assert any(str(s.get("run", "")).strip() == "flux install" for s in steps)


def test_the_root_key_is_where_the_sealed_secrets_controller_reads_its_keys() -> None:
    """The Secret the runbook makes is in the controller's namespace with the label it selects,
    the controller never makes a key of its own, and the certificate the runbook commits is the
    one `seal` encrypts with (tests/repository/test_apps.py: every sealed value is for it)."""
    create, label = (shlex.split(c) for c in HAND_STEPS[:2])
    namespace = create[create.index("-n") + 1]
    assert label[label.index("-n") + 1] == namespace
    assert "sealedsecrets.bitnami.com/sealed-secrets-key=active" in label
    steps = RUNBOOK.read_text(encoding="utf-8")
    for env in ENVS:
        certificate = LAYOUT.relative(LAYOUT.sealing_certificate(env)).as_posix()
        assert certificate == f"apps/environments/{env}/sealed-secrets.pem"
        flux = _objects(env, "flux")
        (release,) = [m for m in flux if (m.kind, m.name) == ("HelmRelease", "sealed-secrets")]
        assert release.get(("spec", "targetNamespace")) == namespace
        values = release.get(("spec", "values"))
        assert values["fullnameOverride"] == "sealed-secrets-controller"
        assert values["keyrenewperiod"] == "0"
        argocd = _objects(env, "argocd")
        (app,) = [m for m in argocd if (m.kind, m.name) == ("Application", "sealed-secrets")]
        assert app.get(("spec", "destination", "namespace")) == namespace
        assert app.get(("spec", "source", "helm", "valuesObject")) == values
    assert "cp tls.crt apps/environments/dev/sealed-secrets.pem" in steps


@pytest.mark.parametrize("controller", CONTROLLERS)
@pytest.mark.parametrize("env", ENVS)
def test_an_empty_cluster_gets_everything_it_needs_from_git_and_the_runbook(
    env: str, controller: str
) -> None:
    assert walk(committed(env), env, controller) == []


@pytest.mark.parametrize("controller", CONTROLLERS)
def test_the_walk_finds_what_comes_from_nowhere(controller: str) -> None:
    """Without the ClusterIssuer the Gateway's certificate has no issuer; without the sealed
    Secret the web Deployment has no secret key; a folder no entry point applies is never
    applied."""
    files = dict(committed("dev").files["dev"])
    issuer = load_environment(LAYOUT, "dev").certificates
    assert issuer is not None
    del files[f"infra-configs/clusterissuer-{issuer.issuer}.yaml"]
    del files["data/sealedsecret-guestbook-django.yaml"]
    files["extra/configmap-stray.yaml"] = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
    unmet = walk(Rendered(files={"dev": files}), "dev", controller)
    assert "clusters/dev/extra/configmap-stray.yaml: applied by no entry point" in unmet
    assert any(
        line.startswith("clusters/dev/infra-configs/gateway-public.yaml: Gateway/gateway/public")
        and line.endswith(f"needs ClusterIssuer {issuer.issuer}")
        for line in unmet
    ), unmet
    assert any(
        "Deployment/guestbook-dev/guestbook-web needs key 'secret-key' of Secret "
        "guestbook-dev/guestbook-django" in line
        for line in unmet
    ), unmet


@pytest.mark.parametrize("controller", CONTROLLERS)
@pytest.mark.parametrize("env", ENVS)
def test_the_rights_each_entry_point_applies_with_exist_before_it(
    env: str, controller: str
) -> None:
    """Argo CD: the project of every Application (the root's, the layers', those the
    infra-controllers layer renders) is among the hand steps' entry files (projects.yaml, applied
    before root.yaml). Flux: the account an entry point impersonates is among them, and the
    RoleBinding that gives it rights comes from a folder applied before the one it applies."""
    entries = _entry_files(env, controller)
    units = entry_points(LAYOUT, committed(env))[(controller, env)]
    if controller == "argocd":
        projects = {m.name for m in entries if m.kind == "AppProject"} - {"default"}
        apps = [m for m in (*entries, *_objects(env, controller)) if m.kind == "Application"]
        assert apps and all(m.get(("spec", "project")) in projects for m in apps), projects
        return
    accounts = {(m.namespace, m.name) for m in entries if m.kind == "ServiceAccount"}
    files = committed(env).files[env]
    impersonating = [u for u in units if u.entry.get(("spec", "serviceAccountName"))]
    assert {u.layer for u in impersonating} == {"data", "app"}
    for unit in impersonating:
        account = (unit.entry.namespace, unit.entry.get(("spec", "serviceAccountName")))
        assert account in accounts, unit.entry.path
        subject = {"kind": "ServiceAccount", "namespace": account[0], "name": account[1]}
        granting = {
            u.entry.name
            for u in units
            for name in u.files
            for m in load_bytes(files[name], name).manifests
            if m.kind == "RoleBinding" and subject in (m.get(("subjects",)) or [])
        }
        assert granting and granting <= unit.earlier, (unit.entry.name, granting, unit.earlier)


def committed(env: str) -> Rendered:
    """clusters/<env>/ as committed: what the controllers apply."""
    folder = LAYOUT.cluster_dir(env)
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.yaml")}
    return Rendered(files={env: dict(sorted(files.items()))})


def walk(rendered: Rendered, env: str, controller: str) -> list[str]:
    """What an empty cluster run by `controller` lacks when the runbook is followed: each need
    met neither by the Kubernetes release, the hand steps, nor a folder applied no later than
    the object's; each rendered file (of this controller's view) no entry point applies."""
    units = _in_order(entry_points(LAYOUT, rendered)[(controller, env)])
    loaded = {
        name: load_bytes(data, f"clusters/{env}/{name}").manifests
        for name, data in rendered.files[env].items()
    }
    other = tuple(c for c in CONTROLLERS if c != controller)
    applied = {name for unit in units for name in unit.files}
    unmet = [
        f"clusters/{env}/{name}: applied by no entry point"
        for name in loaded
        if name not in applied and not set(other) & set(name.split("/")[1:-1])
    ]
    objects = [[m for name in unit.files for m in loaded[name]] for unit in units]
    entries = _entry_files(env, controller)
    sources = {
        (m.kind, m.namespace, m.name): m
        for m in (*entries, *(m for ms in objects for m in ms))
        if m.group == FLUX_SOURCES
    }
    available = _hand_made(env, controller) | provided(entries, build_index(entries, None), sources)
    unmet.extend(_unmet(entries, available))
    gives: dict[str, set[Key]] = {}
    for unit, ms in zip(units, objects, strict=True):
        index = build_index(ms, None)
        gives[unit.entry.name] = provided(ms, index, sources)
        before = set().union(*(gives[name] for name in unit.earlier if name in gives))
        unmet.extend(_unmet(ms, available | before | gives[unit.entry.name]))
    return unmet


def _unmet(manifests: list[Manifest], available: set[Key]) -> Iterator[str]:
    for need in needs(manifests, build_index(manifests, None)):
        if available.isdisjoint(need.keys):
            m = need.manifest
            yield f"{m.path}: {m.ref} needs {need.what}"


def _in_order(units: list[Unit]) -> list[Unit]:
    """`units` so that each comes after those applied before it (Kahn's order)."""
    done: list[Unit] = []
    while len(done) < len(units):
        ready = [
            u
            for u in units
            if u not in done and u.earlier <= {d.entry.name for d in done} | {u.entry.name}
        ]
        assert ready, f"no order: {[(u.entry.name, sorted(u.earlier)) for u in units]}"
        done.extend(ready)
    return done


def _entry_files(env: str, controller: str) -> list[Manifest]:
    """What `kubectl apply` of the runbook sends: the entry points of `controller` for `env`."""
    folder = LAYOUT.bootstrap_dir / controller / env
    return [
        m
        for path in sorted(folder.rglob("*.yaml"))
        for m in load_file(path, LAYOUT.relative(path).as_posix()).manifests
    ]


def _hand_made(env: str, controller: str) -> set[Key]:
    """What is there before git: the API of the environment's Kubernetes release, and the CRDs
    of the controller's install (HAND_STEPS)."""
    release = release_for(load_environment(LAYOUT, env).kubernetes_version)
    built_in = {("crd", f"{kind}.{api.rpartition('/')[0]}") for api, kind in release.served}
    suffix = INSTALLED_GROUPS[controller]
    installed = {("crd", group) for group, _ in Catalog().index if group.endswith(suffix)}
    return built_in | installed


def _objects(env: str, controller: str) -> list[Manifest]:
    units = entry_points(LAYOUT, committed(env))[(controller, env)]
    files = committed(env).files[env]
    return [
        m
        for name in sorted({n for u in units for n in u.files})
        for m in load_bytes(files[name], name).manifests
    ]
