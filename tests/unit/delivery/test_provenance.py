"""`gitops.delivery.provenance`: the image's signed provenance, checked with `gh attestation
verify` (a fake gh that replays the real one's answers for the real bundles of
tests/fixtures/provenance, see SOURCES.md there)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitops.delivery import provenance
from gitops.delivery.imageref import ImageRef
from gitops.delivery.provenance import check_provenance
from gitops.errors import Refused
from gitops.repo.environments import BuilderFacts

DEMO = "github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl"
DEMO_DIGEST = "sha256:ae57936def59bc4c75edd3a837d89bcefc6d3a5e31d55a6fa7a71624f92c3c3b"
DEMO_BUILDER = BuilderFacts("actions/attest-demo", ".github/workflows/build-python.yml", line=21)
DEMO_SIGNER = "https://github.com/actions/attest-demo/.github/workflows/build-python.yml"
OURS = BuilderFacts("example/guestbook-gitops", line=21)  # what prod's facts say
IMAGE = ImageRef("ghcr.io/example/guestbook", "1.1.0", DEMO_DIGEST)
WHERE = "apps/environments/prod/environment.yaml:21"
OTHER_DIGEST = "sha256:" + "a" * 64


def check(
    builder: BuilderFacts | None = DEMO_BUILDER, ref: ImageRef = IMAGE, *, required: bool = True
) -> str:
    return check_provenance(ref, builder, where=WHERE, required=required)


def refusal(builder: BuilderFacts | None = DEMO_BUILDER, ref: ImageRef = IMAGE) -> str:
    with pytest.raises(Refused) as caught:
        check(builder, ref)
    assert caught.value.exit_code == 1
    message = str(caught.value)
    assert "\n" not in message, "a refusal is one line"
    return message


def test_accepted_when_the_attestation_names_the_builder_and_the_digest(fake_gh) -> None:
    fake_gh.verifies(DEMO)
    assert check() == (
        f"verified: {DEMO_DIGEST} was built and attested by {DEMO_SIGNER}@refs/heads/main "
        "(SLSA provenance, gh attestation verify)"
    )


def test_gh_is_asked_for_exactly_that_workflow_ref_issuer_and_digest(fake_gh) -> None:
    fake_gh.verifies(DEMO)
    check()
    assert fake_gh.args == [
        "attestation", "verify", f"oci://ghcr.io/example/guestbook@{DEMO_DIGEST}",
        "--repo", "actions/attest-demo",
        "--cert-identity", f"{DEMO_SIGNER}@refs/heads/main",
        "--cert-oidc-issuer", "https://token.actions.githubusercontent.com",
        "--predicate-type", "https://slsa.dev/provenance/v1",
        "--deny-self-hosted-runners",
        "--format", "json",
    ]  # fmt: skip


def test_gh_reads_attestations_with_the_attestations_token_when_one_is_given(
    fake_gh, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI: GH_TOKEN is the App's (push, pull requests); the job's own token reads attestations."""
    fake_gh.verifies(DEMO)
    monkeypatch.setenv("GH_TOKEN", "app-token")
    check()
    assert fake_gh.token == "app-token"
    monkeypatch.setenv("GITOPS_ATTESTATIONS_TOKEN", "job-token")
    check()
    assert fake_gh.token == "job-token"


@pytest.mark.parametrize(
    ("bundle", "builder", "ref", "reason"),
    [
        pytest.param(
            DEMO, OURS, IMAGE,
            "it was signed in another repository (https://github.com/actions/attest-demo)",
            id="another-repository",
        ),
        pytest.param(
            "sigstore-js-2.1.0-bundle.json", OURS, IMAGE,
            "it was signed in another repository (https://github.com/sigstore/sigstore-js)",
            id="another-repository-npm",
        ),
        pytest.param(
            DEMO, BuilderFacts("actions/attest-demo"), IMAGE,
            f"it was signed by another workflow ({DEMO_SIGNER})",
            id="another-workflow",
        ),
        pytest.param(
            "reusable-workflow-attestation.sigstore.json",
            BuilderFacts("malancas/attest-demo", ".github/workflows/shared.yml"), IMAGE,
            "it was signed by another workflow (https://github.com/github/"
            "artifact-attestations-workflows/.github/workflows/attest.yml)",
            id="a-reusable-workflow",
        ),
        pytest.param(
            DEMO, BuilderFacts(DEMO_BUILDER.repository, DEMO_BUILDER.workflow, "refs/heads/prod"),
            IMAGE, "it was signed on another ref (refs/heads/main)",
            id="another-ref",
        ),
        pytest.param(
            "custom-issuer.sigstore.json",
            BuilderFacts("too-legit/attest", ".github/workflows/integration.yml"), IMAGE,
            "its certificate was issued for another OIDC issuer "
            "(https://token.actions.githubusercontent.com/hammer-time)",
            id="another-issuer",
        ),
        pytest.param(
            DEMO, DEMO_BUILDER, ImageRef(IMAGE.repository, "1.1.0", OTHER_DIGEST),
            f"the attestation is for another digest ({DEMO_DIGEST})",
            id="another-digest",
        ),
        pytest.param(
            "sigstore-js-2.1.0-bundle.json",
            BuilderFacts("sigstore/sigstore-js", ".github/workflows/release.yml"), IMAGE,
            "the attestation is for another digest (no sha256 digest)",
            id="no-sha256-subject",
        ),
    ],
)  # fmt: skip
def test_refused_when_the_verified_result_names_something_else(
    fake_gh, bundle: str, builder: BuilderFacts, ref: ImageRef, reason: str
) -> None:
    """gh is asked for the exact identity and would refuse these itself; its result is read
    again all the same (an old gh, a result about another image), and each mismatch is named."""
    fake_gh.verifies(bundle)
    message = refusal(builder, ref)
    signer = provenance.signer_identity(builder)
    assert message == (
        f"{ref} is not verified as built by {signer} ({WHERE}): {reason}; nothing was changed"
    )


@pytest.mark.parametrize(
    ("stderr", "said"),
    [
        pytest.param(
            ["✗ Verification failed", "", 'Error: verifying with issuer "sigstore.dev"'],
            'verifying with issuer "sigstore.dev"',
            id="invalid-signature",
        ),
        pytest.param(
            [
                "✗ Verification failed",
                "",
                "Error: expected SourceRepositoryURI to be https://github.com/sigstore/fakerepo, "
                "got https://github.com/sigstore/sigstore-js",
            ],
            "expected SourceRepositoryURI to be https://github.com/sigstore/fakerepo, "
            "got https://github.com/sigstore/sigstore-js",
            id="another-repository",
        ),
        pytest.param(
            [
                f"Loaded digest {DEMO_DIGEST} for oci://ghcr.io/example/guestbook@{DEMO_DIGEST}",
                f"✗ No attestations found for subject {DEMO_DIGEST}",
                "",
                "Error: failed to fetch attestations from actions/attest-demo: no attestations "
                f"found for digest actions/attest-demo in {DEMO_DIGEST}",
            ],
            "failed to fetch attestations from actions/attest-demo: no attestations found for "
            f"digest actions/attest-demo in {DEMO_DIGEST}",
            id="unsigned",
        ),
    ],
)
def test_refused_when_gh_fails_with_what_it_said(fake_gh, stderr: list[str], said: str) -> None:
    fake_gh.fails(*stderr)
    assert refusal() == (
        f"{IMAGE} is not verified as built by {DEMO_SIGNER}@refs/heads/main ({WHERE}): "
        f"gh attestation verify failed (exit 1): {said}; nothing was changed"
    )


@pytest.mark.parametrize("stdout", ["", "[]", "Verification succeeded\n", json.dumps({"a": 1})])
def test_refused_when_gh_succeeds_without_a_verified_attestation(fake_gh, stdout: str) -> None:
    fake_gh.replay(stdout=stdout)
    assert refusal().endswith(
        "gh attestation verify printed no verified attestation; nothing was changed"
    )


def test_every_result_must_match_not_just_one(fake_gh) -> None:
    fake_gh.verifies(DEMO, "sigstore-js-2.1.0-bundle.json")
    assert "another repository (https://github.com/sigstore/sigstore-js)" in refusal()


def test_without_gh_it_says_not_verified_or_refuses_when_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no gh there
    assert provenance.find_verifier() is None
    assert check(required=False) == (
        "not verified: gh is not installed; CI verifies (promote.yml, --require-verified)"
    )
    assert refusal() == (
        f"cannot verify the provenance of {IMAGE}: gh is not installed (https://cli.github.com); "
        "--require-verified makes that a refusal"
    )


def test_without_a_builder_in_the_facts_it_says_so_or_refuses_when_required(fake_gh) -> None:
    assert check(None, required=False) == (
        f"not verified: {WHERE} names no builder (apps.<app>.image.builtBy); "
        "the image's provenance was not checked"
    )
    assert refusal(None) == (
        f"cannot verify the provenance of {IMAGE}: {WHERE} names no builder "
        "(apps.<app>.image.builtBy)"
    )
    assert fake_gh.args is None  # gh was not asked


def test_gh_is_found_on_path(fake_gh) -> None:
    assert provenance.find_verifier() == str(fake_gh.path)


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        (
            ("signature", "certificate", "runnerEnvironment"),
            "self-hosted",
            "it was made on a self-hosted runner, not a GitHub-hosted one",
        ),
        (
            ("statement", "predicateType"),
            "https://spdx.dev/Document/v2.3",
            "the attestation is of type 'https://spdx.dev/Document/v2.3', not SLSA provenance v1",
        ),
    ],
)
def test_refused_for_a_self_hosted_runner_or_an_attestation_of_another_type(
    fake_gh, path: tuple[str, ...], value: str, reason: str
) -> None:
    """No bundle of the upstream test data was made on a self-hosted runner or is an SBOM: the
    real result for the demo bundle, with that one field changed."""
    fake_gh.verifies(DEMO)
    result = json.loads(fake_gh.stdout)
    node = result[0]["verificationResult"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    fake_gh.replay(stdout=json.dumps(result))
    assert refusal().endswith(f": {reason}; nothing was changed")
