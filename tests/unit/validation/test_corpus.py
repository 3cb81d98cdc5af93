"""The corpus of broken manifests: `tests/fixtures/validate-corpus/<case>.yaml`, each run through
the whole validator (`validate_paths`), must give exactly the findings its comments expect.

In a case file:
- `# expect: GB101 GB102` at the end of a line: those findings, on that line;
- `# check: GB0 GB1` (top): only findings of rules with these prefixes are compared (the others,
  policy rules for instance, have their own corpus);
- `# facts: version=1.25 digests=true namespace=x custom=a.io/v1/Kind`: the facts to use.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gitops.validation.engine import validate_paths
from gitops.validation.model import Facts

CASES = sorted(
    p.name for p in (Path(__file__).parents[2] / "fixtures/validate-corpus").glob("*.yaml")
)
_EXPECT = re.compile(r"#\s*expect:\s*(.+)$")
_CHECK = re.compile(r"^#\s*check:\s*(.+)$", re.MULTILINE)
_FACTS = re.compile(r"^#\s*facts:\s*(.+)$", re.MULTILINE)


def expected(text: str) -> list[tuple[str, int]]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            found += [(rule, number) for rule in match.group(1).split()]
    return sorted(found)


def facts_of(text: str) -> Facts:
    values: dict[str, object] = {}
    match = _FACTS.search(text)
    for item in match.group(1).split() if match else ():
        key, _, value = item.partition("=")
        if key == "version":
            values["kubernetes_version"] = value
        elif key == "digests":
            values["require_digest"] = value == "true"
        elif key == "namespace":
            values["namespace"] = value
        elif key == "custom":
            values["custom_resources"] = tuple(value.split(","))
    return Facts(**values)  # type: ignore[arg-type]


@pytest.fixture
def corpus(fixtures_dir: Path) -> Path:
    return fixtures_dir / "validate-corpus"


@pytest.mark.parametrize("case", CASES)
def test_case_gives_exactly_the_expected_findings(case: str, corpus: Path, monkeypatch) -> None:
    monkeypatch.chdir(corpus)
    text = (corpus / case).read_text(encoding="utf-8")
    match = _CHECK.search(text)
    prefixes = tuple(match.group(1).split()) if match else ("GB",)
    findings = [
        f for f in validate_paths([Path(case)], facts_of(text)) if f.rule.startswith(prefixes)
    ]
    assert sorted((f.rule, f.line) for f in findings) == expected(text), "\n".join(
        f.format() for f in findings
    )
    for finding in findings:
        assert finding.path == case
        assert finding.message and not finding.message.endswith((".", ":", ";"))


def test_the_corpus_covers_every_document_and_schema_rule(corpus: Path) -> None:
    fired = set()
    for case in CASES:
        fired |= {rule for rule, _ in expected((corpus / case).read_text(encoding="utf-8"))}
    for rule in ("GB001", "GB002", "GB003", "GB004", "GB101", "GB102", "GB103", "GB104", "GB105"):
        assert rule in fired, f"no corpus case expects {rule}"


def test_the_clean_case_expects_nothing(corpus: Path) -> None:
    assert expected((corpus / "clean.yaml").read_text(encoding="utf-8")) == []
