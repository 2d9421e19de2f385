"""Remembering each member's Discord locale, for the messages Tend writes them later."""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.infra.db import Database
from bot.infra.jobs import Clock
from models import MemberLocale

_REMEMBERED = 4096  # people whose locale is known in memory; a miss costs one read
GATHER = 0.2  # seconds a new locale waits for others to share its write


class LocaleStore:
    """The last locale each person used Tend in. Writes only when it changes, and the people whose
    language arrives within a moment of each other in one write."""

    def __init__(self, db: Database, clock: Clock):
        self.db, self.clock = db, clock
        self._known: OrderedDict[int, str | None] = OrderedDict()
        # Waiting for the next write: person -> (their locale, what was known before it).
        self._pending: dict[int, tuple[str, str | None]] = {}
        self._batch: asyncio.Task[None] | None = None  # gathering
        self._writing: set[asyncio.Task[None]] = set()  # gathered, being written

    def _keep(self, user_id: int, locale: str | None) -> None:
        self._known[user_id] = locale
        self._known.move_to_end(user_id)
        while len(self._known) > _REMEMBERED:
            self._known.popitem(last=False)

    async def remember(self, user_id: int, locale: str) -> None:
        """Record ``locale`` as the person's language (written when it differs from the last).

        Stored within ``GATHER`` seconds, together with everyone else's that arrived meanwhile:
        during a raid or a busy hour that is one write for many people instead of one each.
        Returns once it is written (raises if the write failed; the next interaction tries again).
        """
        locale = locale[:16]
        if self._known.get(user_id, "") == locale:
            return
        # Known before it is written: a command and its form a moment later write once, not twice.
        previous = self._pending[user_id][1] if user_id in self._pending else self._known.get(user_id, "")
        self._keep(user_id, locale)
        self._pending[user_id] = (locale, previous)
        if self._batch is None:
            self._batch = asyncio.create_task(self._write_soon())
        await asyncio.shield(self._batch)

    async def _write_soon(self) -> None:
        await asyncio.sleep(GATHER)
        batch, self._pending, self._batch = self._pending, {}, None
        if not batch:
            return
        me = asyncio.current_task()
        assert me is not None
        self._writing.add(me)
        try:
            await self._write(batch)
        finally:
            self._writing.discard(me)

    async def _write(self, batch: dict[int, tuple[str, str | None]]) -> None:
        now = self.clock()

        async def store(session: AsyncSession) -> None:
            # One statement that inserts or updates everyone: two interactions of one person at
            # once (a command and its form) must not collide on the primary key.
            insert = sqlite_insert if self.db.is_sqlite else postgresql_insert
            statement = insert(MemberLocale).values(
                [
                    {"user_id": user, "locale": locale, "updated_at": now}
                    for user, (locale, _) in batch.items()
                ]
            )
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=[MemberLocale.user_id],
                    set_={"locale": statement.excluded.locale, "updated_at": statement.excluded.updated_at},
                )
            )

        try:
            await self.db.write(store)
        except BaseException:
            for user_id, (locale, previous) in batch.items():
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
        # Not written later behind the deletion's back: out of the next write, and past the one
        # under way (which may hold it) before deleting.
        self._pending.pop(user_id, None)
        for write in list(self._writing):
            with contextlib.suppress(Exception):
                await asyncio.shield(write)

        async def erase(session: AsyncSession) -> None:
            await session.execute(delete(MemberLocale).where(MemberLocale.user_id == user_id))

        await self.db.write(erase)
        self._known.pop(user_id, None)
