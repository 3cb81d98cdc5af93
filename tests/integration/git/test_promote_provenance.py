"""`gitops promote` verifies the image's provenance before it writes anything: the fixture
repository's prod names a builder (builtBy), dev runs the digest of a real attestation bundle
(tests/fixtures/provenance), and a fake gh replays what the real one answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.git
IMAGE = "ghcr.io/example/guestbook"
DEMO = "github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl"
DEMO_DIGEST = "sha256:ae57936def59bc4c75edd3a837d89bcefc6d3a5e31d55a6fa7a71624f92c3c3b"
SIGNER = "https://github.com/actions/attest-demo/.github/workflows/build-python.yml@refs/heads/main"
PROD_FACTS = "apps/environments/prod/environment.yaml"
BUILT_BY = """\
      builtBy:
        repository: actions/attest-demo
        workflow: .github/workflows/build-python.yml
"""
BRANCH = "promote/prod/guestbook-1.1.0-ae57936d"


@dataclass
class Attested:
    """The fixture repository where prod takes images built by actions/attest-demo's
    build-python.yml (line 11 of prod's facts) and dev runs the bundle's digest."""

    repo: Path
    run: Callable[..., tuple[int, str, str]]
    git: Callable[..., str]

    def promote(self, *args: str) -> tuple[int, str, str]:
        """`promote dev prod ARGS`: (exit code, stdout, stderr)."""
        return self.run("promote", "dev", "prod", *args)

    def edit_builder(self, old: str, new: str) -> None:
        facts = self.repo / PROD_FACTS
        facts.write_text(facts.read_text().replace(old, new))
        self.git(self.repo, "commit", "--quiet", "-am", "prod's builder changes")


@pytest.fixture
def attested(repo: Path, run, git, merge) -> Attested:
    facts = repo / PROD_FACTS
    facts.write_text(facts.read_text() + BUILT_BY)
    git(repo, "commit", "--quiet", "-am", "prod takes images attest-demo built")
    assert run("bump", "dev", f"{IMAGE}:1.1.0@{DEMO_DIGEST}")[0] == 0
    merge(repo, "bump/dev/guestbook-1.1.0-ae57936d")
    return Attested(repo, run, git)


def test_an_image_its_builder_attested_is_promoted(attested: Attested, fake_gh) -> None:
    fake_gh.verifies(DEMO)
    code, out, err = attested.promote()
    assert code == 0, err
    assert f"note: verified: {DEMO_DIGEST} was built and attested by {SIGNER}" in err
    assert fake_gh.args is not None
    assert f"oci://{IMAGE}@{DEMO_DIGEST}" in fake_gh.args
    assert BRANCH in out
    assert f"image: {IMAGE}:1.1.0@{DEMO_DIGEST}" in attested.git(
        attested.repo, "show", f"{BRANCH}:clusters/prod/deployment-web.yaml"
    )


@dataclass(frozen=True)
class Case:
    """What gh answers (a method of FakeGh and its arguments), how prod's builder is edited
    first (old, new; none when empty), and the reason the refusal gives."""

    answer: tuple[str, ...]
    edit: tuple[str, str] | tuple[()]
    reason: str


CASES = {
    "invalid-signature": Case(
        ("fails", "✗ Verification failed", "", 'Error: verifying with issuer "sigstore.dev"'),
        (),
        'gh attestation verify failed (exit 1): verifying with issuer "sigstore.dev"',
    ),
    "unsigned": Case(
        (
            "fails",
            f"✗ No attestations found for subject {DEMO_DIGEST}",
            "",
            "Error: failed to fetch attestations from actions/attest-demo: no attestations "
            f"found for digest actions/attest-demo in {DEMO_DIGEST}",
        ),
        (),
        "gh attestation verify failed (exit 1): failed to fetch attestations from "
        "actions/attest-demo: no attestations found",
    ),
    "another-repository": Case(
        ("verifies", "sigstore-js-2.1.0-bundle.json"),
        (),
        "it was signed in another repository (https://github.com/sigstore/sigstore-js)",
    ),
    "a-reusable-workflow-run-of-another-repository": Case(
        ("verifies", "reusable-workflow-attestation.sigstore.json"),
        (),
        "it was signed in another repository (https://github.com/malancas/attest-demo)",
    ),
    "another-workflow": Case(
        ("verifies", DEMO),
        ("build-python.yml", "image.yml"),
        "it was signed by another workflow "
        "(https://github.com/actions/attest-demo/.github/workflows/build-python.yml)",
    ),
    "another-ref": Case(
        ("verifies", DEMO),
        ("build-python.yml\n", "build-python.yml\n        ref: refs/tags/v1\n"),
        "it was signed on another ref (refs/heads/main)",
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_refused_with_one_line_and_nothing_written(
    attested: Attested, fake_gh, repo_state, case: Case
) -> None:
    repo, git = attested.repo, attested.git
    if case.edit:
        attested.edit_builder(*case.edit)
    kind, *values = case.answer
    getattr(fake_gh, kind)(*values)
    before = repo_state(repo)
    code, out, err = attested.promote("--push")
    assert (code, out) == (1, "")
    assert err.count("\n") == 1, err  # one line
    assert err.startswith(f"error: {IMAGE}:1.1.0@{DEMO_DIGEST} is not verified as built by ")
    assert f"({PROD_FACTS}:11): {case.reason}" in err
    assert err.rstrip().endswith("; nothing was changed")
    assert repo_state(repo) == before  # no branch, work tree as it was
    assert len(git(repo, "worktree", "list").splitlines()) == 1  # no temporary worktree left
    assert BRANCH not in git(repo, "ls-remote", "origin")  # nothing pushed


def test_another_digest_than_the_attested_one_is_refused(
    attested: Attested, fake_gh, merge, repo_state
) -> None:
    other = "sha256:" + "b" * 64
    assert attested.run("bump", "dev", f"{IMAGE}:1.2.0@{other}")[0] == 0
    merge(attested.repo, "bump/dev/guestbook-1.2.0-bbbbbbbb")
    fake_gh.verifies(DEMO)  # gh answers with the attestation of another digest
    before = repo_state(attested.repo)
    code, _, err = attested.promote()
    assert code == 1
    assert f"the attestation is for another digest ({DEMO_DIGEST})" in err
    assert repo_state(attested.repo) == before


def test_without_gh_it_says_not_verified_and_require_verified_refuses(
    attested: Attested, repo_state
) -> None:
    before = repo_state(attested.repo)
    code, _, err = attested.promote("--require-verified")
    assert code == 1
    assert "gh is not installed (https://cli.github.com); --require-verified makes that" in err
    assert repo_state(attested.repo) == before
    code, _, err = attested.promote()
    assert code == 0, err
    assert "note: not verified: gh is not installed; CI verifies" in err
