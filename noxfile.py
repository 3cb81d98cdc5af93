"""Every job of this repository, as a nox session. Sessions stay thin: the work is in `gitops`.

    nox                        the default run: lint, validate, tests
    nox -s validate            the gate: committed clusters/ == fresh render, then every check
    nox -s tests               every test (PostgreSQL, Redis and Chromium tests need their binaries)
    nox -s serve               the guestbook on its embedded default (SQLite, local memory)
    nox -s backup-drill        a backup restored into an empty PostgreSQL, compared row by row
    nox -s render | diff | bump | promote | rollback | image | bench
    nox -s lock                re-pin requirements/*.txt (hashes) from requirements/*.in

Arguments after `--` go to the command, e.g. `nox -s validate -- --format sarif`.
`nox -R -s validate` reuses the environment without reinstalling (the fast path once set up).

Every session installs only hash-locked files (requirements/*.txt, the service's
requirements*.txt) with --require-hashes, then this package itself with --no-deps and no build
environment: nothing it installs is fetched unpinned (`_install`).
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.needs_version = ">=2025.5.1"
nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"

ROOT = Path(__file__).parent
SERVICE = ROOT / "services" / "guestbook"
LOCKS = ROOT / "requirements"
PYTHON = nox.project.python_versions(nox.project.load_toml(ROOT / "pyproject.toml"))
# requirements/NAME.txt: the pip-compile arguments besides NAME.in, in the order they are compiled
# (tests.in and lint.in are constrained by the locks before them).
COMPILED = {
    "nox": (),
    "lock": (),
    "pipeline": ("pyproject.toml",),
    "tests": ("--extra", "test", "pyproject.toml"),
    "lint": ("--extra", "lint", "pyproject.toml"),
}


def _install(session: nox.Session, *locks: str | Path, package: bool = True) -> None:
    """Install hash-locked files (a name of requirements/, or a path), then this package.

    `--require-hashes`: every file pip fetches must be pinned and match a hash in the lock.
    The package itself is installed in place with `--no-deps` (the locks brought them) and
    `--no-build-isolation` (setuptools comes from the lock, no build environment is fetched), so
    that install fetches nothing; pip cannot hash a folder, hence PIP_REQUIRE_HASHES=0 for it
    alone (.ci/run and the workflows set PIP_REQUIRE_HASHES=1 for everything else).
    """
    for lock in locks:
        path = LOCKS / f"{lock}.txt" if isinstance(lock, str) else lock
        session.install("--require-hashes", "-r", str(path))
    if package:
        session.install(
            "--no-deps", "--no-build-isolation", "-e", ".", env={"PIP_REQUIRE_HASHES": "0"}
        )


def _gitops(session: nox.Session, command: str) -> None:
    """`python -m gitops COMMAND ARGS`, its streams and exit code as they are.

    nox would merge the command's stderr into its stdout (breaking `--format json | jq`) and
    turn every failure into exit 1; here stdout carries only the command's output, and the
    command's own exit code (1 findings or refused, 2 usage or configuration) is nox's.
    """
    _install(session, "pipeline")
    try:
        session.run("python", "-m", "gitops", command, *session.posargs, stderr=None)
    except nox.command.CommandFailed as failed:
        code = getattr(failed, "return_code", None) or 1
        session.log(f"gitops {command} exited with {code}")
        raise SystemExit(code) from None


@nox.session(python=PYTHON)
def validate(session: nox.Session) -> None:
    """Validate the repository's cluster state (or `-- PATH...`); exit 1 on any error."""
    _gitops(session, "validate")


@nox.session(python=PYTHON, default=False)
def render(session: nox.Session) -> None:
    """Render apps/guestbook/overlays/* into clusters/*; `-- --check` only compares."""
    _gitops(session, "render")


@nox.session(python=PYTHON, default=False)
def diff(session: nox.Session) -> None:
    """Cluster-state diff between `-- BASE` (default: merge base with main) and the work tree."""
    _gitops(session, "diff")


@nox.session(python=PYTHON, default=False)
def bump(session: nox.Session) -> None:
    """`-- ENV IMAGE`: point ENV at IMAGE on a new branch, re-rendered and validated."""
    _gitops(session, "bump")


@nox.session(python=PYTHON, default=False)
def promote(session: nox.Session) -> None:
    """`-- dev prod`: give prod exactly the image dev runs, by digest."""
    _gitops(session, "promote")


@nox.session(python=PYTHON, default=False)
def rollback(session: nox.Session) -> None:
    """`-- ENV`: revert the last image change of ENV on a new branch."""
    _gitops(session, "rollback")


@nox.session(python=PYTHON, default=False)
def seal(session: nox.Session) -> None:
    """`-- ENV SECRET KEY` (value on stdin, or --generate KIND): seal it offline, re-render."""
    _gitops(session, "seal")


@nox.session(python=PYTHON, default=False)
def image(session: nox.Session) -> None:
    """Build services/guestbook with podman and smoke-test it against real PostgreSQL and Redis."""
    _gitops(session, "image")


@nox.session(python=PYTHON, name="backup-drill", default=False)
def backup_drill(session: nox.Session) -> None:
    """`[-- ENV]`: back up a database of messages and restore it into an empty server, with the
    commands of ENV's rendered backup and restore CronJobs, on real PostgreSQL and an S3 API."""
    _install(session, "pipeline", SERVICE / "requirements-test.txt")
    session.run("python", "-m", "gitops", "backup-drill", *session.posargs)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Every test: the pipeline's (tests/) and the service's (services/guestbook/tests/).

    Tests that need PostgreSQL, Redis or Chromium start them; without the binaries they skip and
    say how to install them, unless GUESTBOOK_REQUIRE_SERVERS=1 (set in CI) makes that a failure.
    """
    _install(session, "tests", SERVICE / "requirements-test.txt")
    session.run("pytest", "tests", *session.posargs)
    session.run("pytest", str(SERVICE), *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff (check, format, complexity), mypy --strict, the dead-code check (vulture), and the
    GitHub workflows with zizmor and their JSON schema."""
    _install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")  # [tool.mypy] in pyproject.toml: strict, on src/
    session.run("vulture")  # [tool.vulture]: what nothing uses; .vulture-whitelist.py
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.y*ml"))
    if workflows:
        session.run("zizmor", "--offline", "--min-severity", "low", *workflows)
        session.run("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows)


@nox.session(python=PYTHON, default=False)
def serve(session: nox.Session) -> None:
    """The guestbook at http://127.0.0.1:8000 on SQLite and local memory (no servers needed)."""
    _install(session, SERVICE / "requirements.txt", package=False)
    state = ROOT / "var" / "serve"
    state.mkdir(parents=True, exist_ok=True)
    env = {
        "DEBUG": "1",
        "NODB": "1",
        "SQLITE_PATH": str(state / "guestbook.sqlite3"),
    }
    address = session.posargs[0] if session.posargs else "127.0.0.1:8000"
    session.chdir(SERVICE)
    session.run("python", "manage.py", "migrate", "--noinput", env=env)
    session.run("python", "manage.py", "runserver", address, env=env)


@nox.session(python=PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks that print figures: `-- service`, `-- validate`, or both (default)."""
    _install(session, "tests", SERVICE / "requirements-test.txt")
    chosen = session.posargs or ["service", "validate"]
    for name in chosen:
        script = ROOT / "benchmarks" / f"{name}.py"
        if not script.is_file():
            session.error(f"no benchmark {name!r}: expected {script.relative_to(ROOT)}")
        session.run("python", str(script), env={"PYTHONUNBUFFERED": "1", **_passthrough()})


@nox.session(python=PYTHON, default=False)
def lock(session: nox.Session) -> None:
    """Re-pin requirements/*.txt, with hashes, from requirements/*.in and pyproject.toml's ranges.

    Pins that still satisfy the sources are kept; `-- --upgrade` takes the newest release of
    everything, `-- --upgrade-package NAME` of one. Only the package index is asked: this
    machine's pip configuration (extra indexes, local wheels) is ignored, so the hashes are the
    index's. Then run the tests and commit requirements/ whole.
    """
    _install(session, "lock", package=False)
    # No extra index or folder of wheels from pip.conf or the environment. Each file's header
    # keeps pip-compile's own command line: Renovate reads it to update the file.
    env = {"PIP_CONFIG_FILE": os.devnull, "PIP_FIND_LINKS": ""}
    for name, sources in COMPILED.items():
        session.run(
            "pip-compile",
            "--generate-hashes",
            "--allow-unsafe",  # pip and setuptools are pinned like everything else
            "--strip-extras",
            "--no-emit-index-url",
            "--no-emit-find-links",
            "--quiet",
            "--output-file",
            f"requirements/{name}.txt",
            *sources,
            f"requirements/{name}.in",
            *session.posargs,
            env=env,
        )


def _passthrough() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("GUESTBOOK_")}
