"""Which folder ("layer") of clusters/<env>/ each rendered object goes to (`layers.yaml`).

Argo CD runs a PreSync hook before anything else of its Application, so the migration Job cannot
share an Application with the database it migrates: the rendered state is split into layers that
the controllers apply one after the other (bootstrap/README.md explains the order). The split is
data, not code: the file maps the standard `app.kubernetes.io/component` label to a layer, with a
default layer for everything else, the same for every environment.

    default: app
    layers:
      data: [platform, postgres, redis]
      app: [web, migrate]

Without the file, there are no layers: every object goes straight into clusters/<env>/ (a simpler
repository whose controllers need no ordering).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops.errors import ConfigError
from gitops.repo.configyaml import load_config_yaml, node_line

COMPONENT_LABEL = "app.kubernetes.io/component"
_LAYER_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_KEYS = {"default", "layers"}


@dataclass(frozen=True)
class Layers:
    """The layers in the order the file lists them, and the component -> layer map."""

    names: tuple[str, ...]
    default: str
    by_component: Mapping[str, str]

    def layer_of(self, obj: Mapping[str, Any]) -> str:
        """The layer of a rendered object, by its component label (else the default); "" when
        there are no layers."""
        metadata = obj.get("metadata")
        labels = metadata.get("labels") if isinstance(metadata, Mapping) else None
        component = labels.get(COMPONENT_LABEL) if isinstance(labels, Mapping) else None
        return self.by_component.get(str(component), self.default) if component else self.default


NO_LAYERS = Layers(names=(), default="", by_component={})


def load_layers(path: Path, shown: Path | str) -> Layers:
    """The layers file at `path` (NO_LAYERS when there is none); a ConfigError naming `shown` and
    the line when it is wrong."""
    if not path.exists():
        return NO_LAYERS
    return _parse(load_config_yaml(path.read_text(encoding="utf-8"), shown), shown)


def _parse(data: Any, shown: Path | str) -> Layers:
    def fail(message: str, node: Any = None, key: Any = None) -> ConfigError:
        return ConfigError(
            message, path=shown, line=node_line(node, key) if node is not None else 1
        )

    if not isinstance(data, Mapping):
        raise fail("must be a mapping with `default` (a layer) and `layers` (layer: [components])")
    for key in data:
        if key not in _KEYS:
            raise fail(f"unknown key {key!r} (known: default, layers)", data, key)
    layers = data.get("layers")
    if not isinstance(layers, Mapping) or not layers:
        raise fail("`layers` must map each layer to the components it holds", data, "layers")
    by_component = _components(layers, fail)
    default = data.get("default")
    if default not in layers:
        raise fail(
            f"`default` must name one of the layers ({', '.join(layers)}), got {default!r}",
            data,
            "default" if "default" in data else None,
        )
    return Layers(names=tuple(layers), default=str(default), by_component=by_component)


def _components(layers: Mapping[Any, Any], fail: Callable[..., ConfigError]) -> dict[str, str]:
    """component -> layer; each layer a folder name, each component in one layer only."""
    by_component: dict[str, str] = {}
    for name, components in layers.items():
        if not isinstance(name, str) or not _LAYER_NAME.match(name):
            raise fail(
                f"layer name {name!r} must be a folder name (lower case, digits, '-')", layers, name
            )
        if not isinstance(components, list) or not all(isinstance(c, str) for c in components):
            raise fail(f"layer {name!r} must list component names", layers, name)
        for component in components:
            if component in by_component:
                raise fail(
                    f"component {component!r} is in layers {by_component[component]!r} and "
                    f"{name!r}; an object can only go to one",
                    layers,
                    name,
                )
            by_component[component] = name
    return by_component
