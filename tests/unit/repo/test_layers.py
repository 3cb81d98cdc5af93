"""The layers file (`repo.layers`): how it complains."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops.errors import ConfigError
from gitops.repo.layers import load_layers


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("default: app\nlayers:\n  app: [web]\n  data: [web]\n", "component 'web' is in", 4),
        ("default: nope\nlayers:\n  app: [web]\n", "`default` must name one of the layers", 1),
        ("default: app\nlayers:\n  App: [web]\n", "must be a folder name", 3),
        ("default: app\nlayers:\n  app: web\n", "must list component names", 3),
        ("default: app\nlayer:\n  app: [web]\n", "unknown key 'layer'", 2),
        ("default: app\nlayers: {app: [web]\n", "not valid YAML", 3),
    ],
)
def test_a_wrong_layers_file_names_file_and_line(
    tmp_path: Path, text: str, message: str, line: int
) -> None:
    path = tmp_path / "layers.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_layers(path, "apps/guestbook/layers.yaml")
    assert message in caught.value.message
    assert (caught.value.path, caught.value.line) == (Path("apps/guestbook/layers.yaml"), line)
