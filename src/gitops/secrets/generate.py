"""Random secret values for `seal --generate`, from the operating system's CSPRNG (`secrets`)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable

from gitops.errors import UsageError


def _password() -> bytes:
    """32 hexadecimal characters (128 bits): safe in URLs, shells and connection strings."""
    return secrets.token_hex(16).encode("ascii")


def _django_secret_key() -> bytes:
    """48 random bytes, base64url: 64 characters (Django's check wants 50+, 5+ distinct)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(48))


_GENERATORS: dict[str, Callable[[], bytes]] = {
    "password": _password,
    "django-secret-key": _django_secret_key,
}
KINDS = tuple(_GENERATORS)


def random_value(kind: str) -> bytes:
    """A fresh random value of `kind` (one of KINDS), ready to seal; it is never stored."""
    try:
        return _GENERATORS[kind]()
    except KeyError:
        raise UsageError(f"unknown kind of value {kind!r}: one of {', '.join(KINDS)}") from None
