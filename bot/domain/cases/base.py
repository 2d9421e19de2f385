"""What every case service stands on: its dependencies, opening a case of any kind, reading
cases (through the authority rule for people), and scheduling the card's refresh."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.authority import CASE_GONE, Actor, Authority, require_case_member
from bot.domain.cases.kinds import CARD_SYNC, CASE_TRANSCRIPT, schedule_card_sync
from bot.domain.cases.store import audit, reference
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.i18n import _
from bot.infra.db import Database
from bot.infra.jobs import Clock, JobEngine
from models import Case, ScheduledItem, utcnow


@dataclass(frozen=True)
class NewCase:
    case: Case
    # Its card's item, claimed by this process: run it once the transaction commits.
    card: ScheduledItem


class CaseBase:
    def __init__(self, db: Database, jobs: JobEngine, authority: Authority, clock: Clock = utcnow):
        self.db = db
        self.jobs = jobs
        self.authority = authority
        self.clock = clock
        # Called inside the transaction that opens a support case or files a report
        # (follow-ups: the on-call escalation). Hooks add jobs; they never commit.
        self.on_open: list[Callable[[AsyncSession, Case], Awaitable[None]]] = []
        # Called inside the transaction that closes a support case (the DM relay ends with it).
        self.on_close: list[Callable[[AsyncSession, Case], Awaitable[None]]] = []

    async def open_case(
        self,
        session: AsyncSession,
        *,
        kind: str,
        guild_id: int,
        number: int,
        status: str,
        now: datetime,
        audited: tuple[str, int | None, dict[str, Any]],
        **fields: Any,
    ) -> NewCase:
        """Open a case of any kind inside the caller's transaction: the audit line (action, actor,
        detail: ids and labels only), its card and the on-open hooks. ``number`` comes from
        :func:`claim_number`, taken before the caller checked its limits.

        The card's item is added already claimed: run it with ``jobs.run_claimed`` (or
        ``spawn_claimed``) once the transaction commits, and the card costs no claim of its own.
        """
        case = Case(guild_id=guild_id, kind=kind, number=number, status=status, opened_at=now, **fields)
        session.add(case)
        await session.flush()
        action, actor_id, detail = audited
        audit(session, case, action, actor_id, **detail)
        card = await self.jobs.add(
            session, guild_id=guild_id, kind=CARD_SYNC, due_at=now, case_id=case.id, claimed=True
        )
        for hook in self.on_open:  # e.g. the on-call escalation (bot/domain/followups)
            await hook(session, case)
        return NewCase(case, card)

    # -- reading --------------------------------------------------------------------------

    async def get(self, guild_id: int, case_id: int) -> Case:
        """A case by id for Tend's own work (jobs); people's actions go through :meth:`for_moderator`."""
        async with self.db.read() as session:
            return await self._get(session, guild_id, case_id)

    async def find(self, case_id: int | None) -> Case | None:
        """A case by id for Tend's own work, or None when there is none (any more)."""
        if not case_id:
            return None
        async with self.db.read() as session:
            return await session.get(Case, case_id)

    async def for_moderator(self, actor: Actor, case_id: int) -> Case:
        """The case, if ``actor`` may act on it as a moderator (the one authority rule)."""
        async with self.db.read() as session:
            return await self.moderated(session, actor, case_id)

    async def moderated(self, session: AsyncSession, actor: Actor, case_id: int) -> Case:
        """Inside a unit of work: resolve the case, then ask the authority rule about ``actor``."""
        case = await session.get(Case, case_id) if case_id else None
        if case is None:
            raise NotFound(CASE_GONE)
        self.authority.case_moderator(actor, case)
        return case

    async def for_member(self, session: AsyncSession, actor: Actor, case_id: int) -> Case:
        """Inside a unit of work: the case, if ``actor`` is the member it is for."""
        case = await session.get(Case, case_id) if case_id else None
        if case is None:
            raise NotFound(CASE_GONE)
        require_case_member(actor, case)
        return case

    async def by_thread(self, thread_id: int) -> Case | None:
        async with self.db.read() as session:
            return await session.scalar(select(Case).where(Case.thread_id == thread_id))

    @staticmethod
    async def get_in(session: AsyncSession, guild_id: int, case_id: int) -> Case:
        return await CaseBase._get(session, guild_id, case_id)

    @staticmethod
    async def _get(session: AsyncSession, guild_id: int, case_id: int) -> Case:
        case = await session.get(Case, case_id) if case_id else None
        # A case of another guild is treated exactly like an unknown case.
        if case is None or case.guild_id != guild_id:
            raise NotFound(CASE_GONE)
        return case

    # -- internals --------------------------------------------------------------------------

    async def refresh_card(self, session: AsyncSession, case: Case) -> None:
        await self._card(session, case, self.clock())

    async def _card(self, session: AsyncSession, case: Case, now: datetime) -> None:
        await self._card_of(session, case.guild_id, case.id, now)

    async def _card_of(self, session: AsyncSession, guild_id: int, case_id: int, now: datetime) -> None:
        """Schedule a refresh of the case's queue card (one pending refresh at a time is enough)."""
        await schedule_card_sync(self.jobs, session, guild_id, case_id, now)

    def mark_closed(
        self, case: Case, *, status: str, outcome: str, actor_id: int, acknowledge: bool = True
    ) -> None:
        """Close ``case`` as ``status`` with ``outcome``; a moderator closing also acknowledges it."""
        now = self.clock()
        case.status, case.outcome, case.closed_at, case.closed_by = status, outcome, now, actor_id
        if acknowledge:
            case.acknowledged_at = case.acknowledged_at or now

    async def keep_transcript(self, session: AsyncSession, case: Case) -> None:
        """A case closed: post its transcript to the team's notes thread, once (a durable job in
        the closing transaction, so a restart before it is posted still posts exactly one)."""
        if case.kind == "distress":
            return  # no thread of its own: a reached-out member's support case has the transcript
        await self.jobs.add(
            session,
            guild_id=case.guild_id,
            kind=CASE_TRANSCRIPT,
            due_at=self.clock(),
            case_id=case.id,
            dedupe_key=f"transcript:{case.id}",
        )

    @staticmethod
    def require_open(case: Case) -> None:
        CaseBase._require_open(case)

    @staticmethod
    def _require_open(case: Case) -> None:
        if not case.is_open:
            raise InvalidInput(
                _("{reference} is already closed.", reference=reference(case.kind, case.number))
            )

    async def _update(self, case_id: int, actor_id: int | None, action: str | None, **values: Any) -> None:
        async def work(session: AsyncSession) -> None:
            case = await session.get(Case, case_id)
            if case is None:
                raise NotFound(_("That case no longer exists."))
            for key, value in values.items():
                setattr(case, key, value)
            if action:
                audit(session, case, action, actor_id)

        await self.db.write(work)
