"""The stand-in base image (`image.base`): the apt mirror, the debootstrap and import command lines,
the CA bundle and what is trimmed, without podman or debootstrap."""

from __future__ import annotations

from pathlib import Path

from gitops.image import base as imagebase

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
