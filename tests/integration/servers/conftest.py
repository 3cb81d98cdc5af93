"""Fixtures of the tests that start PostgreSQL, Redis and gunicorn: they skip without the binaries
(and fail when GUESTBOOK_REQUIRE_SERVERS=1, as in CI), and check that a stopped server leaves no
process behind."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from gitops.localservers import missing_servers, servers_hint


@pytest.fixture(autouse=True)
def _servers_installed() -> None:
    missing = missing_servers()
    if missing:
        message = f"missing {', '.join(missing)}: {servers_hint()}"
        if os.environ.get("GUESTBOOK_REQUIRE_SERVERS") == "1":
            pytest.fail(message)
        pytest.skip(message)


def _session_members(leader: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == leader:  # state ppid pgrp session
            members.append(int(entry.name))
    return members


@pytest.fixture
def session_members() -> Callable[[int], list[int]]:
    """session_members(leader): processes still alive in the session a server was started in
    (itself and its children)."""
    return _session_members


@pytest.fixture
def assert_gone() -> Callable[[int | None], None]:
    """assert_gone(pid): the server that ran as `pid` and every process of its session are gone."""

    def check(pid: int | None) -> None:
        assert pid is not None
        assert _session_members(pid) == [], f"processes of session {pid} survived the stop"
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)

    return check
