"""Move an environment back to the image it ran before the current one, on a new branch.

    nox -s rollback -- prod
    nox -s rollback -- prod --to ghcr.io/example/guestbook:1.4.1@sha256:<digest>
    nox -s rollback -- prod --to 3f2a1b9c   (the image prod's overlay named at that commit)

The history is what git records of ENV's overlay `images:` entry along HEAD's first-parent line:
every change to a new image (a bump, a promotion, a hand edit) adds one, and every move back to the
image before it (this command, a `git revert` of the bump, a hand edit) takes one off. rollback
takes one off: it never re-applies the image it rolls back from, so a second rollback goes one
step further back, and refuses when there is none; `--to` chooses the image explicitly. It prints
`ENV: CURRENT → PREVIOUS (reverts COMMIT)`, then edits the overlay, re-renders and validates in a
temporary worktree and commits on a new branch `rollback/ENV/<commit>`; for a bump that was the
last change of the overlay, the result has the same bytes as `git revert` of it.

Unlike `kubectl rollout undo` and `helm rollback` without a revision, which go to the previous
revision (so a second undo re-applies the image the first one removed), rollback here walks back.
"""

from __future__ import annotations

import argparse

from gitops.commands._delivery import add_app_argument, add_publish_arguments, progress, report
from gitops.repo.layout import Layout, find_root


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("env", metavar="ENV", help="environment, e.g. prod")
    parser.add_argument(
        "--to",
        metavar="IMAGE|COMMIT",
        help="roll back to this image, or to the image ENV ran at this commit",
    )
    add_app_argument(parser)
    add_publish_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from gitops.delivery.rollback import rollback

    outcome = rollback(
        Layout(find_root()),
        args.env,
        to=args.to,
        app=args.app,
        push=args.push,
        open_pr=args.open_pr,
        validate=args.validate,
        say=progress,
    )
    report(outcome)
    return 0
