"""Rules never crash on malformed objects (the schema step reports those, rules skip them), and
what they report about them is still a finding a person can act on."""

from __future__ import annotations

import copy
import random
from typing import Any

from gitops.validation.model import Manifest
from gitops.validation.registry import all_rules

FIXTURES = ["good/guestbook.yaml", "good/gateway.yaml", "bad/metadata.yaml",
            "bad/containers.yaml", "bad/workloads.yaml", "bad/references.yaml", "bad/policy.yaml",
            "bad/tls-secrets.yaml", "bad/route-parents.yaml", "bad/route-backends.yaml",
            "bad/gatewayclass.yaml", "bad/issuers.yaml", "bad/rbac.yaml", "bad/isolation.yaml",
            "bad/secret-values.yaml", "bad/pods-and-rollouts.yaml"]  # fmt: skip
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


def test_rules_on_randomly_broken_objects_report_well_formed_findings(
    rule_fixture, rule_facts, run_rules
) -> None:
    """800 randomly broken copies of the corpus (50 of each file), half as a complete set and
    half as plain files. `run_rules` lets a rule's exception through, so a crash fails here; every
    finding names a registered rule of GB2-GB4, a severity, an object of the set (or none, for an
    environment rule about the facts) on a line of its file, and a message; the same objects give
    the same findings again."""
    rng = random.Random(20240601)
    rules = all_rules()
    fixtures = [rule_fixture(name) for name in FIXTURES]
    for trial in range(800):
        fixture = fixtures[trial % len(fixtures)]
        manifests = []
        for m in fixture.manifests:
            obj = copy.deepcopy(m.obj)
            _mutate(obj, rng)
            manifests.append(Manifest(m.path, m.index, obj, m.line, m.lines))
        facts = rule_facts(complete=False) if trial % 2 else rule_facts()
        hits = run_rules(manifests, facts)
        refs = {m.ref for m in manifests}
        last_line = len(fixture.text.splitlines())
        for hit in hits:
            where = f"trial {trial}: {hit}"
            assert hit.rule in rules and hit.rule.startswith(("GB2", "GB3", "GB4")), where
            assert hit.severity in ("error", "warning"), where
            if hit.object:
                assert hit.object in refs, where
                assert 1 <= hit.line <= last_line, where
            else:  # about the environment's facts, not an object
                assert (hit.line, rules[hit.rule].scope) == (0, "environment"), where
            assert hit.message.strip(), where
            assert hit.message[-1] not in ".;:", where
            assert "bug in the validator" not in hit.message, where
        assert run_rules(copy.deepcopy(manifests), facts) == hits, f"trial {trial}"
