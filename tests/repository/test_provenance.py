"""The image's supply chain as committed: image.yml scans, then signs the SBOM and the SLSA
provenance in a job of its own; promote.yml verifies before it promotes; prod's facts name the
workflow that must have built what it runs; the base image is pinned (test_renovate.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops.repo.environments import BuilderFacts, load_environment
from gitops.repo.layout import Layout

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
REPOSITORY = "example/guestbook-gitops"  # bootstrap's repoURL (tests/repository/test_bootstrap.py)
# The only actions a job that can mint an OIDC token may run: GitHub's and Docker's login.
TRUSTED_IN_SIGNING_JOBS = ("actions/", "docker/login-action@")


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))
    return data


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(f"{action}@")]


@pytest.fixture(scope="module")
def image() -> dict[str, Any]:
    return load("image.yml")


def test_only_the_attest_job_may_sign_and_write_attestations() -> None:
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for name, job in load(path.name)["jobs"].items():
            permissions = job.get("permissions") or {}
            signs = permissions.get("id-token") == "write"
            writes = permissions.get("attestations") == "write"
            where = f"{path.name}: job {name}"
            assert signs == writes == (path.name == "image.yml" and name == "attest"), where
            if signs:
                for step in job["steps"]:
                    uses = str(step.get("uses", ""))
                    assert not uses or uses.startswith(TRUSTED_IN_SIGNING_JOBS), f"{where}: {uses}"


def test_the_scan_fails_on_a_fixable_critical_vulnerability_of_the_sbom(image) -> None:
    scan = image["jobs"]["scan"]
    assert scan["needs"] == "build"
    assert scan["permissions"] == {"packages": "read"}
    (sbom,) = steps_using(scan, "anchore/sbom-action")
    assert sbom["with"]["image"] == (
        "${{ needs.build.outputs.repository }}@${{ needs.build.outputs.digest }}"
    )
    assert sbom["with"]["format"] == "spdx-json"
    (grype,) = steps_using(scan, "anchore/scan-action")
    assert grype["with"]["sbom"] == sbom["with"]["output-file"]  # scans what is attested
    assert grype["with"]["fail-build"] is True
    assert grype["with"]["severity-cutoff"] == "critical"
    assert grype["with"]["only-fixed"] is True
    assert scan["steps"].index(sbom) < scan["steps"].index(grype)


def test_the_sbom_and_the_provenance_are_attested_for_the_pushed_digest(image) -> None:
    build, attest = image["jobs"]["build"], image["jobs"]["attest"]
    assert build["outputs"]["repository"] == "${{ steps.meta.outputs.repository }}"
    assert build["outputs"]["digest"] == "${{ steps.build.outputs.digest }}"
    assert attest["needs"] == ["build", "scan"]  # a failed scan attests nothing
    assert attest["permissions"] == {
        "id-token": "write",
        "attestations": "write",
        "packages": "write",
    }
    (download,) = steps_using(attest, "actions/download-artifact")
    sbom_artifact = steps_using(image["jobs"]["scan"], "anchore/sbom-action")[0]["with"]
    assert download["with"]["name"] == sbom_artifact["artifact-name"]
    attests = steps_using(attest, "actions/attest")
    assert [("sbom-path" in step["with"]) for step in attests] == [True, False]
    for step in attests:
        assert step["with"]["subject-name"] == "${{ needs.build.outputs.repository }}"
        assert step["with"]["subject-digest"] == "${{ needs.build.outputs.digest }}"
        assert step["with"]["push-to-registry"] is True
    assert attests[0]["with"]["sbom-path"] == sbom_artifact["output-file"]
    assert "predicate-type" not in attests[1]["with"]  # no predicate: SLSA build provenance
    assert {"build", "attest"} <= set(image["jobs"]["bump"]["needs"])  # and the wheelhouse


def test_promote_in_ci_verifies_and_refuses_what_it_cannot_verify() -> None:
    job = load("promote.yml")["jobs"]["promote"]
    assert job["permissions"] == {
        "contents": "read",
        "attestations": "read",
        "packages": "read",
    }
    (step,) = [s for s in job["steps"] if "nox -s promote" in s.get("run", "")]
    assert "nox -s promote -- dev prod --push --open-pr --require-verified" in step["run"]
    assert step["env"]["GITOPS_ATTESTATIONS_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"
    (login,) = steps_using(job, "docker/login-action")
    assert login["with"]["registry"] == "ghcr.io"
    assert job["steps"].index(login) < job["steps"].index(step)


def test_prod_takes_only_images_this_repositorys_image_workflow_built_on_main(image) -> None:
    prod = load_environment(Layout(ROOT), "prod").apps["guestbook"].image
    assert prod is not None and prod.built_by is not None
    builder = prod.built_by
    assert builder == BuilderFacts(
        REPOSITORY, ".github/workflows/image.yml", "refs/heads/main", line=builder.line
    )
    assert (ROOT / builder.workflow).is_file()
    assert builder.ref == f"refs/heads/{image['on']['push']['branches'][0]}"
