"""Locked dependencies: every pip install of nox, .ci/run, bootstrap.sh and the workflows takes
hash-locked files only (or is this package's own, in place, fetching nothing); the locks are
pinned, hashed and agree with pyproject.toml's ranges; the jobs that hold a write token install
from a wheelhouse, never from the network; and the kubectl the locks pin is the official binary
that rendered clusters/."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import platform
import re
import subprocess
import sysconfig
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCKS = ROOT / "requirements"
WORKFLOWS = ROOT / ".github" / "workflows"
PIP_CALL = re.compile(r"\bpip\s+(install|download|wheel)\b")
PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>\S+) \\$")
LOCAL_PACKAGE = "--no-deps --no-build-isolation -e ."


def _pins(path: Path) -> dict[str, str]:
    """{canonical name: version} of a compiled lock; asserts each pin has hashes."""
    lines = path.read_text().splitlines()
    pins = {}
    for number, line in enumerate(lines):
        if not line or line.startswith(("#", " ", "--")):
            continue  # comments, hashes, options (the service's lock names indexes)
        match = PIN.match(line)
        assert match, f"{path.name}:{number + 1}: not `name==version \\` with hashes: {line!r}"
        assert lines[number + 1].lstrip().startswith("--hash=sha256:"), f"{path.name}:{number + 1}"
        pins[canonicalize_name(match["name"])] = match["version"]
    return pins


def _shell_commands(text: str) -> list[str]:
    """The commands of a shell script, continuation lines joined."""
    return [" ".join(command.split()) for command in text.replace("\\\n", " ").splitlines()]


def _workflow_scripts() -> dict[str, list[tuple[str, dict, str]]]:
    """{workflow: [(job name, job, joined run scripts)]}."""
    found = {}
    for path in sorted(WORKFLOWS.glob("*.yml")):
        jobs = yaml.safe_load(path.read_text())["jobs"]
        found[path.name] = [
            (name, job, "\n".join(step.get("run", "") for step in job.get("steps", [])))
            for name, job in jobs.items()
        ]
    return found


def _mints_or_writes(job: dict) -> bool:
    permissions = job.get("permissions") or {}
    mints = any("create-github-app-token" in str(s.get("uses", "")) for s in job.get("steps", []))
    return mints or "write" in permissions.values()


def test_every_in_file_has_its_lock_and_nox_compiles_them_all() -> None:
    sources = {p.stem for p in LOCKS.glob("*.in")}
    assert sources == {p.stem for p in LOCKS.glob("*.txt")}
    assert sources >= {"nox", "lock", "pipeline", "tests", "lint"}
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    compiled = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "COMPILED"
    )
    assert isinstance(compiled, ast.Dict)
    assert {ast.literal_eval(key) for key in compiled.keys if key is not None} == sources


@pytest.mark.parametrize("lock", sorted(LOCKS.glob("*.txt")), ids=lambda p: p.name)
def test_every_lock_pins_every_file_by_hash_and_names_no_index(lock: Path) -> None:
    pins = _pins(lock)
    assert pins, lock.name
    text = lock.read_text()
    for option in ("--index-url", "--extra-index-url", "--find-links", "-e ", "file://"):
        assert option not in text, f"{lock.name}: {option} (pip-compile --no-emit-index-url ...)"
    header = text.split("\n\n")[0]  # pip-compile's command line, which Renovate reads
    assert f"--output-file=requirements/{lock.name}" in header
    assert "--generate-hashes" in header


def test_the_locks_satisfy_pyprojects_ranges_so_they_are_not_stale() -> None:
    """A range changed in pyproject.toml without `nox -s lock` fails here."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {
        "pipeline": project["dependencies"],
        "tests": project["dependencies"] + project["optional-dependencies"]["test"],
        "lint": project["dependencies"] + project["optional-dependencies"]["lint"],
    }
    for lock, requirements in wanted.items():
        pins = _pins(LOCKS / f"{lock}.txt")
        for text in requirements:
            requirement = Requirement(text)
            name = canonicalize_name(requirement.name)
            assert name in pins, f"requirements/{lock}.txt lacks {name}: run `nox -s lock`"
            assert requirement.specifier.contains(pins[name], prereleases=True), (
                f"requirements/{lock}.txt pins {name}=={pins[name]}, outside {text!r}"
            )


def test_the_locks_of_one_environment_agree() -> None:
    """The tests session installs tests.txt and the service's lock into one environment; every
    lock holds the pipeline's pins."""
    pipeline = _pins(LOCKS / "pipeline.txt")
    service = _pins(ROOT / "services" / "guestbook" / "requirements-test.txt")
    tests, lint = _pins(LOCKS / "tests.txt"), _pins(LOCKS / "lint.txt")
    for name, version in tests.items():
        assert service.get(name, version) == version, f"tests.txt and the service's pin {name}"
    for lock in (tests, lint):
        for name, version in pipeline.items():
            assert lock.get(name, version) == version, name
    assert pipeline["setuptools"] == tests["setuptools"] == lint["setuptools"]


def test_every_nox_install_is_hash_locked_or_the_package_itself() -> None:
    """All installs go through `_install`: locks with --require-hashes, then the package in
    place with no dependencies and no build environment (so nothing unpinned is fetched)."""
    text = (ROOT / "noxfile.py").read_text()
    tree = ast.parse(text)
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "install"
    ]
    literal = [[arg.value for arg in call.args if isinstance(arg, ast.Constant)] for call in calls]
    assert literal == [["--require-hashes", "-r"], ["--no-deps", "--no-build-isolation", "-e", "."]]
    installer = next(
        node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "_install"
    )
    assert all(installer.lineno <= call.lineno <= installer.end_lineno for call in calls)
    assert not re.search(r"""session\.run\([^)]*["']pip["']""", text)


@pytest.mark.parametrize("path", [".ci/run", "scripts/bootstrap.sh"])
def test_every_pip_install_of_the_scripts_is_hash_locked(path: str) -> None:
    text = (ROOT / path).read_text()
    commands = [c for c in _shell_commands(text) if PIP_CALL.search(c) and not c.startswith("#")]
    for command in commands:
        assert "--require-hashes" in command, f"{path}: {command}"
    if path == ".ci/run":
        assert "\nexport PIP_REQUIRE_HASHES=1\n" in text  # and pip refuses anything unhashed


@pytest.mark.parametrize("workflow", sorted(_workflow_scripts()))
def test_every_pip_install_of_the_workflows_is_hash_locked(workflow: str) -> None:
    for name, _, script in _workflow_scripts()[workflow]:
        for command in _shell_commands(script):
            if PIP_CALL.search(command):
                local = command.endswith(LOCAL_PACKAGE)
                assert local or "--require-hashes" in command, f"{workflow}: job {name}: {command}"


@pytest.mark.parametrize("workflow", sorted(_workflow_scripts()))
def test_jobs_that_hold_a_write_token_install_nothing_from_the_network(workflow: str) -> None:
    """They install from the wheelhouse that a job without write permissions downloaded from the
    locks: every step that runs pip or nox has pip told to use no index, only the wheelhouse,
    and hashes; none downloads."""
    for name, job, _ in _workflow_scripts()[workflow]:
        if not _mints_or_writes(job):
            continue
        for step in job.get("steps", []):
            script = step.get("run", "")
            if not (PIP_CALL.search(script) or "nox " in script):
                continue
            where = f"{workflow}: job {name}: {step.get('name', script)}"
            env = step.get("env", {})
            assert (env.get("PIP_NO_INDEX"), env.get("PIP_REQUIRE_HASHES")) == ("1", "1"), where
            assert str(env.get("PIP_FIND_LINKS", "")).endswith("/wheelhouse"), where
            for command in _shell_commands(script):
                if PIP_CALL.search(command):
                    assert "--no-index" in command and "pip install" in command, where
        if "nox " in "".join(step.get("run", "") for step in job["steps"]):
            assert "wheelhouse" in job["needs"], f"{workflow}: job {name}"


# ---- kubectl: one pinned binary renders everywhere


@pytest.fixture(scope="module")
def kubectl_pin(fixtures_dir: Path) -> dict:
    return json.loads((fixtures_dir / "tools" / "kubectl.json").read_text())


def test_the_pipeline_lock_pins_the_recorded_kubectl(kubectl_pin: dict) -> None:
    pins = _pins(LOCKS / "pipeline.txt")
    assert "v" + pins[kubectl_pin["package"]] == kubectl_pin["version"]
    for pin in kubectl_pin["sha256"].values():
        assert re.fullmatch(r"[0-9a-f]{64}", pin["sha256"])
        assert len(pin["evidence"]) >= 2


def test_the_committed_clusters_were_rendered_by_the_pinned_kubectl(
    kubectl_pin: dict, repo_root: Path
) -> None:
    record = (repo_root / "clusters" / ".rendered-by").read_text().splitlines()[-1]
    assert record == f"kustomize {kubectl_pin['kustomize']} (kubectl {kubectl_pin['version']})"


def test_the_kubectl_the_session_installed_is_the_official_binary(kubectl_pin: dict) -> None:
    kubectl = Path(sysconfig.get_path("scripts")) / "kubectl"
    if not kubectl.is_file():
        reason = f"no kubectl in this environment ({kubectl}): nox -s tests installs it"
        if os.environ.get("GUESTBOOK_REQUIRE_SERVERS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    machine = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    key = f"{platform.system().lower()}/{machine}"
    if key not in kubectl_pin["sha256"]:
        pytest.skip(f"no recorded SHA-256 for {key}")
    assert hashlib.sha256(kubectl.read_bytes()).hexdigest() == kubectl_pin["sha256"][key]["sha256"]
    reported = json.loads(
        subprocess.run(
            [str(kubectl), "version", "--client", "-o", "json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert reported["clientVersion"]["gitVersion"] == kubectl_pin["version"]
    assert reported["kustomizeVersion"] == kubectl_pin["kustomize"]
