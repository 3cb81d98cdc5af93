"""The command line: `python -m gitops COMMAND ...` (also installed as `gitops`).

Each command lives in `gitops.commands.<name>` with `add_arguments(parser)` and `run(args) -> int`;
it is imported only when chosen, so a quick command stays quick. Errors raised as `GitopsError`
are printed here, once, as `error: ...`, and become the exit code. SIGTERM, SIGHUP and SIGINT
unwind the command like an error does (every change in progress is put back) and exit with
128 + the signal's number.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from gitops import __version__
from gitops.errors import GitopsError
from gitops.system.signals import Interrupted, signals_raise

COMMANDS: dict[str, str] = {
    "render": "render the overlays into clusters/<env>/ (--check: only compare)",
    "validate": "validate the repository's cluster state, or the manifests at PATH...",
    "diff": "show what a change does to each cluster, object by object",
    "bump": "point an environment at a new image, on a branch, through a commit",
    "promote": "give an environment exactly the image another one runs",
    "rollback": "revert the last image change of an environment, on a branch",
    "seal": "seal a value into an environment's Secret, offline, and re-render",
    "image": "build the guestbook image with podman and smoke-test it",
    "backup-drill": "back up a database and restore it, with the rendered CronJobs' commands",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gitops", description="The guestbook GitOps pipeline (see README.md)."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, summary in COMMANDS.items():
        child = sub.add_parser(name, help=summary, description=summary)
        if name == command:
            module = importlib.import_module(f"gitops.commands.{name.replace('-', '_')}")
            if module.__doc__:
                child.description = module.__doc__.strip()
                child.formatter_class = argparse.RawDescriptionHelpFormatter
            module.add_arguments(child)
            child.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args_list if a in COMMANDS), None)
    parser = build_parser(command)
    args = parser.parse_args(args_list)
    try:
        with signals_raise():
            return int(args.run(args))
    except GitopsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except Interrupted as stop:
        print(
            f"{args.command}: stopped by {stop}; nothing it was changing was kept", file=sys.stderr
        )
        return stop.exit_code
    except KeyboardInterrupt:  # a SIGINT that arrived before the handlers were in place
        return 130
