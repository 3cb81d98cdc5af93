"""Every job of this repository, as a nox session. Sessions stay thin: the work is in `gitops`.

    nox                        the default run: lint, validate, tests
    nox -s validate            the gate: committed clusters/ == fresh render, then every check
    nox -s tests               every test (PostgreSQL, Redis and Chromium tests need their binaries)
    nox -s serve               the guestbook on its embedded default (SQLite, local memory)
    nox -s backup-drill        a backup restored into an empty PostgreSQL, compared row by row
    nox -s render | diff | bump | promote | rollback | image | bench

Arguments after `--` go to the command, e.g. `nox -s validate -- --format sarif`.
`nox -R -s validate` reuses the environment without reinstalling (the fast path once set up).
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
PYTHON = nox.project.python_versions(nox.project.load_toml(ROOT / "pyproject.toml"))


def _gitops(session: nox.Session, command: str) -> None:
    """`python -m gitops COMMAND ARGS`, its streams and exit code as they are.

    nox would merge the command's stderr into its stdout (breaking `--format json | jq`) and
    turn every failure into exit 1; here stdout carries only the command's output, and the
    command's own exit code (1 findings or refused, 2 usage or configuration) is nox's.
    """
    session.install("-e", ".")
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
    session.install("-e", ".")
    session.install("-r", str(SERVICE / "requirements-test.txt"))
    session.run("python", "-m", "gitops", "backup-drill", *session.posargs)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Every test: the pipeline's (tests/) and the service's (services/guestbook/tests/).

    Tests that need PostgreSQL, Redis or Chromium start them; without the binaries they skip and
    say how to install them, unless GUESTBOOK_REQUIRE_SERVERS=1 (set in CI) makes that a failure.
    """
    session.install("-e", ".[test]")
    session.install("-r", str(SERVICE / "requirements-test.txt"))
    session.run("pytest", "tests", *session.posargs)
    session.run("pytest", str(SERVICE), *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff (check, format, complexity), mypy --strict, the dead-code check (vulture), and the
    GitHub workflows with zizmor and their JSON schema."""
    session.install("-e", ".[lint]")
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
    session.install("-r", str(SERVICE / "requirements.txt"))
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
    session.install("-e", ".[test]")
    session.install("-r", str(SERVICE / "requirements-test.txt"))
    chosen = session.posargs or ["service", "validate"]
    for name in chosen:
        script = ROOT / "benchmarks" / f"{name}.py"
        if not script.is_file():
            session.error(f"no benchmark {name!r}: expected {script.relative_to(ROOT)}")
        session.run("python", str(script), env={"PYTHONUNBUFFERED": "1", **_passthrough()})


def _passthrough() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("GUESTBOOK_")}
