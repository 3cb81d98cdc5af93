"""The whole image build and smoke test, as `nox -s image` runs it, then the backup drill in the
built image (needs podman)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _missing(what: str) -> None:
    message = f"{what}; install with: apt-get install -y podman buildah runc debootstrap"
    if os.environ.get("GUESTBOOK_REQUIRE_SERVERS") == "1":
        pytest.fail(f"{message} (GUESTBOOK_REQUIRE_SERVERS=1 makes this a failure)")
    pytest.skip(message)


def _base_arguments() -> list[str]:
    """The stand-in base where it can be made (root + debootstrap) or exists already; elsewhere
    (GitHub's runners: not root, registry reachable) the Dockerfile's own official base."""
    exists = (
        subprocess.run(
            ["podman", "image", "exists", "localhost/python-base:bookworm"], check=False
        ).returncode
        == 0
    )
    if exists or (os.geteuid() == 0 and shutil.which("debootstrap")):
        return []
    return ["--dockerfile-base"]


@pytest.mark.slow
@pytest.mark.servers
def test_image_builds_and_passes_the_smoke_test(repo_root: Path) -> None:
    if shutil.which("podman") is None:
        _missing("podman is not installed")
    dockerfile = repo_root / "services" / "guestbook" / "Dockerfile"
    if not dockerfile.is_file():
        pytest.skip(f"{dockerfile.relative_to(repo_root)} does not exist yet")
    result = subprocess.run(
        [sys.executable, "-m", "gitops", "image", *_base_arguments()],
        cwd=repo_root,
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "smoke: /readyz answered 200" in output
    assert "smoke: /readyz reports Redis ok, reached with its password" in output
    assert "and read it back" in output
    assert "smoke: PID 1 is gunicorn, running as UID" in output
    assert "smoke: SIGTERM -> exited 0" in output
    assert re.search(r"^size: \d+(\.\d)? [kMG]?B", result.stdout, re.MULTILINE), output[-2000:]
    assert re.search(r"^digest: sha256:[0-9a-f]{64}$", result.stdout, re.MULTILINE)

    # the backup drill with the image's own containers: upload and fetch run in it, as the
    # CronJobs run them (user 10001, read-only root, the emptyDir at /backup)
    image = re.search(r"^image: (\S+)$", result.stdout, re.MULTILINE)
    assert image, output[-2000:]
    drill = subprocess.run(
        [sys.executable, "-m", "gitops", "backup-drill", "--image", image[1], "--messages", "20"],
        cwd=repo_root,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert drill.returncode == 0, (drill.stdout + drill.stderr)[-4000:]
    lines = drill.stdout.splitlines()
    assert "  upload: python3 -m guestbook.backup upload /backup/guestbook.dump" in lines
    assert "  fetch: python3 -m guestbook.backup fetch /backup/guestbook.dump" in lines
    assert lines[-1] == "backup drill: 20 messages backed up, 20 restored, identical"
