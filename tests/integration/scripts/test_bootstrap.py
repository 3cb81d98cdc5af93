"""scripts/bootstrap.sh: after it, `nox` is where a new shell finds it, and a second run installs
nothing; nox comes from requirements/nox.txt with --require-hashes, so a file whose hash is not
in the lock is refused, and a new lock replaces the nox it installed. nox is a wheel made here and
the lock names its hash (the script runs from a copy beside that lock, pip is told to use no
package index), so the test needs no network; everything else is the script as a fresh machine
runs it."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
NOX_VERSION = "2026.10.20"  # what requirements/nox.txt pins
NEWER = "2099.1.1"


def _fake_nox_wheel(folder: Path, version: str = NOX_VERSION) -> Path:
    """A wheel named like nox `version` whose `nox` command prints its version."""
    folder.mkdir(exist_ok=True)
    wheel = folder / f"nox-{version}-py3-none-any.whl"
    info = f"nox-{version}.dist-info"
    files = {
        "fakenox.py": "def main():\n    print('fake nox " + version + "')\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: nox\nVersion: {version}\n",
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


def _lock(repo: Path, version: str, wheel: Path) -> None:
    """requirements/nox.txt of `repo`: nox `version` at the hash of `wheel`."""
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    (repo / "requirements" / "nox.txt").write_text(
        f"nox=={version} \\\n    --hash=sha256:{digest}\n"
    )


@pytest.fixture
def repo(tmp_path: Path, repo_root: Path) -> Path:
    """scripts/bootstrap.sh in a folder of its own, beside a requirements/ it can be given."""
    root = tmp_path / "repo"
    (root / "scripts").mkdir(parents=True)
    (root / "requirements").mkdir()
    shutil.copy2(repo_root / "scripts" / "bootstrap.sh", root / "scripts" / "bootstrap.sh")
    return root


def test_the_script_pins_the_nox_of_the_lock(repo_root: Path) -> None:
    lock = (repo_root / "requirements" / "nox.txt").read_text()
    assert f"\nnox=={NOX_VERSION} \\\n    --hash=sha256:" in lock
    script = (repo_root / "scripts" / "bootstrap.sh").read_text()
    assert '--require-hashes -r "$NOX_LOCK"' in script


def test_nox_lands_on_path_for_the_next_shell_and_a_second_run_installs_nothing(
    tmp_path: Path, repo: Path
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
        "PIP_FIND_LINKS": str(tmp_path / "wheels"),
    }
    wheel = _fake_nox_wheel(tmp_path / "wheels")
    script = ["bash", str(repo / "scripts" / "bootstrap.sh"), "--setup-only", "lint"]

    _lock(repo, NOX_VERSION, repo / "scripts" / "bootstrap.sh")  # not the wheel's hash: refused
    refused = subprocess.run(
        script, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert refused.returncode != 0
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in refused.stderr
    assert not (bin_dir / "nox").exists()

    _lock(repo, NOX_VERSION, wheel)

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

    _lock(repo, NEWER, _fake_nox_wheel(tmp_path / "wheels", NEWER))  # the lock moves on
    third = subprocess.run(
        script, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert third.returncode == 0, third.stderr
    assert f"installing nox {NEWER} into {tools}/nox" in third.stderr
    assert (
        subprocess.run(
            [str(bin_dir / "nox")], capture_output=True, text=True, check=False
        ).stdout.strip()
        == f"fake nox {NEWER}"
    )
