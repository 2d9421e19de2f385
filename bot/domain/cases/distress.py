"""Distress notices: a quiet card when a message sounds like someone is struggling.

Tend keeps no copy of the message: the case holds the category and a link, nothing
the member wrote.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.authority import Actor
from bot.domain.cases.base import NewCase
from bot.domain.cases.service import CaseService
from bot.domain.cases.store import audit, claim_number
from bot.domain.errors import InvalidInput
from bot.domain.i18n import _
from models import Case

log = logging.getLogger(__name__)


class _Skipped(Exception):
    """No card this time (a cooldown or the channel's cap): roll back, the number goes back."""


class DistressService:
    def __init__(self, cases: CaseService):
        self.cases = cases
        self.db = cases.db

    async def notice(
        self,
        *,
        guild_id: int,
        member_id: int,
        category: str,
        channel_id: int,
        message_id: int,
        jump_url: str,
        member_cooldown: timedelta,
        channel_cards_per_hour: int | None = None,
    ) -> Case | None:
        """Open a distress case, unless this member had one within the cooldown or the channel
        has had ``channel_cards_per_hour`` in the last hour (then None). Both counts are in the
        database, so they hold across restarts and processes."""
        now = self.cases.clock()

        async def work(session: AsyncSession) -> NewCase:
            # Taking the number locks the guild's counter, so the checks see every notice (and a
            # skipped one gives the number back).
            number = await claim_number(session, guild_id, "distress")
            recent = await session.scalar(
                select(Case.id).where(
                    Case.guild_id == guild_id,
                    Case.kind == "distress",
                    Case.member_id == member_id,
                    Case.opened_at > now - member_cooldown,
                )
            )
            if recent is not None:
                raise _Skipped("member cooldown")
            if channel_cards_per_hour is not None:
                in_channel = await session.scalar(
                    select(func.count())
                    .select_from(Case)
                    .where(
                        Case.source_channel_id == channel_id,
                        Case.kind == "distress",
                        Case.opened_at > now - timedelta(hours=1),
                    )
                )
                if int(in_channel or 0) >= channel_cards_per_hour:
                    raise _Skipped("channel limit reached")
            return await self.cases.open_case(
                session,
                kind="distress",
                guild_id=guild_id,
                number=number,
                status="new",
                now=now,
                audited=("noticed", None, {"category": category}),
                member_id=member_id,
                topic=category,
                source_channel_id=channel_id,
                snapshot={"channel_id": channel_id, "message_id": message_id, "jump_url": jump_url},
            )

        try:
            made = await self.cases.jobs.write(work)
        except _Skipped as skipped:
            log.info("distress card skipped: %s", skipped, extra={"guild_id": guild_id})
            return None
        self.cases.jobs.spawn_claimed(made.card)
        return made.case

    async def close(self, actor: Actor, case_id: int, *, outcome: str) -> Case:
        """``reached_out`` closes it; ``not_needed`` dismisses it."""
        if outcome not in ("reached_out", "not_needed"):
            raise InvalidInput(_("Please pick one of the listed outcomes."))
        moderator_id = actor.user_id

        async def work(session: AsyncSession) -> Case:
            case = await self.cases.moderated(session, actor, case_id)
            if case.kind != "distress":
                raise InvalidInput(_("That isn't a distress notice."))
            self.cases.require_open(case)
            status = "closed" if outcome == "reached_out" else "dismissed"
            self.cases.mark_closed(case, status=status, outcome=outcome, actor_id=moderator_id)
            audit(session, case, outcome, moderator_id)
            await self.cases.refresh_card(session, case)
            return case

        case = await self.cases.jobs.write(work)
        return case
