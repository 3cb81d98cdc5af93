"""Render apps/guestbook/overlays/<env> into clusters/<env>/ (one object per file, by layer).

kustomize builds each overlay (a `kustomize` binary when there is one, else `kubectl kustomize`);
every environment is rendered in memory first, so a failure changes no file. Files of objects
that no longer exist are deleted.

    nox -s render                      every environment
    nox -s render -- dev               only dev (several names: several environments)
    nox -s render -- --check           compare only: list the files that differ, exit 1 if any

Exit 0 when clusters/ is (or now is) up to date, 1 when --check finds differences, 2 when an
overlay, the facts or the layers file is wrong, or kustomize is missing.
"""

from __future__ import annotations

import argparse
import sys

from gitops.layout import Layout, find_root


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
    from gitops.kustomize import find_kustomize
    from gitops.render import file_changes, render_all, render_environment, write_rendered

    layout = Layout(find_root())
    if args.envs:
        kustomize = find_kustomize()
        names = list(dict.fromkeys(args.envs))
        rendered = {env: render_environment(layout, env, kustomize) for env in names}
    else:
        rendered = render_all(layout)
    complete = not args.envs
    changes = file_changes(layout, rendered, complete=complete)
    counts = ", ".join(f"{env}: {len(files)} objects" for env, files in rendered.items())
    if not args.check:
        write_rendered(layout, rendered, complete=complete)
    for change in changes:
        print(f"{change.status}: {layout.relative(change.path).as_posix()}")
    if args.check and changes:
        print(
            f"{len(changes)} file(s) of clusters/ differ from a fresh render ({counts}); run "
            "`nox -s render` (python -m gitops render) and commit the result",
            file=sys.stderr,
        )
        return 1
    if args.check:
        print(f"clusters/ is up to date ({counts})")
    elif changes:
        print(f"rendered ({counts}): {_tally(changes)}")
    else:
        print(f"rendered ({counts}): nothing changed")
    return 0


def _tally(changes: list) -> str:
    parts = []
    for status in ("added", "changed", "removed"):
        number = sum(1 for change in changes if change.status == status)
        if number:
            parts.append(f"{number} {status}")
    return ", ".join(parts)
