"""Name, label and annotation rules (`rules.names`)."""

from __future__ import annotations


def test_generate_name_prefix_may_end_with_a_dash(load_manifests, run_rules) -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: settings-\n"
    assert run_rules(load_manifests(text), only=["GB201"]) == []
    bad = text.replace("settings-", "Settings-")
    assert [h.line for h in run_rules(load_manifests(bad), only=["GB201"])] == [4]


def test_annotations_over_256_kib(load_manifests, run_rules) -> None:
    big = "x" * (256 * 1024)
    text = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    a: {big}\n"
    hits = run_rules(load_manifests(text), only=["GB203"])
    assert [(h.line, "256 KiB" in h.message) for h in hits] == [(5, True)]
