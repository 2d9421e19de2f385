"""Times people type ("3d", "tomorrow 18:00", "friday"), quiet hours and weekly slots.

Pure functions: no Discord, no database. Times go in and come out timezone-aware; the
guild's zone is only used to read what people typed and to place local-time windows.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from datetime import time as TimeOfDay
from zoneinfo import ZoneInfo

import dateparser

from bot.domain.errors import InvalidInput
from bot.domain.i18n import _

# How far ahead Tend will schedule anything: further is almost always a typo.
MAX_AHEAD = timedelta(days=366)
# A time in the past by less than this (typing "18:00" at 18:00:20) counts as "now".
_GRACE = timedelta(minutes=1)
# A date without a time of day ("friday") means this time, not midnight.
DEFAULT_TIME_OF_DAY = TimeOfDay(9, 0)
# "3d", "2h", "90m", "1w": shorthand dateparser doesn't read the way people mean it.
_SHORT = re.compile(r"^\s*(?:in\s+)?(\d{1,4})\s*(m|min|mins|h|hr|hrs|d|w)\s*$", re.IGNORECASE)
_SHORT_UNITS = {"m": "minutes", "min": "minutes", "mins": "minutes", "h": "hours", "hr": "hours"}
_SHORT_UNITS |= {"hrs": "hours", "d": "days", "w": "weeks"}
_HAS_TIME = re.compile(r"\d:\d|\d\s*(am|pm)\b|\bnoon\b|\bmidnight\b|\bnow\b|\bhours?\b|\bmin", re.IGNORECASE)
EXAMPLES = _("`3d`, `2h`, `tomorrow 18:00`, `friday`, or `2026-05-01 09:30`")


def parse_when(text: str, zone: ZoneInfo, now: datetime) -> datetime:
    """When ``text`` means, read in ``zone``; UTC. Raises :class:`InvalidInput` with a kind hint."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InvalidInput(_("Please say when, for example {examples}.", examples=EXAMPLES))
    if len(cleaned) > 100:
        raise InvalidInput(
            _("That's a long time to read. Please keep it short, like {examples}.", examples=EXAMPLES)
        )
    local_now = now.astimezone(zone)
    short = _SHORT.match(cleaned)
    if short:
        amount, unit = int(short[1]), short[2].lower()
        found = now + timedelta(**{_SHORT_UNITS[unit]: amount})
    else:
        parsed = dateparser.parse(
            cleaned,
            languages=["en"],
            settings={
                "TIMEZONE": zone.key,
                "RETURN_AS_TIMEZONE_AWARE": True,
                "PREFER_DATES_FROM": "future",
                "RELATIVE_BASE": local_now.replace(tzinfo=None),
            },
        )
        if parsed is None:
            raise InvalidInput(
                _(
                    "I couldn't read “{value}” as a time. Try something like {examples} (times are in this server's time zone, {zone}).",
                    value=cleaned[:60],
                    examples=EXAMPLES,
                    zone=zone.key,
                )
            )
        found = _with_default_time(parsed, cleaned, zone)
    found = found.astimezone(UTC)
    if found < now - _GRACE:
        shown = found.astimezone(zone).strftime("%a %d %b %Y, %H:%M")
        raise InvalidInput(
            _(
                "“{value}” is {when} ({zone}), which has already passed. Please pick a time in the future.",
                value=cleaned[:60],
                when=shown,
                zone=zone.key,
            )
        )
    if found > now + MAX_AHEAD:
        raise InvalidInput(_("That's more than a year away. Please pick a time within the next year."))
    return max(found, now)


def _with_default_time(parsed: datetime, text: str, zone: ZoneInfo) -> datetime:
    local = parsed.astimezone(zone)
    if local.time() == TimeOfDay(0) and not _HAS_TIME.search(text):
        return local_at(local.date(), DEFAULT_TIME_OF_DAY, zone)
    return parsed


def local_at(day: date, at: TimeOfDay, zone: ZoneInfo) -> datetime:
    """``day`` at local time ``at`` in ``zone``, as UTC.

    In a spring-forward gap the wall time doesn't exist; the UTC round trip moves it past
    the gap (02:30 becomes 03:30). In an autumn overlap the first occurrence is used.
    """
    naive = datetime.combine(day, at)
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


def in_quiet_hours(when: datetime, zone: ZoneInfo, start: TimeOfDay, end: TimeOfDay) -> bool:
    if start == end:
        return False
    local = when.astimezone(zone).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end


def after_quiet_hours(when: datetime, zone: ZoneInfo, start: TimeOfDay, end: TimeOfDay) -> datetime:
    """``when`` if it is outside the guild's quiet hours, else the end of them (the morning); UTC.

    Quiet hours may run over midnight (22:00–08:00) or not (13:00–14:00); equal times mean none.
    """
    when = when.astimezone(UTC)
    if not in_quiet_hours(when, zone, start, end):
        return when
    local = when.astimezone(zone)
    day = local.date()
    if start > end and local.time() >= start:
        day += timedelta(days=1)  # late evening: the quiet ends tomorrow morning
    return max(local_at(day, end, zone), when)


WEEKDAY_NUMBERS = {
    name: number
    for number, name in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    )
}


def next_weekly(after: datetime, zone: ZoneInfo, weekday: str, at: TimeOfDay) -> datetime:
    """The first ``weekday`` at local ``at`` strictly after ``after``; UTC (DST-safe)."""
    local = after.astimezone(zone)
    ahead = (WEEKDAY_NUMBERS[weekday] - local.weekday()) % 7
    candidate = local_at(local.date() + timedelta(days=ahead), at, zone)
    if candidate <= after:
        candidate = local_at(local.date() + timedelta(days=ahead + 7), at, zone)
    return candidate


def next_daily(after: datetime, zone: ZoneInfo, at: TimeOfDay) -> datetime:
    """The first local ``at`` strictly after ``after``; UTC."""
    local = after.astimezone(zone)
    candidate = local_at(local.date(), at, zone)
    if candidate <= after:
        candidate = local_at(local.date() + timedelta(days=1), at, zone)
    return candidate
