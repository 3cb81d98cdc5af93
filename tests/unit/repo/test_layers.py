"""The layers file (`repo.layers`, apps/layers.yaml): which layer each app's objects go to, and
how a wrong file is refused (file and line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops.errors import ConfigError
from gitops.repo.layers import NO_LAYERS, AppLayers, load_layers

SHOWN = Path("apps/layers.yaml")
GOOD = """\
order: [infra-controllers, data, app]
perController: [infra-controllers]
apps:
  infrastructure:
    default: infra-controllers
  guestbook:
    default: app
    components:
      data: [postgres, redis]
      app: [web]
"""
COMPONENTS = GOOD[GOOD.index("    components:") :]


def _labelled(component: str | None) -> dict[str, object]:
    labels = {"app.kubernetes.io/component": component} if component else {}
    return {"metadata": {"name": "x", "labels": labels}}


def test_a_good_file_gives_the_order_and_each_apps_layers(tmp_path: Path) -> None:
    path = tmp_path / "layers.yaml"
    path.write_text(GOOD)
    layers = load_layers(path, SHOWN)
    assert layers.order == ("infra-controllers", "data", "app")
    assert layers.per_controller == frozenset({"infra-controllers"})
    guestbook = layers.of_app("guestbook")
    assert guestbook == AppLayers("app", {"postgres": "data", "redis": "data", "web": "app"})
    assert guestbook.layer_of(_labelled("postgres")) == "data"
    assert guestbook.layer_of(_labelled("web")) == "app"
    assert guestbook.layer_of(_labelled("listed-nowhere")) == "app"
    assert guestbook.layer_of(_labelled(None)) == "app"
    assert guestbook.layer_of({"metadata": {"name": "no-labels"}}) == "app"
    assert layers.of_app("infrastructure").layer_of(_labelled("web")) == "infra-controllers"


def test_an_app_the_file_does_not_name_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "layers.yaml"
    path.write_text(GOOD)
    with pytest.raises(ConfigError) as caught:
        load_layers(path, SHOWN).of_app("shop")
    assert caught.value.path == SHOWN
    assert "app 'shop' has no entry under `apps:`" in caught.value.message
    assert caught.value.exit_code == 2


def test_without_the_file_there_are_no_layers(tmp_path: Path) -> None:
    layers = load_layers(tmp_path / "layers.yaml", SHOWN)
    assert layers == NO_LAYERS
    assert layers.order == () and layers.per_controller == frozenset()
    assert layers.of_app("any").layer_of(_labelled("web")) == ""


@pytest.mark.parametrize(
    ("old", "new", "message", "line"),
    [
        ("order: [infra-controllers, data, app]\n", "", "`order` must list the layers", 1),
        ("order: [infra-controllers, data, app]", "order: []", "`order` must list the layers", 1),
        ("[infra-controllers, data, app]", "[infra-controllers, Data, app]", "folder name", 1),
        ("[infra-controllers, data, app]", "[infra-controllers, data, data]", "a layer twice", 1),
        ("perController: [infra-controllers]", "perController: [cni]", "`perController`", 2),
        ("apps:\n", "layers: {}\napps:\n", "unknown key 'layers'", 3),
        ("    default: app\n", "    default: nope\n", "apps.guestbook.default must name", 7),
        ("    default: app\n", "", "apps.guestbook.default must name one of the layers", 7),
        ("    default: app\n", "    default: app\n    layer: app\n", "unknown key 'layer'", 8),
        ("      app: [web]", "      cache: [web]", "'cache' is not a layer of `order`", 10),
        ("      app: [web]", "      app: web", "apps.guestbook.components.app must list", 10),
        ("      app: [web]", "      app: [postgres]", "component 'postgres' is in layers", 10),
        (COMPONENTS, "    components: [web]\n", "components must map layers to component", 8),
        ("      app: [web]\n", "      app: [web\n", "not valid YAML", 11),
    ],
)
def test_a_wrong_layers_file_names_file_and_line(
    tmp_path: Path, old: str, new: str, message: str, line: int
) -> None:
    assert old in GOOD
    path = tmp_path / "layers.yaml"
    path.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError) as caught:
        load_layers(path, SHOWN)
    assert message in caught.value.message
    assert (caught.value.path, caught.value.line) == (SHOWN, line)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- order\n", "must be a mapping with `order`, `perController` and `apps`"),
        ("order: [app]\n", "`apps` must map each app to its layers"),
        ("order: [app]\napps: {}\n", "`apps` must map each app to its layers"),
        ("order: [app]\napps:\n  guestbook: app\n", "apps.guestbook must be a mapping"),
    ],
)
def test_a_file_of_the_wrong_shape_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "layers.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")) as caught:
        load_layers(path, SHOWN)
    assert caught.value.path == SHOWN
