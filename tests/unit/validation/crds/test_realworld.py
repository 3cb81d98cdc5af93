"""Real Argo CD and Flux manifests from public repositories against the vendored schemas.

The fixtures under tests/fixtures/validate-crds/realworld/ name their source in a header comment.
`good/` must be accepted as is (the validator must never reject what the controller accepts);
`bad/` holds real mistakes that must be reported at the path a person has to fix.
"""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from gitops.validation import crds

GOOD = sorted(  # at import: the files parametrize the test
    (Path(__file__).parents[3] / "fixtures/validate-crds/realworld/good").glob("*.yaml")
)


def documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def problems(obj: dict) -> list[tuple[str, str]]:
    schema = crds.crd_schema(obj["apiVersion"], obj["kind"])
    assert schema is not None, f"no vendored schema for {obj['apiVersion']} {obj['kind']}"
    validator = jsonschema.Draft202012Validator(schema)
    return [(e.json_path, e.message) for e in validator.iter_errors(obj)]


@pytest.mark.parametrize("path", GOOD, ids=[p.stem for p in GOOD])
def test_real_manifests_are_accepted(path):
    docs = documents(path)
    assert docs
    for doc in docs:
        assert problems(doc) == [], f"{path.name}: {doc['kind']}/{doc['metadata']['name']}"


def test_the_good_set_covers_the_bootstrap_kinds():
    kinds = {doc["kind"] for path in GOOD for doc in documents(path)}
    assert {"Application", "AppProject", "GitRepository", "Kustomization"} <= kinds


@pytest.mark.parametrize(
    ("name", "where", "expected"),
    [
        ("argo-application-helm-under-spec.yaml", "$.spec", "'helm' was unexpected"),
        ("flux-gitrepository-branch-under-spec.yaml", "$.spec", "'branch' was unexpected"),
        (
            "flux-kustomization-sourceref-without-kind.yaml",
            "$.spec.sourceRef",
            "'kind' is a required property",
        ),
    ],
)
def test_real_mistakes_are_reported_where_they_are(name, where, expected, crd_fixtures):
    (doc,) = documents(crd_fixtures / "realworld" / "bad" / name)
    (found,) = problems(doc)
    assert found[0] == where
    assert expected in found[1]


def test_apis_current_flux_no_longer_serves_have_no_schema(crd_fixtures):
    for doc in documents(crd_fixtures / "realworld" / "bad" / "flux-v1beta1-gotk-sync.yaml"):
        assert doc["apiVersion"].endswith("/v1beta1")
        assert crds.crd_schema(doc["apiVersion"], doc["kind"]) is None
        assert crds.is_namespaced(doc["apiVersion"], doc["kind"]) is True
