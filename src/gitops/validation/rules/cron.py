"""CronJob schedules, parsed the way the API server does (robfig/cron v3 `ParseStandard`).

Five fields (minute hour day-of-month month day-of-week) or a descriptor (@hourly, @daily,
@midnight, @weekly, @monthly, @yearly, @annually, @every <duration>). Each field is a comma list of
`*`/`?`, `N`, `N-M`, with an optional `/step`; months and weekdays also take names (jan, mon).
Day-of-week runs 0-6 (7 is refused). `TZ=`/`CRON_TZ=` prefixes are refused since the API server
requires `spec.timeZone` instead.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from gitops.validation.model import Context, Issue, Manifest
from gitops.validation.registry import rule

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_DAYS = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
_FIELDS: tuple[tuple[str, int, int, dict[str, int] | None], ...] = (
    ("minute", 0, 59, None),
    ("hour", 0, 23, None),
    ("day of month", 1, 31, None),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 6, _DAYS),
)
_DESCRIPTORS = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)
_DURATION = re.compile(r"(?:[0-9]*\.?[0-9]+(?:ns|us|µs|ms|s|m|h))+|0")
_TZ_COMPONENT = re.compile(r"[A-Za-z.\-_0-9+]{1,14}")
EXAMPLE = "e.g. '*/15 * * * *' or '@daily'"


def _number(text: str, names: dict[str, int] | None) -> int:
    if names is not None and text.lower() in names:
        return names[text.lower()]
    if not text.isdigit():
        raise ValueError(f"{text!r} is not a number" + (" or a name" if names else ""))
    return int(text)


def _check_field(expr: str, label: str, low: int, high: int, names: dict[str, int] | None) -> None:
    """Each comma-separated part of one field parses and stays in [low, high], as robfig/cron's
    getRange does (the parser the CronJob controller uses)."""
    for part in expr.split(","):
        start, end = _part_range(part, low, high, names)
        if start < low:
            raise ValueError(f"{label} {start} is below the minimum {low}")
        if end > high:
            raise ValueError(f"{label} {end} is above the maximum {high}")
        if start > end:
            raise ValueError(f"{label} range {part!r} starts after it ends")


def _part_range(part: str, low: int, high: int, names: dict[str, int] | None) -> tuple[int, int]:
    """(start, end) of one part: `*`, `N`, `N-M`, each with an optional `/step`."""
    range_step = part.split("/")
    if len(range_step) > 2:
        raise ValueError(f"too many slashes in {part!r}")
    bounds = range_step[0].split("-")
    if bounds[0] in {"*", "?"}:
        start, end = low, high
    else:
        if len(bounds) > 2:
            raise ValueError(f"too many hyphens in {part!r}")
        start = _number(bounds[0], names)
        end = _number(bounds[1], names) if len(bounds) == 2 else start
    if len(range_step) == 2:
        if _number(range_step[1], None) == 0:
            raise ValueError(f"step in {part!r} must be a positive number")
        if len(bounds) == 1 and bounds[0] not in {"*", "?"}:
            end = high
    return start, end


def _descriptor_problem(schedule: str) -> str | None:
    if schedule in _DESCRIPTORS:
        return None
    if schedule.startswith("@every "):
        if _DURATION.fullmatch(schedule[len("@every ") :].strip()):
            return None
        return f"{schedule!r}: @every needs a duration like 1h30m or 90s"
    return f"unknown descriptor {schedule!r}; use @hourly, @daily, @weekly, @monthly, @yearly"


@functools.lru_cache(maxsize=256)
def schedule_problem(schedule: str) -> str | None:
    """Why the API server refuses `schedule`, or None when it parses."""
    if not schedule.strip():
        return f"the schedule is empty; {EXAMPLE}"
    if "TZ" in schedule:
        return "TZ= / CRON_TZ= in the schedule is refused; remove it and set spec.timeZone instead"
    if schedule.startswith("@"):
        return _descriptor_problem(schedule)
    fields = schedule.split()
    if len(fields) != 5:
        return (
            f"expected exactly 5 fields (minute hour day-of-month month day-of-week), found "
            f"{len(fields)}; {EXAMPLE}"
        )
    for expr, (label, low, high, names) in zip(fields, _FIELDS, strict=True):
        try:
            _check_field(expr, label, low, high, names)
        except ValueError as exc:
            return f"{exc} (field {label!r}: {expr!r}); {EXAMPLE}"
    return None


@functools.lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


@functools.lru_cache(maxsize=256)
def time_zone_problem(zone: str) -> str | None:
    if not zone:
        return "must not be empty: remove it to use the controller's time zone, or name one"
    if zone.lower() == "local":
        return "must be an explicit IANA time zone such as Europe/Paris or Etc/UTC"
    parts = zone.split("/")
    if any(not _TZ_COMPONENT.fullmatch(p) or p in {".", ".."} or p[0] == "-" for p in parts):
        return "is not a valid IANA time zone name"
    zones = _zones()
    if zones and zone not in zones:
        return "is not a known IANA time zone (e.g. Europe/Paris, America/New_York, Etc/UTC)"
    return None


@rule(
    "GB216",
    "invalid-cron-schedule",
    severity="error",
    scope="object",
    summary="A CronJob schedule or timeZone that the API server refuses.",
    remediation="Write 5 cron fields or an @descriptor; put the time zone in spec.timeZone.",
    kinds=["CronJob"],
)
def check_cron_schedule(manifest: Manifest, ctx: Context) -> Iterator[Issue]:
    schedule = manifest.get(("spec", "schedule"))
    if isinstance(schedule, str):
        problem = schedule_problem(schedule)
        if problem:
            yield Issue(manifest, ("spec", "schedule"), f"schedule {schedule!r}: {problem}")
    zone = manifest.get(("spec", "timeZone"))
    if isinstance(zone, str):
        problem = time_zone_problem(zone)
        if problem:
            yield Issue(manifest, ("spec", "timeZone"), f"timeZone {zone!r} {problem}")
