"""Team hours: when the team is around, and time that counts only then (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.config import ConfigError, parse_settings
from bot.domain.hours import is_around, next_around, team_time_after

from .domain import MINIMAL

THURSDAY = datetime(2026, 11, 19, tzinfo=UTC)  # a Thursday; Berlin is UTC+1 then


def guild(**table: Any) -> Any:
    data = {**MINIMAL, "guilds": [{**MINIMAL["guilds"][0], **table}]}
    return parse_settings(data, {}).guilds[0]


def test_without_hours_the_team_is_always_around() -> None:
    g = guild()
    assert is_around(g, THURSDAY) and next_around(g, THURSDAY) == THURSDAY
    assert team_time_after(g, THURSDAY, timedelta(minutes=30)) == THURSDAY + timedelta(minutes=30)


def test_hours_are_read_in_the_servers_time_zone() -> None:
    g = guild(
        timezone="Europe/Berlin", hours={"thursday": "09:00-12:00, 13:00-17:00", "monday": "10:00-11:00"}
    )
    assert is_around(g, THURSDAY.replace(hour=8, minute=30))  # 09:30 in Berlin
    assert not is_around(g, THURSDAY.replace(hour=11, minute=30))  # lunch
    assert next_around(g, THURSDAY.replace(hour=11, minute=30)) == THURSDAY.replace(hour=12)
    # After Thursday's last window, the next is Monday 10:00 Berlin.
    assert next_around(g, THURSDAY.replace(hour=17)) == datetime(2026, 11, 23, 9, tzinfo=UTC)


def test_team_time_skips_the_hours_nobody_is_around() -> None:
    g = guild(hours={"thursday": "09:00-17:00", "friday": "09:00-17:00"})
    # Opened at night: 30 minutes of team time end at 09:30.
    assert team_time_after(g, THURSDAY.replace(hour=2), timedelta(minutes=30)) == THURSDAY.replace(
        hour=9, minute=30
    )
    # Ten minutes left on Thursday, the rest on Friday morning.
    assert team_time_after(g, THURSDAY.replace(hour=16, minute=50), timedelta(minutes=90)) == datetime(
        2026, 11, 20, 10, 20, tzinfo=UTC
    )
    # Across the weekend, to next Thursday.
    assert team_time_after(g, datetime(2026, 11, 20, 16, 30, tzinfo=UTC), timedelta(hours=1)) == datetime(
        2026, 11, 26, 9, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("hours", "problem"),
    [
        ({"monday": "17:00-09:00"}, "ends before it starts"),
        ({"monday": "9-5"}, "not a time of day"),
        ({"monday": ""}, "no weekday has team hours"),
        ({"someday": "09:00-10:00"}, "not a known key"),
    ],
)
def test_hours_mistakes_name_the_key(hours: dict[str, str], problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        guild(hours=hours)
    assert problem in str(caught.value) and "guilds[0].hours" in str(caught.value)
