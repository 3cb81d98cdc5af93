"""Point an environment at a new image, on a branch, through a commit.

    nox -s bump -- dev ghcr.io/example/guestbook:1.4.2
    nox -s bump -- prod ghcr.io/example/guestbook@sha256:<64 hex digits> --open-pr

IMAGE is `repo:tag`, `repo@sha256:…` or `repo:tag@sha256:…`, from the repository named in the
environment's facts (image.repository); `latest`, untagged and malformed references are refused,
and so is a reference without digest where the facts say image.requireDigest: true.
The overlay's `images:` entry is edited in place (comments and order kept), the environment is
re-rendered and the repository validated, then the overlay and the rendered files are committed
on a new branch `bump/ENV/<image>-<tag>` (prepared in a temporary worktree; your work tree and
branch stay as they are). Bumping to the image the
environment already runs changes nothing.
"""

from __future__ import annotations

import argparse

from gitops.commands._delivery import add_app_argument, add_publish_arguments, progress, report
from gitops.repo.layout import Layout, find_root


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("env", metavar="ENV", help="environment, e.g. dev")
    parser.add_argument("image", metavar="IMAGE", help="image reference, pinned by tag or digest")
    add_app_argument(parser)
    add_publish_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from gitops.delivery.bump import bump

    outcome = bump(
        Layout(find_root()),
        args.env,
        args.image,
        app=args.app,
        push=args.push,
        open_pr=args.open_pr,
        validate=args.validate,
        say=progress,
    )
    if outcome is not None:
        report(outcome)
    return 0
