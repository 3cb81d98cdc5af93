"""Prove that a backup restores: back up a database of messages and restore it into an empty one.

    nox -s backup-drill              # dev's rendered state
    nox -s backup-drill -- prod
    nox -s backup-drill -- --image localhost/guestbook:ci    # the built image (nox -s image)

Runs, on this machine, the commands the rendered backup and restore CronJobs of ENV run (read
from clusters/ENV/), against two real PostgreSQL servers on loopback and moto's S3 server: the
PostgreSQL pod's own role set-up and the migration Job on each, N messages written by the web
role, the backup CronJob's pod, then the restore CronJob's pod into the empty server. Every table
is compared row by row, and the web role must read and extend what was restored. Needs
PostgreSQL's binaries and the service's test requirements (the nox session installs them).

The containers of the guestbook image (migrate, upload, fetch, the web role's writes) run the
service's code here with this interpreter, or, with --image, in that image through podman, as
the kubelet would: its user, a read-only root, the volumes at their mount paths. The PostgreSQL
image's containers (pg_dump, pg_restore, the roles hook) run the machine's PostgreSQL tools.

Exit 0 when the restored database is identical, 1 when it is not or a step failed, 2 when
something it needs is missing (binaries, facts, rendered state).
"""

from __future__ import annotations

import argparse

from gitops.errors import UsageError
from gitops.repo.layout import Layout, find_root


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("env", metavar="ENV", nargs="?", default="dev", help="environment (dev)")
    parser.add_argument(
        "--messages", type=int, default=240, metavar="N", help="messages to back up (240)"
    )
    parser.add_argument(
        "--image", metavar="REF", help="run the guestbook image's containers in REF (podman)"
    )


def run(args: argparse.Namespace) -> int:
    from gitops.drill.scenario import drill

    if args.messages < 1:
        raise UsageError("--messages must be at least 1")
    outcome = drill(Layout(find_root()), args.env, messages=args.messages, image=args.image)
    print(f"{outcome.tables} tables compared row by row")
    print(
        f"backup drill: {outcome.backed_up} messages backed up, {outcome.restored} restored, "
        "identical"
    )
    return 0
