"""Remembering each member's Discord locale, for the messages Tend writes them later."""

from __future__ import annotations

from collections import OrderedDict

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.infra.db import Database
from bot.infra.jobs import Clock
from models import MemberLocale

_REMEMBERED = 4096  # people whose locale is known in memory; a miss costs one read


class LocaleStore:
    """The last locale each person used Tend in. Writes only when it changes."""

    def __init__(self, db: Database, clock: Clock):
        self.db, self.clock = db, clock
        self._known: OrderedDict[int, str | None] = OrderedDict()

    def _keep(self, user_id: int, locale: str | None) -> None:
        self._known[user_id] = locale
        self._known.move_to_end(user_id)
        while len(self._known) > _REMEMBERED:
            self._known.popitem(last=False)

    async def remember(self, user_id: int, locale: str) -> None:
        """Record ``locale`` as the person's language (one write when it differs from the last)."""
        locale = locale[:16]
        if self._known.get(user_id, "") == locale:
            return
        # Known before it is written: a command and its form a moment later write once, not twice.
        previous = self._known.get(user_id, "")
        self._keep(user_id, locale)
        now = self.clock()

        async def store(session: AsyncSession) -> None:
            # One statement that inserts or updates: two interactions of one person at once
            # (a command and its form) must not collide on the primary key.
            insert = sqlite_insert if self.db.is_sqlite else postgresql_insert
            statement = insert(MemberLocale).values(user_id=user_id, locale=locale, updated_at=now)
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=[MemberLocale.user_id], set_={"locale": locale, "updated_at": now}
                )
            )

        try:
            await self.db.write(store)
        except BaseException:
            if self._known.get(user_id) == locale:  # not stored after all: ask again next time
                if previous == "":
                    self._known.pop(user_id, None)
                else:
                    self._keep(user_id, previous)
            raise

    async def locale_of(self, user_id: int) -> str | None:
        """The person's last known Discord locale, or None if Tend never heard from them."""
        if user_id in self._known:
            self._known.move_to_end(user_id)
            return self._known[user_id]
        async with self.db.read() as session:
            locale = await session.scalar(select(MemberLocale.locale).where(MemberLocale.user_id == user_id))
        self._keep(user_id, locale)
        return locale

    async def forget(self, user_id: int) -> None:
        """Erase the person's locale (their /privacy deletion)."""

        async def erase(session: AsyncSession) -> None:
            await session.execute(delete(MemberLocale).where(MemberLocale.user_id == user_id))

        await self.db.write(erase)
        self._known.pop(user_id, None)
