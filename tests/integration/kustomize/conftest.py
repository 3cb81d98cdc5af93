"""Every test here runs kustomize (or kubectl kustomize). The seal tests also get a copy of this
repository whose dev certificate belongs to a throwaway key made here (never stored), and run
`python -m gitops seal` in it as a process, the value on stdin."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from gitops.render import sync
from gitops.render.state import render_all
from gitops.repo.layout import Layout


@pytest.fixture(autouse=True)
def _kustomize(request: pytest.FixtureRequest) -> None:
    """Skip (fail when GUESTBOOK_REQUIRE_SERVERS=1) without kustomize and kubectl."""
    request.getfixturevalue("needs_kustomize")


@dataclass(frozen=True)
class SealingKey:
    """A throwaway Sealed Secrets key pair: the private key, and its self-signed certificate as
    `kubeseal --fetch-cert` prints the controller's."""

    private_key: rsa.RSAPrivateKey
    certificate_pem: bytes


@pytest.fixture(scope="session")
def sealing_key() -> SealingKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "sealed-secret"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sealed-secret"),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return SealingKey(key, certificate.public_bytes(serialization.Encoding.PEM))


@pytest.fixture
def sealing_repo(tmp_path: Path, copy_repo, sealing_key: SealingKey) -> Layout:
    """A copy of this repository (apps/, clusters/, bootstrap/) with dev's certificate replaced
    by `sealing_key`'s, rendered, so that clusters/ starts as a fresh render of apps/."""
    layout = copy_repo(tmp_path / "repo")
    layout.sealing_certificate("dev").write_bytes(sealing_key.certificate_pem)
    sync.write(layout, render_all(layout))
    return layout


@dataclass(frozen=True)
class SealRun:
    """One `python -m gitops seal` process: its command line, exit code and output, and the
    command lines of the programs it ran (kustomize, kubectl)."""

    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    child_argv: list[str]


@pytest.fixture
def run_seal(sealing_repo: Layout, tmp_path: Path) -> Callable[..., SealRun]:
    """run_seal(*args, stdin=b""): `python -m gitops seal ARGS` in `sealing_repo`, `stdin` piped
    in (as `printf %s VALUE |` does). kustomize and kubectl are reached through wrappers that
    record their command lines."""
    shims = tmp_path / "shims"
    shims.mkdir()
    log = tmp_path / "child-argv.log"
    for tool in ("kustomize", "kubectl"):
        real = shutil.which(tool)
        if real:
            shim = shims / tool
            shim.write_text(f'#!/bin/sh\nprintf "%s\\n" "$0 $*" >> "{log}"\nexec "{real}" "$@"\n')
            shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{shims}{os.pathsep}{os.environ.get('PATH', '')}"}

    def run(*args: str, stdin: bytes = b"") -> SealRun:
        log.write_text("")
        argv = [sys.executable, "-m", "gitops", "seal", *args]
        result = subprocess.run(
            argv, cwd=sealing_repo.root, input=stdin, capture_output=True, env=env, check=False
        )
        return SealRun(
            argv,
            result.returncode,
            result.stdout.decode(),
            result.stderr.decode(),
            log.read_text().splitlines(),
        )

    return run
