"""The smoke test's pieces without podman (`image.smoke`): command lines, the app's environment, and
reading /proc."""

from __future__ import annotations

import pytest

from gitops.errors import GitopsError
from gitops.image import smoke as imagesmoke

ENV = {"DATABASE_URL": "postgres://u@127.0.0.1:5/d", "PORT": "8123"}


def test_migrate_runs_as_the_manifests_uid_on_a_read_only_root() -> None:
    argv = imagesmoke.migrate_command("podman", "img", ENV)
    assert argv[:3] == ["podman", "run", "--rm"]
    for flag in (["--network", "host"], ["--tmpfs", "/tmp"], ["--user", "10001"]):
        i = argv.index(flag[0])
        assert argv[i + 1] == flag[1]
    assert "--read-only" in argv
    assert argv[-5:] == ["img", "python", "manage.py", "migrate", "--noinput"]
    assert "DATABASE_URL=postgres://u@127.0.0.1:5/d" in argv


def test_start_runs_the_image_as_it_is() -> None:
    argv = imagesmoke.start_command("podman", "img", "c1", ENV)
    assert argv[-1] == "img"  # the image's own CMD
    assert "--user" not in argv  # the image's own USER
    assert "--read-only" in argv and "--detach" in argv
    assert argv[argv.index("--name") + 1] == "c1"


def test_app_environment_is_random_per_run_and_keeps_ssl_redirect_off() -> None:
    a = imagesmoke.app_environment(database_url="d", redis_url="r", redis_password="p", port=1)
    b = imagesmoke.app_environment(database_url="d", redis_url="r", redis_password="p", port=1)
    assert a["SECRET_KEY"] != b["SECRET_KEY"]
    assert (a["REDIS_URL"], a["REDIS_PASSWORD"]) == ("r", "p")
    assert a["SECURE_SSL_REDIRECT"] == "0"
    assert a["ALLOWED_HOSTS"] == "127.0.0.1,localhost"


def test_proc_parsing() -> None:
    assert imagesmoke.parse_proc_uid("Name:\tgunicorn\nUid:\t10001\t10001\t10001\t10001\n") == 10001
    with pytest.raises(GitopsError):
        imagesmoke.parse_proc_uid("Name:\tx\n")
    argv = imagesmoke.parse_cmdline("/opt/venv/bin/python3\0/opt/venv/bin/gunicorn\0app:app\0")
    assert argv == ("/opt/venv/bin/python3", "/opt/venv/bin/gunicorn", "app:app")
    assert imagesmoke.is_gunicorn(argv)
    assert imagesmoke.is_gunicorn(("gunicorn", "x"))
    assert not imagesmoke.is_gunicorn(("/bin/sh", "-c", "gunicorn app"))


def test_image_user_must_be_numeric() -> None:
    assert imagesmoke.user_uid("10001") == 10001
    assert imagesmoke.user_uid("10001:10001") == 10001
    assert imagesmoke.user_uid("app") is None
    assert imagesmoke.user_uid("") is None
