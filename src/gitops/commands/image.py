"""Build the guestbook image with podman and smoke-test it against real PostgreSQL and Redis.

    nox -s image                          stand-in base (made once, then cached), build, smoke test
    nox -s image -- --skip-base           use the existing localhost/python-base:bookworm
    nox -s image -- --base-image python:3.12-slim-bookworm   where a registry is reachable
    nox -s image -- --keep                leave the smoke-test container for inspection

Steps: podman's engine configuration (/etc/containers/containers.conf: runc and ulimits that
sandboxed machines allow; written only as root and only if missing or different), the base
image, `podman build` of services/guestbook/Dockerfile tagged localhost/guestbook:<short sha>,
then the smoke test: migrate as UID 10001 on a read-only root, start the image as it is, wait
for /readyz, post a message and read it back, check that PID 1 is gunicorn running as non-root,
stop it with SIGTERM (it must exit 0). Last it prints the image's size and its digest as a
registry would report it (the manifest digest of a push to an OCI layout).

The stand-in base is Debian bookworm's python3 made with debootstrap, because no registry is
reachable on the machines this is proven on; the Dockerfile's default base stays the official
image, which CI on GitHub builds on.
"""

from __future__ import annotations

import argparse

from gitops.errors import ConfigError, GitopsError, UsageError
from gitops.repo.layout import Layout, find_root

SERVICE = ("services", "guestbook")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    base = parser.add_mutually_exclusive_group()
    base.add_argument(
        "--skip-base",
        action="store_true",
        help="use the existing localhost/python-base:bookworm; fail if it is missing",
    )
    base.add_argument(
        "--base-image",
        metavar="REF",
        help="build on REF (e.g. an official python:*-slim-bookworm image) instead of the stand-in",
    )
    base.add_argument(
        "--dockerfile-base",
        action="store_true",
        help="build on the Dockerfile's own default base image (needs a reachable registry)",
    )
    parser.add_argument("--tag", metavar="REF", help="image name (default localhost/guestbook:SHA)")
    parser.add_argument("--keep", action="store_true", help="leave the smoke-test container")
    parser.add_argument("--no-smoke", action="store_true", help="build only; skip the smoke test")


def run(args: argparse.Namespace) -> int:
    from gitops.image import base as imagebase
    from gitops.image import build as imagebuild
    from gitops.image import smoke as imagesmoke
    from gitops.system.process import require_tool, run

    layout = Layout(find_root())
    context = layout.root.joinpath(*SERVICE)
    dockerfile = context / "Dockerfile"
    if not dockerfile.is_file():
        raise ConfigError("no Dockerfile to build", path=layout.relative(dockerfile))
    podman = require_tool("podman")
    print(f"podman: {imagebuild.ensure_podman_config()}")

    if args.dockerfile_base:
        python_image = None
        print("base: the Dockerfile's default")
    elif args.base_image:
        python_image = args.base_image
        print(f"base: {python_image}")
    elif args.skip_base:
        python_image = imagebase.BASE_IMAGE
        if not imagebuild.image_exists(podman, python_image):
            raise ConfigError(f"--skip-base: {python_image} does not exist; run without it first")
        print(f"base: {python_image} (existing)")
    else:
        python_image = imagebase.ensure_base_image(podman)

    tag = args.tag or _default_tag(layout)
    print(f"build: {tag} from {layout.relative(dockerfile)}")
    run(
        imagebuild.build_command(
            podman, context=context, dockerfile=dockerfile, tag=tag, python_image=python_image
        ),
        what="podman build",
        capture=False,
    )
    facts = imagebuild.inspect_image(podman, tag)
    uid = imagesmoke.user_uid(facts.user)
    if uid is None or uid == 0:
        raise ConfigError(
            f"the image's USER is {facts.user or 'unset (root)'!r}: set a numeric non-root USER "
            "(Kubernetes' runAsNonRoot can only verify a number)",
            path=layout.relative(dockerfile),
        )

    if not args.no_smoke:
        imagesmoke.smoke_test(podman, tag, keep=args.keep)

    digest = imagebuild.registry_digest(podman, tag)
    print(f"image: {tag}")
    print(f"user: {facts.user}")
    print(f"size: {imagebuild.human_size(facts.size)} ({facts.size} bytes)")
    print(f"digest: {digest}")
    return 0


def _default_tag(layout: Layout) -> str:
    from gitops.image.build import git_short_sha

    try:
        return f"localhost/guestbook:{git_short_sha(layout.root, ['/'.join(SERVICE)])}"
    except GitopsError as exc:
        raise UsageError(f"cannot name the image after a commit ({exc}); pass --tag REF") from exc
