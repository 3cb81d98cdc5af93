"""The layers of the rendered state (`apps/layers.yaml`): which folder of clusters/<env>/ each
rendered object goes to, and the order in which the controllers apply the folders.

The controllers that the app needs must run before the objects they serve are applied, and the
data before the app that migrates it: the rendered state is split into layers that Flux
(`dependsOn`) and Argo CD (sync waves) apply one after the other (bootstrap/README.md). The split
is data, not code: per app, the standard `app.kubernetes.io/component` label maps an object to a
layer, with a default layer for everything else of that app.

    order: [infra-controllers, infra-configs, data, app]
    perController: [infra-controllers]      # rendered once for Flux, once for Argo CD
    apps:
      guestbook:
        default: app
        components:
          data: [platform, postgres, redis]
          app: [web, migrate]

A layer in `perController` holds what each controller installs its own way (Flux: a HelmRelease
and its source; Argo CD: an Application with a Helm source), so it is rendered into
`<layer>/flux/` and `<layer>/argocd/` (gitops.render.controllers). Without the file there are no
layers: every object goes straight into clusters/<env>/ (a simpler repository).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops.errors import ConfigError
from gitops.repo.configyaml import load_config_yaml, node_line

COMPONENT_LABEL = "app.kubernetes.io/component"
_LAYER_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_KEYS = {"order", "perController", "apps"}
_APP_KEYS = {"default", "components"}

Fail = Callable[..., ConfigError]


@dataclass(frozen=True)
class AppLayers:
    """One app's component -> layer map, and its default layer."""

    default: str
    by_component: Mapping[str, str] = field(default_factory=dict)

    def layer_of(self, obj: Mapping[str, Any]) -> str:
        """The layer of a rendered object, by its component label (else the default)."""
        metadata = obj.get("metadata")
        labels = metadata.get("labels") if isinstance(metadata, Mapping) else None
        component = labels.get(COMPONENT_LABEL) if isinstance(labels, Mapping) else None
        return self.by_component.get(str(component), self.default) if component else self.default


@dataclass(frozen=True)
class Layers:
    """The layers in apply order, those rendered per controller, and each app's map."""

    order: tuple[str, ...] = ()
    per_controller: frozenset[str] = frozenset()
    apps: Mapping[str, AppLayers] = field(default_factory=dict)
    shown: str = ""

    def of_app(self, app: str) -> AppLayers:
        """The layer map of `app` (every object in "" when there are no layers at all)."""
        if not self.order:
            return AppLayers(default="")
        found = self.apps.get(app)
        if found is None:
            raise ConfigError(
                f"app {app!r} has no entry under `apps:`; say which layer its objects go to",
                path=self.shown,
            )
        return found


NO_LAYERS = Layers()


def load_layers(path: Path, shown: Path | str) -> Layers:
    """The layers file at `path` (NO_LAYERS when there is none); a ConfigError naming `shown` and
    the line when it is wrong."""
    if not path.exists():
        return NO_LAYERS
    return _parse(load_config_yaml(path.read_text(encoding="utf-8"), shown), str(shown))


def _parse(data: Any, shown: str) -> Layers:
    def fail(message: str, node: Any = None, key: Any = None) -> ConfigError:
        return ConfigError(
            message, path=shown, line=node_line(node, key) if node is not None else 1
        )

    if not isinstance(data, Mapping):
        raise fail("must be a mapping with `order`, `perController` and `apps`")
    for key in data:
        if key not in _KEYS:
            raise fail(f"unknown key {key!r} (known: {', '.join(sorted(_KEYS))})", data, key)
    order = _order(data, fail)
    per_controller = data.get("perController") or []
    if not isinstance(per_controller, list) or not set(per_controller) <= set(order):
        raise fail("`perController` must list layers of `order`", data, "perController")
    apps = data.get("apps")
    if not isinstance(apps, Mapping) or not apps:
        raise fail("`apps` must map each app to its layers", data, "apps")
    return Layers(
        order=tuple(order),
        per_controller=frozenset(per_controller),
        apps={str(app): _app(app, spec, apps, tuple(order), fail) for app, spec in apps.items()},
        shown=shown,
    )


def _order(data: Mapping[str, Any], fail: Fail) -> list[str]:
    order = data.get("order")
    if not isinstance(order, list) or not order:
        raise fail("`order` must list the layers in the order they are applied", data, "order")
    for name in order:
        if not isinstance(name, str) or not _LAYER_NAME.match(name):
            message = f"layer name {name!r} must be a folder name (lower case, digits, '-')"
            raise fail(message, data, "order")
    if len(set(order)) != len(order):
        raise fail("`order` names a layer twice", data, "order")
    return [str(name) for name in order]


def _app(app: Any, spec: Any, parent: Any, order: tuple[str, ...], fail: Fail) -> AppLayers:
    if not isinstance(spec, Mapping):
        raise fail(f"apps.{app} must be a mapping with `default` and `components`", parent, app)
    for key in spec:
        if key not in _APP_KEYS:
            raise fail(f"apps.{app}: unknown key {key!r} (known: default, components)", spec, key)
    default = spec.get("default")
    if default not in order:
        raise fail(
            f"apps.{app}.default must name one of the layers ({', '.join(order)}), got {default!r}",
            spec,
            "default" if "default" in spec else None,
        )
    components = spec.get("components") or {}
    if not isinstance(components, Mapping):
        raise fail(f"apps.{app}.components must map layers to component names", spec, "components")
    return AppLayers(default=str(default), by_component=_components(app, components, order, fail))


def _components(
    app: Any, components: Mapping[Any, Any], order: tuple[str, ...], fail: Fail
) -> dict[str, str]:
    """component -> layer; each layer one of `order`, each component in one layer only."""
    by_component: dict[str, str] = {}
    for layer, names in components.items():
        if layer not in order:
            raise fail(
                f"apps.{app}.components: {layer!r} is not a layer of `order`", components, layer
            )
        if not isinstance(names, list) or not all(isinstance(c, str) for c in names):
            raise fail(
                f"apps.{app}.components.{layer} must list component names", components, layer
            )
        for component in names:
            if component in by_component:
                raise fail(
                    f"apps.{app}: component {component!r} is in layers "
                    f"{by_component[component]!r} and {layer!r}; an object can only go to one",
                    components,
                    layer,
                )
            by_component[component] = str(layer)
    return by_component
