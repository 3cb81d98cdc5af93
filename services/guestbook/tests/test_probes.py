"""/healthz and /readyz, as the kubelet calls them: pod IP as Host, plain HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import OperationalError
from django.db.migrations.executor import MigrationExecutor
from django.test import Client, override_settings

from guestbook import probes

POD_IP = "10.244.1.17"
PRODUCTION = {"SECURE_SSL_REDIRECT": True, "ALLOWED_HOSTS": ["guestbook.example.com"]}


@pytest.fixture(autouse=True)
def _forget_migrations_memo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(probes, "_migrations_applied", False)
    yield


def test_healthz_answers_a_kubelet_without_touching_the_database() -> None:
    # no django_db mark: any database access here would raise
    with override_settings(**PRODUCTION):
        resp = Client().get("/healthz", HTTP_HOST=POD_IP)
    assert resp.status_code == 200
    assert resp.content == b"ok\n"


@pytest.mark.django_db
def test_readyz_answers_a_kubelet_with_production_settings() -> None:
    with override_settings(**PRODUCTION):
        client = Client()
        ready = client.get("/readyz", HTTP_HOST=POD_IP)
        page = client.get("/", HTTP_HOST=POD_IP)
        plain = client.get("/", HTTP_HOST="guestbook.example.com")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "database": "ok",
        "migrations": "ok",
        "redis": "not configured",
    }
    assert ready["Cache-Control"] == "no-store"
    # the same request to any other path meets the production checks the probes skip
    assert page.status_code == 400  # DisallowedHost
    assert plain.status_code == 301
    assert plain["Location"].startswith("https://guestbook.example.com/")


@pytest.mark.django_db
def test_readyz_is_503_while_migrations_are_pending(monkeypatch: pytest.MonkeyPatch) -> None:
    pending = MigrationExecutor.migration_plan

    def plan_with_one_left(self: MigrationExecutor, targets: object) -> list:
        migration = self.loader.get_migration("board", "0001_initial")
        return [(migration, False)]

    monkeypatch.setattr(MigrationExecutor, "migration_plan", plan_with_one_left)
    resp = Client().get("/readyz")
    assert resp.status_code == 503
    assert resp.json()["migrations"].startswith("1 unapplied (board.0001_initial)")
    monkeypatch.setattr(MigrationExecutor, "migration_plan", pending)
    assert Client().get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_remembers_that_migrations_are_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Client().get("/readyz").status_code == 200

    def must_not_run(*args: object) -> list:
        raise AssertionError("the migration check ran again")

    monkeypatch.setattr(MigrationExecutor, "migration_plan", must_not_run)
    assert Client().get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_is_503_when_the_database_is_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OperationalError('connection to server at "db" failed: Connection refused')

    monkeypatch.setattr(probes.connection, "cursor", refuse)
    resp = Client().get("/readyz")
    assert resp.status_code == 503
    body = resp.json()
    assert body["status"] == "not ready"
    assert body["database"].startswith("unavailable (OperationalError: connection to server")
    assert body["migrations"] == "unknown"


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_refuse_other_methods(path: str) -> None:
    resp = Client().post(path)
    assert resp.status_code == 405
    assert resp["Allow"] == "GET, HEAD"
