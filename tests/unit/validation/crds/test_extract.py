"""What is kept of a CRD for each of its versions (`crds.extract`)."""

from __future__ import annotations

from gitops.validation.crds.extract import kind_schemas


def test_cel_rules_are_kept_for_rule_authors(widget_crd):
    reduced = kind_schemas(widget_crd)
    rules = reduced.versions[0].cel_rules
    assert rules == (
        {
            "path": ".spec",
            "rule": "!(has(self.color) && has(self.paint))",
            "message": "color and paint are mutually exclusive",
        },
    )
