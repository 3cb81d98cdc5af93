"""The index of objects the cross-object rules share (`rules._index`)."""

from __future__ import annotations

import pytest

from gitops.validation.model import Context
from gitops.validation.rules import _index


def test_index_is_built_once_per_context(
    monkeypatch: pytest.MonkeyPatch, rule_fixture, rule_facts
) -> None:
    manifests = rule_fixture("good/guestbook.yaml").manifests
    calls = []
    real = _index.build_index
    monkeypatch.setattr(_index, "build_index", lambda *a: calls.append(1) or real(*a))
    ctx = Context(rule_facts(), manifests)
    first = _index.index_of(ctx)
    assert _index.index_of(ctx) is first
    assert len(calls) == 1
    assert _index.index_of(Context(rule_facts(), manifests)) is not first
