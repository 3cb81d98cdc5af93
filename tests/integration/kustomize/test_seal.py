"""`python -m gitops seal` end to end, as a process in a copy of this repository whose dev
certificate belongs to a throwaway key: the value goes in on stdin and comes out only sealed, in
exactly the lines it belongs to (the overlay's SealedSecret and its rendered copy), for exactly
that namespace and name; usage errors and a failed render change nothing."""

from __future__ import annotations

import base64
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from gitops.repo.environments import load_environment
from gitops.repo.layout import Layout
from gitops.secrets.crypto import hybrid_decrypt
from gitops.secrets.sealing import encryption_label

pytestmark = pytest.mark.slow
OVERLAY_SECRET = "apps/guestbook/overlays/dev/secrets/guestbook-django.yaml"
RENDERED_SECRET = "clusters/dev/data/sealedsecret-guestbook-django.yaml"
KUSTOMIZATION = "apps/guestbook/overlays/dev/kustomization.yaml"
CREATED = "apps/guestbook/overlays/dev/secrets/guestbook-extra.yaml"
POINTS = 10
Snapshot = Callable[[Path], dict[str, bytes]]


def _changed(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def _changed_lines(before: bytes, after: bytes) -> tuple[list[str], list[str]]:
    """(old lines, new lines) where the two texts differ, line by line (same line count)."""
    old, new = before.decode().splitlines(), after.decode().splitlines()
    assert len(old) == len(new)
    pairs = [(o, n) for o, n in zip(old, new, strict=True) if o != n]
    return [o for o, _ in pairs], [n for _, n in pairs]


def _sealed(path: Path, key: str) -> bytes:
    return base64.b64decode(yaml.safe_load(path.read_text())["spec"]["encryptedData"][key])


def _dev_namespace(layout: Layout) -> str:
    return load_environment(layout, "dev").apps["guestbook"].namespace


def test_a_value_on_stdin_is_sealed_into_one_line_and_its_rendered_copy(
    sealing_repo: Layout, run_seal, rsa_key, snapshot: Snapshot
) -> None:
    value = f"django-{secrets.token_hex(16)}"
    root = sealing_repo.root
    before = snapshot(root)

    result = run_seal("dev", "guestbook-django", "secret-key", stdin=value.encode())

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"updated: {OVERLAY_SECRET}",
        f"rendered: {RENDERED_SECRET}",
    ]
    after = snapshot(root)
    assert _changed(before, after) == [OVERLAY_SECRET, RENDERED_SECRET]
    for path in (OVERLAY_SECRET, RENDERED_SECRET):
        old, new = _changed_lines(before[path], after[path])
        assert len(old) == len(new) == 1, path
        assert re.fullmatch(r" +secret-key: [A-Za-z0-9+/=]+", new[0]), new
        assert old[0].split(":")[0] == new[0].split(":")[0]
    # the same sealed value in both, and it opens with the key, for this namespace and name only
    sealed = _sealed(root / OVERLAY_SECRET, "secret-key")
    assert sealed == _sealed(root / RENDERED_SECRET, "secret-key")
    label = encryption_label(_dev_namespace(sealing_repo), "guestbook-django")
    assert hybrid_decrypt(rsa_key, sealed, label) == value.encode()
    # the plaintext is nowhere: no file of the copy, no output, no command line
    for path, data in after.items():
        assert value.encode() not in data, path
    assert value not in result.stdout + result.stderr
    assert all(value not in arg for arg in result.argv)
    assert result.child_argv, "the render ran no kustomize"
    assert all(value not in line for line in result.child_argv)


def test_generate_seals_a_new_random_value_that_is_never_shown(
    sealing_repo: Layout, run_seal, rsa_key, snapshot: Snapshot
) -> None:
    root = sealing_repo.root
    before = snapshot(root)
    result = run_seal("dev", "guestbook-postgres", "password", "--generate", "password")
    assert result.returncode == 0, result.stderr
    path = "apps/guestbook/overlays/dev/secrets/guestbook-postgres.yaml"
    label = encryption_label(_dev_namespace(sealing_repo), "guestbook-postgres")
    value = hybrid_decrypt(rsa_key, _sealed(root / path, "password"), label)
    assert re.fullmatch(rb"[0-9a-f]{32}", value)
    after = snapshot(root)
    assert _changed(before, after) == [
        path,
        "clusters/dev/data/sealedsecret-guestbook-postgres.yaml",
    ]
    assert value.decode() not in result.stdout + result.stderr
    assert all(value not in data for data in after.values())
    again = run_seal("dev", "guestbook-postgres", "password", "--generate", "password")
    assert again.returncode == 0, again.stderr
    assert (
        hybrid_decrypt(rsa_key, _sealed(root / path, "password"), label) != value
    )  # a new value each time


@pytest.mark.parametrize("stdin", [b"", b"\n"])
def test_an_empty_stdin_is_a_usage_error_and_changes_nothing(
    sealing_repo: Layout, run_seal, snapshot: Snapshot, stdin: bytes
) -> None:
    before = snapshot(sealing_repo.root)
    result = run_seal("dev", "guestbook-django", "secret-key", stdin=stdin)
    assert result.returncode == 2
    assert "no value on stdin" in result.stderr
    assert snapshot(sealing_repo.root) == before


def test_a_missing_certificate_is_a_usage_error_naming_its_path(
    sealing_repo: Layout, run_seal, snapshot: Snapshot
) -> None:
    sealing_repo.sealing_certificate("dev").unlink()
    before = snapshot(sealing_repo.root)
    result = run_seal("dev", "guestbook-django", "secret-key", stdin=b"a-value")
    assert result.returncode == 2
    assert "apps/environments/dev/sealed-secrets.pem" in result.stderr
    assert "no public certificate" in result.stderr
    assert snapshot(sealing_repo.root) == before


def test_an_unknown_environment_is_a_usage_error(
    sealing_repo: Layout, run_seal, snapshot: Snapshot
) -> None:
    before = snapshot(sealing_repo.root)
    result = run_seal("qa", "guestbook-django", "secret-key", stdin=b"a-value")
    assert result.returncode == 2
    assert "unknown environment 'qa' (known: dev, prod)" in result.stderr
    assert snapshot(sealing_repo.root) == before


def test_a_new_secret_creates_its_file_and_one_resources_line(
    sealing_repo: Layout, run_seal, rsa_key, snapshot: Snapshot
) -> None:
    root = sealing_repo.root
    before = snapshot(root)
    result = run_seal("dev", "guestbook-extra", "api-token", stdin=b"token-value-1")
    assert result.returncode == 0, result.stderr
    created = "apps/guestbook/overlays/dev/secrets/guestbook-extra.yaml"
    rendered = "clusters/dev/data/sealedsecret-guestbook-extra.yaml"
    assert result.stdout.splitlines() == [f"created: {created}", f"rendered: {rendered}"]
    after = snapshot(root)
    assert _changed(before, after) == [KUSTOMIZATION, created, rendered]
    old = before[KUSTOMIZATION].decode().splitlines(keepends=True)
    new = after[KUSTOMIZATION].decode().splitlines(keepends=True)
    added = [line for line in new if line not in old]
    assert added == ["  - secrets/guestbook-extra.yaml\n"]
    assert [line for line in new if line != added[0]] == old
    document = yaml.safe_load(after[rendered])
    assert (document["metadata"]["namespace"], document["metadata"]["name"]) == (
        _dev_namespace(sealing_repo),
        "guestbook-extra",
    )
    label = encryption_label(_dev_namespace(sealing_repo), "guestbook-extra")
    sealed = _sealed(root / created, "api-token")
    assert hybrid_decrypt(rsa_key, sealed, label) == b"token-value-1"


@pytest.mark.parametrize("secret", ["guestbook-django", "guestbook-extra"])
def test_a_failed_render_puts_the_overlay_files_back(
    sealing_repo: Layout, run_seal, snapshot: Snapshot, secret: str
) -> None:
    """The overlay's files are written before the render: when it fails they are put back, and
    a new Secret's file is removed again."""
    base = sealing_repo.app_dir("guestbook") / "base" / "kustomization.yaml"
    base.write_text(base.read_text() + "patches:\n  - path: missing-file.yaml\n")
    before = snapshot(sealing_repo.root)
    result = run_seal("dev", secret, "secret-key", stdin=b"a-value")
    assert result.returncode == 2, result.stderr
    assert "missing-file.yaml" in result.stderr
    assert snapshot(sealing_repo.root) == before


def _restore(root: Path, files: dict[str, bytes]) -> None:
    """Put `root` back to the snapshot `files`: every file as it was, none added."""
    for path in sorted(root.rglob("*"), reverse=True):
        relative = path.relative_to(root).as_posix()
        if path.is_file() and relative not in files:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    for relative, data in files.items():
        (root / relative).write_bytes(data)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_seal_stopped_anywhere_changes_nothing_or_finishes(
    sealing_repo: Layout, snapshot: Snapshot, signum: int
) -> None:
    """A new Secret (a new file, a resources line, a render) stopped by a signal at many points:
    the repository is exactly as before, or seal finished; never a half-written overlay, a
    leftover temporary file or a folder of the render's."""
    root = sealing_repo.root
    before = snapshot(root)
    argv = [sys.executable, "-m", "gitops", "seal", "dev", "guestbook-extra", "token"]

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            argv,
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert process.stdin is not None
        process.stdin.write(b"interrupted-value")
        process.stdin.close()
        return process

    started = time.monotonic()
    assert start().wait() == 0
    full = time.monotonic() - started
    finished = [KUSTOMIZATION, CREATED, "clusters/dev/data/sealedsecret-guestbook-extra.yaml"]
    assert _changed(before, snapshot(root)) == finished
    outcomes = set()
    for point in range(POINTS):
        _restore(root, before)
        process = start()
        time.sleep(full * 1.2 * point / POINTS)
        process.send_signal(signum)
        code = process.wait(timeout=60)
        changed = _changed(before, snapshot(root))
        if changed:  # finished (the signal may have come after the work was whole)
            outcomes.add("finished")
            assert changed == finished, (point, code)
        else:
            outcomes.add("stopped")
            assert code in (128 + signum, -signum), (point, code)
            assert changed == [], (point, code)
    assert "stopped" in outcomes
