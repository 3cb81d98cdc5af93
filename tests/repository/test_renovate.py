"""renovate.json: valid for Renovate's schema, and it pins what the repository deploys."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest


@pytest.fixture
def renovate_json(repo_root: Path) -> Path:
    return repo_root / "renovate.json"


@pytest.fixture
def config(renovate_json: Path) -> dict:
    return json.loads(renovate_json.read_text())


def patterns_match(patterns: list[str], path: str) -> bool:
    """Renovate's managerFilePatterns: `/regex/` entries (globs are not used here)."""
    for pattern in patterns:
        assert pattern.startswith("/") and pattern.endswith("/"), pattern
        if re.search(pattern[1:-1], path):
            return True
    return False


def test_container_images_in_apps_are_pinned_by_digest(config) -> None:
    kubernetes = config["kubernetes"]
    assert kubernetes["pinDigests"] is True
    patterns = kubernetes["managerFilePatterns"]
    assert patterns_match(patterns, "apps/guestbook/base/postgres.yaml")
    assert patterns_match(patterns, "apps/guestbook/overlays/prod/redis-replicas.yml")
    assert not patterns_match(patterns, "clusters/prod/statefulset-postgres.yaml")
    assert config["kustomize"]["pinDigests"] is True


def test_actions_are_pinned_by_digest(config) -> None:
    assert "helpers:pinGitHubActionDigests" in config["extends"]


def test_rendered_clusters_are_ignored(config) -> None:
    assert "clusters/**" in config["ignorePaths"]


def test_pip_requirements_with_hashes_go_through_pip_compile(config) -> None:
    data = config
    patterns = data["pip-compile"]["managerFilePatterns"]
    assert patterns_match(patterns, "services/guestbook/requirements.txt")
    assert patterns_match(patterns, "services/guestbook/requirements-test.txt")
    assert not patterns_match(patterns, "services/guestbook/requirements.in")
    assert patterns_match(patterns, "requirements/pipeline.txt")
    assert not patterns_match(patterns, "requirements/pipeline.in")
    assert data["pip_requirements"]["enabled"] is False


def test_the_guestbook_image_is_left_to_bump_and_promote(config) -> None:
    rules = [r for r in config["packageRules"] if "matchPackageNames" in r]
    assert any(
        r["matchPackageNames"] == ["ghcr.io/*/guestbook"] and r["enabled"] is False for r in rules
    )


def _check(path: Path) -> subprocess.CompletedProcess[str]:
    checker = shutil.which("check-jsonschema")
    if checker is None:
        pytest.skip("check-jsonschema not installed (pip install check-jsonschema)")
    return subprocess.run(
        [checker, "--builtin-schema", "vendor.renovate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_renovate_json_matches_renovates_schema(renovate_json: Path) -> None:
    result = _check(renovate_json)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_misspelt_option(tmp_path: Path, config) -> None:
    bad = tmp_path / "renovate.json"
    bad.write_text(json.dumps({**config, "pinDigest": True}))
    result = _check(bad)
    assert result.returncode != 0
    assert "pinDigest" in result.stdout


@pytest.mark.parametrize("image", ["docker.io/library/postgres", "docker.io/library/redis"])
def test_stateful_images_keep_their_major_version(config, repo_root: Path, image: str) -> None:
    """A major upgrade of PostgreSQL (or Redis) on an old data directory breaks it: Renovate
    may propose minor and patch updates of the images the manifests use, never a major one."""
    used = {
        match[1]
        for path in (repo_root / "apps").rglob("*.yaml")
        for match in re.finditer(r"image: ([^:@\s]+)[:@]", path.read_text())
    }
    assert image in used
    majors = [
        rule
        for rule in config["packageRules"]
        if image in rule.get("matchPackageNames", []) and rule.get("matchUpdateTypes") == ["major"]
    ]
    assert len(majors) == 1 and majors[0]["enabled"] is False
    assert majors[0]["matchDatasources"] == ["docker"]


def test_the_dockerfile_base_is_pinned_by_tag_and_digest_and_renovate_keeps_it(
    config, repo_root: Path
) -> None:
    """The default base image names its line (the tag, which Renovate follows) and the exact
    index (the digest); Renovate's dockerfile manager pins and refreshes it."""
    dockerfile = (repo_root / "services" / "guestbook" / "Dockerfile").read_text()
    args = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", dockerfile, re.MULTILINE)
    assert len(args) == 1
    assert re.fullmatch(r"python:3\.11-slim-bookworm@sha256:[0-9a-f]{64}", args[0]), args[0]
    assert "docker-library/repo-info" in dockerfile  # where the digest was read
    assert re.search(r"at commit [0-9a-f]{40}", dockerfile)
    assert dockerfile.count("FROM ${PYTHON_IMAGE}") == 2
    assert config["dockerfile"]["pinDigests"] is True
