"""The repository's own YAML files (facts, layers, overlays), read with ruamel's round-trip loader
so that every value knows its line: errors name the file and the line a person should fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from gitops.errors import ConfigError


def load_config_yaml(text: str, shown: Path | str, *, preserve_quotes: bool = False) -> Any:
    """The document in `text`; a ConfigError naming `shown` and the line when it is not YAML."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = preserve_quotes
    try:
        return yaml.load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(
            f"not valid YAML: {getattr(exc, 'problem', exc)}",
            path=shown,
            line=mark.line + 1 if mark is not None else None,
        ) from None


def node_line(node: Any, key: Any = None) -> int | None:
    """The 1-based line of `node[key]` (or of `node` itself) in a round-trip document."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    if key is not None:
        try:
            return int(lc.key(key)[0]) + 1
        except (KeyError, TypeError):
            pass
    return int(lc.line) + 1
