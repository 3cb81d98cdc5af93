"""Generated values: the documented shapes, fresh on every call."""

from __future__ import annotations

import base64
import re

import pytest

from gitops.errors import UsageError
from gitops.secrets.generate import KINDS, random_value


def test_a_password_is_32_hexadecimal_characters() -> None:
    assert re.fullmatch(rb"[0-9a-f]{32}", random_value("password"))


def test_a_django_secret_key_is_48_random_bytes_in_base64url() -> None:
    value = random_value("django-secret-key")
    assert re.fullmatch(rb"[A-Za-z0-9_-]{64}", value)
    assert len(base64.urlsafe_b64decode(value)) == 48
    assert len(set(value)) >= 5  # what Django's deployment check asks for, with 50+ characters


@pytest.mark.parametrize("kind", KINDS)
def test_every_value_is_new(kind: str) -> None:
    assert len({random_value(kind) for _ in range(20)}) == 20


def test_an_unknown_kind_is_a_usage_error_listing_the_kinds() -> None:
    with pytest.raises(UsageError, match="one of password, django-secret-key"):
        random_value("pin")
