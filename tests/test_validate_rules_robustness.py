"""Rules must never crash on malformed objects: the schema step reports those, rules skip them."""

from __future__ import annotations

import copy
import random
from typing import Any

from validate_rules_helpers import facts, load_fixture, run_rules

from gitops.validation.model import Manifest

FIXTURES = ["good/guestbook.yaml", "bad/metadata.yaml", "bad/containers.yaml",
            "bad/workloads.yaml", "bad/references.yaml", "bad/policy.yaml"]  # fmt: skip
JUNK: list[Any] = [None, "x", 5, [], {}, [1, "a"], {"a": None}, True, -3, 1.5, {"b": [1]}]


def _mutate(node: Any, rng: random.Random) -> None:
    keys = (
        list(node) if isinstance(node, dict) else range(len(node)) if isinstance(node, list) else []
    )
    for key in keys:
        roll = rng.random()
        if roll < 0.08:
            node[key] = rng.choice(JUNK)
        elif roll < 0.1 and isinstance(node, dict):
            del node[key]
        else:
            _mutate(node[key], rng)


def test_rules_survive_randomly_broken_objects() -> None:
    rng = random.Random(20240601)
    bases = [load_fixture(name)[1] for name in FIXTURES]
    for trial in range(300):
        manifests = []
        for m in bases[trial % len(bases)]:
            obj = copy.deepcopy(m.obj)
            _mutate(obj, rng)
            manifests.append(Manifest(m.path, m.index, obj, m.line, m.lines))
        run_rules(manifests, facts(secrets=None) if trial % 2 else facts())
