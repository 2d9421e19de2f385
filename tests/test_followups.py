"""Follow-up domain without Discord: reading times people type, quiet hours, weekly slots."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.errors import InvalidInput
from bot.domain.followups import after_quiet_hours, in_quiet_hours, next_daily, next_weekly, parse_when

BERLIN = ZoneInfo("Europe/Berlin")
LONDON = ZoneInfo("Europe/London")
# Tuesday 24 November 2026, 14:00 UTC = 15:00 in Berlin.
NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3d", NOW + timedelta(days=3)),
        ("2h", NOW + timedelta(hours=2)),
        ("in 90m", NOW + timedelta(minutes=90)),
        ("tomorrow 18:00", datetime(2026, 11, 25, 17, 0, tzinfo=UTC)),  # 18:00 Berlin
        ("friday", datetime(2026, 11, 27, 8, 0, tzinfo=UTC)),  # a day alone means 09:00 local
        ("2026-12-01T10:00", datetime(2026, 12, 1, 9, 0, tzinfo=UTC)),  # ISO, read in the guild's zone
        ("2026-12-01 10:00+00:00", datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),  # an explicit offset wins
        ("in 2 hours", NOW + timedelta(hours=2)),
    ],
)
def test_parse_when_reads_times_in_the_guild_zone(text: str, expected: datetime) -> None:
    assert parse_when(text, BERLIN, NOW) == expected


def test_parse_when_answers_past_and_unreadable_times_kindly() -> None:
    with pytest.raises(InvalidInput, match=r"already passed.*future"):
        parse_when("yesterday", BERLIN, NOW)
    with pytest.raises(InvalidInput, match=r"2020.*already passed"):
        parse_when("2020-01-01 10:00", BERLIN, NOW)
    with pytest.raises(InvalidInput, match=r"couldn't read “whenever”.*Europe/Berlin"):
        parse_when("whenever", BERLIN, NOW)
    with pytest.raises(InvalidInput, match="more than a year"):
        parse_when("900d", BERLIN, NOW)
    with pytest.raises(InvalidInput, match="say when"):
        parse_when("   ", BERLIN, NOW)


NIGHT = (time(22, 0), time(8, 0))


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        # Outside quiet hours: unchanged.
        (datetime(2026, 6, 10, 12, 0, tzinfo=UTC), datetime(2026, 6, 10, 12, 0, tzinfo=UTC)),
        # 23:30 BST → 08:00 BST next morning (07:00 UTC).
        (datetime(2026, 6, 10, 22, 30, tzinfo=UTC), datetime(2026, 6, 11, 7, 0, tzinfo=UTC)),
        # 03:00 BST → 08:00 BST the same morning.
        (datetime(2026, 6, 11, 2, 0, tzinfo=UTC), datetime(2026, 6, 11, 7, 0, tzinfo=UTC)),
        # Spring forward (29 March 2026, 01:00 GMT → 02:00 BST): 02:30 BST → 08:00 BST = 07:00 UTC.
        (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), datetime(2026, 3, 29, 7, 0, tzinfo=UTC)),
        # The evening before, still GMT: 23:30 GMT → 08:00 BST next day = 07:00 UTC.
        (datetime(2026, 3, 28, 23, 30, tzinfo=UTC), datetime(2026, 3, 29, 7, 0, tzinfo=UTC)),
        # Fall back (25 October 2026, 02:00 BST → 01:00 GMT): 01:30 GMT → 08:00 GMT = 08:00 UTC.
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), datetime(2026, 10, 25, 8, 0, tzinfo=UTC)),
    ],
)
def test_quiet_hours_move_member_messages_to_the_morning(when: datetime, expected: datetime) -> None:
    assert after_quiet_hours(when, LONDON, *NIGHT) == expected


def test_quiet_hours_edges_daytime_windows_and_off() -> None:
    start = datetime(2026, 6, 10, 21, 0, tzinfo=UTC)  # 22:00 BST: the first quiet minute
    assert in_quiet_hours(start, LONDON, *NIGHT)
    assert not in_quiet_hours(datetime(2026, 6, 11, 7, 0, tzinfo=UTC), LONDON, *NIGHT)  # 08:00: over
    lunch = (time(12, 0), time(13, 0))
    assert after_quiet_hours(datetime(2026, 1, 5, 12, 30, tzinfo=UTC), LONDON, *lunch) == datetime(
        2026, 1, 5, 13, 0, tzinfo=UTC
    )
    off = (time(8, 0), time(8, 0))
    late = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)
    assert after_quiet_hours(late, LONDON, *off) == late


def test_quiet_hours_ending_inside_the_spring_forward_gap_end_just_after_it() -> None:
    # Quiet until 01:30, a wall time that doesn't exist on 29 March 2026 in London.
    moved = after_quiet_hours(datetime(2026, 3, 29, 0, 30, tzinfo=UTC), LONDON, time(22, 0), time(1, 30))
    assert moved == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 02:30 BST, the first minute after the gap
    assert not in_quiet_hours(moved, LONDON, time(22, 0), time(1, 30))


def test_weekly_and_daily_slots_keep_local_time_across_dst() -> None:
    # Mondays at 09:00 London: before and after the clocks change.
    first = next_weekly(datetime(2026, 3, 24, 12, 0, tzinfo=UTC), LONDON, "monday", time(9, 0))
    assert first == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # 09:00 BST
    before = next_weekly(datetime(2026, 3, 17, 12, 0, tzinfo=UTC), LONDON, "monday", time(9, 0))
    assert before == datetime(2026, 3, 23, 9, 0, tzinfo=UTC)  # 09:00 GMT
    # Exactly at the slot: the next one, a week later.
    assert next_weekly(first, LONDON, "monday", time(9, 0)) == first + timedelta(days=7)
    assert next_daily(datetime(2026, 10, 24, 12, 0, tzinfo=UTC), LONDON, time(4, 0)) == datetime(
        2026, 10, 25, 4, 0, tzinfo=UTC
    )
