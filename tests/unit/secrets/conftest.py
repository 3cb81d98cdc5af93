"""Fixtures of the sealing tests: upstream's key and sealed values (tests/fixtures/sealed-secrets,
see SOURCES.md there), and a throwaway EC key (the RSA ones and `sealing_repo`:
tests/conftest.py)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa


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
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())
