"""The image build's pieces without podman (`image.build`): podman's configuration, the command
lines, parsing what podman says, and the digest of a pushed image."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from gitops.errors import GitopsError, ToolMissing
from gitops.image import build as imagebuild

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
