"""Show what a change does to each cluster, object by object.

Renders BASE (a git ref; default: the merge base of HEAD with `main`, or with `origin/main`) from
a copy of its tree, and the work tree, for every environment, and prints the objects added,
removed and changed, each change as a unified diff of its YAML. Generated headers are left out
and Secret values are never printed (a marker shows whether each changed).

    nox -s diff                              against the merge base with main
    nox -s diff -- HEAD~1 --env prod         one environment, against the previous commit
    nox -s diff -- --format markdown         the pull-request comment (CI posts it)

Exit 0, or 1 with --exit-code when anything differs.
"""

from __future__ import annotations

import argparse
import sys

from gitops.repo.layout import Layout, find_root


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("base", nargs="?", metavar="BASE", help="git ref to compare with")
    parser.add_argument(
        "--format", choices=("text", "markdown"), default="text", help="output format"
    )
    parser.add_argument(
        "--exit-code", action="store_true", help="exit 1 when any environment differs"
    )
    parser.add_argument(
        "--env", action="append", metavar="ENV", help="only this environment (repeatable)"
    )


def run(args: argparse.Namespace) -> int:
    from gitops.diff.report import format_markdown, format_text
    from gitops.diff.sides import cluster_diff

    layout = Layout(find_root())
    result = cluster_diff(layout, args.base, args.env)
    if args.format == "markdown":
        sys.stdout.write(format_markdown(result.environments, result.base_label))
    else:
        sys.stdout.write(format_text(result.environments, result.base_label))
    return 1 if args.exit_code and result.changed else 0
