"""The stored locale of each member: one write when it changes, none for a form right after
its command, and a failed write forgotten so the next interaction tries again."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import event

from bot.domain.i18n.store import LocaleStore
from bot.infra.db import Database

from .clock import TestClock


def count_commits(db: Database) -> list[int]:
    commits = [0]

    def count(_connection: object) -> None:
        commits[0] += 1

    event.listen(db.engine.sync_engine, "commit", count)
    return commits


async def test_a_command_and_its_form_store_the_locale_once(db: Database) -> None:
    store = LocaleStore(db, TestClock())
    commits = count_commits(db)
    # The command's remember is still writing when the form's arrives.
    await asyncio.gather(store.remember(7, "es-ES"), store.remember(7, "es-ES"))
    assert commits[0] == 1
    await store.remember(7, "es-ES")
    assert commits[0] == 1
    await store.remember(7, "fr")  # a change is written
    assert commits[0] == 2
    assert await LocaleStore(db, TestClock()).locale_of(7) == "fr"  # as a restarted Tend reads it


async def test_a_failed_write_is_tried_again_next_time(db: Database) -> None:
    store = LocaleStore(db, TestClock())
    real_write = db.write

    async def busy(work):  # type: ignore[no-untyped-def]
        raise TimeoutError("the database is busy")

    db.write = busy  # type: ignore[method-assign]
    try:
        with contextlib.suppress(TimeoutError):
            await store.remember(8, "de")
    finally:
        db.write = real_write  # type: ignore[method-assign]
    await store.remember(8, "de")
    assert await LocaleStore(db, TestClock()).locale_of(8) == "de"
