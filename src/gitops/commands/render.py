"""Render apps/guestbook/overlays/<env> into clusters/<env>/ (one object per file, by layer).

kustomize builds each overlay (a `kustomize` binary when there is one, else `kubectl kustomize`);
every environment is rendered in memory first, so a failure changes no file. clusters/<env>/
belongs to the render: any file in it that the render does not produce (an object deleted from
apps/, and as much a `.keep` or a README) is stale, listed by --check, deleted by render and
reported by validate (GB501), the three by one check. Files directly in clusters/ are left alone.

    nox -s render                      every environment
    nox -s render -- dev               only dev (several names: several environments)
    nox -s render -- --check           compare only: list the files that differ, exit 1 if any

Exit 0 when clusters/ is (or now is) up to date, 1 when --check finds differences, 2 when an
overlay, the facts or the layers file is wrong, or kustomize is missing.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

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


def run(args: argparse.Namespace) -> int:
    from gitops.render import sync
    from gitops.render.state import render_all

    layout = Layout(find_root())
    rendered = render_all(layout, args.envs or None)
    changes = sync.changes(layout, rendered)
    if not args.check:
        sync.write(layout, rendered)
    for change in changes:
        print(f"{change.status}: {layout.relative(change.path).as_posix()}")
    if args.check and changes:
        print(
            f"{len(changes)} file(s) of clusters/ differ from a fresh render "
            f"({rendered.counts()}); run `nox -s render` (python -m gitops render) and commit "
            "the result",
            file=sys.stderr,
        )
        return 1
    if args.check:
        print(f"clusters/ is up to date ({rendered.counts()})")
    elif changes:
        print(f"rendered ({rendered.counts()}): {_tally(changes)}")
    else:
        print(f"rendered ({rendered.counts()}): nothing changed")
    return 0


def _tally(changes: list[FileChange]) -> str:
    parts = []
    for status in ("added", "changed", "removed"):
        number = sum(1 for change in changes if change.status == status)
        if number:
            parts.append(f"{number} {status}")
    return ", ".join(parts)
