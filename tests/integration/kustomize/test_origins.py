"""Repository mode names the file a person edits: a finding about an object moves from its rendered
file (clusters/) to the file of apps/ it came from when that is certain, and keeps the rendered
location beside it. Real kustomize on a small fixture repository (`tests/fixtures/validate-origin`)
and on a copy of this repository; skipped with an install hint without kustomize or kubectl."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from gitops import cli
from gitops.errors import ConfigError
from gitops.render import sync
from gitops.render.kustomize import Kustomize
from gitops.render.state import render_all
from gitops.repo.layout import Layout
from gitops.validation.model import Finding, Location
from gitops.validation.repository import validate_repository

BASE = "apps/guestbook/base/web.yaml"
PROD = "apps/guestbook/overlays/prod/kustomization.yaml"


@pytest.fixture
def repo(tmp_path: Path, fixtures_dir: Path) -> Path:
    """A copy of tests/fixtures/validate-origin: a base, a component and two overlays."""
    root = tmp_path / "repo"
    shutil.copytree(fixtures_dir / "validate-origin", root)
    return root


def edit(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {relative}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(root: Path, relative: str, needle: str) -> int:
    """The line (1-based) of the one line of `relative` that holds `needle`."""
    lines = (root / relative).read_text(encoding="utf-8").splitlines()
    found = [number for number, text in enumerate(lines, start=1) if needle in text]
    assert len(found) == 1, f"{needle!r} is on lines {found} of {relative}"
    return found[0]


def render_and_validate(root: Path) -> list[Finding]:
    layout = Layout(root)
    sync.write(layout, render_all(layout))
    return validate_repository(layout)


def where(findings: list[Finding], rule: str) -> list[tuple[str, str, int, Location | None]]:
    return [(f.object, f.path, f.line, f.rendered) for f in findings if f.rule == rule]


def test_the_fixture_renders_and_validates_clean(repo: Path) -> None:
    assert render_and_validate(repo) == []


def test_an_error_in_the_base_names_the_base_line_in_every_environment(repo: Path) -> None:
    edit(repo, BASE, "runAsUser: 10001", "runAsUser: 0")
    findings = render_and_validate(repo)
    line = line_of(repo, BASE, "runAsUser: 0")
    dev, prod = (
        Location(path, line_of(repo, path, "runAsUser: 0"))
        for path in ("clusters/dev/deployment-web.yaml", "clusters/prod/deployment-web.yaml")
    )
    assert where(findings, "GB401") == [
        ("Deployment/guestbook-dev/web", BASE, line, dev),
        ("Deployment/guestbook-prod/web", BASE, line, prod),
    ]
    text = next(f.format() for f in findings if f.rule == "GB401")
    assert text.startswith(f"{BASE}:{line}: error GB401 Deployment/guestbook-dev/web: ")
    assert text.endswith(f" (rendered: {dev.path}:{dev.line})")


def test_a_value_a_patch_replaced_is_not_attributed_to_the_base(repo: Path) -> None:
    """The base's CPU request is wrong, but prod's patch replaces the resources: only dev has the
    finding, at the base; a wrong value in the patch itself stays in prod's rendered file."""
    edit(repo, BASE, "cpu: 100m", "cpu: 100x")
    edit(repo, PROD, "cpu: 250m", "cpu: 250x")
    findings = render_and_validate(repo)
    dev_line = line_of(repo, "clusters/dev/deployment-web.yaml", "cpu: 100x")
    prod_line = line_of(repo, "clusters/prod/deployment-web.yaml", "cpu: 250x")
    assert where(findings, "GB209") == [
        (
            "Deployment/guestbook-dev/web",
            BASE,
            line_of(repo, BASE, "cpu: 100x"),
            Location("clusters/dev/deployment-web.yaml", dev_line),
        ),
        ("Deployment/guestbook-prod/web", "clusters/prod/deployment-web.yaml", prod_line, None),
    ]


def test_the_image_images_rewrote_is_not_attributed_to_the_base(repo: Path) -> None:
    """prod requires a digest; without one in `images:`, GB414 stays in the rendered file (the
    base says only `image: guestbook`)."""
    edit(repo, PROD, "    digest: sha256:" + "1e" * 32 + "\n", "")
    findings = render_and_validate(repo)
    rendered = "clusters/prod/deployment-web.yaml"
    line = line_of(repo, rendered, "image: ghcr.io/example/guestbook:1.0.0")
    assert where(findings, "GB414") == [("Deployment/guestbook-prod/web", rendered, line, None)]


def test_objects_of_a_component_and_of_an_overlay_name_their_own_files(repo: Path) -> None:
    pdb = "apps/guestbook/components/pdb/pdb.yaml"
    namespace = "apps/guestbook/overlays/prod/namespace.yaml"
    edit(repo, pdb, "app.kubernetes.io/name: web", "app.kubernetes.io/name: nothing")
    edit(repo, namespace, "enforce: restricted", 'enforce: "not valid!"')
    findings = render_and_validate(repo)
    assert [(f.rule, f.path, f.line) for f in findings] == [
        ("GB303", pdb, line_of(repo, pdb, "selector:")),
        ("GB202", namespace, line_of(repo, namespace, "enforce:")),
    ]
    assert [f.rendered.path if f.rendered else None for f in findings] == [
        "clusters/prod/poddisruptionbudget-web.yaml",
        "clusters/prod/namespace-guestbook-prod.yaml",
    ]


def test_a_missing_field_names_its_parent_only_when_the_parent_is_unchanged(repo: Path) -> None:
    """Without a selector the PDB's `spec` is the same in the component as in the render: the
    finding names the component's `spec:`. Without a readinessProbe the web container is not the
    same (its image was rewritten): those findings stay in the rendered files."""
    pdb = "apps/guestbook/components/pdb/pdb.yaml"
    edit(repo, pdb, "  selector:\n    matchLabels:\n      app.kubernetes.io/name: web\n", "")
    probe = "readinessProbe:\n            httpGet:\n              path: /readyz\n"
    edit(repo, BASE, probe + "              port: http\n          ", "")
    findings = render_and_validate(repo)
    budget = [f for f in findings if f.object == "PodDisruptionBudget/guestbook-prod/web"]
    assert [(f.rule, f.path, f.line) for f in budget] == [
        ("GB303", pdb, line_of(repo, pdb, "spec:"))
    ]
    probes = [f for f in findings if "readinessProbe" in f.message]
    assert [(f.object, f.path, f.rendered) for f in probes] == [
        ("Deployment/guestbook-dev/web", "clusters/dev/deployment-web.yaml", None),
        ("Deployment/guestbook-prod/web", "clusters/prod/deployment-web.yaml", None),
    ]


def test_a_name_prefix_keeps_the_rendered_location(repo: Path) -> None:
    """dev renames every object (namePrefix): its objects no longer pair with their documents by
    name, so dev's findings stay rendered; prod's still name the base."""
    dev = "apps/guestbook/overlays/dev/kustomization.yaml"
    edit(repo, dev, "namespace: guestbook-dev\n", "namespace: guestbook-dev\nnamePrefix: x-\n")
    edit(repo, BASE, "runAsUser: 10001", "runAsUser: 0")
    findings = render_and_validate(repo)
    assert [(f.object, f.path) for f in findings if f.rule == "GB401"] == [
        ("Deployment/guestbook-prod/web", BASE),
        ("Deployment/guestbook-dev/x-web", "clusters/dev/deployment-x-web.yaml"),
    ]


def test_a_document_a_patch_deletes_keeps_the_file_rendered(repo: Path) -> None:
    """prod deletes the base's Service: web.yaml's documents no longer line up one to one with
    what prod renders from it, so nothing of that file moves in prod (dev is unaffected)."""
    delete = "  - patch: |-\n      $patch: delete\n      apiVersion: v1\n      kind: Service\n"
    edit(repo, PROD, "patches:\n", "patches:\n" + delete + "      metadata:\n        name: web\n")
    edit(repo, BASE, "runAsUser: 10001", "runAsUser: 0")
    findings = render_and_validate(repo)
    assert [(f.object, f.path) for f in findings if f.rule == "GB401"] == [
        ("Deployment/guestbook-dev/web", BASE),
        ("Deployment/guestbook-prod/web", "clusters/prod/deployment-web.yaml"),
    ]


def test_when_the_origin_build_fails_findings_stay_rendered(repo: Path, monkeypatch) -> None:
    edit(repo, BASE, "runAsUser: 10001", "runAsUser: 0")

    def fail(self: Kustomize, overlay: Path, shown: object) -> tuple[str, Path]:
        raise ConfigError("kustomize failed")

    monkeypatch.setattr(Kustomize, "build_with_origins", fail)
    findings = render_and_validate(repo)
    assert [f.path for f in findings] == [
        "clusters/dev/deployment-web.yaml",
        "clusters/prod/deployment-web.yaml",
    ]


def test_a_clean_environment_costs_no_origin_build(repo: Path, monkeypatch) -> None:
    """Only an environment with findings about objects is built a second time."""
    built: list[str] = []
    original = Kustomize.build_with_origins

    def spy(self: Kustomize, overlay: Path, shown: object) -> tuple[str, Path]:
        built.append(overlay.name)
        return original(self, overlay, shown)

    monkeypatch.setattr(Kustomize, "build_with_origins", spy)
    assert render_and_validate(repo) == []
    assert built == []
    edit(repo, PROD, "cpu: 250m", "cpu: 250x")
    render_and_validate(repo)
    assert built == ["prod"]


def test_json_and_sarif_keep_the_rendered_location(
    repo: Path, monkeypatch, capsys, findings_schema: dict, sarif_schema: dict
) -> None:
    edit(repo, BASE, "runAsUser: 10001", "runAsUser: 0")
    layout = Layout(repo)
    sync.write(layout, render_all(layout))
    monkeypatch.chdir(repo)
    assert cli.main(["validate", "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator(findings_schema).validate(document)
    first = document["findings"][0]
    line = line_of(repo, "clusters/dev/deployment-web.yaml", "runAsUser: 0")
    assert (first["path"], first["rendered"]) == (
        BASE,
        {"path": "clusters/dev/deployment-web.yaml", "line": line},
    )
    assert cli.main(["validate", "--format", "sarif"]) == 1
    log = json.loads(capsys.readouterr().out)
    jsonschema.validators.validator_for(sarif_schema)(sarif_schema).validate(log)
    result = log["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == BASE
    (related,) = result["relatedLocations"]
    assert related["physicalLocation"] == {
        "artifactLocation": {"uri": "clusters/dev/deployment-web.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": line},
    }
    assert result["message"]["text"].endswith(
        f"(rendered: [clusters/dev/deployment-web.yaml:{line}]({related['id']}))"
    )


# ---- this repository


def test_this_repository_an_error_in_the_base_and_the_prod_digest(
    tmp_path: Path, copy_repo, snapshot
) -> None:
    """On a copy of this repository: a root user in the base's web pods is reported at the base
    (both environments); prod's image without a digest at its rendered file, as README shows.
    Validating writes nothing: apps/ and clusters/ stay byte-identical, and a render afterwards
    changes nothing."""
    layout = copy_repo(tmp_path)
    base = "apps/guestbook/base/web.yaml"
    overlay = "apps/guestbook/overlays/prod/kustomization.yaml"
    text = (tmp_path / base).read_text(encoding="utf-8")
    assert text.count("runAsNonRoot: true") == 1
    (tmp_path / base).write_text(text.replace("runAsNonRoot: true", "runAsNonRoot: false"))
    prod = (tmp_path / overlay).read_text(encoding="utf-8")
    digest = [line for line in prod.splitlines(keepends=True) if "digest: sha256:" in line]
    assert len(digest) == 1
    (tmp_path / overlay).write_text(prod.replace(digest[0], ""), encoding="utf-8")
    sync.write(layout, render_all(layout))
    before = snapshot(tmp_path)

    findings = validate_repository(layout)

    assert snapshot(tmp_path) == before
    assert sync.changes(layout, render_all(layout)) == []
    line = line_of(tmp_path, base, "runAsNonRoot: false")
    assert [(f.object, f.path, f.line) for f in findings if f.rule == "GB401"] == [
        ("Deployment/guestbook-dev/guestbook-web", base, line),
        ("Deployment/guestbook-prod/guestbook-web", base, line),
    ]
    web = "clusters/prod/app/deployment-guestbook-web.yaml"
    digests = [f for f in findings if f.rule == "GB414" and f.object.startswith("Deployment/")]
    assert [(f.path, f.rendered) for f in digests] == [(web, None)]
