"""Validating this repository: the committed clusters/ against a fresh render (GB501), every
environment's rendered objects against its own facts, and the controllers' entry points (their
paths, GB502; their order, GB504; their rights, GB505).

Findings about an object move to the file of apps/ it came from where that is certain
(`gitops.validation.origins`); the rendered location stays beside them.
"""

from __future__ import annotations

from collections.abc import Mapping

from gitops.render import sync
from gitops.render.controllers import CONTROLLERS
from gitops.render.state import Rendered, render_all
from gitops.repo.environments import Environment, load_environments
from gitops.repo.layers import load_layers
from gitops.repo.layout import Layout
from gitops.validation import origins
from gitops.validation.applyorder import check_apply_order
from gitops.validation.bootstrap import check_bootstrap
from gitops.validation.engine import FactsSource, check_located, finish, gc_paused
from gitops.validation.leastprivilege import check_least_privilege
from gitops.validation.loader import NO_OBJECT, field_lines, load_bytes
from gitops.validation.model import Facts, Finding, Located, Manifest
from gitops.validation.tally import Tally

RENDER_HINT = "run `nox -s render` and commit the result"


def validate_repository(
    layout: Layout, rendered: Rendered | None = None, tally: Tally | None = None
) -> list[Finding]:
    """Render check, every environment against its facts, and bootstrap/.

    `rendered` is the caller's render of every environment (bump and promote made one already);
    by default every environment is rendered afresh, and one that fails is a GB503 finding.
    `tally` counts the environments, files and objects read.
    """
    environments = load_environments(layout)
    if tally is not None:
        tally.environments = len(environments)
    if rendered is None:
        rendered = render_all(layout, keep_going=True)
    findings = render_failures(layout, rendered)
    with gc_paused():
        findings.extend(sync_findings(layout, rendered))
        checked = {
            env.name: _check_environment(layout, env, rendered.files[env.name], tally)
            for env in environments
            if env.name in rendered.files
        }
        overlays = {
            env.name: [layout.overlay_dir(app, env.name) for app in layout.app_names()]
            for env in environments
        }
        findings.extend(origins.attribute_environments(layout, overlays, checked))
        findings.extend(check_bootstrap(layout, environments, rendered, tally))
        findings.extend(check_apply_order(layout, rendered))
        findings.extend(check_least_privilege(layout, rendered))
        return finish(findings)


def sync_findings(layout: Layout, rendered: Rendered) -> list[Finding]:
    """One GB501 finding per file of clusters/ that writing `rendered` would add, change or
    remove: the check `render --check` makes (`gitops.render.sync.changes`), as findings."""
    findings = []
    for change in sync.changes(layout, rendered):
        shown = layout.relative(change.path).as_posix()
        line = 1
        if change.status == "added":
            message = f"the render produces this file but it is not in clusters/; {RENDER_HINT}"
        elif change.status == "changed":
            committed = b"" if change.path.is_symlink() else change.path.read_bytes()
            line = sync.first_difference(committed, rendered.files[change.env][change.relative])
            message = (
                f"differs from a fresh render from line {line} on (edited by hand, or apps/ "
                f"changed without re-rendering); {RENDER_HINT}"
            )
        elif change.orphaned:
            facts = layout.relative(layout.facts_file(change.env)).as_posix()
            folder = layout.relative(layout.cluster_dir(change.env)).as_posix()
            message = (
                f"there is no environment {change.env!r} (no {facts}); "
                f"delete {folder}/ (`nox -s render -- --prune`) or add the environment"
            )
        else:
            message = f"the render no longer produces this file; {RENDER_HINT} (it deletes it)"
        findings.append(Finding(shown, line, "error", "GB501", NO_OBJECT, message))
    return findings


def render_failures(layout: Layout, rendered: Rendered) -> list[Finding]:
    """GB503 for each environment that did not render, at the file and line kustomize named."""
    findings = []
    for env, error in sorted(rendered.failed.items()):
        facts = layout.relative(layout.facts_file(env)).as_posix()
        path = layout.relative(error.path).as_posix() if error.path else facts
        message = f"environment {env} does not render: {error.message}"
        findings.append(
            Finding(path, error.line or 1, "error", "GB503", f"environment/{env}", message)
        )
    return findings


def _check_environment(
    layout: Layout, env: Environment, files: Mapping[str, bytes], tally: Tally | None = None
) -> list[Located]:
    """Every object of one environment against its facts (findings at the rendered files).

    A cluster runs one controller: a layer rendered per controller (`<layer>/flux/`,
    `<layer>/argocd/`) is checked with the rest once per controller, each view on its own, and
    the findings of both views are kept (those of the shared files once)."""
    base = layout.relative(layout.cluster_dir(env.name)).as_posix()
    manifests: dict[str, list[Manifest]] = {}
    findings: list[Located] = []
    for name, data in sorted(files.items()):
        loaded = load_bytes(data, f"{base}/{name}")
        manifests[name] = loaded.manifests
        findings.extend(Located(f, None, ()) for f in loaded.findings)
    if tally is not None:
        tally.count(len(files), sum(map(len, manifests.values())), env.kubernetes_version)
    facts_text = env.facts_file.read_text(encoding="utf-8")
    source = FactsSource(
        layout.relative(env.facts_file).as_posix(),
        field_lines(facts_text),
        f"environment/{env.name}",
    )
    facts = Facts.from_environment(env)
    seen: set[Finding] = set()
    for view in controller_views(layout, list(manifests)):
        selected = [m for name in view for m in manifests[name]]
        for item in check_located(selected, facts, source):
            if item.finding not in seen:
                seen.add(item.finding)
                findings.append(item)
    return findings


def controller_views(layout: Layout, names: list[str]) -> list[list[str]]:
    """The rendered files as each controller's cluster receives them: all of them when no layer
    is rendered per controller, else, per controller, the shared ones and its own."""
    per_controller = load_layers(
        layout.layers_file, layout.relative(layout.layers_file)
    ).per_controller
    folders = {
        f"{layer}/{controller}/": controller
        for layer in per_controller
        for controller in CONTROLLERS
    }

    def owner(name: str) -> str | None:
        return next((c for folder, c in folders.items() if name.startswith(folder)), None)

    if not any(owner(name) for name in names):
        return [names]
    return [[n for n in names if owner(n) in (None, controller)] for controller in CONTROLLERS]
