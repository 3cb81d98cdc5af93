"""The image build's pieces without podman: command lines, parsing, configuration, digests."""

from __future__ import annotations

import hashlib
import json
import subprocess
import threading
from pathlib import Path
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from gitops import cli
from gitops.errors import GitopsError, ToolMissing
from gitops.image import base as imagebase
from gitops.image import build as imagebuild
from gitops.image import probe as imageprobe
from gitops.image import smoke as imagesmoke

# --- podman's configuration ---------------------------------------------------------------------


def test_missing_config_is_written_as_root(tmp_path: Path) -> None:
    conf = tmp_path / "containers" / "containers.conf"
    said = imagebuild.ensure_podman_config(conf, is_root=True)
    assert "written" in said
    assert imagebuild.config_is_sufficient(conf.read_text())
    assert 'runtime = "runc"' in conf.read_text()


def test_sufficient_config_is_left_alone(tmp_path: Path) -> None:
    conf = tmp_path / "containers.conf"
    text = (
        "# mine\n[containers]\n"
        'default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n'
        'log_size_max = 1000\n[engine]\nruntime = "runc"\n'
    )
    conf.write_text(text)
    said = imagebuild.ensure_podman_config(conf, is_root=True)
    assert "already" in said
    assert conf.read_text() == text
    assert not conf.with_name("containers.conf.orig").exists()


def test_different_config_is_replaced_and_kept_aside(tmp_path: Path) -> None:
    conf = tmp_path / "containers.conf"
    conf.write_text('[engine]\nruntime = "crun"\n')
    said = imagebuild.ensure_podman_config(conf, is_root=True)
    assert "containers.conf.orig" in said
    assert conf.with_name("containers.conf.orig").read_text() == '[engine]\nruntime = "crun"\n'
    assert imagebuild.config_is_sufficient(conf.read_text())


def test_without_root_nothing_is_written_and_the_fix_is_explained(tmp_path: Path) -> None:
    conf = tmp_path / "containers.conf"
    said = imagebuild.ensure_podman_config(conf, is_root=False)
    assert not conf.exists()
    assert "not root" in said
    assert 'runtime = "runc"' in said


def test_broken_toml_is_not_sufficient() -> None:
    assert not imagebuild.config_is_sufficient("[engine\nruntime=")


# --- the base image -----------------------------------------------------------------------------

DEB822 = """\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main
"""


def test_mirror_comes_from_deb822_sources() -> None:
    assert imagebase.mirrors_in(DEB822, deb822=True) == ["http://mirror.example/debian"]


def test_mirror_comes_from_one_line_sources() -> None:
    text = (
        "# deb http://commented.example/debian bookworm main\n"
        "deb-src http://src.example/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bookworm main\n"
        "deb http://sec.example/debian-security bookworm-security main\n"
    )
    assert imagebase.mirrors_in(text, deb822=False) == ["http://one.example/debian"]


def test_disabled_stanzas_and_other_files_are_ignored(tmp_path: Path) -> None:
    d = tmp_path / "sources.list.d"
    d.mkdir()
    (d / "google.list.disabled").write_text("deb http://no.example/debian bookworm main\n")
    (d / "off.sources").write_text(DEB822.replace("Types: deb\n#", "Types: deb\nEnabled: no\n#", 1))
    assert imagebase.apt_mirror([tmp_path / "missing.list", d]) == imagebase.DEFAULT_MIRROR
    (d / "debian.sources").write_text(DEB822)
    assert imagebase.apt_mirror([d]) == "http://mirror.example/debian"


def test_debootstrap_and_import_commands() -> None:
    argv = imagebase.debootstrap_command("/usr/sbin/debootstrap", Path("/t/root"), "http://m/d")
    assert argv == [
        "/usr/sbin/debootstrap",
        "--variant=minbase",
        "--include=python3,python3-venv,ca-certificates",
        "bookworm",
        "/t/root",
        "http://m/d",
    ]
    imp = imagebase.import_command("podman")
    assert imp[:2] == ["podman", "import"]
    assert imp[-2:] == ["-", "localhost/python-base:bookworm"]
    assert "ENV=LANG=C.UTF-8" in imp


def test_host_ca_bundle_replaces_debians(tmp_path: Path) -> None:
    bundle = tmp_path / "host.crt"
    bundle.write_text("HOST CA\n")
    root = tmp_path / "root"
    (root / "etc/ssl/certs").mkdir(parents=True)
    (root / "etc/ssl/certs/ca-certificates.crt").write_text("DEBIAN CA\n")
    assert imagebase.install_ca_bundle(root, bundle)
    assert (root / "etc/ssl/certs/ca-certificates.crt").read_text() == "HOST CA\n"
    assert not imagebase.install_ca_bundle(root, tmp_path / "none.crt")


def test_trim_drops_downloaded_packages_and_lists(tmp_path: Path) -> None:
    (tmp_path / "var/cache/apt/archives").mkdir(parents=True)
    (tmp_path / "var/lib/apt/lists").mkdir(parents=True)
    (tmp_path / "var/cache/apt/archives/python3.deb").write_text("x")
    (tmp_path / "var/lib/apt/lists/deb.debian.org_Packages").write_text("x")
    (tmp_path / "var/lib/apt/lists/lock").write_text("")
    imagebase.trim_rootfs(tmp_path)
    assert not list((tmp_path / "var/cache/apt/archives").iterdir())
    assert not list((tmp_path / "var/lib/apt/lists").iterdir())


# --- the build ----------------------------------------------------------------------------------


def test_build_command_passes_the_base_as_build_arg() -> None:
    argv = imagebuild.build_command(
        "podman",
        context=Path("/r/services/guestbook"),
        dockerfile=Path("/r/services/guestbook/Dockerfile"),
        tag="localhost/guestbook:abc1234",
        python_image="localhost/python-base:bookworm",
    )
    assert argv == [
        "podman",
        "build",
        "--file",
        "/r/services/guestbook/Dockerfile",
        "--tag",
        "localhost/guestbook:abc1234",
        "--build-arg",
        "PYTHON_IMAGE=localhost/python-base:bookworm",
        "/r/services/guestbook",
    ]


def test_build_command_without_base_keeps_the_dockerfiles_default() -> None:
    argv = imagebuild.build_command(
        "podman", context=Path("c"), dockerfile=Path("c/Dockerfile"), tag="t", python_image=None
    )
    assert not any(a.startswith("PYTHON_IMAGE") for a in argv)


@pytest.mark.git
def test_tag_is_the_short_sha_and_says_dirty(tmp_path: Path) -> None:
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@e", *args],
            capture_output=True,
            text=True,
            check=True,
            env={**env, "PATH": "/usr/bin:/bin"},
        ).stdout

    git("init", "-q")
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile").write_text("FROM x\n")
    git("add", ".")
    git("commit", "-qm", "one")
    sha = git("rev-parse", "--short=7", "HEAD").strip()
    assert imagebuild.git_short_sha(tmp_path, ["svc"]) == sha
    (tmp_path / "svc" / "Dockerfile").write_text("FROM y\n")
    assert imagebuild.git_short_sha(tmp_path, ["svc"]) == f"{sha}-dirty"


def test_inspect_output_is_parsed() -> None:
    out = json.dumps(
        [{"Id": "abc", "Size": 123456789, "Config": {"User": "10001", "Cmd": ["gunicorn"]}}]
    )
    facts = imagebuild.parse_inspect(out, "img")
    assert (facts.id, facts.size, facts.user, facts.cmd) == (
        "abc",
        123456789,
        "10001",
        ("gunicorn",),
    )
    with pytest.raises(GitopsError, match="unexpected output"):
        imagebuild.parse_inspect("[]", "img")


def test_sizes_read_like_podmans() -> None:
    assert imagebuild.human_size(176_000_000) == "176.0 MB"
    assert imagebuild.human_size(1_500_000_000) == "1.5 GB"
    assert imagebuild.human_size(999) == "999 B"


def test_missing_tool_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(ToolMissing, match="apt-get install -y podman"):
        imagebuild.require_tool("podman")
    with pytest.raises(ToolMissing, match="apt-get install -y debootstrap"):
        imagebuild.require_tool("debootstrap")


def test_image_command_without_podman_exits_2_with_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "apps/guestbook/overlays").mkdir(parents=True)
    (tmp_path / "services/guestbook").mkdir(parents=True)
    (tmp_path / "services/guestbook/Dockerfile").write_text("FROM scratch\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", "")
    assert cli.main(["image"]) == 2
    err = capsys.readouterr().err
    assert "podman is not installed" in err
    assert "apt-get install" in err


def test_image_command_without_dockerfile_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "apps/guestbook/overlays").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["image"]) == 2
    assert "services/guestbook/Dockerfile: no Dockerfile to build" in capsys.readouterr().err


# --- the digest ---------------------------------------------------------------------------------


def _layout(tmp_path: Path, manifest: bytes, tag: str = "image", tamper: bool = False) -> Path:
    digest = hashlib.sha256(manifest).hexdigest()
    blobs = tmp_path / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    (blobs / digest).write_bytes(manifest + (b" " if tamper else b""))
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": f"sha256:{digest}",
                "size": len(manifest),
                "annotations": {"org.opencontainers.image.ref.name": tag},
            }
        ],
    }
    (tmp_path / "index.json").write_text(json.dumps(index))
    return tmp_path


def test_digest_is_the_manifest_digest_of_the_tag(tmp_path: Path) -> None:
    manifest = b'{"schemaVersion":2}'
    layout = _layout(tmp_path, manifest)
    expected = "sha256:" + hashlib.sha256(manifest).hexdigest()
    assert imagebuild.manifest_digest_from_layout(layout, "image") == expected


def test_digest_of_a_tampered_blob_is_refused(tmp_path: Path) -> None:
    layout = _layout(tmp_path, b"{}", tamper=True)
    with pytest.raises(GitopsError, match="does not match"):
        imagebuild.manifest_digest_from_layout(layout, "image")


def test_digest_of_a_missing_index_or_tag_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(GitopsError, match="cannot read the OCI index"):
        imagebuild.manifest_digest_from_layout(tmp_path, "image")
    layout = _layout(tmp_path, b"{}", tag="other")
    index = json.loads((layout / "index.json").read_text())
    index["manifests"].append(dict(index["manifests"][0]))
    (layout / "index.json").write_text(json.dumps(index))
    with pytest.raises(GitopsError, match="no single manifest tagged 'image'"):
        imagebuild.manifest_digest_from_layout(layout, "image")


def test_push_goes_to_an_oci_layout_with_gzip_like_a_registry_push() -> None:
    argv = imagebuild.push_to_oci_layout_command("podman", "localhost/g:1", Path("/t/l"), "image")
    assert argv == [
        "podman",
        "push",
        "--quiet",
        "--compression-format=gzip",
        "localhost/g:1",
        "oci:/t/l:image",
    ]


# --- the smoke test's pieces --------------------------------------------------------------------

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
    a = imagesmoke.app_environment(database_url="d", redis_url="r", port=1)
    b = imagesmoke.app_environment(database_url="d", redis_url="r", port=1)
    assert a["SECRET_KEY"] != b["SECRET_KEY"]
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


def test_the_message_form_is_found() -> None:
    html = (
        '<form method="get" action="/search"><input name="q"></form>'
        '<form method="POST" action="/sign/"><input type="hidden" name="csrfmiddlewaretoken" '
        'value="tok"><textarea name="text"></textarea><button>Sign</button></form>'
    )
    form = imageprobe.find_post_form(html)
    assert form.action == "/sign/"
    assert form.text_field == "text"
    assert form.fields["csrfmiddlewaretoken"] == "tok"
    with pytest.raises(GitopsError, match="no POST form"):
        imageprobe.find_post_form("<p>nothing</p>")


def test_cookies_include_secure_ones() -> None:
    headers = [("Set-Cookie", "csrftoken=abc; Secure; SameSite=Lax"), ("X", "y")]
    assert imageprobe.cookies_from(headers) == {"csrftoken": "abc"}


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _guestbook_double(store: list[str]):
    """A WSGI app that behaves like the guestbook's form: CSRF cookie + hidden field."""

    def app(environ, start_response):
        if environ["REQUEST_METHOD"] == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            data = parse_qs(environ["wsgi.input"].read(size).decode())
            if "csrftoken=abc" not in environ.get("HTTP_COOKIE", "") or data.get(
                "csrfmiddlewaretoken"
            ) != ["tok"]:
                start_response("403 Forbidden", [])
                return [b"CSRF verification failed"]
            store.append(data["message"][0])
            start_response("302 Found", [("Location", "/")])
            return [b""]
        page = (
            "<form method='post'><input type='hidden' name='csrfmiddlewaretoken' value='tok'>"
            "<input type='text' name='message'></form>" + "".join(f"<li>{m}</li>" for m in store)
        )
        start_response("200 OK", [("Set-Cookie", "csrftoken=abc; Secure; Path=/")])
        return [page.encode()]

    return app


def test_post_and_read_back_against_a_form_with_csrf() -> None:
    store: list[str] = []
    server = make_server("127.0.0.1", 0, _guestbook_double(store), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        imageprobe.post_and_read_back(server.server_port, "hello from the smoke test")
        assert store == ["hello from the smoke test"]
    finally:
        server.shutdown()


def test_post_that_does_not_show_up_fails() -> None:
    def app(environ, start_response):
        start_response("200 OK", [])
        return [b"<form method='post'><input name='message'></form>"]

    server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(GitopsError, match="is not on the page"):
            imageprobe.post_and_read_back(server.server_port, "lost message")
    finally:
        server.shutdown()
