"""The relay between a support case's thread and its member's DMs: each message either way
kept sealed with the durable job that delivers it; starting, ending, edits, and what the jobs record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.authority import CASE_GONE, Actor, require_case_member
from bot.domain.cases import CaseService
from bot.domain.cases.store import audit
from bot.domain.errors import InvalidInput, NotFound
from bot.infra.db import Database
from bot.infra.jobs import Clock, Finish, JobEngine
from models import OPEN_STATUSES, Case, DirectMessage, DmRelay, utcnow

from .kinds import DM_NOTE, DM_RELAY_IN, DM_RELAY_OUT, NotePayload, RelayPayload


class NoRelay(InvalidInput):
    """The member isn't talking with the moderators by DM about this (any more)."""

    def __init__(self) -> None:
        super().__init__("You aren't talking with the moderators by DM about this any more.")


class DmRelays:
    """The relay half of the DM feature (``DmService`` adds the way in)."""

    def __init__(self, db: Database, jobs: JobEngine, cases: CaseService, clock: Clock = utcnow):
        self.db = db
        self.jobs = jobs
        self.cases = cases
        self.clock = clock

    async def active_relay(self, member_id: int) -> DmRelay | None:
        """The member's relay of an open case, the latest started (None: they aren't relaying)."""
        async with self.db.read() as session:
            return await session.scalar(
                select(DmRelay)
                .join(Case, Case.id == DmRelay.case_id)
                .where(
                    DmRelay.member_id == member_id,
                    DmRelay.ended_at.is_(None),
                    Case.status.in_(OPEN_STATUSES),
                )
                .order_by(DmRelay.started_at.desc())
                .limit(1)
            )

    async def relay_in(self, relay: DmRelay, *, source_id: int, text: str) -> DirectMessage:
        """Keep a DM of a relaying member and schedule its post in the case thread (one write)."""
        now = self.clock()

        async def work(session: AsyncSession) -> DirectMessage:
            row = DirectMessage(
                guild_id=relay.guild_id,
                member_id=relay.member_id,
                author_id=relay.member_id,
                direction="in",
                status="pending",
                case_id=relay.case_id,
                source_id=source_id,
                body=text,
                created_at=now,
            )
            session.add(row)
            await session.flush()
            # Writing by DM is writing in the case: the silence question waits, as in a thread.
            await session.execute(
                update(Case)
                .where(Case.id == relay.case_id)
                .values(member_active_at=now)
                .execution_options(synchronize_session=False)
            )
            await self.jobs.add(
                session,
                guild_id=relay.guild_id,
                kind=DM_RELAY_IN,
                due_at=now,
                case_id=relay.case_id,
                target_id=relay.member_id,
                payload=RelayPayload(message=row.id),
            )
            return row

        return await self.jobs.write(work)

    async def end_relay(self, actor: Actor, case_id: int) -> Case:
        """The member pressed Stop: the relay ends (the case stays open) and the team is told."""
        now = self.clock()

        async def work(session: AsyncSession) -> Case:
            case = await session.get(Case, case_id) if case_id else None
            if case is None:
                raise NotFound(CASE_GONE)
            require_case_member(actor, case)
            relay = await session.get(DmRelay, case.id)
            if relay is None or relay.ended_at is not None or not case.is_open:
                raise NoRelay()
            relay.ended_at, relay.ended_by = now, "member"
            audit(session, case, "dm_relay_ended", actor.user_id, by="member")
            await self._note(session, case, "relay_ended", to="thread")
            return case

        return await self.jobs.write(work)

    async def case_closed(self, session: AsyncSession, case: Case) -> None:
        """Inside the transaction closing a support case: its relay ends and the member is told."""
        relay = await session.get(DmRelay, case.id)
        if relay is None or relay.ended_at is not None:
            return
        relay.ended_at, relay.ended_by = self.clock(), "closed"
        audit(session, case, "dm_relay_ended", None, by="closed")
        await self._note(session, case, "dm_relay_case_closed", to="member")

    async def relayed_case(self, thread_id: int) -> Case | None:
        """The open case whose thread this is, if its member talks through DMs (a quick read)."""
        async with self.db.read() as session:
            return await session.scalar(
                select(Case)
                .join(DmRelay, DmRelay.case_id == Case.id)
                .where(
                    Case.thread_id == thread_id,
                    Case.status.in_(OPEN_STATUSES),
                    DmRelay.ended_at.is_(None),
                )
                .limit(1)
            )

    async def relay_out(self, case: Case, *, author_id: int, source_id: int, text: str) -> DirectMessage:
        """Keep what a moderator wrote in a relayed case's thread, and schedule its DM."""
        now = self.clock()

        async def work(session: AsyncSession) -> DirectMessage:
            row = DirectMessage(
                guild_id=case.guild_id,
                member_id=case.member_id or 0,
                author_id=author_id,
                direction="out",
                status="pending",
                case_id=case.id,
                source_id=source_id,
                body=text,
                created_at=now,
            )
            session.add(row)
            await session.flush()
            await self.jobs.add(
                session,
                guild_id=case.guild_id,
                kind=DM_RELAY_OUT,
                due_at=now,
                case_id=case.id,
                target_id=case.member_id,
                payload=RelayPayload(message=row.id),
            )
            return row

        return await self.jobs.write(work)

    async def edited(self, *, source_id: int, author_id: int, text: str) -> bool:
        """A relayed message was edited where it was written: keep the new words, and show the
        edit on the other side (a message not delivered yet simply goes out as edited)."""
        now = self.clock()
        relayed = (
            select(DirectMessage)
            .where(
                DirectMessage.source_id == source_id,
                DirectMessage.author_id == author_id,
                DirectMessage.status.in_(("pending", "relayed")),
            )
            .limit(1)
        )
        async with self.db.read() as session:
            # Most edits anywhere in a server are of messages never relayed: one read, no write.
            if await session.scalar(relayed.with_only_columns(DirectMessage.id)) is None:
                return False

        async def work(session: AsyncSession) -> bool:
            row = await session.scalar(relayed)
            if row is None or row.body == text:
                return False
            row.body, row.edited_at = text, now
            if row.status == "relayed" and row.delivered_id is not None:
                await self.jobs.add(
                    session,
                    guild_id=row.guild_id,
                    kind=DM_RELAY_IN if row.direction == "in" else DM_RELAY_OUT,
                    due_at=now,
                    case_id=row.case_id,
                    target_id=row.member_id,
                    payload=RelayPayload(message=row.id, edit=True),
                    dedupe_key=f"dm-edit:{row.id}",
                )
            return True

        return await self.jobs.write(work)

    async def message(self, row_id: int) -> DirectMessage | None:
        async with self.db.read() as session:
            return await session.get(DirectMessage, row_id) if row_id else None

    async def relay_of(self, case_id: int) -> DmRelay | None:
        async with self.db.read() as session:
            return await session.get(DmRelay, case_id)

    def delivered(self, row_id: int, delivered_id: int | None) -> Finish:
        """What a delivered relay records, with its item's end: where it went; DMs work again."""

        async def record(session: AsyncSession) -> None:
            row = await session.get(DirectMessage, row_id)
            if row is None:
                return
            row.status = "relayed"
            if delivered_id is not None:
                row.delivered_id = delivered_id
            if row.direction == "out" and row.case_id is not None:
                await session.execute(
                    update(DmRelay).where(DmRelay.case_id == row.case_id).values(dms_closed_at=None)
                )

        return record

    def undeliverable(self, row_id: int, *, dms_closed: bool) -> Finish:
        """A relay that can't be delivered (closed DMs, an ended conversation): never retried."""

        async def record(session: AsyncSession) -> None:
            row = await session.get(DirectMessage, row_id)
            if row is None:
                return
            row.status = "undeliverable"
            if dms_closed and row.case_id is not None:
                await session.execute(
                    update(DmRelay).where(DmRelay.case_id == row.case_id).values(dms_closed_at=self.clock())
                )

        return record

    async def _relay_in_job(self, session: AsyncSession, case: Case, row_id: int, now: datetime) -> None:
        await self.jobs.add(
            session,
            guild_id=case.guild_id,
            kind=DM_RELAY_IN,
            due_at=now,
            case_id=case.id,
            target_id=case.member_id,
            payload=RelayPayload(message=row_id),
        )

    async def _start(self, session: AsyncSession, case: Case, now: datetime, *, note_team: bool) -> None:
        relay = await session.get(DmRelay, case.id)
        if relay is not None and relay.ended_at is None:
            return
        if relay is None:
            session.add(
                DmRelay(
                    case_id=case.id, guild_id=case.guild_id, member_id=case.member_id or 0, started_at=now
                )
            )
        else:
            relay.started_at, relay.ended_at, relay.ended_by, relay.dms_closed_at = now, None, None, None
        audit(session, case, "dm_relay_started", case.member_id)
        await self._note(session, case, "dm_relay_started", to="member")
        if note_team:
            await self._note(session, case, "relay_started", to="thread")

    async def _note(self, session: AsyncSession, case: Case, message: str, *, to: str) -> None:
        await self.jobs.add(
            session,
            guild_id=case.guild_id,
            kind=DM_NOTE,
            due_at=self.clock(),
            case_id=case.id,
            target_id=case.member_id,
            payload=NotePayload(message=message, to=to),
        )
