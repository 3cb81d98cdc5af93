"""Timestamps and durations for CEL: protobuf's well-known types (imported only when needed).

cel-expr-python takes `datetime` values only for variables declared as timestamps; inside the
dynamic `self` a timestamp or duration must be a google.protobuf Timestamp or Duration message.
Only schemas with `format: date`, `date-time` or `duration` need this.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from google.protobuf import duration_pb2, timestamp_pb2

_NANOS_PER_SECOND = 10**9
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def timestamp(moment: dt.datetime) -> Any:
    """A timezone-aware datetime as a Timestamp message."""
    delta = moment - _EPOCH
    seconds = delta.days * 86400 + delta.seconds
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=delta.microseconds * 1000)


def duration(nanos: int) -> Any:
    """A number of nanoseconds as a Duration message."""
    seconds, rest = divmod(abs(nanos), _NANOS_PER_SECOND)
    sign = -1 if nanos < 0 else 1
    return duration_pb2.Duration(seconds=sign * seconds, nanos=sign * rest)
