"""Load from a second process: wrk (Debian's package) with Lua hooks, its figures read as JSON.

wrk's own `done()` hook prints the request count, the error counts and the latency percentiles
as one `WRKJSON {...}` line, so nothing depends on the layout of its human-readable report.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

MESSAGE_FIELD = "text"  # POST /messages takes {"text": "..."}

# Latencies in microseconds; errors.status counts responses with a status of 400 and above.
LUA_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""

# Each request a new message, unique across wrk's threads (each thread has its own Lua state).
LUA_POST = r"""
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("id", threads)
end
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"FIELD": "benchmark %d-%d"}', id, counter)
  return wrk.format("POST", "PATH", {["Content-Type"] = "application/json"}, body)
end
"""


class BenchmarkCannotRun(Exception):
    """Something the benchmark needs is missing or broken; it exits 2 with this message."""


@dataclass(frozen=True)
class Endpoint:
    label: str
    method: str
    path: str
    ok_status: tuple[int, ...] = (200,)


@dataclass(frozen=True)
class Load:
    connections: int
    threads: int
    seconds: int
    warmup_seconds: int


@dataclass(frozen=True)
class Result:
    endpoint: Endpoint
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    errors: tuple[tuple[str, int], ...]  # (kind, count) for the kinds that happened

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_count(self) -> int:
        return sum(count for _, count in self.errors)


def lua_script(folder: Path, endpoint: Endpoint) -> Path:
    script = folder / f"{endpoint.method.lower()}{endpoint.path.replace('/', '_')}.lua"
    text = LUA_DONE
    if endpoint.method == "POST":
        post = LUA_POST.replace("FIELD", MESSAGE_FIELD).replace("PATH", endpoint.path)
        text = post + LUA_DONE
    script.write_text(text)
    return script


def run_wrk(
    wrk: str, url: str, script: Path, *, connections: int, threads: int, seconds: int
) -> dict:
    argv = [wrk, "--latency", "-t", str(threads), "-c", str(connections)]
    argv += ["-d", f"{seconds}s", "--timeout", "5s", "-s", str(script), url]
    result = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=seconds + 60)
    for line in result.stdout.splitlines():
        if line.startswith("WRKJSON "):
            return json.loads(line.removeprefix("WRKJSON "))
    raise BenchmarkCannotRun(f"wrk printed no result:\n{result.stdout}\n{result.stderr}")


def measure(wrk: str, base_url: str, folder: Path, endpoint: Endpoint, load: Load) -> Result:
    """A warm-up run (discarded), then the measured one."""
    script = lua_script(folder, endpoint)
    url = base_url + endpoint.path
    options = {"connections": load.connections, "threads": load.threads}
    if load.warmup_seconds:
        run_wrk(wrk, url, script, seconds=load.warmup_seconds, **options)
    raw = run_wrk(wrk, url, script, seconds=load.seconds, **options)
    kinds = ("connect", "read", "write", "status", "timeout")
    return Result(
        endpoint,
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50"] / 1000,
        p90_ms=raw["p90"] / 1000,
        p99_ms=raw["p99"] / 1000,
        errors=tuple((kind, raw[kind]) for kind in kinds if raw[kind]),
    )
