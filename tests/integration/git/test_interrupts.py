"""bump and render stopped by a signal at many points: each either finished, or left the work
tree, the index, every branch and clusters/ exactly as they were (no half-edited overlay, no
half-written clusters/, no branch, no leftover worktree or staging folder)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.git, pytest.mark.slow]
IMAGE = "ghcr.io/example/guestbook"
POINTS = 12


def _command(repo: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "gitops", *args],
        cwd=repo,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _stop(process: subprocess.Popen[bytes], signum: int) -> tuple[int, str]:
    """Send `signum`; the exit code and what the command printed on stderr."""
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    return process.returncode, err.decode(errors="replace").strip()


def _duration(repo: Path, *args: str) -> float:
    started = time.monotonic()
    process = _command(repo, *args)
    _, err = process.communicate()
    assert process.returncode == 0, err
    return time.monotonic() - started


def _leftovers(repo: Path, git) -> tuple[int, list[str]]:
    worktrees = git(repo, "worktree", "list", "--porcelain").count("worktree ")
    staging = sorted(p.name for p in repo.glob(".gitops-render-*"))
    return worktrees, staging


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_bump_stopped_anywhere_changes_nothing_or_finishes(
    repo: Path, git, repo_state, signum: int
) -> None:
    full = _duration(repo, "bump", "dev", f"{IMAGE}:9.9.9", "--no-validate")
    git(repo, "branch", "-D", "bump/dev/guestbook-9.9.9")
    outcomes = set()
    for point in range(POINTS):
        before = repo_state(repo)
        branch = f"bump/dev/guestbook-1.1.{point}"
        process = _command(repo, "bump", "dev", f"{IMAGE}:1.1.{point}", "--no-validate")
        time.sleep(full * 1.2 * point / POINTS)
        code, said = _stop(process, signum)
        after = repo_state(repo)
        assert _leftovers(repo, git) == (1, []), (point, code, said)
        if branch in after["branches"]:  # finished (the signal may have come after the work)
            outcomes.add("finished")
            assert after["branches"] == sorted([*before["branches"], branch]), point
            after["branches"] = before["branches"]
        else:
            outcomes.add("stopped")
            assert code in (128 + signum, -signum), (point, code, said)
        assert after == before, (point, code, said)
    assert "stopped" in outcomes


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_render_stopped_anywhere_leaves_clusters_as_they_were_or_complete(
    repo: Path, git, snapshot, signum: int
) -> None:
    overlay = repo / "apps/guestbook/overlays/dev/kustomization.yaml"
    overlay.write_text(overlay.read_text() + "commonAnnotations:\n  team: web\n")
    old = snapshot(repo / "clusters")
    full = _duration(repo, "render")
    new = snapshot(repo / "clusters")
    assert new != old
    outcomes = set()
    for point in range(POINTS):
        git(repo, "checkout", "--quiet", "--", "clusters")
        process = _command(repo, "render")
        time.sleep(full * 1.2 * point / POINTS)
        code, said = _stop(process, signum)
        now = snapshot(repo / "clusters")
        assert now in (old, new), (point, code, said)
        assert _leftovers(repo, git)[1] == [], (point, code, said)
        outcomes.add("finished" if now == new else "stopped")
        if now == old:
            assert code in (128 + signum, -signum), (point, code, said)
    assert "stopped" in outcomes
