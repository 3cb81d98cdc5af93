"""Fixtures shared by the unit, integration and repository tests: where this repository and the
test fixtures are, copies of the repository to break, the kustomize requirement, and the rules
run the way the engine runs them (gitops.validation.dispatch) with a rule's crash failing the test.

Layout: tests/unit/<package>/ (no external program), tests/integration/<git|kustomize|podman|
servers>/ (the programs they run), tests/repository/ (this repository's own committed state).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import NameOID

from gitops import validation
from gitops.delivery.provenance import find_verifier as _find_gh
from gitops.repo.layout import Layout
from gitops.validation.dispatch import run_rules as dispatch_rules
from gitops.validation.loader import load_text
from gitops.validation.model import Facts, FieldPath, Manifest
from gitops.validation.registry import all_rules

_REPO = Path(__file__).resolve().parents[1]
INSTALL_KUSTOMIZE = (
    "needs kustomize or kubectl: install kubectl (https://kubernetes.io/docs/tasks/tools/) or "
    "kustomize (https://kubectl.docs.kubernetes.io/installation/kustomize/)"
)
PROJECT_RULES = ("GB2", "GB3", "GB4")
"""The rules `run_rules` runs by default: what the API server refuses, across objects, policy."""


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The root of this repository (apps/, clusters/, bootstrap/, src/, tests/)."""
    return _REPO


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """tests/fixtures: the small repositories, manifests and schemas the tests read."""
    return _REPO / "tests" / "fixtures"


@pytest.fixture(scope="session")
def findings_schema() -> dict[str, Any]:
    """The JSON Schema of `validate --format json` (shipped with the package)."""
    return json.loads(Path(validation.__file__).with_name("findings.schema.json").read_text())


@pytest.fixture(scope="session")
def sarif_schema(fixtures_dir: Path) -> dict[str, Any]:
    """SARIF 2.1.0's JSON Schema (tests/fixtures/validate-output, see SOURCES.md there)."""
    return json.loads((fixtures_dir / "validate-output" / "sarif-schema-2.1.0.json").read_text())


@pytest.fixture
def needs_kustomize() -> None:
    """Skip (fail when GUESTBOOK_REQUIRE_SERVERS=1, as in CI) without kustomize and kubectl."""
    if shutil.which("kustomize") or shutil.which("kubectl"):
        return
    if os.environ.get("GUESTBOOK_REQUIRE_SERVERS") == "1":
        pytest.fail(INSTALL_KUSTOMIZE)
    pytest.skip(INSTALL_KUSTOMIZE)


@pytest.fixture
def copy_repo(repo_root: Path) -> Callable[[Path], Layout]:
    """copy_repo(target): a copy of what render reads and writes (apps/, clusters/, bootstrap/)
    under `target`, to change freely."""

    def copy(target: Path) -> Layout:
        for name in ("apps", "clusters", "bootstrap"):
            if (repo_root / name).is_dir():
                shutil.copytree(repo_root / name, target / name)
        return Layout(target)

    return copy


@pytest.fixture
def snapshot() -> Callable[[Path], dict[str, bytes]]:
    """snapshot(folder): every file under `folder` with its bytes (relative posix paths), to
    compare before and after; {} when the folder does not exist."""

    def take(folder: Path) -> dict[str, bytes]:
        if not folder.is_dir():
            return {}
        return {
            p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }

    return take


# ---- the rules, fed as the engine feeds them


@dataclass(frozen=True, order=True)
class Hit:
    """One issue a rule reported, where the engine would put it (line 0, object "": the facts)."""

    rule: str
    line: int
    severity: str
    object: str
    path: FieldPath
    message: str


@pytest.fixture
def load_manifests() -> Callable[..., list[Manifest]]:
    """load_manifests(text, path="manifests.yaml"): the manifests of `text`, loaded by the
    engine's loader (the line of every field included)."""

    def load(text: str, path: str = "manifests.yaml") -> list[Manifest]:
        return load_text(text, path).manifests

    return load


@pytest.fixture
def rule_facts() -> Callable[..., Facts]:
    """rule_facts(**overrides): the facts the rule tests assume (Kubernetes 1.34, digests
    required, namespace guestbook, a complete set: every referenced Secret must be provided in
    it)."""

    def make(**overrides: Any) -> Facts:
        values: dict[str, Any] = {
            "kubernetes_version": "1.34",
            "require_digest": True,
            "namespace": "guestbook",
            "environment": "test",
            "required_kinds": ("HorizontalPodAutoscaler", "PodDisruptionBudget"),
            "complete": True,
        }
        values.update(overrides)
        return Facts(**values)

    return make


@pytest.fixture
def run_rules(rule_facts: Callable[..., Facts]) -> Callable[..., list[Hit]]:
    """run_rules(manifests, facts=None, only=("GB2", "GB3", "GB4")): the sorted hits of every
    registered rule whose id starts with one of `only`, fed by the engine's own dispatch; a rule
    that raises fails the test (the engine would turn the exception into a finding)."""

    def run(
        manifests: list[Manifest], facts: Facts | None = None, only: Iterable[str] = PROJECT_RULES
    ) -> list[Hit]:
        prefixes = tuple(only)
        rules = {rid: r for rid, r in all_rules().items() if rid.startswith(prefixes)}
        issues = dispatch_rules(manifests, facts or rule_facts(), rules, crash_as_finding=False)
        return sorted(
            Hit(
                rule=rule_obj.id,
                line=issue.manifest.line_of(issue.path) if issue.manifest else 0,
                severity=issue.severity or rule_obj.severity,
                object=issue.manifest.ref if issue.manifest else "",
                path=issue.path,
                message=issue.message,
            )
            for rule_obj, issue in issues
        )

    return run


# ---- throwaway Sealed Secrets keys (made here, never stored) and a repository sealed for one


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    """A throwaway 2048-bit key (the controller's default is 4096; the scheme is the same)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def make_certificate() -> Callable[..., bytes]:
    """make_certificate(key, not_after=...): a self-signed PEM certificate for `key`."""

    def make(
        key: CertificateIssuerPrivateKeyTypes,
        *,
        not_after: datetime | None = None,
        common_name: str = "sealed-secret",
    ) -> bytes:
        now = datetime.now(UTC)
        not_after = not_after or now + timedelta(days=3650)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(min(now, not_after) - timedelta(days=365))
            .not_valid_after(not_after)
            .sign(key, hashes.SHA256())
        )
        return certificate.public_bytes(serialization.Encoding.PEM)

    return make


@pytest.fixture(scope="session")
def certificate_pem(rsa_key: rsa.RSAPrivateKey, make_certificate: Callable[..., bytes]) -> bytes:
    return make_certificate(rsa_key)


@pytest.fixture
def sealing_repo(
    tmp_path: Path, copy_repo: Callable[[Path], Layout], certificate_pem: bytes
) -> Layout:
    """A copy of this repository whose dev certificate is `certificate_pem` (the private key is
    `rsa_key`): what `seal` reads and writes, to change freely."""
    layout = copy_repo(tmp_path / "repo")
    layout.sealing_certificate("dev").write_bytes(certificate_pem)
    return layout


# ---- the GitHub CLI's `attestation verify`, replayed (tests/fixtures/provenance/SOURCES.md)

_FULCIO_OID = "1.3.6.1.4.1.57264.1."
_FULCIO_FIELDS = {  # sigstore-go v1.2.1, pkg/fulcio/certificate/extensions.go: OID → JSON name
    1: "issuer", 2: "githubWorkflowTrigger", 3: "githubWorkflowSHA", 4: "githubWorkflowName",
    5: "githubWorkflowRepository", 6: "githubWorkflowRef", 8: "issuer", 9: "buildSignerURI",
    10: "buildSignerDigest", 11: "runnerEnvironment", 12: "sourceRepositoryURI",
    13: "sourceRepositoryDigest", 14: "sourceRepositoryRef", 15: "sourceRepositoryIdentifier",
    16: "sourceRepositoryOwnerURI", 17: "sourceRepositoryOwnerIdentifier", 18: "buildConfigURI",
    19: "buildConfigDigest", 20: "buildTrigger", 21: "runInvocationURI",
    22: "sourceRepositoryVisibilityAtSigning",
}  # fmt: skip


def _der_string(value: bytes) -> str:
    """A DER-encoded string (Fulcio's extensions from .8 on): tag, length, UTF-8 bytes."""
    length, start = value[1], 2
    if length & 0x80:
        size = length & 0x7F
        length, start = int.from_bytes(value[2 : 2 + size], "big"), 2 + size
    assert len(value) == start + length, "trailing bytes in a DER string"
    return value[start:].decode()


def gh_verify_output(bundle_file: str) -> list[dict[str, Any]]:
    """What `gh attestation verify --format json` prints when it verifies the bundle: its
    statement and sigstore-go's summary of its certificate (how: SOURCES.md)."""
    text = (_REPO / "tests" / "fixtures" / "provenance" / bundle_file).read_text()
    bundle = json.loads(text.splitlines()[0] if bundle_file.endswith(".jsonl") else text)
    material = bundle["verificationMaterial"]
    raw = material.get("certificate") or material["x509CertificateChain"]["certificates"][0]
    cert = x509.load_der_x509_certificate(base64.b64decode(raw["rawBytes"]))
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    summary: dict[str, Any] = {
        "certificateIssuer": cert.issuer.rfc4514_string(),
        "subjectAlternativeName": san.get_values_for_type(x509.UniformResourceIdentifier)[0],
    }
    for extension in cert.extensions:  # in certificate order, as ParseExtensions reads them
        oid = extension.oid.dotted_string
        if oid.startswith(_FULCIO_OID) and int(oid.rsplit(".", 1)[1]) in _FULCIO_FIELDS:
            number = int(oid.rsplit(".", 1)[1])
            value = extension.value.value
            summary[_FULCIO_FIELDS[number]] = value.decode() if number < 8 else _der_string(value)
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    return [
        {
            "attestation": {"bundle": bundle},
            "verificationResult": {
                "mediaType": "application/vnd.dev.sigstore.verificationresult+json;version=0.1",
                "statement": statement,
                "signature": {"certificate": summary},
            },
        }
    ]


@dataclass
class FakeGh:
    """A `gh` that prints what it is given and exits with `code`; `args` and `token` say how it
    was called (its argv after `gh`, the GH_TOKEN it saw; None when it was not called)."""

    path: Path
    stdout: str = ""
    stderr: str = ""
    code: int = 0

    def replay(self, *, stdout: str = "", stderr: str = "", code: int = 0) -> None:
        self.stdout, self.stderr, self.code = stdout, stderr, code
        self.write()

    def verifies(self, *bundle_files: str) -> None:
        """gh succeeds and prints its JSON result for the bundles (one entry each)."""
        results = [entry for name in bundle_files for entry in gh_verify_output(name)]
        self.replay(stdout=json.dumps(results) + "\n")

    def fails(self, *lines: str) -> None:
        """gh fails as it does: `lines` on stderr, then exit 1."""
        self.replay(stderr="\n".join(lines) + "\n", code=1)

    @property
    def args(self) -> list[str] | None:
        calls = self.path.parent / "args"
        return calls.read_text().splitlines() if calls.exists() else None

    @property
    def token(self) -> str | None:
        seen = self.path.parent / "token"
        return seen.read_text() if seen.exists() else None

    def write(self) -> None:
        folder = self.path.parent
        (folder / "stdout").write_text(self.stdout)
        (folder / "stderr").write_text(self.stderr)
        self.path.write_text(
            "#!/bin/sh\n"
            f'printf "%s\\n" "$@" > "{folder}/args"\n'
            f'printf "%s" "${{GH_TOKEN-}}" > "{folder}/token"\n'
            f'cat "{folder}/stdout"\ncat "{folder}/stderr" >&2\nexit {self.code}\n'
        )
        self.path.chmod(0o755)


@pytest.fixture
def fake_gh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeGh:
    """The GitHub CLI that `gitops.delivery.provenance` finds: a fake, first on PATH (set what
    it prints with `verifies(...)`, `fails(...)` or `replay(...)`)."""
    from gitops.delivery import provenance

    folder = tmp_path / "fake-gh"
    folder.mkdir()
    fake = FakeGh(folder / "gh")
    fake.write()
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setattr(provenance, "find_verifier", _find_gh)  # were it hidden (git tests)
    return fake
