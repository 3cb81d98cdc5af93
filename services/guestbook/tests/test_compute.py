"""/compute: bounded CPU work for autoscaling demonstrations."""

from __future__ import annotations

import pytest
from django.test import Client

from board import views


def test_compute_burns_about_the_requested_time(client: Client) -> None:
    body = client.get("/compute?ms=30").json()
    assert body["ms"] == 30
    assert body["capped"] is False
    assert body["hashes"] > 0
    assert body["elapsed_ms"] >= 30


def test_compute_defaults_to_100_ms(client: Client) -> None:
    assert client.get("/compute").json()["ms"] == views.COMPUTE_DEFAULT_MS


def test_compute_caps_the_work(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "COMPUTE_MAX_MS", 5)
    body = client.get("/compute?ms=100000").json()
    assert body["ms"] == 5
    assert body["capped"] is True
    assert body["elapsed_ms"] < 1000


@pytest.mark.parametrize("ms", ["-1", "abc", "1.5", "9999999999"])
def test_compute_rejects_bad_values(client: Client, ms: str) -> None:
    resp = client.get(f"/compute?ms={ms}")
    assert resp.status_code == 400
    assert "ms must be" in resp.json()["error"]


def test_compute_is_get_only(client: Client) -> None:
    assert client.post("/compute").status_code == 405
