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


async def test_people_arriving_together_share_one_write(db: Database) -> None:
    store = LocaleStore(db, TestClock())
    commits = count_commits(db)
    # A raid's worth of newcomers, each interacting for the first time within the same moment.
    await asyncio.gather(*(store.remember(100 + n, "es-ES" if n % 2 else "fr") for n in range(40)))
    assert commits[0] == 1
    fresh = LocaleStore(db, TestClock())
    assert [await fresh.locale_of(100 + n) for n in (0, 1, 39)] == ["fr", "es-ES", "es-ES"]


async def test_a_deletion_is_not_undone_by_a_write_still_gathering_or_under_way(db: Database) -> None:
    store = LocaleStore(db, TestClock())
    # Gathering: the deletion takes it out of the batch.
    gathering = asyncio.create_task(store.remember(9, "es-ES"))
    await asyncio.sleep(0)
    await store.forget(9)
    await gathering
    assert await LocaleStore(db, TestClock()).locale_of(9) is None
    # Under way: the deletion waits for that write, then deletes.
    writing = asyncio.create_task(store.remember(10, "de"))
    real_write = db.write
    started = asyncio.Event()

    async def slow(work):  # type: ignore[no-untyped-def]
        started.set()
        await asyncio.sleep(0.2)
        return await real_write(work)

    db.write = slow  # type: ignore[method-assign]
    try:
        await started.wait()
        db.write = real_write  # type: ignore[method-assign]
        await store.forget(10)
    finally:
        db.write = real_write  # type: ignore[method-assign]
    await writing
    assert await LocaleStore(db, TestClock()).locale_of(10) is None
