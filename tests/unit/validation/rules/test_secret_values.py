"""The credential heuristic of GB426 (`rules.secret_values`), case by case; the rule itself runs
on tests/fixtures/validate-rules/bad/secret-values.yaml."""

from __future__ import annotations

import pytest

from gitops.validation.rules.secret_values import is_literal, is_secret_name, value_problem


@pytest.mark.parametrize(
    "name",
    ["PASSWORD", "DB_PASSWORD", "dbPassword", "REDIS_PASS", "SECRET_BLAH", "DJANGO_SECRET_KEY",
     "AWS_SECRET_ACCESS_KEY", "X_API_KEY", "apiKey", "GITHUB_TOKEN", "client-secret",
     "SMTP_CREDENTIALS", "JWT_SIGNING_KEY", "oauth.token"],
)  # fmt: skip
def test_secret_like_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    ["BLAH", "POSTGRES_PASSWORD_FILE", "AWS_ACCESS_KEY_ID", "TOKEN_URL", "SECRET_NAME",
     "PASSWORD_MIN_LENGTH", "ACCESS_TOKEN_EXPIRY", "BYPASS", "COMPASS", "PASSENGER_COUNT", "PWD",
     "KEY", "CACHE_KEY_PREFIX", "DATABASE_URL", "TOKEN_KEY"],
)  # fmt: skip
def test_names_about_a_secret_or_not_one(name: str) -> None:
    assert not is_secret_name(name)


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("hunter2", True),
        ("'quoted'", True),
        ("", False),
        ("   ", False),
        ("3600", False),
        ("true", False),
        ("30s", False),
        ("/run/secrets/db", False),
        ("$(DB_PASSWORD)", False),
        ("${DB_PASSWORD}", False),
        ("$DB_PASSWORD", False),
        ("{{ .Values.password }}", False),
        ("|", False),
        (42, False),
        (None, False),
    ],
)
def test_literal_values(value: object, literal: bool) -> None:
    assert is_literal(value) is literal


@pytest.mark.parametrize(
    ("name", "value", "what"),
    [
        ("DATABASE_URL", "postgres://app:pw@db/app", "postgres://app:***@db"),
        ("CACHE", "redis://:pw@redis:6379/0", "redis://:***@redis:6379"),
        ("X", "AKIAIOSFODNN7EXAMPLE", "AWS access key id"),
        ("X", "xoxb-1234567890-abcdefghij", "Slack token"),
        ("X", "-----BEGIN RSA PRIVATE KEY-----\nMII...\n", "PEM private key"),
        ("app.env", "HOST=db\nDB_PASSWORD=pw\n", "DB_PASSWORD on its line 2"),
        ("config.json", '{\n  "password": "pw",\n  "host": "db"\n}\n', "password on its line 2"),
        ("SECRET_BLAH", "secretsquirrels", "name that says it is a secret"),
    ],
)
def test_what_looks_like_a_credential(name: str, value: str, what: str) -> None:
    problem = value_problem(name, value)
    assert problem is not None and what in problem
    assert "pw" not in problem.replace("postgres", "")  # the value itself is never repeated


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "postgres://app@db:5432/app"),
        ("DATABASE_URL", "postgres://app:$(DB_PASSWORD)@db/app"),
        ("DATABASE_URL", "postgres://app:${DB_PASSWORD}@db/app"),
        ("DSN", "mysql://app:***@db/app"),
        ("BLAH", "secretsquirrels"),
        ("ENDPOINT", "https://s3.example.com:443/bucket"),
        ("roles.sql", "ALTER ROLE web WITH PASSWORD :'web_password';\n-- password rotation\n"),
        ("app.yaml", "password: ${DB_PASSWORD}\ntoken: |\n  text\n"),
        ("ca.crt", "-----BEGIN CERTIFICATE-----\nMII...\n-----END CERTIFICATE-----\n"),
    ],
)
def test_what_does_not(name: str, value: str) -> None:
    assert value_problem(name, value) is None
