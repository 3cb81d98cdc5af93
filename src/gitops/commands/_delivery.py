"""What bump, promote and rollback share on the command line: options and the final report."""

from __future__ import annotations

import argparse
import sys

from gitops.delivery.branch import Outcome


def add_publish_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--push", action="store_true", help="push the new branch to origin")
    parser.add_argument(
        "--open-pr",
        action="store_true",
        help="push, then open the pull request with the GitHub CLI (gh), the diff as its body",
    )
    parser.add_argument(
        "--no-validate",
        dest="validate",
        action="store_false",
        help="skip validation before committing (the pull request's validate gate still runs)",
    )


def add_app_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--app",
        help="the app to change, when several apps pin an image in the environment",
    )


def progress(line: str) -> None:
    """Progress and notes go to stderr; stdout carries the result only."""
    print(line, file=sys.stderr)


def report(outcome: Outcome) -> None:
    """The result on stdout: what was committed where, and what to do next."""
    for note in outcome.notes:
        progress(f"note: {note}")
    print(outcome.subject)
    print(
        f"  committed {outcome.commit[:10]} on the new branch {outcome.branch} (your work tree "
        f"and branch are as they were; `git switch {outcome.branch}` to look at it)"
    )
    for path in outcome.files:
        print(f"    {path}")
    if outcome.pr_url:
        print(f"  pull request: {outcome.pr_url}")
    elif outcome.pushed:
        print(f"  pushed to origin/{outcome.branch}; open a pull request from it")
    else:
        print(
            f"  next: git push -u origin {outcome.branch} and open a pull request "
            "(or run again with --open-pr)"
        )
