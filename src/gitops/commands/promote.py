"""Give an environment exactly the image another one runs, by digest.

    nox -s promote -- dev prod
    nox -s promote -- dev prod --open-pr

Copies the reference in SOURCE's overlay (which must be pinned by digest: prod only receives an
image that dev has run) into TARGET's overlay, re-renders and validates, and commits on a new
branch `promote/TARGET/<image>-<tag>` (prepared in a temporary worktree; your work tree and
branch stay as they are). Refused when TARGET already runs
that image.
"""

from __future__ import annotations

import argparse

from gitops.commands._delivery import add_app_argument, add_publish_arguments, report
from gitops.repo.layout import Layout, find_root


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="SOURCE", help="environment to copy from, e.g. dev")
    parser.add_argument("target", metavar="TARGET", help="environment to change, e.g. prod")
    add_app_argument(parser)
    add_publish_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from gitops.delivery.promote import promote

    outcome = promote(
        Layout(find_root()),
        args.source,
        args.target,
        app=args.app,
        push=args.push,
        open_pr=args.open_pr,
        validate=args.validate,
    )
    report(outcome)
    return 0
