"""Fixtures shared by the unit, integration and repository tests: where this repository and the
test fixtures are, copies of the repository to break, the kustomize requirement, and the rules
run the way the engine runs them (gitops.validation.dispatch) with a rule's crash failing the test.

Layout: tests/unit/<package>/ (no external program), tests/integration/<git|kustomize|podman|
servers>/ (the programs they run), tests/repository/ (this repository's own committed state).
"""

from __future__ import annotations

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
