"""scripts/bootstrap.sh: after it, `nox` is where a new shell finds it, and a second run installs
nothing. nox comes from a wheel made here (pip is told to use no package index), so the test
needs no network; everything else is the script as a fresh machine runs it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
NOX_VERSION = "2026.10.20"  # what bootstrap.sh pins


def _fake_nox_wheel(folder: Path) -> Path:
    """A wheel named like the pinned nox whose `nox` command prints its version."""
    folder.mkdir()
    wheel = folder / f"nox-{NOX_VERSION}-py3-none-any.whl"
    info = f"nox-{NOX_VERSION}.dist-info"
    files = {
        "fakenox.py": "def main():\n    print('fake nox " + NOX_VERSION + "')\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: nox\nVersion: {NOX_VERSION}\n",
        f"{info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
        f"{info}/entry_points.txt": "[console_scripts]\nnox = fakenox:main\n",
    }
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
        archive.writestr(
            f"{info}/RECORD", "".join(f"{n},,\n" for n in files) + f"{info}/RECORD,,\n"
        )
    return wheel


def test_nox_lands_on_path_for_the_next_shell_and_a_second_run_installs_nothing(
    tmp_path: Path, repo_root: Path
) -> None:
    if shutil.which("dpkg-query") is None:
        pytest.skip("bootstrap.sh is for Debian and Ubuntu (no dpkg-query here)")
    python = tmp_path / "python-bin"
    python.mkdir()
    (python / "python3").symlink_to(Path(sys.executable).resolve())  # a python with venv
    tools, bin_dir = tmp_path / "tools", tmp_path / "bin"
    env = {
        "HOME": str(tmp_path / "home"),
        "PATH": f"{python}:/usr/sbin:/usr/bin:/sbin:/bin",  # no nox anywhere on it
        "GITOPS_TOOLS_HOME": str(tools),
        "GITOPS_BIN_DIR": str(bin_dir),
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(_fake_nox_wheel(tmp_path / "wheels").parent),
    }
    script = ["bash", str(repo_root / "scripts" / "bootstrap.sh"), "--setup-only", "lint"]

    first = subprocess.run(
        script, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert first.returncode == 0, first.stderr
    assert f"installing nox {NOX_VERSION} into {tools}/nox, linked as {bin_dir}/nox" in first.stderr
    assert f"{bin_dir} is not on your PATH" in first.stderr  # said, since the test's PATH lacks it
    # a new shell with that folder on PATH (as /usr/local/bin is for root) finds nox
    shell = subprocess.run(
        ["bash", "-c", "nox --version"],
        env={**env, "PATH": f"{bin_dir}:{env['PATH']}"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert shell.stdout.strip() == f"fake nox {NOX_VERSION}"

    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    second = subprocess.run(
        script, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert second.returncode == 0, second.stderr
    assert "installing" not in second.stderr
    assert second.stderr.strip().splitlines() == ["bootstrap: set up for lint: run `nox -s lint`"]
