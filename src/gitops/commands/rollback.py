"""Revert the last image change of an environment, on a branch.

    nox -s rollback -- prod
    nox -s rollback -- prod --open-pr

Finds the newest commit that changed the image ENV's overlay pins (a bump, a promotion or a hand
edit: the overlay's `images:` entry is compared, not only the commit message) and reverts it with
`git revert --no-edit` on a new branch `rollback/ENV/<commit>`, which stays checked out; the
result is the same as a plain `git revert` of that commit. If the revert conflicts only in the
generated clusters/, they are re-rendered; the result is checked to be rendered and valid.
"""

from __future__ import annotations

import argparse

from gitops.commands._delivery import add_publish_arguments, report
from gitops.repo.layout import Layout, find_root


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("env", metavar="ENV", help="environment, e.g. prod")
    add_publish_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from gitops.delivery.rollback import rollback

    outcome = rollback(
        Layout(find_root()),
        args.env,
        push=args.push,
        open_pr=args.open_pr,
        validate=args.validate,
    )
    report(outcome)
    return 0
