"""Provenance: the image to promote must carry a signed SLSA provenance attestation from the
workflow that the target environment's facts name (`apps.<app>.image.builtBy`).

The check is GitHub's artifact attestations, made by image.yml (actions/attest) and verified here
by the GitHub CLI:

    gh attestation verify oci://IMAGE@DIGEST --repo OWNER/REPO
        --cert-identity https://github.com/OWNER/REPO/.github/workflows/image.yml@refs/heads/main
        --cert-oidc-issuer https://token.actions.githubusercontent.com
        --predicate-type https://slsa.dev/provenance/v1 --deny-self-hosted-runners --format json

gh checks the Sigstore bundle (signature, certificate chain, transparency log or timestamp) and
that its certificate names exactly that workflow on that ref; it exits 1 otherwise. Its JSON result
is then read again here (`problem`), field by field, from the parts gh says the workflow cannot
forge (the certificate) and the signed statement: an old gh that ignored a flag, or an answer about
another digest, is refused all the same. Every refusal is one line that says what differed.

Without gh the check cannot run: promote says "not verified" and goes on, unless it is required
(`--require-verified`, as promote.yml runs it), when that is a refusal. `GITOPS_ATTESTATIONS_TOKEN`,
when set, is the token gh reads attestations with (CI: the job's own token with `attestations:
read`), so that GH_TOKEN can stay the one that pushes and opens the pull request.
"""

from __future__ import annotations

import json
import os
import shutil
from typing import Any

from gitops.delivery.imageref import ImageRef
from gitops.errors import Refused
from gitops.repo.environments import BuilderFacts
from gitops.system.process import run

GITHUB_OIDC_ISSUER = "https://token.actions.githubusercontent.com"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
GITHUB_HOSTED = "github-hosted"
READER_VARIABLE = "GITOPS_ATTESTATIONS_TOKEN"
VERIFY_TIMEOUT = 300.0


def find_verifier() -> str | None:
    """The GitHub CLI's path, or None when it is not installed."""
    return shutil.which("gh")


def signer_identity(builder: BuilderFacts) -> str:
    """The certificate identity (SAN) of a workflow run: its URL at the ref it ran on."""
    return f"{workflow_url(builder)}@{builder.ref}"


def workflow_url(builder: BuilderFacts) -> str:
    return f"https://github.com/{builder.repository}/{builder.workflow}"


def verify_argv(gh: str, ref: ImageRef, builder: BuilderFacts) -> list[str]:
    """The gh command that verifies `ref`'s provenance from `builder`."""
    return [
        gh, "attestation", "verify", f"oci://{ref.repository}@{ref.digest}",
        "--repo", builder.repository,
        "--cert-identity", signer_identity(builder),
        "--cert-oidc-issuer", GITHUB_OIDC_ISSUER,
        "--predicate-type", SLSA_PROVENANCE_V1,
        "--deny-self-hosted-runners",
        "--format", "json",
    ]  # fmt: skip


def check_provenance(
    ref: ImageRef, builder: BuilderFacts | None, *, where: str, required: bool
) -> str:
    """Verify that `builder` built and attested `ref` (pinned by digest); the note to print.

    `where` names the facts (file:line) for messages. Refused when the verification fails or
    its result names another repository, workflow, ref, issuer or digest; and, when `required`,
    when it cannot run (no builder in the facts, gh not installed).
    """
    if builder is None:
        why = f"{where} names no builder (apps.<app>.image.builtBy)"
        if required:
            raise Refused(f"cannot verify the provenance of {ref}: {why}")
        return f"not verified: {why}; the image's provenance was not checked"
    gh = find_verifier()
    if gh is None:
        if required:
            raise Refused(
                f"cannot verify the provenance of {ref}: gh is not installed "
                "(https://cli.github.com); --require-verified makes that a refusal"
            )
        return "not verified: gh is not installed; CI verifies (promote.yml, --require-verified)"
    results = _run_gh(gh, ref, builder, where)
    for result in results:
        found = problem(result, ref, builder)
        if found:
            raise Refused(_refusal(ref, builder, where, found))
    return (
        f"verified: {ref.digest} was built and attested by {signer_identity(builder)} "
        "(SLSA provenance, gh attestation verify)"
    )


def _run_gh(gh: str, ref: ImageRef, builder: BuilderFacts, where: str) -> list[dict[str, Any]]:
    token = os.environ.get(READER_VARIABLE)
    result = run(
        verify_argv(gh, ref, builder),
        what="gh attestation verify",
        check=False,
        extra_env={"GH_TOKEN": token} if token else None,
        timeout=VERIFY_TIMEOUT,
    )
    if result.returncode != 0:
        said = _last_line(result.stderr) or _last_line(result.stdout) or "(no message)"
        reason = f"gh attestation verify failed (exit {result.returncode}): {said}"
        raise Refused(_refusal(ref, builder, where, reason))
    try:
        parsed = json.loads(result.stdout)
    except json.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, list) or not parsed:
        raise Refused(
            _refusal(ref, builder, where, "gh attestation verify printed no verified attestation")
        )
    return [item if isinstance(item, dict) else {} for item in parsed]


def problem(result: dict[str, Any], ref: ImageRef, builder: BuilderFacts) -> str:
    """What in one verification result (gh's `--format json` entry) does not match; "" if all does.

    The certificate's fields come from the OIDC token GitHub issued to the run; the statement is
    what the run signed.
    """
    verification = _mapping(result.get("verificationResult"))
    statement = _mapping(verification.get("statement"))
    certificate = _mapping(_mapping(verification.get("signature")).get("certificate"))
    return (
        _identity_problem(certificate, builder)
        or _issuer_problem(certificate)
        or _statement_problem(statement, ref)
    )


def _statement_problem(statement: dict[str, Any], ref: ImageRef) -> str:
    predicate_type = statement.get("predicateType")
    if predicate_type != SLSA_PROVENANCE_V1:
        return f"the attestation is of type {predicate_type!r}, not SLSA provenance v1"
    wanted = (ref.digest or "").partition(":")[2]
    digests = [
        _mapping(_mapping(subject).get("digest")).get("sha256")
        for subject in statement.get("subject") or []
    ]
    if wanted not in digests:
        shown = ", ".join(f"sha256:{d}" for d in digests if d) or "no sha256 digest"
        return f"the attestation is for another digest ({shown})"
    return ""


def _issuer_problem(certificate: dict[str, Any]) -> str:
    issuer = certificate.get("issuer")
    if issuer != GITHUB_OIDC_ISSUER:
        return f"its certificate was issued for another OIDC issuer ({issuer})"
    runner = certificate.get("runnerEnvironment")
    if runner != GITHUB_HOSTED:
        return f"it was made on a {runner or 'unnamed'} runner, not a GitHub-hosted one"
    return ""


def _identity_problem(certificate: dict[str, Any], builder: BuilderFacts) -> str:
    repository = str(certificate.get("sourceRepositoryURI") or "")
    if repository.casefold() != f"https://github.com/{builder.repository}".casefold():
        return f"it was signed in another repository ({repository or 'none named'})"
    signer, _, signed_ref = str(certificate.get("subjectAlternativeName") or "").partition("@")
    expected = workflow_url(builder)
    owner_repo = len(f"https://github.com/{builder.repository}")
    if (
        signer[:owner_repo].casefold() != expected[:owner_repo].casefold()
        or signer[owner_repo:] != expected[owner_repo:]
    ):
        return f"it was signed by another workflow ({signer or 'none named'})"
    source_ref = certificate.get("sourceRepositoryRef")
    if signed_ref != builder.ref or source_ref != builder.ref:
        return f"it was signed on another ref ({source_ref or signed_ref})"
    return ""


def _refusal(ref: ImageRef, builder: BuilderFacts, where: str, reason: str) -> str:
    return (
        f"{ref} is not verified as built by {signer_identity(builder)} ({where}): {reason}; "
        "nothing was changed"
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _last_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return ""
    last = lines[-1]
    return last.removeprefix("Error: ")
