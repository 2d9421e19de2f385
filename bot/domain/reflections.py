"""Moderators' private reflections: written after a case, readable and deletable by their author only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.authority import CASE_GONE, Actor, conflicted
from bot.domain.cases import CaseService, reference
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.followups import FollowUpService
from bot.domain.i18n import _
from bot.infra.db import Database
from models import Case, Reflection

REFLECTION_LIMIT = 2000


@dataclass(frozen=True)
class ReflectionView:
    id: int
    case_id: int | None
    text: str
    created_at: datetime


@dataclass(frozen=True)
class Reflected:
    reflection_id: int
    case: Case
    # When the follow-up the moderator asked for is due (None: no follow-up).
    followup_at: datetime | None


class ReflectionService:
    def __init__(self, db: Database, cases: CaseService, followups: FollowUpService):
        self.db = db
        self.cases = cases
        self.followups = followups

    async def reflect(
        self, actor: Actor, case_id: int, text: str, *, follow_up_in: timedelta | None = None
    ) -> Reflected:
        """A moderator's reflection on a case, and the follow-up it asks for, in *the case's* server.

        Whoever held or closed the case may reflect from anywhere (the prompt may come by DM);
        anyone else must be a moderator of the case's server acting there (the authority rule).
        """
        async with self.db.read() as session:
            case = await session.get(Case, case_id) if case_id else None
        if case is None:
            raise NotFound(CASE_GONE)
        took_part = actor.user_id in (case.holder_id, case.closed_by)
        elsewhere = actor.guild_id is not None and actor.guild_id != case.guild_id
        if not took_part or elsewhere or actor.user_id in conflicted(case):
            self.cases.authority.case_moderator(actor, case)
        reflection_id = await self.add(case.guild_id, actor.user_id, case.id, text)
        due = None
        if follow_up_in is not None:
            due = self.cases.clock() + follow_up_in
            await self.followups.remind_moderator(
                guild_id=case.guild_id,
                moderator_id=actor.user_id,
                created_by=actor.user_id,
                # A report's follow-up names no one: the moderator knows who to look for.
                member_id=case.member_id if case.kind != "report" else None,
                due_at=due,
                note=f"Follow-up from your reflection on {reference(case.kind, case.number)}.",
                case_id=case.id,
            )
        return Reflected(reflection_id, case, due)

    async def add(self, guild_id: int, author_id: int, case_id: int | None, text: str) -> int:
        text = text.strip()
        if not text:
            raise InvalidInput(_("There's nothing to save yet; write a line or two, or just close the form."))
        if len(text) > REFLECTION_LIMIT:
            raise InvalidInput(_("Please keep it under {limit} characters.", limit=REFLECTION_LIMIT))

        async def work(session: AsyncSession) -> int:
            row = Reflection(
                guild_id=guild_id,
                author_id=author_id,
                case_id=case_id,
                text=text,
                created_at=self.cases.clock(),
            )
            session.add(row)
            await session.flush()
            return row.id

        return await self.db.write(work)

    async def mine(self, guild_id: int, author_id: int) -> list[ReflectionView]:
        async with self.db.read() as session:
            rows = (
                await session.scalars(
                    select(Reflection)
                    .where(Reflection.guild_id == guild_id, Reflection.author_id == author_id)
                    .order_by(Reflection.created_at.desc())
                )
            ).all()
        return [ReflectionView(r.id, r.case_id, r.text, r.created_at) for r in rows]

    async def delete_mine(self, guild_id: int, author_id: int, reflection_id: int) -> None:
        async def work(session: AsyncSession) -> int:
            result = await session.execute(
                delete(Reflection).where(
                    Reflection.id == reflection_id,
                    Reflection.guild_id == guild_id,
                    Reflection.author_id == author_id,
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)

        # Someone else's reflection is treated exactly like one that doesn't exist.
        if await self.db.write(work) == 0:
            raise NotFound(_("I can't find that reflection among yours."))
