"""The guestbook GitOps pipeline: render, validate, diff, bump, promote, roll back."""

from collections.abc import Callable

__version__ = "0.1.0"

Say = Callable[[str], None]
"""How a long step reports progress, one line at a time (`print` by default, a list's `append`
in tests). Every function that reports progress takes it as `say=`."""
