"""The controller's public certificate, as `kubeseal --fetch-cert` prints it: PEM, X.509, RSA.

Like kubeseal's `ParseKey` (pkg/kubeseal/kubeseal.go:42-68 in bitnami-labs/sealed-secrets) the
first certificate of the file is used. Unlike it, an expired certificate is not refused: its key
still seals, and the controller keeps every key it has (pkg/controller/keyregistry.go:69-88), so
the caller gets a warning to print instead. The certificate's extensions are never read: the
controller writes KeyUsage "encipher only" without "key agreement" (pkg/crypto/keys.go:47),
which the `cryptography` package refuses to parse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from gitops.errors import ConfigError

PEM_CERTIFICATE = b"-----BEGIN CERTIFICATE-----"


@dataclass(frozen=True)
class SealingCertificate:
    """The key to seal with, when the certificate stops being valid, and what to tell the user."""

    public_key: RSAPublicKey
    not_after: datetime
    warning: str | None


def load_certificate(
    data: bytes, shown: Path | str, *, now: datetime | None = None
) -> SealingCertificate:
    """The first certificate in `data` (the file `shown`); a ConfigError naming it if unusable."""
    if b"PRIVATE KEY-----" in data:
        raise ConfigError(
            "holds a private key, not the controller's public certificate: never commit it; "
            "`kubeseal --fetch-cert` prints the certificate",
            path=shown,
        )
    if PEM_CERTIFICATE not in data:
        raise ConfigError(
            "not a PEM certificate (no -----BEGIN CERTIFICATE----- line); "
            "`kubeseal --fetch-cert` prints the one to commit",
            path=shown,
        )
    try:
        certificate = x509.load_pem_x509_certificates(data)[0]
        public_key = certificate.public_key()
    except ValueError as exc:
        raise ConfigError(f"not a valid X.509 certificate: {exc}", path=shown) from None
    if not isinstance(public_key, RSAPublicKey):
        raise ConfigError(
            f"the certificate's key is {type(public_key).__name__}, not RSA: "
            "Sealed Secrets seals with RSA-OAEP",
            path=shown,
        )
    not_after = certificate.not_valid_after_utc
    return SealingCertificate(public_key, not_after, _expiry_warning(not_after, shown, now))


def _expiry_warning(not_after: datetime, shown: Path | str, now: datetime | None) -> str | None:
    if (now or datetime.now(UTC)) <= not_after:
        return None
    return (
        f"{shown}: the certificate expired on {not_after:%Y-%m-%d} (kubeseal refuses it); the "
        "value is sealed anyway and unseals while the controller keeps that key, but commit "
        "the controller's current certificate (`kubeseal --fetch-cert`)"
    )
