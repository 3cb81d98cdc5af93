"""The roles in PostgreSQL (apps/guestbook/base/postgres-roles.sql) on a real PostgreSQL, set up as
the cluster sets them up: the PostgreSQL container's postStart hook is read out of postgres.yaml and
run as written (only the socket folder, the file's mount path and the port differ), twice, on a
database as the official image creates it, fresh or already migrated by the superuser (a database
from before the roles, which the file takes over). Each workload then connects as its manifest
says, with the ConfigMap guestbook-postgres (postgres.env) and the Secret guestbook-postgres: the
migration Job as guestbook_owner, the web pods as guestbook_web (rows only), a backup as
guestbook_backup (reads only).
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg2
import psycopg2.errors
import pytest

from tests.live import SERVICE_DIR, manage, production_env, request, unavailable

pytestmark = pytest.mark.servers

BASE = SERVICE_DIR.parent.parent / "apps" / "guestbook" / "base"
ROLES_CONFIGMAP = "guestbook-postgres-roles"
ROLES_FILE = "postgres-roles.sql"
SOCKET_DIR = "/var/run/postgresql"  # the image's; postgres.yaml mounts the volume `run` there
SERVICE = "guestbook-postgres:5432"  # the Service of postgres.yaml, as the URLs name it
SECRET_KEYS = {
    "postgres": "password",
    "guestbook_owner": "owner-password",
    "guestbook_web": "web-password",
    "guestbook_backup": "backup-password",
}
EARLIER = "written before the roles existed"


# --- the manifests --------------------------------------------------------------------------------


def read_yaml(path: Path) -> list[Any]:
    """The documents of a YAML file. PyYAML comes with the repository's package (pip install -e .),
    as gitops.localservers does: imported here, so that runs without it still collect this file."""
    try:
        import yaml
    except ImportError as exc:
        unavailable(f"PyYAML cannot be imported ({exc}): pip install -e . at the repository root")
    return list(yaml.safe_load_all(path.read_text(encoding="utf-8")))


def base_object(filename: str, kind: str, name: str) -> dict[str, Any]:
    for document in read_yaml(BASE / filename):
        if document and document["kind"] == kind and document["metadata"]["name"] == name:
            return dict(document)
    raise AssertionError(f"no {kind} {name} in apps/guestbook/base/{filename}")


def pod_spec(filename: str, kind: str, name: str) -> dict[str, Any]:
    return dict(base_object(filename, kind, name)["spec"]["template"]["spec"])


def container(spec: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [c for c in spec["containers"] if c["name"] == name]
    return dict(found)


POSTGRES_POD = ("postgres.yaml", "StatefulSet", "guestbook-postgres")
MIGRATE = ("migrate.yaml", "Job", "guestbook-migrate")
WEB = ("web.yaml", "Deployment", "guestbook-web")


def postgres_settings() -> dict[str, str]:
    """postgres.env: the ConfigMap guestbook-postgres."""
    lines = (BASE / "postgres.env").read_text(encoding="utf-8").splitlines()
    pairs = [line.split("=", 1) for line in lines if line.strip() and not line.startswith("#")]
    return {key: value for key, value in pairs}


def container_env(spec: dict[str, Any], passwords: dict[str, str]) -> dict[str, str]:
    """What a container's `env` gives it from plain values, the ConfigMap guestbook-postgres and
    the Secret guestbook-postgres (`passwords`, by key); other references are left out."""
    settings = postgres_settings()
    env: dict[str, str] = {}
    for item in spec.get("env", []):
        source = item.get("valueFrom", {})
        config = source.get("configMapKeyRef", {})
        secret = source.get("secretKeyRef", {})
        if "value" in item:
            env[item["name"]] = item["value"]
        elif config.get("name") == "guestbook-postgres":
            env[item["name"]] = settings[config["key"]]
        elif secret.get("name") == "guestbook-postgres":
            env[item["name"]] = passwords[secret["key"]]
    return env


def post_start_script() -> str:
    """The PostgreSQL container's postStart script, reading postgres-roles.sql from this folder
    instead of the ConfigMap's mount (which is checked to hold that file, read-only)."""
    spec = pod_spec(*POSTGRES_POD)
    postgres = container(spec, "postgres")
    command = postgres["lifecycle"]["postStart"]["exec"]["command"]
    assert command[:2] == ["sh", "-c"] and len(command) == 3, command
    (kustomization,) = read_yaml(BASE / "kustomization.yaml")
    generators = {g["name"]: g for g in kustomization["configMapGenerator"]}
    assert generators[ROLES_CONFIGMAP]["files"] == [ROLES_FILE]
    (volume,) = [
        v["name"] for v in spec["volumes"] if v.get("configMap", {}).get("name") == ROLES_CONFIGMAP
    ]
    mounts = {m["name"]: m for m in postgres["volumeMounts"]}
    assert mounts[volume].get("readOnly") is True
    assert mounts["run"]["mountPath"] == SOCKET_DIR
    script = str(command[2])
    roles_dir = mounts[volume]["mountPath"].rstrip("/")
    assert f"-f {roles_dir}/{ROLES_FILE}" in script
    assert f"-h {SOCKET_DIR} " in script
    return script.replace(f"{roles_dir}/", f"{BASE}/")


# --- a PostgreSQL as the pod runs it --------------------------------------------------------------


@dataclass
class Database:
    """The PostgreSQL of one scenario once its pod has started twice and the migration Job ran."""

    scenario: str  # fresh, or takeover
    server: Any  # gitops.localservers.PostgresServer
    passwords: dict[str, str]  # the Secret guestbook-postgres, by key
    old_passwords: dict[str, str] = field(default_factory=dict)
    hook_runs: list[subprocess.CompletedProcess[str]] = field(default_factory=list)
    migrate: subprocess.CompletedProcess[str] | None = None

    def tool(self, name: str) -> str:
        from gitops.localservers.binaries import pg_tool

        return pg_tool(self.server.bindir, name)

    def here(self, url: str) -> str:
        """A URL of postgres.env, pointing at this server instead of the Service."""
        parts = urlsplit(url)
        user, host = parts.netloc.split("@")
        assert host == SERVICE, url
        return parts._replace(netloc=f"{user}@127.0.0.1:{self.server.port}").geturl()

    def workload_env(self, workload: tuple[str, str, str], name: str) -> dict[str, str]:
        """The production environment, with DATABASE_URL and DATABASE_PASSWORD as the manifest
        gives them to that workload's container."""
        env = container_env(container(pod_spec(*workload), name), self.passwords)
        return production_env(
            DATABASE_URL=self.here(env["DATABASE_URL"]),
            DATABASE_PASSWORD=env["DATABASE_PASSWORD"],
        )

    def connect(self, role: str, *, password: str | None = None, dbname: str = "guestbook"):
        """A connection over TCP in autocommit mode (each statement on its own)."""
        conn = psycopg2.connect(
            host="127.0.0.1",
            port=self.server.port,
            user=role,
            password=self.passwords[SECRET_KEYS[role]] if password is None else password,
            dbname=dbname,
            connect_timeout=5,
        )
        conn.autocommit = True
        return conn

    def as_superuser(self, sql: str, *, dbname: str = "guestbook") -> str:
        """Run `sql` as postgres over the Unix socket; its rows, unaligned."""
        socket = ["-h", str(self.server.socket_dir), "-p", str(self.server.port)]
        psql = [self.tool("psql"), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", *socket]
        result = subprocess.run(
            [*psql, "-U", "postgres", "-d", dbname, "-c", sql],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def start_hook(self) -> subprocess.CompletedProcess[str]:
        """The postStart hook, with the environment postgres.yaml gives the container."""
        env = container_env(container(pod_spec(*POSTGRES_POD), "postgres"), self.passwords)
        path = os.environ.get("PATH", "/usr/bin:/bin")
        env |= {
            "PATH": f"{self.server.bindir}{os.pathsep}{path}",
            "PGPORT": str(self.server.port),
            "LANG": "C.UTF-8",
        }
        script = post_start_script()
        script = script.replace(f"-h {SOCKET_DIR} ", f"-h {self.server.socket_dir} ")
        result = subprocess.run(
            ["sh", "-c", script], env=env, capture_output=True, text=True, timeout=120, check=False
        )
        self.hook_runs.append(result)
        return result


def new_passwords() -> dict[str, str]:
    return {key: secrets.token_hex(16) for key in SECRET_KEYS.values()}


@pytest.fixture(scope="module", params=["fresh", "takeover"])
def database(request: pytest.FixtureRequest, servers_root: Path) -> Iterator[Database]:
    """PostgreSQL after the official image's first start (the superuser POSTGRES_USER with
    POSTGRES_PASSWORD, the database POSTGRES_DB), for `takeover` then migrated and written to by
    the superuser (the app before the roles). Then the pod starts twice, the second time with new
    passwords (a rotation), and the migration Job runs."""
    from gitops.localservers import postgres_server

    settings = postgres_settings()
    superuser, name = settings["POSTGRES_USER"], settings["POSTGRES_DB"]
    assert (superuser, name) == ("postgres", "guestbook"), settings
    with postgres_server(servers_root / f"roles-{request.param}", login_role=False) as server:
        db = Database(request.param, server, passwords=new_passwords())
        superuser_password = db.passwords["password"]
        db.as_superuser(
            f"ALTER ROLE {superuser} PASSWORD '{superuser_password}'", dbname="postgres"
        )
        db.as_superuser(f'CREATE DATABASE "{name}"', dbname="postgres")
        if request.param == "takeover":
            url = f"postgres://{superuser}@127.0.0.1:{server.port}/{name}"
            manage(
                "migrate",
                "--noinput",
                env=production_env(DATABASE_URL=url, DATABASE_PASSWORD=superuser_password),
            )
            db.as_superuser(
                f"INSERT INTO board_message (text, created) VALUES ('{EARLIER}', now())"
            )

        first = db.start_hook()
        assert first.returncode == 0, first.stderr
        db.old_passwords = db.passwords
        db.passwords = new_passwords()
        second = db.start_hook()
        assert second.returncode == 0, second.stderr

        db.migrate = manage("migrate", "--noinput", env=db.workload_env(MIGRATE, "migrate"))
        yield db


# --- the tests ------------------------------------------------------------------------------------


def test_every_start_sets_the_roles_again_with_the_new_passwords(database: Database) -> None:
    assert [run.returncode for run in database.hook_runs] == [0, 0]
    for role, key in SECRET_KEYS.items():
        old = database.old_passwords[key]
        with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
            database.connect(role, password=old)
        database.connect(role).close()


def test_the_roles_are_what_the_file_says_and_no_more(database: Database) -> None:
    attributes = database.as_superuser(
        "SELECT rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, "
        "rolbypassrls FROM pg_roles WHERE rolname LIKE 'guestbook%' ORDER BY rolname"
    )
    assert attributes.splitlines() == [
        f"{role}|t|f|f|f|f|f" for role in ("guestbook_backup", "guestbook_owner", "guestbook_web")
    ]
    memberships = database.as_superuser(
        "SELECT pg_get_userbyid(member) || ' in ' || pg_get_userbyid(roleid) "
        "FROM pg_auth_members WHERE pg_get_userbyid(member) LIKE 'guestbook%'"
    )
    assert memberships.splitlines() == ["guestbook_backup in pg_read_all_data"]


def test_the_owner_migrates_and_owns_the_database_and_everything_in_it(database: Database) -> None:
    assert database.migrate is not None and database.migrate.returncode == 0
    owners = database.as_superuser(
        "SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
        "UNION SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
    )
    assert owners == "guestbook_owner"
    # A later migration: the owner creates a table, and the web role may use it at once.
    with closing(database.connect("guestbook_owner")) as owner, owner.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE board_later "
            "(id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, note text)"
        )
    with closing(database.connect("guestbook_web")) as web, web.cursor() as cursor:
        cursor.execute("INSERT INTO board_later (note) VALUES ('new') RETURNING id")
        assert cursor.fetchone() == (1,)


def test_the_web_pods_post_and_list_messages(database: Database, live_site) -> None:
    env = database.workload_env(WEB, "web")
    assert env["DATABASE_URL"].startswith("postgres://guestbook_web@")
    with live_site(env, workers=1, threads=2) as site:
        ready = request(site.url, path="/readyz")  # reads django_migrations
        posted = request(site.url, "POST", "/messages", body="through guestbook_web")
        listed = request(site.url, path="/messages")
    assert ready.status == 200, ready.body
    assert posted.status == 201, posted.body
    assert listed.status == 200
    assert "through guestbook_web" in listed.body
    assert (EARLIER in listed.body) == (database.scenario == "takeover")


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE mine (id int)",
        "CREATE TEMP TABLE mine (id int)",
        "CREATE SCHEMA mine",
        "COPY (SELECT 1) TO PROGRAM 'true'",
        "DROP TABLE board_message",
        "TRUNCATE board_message",
        "ALTER TABLE board_message ADD COLUMN mine int",
    ],
)
def test_the_web_role_creates_nothing_and_runs_no_program(database: Database, statement) -> None:
    with closing(database.connect("guestbook_web")) as web, web.cursor() as cursor:  # noqa: SIM117
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cursor.execute(statement)


def test_the_web_role_creates_nothing_in_the_other_databases(database: Database) -> None:
    with (
        closing(database.connect("guestbook_web", dbname="postgres")) as web,
        web.cursor() as cursor,
    ):
        for statement in ("CREATE TEMP TABLE mine (id int)", "CREATE TABLE mine (id int)"):
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cursor.execute(statement)


def test_the_backup_role_reads_and_dumps_but_writes_nothing(database: Database) -> None:
    with closing(database.connect("guestbook_backup")) as backup, backup.cursor() as cursor:
        cursor.execute("SELECT text FROM board_message")
        assert ((EARLIER,) in cursor.fetchall()) == (database.scenario == "takeover")
        for statement in (
            "INSERT INTO board_message (text, created) VALUES ('no', now())",
            "UPDATE board_message SET text = 'no'",
            "DELETE FROM board_message",
            "CREATE TABLE mine (id int)",
        ):
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cursor.execute(statement)
    # As the backup CronJob runs it: the role in PGUSER, the password in PGPASSWORD.
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PGHOST": "127.0.0.1",
        "PGPORT": str(database.server.port),
        "PGUSER": "guestbook_backup",
        "PGPASSWORD": database.passwords["backup-password"],
        "PGDATABASE": "guestbook",
    }
    dump = subprocess.run(
        [database.tool("pg_dump"), "--no-password"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert dump.returncode == 0, dump.stderr
    assert "CREATE TABLE public.board_message" in dump.stdout
    assert "COPY public.board_message" in dump.stdout
    assert (EARLIER in dump.stdout) == (database.scenario == "takeover")
