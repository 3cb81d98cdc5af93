"""The guestbook under load: gunicorn + PostgreSQL + Redis on loopback, wrk in a second process.

    python benchmarks/service.py [--duration 10] [--connections 32] [--workers N] [--threads N]

Measures GET /, GET /messages and POST /messages, and a trivial view of the same project behind
the same gunicorn configuration and middleware (`bench_settings.py`) as the ceiling. Prints a
table (req/s, p50, p90, p99, errors) and whether each target is met (on 2 cores):

- GET / at least 50% of the trivial view's req/s, with p99 under 50 ms (at 32 connections);
- POST /messages at least 500 req/s with no errors.

A measurement, not a test: it exits 0 whatever the figures, 2 when it could not run at all.
Settings are production-like (DEBUG=0, random SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, gunicorn.conf.py
as is); HTTPS redirects are off, as TLS ends at the ingress. PostgreSQL runs with fsync off (a test
server), so POST figures are an upper bound for a disk that really syncs.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from wrkload import MESSAGE_FIELD, BenchmarkCannotRun, Endpoint, Load, Result, measure

from gitops.errors import GitopsError
from gitops.localservers import (
    gunicorn_server,
    missing_servers,
    postgres_server,
    redis_server,
    servers_hint,
)

ROOT = Path(__file__).resolve().parents[1]
SERVICE = ROOT / "services" / "guestbook"
BENCHMARKS = Path(__file__).resolve().parent

SEED_MESSAGES = 200
WARMUP_SECONDS = 2
GET_HOME_SHARE = 0.5  # GET / at least this share of the trivial view's req/s
GET_HOME_P99_MS = 50.0
POST_MIN_RPS = 500.0
TARGET_CORES = 2

TRIVIAL = Endpoint("GET /bench/trivial (ceiling)", "GET", "/bench/trivial")
HOME = Endpoint("GET /", "GET", "/")
LIST = Endpoint("GET /messages", "GET", "/messages")
POST = Endpoint("POST /messages", "POST", "/messages", (200, 201))
ENDPOINTS = (TRIVIAL, HOME, LIST, POST)  # POST last: it changes what the others read


# --- the service ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Running:
    port: int
    workers: int
    threads: int


def gunicorn_defaults(service: Path, env: dict[str, str]) -> tuple[int, int]:
    """workers and threads as the service's gunicorn.conf.py sets them in this environment."""
    code = (
        "import json, runpy; ns = runpy.run_path('gunicorn.conf.py'); "
        "print(json.dumps([ns.get('workers'), ns.get('threads')]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=service,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BenchmarkCannotRun(f"cannot read gunicorn.conf.py: {result.stderr.strip()[-500:]}")
    workers, threads = json.loads(result.stdout.strip().splitlines()[-1])
    return int(workers or 1), int(threads or 1)


def manage(service: Path, env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=service,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-2000:]
        raise BenchmarkCannotRun(f"manage.py {' '.join(args)} failed:\n{output}")


@contextlib.contextmanager
def running_service(
    service: Path, workdir: Path, workers: int | None, threads: int | None
) -> Iterator[Running]:
    """PostgreSQL and Redis, migrated and with static files collected, then gunicorn."""
    static = workdir / "static"
    static.mkdir()
    with (
        postgres_server(workdir / "postgres") as pg,
        redis_server(workdir / "redis", password=secrets.token_hex(16)) as redis,
    ):
        env = {
            "DATABASE_URL": pg.url,
            "REDIS_URL": redis.url,
            "REDIS_PASSWORD": redis.password or "",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "DJANGO_SETTINGS_MODULE": "bench_settings",
            "PYTHONPATH": str(BENCHMARKS),
            "BENCH_STATIC_ROOT": str(static),
        }
        base = {"PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}", **env}
        manage(service, base, "migrate", "--noinput")
        manage(service, base, "collectstatic", "--noinput")
        default_workers, default_threads = gunicorn_defaults(service, base)
        workers, threads = workers or default_workers, threads or default_threads
        with gunicorn_server(service, env, workers=workers, threads=threads) as server:
            yield Running(server.port, workers, threads)


def request(port: int, method: str, path: str, body: str | None = None) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Host": "127.0.0.1", "Content-Type": "application/json"}
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def seed_and_check(port: int, count: int) -> None:
    """Post `count` messages through the API, then check that every endpoint answers as expected:
    a benchmark of error pages would measure nothing."""
    for number in range(count):
        body = json.dumps({MESSAGE_FIELD: f"seed message {number}"})
        status, text = request(port, "POST", POST.path, body)
        if status not in POST.ok_status:
            raise BenchmarkCannotRun(f"POST /messages answered {status}: {text[:300]}")
    for endpoint in (TRIVIAL, HOME, LIST):
        status, text = request(port, endpoint.method, endpoint.path)
        if status not in endpoint.ok_status:
            raise BenchmarkCannotRun(f"{endpoint.label} answered {status}: {text[:300]}")


# --- report -------------------------------------------------------------------------------------


def table(results: list[Result]) -> str:
    header = f"{'endpoint':<30} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}  errors"
    lines = [header, "-" * len(header)]
    for r in results:
        errors = ", ".join(f"{kind} {count}" for kind, count in r.errors) or "0"
        lines.append(
            f"{r.endpoint.label:<30} {r.rps:>8.0f} {r.p50_ms:>8.1f} {r.p90_ms:>8.1f} "
            f"{r.p99_ms:>8.1f}  {errors}"
        )
    return "\n".join(lines)


def targets(by_endpoint: dict[Endpoint, Result]) -> list[tuple[str, bool]]:
    trivial, home, post = by_endpoint[TRIVIAL], by_endpoint[HOME], by_endpoint[POST]
    share = home.rps / trivial.rps if trivial.rps else 0.0
    return [
        (
            f"GET / req/s >= {GET_HOME_SHARE:.0%} of the trivial view's: {share:.0%} "
            f"({home.rps:.0f} of {trivial.rps:.0f})",
            share >= GET_HOME_SHARE,
        ),
        (
            f"GET / p99 < {GET_HOME_P99_MS:.0f} ms: {home.p99_ms:.1f} ms",
            home.p99_ms < GET_HOME_P99_MS,
        ),
        (f"POST /messages >= {POST_MIN_RPS:.0f} req/s: {post.rps:.0f}", post.rps >= POST_MIN_RPS),
        (f"POST /messages without errors: {post.error_count} errors", post.error_count == 0),
    ]


# --- the run ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint (10)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, help="gunicorn threads (gunicorn.conf.py's)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--service", type=Path, default=SERVICE, help="the Django project")
    return parser.parse_args(argv)


def check_prerequisites(service: Path) -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchmarkCannotRun("wrk is not installed: apt-get install -y wrk")
    if missing_servers():
        raise BenchmarkCannotRun(f"missing {', '.join(missing_servers())}: {servers_hint()}")
    if not (service / "manage.py").is_file():
        raise BenchmarkCannotRun(f"{service / 'manage.py'} does not exist")
    return wrk


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load = Load(args.connections, args.wrk_threads, args.duration, WARMUP_SECONDS)
    service = args.service.resolve()
    try:
        wrk = check_prerequisites(service)
        with (
            tempfile.TemporaryDirectory(prefix="guestbook-bench-") as tmp,
            running_service(service, Path(tmp), args.workers, args.threads) as running,
        ):
            print(
                f"guestbook benchmark: {os.cpu_count()} cores, Python "
                f"{platform.python_version()}, gunicorn {running.workers} workers x "
                f"{running.threads} threads, wrk {load.threads} threads x {load.connections} "
                f"connections, {load.seconds}s per endpoint (+{load.warmup_seconds}s warm-up), "
                f"load average {os.getloadavg()[0]:.1f} at the start"
            )
            if os.cpu_count() != TARGET_CORES:
                print(f"note: the targets are for {TARGET_CORES} cores, not {os.cpu_count()}")
            seed_and_check(running.port, SEED_MESSAGES)
            base_url = f"http://127.0.0.1:{running.port}"
            results = [measure(wrk, base_url, Path(tmp), e, load) for e in ENDPOINTS]
    except (BenchmarkCannotRun, GitopsError) as exc:
        print(f"benchmark could not run: {exc}", file=sys.stderr)
        return 2
    print(table(results))
    print()
    for text, met in targets({r.endpoint: r for r in results}):
        print(f"[{'met' if met else 'NOT MET'}] {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
