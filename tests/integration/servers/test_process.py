"""What every local server shares (`localservers.process`): stopped, with its whole session, when
the block that uses it raises."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops.localservers import postgres_server, redis_server

pytestmark = pytest.mark.servers


def test_servers_are_stopped_when_the_block_raises(tmp_path: Path, assert_gone) -> None:
    pids: list[int | None] = []
    with (
        pytest.raises(RuntimeError, match="boom"),
        postgres_server(tmp_path / "pg") as pg,
        redis_server(tmp_path / "redis") as redis,
    ):
        pids += [pg.pid, redis.pid]
        raise RuntimeError("boom")
    for pid in pids:
        assert_gone(pid)
