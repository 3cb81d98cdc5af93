"""Seal one value into an environment's Secret, offline, and re-render.

    echo -n "$VALUE" | nox -s seal -- dev guestbook-django secret-key
    nox -s seal -- prod guestbook-postgres password --generate password
    nox -s seal -- dev guestbook-postgres password          # asks for it, without echo

The value comes from stdin (or, on a terminal, a prompt that does not echo it), or --generate
makes a random one: it is never an argument, so it stays out of the shell's history and the
process list, and it is never written anywhere unencrypted. It is encrypted with the environment's
committed public certificate (apps/environments/ENV/sealed-secrets.pem) for exactly that namespace
and name (strict scope), merged into apps/<app>/overlays/ENV/secrets/SECRET.yaml (other keys
untouched), listed in the overlay, and ENV re-rendered. Commit the result.

Exit 0 when sealed, 2 on a usage or configuration error (unknown environment, no certificate,
an empty value).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from gitops.errors import UsageError
from gitops.repo.layout import Layout, find_root


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("env", metavar="ENV", help="environment, e.g. dev")
    parser.add_argument("secret", metavar="SECRET", help="the Secret's name, e.g. guestbook-django")
    parser.add_argument("key", metavar="KEY", help="the key in it, e.g. secret-key")
    parser.add_argument(
        "--generate",
        metavar="KIND",
        choices=("password", "django-secret-key"),
        help="seal a new random value instead of reading one (password, django-secret-key)",
    )
    parser.add_argument("--app", help="the app whose namespace the Secret is in (if several)")


def run(args: argparse.Namespace) -> int:
    from gitops.secrets.generate import random_value
    from gitops.secrets.seal import seal

    layout = Layout(find_root())
    value = random_value(args.generate) if args.generate else _read_value()
    sealed = seal(
        layout,
        args.env,
        args.secret,
        args.key,
        value,
        app=args.app,
        say=lambda line: print(line, file=sys.stderr),
    )
    del value
    what = "created" if sealed.created else "updated"
    print(f"{what}: {layout.relative(sealed.file).as_posix()}")
    for path in sealed.rendered:
        print(f"rendered: {layout.relative(path).as_posix()}")
    print(f"sealed {args.secret}/{args.key} for {args.env}; commit the result", file=sys.stderr)
    return 0


def _read_value() -> bytes:
    """The value from stdin (a terminal gets a prompt that does not echo); one trailing newline
    of a piped value is dropped (`echo value |`), as the shell's own read would."""
    if sys.stdin.isatty():
        value = getpass.getpass("value (not echoed): ").encode()
    else:
        value = sys.stdin.buffer.read()
        if value.endswith(b"\n"):
            value = value[:-1]
    if not value:
        raise UsageError('no value on stdin: pipe it in (printf %s "$VALUE" |), or --generate')
    return value
