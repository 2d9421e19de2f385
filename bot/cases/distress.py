"""Distress notices: a quiet card when a message sounds like someone is struggling.

Tend keeps no copy of the message: the case holds the category and a link, nothing
the member wrote.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Case

from ..authority import Actor
from ..errors import InvalidInput
from .service import CARD_SYNC, CaseService
from .store import audit, lock_counter, next_number


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
    ) -> Case | None:
        """Open a distress case, unless this member had one within the cooldown (then None)."""
        now = self.cases.clock()

        async def work(session: AsyncSession) -> Case | None:
            await lock_counter(session, guild_id, "distress")  # the cooldown check sees every notice
            recent = await session.scalar(
                select(Case.id).where(
                    Case.guild_id == guild_id,
                    Case.kind == "distress",
                    Case.member_id == member_id,
                    Case.opened_at > now - member_cooldown,
                )
            )
            if recent is not None:
                return None
            case = Case(
                guild_id=guild_id,
                kind="distress",
                number=await next_number(session, guild_id, "distress"),
                status="new",
                member_id=member_id,
                topic=category,
                snapshot={"channel_id": channel_id, "message_id": message_id, "jump_url": jump_url},
                opened_at=now,
            )
            session.add(case)
            await session.flush()
            audit(session, case, "noticed", None, category=category)
            await self.cases.jobs.add(
                session,
                guild_id=guild_id,
                kind=CARD_SYNC,
                due_at=now,
                case_id=case.id,
                dedupe_key=f"card:{case.id}",
            )
            return case

        case = await self.db.write(work)
        if case is not None:
            await self.cases.arm(case.id)
        return case

    async def close(self, actor: Actor, case_id: int, *, outcome: str) -> Case:
        """``reached_out`` closes it; ``not_needed`` dismisses it."""
        if outcome not in ("reached_out", "not_needed"):
            raise InvalidInput("Please pick one of the listed outcomes.")
        moderator_id = actor.user_id

        async def work(session: AsyncSession) -> Case:
            case = await self.cases.moderated(session, actor, case_id)
            if case.kind != "distress":
                raise InvalidInput("That isn't a distress notice.")
            self.cases.require_open(case)
            status = "closed" if outcome == "reached_out" else "dismissed"
            self.cases.mark_closed(case, status=status, outcome=outcome, actor_id=moderator_id)
            audit(session, case, outcome, moderator_id)
            await self.cases.refresh_card(session, case)
            return case

        case = await self.db.write(work)
        await self.cases.arm(case_id)
        return case
