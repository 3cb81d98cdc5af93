"""/compute: bounded CPU work for autoscaling demonstrations, off unless an environment turns it
on (dev does, prod does not: read from the rendered ConfigMaps)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.test import Client

from board import views

CLUSTERS = Path(__file__).resolve().parents[3] / "clusters"


@pytest.fixture(autouse=True)
def _compute_on(request: pytest.FixtureRequest, settings) -> None:
    if "compute_off" not in request.keywords:
        settings.COMPUTE_ENABLED = True


def _rendered_web_settings(env: str) -> dict[str, str]:
    (path,) = (CLUSTERS / env / "app").glob("configmap-guestbook-web-*.yaml")
    return yaml.safe_load(path.read_text())["data"]


@pytest.mark.compute_off
def test_compute_is_off_by_default(client: Client) -> None:
    from django.conf import settings

    assert settings.COMPUTE_ENABLED is False
    assert client.get("/compute?ms=5").status_code == 404


@pytest.mark.compute_off
@pytest.mark.parametrize(("env", "status"), [("prod", 404), ("dev", 200)])
def test_compute_answers_where_the_environment_turns_it_on(
    env: str, status: int, client: Client, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rendered ConfigMap of the web pods is what decides, with the service's own parsing."""
    from guestbook.env import env_bool

    data = _rendered_web_settings(env)
    if "COMPUTE_ENABLED" in data:
        monkeypatch.setenv("COMPUTE_ENABLED", data["COMPUTE_ENABLED"])
    else:
        monkeypatch.delenv("COMPUTE_ENABLED", raising=False)
    settings.COMPUTE_ENABLED = env_bool("COMPUTE_ENABLED", False)
    assert client.get("/compute?ms=5").status_code == status


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
