"""Real PostgreSQL, Redis and gunicorn on loopback, for tests, the smoke test and benchmarks."""

from gitops.localservers.binaries import missing_servers, servers_hint
from gitops.localservers.gunicorn import GunicornServer, gunicorn_server
from gitops.localservers.postgres import PostgresServer, postgres_server
from gitops.localservers.process import free_port
from gitops.localservers.redis import RedisServer, redis_command, redis_server

__all__ = [
    "GunicornServer",
    "PostgresServer",
    "RedisServer",
    "free_port",
    "gunicorn_server",
    "missing_servers",
    "postgres_server",
    "redis_command",
    "redis_server",
    "servers_hint",
]
