"""Signals a command must survive: SIGTERM (a cancelled CI job, `timeout`), SIGHUP (a closed
terminal) and SIGINT (Ctrl-C) all unwind the stack like Ctrl-C does, so that every `finally` and
`with` block puts back what it changed; and the few steps that must not be cut in two (swapping
a rendered folder into place) hold them until they are done.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

HANDLED = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


class Interrupted(BaseException):
    """A signal asked the command to stop; `exit_code` is the shell's 128 + signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.exit_code = 128 + signum


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


@contextmanager
def signals_raise() -> Iterator[None]:
    """Within the block, SIGTERM, SIGHUP and SIGINT raise `Interrupted`; the handlers that were
    there before come back after it. Only the main thread can do this; elsewhere it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.signal(number, _raise) for number in HANDLED}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGTERM, SIGHUP and SIGINT until the block is done; one that arrived meanwhile is
    delivered (and acted on) right after it."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
