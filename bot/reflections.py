"""Moderators' private reflections: written after a case, readable and deletable by their author only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Reflection

from .db import Database
from .errors import InvalidInput, NotFound

REFLECTION_LIMIT = 2000


@dataclass(frozen=True)
class ReflectionView:
    id: int
    case_id: int | None
    text: str
    created_at: datetime


class ReflectionService:
    def __init__(self, db: Database):
        self.db = db

    async def add(self, guild_id: int, author_id: int, case_id: int | None, text: str) -> int:
        text = text.strip()
        if not text:
            raise InvalidInput("There's nothing to save yet; write a line or two, or just close the form.")
        if len(text) > REFLECTION_LIMIT:
            raise InvalidInput(f"Please keep it under {REFLECTION_LIMIT} characters.")

        async def work(session: AsyncSession) -> int:
            row = Reflection(guild_id=guild_id, author_id=author_id, case_id=case_id, text=text)
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
            raise NotFound("I can't find that reflection among yours.")
