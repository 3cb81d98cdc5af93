"""Give an environment exactly the image another one runs, by digest.

    nox -s promote -- dev prod
    nox -s promote -- dev prod --open-pr

Copies the reference in SOURCE's overlay (which must be pinned by digest: prod only receives an
image that dev has run) into TARGET's overlay, re-renders and validates, and commits on a new
branch `promote/TARGET/<image>-<tag>` (prepared in a temporary worktree; your work tree and
branch stay as they are). Refused when TARGET already runs
that image.

Before writing anything it verifies, with the GitHub CLI (`gh attestation verify`), that the image
carries signed SLSA provenance from the workflow TARGET's facts name (`apps.<app>.image.builtBy`:
this repository's .github/workflows/image.yml on refs/heads/main), and refuses (exit 1) an image
that is unsigned or attested by another repository, workflow, ref or for another digest. Without
gh it says "not verified" and goes on; `--require-verified` (CI) makes that a refusal.
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
    parser.add_argument(
        "--require-verified",
        action="store_true",
        help="refuse when the image's provenance cannot be verified (gh not installed, or no "
        "builder in TARGET's facts) instead of going on with a note; CI passes it",
    )


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
        require_verified=args.require_verified,
    )
    report(outcome)
    return 0
