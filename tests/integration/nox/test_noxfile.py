"""The commands as the README tells people to run them: through nox. stdout carries only the
command's output (JSON and SARIF pipe into a parser), and the exit code is the command's own
(1 findings, 2 usage), not nox's blanket 1."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
BAD = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: other}
    spec:
      containers:
      - name: web
        image: nginx:1.27
"""


@pytest.fixture
def nox(repo_root: Path):
    """nox(*args): `nox --no-install -s ARGS` in the repository (installs only into a new venv)."""
    found = shutil.which("nox")
    if found is None:
        reason = "nox is not installed (bash scripts/bootstrap.sh --setup-only tests installs it)"
        if os.environ.get("GUESTBOOK_REQUIRE_SERVERS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [found, "--no-install", "-s", *args],
            cwd=repo_root,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    return run


def test_json_through_nox_parses_and_findings_exit_1(nox, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(BAD)
    result = nox("validate", "--", "--format", "json", str(tmp_path / "bad.yaml"))
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)  # nothing but the JSON on stdout
    assert any(f["rule"] == "GB204" for f in report["findings"]), report  # selector vs labels
    assert "validate:" in result.stderr


def test_a_usage_error_through_nox_exits_2(nox, tmp_path: Path) -> None:
    result = nox("validate", "--", "--output", str(tmp_path), str(tmp_path))
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert f"error: --output {tmp_path} is a folder" in result.stderr
