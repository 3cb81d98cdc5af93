"""Findings as text (one per line), JSON (see `findings.schema.json`) or SARIF 2.1.0.

SARIF is what GitHub code scanning reads: every rule is listed in `tool.driver.rules` with its
summary and remediation as help text, every result points at its file and line (`region`), paths
are relative to the repository root (`%SRCROOT%`) so annotations land on the pull request's lines.
A finding that names its source under apps/ keeps its rendered file as a related location.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

from gitops import __version__
from gitops.validation.model import Finding, Location
from gitops.validation.registry import Rule, describe

TOOL_NAME = "gitops-validate"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
JSON_FORMAT_VERSION = 1
SRCROOT = "The root of the repository (or the working directory, for PATH...)."
RENDERED_ID = 1  # the id of a result's related location "rendered" (its file in clusters/)


def summary(findings: Sequence[Finding]) -> dict[str, int]:
    errors = sum(1 for f in findings if f.severity == "error")
    return {"errors": errors, "warnings": len(findings) - errors}


def format_text(findings: Iterable[Finding]) -> str:
    return "".join(f"{finding.format()}\n" for finding in findings)


def format_json(findings: Sequence[Finding]) -> str:
    document = {
        "version": JSON_FORMAT_VERSION,
        "tool": {"name": TOOL_NAME, "version": __version__},
        "summary": summary(findings),
        "findings": [_json_finding(f) for f in findings],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _json_finding(finding: Finding) -> dict[str, Any]:
    item: dict[str, Any] = {
        "path": finding.path,
        "line": finding.line,
        "severity": finding.severity,
        "rule": finding.rule,
        "object": finding.object,
        "message": finding.message,
    }
    if finding.rendered is not None:
        item["rendered"] = {"path": finding.rendered.path, "line": finding.rendered.line}
    return item


def format_rules(rules: Mapping[str, Rule], fmt: str = "text") -> str:
    """The registry: id, severity, name and summary (text), or every field (json)."""
    if fmt == "json":
        return json.dumps([describe(r) for r in rules.values()], indent=2) + "\n"
    width = max((len(r.name) for r in rules.values()), default=0)
    lines = [f"{r.id}  {r.severity:<7}  {r.name:<{width}}  {r.summary}\n" for r in rules.values()]
    return "".join(lines)


def format_sarif(findings: Sequence[Finding], rules: Mapping[str, Rule]) -> str:
    """A SARIF 2.1.0 log with one run; rules listed in full, results pointing at lines."""
    listed = list(rules.values())
    index = {r.id: i for i, r in enumerate(listed)}
    results = [_result(f, index) for f in findings]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_rule_descriptor(r) for r in listed],
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": SRCROOT}}},
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _rule_descriptor(rule_obj: Rule) -> dict[str, Any]:
    level = "error" if rule_obj.severity == "error" else "warning"
    help_text = f"{rule_obj.summary}\n\nHow to fix: {rule_obj.remediation}"
    return {
        "id": rule_obj.id,
        "name": _pascal(rule_obj.name),
        "shortDescription": {"text": rule_obj.summary},
        "fullDescription": {"text": f"{rule_obj.summary} {rule_obj.remediation}"},
        "help": {
            "text": help_text,
            "markdown": f"{rule_obj.summary}\n\n**How to fix:** {rule_obj.remediation}",
        },
        "defaultConfiguration": {"level": level},
        "properties": {"tags": [_category(rule_obj.id)], "scope": rule_obj.scope},
    }


def _result(finding: Finding, index: Mapping[str, int]) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": _artifact(finding.path)}
    if finding.line >= 1:
        physical["region"] = {"startLine": finding.line}
    text = finding.message
    if finding.rendered is not None:
        text += f" (rendered: [{_link_text(str(finding.rendered))}]({RENDERED_ID}))"
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "level": "error" if finding.severity == "error" else "warning",
        "message": {"text": text},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {
            "objectRule/v1": f"{finding.path}|{finding.object}|{finding.rule}|{finding.message}"
        },
    }
    if finding.rule in index:
        result["ruleIndex"] = index[finding.rule]
    if finding.object and finding.object != "-":
        result["locations"][0]["logicalLocations"] = [
            {"fullyQualifiedName": finding.object, "kind": "object"}
        ]
    if finding.rendered is not None:
        result["relatedLocations"] = [_rendered_location(finding.rendered)]
    return result


def _rendered_location(rendered: Location) -> dict[str, Any]:
    """The rendered file of a finding that names its source: a related location, which the
    message links to (`[text](id)`, how code scanning shows related locations)."""
    physical: dict[str, Any] = {"artifactLocation": _artifact(rendered.path)}
    if rendered.line >= 1:
        physical["region"] = {"startLine": rendered.line}
    return {
        "id": RENDERED_ID,
        "physicalLocation": physical,
        "message": {"text": "rendered"},
    }


def _link_text(text: str) -> str:
    """Text inside an embedded link: SARIF wants literal brackets escaped."""
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _artifact(path: str) -> dict[str, Any]:
    posix = PurePosixPath(path)
    if posix.is_absolute():
        return {"uri": posix.as_uri()}
    return {"uri": _uri_escape(path), "uriBaseId": "%SRCROOT%"}


def _uri_escape(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/-._~")


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


_CATEGORIES = {
    "GB0": "documents",
    "GB1": "schema",
    "GB2": "api-server",
    "GB3": "cross-object",
    "GB4": "policy",
    "GB5": "repository",
}


def _category(rule_id: str) -> str:
    return _CATEGORIES.get(rule_id[:3], "other")
