"""Team metrics for a period: how the compassion loop is going (the weekly digest, /tend stats).

Pure database reads into a dataclass; no Discord, no rendering. Times are UTC; days for
the chart are local days in the guild's time zone.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.cases.store import open_load
from bot.infra.jobs import JobKind, NoPayload
from models import CASE_KINDS, Case, FollowUp

# The weekly digest for the team: recurring, one pending per guild.
DIGEST = JobKind("tend.digest", NoPayload)


@dataclass(frozen=True)
class DayCount:
    day: date
    opened: int
    closed: int


@dataclass(frozen=True)
class TeamStats:
    guild_id: int
    start: datetime
    end: datetime
    opened: dict[str, int]
    closed: dict[str, int]
    median_acknowledge: timedelta | None
    median_first_reply: timedelta | None
    p90_acknowledge: timedelta | None
    p90_first_reply: timedelta | None
    followups_kept: int
    followups_missed: int
    followups_snoozed: int
    open_load: dict[int, int]
    waiting: int  # open cases nobody holds
    days: list[DayCount] = field(default_factory=list)
    # "Did you feel heard?" answers of support cases closed in the period.
    survey: dict[str, int] = field(default_factory=dict)

    @property
    def opened_total(self) -> int:
        return sum(self.opened.values())

    @property
    def closed_total(self) -> int:
        return sum(self.closed.values())

    @property
    def followups_due(self) -> int:
        return self.followups_kept + self.followups_missed + self.followups_snoozed


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(seconds=statistics.median(v.total_seconds() for v in values))


def _p90(values: list[timedelta]) -> timedelta | None:
    """The 90th percentile (nearest rank): nine in ten were at least this quick."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


async def team_stats(
    session: AsyncSession, guild_id: int, start: datetime, end: datetime, zone: ZoneInfo
) -> TeamStats:
    """Cases opened and closed in ``[start, end)`` (by kind), median time to acknowledge and to
    a first reply (of the cases opened then), follow-ups that came due then (kept, missed,
    snoozed), and the open load per moderator now."""
    opened_rows = (
        await session.execute(
            select(Case.kind, Case.opened_at, Case.acknowledged_at, Case.first_reply_at).where(
                Case.guild_id == guild_id, Case.opened_at >= start, Case.opened_at < end
            )
        )
    ).all()
    closed_rows = (
        await session.execute(
            select(Case.kind, Case.closed_at, Case.survey_answer).where(
                Case.guild_id == guild_id,
                Case.closed_at.is_not(None),
                Case.closed_at >= start,
                Case.closed_at < end,
            )
        )
    ).all()
    followups = (
        await session.execute(
            select(FollowUp.status).where(
                FollowUp.guild_id == guild_id,
                FollowUp.kind == "followup",
                FollowUp.first_due_at >= start,
                FollowUp.first_due_at < end,
            )
        )
    ).all()
    waiting = (
        await session.scalars(
            select(Case.id).where(
                Case.guild_id == guild_id, Case.closed_at.is_(None), Case.holder_id.is_(None)
            )
        )
    ).all()
    opened = Counter(row.kind for row in opened_rows)
    closed = Counter(row.kind for row in closed_rows)
    acknowledge = [r.acknowledged_at - r.opened_at for r in opened_rows if r.acknowledged_at]
    first_reply = [r.first_reply_at - r.opened_at for r in opened_rows if r.first_reply_at]
    statuses = Counter(row.status for row in followups)
    opened_days = Counter(r.opened_at.astimezone(zone).date() for r in opened_rows)
    closed_days = Counter(r.closed_at.astimezone(zone).date() for r in closed_rows)
    first_day, last_day = (
        start.astimezone(zone).date(),
        (end - timedelta(microseconds=1)).astimezone(zone).date(),
    )
    days = []
    day = first_day
    while day <= last_day:
        days.append(DayCount(day, opened_days.get(day, 0), closed_days.get(day, 0)))
        day += timedelta(days=1)
    return TeamStats(
        guild_id=guild_id,
        start=start,
        end=end,
        opened={kind: opened.get(kind, 0) for kind in CASE_KINDS},
        closed={kind: closed.get(kind, 0) for kind in CASE_KINDS},
        median_acknowledge=_median(acknowledge),
        median_first_reply=_median(first_reply),
        p90_acknowledge=_p90(acknowledge),
        p90_first_reply=_p90(first_reply),
        followups_kept=statuses.get("done", 0),
        followups_missed=statuses.get("due", 0),
        followups_snoozed=statuses.get("scheduled", 0),
        open_load=await open_load(session, guild_id),
        waiting=len(waiting),
        days=days,
        survey=dict(Counter(r.survey_answer for r in closed_rows if r.survey_answer)),
    )


def duration_text(value: timedelta | None) -> str:
    """``None`` → "–"; otherwise a short human duration: "45 min", "3 h 10 min", "2 d 4 h"."""
    if value is None:
        return "–"
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 0)} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
