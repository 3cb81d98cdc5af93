"""The backup drill: back up a database full of messages and restore it into an empty server,
with the commands the rendered CronJobs run, against real PostgreSQL and a real S3 API.

1. Two PostgreSQL servers start on loopback (the source and an empty target) and moto's S3
   server with the environment's bucket. Each server gets the roles the PostgreSQL pod gives
   itself on start (its postStart hook, run as the pod's container would).
2. The source is migrated by the migration Job's command, and N messages are written through
   the service's own code with the web pods' environment (as the web role).
3. The backup CronJob's pod runs: `dump` (pg_dump as the backup role), then `upload`.
4. The target is migrated as a new cluster's would be, then the restore CronJob's pod runs:
   `fetch` (the newest backup), then `restore` (pg_restore as the owner role).
5. Every table of both databases is read in primary-key order and compared byte for byte; the
   web role must read the restored messages and add one more (its rights and the sequences came
   back too).
"""

from __future__ import annotations

import secrets
import sys
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gitops import Say
from gitops.drill.pods import Cluster, Image, Pod
from gitops.errors import ConfigError, GitopsError
from gitops.localservers import postgres_server
from gitops.localservers.binaries import pg_tool, postgres_bindir
from gitops.localservers.postgres import PostgresServer
from gitops.localservers.s3 import s3_server
from gitops.repo.environments import AppFacts, load_environment
from gitops.repo.layout import Layout
from gitops.system.process import require_tool, run

APP = "guestbook"
SERVICE_PORT = 5432
POSTGRES_SERVICE = "guestbook-postgres"
MESSAGES = 240
# Written by the web role through the service's own code (board.store.add_message), as a POST
# would: every kind of text a message may hold, up to the 1,000-character limit.
SEED = """
import os
import sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guestbook.settings")
django.setup()
from board.store import add_message
count = int(sys.argv[1])
kinds = ["plain", "quotes ' \\" and \\\\ backslashes", "tabs\\tand\\nnewlines", "ünïcödé ✓ 🎉",
         "x" * 1000, "-- not SQL; DROP TABLE board_message;", "   padded   "]
for number in range(count):
    add_message(f"{number}: {kinds[number % len(kinds)]}"[:1000])
"""
COUNT = """
import os
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guestbook.settings")
django.setup()
from board.models import Message
print(Message.objects.count())
"""


class DrillFailed(GitopsError):
    """The restored database is not the one that was backed up."""


@dataclass(frozen=True)
class Outcome:
    backed_up: int
    restored: int
    tables: int


def drill(
    layout: Layout,
    env_name: str,
    *,
    messages: int = MESSAGES,
    image: str | None = None,
    say: Say = print,
) -> Outcome:
    """Back up and restore with ENV's rendered CronJobs; `image` runs the guestbook image's
    containers in that image (podman) instead of with the service's code here."""
    environment = load_environment(layout, env_name)
    facts = environment.apps.get(APP)
    if facts is None or facts.backup is None:
        raise ConfigError(
            f"{env_name}: apps.{APP}.backup is not in the facts; nothing says where backups go",
            path=layout.relative(environment.facts_file),
        )
    objects = _rendered(layout, env_name, facts.namespace)
    bindir = postgres_bindir()
    if bindir is None:
        raise ConfigError("PostgreSQL's binaries were not found: the drill needs a real server")
    with tempfile.TemporaryDirectory(prefix="gitops-drill-") as folder:
        scratch = Path(folder)
        with (
            s3_server(scratch / "s3") as s3,
            postgres_server(scratch / "source", login_role=False) as source,
            postgres_server(scratch / "target", login_role=False) as target,
        ):
            cluster = Cluster(
                objects=objects,
                secrets=_secret_values(objects),
                images=_images(layout.root / "services" / APP, facts, bindir, image),
                urls={facts.backup.endpoint: s3.endpoint},
            )
            _create_bucket(s3.endpoint, facts.backup.bucket)
            return _run(cluster, source, target, scratch, messages=messages, say=say)


def _run(
    cluster: Cluster,
    source: PostgresServer,
    target: PostgresServer,
    scratch: Path,
    *,
    messages: int,
    say: Say,
) -> Outcome:
    say(f"source database (port {source.port}): roles, migrations, {messages} messages")
    _prepare(cluster, source, scratch, say)
    _service(cluster, source, scratch, ["python3", "-c", SEED, str(messages)], say)
    backed_up = _count(source)
    say("backup CronJob")
    _cronjob(cluster, source, "backup", scratch, say)
    say(f"target database (port {target.port}): roles, migrations, then the restore CronJob")
    _prepare(cluster, target, scratch, say)
    _cronjob(cluster, target, "restore", scratch, say)
    restored = _count(target)
    tables = _compare(source, target)
    say(f"the web role reads {restored} restored messages and adds one")
    _service(cluster, target, scratch, ["python3", "-c", SEED, "1"], say)
    seen = _service(cluster, target, scratch, ["python3", "-c", COUNT], say)
    if seen.strip() != str(restored + 1):
        raise DrillFailed(f"the web role sees {seen.strip()} messages, expected {restored + 1}")
    return Outcome(backed_up=backed_up, restored=restored, tables=tables)


def _rendered(layout: Layout, env_name: str, namespace: str) -> list[dict[str, Any]]:
    folder = layout.clusters_dir / env_name
    if not folder.is_dir():
        raise ConfigError(f"{layout.relative(folder)}: not rendered; run `nox -s render` first")
    objects = []
    for path in sorted(folder.rglob("*.yaml")):
        for obj in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(obj, dict) and obj.get("metadata", {}).get("namespace") == namespace:
                objects.append(obj)
    return objects


def _secret_values(objects: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """A fresh random value for every key of every sealed Secret (their real values cannot be
    read here, and need not be: only their use must be the same)."""
    values: dict[str, dict[str, str]] = {}
    for obj in objects:
        if obj.get("kind") == "SealedSecret":
            keys = obj["spec"].get("encryptedData") or {}
            values[obj["metadata"]["name"]] = {key: secrets.token_hex(16) for key in keys}
    return values


def _images(service: Path, facts: AppFacts, bindir: Path, built: str | None) -> Any:
    """How each image of the pods runs here (gitops.drill.pods.Image), by its reference."""
    interpreter = Path(sys.executable).parent
    repository = facts.image.repository if facts.image else APP
    podman = require_tool("podman") if built else None

    def image(reference: str) -> Image:
        if reference.startswith(repository):
            if podman is not None and built is not None:
                return Image(workdir=Path(tempfile.gettempdir()), podman=(podman, built))
            if not (service / "manage.py").is_file():
                raise ConfigError(f"{service}: the service's code is not there")
            return Image(workdir=service, path=(interpreter,))
        if "/postgres:" in reference or reference.startswith("postgres:"):
            return Image(workdir=Path(tempfile.gettempdir()), path=(bindir,))
        raise ConfigError(f"the drill does not know how to run image {reference}")

    return image


def _create_bucket(endpoint: str, bucket: str) -> None:
    """CreateBucket, a plain PUT (moto's server takes it unsigned)."""
    url = f"{endpoint}/{bucket}"  # http://127.0.0.1:PORT, from s3_server
    request = urllib.request.Request(url, method="PUT")  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        if answer.status != 200:
            raise GitopsError(f"creating bucket {bucket} on {endpoint}: HTTP {answer.status}")


def _at(cluster: Cluster, server: PostgresServer) -> Cluster:
    cluster.services = {POSTGRES_SERVICE: (SERVICE_PORT, server.port)}
    return cluster


def _prepare(cluster: Cluster, server: PostgresServer, scratch: Path, say: Say) -> None:
    """What a new cluster does before data arrives: PostgreSQL's postStart hook (the roles),
    then the migration Job."""
    _at(cluster, server)
    statefulset = cluster.find("StatefulSet", "postgres")
    _first_start(cluster, server)
    pod = Pod(cluster, statefulset["spec"]["template"]["spec"], scratch)
    container = statefulset["spec"]["template"]["spec"]["containers"][0]
    hook = (container.get("lifecycle") or {}).get("postStart", {}).get("exec", {})
    if not hook.get("command"):
        raise ConfigError("the PostgreSQL container has no postStart hook: who creates the roles?")
    for mount in container.get("volumeMounts") or []:
        if mount["mountPath"] == "/var/run/postgresql":
            pod.mount(mount["name"], server.socket_dir)
    pod.run(container, hook["command"], say, {"PGPORT": str(server.port)})
    job = cluster.find("Job", "migrate")
    Pod(cluster, job["spec"]["template"]["spec"], scratch).run_all(say)


def _first_start(cluster: Cluster, server: PostgresServer) -> None:
    """What the PostgreSQL image's entrypoint does on an empty volume, besides initdb (the
    server here was made with the superuser `postgres` only): create POSTGRES_DB."""
    settings = cluster.config_map(_config_map_of(cluster.find("StatefulSet", "postgres")))
    if settings.get("POSTGRES_USER") != server.superuser:
        raise ConfigError(f"POSTGRES_USER is {settings.get('POSTGRES_USER')!r}, expected postgres")
    name = settings["POSTGRES_DB"].replace('"', '""')
    _psql(server, f'CREATE DATABASE "{name}"', database="postgres")
    server.database = settings["POSTGRES_DB"]


def _config_map_of(statefulset: dict[str, Any]) -> str:
    """The ConfigMap the PostgreSQL container reads POSTGRES_DB from."""
    for item in statefulset["spec"]["template"]["spec"]["containers"][0].get("env") or []:
        if item["name"] == "POSTGRES_DB":
            return str(item["valueFrom"]["configMapKeyRef"]["name"])
    raise ConfigError("the PostgreSQL container does not read POSTGRES_DB from a ConfigMap")


def _cronjob(
    cluster: Cluster, server: PostgresServer, component: str, scratch: Path, say: Say
) -> None:
    _at(cluster, server)
    cronjob = cluster.find("CronJob", component)
    spec = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    Pod(cluster, spec, scratch).run_all(say)


def _service(
    cluster: Cluster, server: PostgresServer, scratch: Path, argv: list[str], say: Say
) -> str:
    """`argv` in the web pods' container, with their environment (the web role), without Redis
    (nothing serves it here; the service then caches in its own memory)."""
    _at(cluster, server)
    deployment = cluster.find("Deployment", "web")
    pod = Pod(cluster, deployment["spec"]["template"]["spec"], scratch)
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return pod.run(container, argv, say, {"REDIS_URL": "", "REDIS_REPLICA_URLS": ""})


def _psql(server: PostgresServer, sql: str, database: str | None = None) -> str:
    """`sql` as the superuser over the server's socket; its output, unaligned."""
    argv = [pg_tool(server.bindir, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
    argv += ["-h", str(server.socket_dir), "-p", str(server.port), "-U", server.superuser]
    argv += ["-d", database or server.database, "-c", sql]
    return run(argv, what="psql", timeout=120).stdout


def _count(server: PostgresServer) -> int:
    return int(_psql(server, "SELECT count(*) FROM board_message").strip())


def _compare(source: PostgresServer, target: PostgresServer) -> int:
    """Every table of schema public, row by row; the number of tables. DrillFailed on a
    difference."""
    listing = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
    tables = _psql(source, listing).split()
    if _psql(target, listing).split() != tables:
        raise DrillFailed(f"the restored tables differ: {tables} backed up")
    for table in tables:
        name = '"' + table.replace('"', '""') + '"'  # quoted as an identifier
        query = f"COPY (SELECT * FROM public.{name} ORDER BY 1) TO STDOUT"  # noqa: S608
        before, after = _psql(source, query), _psql(target, query)
        if before != after:
            raise DrillFailed(f"table {table}: {_first_difference(before, after)}")
    return len(tables)


def _first_difference(before: str, after: str) -> str:
    old, new = before.splitlines(), after.splitlines()
    for number, (a, b) in enumerate(zip(old, new, strict=False), start=1):
        if a != b:
            return f"row {number} was {a[:80]!r}, restored as {b[:80]!r}"
    return f"{len(old)} rows backed up, {len(new)} restored"
