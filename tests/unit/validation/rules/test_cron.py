"""CronJob schedules and time zones as the API server reads them (`rules.cron`)."""

from __future__ import annotations

import pytest

from gitops.validation.rules.cron import schedule_problem, time_zone_problem


@pytest.mark.parametrize(
    "schedule",
    [
        "* * * * *",
        "*/5 * * * *",
        "0 0 1 jan-mar mon-fri",
        "0 0 ? * SUN",
        "5,10-20/2 3 * * 0-6",
        "@hourly",
        "@daily",
        "@midnight",
        "@every 1h30m",
        "0 12 31 12 6",
        "7/10 * * * *",
    ],
)
def test_schedules_that_parse(schedule: str) -> None:
    assert schedule_problem(schedule) is None


@pytest.mark.parametrize(
    ("schedule", "reason"),
    [
        ("* * * *", "expected exactly 5 fields"),
        ("0 0 0 * * *", "expected exactly 5 fields"),
        ("60 * * * *", "above the maximum 59"),
        ("0 24 * * *", "above the maximum 23"),
        ("0 0 0 * *", "below the minimum 1"),
        ("0 0 * 13 *", "above the maximum 12"),
        ("0 0 * * 7", "above the maximum 6"),
        ("0 0 * * funday", "not a number"),
        ("*/0 * * * *", "positive"),
        ("5-1 * * * *", "starts after it ends"),
        ("1-2-3 * * * *", "too many hyphens"),
        ("TZ=UTC 0 0 * * *", "spec.timeZone"),
        ("@fortnightly", "unknown descriptor"),
        ("@every soon", "@every needs a duration"),
        ("", "empty"),
    ],
)
def test_schedules_the_api_server_refuses(schedule: str, reason: str) -> None:
    problem = schedule_problem(schedule)
    assert problem is not None and reason in problem


def test_time_zones() -> None:
    assert time_zone_problem("Europe/Paris") is None
    assert time_zone_problem("Etc/UTC") is None
    assert "explicit" in (time_zone_problem("Local") or "")
    assert time_zone_problem("") is not None
    assert time_zone_problem("Europe/Pariss") is not None
