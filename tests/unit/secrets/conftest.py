"""Fixtures of the sealing tests: upstream's key and sealed values (tests/fixtures/sealed-secrets,
see SOURCES.md there), and throwaway RSA keys and certificates made here and never stored."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import NameOID

from gitops.repo.layout import Layout


@dataclass(frozen=True)
class UpstreamValue:
    """One value kubeseal sealed (strict scope) with the controller key of the fixtures."""

    file: str
    field: str
    sealed: str
    plaintext: bytes


# What the values decrypt to: kseal's examples/decryption/use-arguments/README.md (SOURCES.md).
UPSTREAM_PLAINTEXTS = {
    ("kseal-dev-values.yaml", "db_password"): b"my-password-for-dev-db",
    ("kseal-dev-values.yaml", "api_secret"): b"my-dev-api-secret",
    ("kseal-dev-values.yaml", "secretMessage"): b"This is a secret message",
    ("kseal-prd-values.yaml", "db_password"): b"my-password-for-prd-db",
    ("kseal-prd-values.yaml", "api_secret"): b"my-prd-api-secret",
    ("kseal-prd-values.yaml", "secretMessage"): b"This is a secret message !!!",
}


@pytest.fixture(scope="session")
def upstream_dir() -> Path:
    """tests/fixtures/sealed-secrets: the files taken from upstream, with SOURCES.md."""
    return Path(__file__).resolve().parents[2] / "fixtures" / "sealed-secrets"


@pytest.fixture(scope="session")
def upstream_key_secret(upstream_dir: Path) -> dict[str, bytes]:
    """The controller's key Secret (kubernetes.io/tls): its data, base64-decoded."""
    secret = yaml.safe_load((upstream_dir / "kseal-example-key.yaml").read_text())
    assert secret["metadata"]["labels"] == {
        "sealedsecrets.bitnami.com/sealed-secrets-key": "active"
    }
    return {k: base64.b64decode(v) for k, v in secret["data"].items()}


@pytest.fixture(scope="session")
def upstream_private_key(upstream_key_secret: dict[str, bytes]) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(upstream_key_secret["tls.key"], password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


@pytest.fixture(scope="session")
def upstream_certificate_pem(upstream_key_secret: dict[str, bytes]) -> bytes:
    return upstream_key_secret["tls.crt"]


@pytest.fixture(scope="session")
def upstream_values(upstream_dir: Path) -> list[UpstreamValue]:
    """The six values of the two values files, each with the plaintext the README shows."""
    found = []
    for file in ("kseal-dev-values.yaml", "kseal-prd-values.yaml"):
        values = yaml.safe_load((upstream_dir / file).read_text())
        fields = {item["name"]: item["value"] for item in values["secrets"]}
        fields["secretMessage"] = values["secretMessage"]
        for field, sealed in fields.items():
            found.append(UpstreamValue(file, field, sealed, UPSTREAM_PLAINTEXTS[file, field]))
    assert len(found) == len(UPSTREAM_PLAINTEXTS)
    return found


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


@pytest.fixture(scope="session")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def sealing_repo(
    tmp_path: Path, copy_repo: Callable[[Path], Layout], certificate_pem: bytes
) -> Layout:
    """A copy of this repository whose dev certificate is `certificate_pem` (the private key is
    `rsa_key`): what `seal` reads and writes, to change freely."""
    layout = copy_repo(tmp_path / "repo")
    layout.sealing_certificate("dev").write_bytes(certificate_pem)
    return layout
