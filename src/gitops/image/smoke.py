"""Smoke-test a built guestbook image as a cluster would run it: read-only root, non-root user,
real PostgreSQL and Redis (requiring a password, as in the cluster); migrate, serve, reach Redis,
write and read a message, stop on SIGTERM.

The servers are started from their binaries by `gitops.localservers` on loopback ports; the
containers share the host's network (`--network host`) to reach them.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gitops import Say
from gitops.errors import GitopsError
from gitops.image.probe import Site, http_request, post_and_read_back
from gitops.localservers import free_port
from gitops.system.process import run

RUN_AS = "10001"  # the UID the manifests run the image as (runAsUser)
READY_TIMEOUT = 90.0
STOP_TIMEOUT = 30  # seconds podman waits after SIGTERM before SIGKILL
# /tmp inside the container, a tmpfs: the only writable place on the read-only root.
CONTAINER_FLAGS = ("--network", "host", "--read-only", "--tmpfs", "/tmp")  # noqa: S108


@dataclass(frozen=True)
class SmokeReport:
    container: str
    port: int
    uid: int
    pid1: tuple[str, ...]
    message: str
    stop_seconds: float
    exit_code: int


# --- command lines (pure) -----------------------------------------------------------------------


def env_flags(env: Mapping[str, str]) -> list[str]:
    flags: list[str] = []
    for key in sorted(env):
        flags += ["-e", f"{key}={env[key]}"]
    return flags


def migrate_command(podman: str, image: str, env: Mapping[str, str]) -> list[str]:
    return [
        podman,
        "run",
        "--rm",
        *CONTAINER_FLAGS,
        "--user",
        RUN_AS,
        *env_flags(env),
        image,
        "python",
        "manage.py",
        "migrate",
        "--noinput",
    ]


def start_command(podman: str, image: str, name: str, env: Mapping[str, str]) -> list[str]:
    """Start the image with its own USER and CMD: what the smoke test checks is the image's."""
    return [podman, "run", "--detach", "--name", name, *CONTAINER_FLAGS, *env_flags(env), image]


def app_environment(
    *, database_url: str, redis_url: str, redis_password: str, port: int
) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "REDIS_PASSWORD": redis_password,
        "PORT": str(port),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "DEBUG": "0",
    }


# --- parsing (pure) -----------------------------------------------------------------------------


def parse_proc_uid(status: str) -> int:
    """The real UID from /proc/PID/status."""
    for line in status.splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise GitopsError("no Uid: line in /proc/1/status")


def parse_cmdline(raw: str) -> tuple[str, ...]:
    return tuple(part for part in raw.split("\0") if part)


def is_gunicorn(argv: Sequence[str]) -> bool:
    """gunicorn as PID 1, directly or as `python .../gunicorn`: it gets SIGTERM itself."""
    return any(Path(part).name.startswith("gunicorn") for part in argv[:2])


def user_uid(user: str) -> int | None:
    """The numeric UID of an image's USER (`10001` or `10001:10001`); None if it is a name.
    Kubernetes' runAsNonRoot can only verify a numeric USER."""
    uid = user.split(":", 1)[0]
    return int(uid) if uid.isdigit() else None


# --- the container's life -----------------------------------------------------------------------


def _container_state(podman: str, name: str, field: str) -> str:
    return run(
        [podman, "inspect", "--format", "{{." + field + "}}", name], what="podman inspect"
    ).stdout.strip()


def _logs(podman: str, name: str) -> str:
    result = run([podman, "logs", "--tail", "40", name], what="podman logs", check=False)
    return (result.stdout + result.stderr).strip()


def wait_ready(podman: str, name: str, port: int, timeout: float = READY_TIMEOUT) -> float:
    started = time.monotonic()
    last = "no answer"
    while time.monotonic() - started < timeout:
        if _container_state(podman, name, "State.Running") != "true":
            raise GitopsError(f"the container exited before it was ready:\n{_logs(podman, name)}")
        try:
            resp = http_request(port, "GET", "/readyz", timeout=3)
            if resp.status == 200:
                return time.monotonic() - started
            last = f"{resp.status} {resp.body[:200]}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.5)
    raise GitopsError(f"/readyz not ready after {timeout:.0f}s ({last}):\n{_logs(podman, name)}")


def readyz_redis(port: int) -> str:
    """What /readyz says of Redis: "ok", "unavailable (...)" or "not configured"."""
    resp = http_request(port, "GET", "/readyz", timeout=3)
    try:
        return str(json.loads(resp.body)["redis"])
    except (ValueError, KeyError, TypeError):
        return f"no answer ({resp.status} {resp.body[:200]})"


@contextlib.contextmanager
def _servers(say: Say) -> Iterator[tuple[str, str, str]]:
    try:
        from gitops.localservers import postgres_server, redis_server
    except ImportError as exc:
        raise GitopsError(f"gitops.localservers is not available ({exc})") from exc
    with tempfile.TemporaryDirectory(prefix="gitops-smoke-") as tmp:
        root = Path(tmp)
        (root / "postgres").mkdir()
        (root / "redis").mkdir()
        password = secrets.token_hex(16)
        with (
            postgres_server(root / "postgres") as pg,
            redis_server(root / "redis", password=password) as redis,
        ):
            say("smoke: PostgreSQL and Redis (with a password) started on loopback")
            yield pg.url, redis.url, password


def smoke_test(podman: str, image: str, *, keep: bool = False, say: Say = print) -> SmokeReport:
    name = f"guestbook-smoke-{secrets.token_hex(4)}"
    port = free_port()
    with _servers(say) as (database_url, redis_url, redis_password):
        env = app_environment(
            database_url=database_url,
            redis_url=redis_url,
            redis_password=redis_password,
            port=port,
        )
        run(migrate_command(podman, image, env), what="migrate in the image", timeout=300)
        say(f"smoke: migrate ran as UID {RUN_AS} on a read-only root")
        run(start_command(podman, image, name, env), what="podman run")
        try:
            ready = wait_ready(podman, name, port)
            say(f"smoke: /readyz answered 200 after {ready:.1f}s on port {port}")
            redis = readyz_redis(port)
            if redis != "ok":
                raise GitopsError(f"/readyz says Redis is {redis}: the image did not reach it")
            say("smoke: /readyz reports Redis ok, reached with its password")
            message = f"smoke test {secrets.token_hex(6)}"
            post_and_read_back(Site.local(port), message)
            say(f"smoke: posted {message!r} and read it back")
            status = run([podman, "exec", name, "cat", "/proc/1/status"], what="podman exec").stdout
            uid = parse_proc_uid(status)
            if uid == 0:
                raise GitopsError("the image's process runs as root (UID 0); set a numeric USER")
            pid1 = parse_cmdline(
                run([podman, "exec", name, "cat", "/proc/1/cmdline"], what="podman exec").stdout
            )
            if not is_gunicorn(pid1):
                raise GitopsError(
                    f"PID 1 is {' '.join(pid1)!r}, not gunicorn: SIGTERM would not reach it "
                    "(use the exec form of CMD, or `exec gunicorn` in the entry script)"
                )
            say(f"smoke: PID 1 is gunicorn, running as UID {uid}")
            started = time.monotonic()
            run(
                [podman, "stop", "--time", str(STOP_TIMEOUT), name],
                what="podman stop",
                timeout=STOP_TIMEOUT + 30,
            )
            stop_seconds = time.monotonic() - started
            exit_code = int(_container_state(podman, name, "State.ExitCode"))
            if exit_code != 0:
                raise GitopsError(
                    f"after SIGTERM the container exited with {exit_code} in {stop_seconds:.1f}s "
                    f"(137 means podman had to kill it):\n{_logs(podman, name)}"
                )
            say(f"smoke: SIGTERM -> exited 0 in {stop_seconds:.1f}s")
        finally:
            if keep:
                say(f"smoke: container {name} kept (podman rm -f {name})")
            else:
                run([podman, "rm", "--force", name], what="podman rm", check=False)
    return SmokeReport(name, port, uid, pid1, message, stop_seconds, exit_code)
