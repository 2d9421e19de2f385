"""Limits hold under truly simultaneous submissions (PostgreSQL takes many writers at once).

On SQLite one writer at a time makes these trivially true; on PostgreSQL a check-then-insert
without a lock lets every concurrent transaction pass the check. Each test also runs the
submissions through two engines (two processes sharing one database).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.domain.cases import CaseService
from bot.domain.cases.reports import ReportLimited, ReportLimits
from bot.infra.db import Database
from models import Case

from .domain import GUILD, case_service, report_service

LIMITS = ReportLimits(burst=3, burst_window=timedelta(minutes=10), daily=10)


@pytest.fixture
async def second(db: Database, database_url: str) -> AsyncIterator[Database]:
    """Another engine on the same database, as a second process would have."""
    async with Database.open(database_url) as other:
        other.seal_with(db.cipher)  # several processes share one key
        yield other


async def count(db: Database, kind: str, member: int, *, open_only: bool = False) -> int:
    query = select(func.count()).select_from(Case).where(Case.kind == kind, Case.member_id == member)
    if open_only:
        query = query.where(Case.closed_at.is_(None))
    async with db.read() as session:
        return int(await session.scalar(query) or 0)


def open_support(service: CaseService, member: int):  # type: ignore[no-untyped-def]
    return service.open_support(
        guild_id=GUILD,
        member_id=member,
        topic=None,
        text="I need someone to talk to",
        cooldown=timedelta(0),
        nudge_after=timedelta(minutes=30),
    )


async def test_simultaneous_support_submissions_open_one_case(db: Database, second: Database) -> None:
    services = [case_service(db), case_service(second)]
    opened = await asyncio.gather(*(open_support(services[i % 2], 500) for i in range(6)))
    assert sum(o.created for o in opened) == 1
    assert len({o.case.id for o in opened}) == 1  # everyone is pointed to the same case
    assert await count(db, "support", 500, open_only=True) == 1


async def test_simultaneous_reports_stop_at_the_burst_limit(db: Database, second: Database) -> None:
    reports = [report_service(case_service(db)), report_service(case_service(second))]

    async def file(i: int) -> Case:
        return await reports[i % 2].file(
            guild_id=GUILD,
            reporter_id=600,
            subject_id=700 + i,
            rule_id="respect",
            text="They kept insulting me in the voice chat.",
            snapshot=None,
            anonymous=False,
            escalated=False,
            limits=LIMITS,
        )

    results = await asyncio.gather(*(file(i) for i in range(6)), return_exceptions=True)
    filed = [r for r in results if isinstance(r, Case)]
    refused = [r for r in results if isinstance(r, ReportLimited)]
    assert len(filed) == 3 and len(refused) == 3, results
    assert await count(db, "report", 600) == 3
    assert sorted(c.number for c in filed) == [1, 2, 3]


async def test_the_daily_limit_holds_after_the_burst_window_and_lifts_a_day_later(db: Database) -> None:
    cases = case_service(db)
    reports = report_service(cases)
    limits = ReportLimits(burst=2, burst_window=timedelta(minutes=10), daily=3)

    async def file(n: int) -> Case:
        return await reports.file(
            guild_id=GUILD,
            reporter_id=610,
            subject_id=710 + n,
            rule_id="respect",
            text="They kept insulting me in the voice chat.",
            snapshot=None,
            anonymous=False,
            escalated=False,
            limits=limits,
        )

    await file(1)
    await file(2)
    with pytest.raises(ReportLimited, match="paused new ones"):
        await file(3)
    cases.clock.advance(minutes=11)  # type: ignore[attr-defined]
    await file(3)  # the burst window has passed; 3 today
    cases.clock.advance(minutes=11)  # type: ignore[attr-defined]
    with pytest.raises(ReportLimited, match="today's limit of 3"):
        await file(4)
    cases.clock.advance(hours=24)  # type: ignore[attr-defined]
    assert (await file(4)).number == 4
