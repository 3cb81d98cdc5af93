"""Fixtures of the rule tests: the rule corpus (tests/fixtures/validate-rules) with what each file
expects, and a small Pod to add fields to. The rules themselves run through `run_rules`
(tests/conftest.py), on manifests from the engine's loader, so the real line mapping is tested.

In a corpus file:
- `# expect: GB201 GB202` at the end of a line: those findings, on that line;
- `# expect-env: GB416`: a finding about the environment's facts (line 0), not a manifest;
- `# check: GB2 GB3` (top): only rules with these prefixes are compared (default GB2 GB3 GB4);
- `# facts: require_digest=false complete=false version=1.31 required=A,B`: adjusts the facts
  (`complete=false`: a plain set of files, where what is not in it may exist elsewhere).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gitops.validation.model import Facts, Manifest

_EXPECT = re.compile(r"#\s*expect:\s*(.+)$")
_EXPECT_ENV = re.compile(r"#\s*expect-env:\s*(.+)$")
_CHECK = re.compile(r"^#\s*check:\s*(.+)$", re.MULTILINE)
_FACTS = re.compile(r"^#\s*facts:\s*(.+)$", re.MULTILINE)
POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: guestbook
spec:
  containers:
    - name: app
      image: "x:1"
{extra}
"""


@dataclass
class RuleFixture:
    """A file of the rule corpus: its text, its manifests, and what its comments ask for."""

    text: str
    manifests: list[Manifest]
    facts: Facts

    @property
    def expected(self) -> list[tuple[str, int]]:
        """(rule, line) of every `# expect:` comment (line 0 for `# expect-env:`), sorted."""
        found = []
        for number, line in enumerate(self.text.splitlines(), start=1):
            for pattern, where in ((_EXPECT, number), (_EXPECT_ENV, 0)):
                match = pattern.search(line)
                if match:
                    found.extend((rule_id, where) for rule_id in match.group(1).split())
        return sorted(found)

    @property
    def prefixes(self) -> tuple[str, ...]:
        """The rule id prefixes of `# check:`, by default GB2 GB3 GB4."""
        match = _CHECK.search(self.text)
        return tuple(match.group(1).split()) if match else ("GB2", "GB3", "GB4")


def _fact_overrides(text: str) -> dict[str, Any]:
    """The `# facts:` comment of `text` as keyword arguments of `rule_facts`."""
    match = _FACTS.search(text)
    overrides: dict[str, Any] = {}
    for item in match.group(1).split() if match else ():
        key, _, value = item.partition("=")
        if key == "require_digest":
            overrides["require_digest"] = value == "true"
        elif key == "complete":
            overrides["complete"] = value == "true"
        elif key == "version":
            overrides["kubernetes_version"] = value
        elif key == "required":
            overrides["required_kinds"] = tuple(k for k in value.split(",") if k)
    return overrides


@pytest.fixture
def rule_fixture(
    fixtures_dir: Path,
    load_manifests: Callable[..., list[Manifest]],
    rule_facts: Callable[..., Facts],
) -> Callable[[str], RuleFixture]:
    """rule_fixture("bad/metadata.yaml"): that file of tests/fixtures/validate-rules, loaded."""
    folder = fixtures_dir / "validate-rules"

    def load(name: str) -> RuleFixture:
        text = (folder / name).read_text(encoding="utf-8")
        manifests = load_manifests(text, name)
        return RuleFixture(text, manifests, rule_facts(**_fact_overrides(text)))

    return load


@pytest.fixture
def pod(load_manifests: Callable[..., list[Manifest]]) -> Callable[[str], list[Manifest]]:
    """pod(extra): a Pod in namespace guestbook with one container `app`; `extra` is added after
    the container's image (line 10), indented by the caller."""

    def make(extra: str) -> list[Manifest]:
        return load_manifests(POD.format(extra=extra))

    return make
