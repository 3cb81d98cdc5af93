"""Which server binaries this machine has: PostgreSQL's (on PATH or in Debian's folders), Redis."""

from __future__ import annotations

import shutil
from pathlib import Path

from gitops.errors import ToolMissing

PG_TOOLS = ("initdb", "postgres", "pg_isready", "psql", "pg_dump")


def postgres_bindir() -> Path | None:
    """The folder holding initdb and postgres: from PATH, else the newest Debian install."""
    on_path = shutil.which("initdb")
    candidates = [Path(on_path).parent] if on_path else []
    installed = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(installed, key=lambda p: _version_key(p.parent.name), reverse=True)
    for folder in candidates:
        if all((folder / tool).is_file() for tool in ("initdb", "postgres")):
            return folder
    return None


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def pg_tool(bindir: Path, tool: str) -> str:
    local = bindir / tool
    found = str(local) if local.is_file() else shutil.which(tool)
    if found is None:
        raise ToolMissing(f"PostgreSQL's {tool} is not installed; {servers_hint()}")
    return found


def missing_servers() -> list[str]:
    """Names of the missing binaries ([] when PostgreSQL and Redis can both be started)."""
    bindir = postgres_bindir()
    missing = [
        tool
        for tool in PG_TOOLS
        if bindir is None or not ((bindir / tool).is_file() or shutil.which(tool))
    ]
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    return missing


def servers_hint() -> str:
    return (
        "PostgreSQL and Redis binaries are needed: apt-get install -y postgresql redis-server "
        "(tests that need them skip without them, fail with GUESTBOOK_REQUIRE_SERVERS=1)"
    )
