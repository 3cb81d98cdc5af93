"""The PostgreSQL and Redis binaries (`localservers.binaries`): found here, and what to install
without them."""

from __future__ import annotations

import pytest

from gitops.localservers import missing_servers, servers_hint

pytestmark = pytest.mark.servers


def test_missing_servers_is_empty_here_and_the_hint_says_how_to_install() -> None:
    assert missing_servers() == []
    assert "apt-get install -y postgresql redis-server" in servers_hint()
    assert "GUESTBOOK_REQUIRE_SERVERS" in servers_hint()
