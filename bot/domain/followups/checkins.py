"""Member check-ins: the answer to "How are you doing?", talking again, and asking Tend to stop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.cases.store import audit, open_case_of
from bot.domain.disclosure import tend_checks_in_for
from bot.domain.errors import InvalidInput, NotAllowed, NotFound
from bot.domain.followups.base import FOLLOWUP_CHECKIN, GONE
from bot.domain.followups.reopening import Reopening
from bot.domain.i18n import _
from models import Case, CheckinOptOut, FollowUp, ScheduledItem

CHECKIN_ANSWERS = ("ok", "talk", "stop")
# Stored as the case's topic (data the card shows), so it stays as written.
TALK_AGAIN_TOPIC = "Asked to talk again after a check-in"


@dataclass(frozen=True)
class CheckinAnswer:
    followup: FollowUp
    answer: str
    # "talk": the support case that was reopened or opened for the member.
    case: Case | None = None
    # Tend checked in on an anonymous reporter's behalf: "talk" points them to /support instead.
    for_anonymous_reporter: bool = False


class CheckIns(Reopening):
    async def checkin_delivered(self, followup_id: int, *, dms_closed: bool) -> FollowUp:
        """Record that the check-in DM went out, or that the member's DMs are closed."""

        async def work(session: AsyncSession) -> FollowUp:
            followup = await session.get(FollowUp, followup_id)
            if followup is None:
                raise NotFound(GONE)
            followup.checkin = "dms_closed" if dms_closed else "sent"
            audit(
                session,
                None,
                "checkin_dms_closed" if dms_closed else "checkin_sent",
                None,
                guild_id=followup.guild_id,
                followup=followup.id,
            )
            return followup

        return await self.db.write(work)

    async def answer_checkin(self, followup_id: int, member_id: int, answer: str) -> CheckinAnswer:
        """The member pressed I'm OK / I'd like to talk again / Please stop checking in."""
        if answer not in CHECKIN_ANSWERS:
            raise InvalidInput(_("That answer isn't one I know."))
        followup = await self.get(followup_id)
        if followup.member_id != member_id:
            raise NotAllowed(_("This check-in was for someone else."))
        case: Case | None = None
        about = await self.cases.find(followup.case_id)
        on_behalf = tend_checks_in_for(about, member_id)
        if answer == "talk" and followup.checkin != "talk" and not on_behalf:
            # (An anonymous reporter is pointed to /support instead: a case opened for them here
            # would tie them to their report.)
            case = await self._talk_again(followup)

        async def work(session: AsyncSession) -> FollowUp:
            row = await session.get(FollowUp, followup_id)
            if row is None:
                raise NotFound(GONE)
            first = row.checkin != answer
            row.checkin = answer
            if answer == "stop":
                await self._opt_out(session, row.guild_id, member_id)
            if first:
                audit(session, None, f"checkin_{answer}", None, guild_id=row.guild_id, followup=row.id)
            return row

        followup = await self.db.write(work)
        return CheckinAnswer(followup, answer, case, for_anonymous_reporter=on_behalf)

    async def _talk_again(self, followup: FollowUp) -> Case:
        """Reopen the member's support case, or open a new one through the support flow."""
        assert followup.member_id is not None
        guild = self.settings.guild(followup.guild_id)
        if guild is None:
            raise NotFound(_("This server no longer uses Tend."))
        async with self.db.read() as session:
            already = await open_case_of(session, followup.guild_id, followup.member_id, "support")
        if already is not None:
            return already  # they have an open thread: that's where to talk
        if followup.case_id is not None:
            case = await self.cases.get(followup.guild_id, followup.case_id)
            if case.kind == "support" and case.member_id == followup.member_id:
                if case.is_open:
                    return case
                return await self.reopen_case(
                    followup.guild_id, case.id, followup.member_id, why="member_asked_to_talk"
                )
        opened = await self.cases.open_support(
            guild_id=followup.guild_id,
            member_id=followup.member_id,
            topic=TALK_AGAIN_TOPIC,
            text=None,
            cooldown=timedelta(0),
            nudge_after=timedelta(minutes=guild.support.nudge_after_minutes),
            silence_after=timedelta(days=guild.support.silence_after_days),
        )
        self.jobs.spawn_claimed(opened.setup_job, opened.card_job)  # the thread, then the card
        return opened.case

    async def opted_out(self, guild_id: int, member_id: int) -> bool:
        async with self.db.read() as session:
            return await self._opted_out(session, guild_id, member_id)

    @staticmethod
    async def _opted_out(session: AsyncSession, guild_id: int, member_id: int) -> bool:
        return await session.get(CheckinOptOut, (guild_id, member_id)) is not None

    async def _opt_out(self, session: AsyncSession, guild_id: int, member_id: int) -> None:
        if not await self._opted_out(session, guild_id, member_id):
            session.add(CheckinOptOut(guild_id=guild_id, member_id=member_id, created_at=self.clock()))
            # Check-ins already waiting for this member are dropped too.
            await session.execute(
                update(ScheduledItem)
                .where(
                    ScheduledItem.guild_id == guild_id,
                    ScheduledItem.kind == FOLLOWUP_CHECKIN.name,
                    ScheduledItem.target_id == member_id,
                    ScheduledItem.status == "pending",
                )
                .values(status="cancelled", finished_at=self.clock(), dedupe_key=None)
            )
