"""Render apps/guestbook/overlays/<env> into clusters/<env>/ (one object per file, by layer).

kustomize builds each overlay (`kustomize build` or `kubectl kustomize`, whichever PATH finds first:
in a nox session, the kubectl of requirements/pipeline.txt); every environment is rendered in memory
first, and each changed environment is swapped into place whole, so a failure or a signal (SIGTERM,
SIGHUP, Ctrl-C) changes no file. clusters/<env>/ belongs to the render: any file in it that the
render does not produce (an object deleted from apps/, and as much a `.keep` or a README) is stale,
listed by --check, deleted by render and reported by validate (GB501), the three by one check. Files
directly in clusters/ are left alone but one, clusters/.rendered-by: each render that writes records
there which kustomize rendered, and when --check finds differences and another kustomize made the
committed files, it says so.

    nox -s render                      every environment
    nox -s render -- dev               only dev (several names: several environments)
    nox -s render -- --check           compare only: list the files that differ, exit 1 if any
    nox -s render -- --prune           also delete clusters/<env>/ of environments that are gone

Every folder of apps/guestbook/overlays/ is an environment and needs its environment.yaml.
Removing an environment is explicit: delete its overlay folder, then `render --prune`; without
--prune, render refuses (exit 2) while clusters/ holds a folder with no environment behind it.

Exit 0 when clusters/ is (or now is) up to date, 1 when --check finds differences, 2 when an
overlay, the facts or the layers file is wrong, an environment is unknown or gone without
--prune, or kustomize is missing. Progress and summaries go to stderr; stdout lists the files.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from gitops.errors import ConfigError, UsageError
from gitops.repo.layout import Layout, find_root

if TYPE_CHECKING:
    from gitops.render.sync import FileChange


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "envs", nargs="*", metavar="ENV", help="environments to render (default: every one)"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; list the files that differ from a fresh render and exit 1 if any",
    )
    parser.add_argument(
        "--prune",
        action="store_true",
        help="delete the folders of clusters/ that belong to no environment (a removed one)",
    )


def run(args: argparse.Namespace) -> int:
    from gitops.render import renderedby, sync
    from gitops.render.state import render_all

    if args.prune and (args.envs or args.check):
        raise UsageError("--prune goes with a render of every environment, without ENV or --check")
    layout = Layout(find_root())
    rendered = render_all(layout, args.envs or None)
    gone = sync.orphans(layout, rendered)
    if gone and not (args.prune or args.check):
        folders = ", ".join(f"clusters/{env}/" for env in gone)
        environments = layout.relative(layout.environments_dir).as_posix()
        raise ConfigError(
            f"{folders} belong(s) to no environment (no {environments}/<env>/); nothing was "
            "written. To remove the environment from the cluster state, run `nox -s render -- "
            "--prune`; to keep it, restore its facts and overlays"
        )
    recorded = renderedby.read(layout)
    changes = (
        sync.changes(layout, rendered)
        if args.check
        else sync.write(layout, rendered, prune=args.prune)
    )
    if not args.check and (now := renderedby.read(layout)) != recorded:
        print(f"recorded in clusters/{renderedby.RECORD}: rendered by {now}", file=sys.stderr)
    for change in changes:
        print(f"{change.status}: {layout.relative(change.path).as_posix()}")
    if args.check and changes:
        if rendered.kustomize is not None and (note := renderedby.note(layout, rendered.kustomize)):
            print(f"note: {note}", file=sys.stderr)
        print(
            f"{len(changes)} file(s) of clusters/ differ from a fresh render "
            f"({rendered.counts()}); run `nox -s render` (python -m gitops render) and commit "
            "the result",
            file=sys.stderr,
        )
        return 1
    if args.check:
        print(f"clusters/ is up to date ({rendered.counts()})", file=sys.stderr)
    elif changes:
        print(f"rendered ({rendered.counts()}): {_tally(changes)}", file=sys.stderr)
    else:
        print(f"rendered ({rendered.counts()}): nothing changed", file=sys.stderr)
    return 0


def _tally(changes: list[FileChange]) -> str:
    parts = []
    for status in ("added", "changed", "removed"):
        number = sum(1 for change in changes if change.status == status and not change.orphaned)
        if number:
            parts.append(f"{number} {status}")
    for env in sorted({change.env for change in changes if change.orphaned}):
        number = sum(1 for change in changes if change.env == env)
        parts.append(f"removed environment {env} ({number} files)")
    return ", ".join(parts)
