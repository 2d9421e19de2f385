"""Direct messages to Tend: kept sealed before anything is said back, turned into a support case,
and relayed between the case thread and the member's DMs.

Every change here commits with the durable job that carries it to Discord (the relay of one
message, a note to the member or the team), so a crash or an outage delays a relay but never
loses or doubles it. Nothing here knows Discord: the cog says who wrote what, where.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.authority import CASE_GONE, Actor, require_case_member
from bot.domain.cases import CaseService
from bot.domain.cases.service import Opened
from bot.domain.cases.store import audit
from bot.domain.config import GuildConfig
from bot.domain.errors import InvalidInput, NotFound, TryLater
from bot.infra.db import Database
from bot.infra.jobs import Clock, Finish, JobEngine
from models import OPEN_STATUSES, Case, DirectMessage, DmRelay, utcnow

from .kinds import DM_NOTE, DM_RELAY_IN, DM_RELAY_OUT, NotePayload, RelayPayload

# The topic a case opened from DMs carries on its card (Tend's words, not the member's).
DM_TOPIC = "Wrote to Tend by DM"
# Messages kept per member and server before a case is opened: enough for anyone with
# something to say, not a store for someone flooding Tend.
WAITING_LIMIT = 25
# How much of what they wrote becomes the case's story (the welcome quotes up to 3,500
# characters); later messages are posted in the thread after it.
STORY_LIMIT = 3000


class TooMuchWaiting(TryLater):
    """The member has many messages kept already: the cog asks them to press the button."""

    def __init__(self) -> None:
        super().__init__("I've kept a lot of messages from you already.", 60)


@dataclass(frozen=True)
class Kept:
    # The row kept for each server the words could go to.
    rows: dict[int, int]
    # The member had words waiting already (a short answer is enough).
    earlier: bool


class DmService:
    def __init__(self, db: Database, jobs: JobEngine, cases: CaseService, clock: Clock = utcnow):
        self.db = db
        self.jobs = jobs
        self.cases = cases
        self.clock = clock

    # -- a DM arrives ---------------------------------------------------------------------

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

    async def keep(self, *, member_id: int, source_id: int, guild_ids: list[int], text: str) -> Kept:
        """Keep what the member wrote, sealed, once for each server it could go to."""
        now = self.clock()

        async def work(session: AsyncSession) -> Kept:
            waiting = dict(
                (
                    await session.execute(
                        select(DirectMessage.guild_id, func.count())
                        .where(
                            DirectMessage.member_id == member_id,
                            DirectMessage.status == "waiting",
                            DirectMessage.guild_id.in_(guild_ids),
                        )
                        .group_by(DirectMessage.guild_id)
                    )
                ).all()
            )
            if any(int(count) >= WAITING_LIMIT for count in waiting.values()):
                raise TooMuchWaiting()
            rows = {
                guild_id: DirectMessage(
                    guild_id=guild_id,
                    member_id=member_id,
                    author_id=member_id,
                    direction="in",
                    status="waiting",
                    source_id=source_id,
                    body=text,
                    created_at=now,
                )
                for guild_id in guild_ids
            }
            session.add_all(rows.values())
            await session.flush()
            return Kept({guild_id: row.id for guild_id, row in rows.items()}, earlier=bool(waiting))

        return await self.db.write(work)

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

    # -- the member's buttons ---------------------------------------------------------------

    async def own_message(self, row_id: int, member_id: int) -> DirectMessage | None:
        """A message the member wrote to Tend, by the id a button carries (None: not theirs)."""
        if not row_id:
            return None
        async with self.db.read() as session:
            row = await session.get(DirectMessage, row_id)
        if row is None or row.member_id != member_id or row.direction != "in":
            return None
        return row

    async def choose(self, row_id: int, member_id: int, guild_id: int) -> DirectMessage | None:
        """The copy of the member's message kept for the server they picked (None: there is none)."""
        row = await self.own_message(row_id, member_id)
        if row is None or not guild_id:
            return None
        async with self.db.read() as session:
            return await session.scalar(
                select(DirectMessage)
                .where(
                    DirectMessage.source_id == row.source_id,
                    DirectMessage.member_id == member_id,
                    DirectMessage.guild_id == guild_id,
                    DirectMessage.direction == "in",
                )
                .limit(1)
            )

    async def open_case(self, guild: GuildConfig, member_id: int, *, relay: bool) -> Opened:
        """Open the member's support case with what they wrote as its story (or find their open
        one). The words waiting for this server move onto the case, their copies for other
        servers go, and with ``relay`` the case is relayed through DMs, all in one transaction."""
        async with self.db.read() as session:
            waiting = list(
                (
                    await session.scalars(
                        select(DirectMessage)
                        .where(
                            DirectMessage.guild_id == guild.id,
                            DirectMessage.member_id == member_id,
                            DirectMessage.status == "waiting",
                        )
                        .order_by(DirectMessage.id)
                    )
                ).all()
            )
        # The story is what fits the case's welcome; anything longer is posted in the thread
        # after it, as the DMs it was, so the team sees every word.
        story_rows: list[int] = []
        later: list[int] = []
        length = 0
        for row in waiting:
            length += len(row.body or "") + 2
            (story_rows if length <= STORY_LIMIT or not story_rows else later).append(row.id)
        story = "\n\n".join(row.body for row in waiting if row.id in story_rows and row.body) or None
        now = self.clock()

        async def adopt(session: AsyncSession, case: Case) -> None:
            await self._take(session, case, story_rows, status="story")
            await self._take(session, case, later, status="pending")
            for row_id in later:
                await self._relay_in_job(session, case, row_id, now)
            if relay:
                await self._start(session, case, now, note_team=False)

        return await self.cases.open_support(
            guild_id=guild.id,
            member_id=member_id,
            topic=DM_TOPIC,
            text=story,
            cooldown=timedelta(minutes=guild.support.cooldown_minutes),
            nudge_after=timedelta(minutes=guild.support.nudge_after_minutes),
            silence_after=timedelta(days=guild.support.silence_after_days),
            relay=relay,
            within=adopt,
        )

    async def add_to_case(self, case: Case, member_id: int, *, relay: bool) -> int:
        """The member already has an open case: what they wrote meanwhile goes into its thread
        (nothing is lost), and with ``relay`` it is relayed from now on. Returns how many
        messages were passed on."""
        now = self.clock()

        async def work(session: AsyncSession) -> int:
            current = await session.get(Case, case.id)
            if current is None or not current.is_open or current.member_id != member_id:
                raise NotFound(CASE_GONE)
            rows = list(
                (
                    await session.scalars(
                        select(DirectMessage.id)
                        .where(
                            DirectMessage.guild_id == current.guild_id,
                            DirectMessage.member_id == member_id,
                            DirectMessage.status == "waiting",
                        )
                        .order_by(DirectMessage.id)
                    )
                ).all()
            )
            await self._take(session, current, rows, status="pending")
            for row_id in rows:
                await self._relay_in_job(session, current, row_id, now)
            if relay:
                await self._start(session, current, now, note_team=True)
            return len(rows)

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
                raise InvalidInput("You aren't talking with the moderators by DM about this any more.")
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

    # -- the team writes in the case thread ----------------------------------------------------

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

    # -- for the jobs ---------------------------------------------------------------------------

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

    # -- internals -----------------------------------------------------------------------------

    async def _take(self, session: AsyncSession, case: Case, row_ids: list[int], *, status: str) -> None:
        """The member's waiting words move onto ``case``; their copies kept for other servers go.
        Taken as the case's story, the words live on the case and the rows keep none."""
        if not row_ids:
            return
        sources = select(DirectMessage.source_id).where(DirectMessage.id.in_(row_ids)).scalar_subquery()
        await session.execute(
            delete(DirectMessage)
            .where(
                DirectMessage.member_id == case.member_id,
                DirectMessage.guild_id != case.guild_id,
                DirectMessage.status == "waiting",
                DirectMessage.source_id.in_(sources),
            )
            .execution_options(synchronize_session=False)
        )
        values: dict[str, object] = {"status": status, "case_id": case.id}
        if status == "story":
            values["body"] = None
        await session.execute(
            update(DirectMessage)
            .where(DirectMessage.id.in_(row_ids), DirectMessage.status == "waiting")
            .values(**values)
            .execution_options(synchronize_session=False)
        )

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
