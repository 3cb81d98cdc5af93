"""Build the guestbook image with podman: engine configuration, the build, its size and digest.

No Docker engine runs on the machines this project is proven on; podman (with runc) does. The
functions that assemble command lines are pure, so tests check them without podman; `Podman`
runs them and turns failures into errors that say what failed and how to fix it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gitops.errors import ConfigError, GitopsError
from gitops.system.process import require_tool, run, succeeds

CONTAINERS_CONF = Path("/etc/containers/containers.conf")
# crun fails on cgroups in the sandboxes this is proven in, and podman's default ulimits are above
# what they allow; runc with these limits works there and everywhere else.
CONTAINERS_CONF_TEXT = """\
# Written by `python -m gitops image`: crun fails on cgroups in sandboxed machines, and podman's
# default ulimits exceed what they allow.
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

[engine]
runtime = "runc"
"""
# --- podman's configuration ---------------------------------------------------------------------


def config_is_sufficient(text: str) -> bool:
    """Whether containers.conf `text` already selects runc and the sandbox-safe ulimits."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False
    wanted = tomllib.loads(CONTAINERS_CONF_TEXT)
    containers = data.get("containers", {})
    engine = data.get("engine", {})
    return bool(
        engine.get("runtime") == wanted["engine"]["runtime"]
        and containers.get("default_ulimits") == wanted["containers"]["default_ulimits"]
    )


def ensure_podman_config(path: Path = CONTAINERS_CONF, *, is_root: bool | None = None) -> str:
    """Write podman's engine configuration if it is missing or different; say what was done.

    Only root may write /etc/containers; anyone else gets an explanation (podman then runs with
    its own defaults, which work on ordinary machines such as GitHub's runners). A differing file
    is kept next to the new one as `containers.conf.orig`, never lost.
    """
    is_root = os.geteuid() == 0 if is_root is None else is_root
    current = path.read_text() if path.is_file() else None
    if current is not None and config_is_sufficient(current):
        return f"{path}: already selects runc and the ulimits"
    if not is_root:
        return (
            f"{path}: not changed (not root). If podman fails on cgroups or ulimits, put this in "
            f"{path} or ~/.config/containers/containers.conf:\n{CONTAINERS_CONF_TEXT}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if current is not None:
        path.with_name(path.name + ".orig").write_text(current)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(CONTAINERS_CONF_TEXT)
    tmp.replace(path)
    kept = f" (previous file kept as {path.name}.orig)" if current is not None else ""
    return f"{path}: written: runtime runc, ulimits nofile 1024, nproc 4096{kept}"


# --- the build ----------------------------------------------------------------------------------


def git_short_sha(root: Path, paths: Sequence[str] = ()) -> str:
    """HEAD's short SHA, with `-dirty` when `paths` have uncommitted changes (the tag names a
    commit only when it is one)."""
    git = require_tool("git")
    sha = run([git, "-C", str(root), "rev-parse", "--short=7", "HEAD"], what="git").stdout.strip()
    status = run(
        [git, "-C", str(root), "status", "--porcelain", "--", *paths], what="git status"
    ).stdout
    return f"{sha}-dirty" if status.strip() else sha


def build_command(
    podman: str, *, context: Path, dockerfile: Path, tag: str, python_image: str | None
) -> list[str]:
    argv = [podman, "build", "--file", str(dockerfile), "--tag", tag]
    if python_image:
        argv += ["--build-arg", f"PYTHON_IMAGE={python_image}"]
    argv.append(str(context))
    return argv


def image_exists(podman: str, ref: str) -> bool:
    return succeeds([podman, "image", "exists", ref])


@dataclass(frozen=True)
class ImageInspection:
    """What `podman image inspect` says about an image that the report and the checks need."""

    id: str
    size: int
    user: str
    cmd: tuple[str, ...]


def parse_inspect(output: str, ref: str) -> ImageInspection:
    """The facts from `podman image inspect REF` JSON output."""
    try:
        data = json.loads(output)
        item = data[0] if isinstance(data, list) else data
        config = item.get("Config") or {}
        return ImageInspection(
            id=str(item["Id"]),
            size=int(item["Size"]),
            user=str(config.get("User") or ""),
            cmd=tuple(config.get("Cmd") or ()),
        )
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise GitopsError(f"podman image inspect {ref}: unexpected output ({exc})") from exc


def inspect_image(podman: str, ref: str) -> ImageInspection:
    out = run([podman, "image", "inspect", ref], what=f"podman image inspect {ref}").stdout
    return parse_inspect(out, ref)


def human_size(size: int) -> str:
    """`size` bytes as a podman-like figure: 1 MB = 1000 * 1000 bytes."""
    for unit, factor in (("GB", 1000**3), ("MB", 1000**2), ("kB", 1000)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size} B"


# --- the digest a registry would report ---------------------------------------------------------


def push_to_oci_layout_command(podman: str, ref: str, layout_dir: Path, tag: str) -> list[str]:
    """Push as a registry push would (gzip layers, same manifest), into an OCI layout dir."""
    return [podman, "push", "--quiet", "--compression-format=gzip", ref, f"oci:{layout_dir}:{tag}"]


def manifest_digest_from_layout(layout_dir: Path, tag: str) -> str:
    """The manifest digest of `tag` in an OCI image layout, checked against the blob itself."""
    index_path = layout_dir / "index.json"
    try:
        index = json.loads(index_path.read_text())
    except (OSError, ValueError) as exc:
        raise GitopsError(f"cannot read the OCI index: {exc}", path=index_path) from exc
    manifests = index.get("manifests") or []
    chosen = [
        m
        for m in manifests
        if (m.get("annotations") or {}).get("org.opencontainers.image.ref.name") == tag
    ] or (manifests if len(manifests) == 1 else [])
    if len(chosen) != 1:
        raise GitopsError(f"no single manifest tagged {tag!r} in the OCI index", path=index_path)
    digest = str(chosen[0].get("digest", ""))
    algorithm, _, hexdigest = digest.partition(":")
    if algorithm != "sha256" or len(hexdigest) != 64:
        raise GitopsError(f"malformed manifest digest {digest!r}", path=index_path)
    blob = layout_dir / "blobs" / "sha256" / hexdigest
    if blob.is_file() and hashlib.sha256(blob.read_bytes()).hexdigest() != hexdigest:
        raise GitopsError(f"manifest blob does not match its digest {digest}", path=blob)
    return digest


def registry_digest(podman: str, ref: str) -> str:
    """Push `ref` to a temporary OCI layout and return its manifest digest (`sha256:...`)."""
    with tempfile.TemporaryDirectory(prefix="gitops-oci-") as tmp:
        layout_dir = Path(tmp) / "layout"
        tag = "image"
        run(
            push_to_oci_layout_command(podman, ref, layout_dir, tag),
            what=f"podman push {ref} to an OCI layout",
        )
        return manifest_digest_from_layout(layout_dir, tag)


def require_root_for(action: str) -> None:
    if os.geteuid() != 0:
        raise ConfigError(
            f"{action} needs root (debootstrap creates device nodes and owned files); "
            "run as root, or pass --base-image REF with an official python image, "
            "or --skip-base with localhost/python-base:bookworm already made"
        )
