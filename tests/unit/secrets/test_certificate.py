"""Loading the controller's certificate: the real one, expired ones, and what is not one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from gitops.errors import ConfigError
from gitops.secrets.certificate import load_certificate

SHOWN = "apps/environments/dev/sealed-secrets.pem"


def test_the_certificate_a_controller_made_loads(
    upstream_certificate_pem: bytes, upstream_private_key: rsa.RSAPrivateKey
) -> None:
    """The controller's own certificate: empty subject, 10 years, KeyUsage encipher-only
    (pkg/crypto/keys.go:45-58), an extension `cryptography` refuses; it is never read."""
    certificate = load_certificate(
        upstream_certificate_pem, SHOWN, now=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert (
        certificate.public_key.public_numbers()
        == upstream_private_key.public_key().public_numbers()
    )
    assert certificate.public_key.key_size == 4096
    assert certificate.not_after == datetime(2031, 1, 23, 12, 25, 35, tzinfo=UTC)
    assert certificate.warning is None
    with pytest.raises(ValueError, match="encipher_only"):
        _ = x509.load_pem_x509_certificate(upstream_certificate_pem).extensions


def test_the_first_of_several_certificates_is_used(
    rsa_key: rsa.RSAPrivateKey, make_certificate: Callable[..., bytes]
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    data = make_certificate(rsa_key) + make_certificate(other)
    loaded = load_certificate(data, SHOWN).public_key
    assert loaded.public_numbers() == rsa_key.public_key().public_numbers()


def test_an_expired_certificate_still_seals_with_a_warning(
    rsa_key: rsa.RSAPrivateKey, make_certificate: Callable[..., bytes]
) -> None:
    expired = datetime(2020, 5, 17, tzinfo=UTC)
    certificate = load_certificate(make_certificate(rsa_key, not_after=expired), SHOWN)
    assert certificate.public_key.public_numbers() == rsa_key.public_key().public_numbers()
    assert certificate.warning is not None
    assert certificate.warning.startswith(f"{SHOWN}: the certificate expired on 2020-05-17")
    assert "kubeseal --fetch-cert" in certificate.warning


def test_a_certificate_expiring_later_has_no_warning(
    rsa_key: rsa.RSAPrivateKey, make_certificate: Callable[..., bytes]
) -> None:
    soon = datetime.now(UTC) + timedelta(days=1)
    assert load_certificate(make_certificate(rsa_key, not_after=soon), SHOWN).warning is None


def _private_key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not a PEM certificate"),
        (b"hello\n", "not a PEM certificate"),
        (
            b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
            "not a valid X.509",
        ),
    ],
)
def test_what_is_not_a_certificate_is_a_config_error_naming_the_file(
    data: bytes, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_certificate(data, SHOWN)
    assert str(caught.value).startswith(f"{SHOWN}: ")
    assert caught.value.exit_code == 2


def test_a_private_key_is_refused_and_not_echoed(
    rsa_key: rsa.RSAPrivateKey, certificate_pem: bytes
) -> None:
    pem = _private_key_pem(rsa_key)
    with pytest.raises(ConfigError, match="holds a private key") as caught:
        load_certificate(certificate_pem + pem, SHOWN)
    body = pem.decode().splitlines()[1]
    assert body not in str(caught.value)


def test_a_certificate_for_another_kind_of_key_is_refused(
    ec_key: ec.EllipticCurvePrivateKey, make_certificate: Callable[..., bytes]
) -> None:
    with pytest.raises(ConfigError, match=r"key is EC\w*, not RSA"):
        load_certificate(make_certificate(ec_key), SHOWN)
