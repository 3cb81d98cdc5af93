"""Generated ConfigMaps and Secrets paired across their content-hash rename."""

from __future__ import annotations

import pytest

from gitops.diff.pairing import base_name, pair_renamed


@pytest.mark.parametrize(
    ("name", "base"),
    [
        ("guestbook-web-4mttb8ggf4", "guestbook-web"),  # as kustomize made it (clusters/dev)
        ("guestbook-redis-2kg98g784k", "guestbook-redis"),
        ("web-env-t2k4m6g8b9", "web-env"),
        ("web-env", None),
        ("web-env-0123456789", None),  # 0, 1 and 3 never appear in kustomize's hash
        ("web-env-4mttb8ggf", None),  # nine characters
        ("guestbook-web", None),
    ],
)
def test_base_name_strips_only_a_kustomize_hash(name: str, base: str | None) -> None:
    assert base_name(name) == base


def test_pairs_one_removed_with_one_added_of_the_same_kind_namespace_and_base() -> None:
    removed = [
        ("ConfigMap", "ns", "web-4mttb8ggf4"),
        ("Secret", "ns", "db-2kg98g784k"),
        ("ConfigMap", "other", "web-4mttb8ggf4"),
        ("Deployment", "ns", "web-4mttb8ggf4"),  # not generated: never paired
    ]
    added = [
        ("ConfigMap", "ns", "web-fk426kktmm"),
        ("Secret", "ns", "db-bbbbbbbbbb"),
        ("ConfigMap", "other2", "web-fk426kktmm"),  # another namespace
        ("Deployment", "ns", "web-fk426kktmm"),
    ]
    assert pair_renamed(removed, added) == {
        ("ConfigMap", "ns", "web-4mttb8ggf4"): ("ConfigMap", "ns", "web-fk426kktmm"),
        ("Secret", "ns", "db-2kg98g784k"): ("Secret", "ns", "db-bbbbbbbbbb"),
    }


def test_two_candidates_on_a_side_are_not_guessed() -> None:
    removed = [("ConfigMap", "ns", "web-4mttb8ggf4")]
    added = [("ConfigMap", "ns", "web-fk426kktmm"), ("ConfigMap", "ns", "web-bbbbbbbbbb")]
    assert pair_renamed(removed, added) == {}
