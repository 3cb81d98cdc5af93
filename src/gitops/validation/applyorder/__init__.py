"""GB504 applied-too-early: nothing may need what only a folder applied later provides.

The entry points under bootstrap/ order the folders of clusters/<env>/ per controller: Flux
applies a Kustomization once those it `dependsOn` (transitively) are ready; Argo CD syncs the
Applications of one app-of-apps wave by wave. An object's needs (its kind's CRD, its namespace, a
Secret and the keys it reads, its route's Gateway, its certificate's issuer) met in its own folder
or one applied before are fine, met nowhere are other rules' business, and met only by folders
applied later (or in no order) are GB504; so is an entry point out of apps/layers.yaml's `order`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from gitops.render.controllers import FLUX_SOURCES
from gitops.render.state import Rendered
from gitops.repo.layers import load_layers
from gitops.repo.layout import Layout
from gitops.validation.applyorder.needs import RULE, SHOWN, WAVE, Need, needs, provided
from gitops.validation.applyorder.order import Unit, entry_points
from gitops.validation.engine import apply_suppressions
from gitops.validation.loader import load_bytes
from gitops.validation.model import Finding, Manifest
from gitops.validation.rules._index import build_index

__all__ = ["check_apply_order"]


def check_apply_order(layout: Layout, rendered: Rendered) -> list[Finding]:
    """GB504 for every environment of `rendered` that an entry point under bootstrap/ applies."""
    layers = load_layers(layout.layers_file, layout.relative(layout.layers_file))
    loaded: dict[str, dict[str, list[Manifest]]] = {}
    findings: list[Finding] = []
    checked: list[Manifest] = []
    for (_, env), units in sorted(entry_points(layout, rendered, layers).items()):
        if env not in loaded:
            base = layout.relative(layout.cluster_dir(env)).as_posix()
            files = rendered.files[env].items()
            loaded[env] = {n: load_bytes(data, f"{base}/{n}").manifests for n, data in files}
            checked.extend(m for ms in loaded[env].values() for m in ms)
        findings.extend(order_findings(units, layers.order))
        findings.extend(need_findings(units, loaded[env]))
        checked.extend(unit.entry for unit in units)
    return apply_suppressions(findings, checked)


def order_findings(units: list[Unit], order: tuple[str, ...]) -> Iterator[Finding]:
    """An entry point not applied after all those of the layers apps/layers.yaml puts first."""
    for unit in units:
        before = order[: order.index(unit.layer)] if unit.layer in order else ()
        missing = [u for u in units if u.layer in before and u.entry.name not in unit.earlier]
        if not missing:
            continue
        missing.sort(key=lambda u: order.index(u.layer))
        layers = ", ".join(dict.fromkeys(u.layer for u in missing))
        wrong = ", ".join(f"{u.folder}/ ({_how(unit, u)[1]})" for u in missing)
        message = (
            f"applies {unit.folder}/, which apps/layers.yaml orders after {layers}, but "
            f"{SHOWN[unit.controller]} does not apply them before it: {wrong}"
        )
        path = (
            ("spec", "dependsOn")
            if unit.controller == "flux"
            else ("metadata", "annotations", WAVE)
        )
        entry = unit.entry
        yield Finding(entry.path, entry.line_of(path), "error", RULE, entry.ref, message)


def need_findings(units: list[Unit], files: Mapping[str, list[Manifest]]) -> Iterator[Finding]:
    """Each need that only folders the controller does not apply before the object's meet."""
    objects = [[m for name in u.files for m in files[name]] for u in units]
    sources = {
        (m.kind, m.namespace, m.name): m for ms in objects for m in ms if m.group == FLUX_SOURCES
    }
    indexes = [build_index(ms, None) for ms in objects]
    gives = [provided(ms, index, sources) for ms, index in zip(objects, indexes, strict=True)]
    for unit, ms, index in zip(units, objects, indexes, strict=True):
        for need in needs(ms, index):
            givers = [
                u for u, keys in zip(units, gives, strict=True) if not keys.isdisjoint(need.keys)
            ]
            if givers and not any(u is unit or u.entry.name in unit.earlier for u in givers):
                yield _too_early(need, unit, givers)


def _too_early(need: Need, unit: Unit, givers: list[Unit]) -> Finding:
    """The finding about `need` of an object of `unit`, met only by `givers`."""
    after, how = _how(unit, givers[0])
    when = "after" if after else "in no order relative to"
    message = (
        f"needs {need.what}, which only {', '.join(f'{u.folder}/' for u in givers)} "
        f"provide{'s' * (len(givers) == 1)}, applied {when} {unit.folder}/ by "
        f"{SHOWN[unit.controller]} ({how}); provide it in a layer applied earlier, or move this "
        "object to a later one"
    )
    m = need.manifest
    return Finding(m.path, m.line_of(need.path), "error", RULE, m.ref, message)


def _how(unit: Unit, other: Unit) -> tuple[bool, str]:
    """Whether the controller applies `other` after `unit` (else in no order), and why."""
    after, name = unit.entry.name in other.earlier, unit.entry.name
    if unit.controller == "flux":
        both = f"{name} and {other.entry.name}"
        how = (
            f"{other.entry.name} depends on {name}"
            if after
            else f"no dependsOn path between {both}"
        )
    elif unit.parent and unit.parent == other.parent:
        how = (
            f"sync wave {other.wave} after {unit.wave}" if after else f"both sync wave {unit.wave}"
        )
    else:
        how = "not synced by one app-of-apps"
    return after, how
