"""Listing a sealed Secret's file in an overlay (`secrets.overlay.with_resource`): one line added
after the last item of `resources:`, indented like it; every other byte as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops.errors import ConfigError
from gitops.secrets.overlay import with_resource

SHOWN = Path("apps/guestbook/overlays/dev/kustomization.yaml")
OVERLAY = """\
# The dev overlay.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: guestbook-dev
resources:
  - ../../base            # everything
  - public-host.yaml
  - secrets/guestbook-postgres.yaml
components:
  - ../../components/public-host
images:
  - name: guestbook
    newTag: "1.0"   # kept as it is
"""


def _added(before: str, after: str) -> list[str]:
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    for i, line in enumerate(new):
        if i >= len(old) or line != old[i]:
            assert new[:i] + new[i + 1 :] == old, "more than one line changed"
            return [line]
    return []


def test_one_line_is_added_after_the_last_item_and_the_rest_is_byte_identical() -> None:
    after = with_resource(OVERLAY, "secrets/guestbook-django.yaml", SHOWN)
    assert _added(OVERLAY, after) == ["  - secrets/guestbook-django.yaml\n"]
    assert after.index("secrets/guestbook-django.yaml") < after.index("components:")


def test_a_resource_already_listed_changes_nothing() -> None:
    assert with_resource(OVERLAY, "secrets/guestbook-postgres.yaml", SHOWN) == OVERLAY


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("resources:\n- ../../base\n", "- secrets/s.yaml\n"),
        ("resources:\n    -   ../../base\nimages: []\n", "    - secrets/s.yaml\n"),
        ("resources:\n  - ../../base", "  - secrets/s.yaml\n"),  # no newline at the end
        ("resources:\n  - ../../base\n  # more below\n\nimages: []\n", "  - secrets/s.yaml\n"),
    ],
)
def test_the_new_line_is_indented_like_the_list(text: str, line: str) -> None:
    after = with_resource(text, "secrets/s.yaml", SHOWN)
    assert line in after.splitlines(keepends=True)
    assert after.replace(line, "", 1) == (text if text.endswith("\n") else text + "\n")


def test_a_flow_style_list_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        with_resource("resources: [../../base]\n", "secrets/s.yaml", SHOWN)
    assert caught.value.message == (
        "write `resources:` as a block list (one `- item` per line) to add to it"
    )
    assert caught.value.path == SHOWN
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    "text", ["namespace: x\n", "resources: []\n", "resources:\n", "resources: base\n", "- a\n"]
)
def test_an_overlay_without_a_resources_list_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="the overlay has no `resources:` list") as caught:
        with_resource(text, "secrets/s.yaml", SHOWN)
    assert caught.value.path == SHOWN


def test_an_overlay_that_is_not_yaml_names_the_file_and_line() -> None:
    with pytest.raises(ConfigError, match="not valid YAML") as caught:
        with_resource("resources:\n  - [unclosed\n", "secrets/s.yaml", SHOWN)
    assert caught.value.path == SHOWN
    assert caught.value.line is not None
