"""The scripts of the end-to-end workflow (.github/workflows/e2e.yml), run here with a stand-in
`kubectl` that records what it is asked (no cluster on this machine), and the probe against a
local HTTPS server that answers like the guestbook."""

from __future__ import annotations

import http.server
import os
import re
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs

import pytest

from gitops.image.probe import main as probe

FAKE_KUBECTL = """#!/usr/bin/env bash
# Records each call (arguments on one line) and what it reads on stdin.
printf '%s\\n' "$*" >> "$KUBECTL_LOG"
if [[ " $* " == *" -f - "* ]]; then cat >> "$KUBECTL_STDIN"; fi
if [[ " $* " == *" --dry-run=client "* ]]; then echo "kind: Secret # from: $*"; fi
exit 0
"""


@pytest.fixture
def kubectl(tmp_path: Path) -> dict[str, str]:
    """The environment that puts the recording kubectl first on PATH; its log and stdin files."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kubectl").write_text(FAKE_KUBECTL)
    (bin_dir / "kubectl").chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "KUBECTL_LOG": str(tmp_path / "kubectl.log"),
        "KUBECTL_STDIN": str(tmp_path / "kubectl.stdin"),
    }


@pytest.fixture
def key_pair(tmp_path: Path) -> tuple[str, Path]:
    """(private key PEM, certificate file) made as the runbook makes a root key."""
    key, cert = tmp_path / "tls.key", tmp_path / "tls.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-days", "1", "-nodes", "-newkey", "rsa:2048",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=sealed-secret"],
        check=True, capture_output=True,
    )  # fmt: skip
    return key.read_text(), cert


def _run(
    repo_root: Path, script: str, *args: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(repo_root / "scripts" / "e2e" / script), *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_install_root_key_loads_the_pair_and_labels_it(repo_root: Path, kubectl, key_pair) -> None:
    key, cert = key_pair
    done = _run(repo_root, "install-root-key.sh", str(cert), env={**kubectl, "ROOT_KEY": key})
    assert done.returncode == 0, done.stderr
    calls = Path(kubectl["KUBECTL_LOG"]).read_text().splitlines()
    # `create --dry-run | apply -f -` run side by side: their log lines come in either order
    (create,) = [call for call in calls[:2] if " create " in f" {call} "]
    assert create.startswith(f"-n kube-system create secret tls sealed-secrets-root --cert={cert} ")
    assert create.endswith(" --dry-run=client -o yaml")
    assert "apply -f -" in calls[:2]
    assert calls[2] == (
        "-n kube-system label secret sealed-secrets-root --overwrite "
        "sealedsecrets.bitnami.com/sealed-secrets-key=active"
    )
    body = key.split("-----")[2].strip().splitlines()[0]
    assert body not in Path(kubectl["KUBECTL_LOG"]).read_text()  # never an argument


def test_install_root_key_refuses_a_key_of_another_certificate(
    repo_root: Path, kubectl, key_pair, tmp_path: Path
) -> None:
    key, _ = key_pair
    other = tmp_path / "other"
    other.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-days", "1", "-nodes", "-newkey", "rsa:2048",
         "-keyout", str(other / "k"), "-out", str(other / "c"), "-subj", "/CN=x"],
        check=True, capture_output=True,
    )  # fmt: skip
    done = _run(
        repo_root, "install-root-key.sh", str(other / "c"), env={**kubectl, "ROOT_KEY": key}
    )
    assert done.returncode == 1
    assert "does not belong to" in done.stderr
    assert not Path(kubectl["KUBECTL_LOG"]).exists()
    empty = _run(
        repo_root, "install-root-key.sh", str(other / "c"), env={**kubectl, "ROOT_KEY": ""}
    )
    assert empty.returncode == 2


def test_follow_this_commit_rewrites_only_the_source(repo_root: Path, kubectl) -> None:
    sha = "a" * 40
    url = "https://github.com/someone/fork"
    done = _run(repo_root, "follow-this-commit.sh", "dev", url, sha, env=kubectl)
    assert done.returncode == 0, done.stderr
    calls = Path(kubectl["KUBECTL_LOG"]).read_text().splitlines()
    layers = sorted(p.name for p in (repo_root / "bootstrap/flux/dev").glob("*.yaml"))
    assert len(calls) == len(layers)
    source = Path(kubectl["KUBECTL_STDIN"]).read_text()
    assert f"  url: {url}\n" in source
    assert f"    commit: {sha}\n" in source
    assert "branch: main" not in source
    bad = _run(repo_root, "follow-this-commit.sh", "dev", url, "main", env=kubectl)
    assert (bad.returncode, "is not a full commit SHA" in bad.stderr) == (2, True)


def test_self_signed_tls_makes_a_certificate_for_the_host(repo_root: Path, kubectl) -> None:
    done = _run(repo_root, "self-signed-tls.sh", "guestbook.dev.example.com", env=kubectl)
    assert done.returncode == 0, done.stderr
    calls = Path(kubectl["KUBECTL_LOG"]).read_text().splitlines()
    assert calls[0] == "get namespace gateway"
    # `kubectl create --dry-run | kubectl apply -f -`: the two log in either order.
    create, apply = sorted(calls[1:])
    assert re.fullmatch(
        r"-n gateway create secret tls guestbook-tls --cert=\S+ --key=\S+ --dry-run=client -o yaml",
        create,
    ), create
    assert apply == "apply -f -"


# ---- the probe, over HTTPS with SNI, against a stand-in of the guestbook


class _Guestbook(http.server.BaseHTTPRequestHandler):
    messages: ClassVar[list[str]] = []
    seen: ClassVar[list[tuple[str, str]]] = []

    def do_GET(self) -> None:
        self.seen.append(("GET", self.headers["Host"]))
        items = "".join(f"<li>{m}</li>" for m in self.messages)
        page = (
            '<form method="post" action="/"><input type="hidden" name="csrfmiddlewaretoken" '
            f'value="t"><textarea name="text"></textarea></form><ul>{items}</ul>'
        ).encode()
        self.send_response(200)
        self.send_header("Set-Cookie", "csrftoken=c; Secure")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        fields = parse_qs(self.rfile.read(length).decode())
        ok = self.headers.get("Cookie") == "csrftoken=c" and fields["csrfmiddlewaretoken"] == ["t"]
        if ok:
            self.messages.append(fields["text"][0])
        self.send_response(303 if ok else 403)
        self.send_header("Location", "/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def https_guestbook(key_pair, tmp_path: Path) -> Iterator[tuple[int, list[str]]]:
    """A stand-in guestbook on 127.0.0.1 over TLS; yields (port, the SNI names it was asked)."""
    key, cert = key_pair
    (tmp_path / "server.key").write_text(key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, tmp_path / "server.key")
    names: list[str] = []
    context.sni_callback = lambda sock, name, ctx: names.append(name or "")
    server = http.server.HTTPServer(("127.0.0.1", 0), _Guestbook)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], names
    finally:
        server.shutdown()


def test_probe_posts_through_https_with_the_hosts_name(https_guestbook, capsys) -> None:
    port, names = https_guestbook
    code = probe(["https://guestbook.test", "--connect", f"127.0.0.1:{port}", "--insecure",
                  "--message", "through the gateway"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert "guestbook.test" in names
    assert _Guestbook.messages[-1] == "through the gateway"
    assert {host for _, host in _Guestbook.seen} == {"guestbook.test"}


def test_probe_checks_the_certificate_unless_told_not_to(https_guestbook, capsys) -> None:
    port, _ = https_guestbook
    code = probe(["https://guestbook.test", "--connect", f"127.0.0.1:{port}"])
    assert code == 1
    assert "CERTIFICATE_VERIFY_FAILED" in capsys.readouterr().err
