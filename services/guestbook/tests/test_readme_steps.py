"""The README's "With PostgreSQL and Redis" steps, run as written against real servers: the page
and its static files must be served (a missing collectstatic once gave 500 on every page)."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.live import SERVICE_DIR, create_database, production_env, redis_env, request, visits

pytestmark = [pytest.mark.servers, pytest.mark.slow]

README = SERVICE_DIR / "README.md"
REPO_ROOT = SERVICE_DIR.parent.parent
MARKER = "<!-- run-with-servers:"


def readme_steps() -> list[str]:
    """The command lines of the code block right after the marker in the README."""
    text = README.read_text(encoding="utf-8")
    after = text[text.index(MARKER) :]
    block = re.search(r"```sh\n(.*?)```", after, re.DOTALL)
    assert block, "the README's run-with-servers marker is not followed by a ```sh block"
    return [line.strip() for line in block[1].splitlines() if line.strip()]


def as_run_here(line: str) -> list[str]:
    """A README line with `.venv/bin/` pointing at this test's environment (which holds
    requirements.txt already: creating a venv would need the package index)."""
    venv_bin = str(Path(sys.executable).parent) + "/"
    return [word.replace(".venv/bin/", venv_bin) for word in shlex.split(line)]


def test_the_steps_are_the_ones_this_test_runs() -> None:
    steps = readme_steps()
    assert steps[0] == "cd services/guestbook"
    assert steps[1].startswith("python3 -m venv .venv")
    assert "collectstatic --noinput" in steps[2]
    assert steps[-1].endswith("gunicorn --config gunicorn.conf.py guestbook.wsgi:application")


def test_following_the_steps_serves_the_page_and_its_static_files(
    postgres: object, redis: object, unused_port: int
) -> None:
    database_url = create_database(postgres.url, "readme_steps")  # type: ignore[attr-defined]
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        **production_env(SECURE_SSL_REDIRECT="0"),
        "DATABASE_URL": database_url,
        **redis_env(redis),
        "PORT": str(unused_port),
    }
    steps = readme_steps()
    cwd = REPO_ROOT
    for line in steps[:-1]:
        if line.startswith("cd "):
            cwd = cwd / line[3:]
            continue
        if line.startswith("python3 -m venv"):
            continue  # this environment is that venv
        done = subprocess.run(
            as_run_here(line),
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
    server = subprocess.Popen(
        as_run_here(steps[-1]),
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{unused_port}"
    try:
        page = _wait_for_page(url)
        assert page.status == 200, page.body[:500]
        assert visits(page.body) is not None  # Redis was reached, with the password
        stylesheet = re.search(r'href="(/static/[^"]+\.css)"', page.body)
        assert stylesheet, "the page links no stylesheet"
        assert request(url, path=stylesheet[1]).status == 200
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=40)


def _wait_for_page(url: str):
    deadline = time.monotonic() + 60
    while True:
        try:
            return request(url, headers={"Host": "127.0.0.1"})
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture
def unused_port() -> int:
    from gitops.localservers import free_port

    return free_port()
