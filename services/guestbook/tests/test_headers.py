"""Every answer says what a browser may do with it: Content-Security-Policy (the page's own
stylesheet and form, nothing else) and Permissions-Policy (no camera, microphone, location...)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

PATHS = ["/", "/messages", "/no-such-page"]


def _directives(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
def test_content_security_policy_allows_only_the_page_itself(client: Client, path: str) -> None:
    response = client.get(path)
    csp = _directives(response["Content-Security-Policy"])
    assert csp["default-src"] == "'none'"  # no script, font, connect, frame... from anywhere
    assert csp["style-src"] == "'self'"
    assert csp["form-action"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert "script-src" not in csp and "'unsafe-inline'" not in response["Content-Security-Policy"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
def test_permissions_policy_turns_off_powerful_features(client: Client, path: str) -> None:
    header = client.get(path)["Permissions-Policy"]
    features = dict(item.split("=", 1) for item in header.split(", "))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert features[feature] == "()", feature


@pytest.mark.django_db
def test_the_page_needs_nothing_the_policy_forbids(client: Client) -> None:
    """No inline script, style or event handler, and every stylesheet from the site itself: the
    page renders the same under the policy as without it."""
    html = client.get("/").content.decode()
    assert "<script" not in html and "<style" not in html
    assert not re.search(r"\sstyle=|\son[a-z]+=", html)
    for href in re.findall(r'<link[^>]+href="([^"]+)"', html):
        assert href.startswith("/"), href


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
def test_djangos_own_security_headers_are_there_too(client: Client, path: str) -> None:
    response = client.get(path)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
