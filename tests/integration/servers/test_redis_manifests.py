"""The Redis containers of apps/guestbook as they start in the cluster, run here on the
redis-server binary: the start script of base/redis.yaml and components/redis-replicas/ with the
arguments of the manifest and the password in REDIS_PASSWORD. The image's docker-entrypoint.sh is
stood in for twice: by one that only execs, as redis:7.4's does when not root (it sets the umask
first), and by one that behaves as the entrypoints of 2016 did, which added `--protected-mode no`
unless the configuration file given first set protected-mode.

The servers must require the password, a replica must sync with masterauth, protected mode must be
on (the image's build turns its default off, which Debian's binary here does not: what is checked
is that the start sets it and that nothing after it unsets it), the probes must pass with
REDISCLI_AUTH and fail without, and a missing or unquotable password must stop the start."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops.errors import GitopsError
from gitops.localservers import free_port, redis_command
from gitops.localservers.process import Daemon

pytestmark = pytest.mark.servers

REPO = Path(__file__).resolve().parents[3]
PRIMARY = REPO / "apps/guestbook/base/redis.yaml"
REPLICA = REPO / "apps/guestbook/components/redis-replicas/redis-replica.yaml"
PASSWORD = "0123456789abcdef0123456789abcdef"  # what `seal --generate password` makes: 32 hex


def container(path: Path, name: str) -> dict[str, Any]:
    (deployment,) = [
        doc
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if doc["kind"] == "Deployment" and doc["metadata"]["name"] == name
    ]
    (found,) = deployment["spec"]["template"]["spec"]["containers"]
    return found


class Started:
    def __init__(self, spec: dict[str, Any], folder: Path, daemon: Daemon, port: int) -> None:
        self.spec, self.folder, self.daemon, self.port = spec, folder, daemon, port

    def probe(self, kind: str, *, auth: bool = True) -> int:
        """The manifest's probe command, pointed at this server's port; its exit status."""
        command = list(self.spec[kind]["exec"]["command"])
        command[2] = command[2].replace("redis-cli ", f"redis-cli -p {self.port} ", 1)
        env = {"PATH": os.environ["PATH"], **({"REDISCLI_AUTH": PASSWORD} if auth else {})}
        done = subprocess.run(command, env=env, capture_output=True, timeout=10, check=False)
        return done.returncode

    def command(self, *args: str) -> str:
        return redis_command(self.port, *args, password=PASSWORD)


def _argv(spec: dict[str, Any], folder: Path, port: int, primary_port: int | None) -> list[str]:
    """The container's command and args, with what the pod has in other places put here: the
    emptyDir at /run/redis, the primary's Service, and loopback on a free port."""
    (mount,) = [m["mountPath"] for m in spec["volumeMounts"] if m["mountPath"] == "/run/redis"]
    command = [part.replace(mount, str(folder / "run")) for part in spec["command"]]
    args = [str(arg) for arg in spec["args"]]
    if primary_port is not None:
        at = args.index("--replicaof")
        assert args[at + 1 : at + 3] == ["guestbook-redis", "6379"]
        args[at + 1 : at + 3] = ["127.0.0.1", str(primary_port)]
    return [*command, *args, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder)]


ENTRYPOINTS = {
    "7.4": 'exec "$@"\n',
    # In our words, what docker-library/redis's entrypoint did from 3.2 (2016) until the default
    # moved into the build: `--protected-mode no` after the configuration file, unless it sets
    # protected-mode itself.
    "2016": """\
if [ "$1" = redis-server ] && ! { [ -f "$2" ] && grep -q '^protected-mode' "$2"; }; then
    server=$1; shift
    if [ -f "$1" ]; then
        conf=$1; shift; set -- "$server" "$conf" --protected-mode no "$@"
    else
        set -- "$server" --protected-mode no "$@"
    fi
fi
exec "$@"
""",
}


def _environment(folder: Path, password: str, entrypoint: str = "7.4") -> dict[str, str]:
    stub = folder / "bin"
    stub.mkdir(exist_ok=True)
    script = stub / "docker-entrypoint.sh"
    script.write_text("#!/bin/sh\n" + ENTRYPOINTS[entrypoint], encoding="utf-8")
    script.chmod(0o755)
    return {"PATH": f"{stub}:{os.environ['PATH']}", "REDIS_PASSWORD": password}


@contextmanager
def started(
    spec: dict[str, Any], folder: Path, primary_port: int | None = None, entrypoint: str = "7.4"
) -> Iterator[Started]:
    folder.mkdir(parents=True)
    (folder / "run").mkdir()
    port = free_port()
    daemon = Daemon("Redis", folder / "redis.log")
    daemon.spawn(
        _argv(spec, folder, port, primary_port),
        env=_environment(folder, PASSWORD, entrypoint),
        cwd=folder,
    )

    try:
        daemon.wait_ready(lambda: _answers(port), 30)
        yield Started(spec, folder, daemon, port)
    finally:
        daemon.halt(signal.SIGTERM, 15)


@pytest.fixture(autouse=True)
def _redis_cli() -> None:
    if shutil.which("redis-cli") is None:
        pytest.skip("redis-cli is not installed (Debian's redis-tools, with redis-server)")


def settings_of(port: int) -> dict[str, str]:
    """CONFIG GET * through redis-cli (with REDISCLI_AUTH, as the probes give the password)."""
    lines = subprocess.run(
        ["redis-cli", "-p", str(port), "--no-auth-warning", "config", "get", "*"],
        env={"PATH": os.environ["PATH"], "REDISCLI_AUTH": PASSWORD},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return dict(zip(lines[::2], lines[1::2], strict=True))


@pytest.mark.parametrize("entrypoint", list(ENTRYPOINTS))
def test_the_primary_and_a_replica_start_as_the_manifests_say(
    tmp_path: Path, entrypoint: str
) -> None:
    primary_spec = container(PRIMARY, "guestbook-redis")
    replica_spec = container(REPLICA, "guestbook-redis-replica")
    with (
        started(primary_spec, tmp_path / "primary", entrypoint=entrypoint) as primary,
        started(
            replica_spec, tmp_path / "replica", primary_port=primary.port, entrypoint=entrypoint
        ) as replica,
    ):
        for server in (primary, replica):
            with pytest.raises(GitopsError, match="NOAUTH"):
                redis_command(server.port, "GET", "anything")
            auth = server.folder / "run" / "auth.conf"
            assert auth.stat().st_mode & 0o777 == 0o600
            settings = settings_of(server.port)
            assert settings["protected-mode"] == "yes"
            assert settings["maxmemory-policy"] == "allkeys-lru"
            assert settings["save"] == ""
            assert PASSWORD.encode() not in Path(f"/proc/{server.daemon.pid}/cmdline").read_bytes()
            assert server.probe("livenessProbe") == 0
            assert server.probe("livenessProbe", auth=False) != 0
        assert "masterauth" not in (primary.folder / "run" / "auth.conf").read_text()
        assert "masterauth" in (replica.folder / "run" / "auth.conf").read_text()
        assert primary.probe("readinessProbe") == 0
        deadline = time.monotonic() + 15
        while replica.probe("readinessProbe") != 0:  # master_link_status:up: masterauth worked
            assert time.monotonic() < deadline, (replica.folder / "redis.log").read_text()
            time.sleep(0.2)
        assert replica.probe("readinessProbe", auth=False) != 0
        primary.command("SET", "greeting", "hello")
        deadline = time.monotonic() + 5
        while replica.command("GET", "greeting") != "hello":
            assert time.monotonic() < deadline, "the replica never received the key"
            time.sleep(0.05)


def test_the_2016_entrypoint_stand_in_turns_protected_mode_off_as_that_one_did(
    tmp_path: Path,
) -> None:
    """Without a protected-mode line in the file given first, protected mode ends up off: the
    stand-in is faithful, so the test above passing with it means something."""
    config = tmp_path / "no-protected-mode.conf"
    config.write_text(f'requirepass "{PASSWORD}"\n', encoding="utf-8")
    port = free_port()
    daemon = Daemon("Redis", tmp_path / "redis.log")
    argv = ["docker-entrypoint.sh", "redis-server", str(config)]
    argv += ["--port", str(port), "--bind", "127.0.0.1"]
    daemon.spawn(argv, env=_environment(tmp_path, "", "2016"), cwd=tmp_path)
    try:
        daemon.wait_ready(lambda: _answers(port), 30)
        assert settings_of(port)["protected-mode"] == "no"
    finally:
        daemon.halt(signal.SIGTERM, 15)


def _answers(port: int) -> bool:
    try:
        return redis_command(port, "PING", password=PASSWORD, timeout=0.5) == "PONG"
    except (OSError, GitopsError):
        return False


@pytest.mark.parametrize("password", ["", 'with"quote', "with space", "new\nline"])
@pytest.mark.parametrize("path", [PRIMARY, REPLICA], ids=["primary", "replica"])
def test_the_start_refuses_a_missing_or_unquotable_password(
    tmp_path: Path, path: Path, password: str
) -> None:
    name = "guestbook-redis" if path == PRIMARY else "guestbook-redis-replica"
    spec = container(path, name)
    (tmp_path / "run").mkdir()
    done = subprocess.run(
        _argv(spec, tmp_path, free_port(), 1 if path == REPLICA else None),
        env=_environment(tmp_path, password),
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    assert done.returncode == 1
    assert "REDIS_PASSWORD must be set" in done.stderr
    assert not (tmp_path / "run" / "auth.conf").exists()
