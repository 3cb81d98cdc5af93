"""Render each environment's overlay in memory: the state its cluster receives, as files.

kustomize builds each app's overlay `apps/<app>/overlays/<env>`; every object becomes one file,
`<layer>/<kind>-<name>.yaml` under `clusters/<env>/` (lower case; the layer comes from
`apps/layers.yaml`, and without that file there is no layer folder), with a header saying it is
generated and from what. The bytes depend on the objects only
(`gitops.render.objects`): rendering twice gives the same bytes.

`render_all` gives one `Rendered`, the type that every command hands on: render writes it
(`gitops.render.sync`), validate checks it, diff compares two of them, bump and promote do all
three with the one they made. Nothing here writes a file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops.errors import ConfigError, GitopsError, ToolMissing, UsageError
from gitops.render.controllers import CONTROLLERS, for_controller
from gitops.render.kustomize import Kustomize, find_kustomize
from gitops.render.objects import HEADER, dump_object, file_name, object_ref, parse_objects
from gitops.repo.environments import environment_names, load_environment
from gitops.repo.layers import load_layers
from gitops.repo.layout import Layout

MAX_PARALLEL_BUILDS = 4


@dataclass(frozen=True)
class Rendered:
    """The cluster state of some environments: `files[env]` maps each path under
    `clusters/<env>/` to its bytes, sorted by path.

    `complete` says the render covered every environment of the repository, so that a folder of
    clusters/ with no environment behind it is stale. Environments in `failed` did not render
    (validate reports each as GB503); their folders are neither compared nor called stale.
    `kustomize` is the tool that rendered it (writing clusters/ records its version).
    """

    files: Mapping[str, Mapping[str, bytes]]
    complete: bool = False
    failed: Mapping[str, GitopsError] = field(default_factory=dict)
    kustomize: Kustomize | None = None

    @property
    def environments(self) -> list[str]:
        """Every environment the render was asked for, rendered or failed, sorted."""
        return sorted({*self.files, *self.failed})

    def of(self, env: str) -> Mapping[str, bytes]:
        """The files of `env` ({} when it is not in this render)."""
        return self.files.get(env, {})

    def only(self, envs: Iterable[str]) -> Rendered:
        """The same render, cut down to `envs` (so no longer complete)."""
        return Rendered(files={env: self.files[env] for env in envs}, kustomize=self.kustomize)

    def counts(self) -> str:
        """`dev: 22 objects, prod: 26 objects`, for messages."""
        return ", ".join(f"{env}: {len(files)} objects" for env, files in self.files.items())


def render_environment(
    layout: Layout, env: str, kustomize: Kustomize | None = None
) -> dict[str, bytes]:
    """`{path relative to clusters/<env>/: file bytes}` for environment `env`, sorted by path:
    every app's overlay for `env`, each object in its layer (layers rendered per controller
    twice, under `flux/` and `argocd/`)."""
    load_environment(layout, env)  # an unknown environment or broken facts fail here, by name
    layers = load_layers(layout.layers_file, layout.relative(layout.layers_file))
    kustomize = kustomize or find_kustomize()
    files: dict[str, bytes] = {}
    owners: dict[str, str] = {}
    for app in layout.app_names():
        overlay = layout.overlay_dir(app, env)
        if not overlay.is_dir():
            continue  # this app does not run in this environment
        shown = layout.relative(overlay)
        app_layers = layers.of_app(app)
        header = HEADER.format(overlay=Path(shown).as_posix())
        by_layer: dict[str, list[dict[str, Any]]] = {}
        for obj in parse_objects(kustomize.build(overlay, shown), shown):
            by_layer.setdefault(app_layers.layer_of(obj), []).append(obj)
        for layer, objects in by_layer.items():
            for folder, obj in _placed(layer, objects, layers.per_controller, str(shown), env):
                path = f"{folder}/{file_name(obj)}" if folder else file_name(obj)
                if path in owners:
                    raise ConfigError(
                        f"{owners[path]} and {object_ref(obj)} would both be written to "
                        f"clusters/{env}/{path}; rename one of them",
                        path=shown,
                    )
                owners[path] = object_ref(obj)
                files[path] = (header + dump_object(obj)).encode("utf-8")
    return dict(sorted(files.items()))


def _placed(
    layer: str,
    objects: list[dict[str, Any]],
    per_controller: frozenset[str],
    shown: str,
    env: str,
) -> Iterable[tuple[str, dict[str, Any]]]:
    """(folder, object) for one layer's objects: the layer's folder, or one folder per controller
    (`<layer>/flux`, `<layer>/argocd`) for a layer rendered per controller."""
    if layer not in per_controller:
        return [(layer, obj) for obj in objects]
    return [
        (f"{layer}/{controller}", obj)
        for controller in CONTROLLERS
        for obj in for_controller(objects, controller, shown, env=env)
    ]


def render_all(
    layout: Layout, envs: Sequence[str] | None = None, *, keep_going: bool = False
) -> Rendered:
    """Render `envs` (default: every environment, which makes the result `complete`).

    kustomize runs for several environments at once. A failure raises, naming the first
    environment (by name) that failed, unless `keep_going` records it in `Rendered.failed`;
    a missing kustomize always raises.
    """
    known = environment_names(layout)
    if envs is None:
        if not known:
            raise ConfigError(
                "no environment found (an environment is a folder with an environment.yaml)",
                path=layout.relative(layout.environments_dir),
            )
        names = known
    else:
        names = list(dict.fromkeys(envs))
        require_known(names, known)
    kustomize = find_kustomize()
    results = _build_all(layout, names, kustomize)
    failed = {env: result for env, result in results.items() if isinstance(result, GitopsError)}
    if failed and not keep_going:
        raise next(iter(failed.values()))
    files = {env: result for env, result in results.items() if not isinstance(result, GitopsError)}
    return Rendered(files=files, complete=envs is None, failed=failed, kustomize=kustomize)


def require_known(names: Iterable[str], known: Sequence[str]) -> None:
    """A UsageError (exit 2) naming the environments that do not exist, and those that do."""
    unknown = [name for name in names if name not in known]
    if unknown:
        what = "environment" if len(unknown) == 1 else "environments"
        raise UsageError(
            f"unknown {what} {', '.join(map(repr, unknown))} (known: {', '.join(known) or 'none'})"
        )


def _build_all(
    layout: Layout, names: list[str], kustomize: Kustomize
) -> dict[str, dict[str, bytes] | GitopsError]:
    def one(env: str) -> dict[str, bytes] | GitopsError:
        try:
            return render_environment(layout, env, kustomize)
        except ToolMissing:
            raise
        except GitopsError as exc:
            return exc

    if len(names) == 1:
        return {names[0]: one(names[0])}
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_BUILDS, len(names))) as pool:
        return dict(zip(names, pool.map(one, names), strict=True))
