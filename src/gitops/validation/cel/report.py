"""What the CEL step covers: `validate --cel-report` and the line `--list-rules` adds on stderr.

The report counts the rules of every vendored CRD version (and of the CRDs met in the validated
set): how many are evaluated, how many are transition rules (skipped: they compare with the stored
object), and which cannot be evaluated at all, with their CRD, path, expression and why (a function
cel-expr-python lacks, say). Of the run itself: objects, evaluations, failures (the GB105
findings), and each rule that could not be evaluated on some object, with an example.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from gitops.validation import crds
from gitops.validation.cel.evaluate import STATS
from gitops.validation.cel.program import KindRules, kind_rules


@dataclass
class Coverage:
    rules: int = 0
    evaluated: int = 0
    transition: int = 0
    unevaluable: int = 0
    versions: int = 0


def vendored_kinds() -> list[KindRules]:
    """The compiled rules of every served version of every vendored CRD that has rules."""
    found = []
    for api_version, kind in crds.known_kinds():
        version = crds.version_schema(api_version, kind)
        if version is not None and version.cel_rules:
            found.append(kind_rules(version, f"{kind} {api_version}", "vendored"))
    return found


def coverage(kinds: list[KindRules]) -> Coverage:
    total = Coverage(versions=len(kinds))
    for kind in kinds:
        for rule in kind.rules:
            total.rules += 1
            total.evaluated += rule.evaluated
            total.transition += rule.transition and rule.error is None
            total.unevaluable += rule.error is not None
    return total


def summary_line() -> str:
    """One line for `--list-rules`: what GB105 covers in the vendored CRDs."""
    total = coverage(vendored_kinds())
    return (
        f"GB105 evaluates {total.evaluated} of the {total.rules} CEL rules of the "
        f"{total.versions} vendored CRD versions that have some ({total.transition} transition "
        f"rules skipped, {total.unevaluable} cannot be evaluated; --cel-report lists them)"
    )


def _all_kinds() -> list[KindRules]:
    kinds = {(k.label, k.origin): k for k in vendored_kinds()}
    kinds.update(STATS.kinds)
    return [kinds[key] for key in sorted(kinds)]


def as_data() -> dict[str, Any]:
    kinds = _all_kinds()
    vendored = coverage([k for k in kinds if k.origin == "vendored"])
    others = coverage([k for k in kinds if k.origin != "vendored"])
    unevaluable, transition = [], []
    for kind in kinds:
        for rule in kind.rules:
            item = {"crd": kind.label, "origin": kind.origin, "path": rule.path}
            item["rule"] = rule.expression
            if rule.error is not None:
                unevaluable.append({**item, "error": rule.error})
            elif rule.transition:
                transition.append(item)
    errors = [
        {"crd": label, "origin": origin, "path": path, "rule": expression, "count": entry.count}
        | {"error": entry.error, "example": entry.example}
        for (label, origin, path, expression), entry in sorted(STATS.unevaluated.items())
    ]
    return {
        "vendored": vars(vendored),
        "inValidatedSet": vars(others),
        "run": {
            "objects": STATS.objects,
            "evaluations": STATS.evaluations,
            "failed": STATS.failures,
            "couldNotEvaluate": sum(e["count"] for e in errors),
        },
        "cannotBeEvaluated": unevaluable,
        "transitionRulesSkipped": transition,
        "couldNotEvaluateInThisRun": errors,
    }


def format_report(fmt: str = "text") -> str:
    data = as_data()
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    lines = ["CEL validation rules of CRDs (x-kubernetes-validations), checked as GB105"]
    for title, key in (("vendored CRDs", "vendored"), ("CRDs in the set", "inValidatedSet")):
        c = data[key]
        if c["versions"]:
            lines.append(
                f"{title}: {c['rules']} rules in {c['versions']} CRD versions: {c['evaluated']} "
                f"evaluated, {c['transition']} transition rules skipped (they read oldSelf), "
                f"{c['unevaluable']} cannot be evaluated"
            )
    run = data["run"]
    lines.append(
        f"this run: {run['objects']} objects, {run['evaluations']} rule evaluations, "
        f"{run['failed']} failed (GB105 findings), {run['couldNotEvaluate']} could not be evaluated"
    )
    sections = (
        ("cannot be evaluated", data["cannotBeEvaluated"], "error"),
        ("transition rules, skipped", data["transitionRulesSkipped"], None),
        ("could not be evaluated in this run", data["couldNotEvaluateInThisRun"], "example"),
    )
    for title, items, detail in sections:
        if items:
            lines += ["", f"{title}:"]
        for item in items:
            lines.append(f"  {item['crd']} ({item['origin']}) {item['path']}: {item['rule']}")
            if detail == "error":
                lines.append(f"      {item['error']}")
            elif detail == "example":
                lines.append(f"      {item['count']}x, e.g. {item['example']}: {item['error']}")
    return "\n".join(lines) + "\n"
