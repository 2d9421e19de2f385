"""Team hours: when the moderators are usually around, and time that counts only then.

Pure functions over a guild's ``[guilds.hours]`` (None: the team counts as always around).
Windows are local times in the guild's zone; results are UTC. Used for the honest "when to
expect a reply" members read outside hours, and to time nudges and on-call escalation in
team time (a case opened on Saturday night isn't "two hours late" by Sunday morning).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as TimeOfDay
from zoneinfo import ZoneInfo

from bot.domain.config import GuildConfig, TeamHours

# How far ahead to look for the team's next window before giving up (a config always has one a week).
_LOOKAHEAD_DAYS = 8


def local_at(day: date, at: TimeOfDay, zone: ZoneInfo) -> datetime:
    """``day`` at local ``at`` as UTC (as ``followups.timing.local_at``; kept here so case
    services can use team hours without importing the follow-up package)."""
    return datetime.combine(day, at).replace(tzinfo=zone, fold=0).astimezone(UTC)


def windows(hours: TeamHours, zone: ZoneInfo, after: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The team's windows (UTC start, end) that end after ``after``, in order, for about a week."""
    local_day = after.astimezone(zone).date() - timedelta(days=1)
    for offset in range(_LOOKAHEAD_DAYS + 1):
        day = local_day + timedelta(days=offset)
        for start, end in hours.on(day.weekday()):
            opens, closes = local_at(day, start, zone), local_at(day, end, zone)
            if closes > after:
                yield max(opens, after.astimezone(UTC)) if opens <= after else opens, closes


def is_around(guild: GuildConfig, when: datetime) -> bool:
    """Whether ``when`` falls in the team's hours (always, without ``[guilds.hours]``)."""
    if guild.hours is None:
        return True
    first = next(windows(guild.hours, guild.zone, when), None)
    return first is not None and first[0] <= when


def next_around(guild: GuildConfig, when: datetime) -> datetime:
    """``when`` if the team is around then, else when their next window opens (UTC)."""
    if guild.hours is None:
        return when
    first = next(windows(guild.hours, guild.zone, when), None)
    return when if first is None else max(first[0], when)


def team_time_after(guild: GuildConfig, start: datetime, span: timedelta) -> datetime:
    """The moment ``span`` of team hours has passed since ``start`` (plain time without hours)."""
    if guild.hours is None:
        return start + span
    left = span
    moment = start
    for _ in range(60):  # a span of weeks of team time still ends; this bounds the walk
        for opens, closes in windows(guild.hours, guild.zone, moment):
            available = closes - opens
            if left <= available:
                return opens + left
            left -= available
            moment = closes
    return start + span  # unreachable with a valid config; plain time rather than never
