"""Listing a sealed Secret's file in an app's overlay: one line added to `resources:`, the rest
of the kustomization byte for byte as it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitops.errors import ConfigError
from gitops.repo.configyaml import load_config_yaml


def with_resource(text: str, resource: str, shown: Path | str) -> str:
    """`text` (a kustomization) with `resource` in its `resources:` list; unchanged when it is
    there already. The line goes after the list's last item, indented like it."""
    data = load_config_yaml(text, shown)
    resources = data.get("resources") if isinstance(data, dict) else None
    if not isinstance(resources, list) or not resources:
        raise ConfigError(
            "the overlay has no `resources:` list to add the sealed Secret to; add one",
            path=shown,
        )
    if resource in resources:
        return text
    lines = text.splitlines(keepends=True)
    last = _last_item_line(resources)
    item = lines[last]
    indent = item[: len(item) - len(item.lstrip(" "))]
    if not item.lstrip(" ").startswith("- "):
        raise ConfigError(
            "write `resources:` as a block list (one `- item` per line) to add to it", path=shown
        )
    new_line = f"{indent}- {resource}\n"
    if not item.endswith("\n"):
        lines[last] = item + "\n"
    edited = "".join([*lines[: last + 1], new_line, *lines[last + 1 :]])
    again = load_config_yaml(edited, shown).get("resources")
    if list(again) != [*resources, resource]:  # pragma: no cover - a safety net
        raise ConfigError("adding to `resources:` went wrong; add it by hand", path=shown)
    return edited


def _last_item_line(resources: Any) -> int:
    """The 0-based line of the list's last item (ruamel records each item's line)."""
    return int(resources.lc.item(len(resources) - 1)[0])
