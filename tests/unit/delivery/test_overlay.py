"""Editing an overlay's image entry: only its values change; the rest stays byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops.delivery.imageref import ImageRef
from gitops.delivery.overlay import edited_kustomization, read_entry_from_text, read_overlay_image
from gitops.delivery.target import find_target
from gitops.errors import ConfigError
from gitops.repo.layout import Layout

DIGEST = "sha256:" + "ab" * 32


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    old, new = before.splitlines(), after.splitlines()
    return [line for line in old if line not in new], [line for line in new if line not in old]


def test_reads_the_entry_named_by_the_facts(layout: Layout) -> None:
    dev = read_overlay_image(find_target(layout, "dev"), layout.root)
    assert dev.ref == ImageRef("ghcr.io/example/guestbook", "1.0.0")
    assert dev.line == 8
    assert str(dev.file).endswith("overlays/dev/kustomization.yaml")


def test_new_tag_changes_one_value_and_keeps_comment_and_quotes(layout: Layout) -> None:
    target = find_target(layout, "dev")
    path = layout.overlay_dir("guestbook", "dev") / "kustomization.yaml"
    before = path.read_text()
    after = edited_kustomization(target, ImageRef("ghcr.io/example/guestbook", "1.1.0")).decode()
    removed, added = changed_lines(before, after)
    assert removed == ['    newTag: "1.0.0"          # bump edits this entry']
    assert added == ['    newTag: "1.1.0"          # bump edits this entry']
    assert before.replace('"1.0.0"', '"1.1.0"') == after


def test_adding_a_digest_inserts_one_line_in_the_entry(layout: Layout) -> None:
    target = find_target(layout, "dev")
    before = (layout.overlay_dir("guestbook", "dev") / "kustomization.yaml").read_text()
    after = edited_kustomization(target, ImageRef("ghcr.io/example/guestbook", "1.0.0", DIGEST))
    lines = after.decode().splitlines(keepends=True)
    assert lines.pop(10) == f"    digest: {DIGEST}\n"
    assert "".join(lines) == before


def test_digest_only_drops_the_tag_in_a_differently_indented_file(layout: Layout) -> None:
    target = find_target(layout, "prod")
    before = (layout.overlay_dir("guestbook", "prod") / "kustomization.yaml").read_text()
    after = edited_kustomization(
        target, ImageRef("ghcr.io/example/guestbook", None, DIGEST)
    ).decode()
    removed, added = changed_lines(before, after)
    assert removed == ["  newTag: '0.9.0'", "  digest: sha256:" + "1" * 64]
    assert added == [f"  digest: {DIGEST}"]
    assert read_entry_from_text(after, "guestbook") == ImageRef(
        "ghcr.io/example/guestbook", None, DIGEST
    )


def test_missing_entry_names_the_file(layout: Layout) -> None:
    path = layout.overlay_dir("guestbook", "dev") / "kustomization.yaml"
    path.write_text(path.read_text().replace("name: guestbook ", "name: other "))
    with pytest.raises(ConfigError) as caught:
        read_overlay_image(find_target(layout, "dev"), layout.root)
    assert "apps/guestbook/overlays/dev/kustomization.yaml" in str(caught.value)
    assert "no `images:` entry with name: guestbook" in str(caught.value)


def test_odd_layout_elsewhere_in_the_file_is_kept(layout: Layout) -> None:
    path = layout.overlay_dir("guestbook", "dev") / "kustomization.yaml"
    odd = "resources:\n      -   ../../base   # odd but valid\n"
    original = path.read_text().replace("resources:\n  - ../../base\n", odd)
    path.write_text(original)
    target = find_target(layout, "dev")
    after = edited_kustomization(target, ImageRef("ghcr.io/example/guestbook", "2.0.0")).decode()
    assert after == original.replace('"1.0.0"', '"2.0.0"')


def replace_entry(layout: Layout, entry: str) -> Path:
    path = layout.overlay_dir("guestbook", "dev") / "kustomization.yaml"
    text = path.read_text()
    start, end = text.index("  - name: guestbook"), text.index("labels:")
    path.write_text(text[:start] + entry + text[end:])
    return path


def test_a_flow_style_entry_stays_flow_style(layout: Layout) -> None:
    flow = "  - {name: guestbook, newName: ghcr.io/example/guestbook, newTag: '1.0.0'}\n"
    path = replace_entry(layout, flow)
    after = edited_kustomization(
        find_target(layout, "dev"), ImageRef("ghcr.io/example/guestbook", "2")
    ).decode()
    assert after == path.read_text().replace("'1.0.0'", "'2'")


def test_an_entry_ruamel_would_reformat_is_refused(layout: Layout) -> None:
    entry = "  - name: guestbook\n    newName:\n      ghcr.io/example/guestbook\n    newTag: '1'\n"
    replace_entry(layout, entry)
    ref = ImageRef("ghcr.io/example/guestbook", "2")
    with pytest.raises(ConfigError, match="cannot edit the images entry 'guestbook' without"):
        edited_kustomization(find_target(layout, "dev"), ref)


def test_malformed_reference_in_overlay_is_a_config_error_with_line(layout: Layout) -> None:
    path = layout.overlay_dir("guestbook", "dev") / "kustomization.yaml"
    path.write_text(path.read_text().replace('"1.0.0"', '"-bad"'))
    with pytest.raises(ConfigError) as caught:
        read_overlay_image(find_target(layout, "dev"), layout.root)
    assert caught.value.line == 8
    assert "tag '-bad' is not valid" in str(caught.value)


def test_each_app_has_its_own_entry_in_its_own_overlay(two_apps: Layout) -> None:
    shop = find_target(two_apps, "dev", app="shop")
    assert read_overlay_image(shop, two_apps.root).ref == ImageRef("ghcr.io/example/shop", "1")
    after = edited_kustomization(shop, ImageRef("ghcr.io/example/shop", "2")).decode()
    assert after == (shop.overlay_dir / "kustomization.yaml").read_text().replace("'1'", "'2'")
    guestbook = find_target(two_apps, "dev", app="guestbook")
    assert read_overlay_image(guestbook, two_apps.root).ref.tag == "1.0.0"
