"""A stand-in for the official `python:*-slim-bookworm` image, made from Debian's own packages.

Where no container registry is reachable, the Dockerfile's base cannot be pulled; debootstrap of
the same Debian release plus Debian's python3 gives an image the Dockerfile builds on unchanged
(`--build-arg PYTHON_IMAGE=localhost/python-base:bookworm`). It is for tests only: the Dockerfile's
default stays the official image, and CI on GitHub builds on that.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from gitops import Say
from gitops.errors import GitopsError
from gitops.image.build import image_exists, require_root_for
from gitops.system.process import require_tool, run

BASE_IMAGE = "localhost/python-base:bookworm"
RELEASE = "bookworm"
PACKAGES = ("python3", "python3-venv", "ca-certificates")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
APT_SOURCES = (Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# What the official image declares, so the stand-in behaves like it for the Dockerfile.
IMAGE_CHANGES = (
    "ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV=LANG=C.UTF-8",
    'CMD=["python3"]',
)


def _sources_files(places: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for place in places:
        if place.is_file():
            files.append(place)
        elif place.is_dir():
            files += sorted(p for p in place.iterdir() if p.suffix in {".list", ".sources"})
    return files


def mirrors_in(text: str, *, deb822: bool, release: str = RELEASE) -> list[str]:
    """Debian archive URIs in an apt sources file that serve `release` itself (not -security or
    -updates, which debootstrap cannot start from)."""
    found: list[str] = []
    if deb822:
        for stanza in re.split(r"\n\s*\n", text):
            fields: dict[str, str] = {}
            for line in stanza.splitlines():
                if line.lstrip().startswith("#") or ":" not in line or line[:1].isspace():
                    continue
                key, _, value = line.partition(":")
                fields[key.strip().lower()] = value.strip()
            if fields.get("enabled", "yes").lower() == "no":
                continue
            if "deb" not in fields.get("types", "").split():
                continue
            if release in fields.get("suites", "").split():
                found += fields.get("uris", "").split()
    else:
        for line in text.splitlines():
            words = re.sub(r"\[[^\]]*\]", " ", line.split("#", 1)[0]).split()
            if len(words) >= 3 and words[0] == "deb" and words[2] == release:
                found.append(words[1])
    return found


def apt_mirror(places: Iterable[Path] = APT_SOURCES, release: str = RELEASE) -> str:
    """The first mirror of `release` in this machine's apt sources, else Debian's CDN."""
    for path in _sources_files(places):
        try:
            text = path.read_text()
        except OSError:
            continue
        mirrors = mirrors_in(text, deb822=path.suffix == ".sources", release=release)
        if mirrors:
            return mirrors[0]
    return DEFAULT_MIRROR


def debootstrap_command(debootstrap: str, target: Path, mirror: str) -> list[str]:
    return [
        debootstrap,
        "--variant=minbase",
        f"--include={','.join(PACKAGES)}",
        RELEASE,
        str(target),
        mirror,
    ]


def import_command(podman: str, ref: str = BASE_IMAGE) -> list[str]:
    argv = [podman, "import"]
    for change in IMAGE_CHANGES:
        argv += ["--change", change]
    return [*argv, "-", ref]


def trim_rootfs(root: Path) -> None:
    """Drop what an image needs not carry: downloaded packages and apt lists (as the official
    images do)."""
    for pattern in ("var/cache/apt/archives/*.deb", "var/lib/apt/lists/*"):
        for path in root.glob(pattern):
            if path.is_file():
                path.unlink()


def install_ca_bundle(root: Path, bundle: Path = HOST_CA_BUNDLE) -> bool:
    """Copy the host's CA bundle in: on networks with an intercepting proxy, pip inside a build
    step verifies certificates only with it. False when the host has none."""
    if not bundle.is_file():
        return False
    target = root / "etc" / "ssl" / "certs" / "ca-certificates.crt"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(bundle, target)
    return True


def ensure_base_image(podman: str, *, ref: str = BASE_IMAGE, say: Say = print) -> str:
    """Make the stand-in base image unless it exists already (about 40 s); return its ref."""
    if image_exists(podman, ref):
        say(f"base: {ref} exists (cached; `podman rmi {ref}` to rebuild it)")
        return ref
    debootstrap = require_tool("debootstrap")
    require_root_for(f"making {ref} with debootstrap")
    mirror = apt_mirror()
    say(f"base: debootstrap {RELEASE} from {mirror} (+ {', '.join(PACKAGES)})")
    with tempfile.TemporaryDirectory(prefix="gitops-rootfs-") as tmp:
        root = Path(tmp) / "rootfs"
        run(debootstrap_command(debootstrap, root, mirror), what="debootstrap", timeout=900)
        trim_rootfs(root)
        if not install_ca_bundle(root):
            say(f"base: {HOST_CA_BUNDLE} not found; keeping Debian's CA bundle")
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        try:
            run(import_command(podman, ref), what=f"podman import {ref}", stdin=tar.stdout)
        finally:
            if tar.stdout is not None:
                tar.stdout.close()
            if tar.wait() != 0:
                raise GitopsError(f"tar of the debootstrap root failed (exit {tar.returncode})")
    say(f"base: {ref} made")
    return ref
