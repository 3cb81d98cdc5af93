"""`python -m gitops seal` where it needs no kustomize (the sealing itself is replaced here; end
to end as a process: tests/integration/kustomize/test_seal.py): where the value comes from, what
the command prints, and its exit codes."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest

import gitops.secrets.seal as seal_module
from gitops.cli import main
from gitops.secrets.seal import Sealed


class FakeStdin(io.TextIOWrapper):
    """stdin as a pipe (or a terminal) carrying `data`."""

    def __init__(self, data: bytes, *, tty: bool = False) -> None:
        super().__init__(io.BytesIO(data))
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.fixture
def sealed_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, copy_repo
) -> list[dict[str, Any]]:
    """The calls of the (replaced) `seal` the command makes, in a copy of the repository as the
    working directory."""
    layout = copy_repo(tmp_path)
    monkeypatch.chdir(tmp_path)
    calls: list[dict[str, Any]] = []

    def seal(_: object, env: str, secret: str, key: str, value: bytes, **kw: Any) -> Sealed:
        calls.append({"env": env, "secret": secret, "key": key, "value": value, **kw})
        path = layout.overlay_dir("guestbook", env) / "secrets" / f"{secret}.yaml"
        return Sealed(
            path, False, [layout.cluster_dir(env) / "data" / f"sealedsecret-{secret}.yaml"]
        )

    monkeypatch.setattr(seal_module, "seal", seal)
    return calls


def _run(monkeypatch: pytest.MonkeyPatch, stdin: FakeStdin, *args: str) -> int:
    monkeypatch.setattr("sys.stdin", stdin)
    return main(["seal", *args])


@pytest.mark.parametrize(
    ("piped", "value"),
    [
        (b"s3cret", b"s3cret"),
        (b"s3cret\n", b"s3cret"),  # `echo s3cret |`: one newline dropped
        (b"s3cret\n\n", b"s3cret\n"),  # only one
        (b"two words \t", b"two words \t"),  # nothing else is stripped
    ],
)
def test_the_value_comes_from_stdin(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sealed_values: list[dict[str, Any]],
    piped: bytes,
    value: bytes,
) -> None:
    assert _run(monkeypatch, FakeStdin(piped), "dev", "guestbook-django", "secret-key") == 0
    (call,) = sealed_values
    assert (call["env"], call["secret"], call["key"], call["value"]) == (
        "dev",
        "guestbook-django",
        "secret-key",
        value,
    )
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "updated: apps/guestbook/overlays/dev/secrets/guestbook-django.yaml",
        "rendered: clusters/dev/data/sealedsecret-guestbook-django.yaml",
    ]
    assert "sealed guestbook-django/secret-key for dev; commit the result" in err
    assert "s3cret" not in out + err and "two words" not in out + err


def test_a_terminal_gets_a_prompt_that_does_not_echo(
    monkeypatch: pytest.MonkeyPatch, sealed_values: list[dict[str, Any]]
) -> None:
    prompts: list[str] = []

    def getpass(prompt: str) -> str:
        prompts.append(prompt)
        return "typed"

    monkeypatch.setattr("getpass.getpass", getpass)
    assert _run(monkeypatch, FakeStdin(b"", tty=True), "dev", "guestbook-django", "k") == 0
    assert prompts == ["value (not echoed): "]
    assert sealed_values[0]["value"] == b"typed"


@pytest.mark.parametrize("piped", [b"", b"\n"])
def test_an_empty_value_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sealed_values: list[dict[str, Any]],
    piped: bytes,
) -> None:
    assert _run(monkeypatch, FakeStdin(piped), "dev", "guestbook-django", "secret-key") == 2
    assert "no value on stdin" in capsys.readouterr().err
    assert sealed_values == []


@pytest.mark.parametrize(
    ("kind", "pattern"),
    [
        ("password", rb"[0-9a-f]{32}"),
        ("django-secret-key", rb"[A-Za-z0-9_-]{64}"),
    ],
)
def test_generate_makes_the_value_and_reads_no_stdin(
    monkeypatch: pytest.MonkeyPatch,
    sealed_values: list[dict[str, Any]],
    kind: str,
    pattern: bytes,
) -> None:
    stdin = FakeStdin(b"not read")
    assert (
        _run(monkeypatch, stdin, "prod", "guestbook-postgres", "password", "--generate", kind) == 0
    )
    assert re.fullmatch(pattern, sealed_values[0]["value"])
    assert stdin.buffer.tell() == 0


def test_an_unknown_kind_of_value_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sealed_values: list[dict[str, Any]],
) -> None:
    with pytest.raises(SystemExit) as caught:
        _run(monkeypatch, FakeStdin(b""), "dev", "s", "k", "--generate", "pin")
    assert caught.value.code == 2
    assert "invalid choice: 'pin'" in capsys.readouterr().err
    assert sealed_values == []


def test_app_is_passed_on(
    monkeypatch: pytest.MonkeyPatch, sealed_values: list[dict[str, Any]]
) -> None:
    assert _run(monkeypatch, FakeStdin(b"v"), "dev", "s", "k", "--app", "guestbook") == 0
    assert sealed_values[0]["app"] == "guestbook"
