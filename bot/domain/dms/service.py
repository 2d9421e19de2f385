"""Direct messages to Tend: kept sealed before anything is said back, turned into a support case,
and relayed between the case thread and the member's DMs.

Every change here commits with the durable job that carries it to Discord (the relay of one
message, a note to the member or the team), so a crash or an outage delays a relay but never
loses or doubles it. Nothing here knows Discord: the cog says who wrote what, where.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.authority import CASE_GONE
from bot.domain.cases.service import Opened
from bot.domain.config import GuildConfig
from bot.domain.errors import NotFound, TryLater
from models import Case, DirectMessage

from .relay import DmRelays

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


class DmService(DmRelays):
    """A member's DMs to Tend: kept, turned into a support case, and relayed (``DmRelays``)."""

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
