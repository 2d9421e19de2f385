"""Sealed words through the real bot: never in plain text on disk, rotation as the README says
it, and the migration that sealed the /support topic."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.infra.crypto import Cipher
from bot.infra.db import Database
from bot.infra.migrate import upgrade
from bot.infra.sealing import verify_keys
from models import AuditEvent, Base, Case, FollowUp, utcnow

from .databases import raw_sqlite_files
from .flows import ask_for_support, fire_due, slash_followup
from .process import ROOT, run_tend
from .simulator import DiscordSimulator
from .tend import Tend, build_world, tend_settings

# Words only a person could have written, one per place words are kept.
WORDS = {
    "topic": "quokka-topic-Zx",
    "story": "my wombat-story-Qv keeps me up",
    "report": "he said narwhal-report-Jk to me",
    "message": "the axolotl-message-Pw itself",
    "remind": "feed the ocelot-remind-Hy",
    "followup": "ask about the pangolin-note-Rt",
    "close": "closed after tapir-close-Wb",
    "reflection": "I rushed the okapi-reflect-Nc",
}


def unique_part(words: str) -> str:
    return next(w for w in words.split() if "-" in w)


@contextlib.asynccontextmanager
async def tend_with(
    sim: DiscordSimulator, database_url: str, tmp_path: Path, cipher: Cipher
) -> AsyncIterator[Tend]:
    """A Tend whose keys the test chooses (running_tend makes up its own)."""
    world = build_world(sim)
    settings = tend_settings(sim, world, database_url, tmp_path)
    async with Database.open(settings.database_url) as db:
        await upgrade(db.engine)
        running = Tend(sim, world, settings, db, cipher)
        await running.start()
        try:
            yield running
        finally:
            await running.stop()


async def write_every_kind_of_words(tend: Tend) -> None:
    """A person's words in every place Tend keeps them, through the bot's own surfaces."""
    sim, world = tend.sim, tend.world
    assert tend.bot is not None
    await ask_for_support(tend, world.member, WORDS["story"], topic=WORDS["topic"])
    bad = await sim.send_message(world.general, world.member2, WORDS["message"])
    opened = await sim.invoke_message_command(
        world.guild, world.general, world.member, "Report message", int(bad["id"])
    )
    await opened.response()
    submitted = await sim.submit_modal(
        opened, world.member, {"rule": ["respect"], "what": WORDS["report"], "anonymous": ["0"]}
    )
    await submitted.wait_followup()
    await (await tend.slash(world.member, "remind", when="2h", text=WORDS["remind"])).original()
    await slash_followup(tend, "3d", note=WORDS["followup"])
    await tend.settle()
    async with tend.db.read() as session:
        support = await session.scalar(select(Case).where(Case.kind == "support"))
    assert support is not None
    moderator = tend.actor(world.moderator)
    await tend.bot.cases.close_support(moderator, support.id, reason="resolved", note=WORDS["close"])
    await tend.bot.reflections.reflect(moderator, support.id, WORDS["reflection"])
    await tend.settle()


async def plain_rows(database_url: str) -> str:
    """Every row of every table as the database renders it in text (PostgreSQL)."""
    rendered = []
    async with Database.open(database_url) as db, db.engine.connect() as conn:
        for table in [*Base.metadata.sorted_tables, "alembic_version"]:
            name = getattr(table, "name", table)
            rows = await conn.execute(text(f'SELECT t::text FROM "{name}" t'))
            rendered.extend(str(row[0]) for row in rows)
    return "\n".join(rendered)


async def test_words_people_write_never_reach_storage_in_plain_text(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    cipher = Cipher([Cipher.generate_key()])
    async with tend_with(discord_sim, database_url, tmp_path, cipher) as running:
        await write_every_kind_of_words(running)
        assert running.bot is not None
        export = json.dumps(await running.bot.privacy.export(running.world.guild, running.world.member))
        assert WORDS["story"] in export and WORDS["remind"] in export  # stored, and readable with the key
        if running.db.is_sqlite:
            stored = raw_sqlite_files(tmp_path)  # the database file and its write-ahead log, live
            assert stored
            for word in WORDS.values():
                for fragment in (word, unique_part(word)):
                    assert fragment.encode() not in stored, f"{fragment!r} is readable in the SQLite files"
        else:
            rows = await plain_rows(database_url)
            assert str(running.world.member) in rows  # the check does see the rows
            for word in WORDS.values():
                assert unique_part(word) not in rows, f"{word!r} is readable in a row"


async def test_the_readme_rotation_procedure_loses_nothing(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    old, new = Cipher.generate_key().decode(), Cipher.generate_key().decode()
    async with tend_with(discord_sim, database_url, tmp_path, Cipher([old.encode()])) as running:
        await write_every_kind_of_words(running)
        await verify_keys(running.db)  # what `tend run` does on start: the key check is written
        world, settings = running.world, running.settings

    # 1. Put the new key first, the old one after it. 2. tend rotate-keys.
    env = {"DATABASE_URL": settings.database_url, "TEND_ENCRYPTION_KEYS": f"{new},{old}"}
    code, out, err = await run_tend("rotate-keys", "--config", str(ROOT / "config.example.toml"), env=env)
    assert code == 0, err
    assert "cases: 5" in out and "follow_ups: 2" in out and "reflections: 1" in out and "key_checks: 1" in out

    # 3. Remove the old key: everything still reads, the start-up check passes.
    async with Database.open(settings.database_url) as db:
        db.seal_with(Cipher([new.encode()]))
        await verify_keys(db)
        running = Tend(discord_sim, world, settings, db, Cipher([new.encode()]))
        await running.start()
        try:
            assert running.bot is not None
            mine = await running.bot.privacy.export(world.guild, world.member)
            assert mine["support_requests"][0]["topic"] == WORDS["topic"]
            assert mine["support_requests"][0]["what_you_wrote"] == WORDS["story"]
            assert mine["reports_you_filed"][0]["what_you_wrote"] == WORDS["report"]
            assert mine["reminders"][0]["text"] == WORDS["remind"]
            theirs = json.dumps(await running.bot.privacy.export(world.guild, world.moderator))
            assert WORDS["reflection"] in theirs and WORDS["close"] in theirs and WORDS["followup"] in theirs
            [reflection] = await running.bot.reflections.mine(world.guild, world.moderator)
            assert reflection.text == WORDS["reflection"]

            await fire_due(running, "followup.due")  # the reminder comes due, and is delivered
            delivered = [m["content"] for m in discord_sim.channel_messages(world.general)]
            assert any(WORDS["remind"] in m for m in delivered), delivered
            async with db.read() as session:
                statuses = {f.kind: f.status for f in (await session.scalars(select(FollowUp))).all()}
            assert statuses == {"reminder": "due", "followup": "due"}
        finally:
            await running.stop()


async def test_migration_0007_seals_stored_topics_and_takes_them_out_of_the_audit_trail(
    database_url: str, tmp_path: Path
) -> None:
    topic = "my landlord-topic-Gq is evicting me"
    cipher = Cipher([Cipher.generate_key()])
    async with Database.open(database_url) as db:
        await upgrade(db.engine, "0006")
        async with db.engine.begin() as conn:
            # Enough rows to fill pages, so freed pages would show if left readable.
            await conn.execute(
                text(
                    "INSERT INTO cases (id, guild_id, kind, number, status, anonymous, escalated, topic, "
                    "body_enc, opened_at) VALUES (:id, 5, 'support', :number, 'open', false, false, :topic, "
                    ":body, :now)"
                ),
                [
                    {
                        "id": n,
                        "number": n,
                        "topic": topic,
                        "body": cipher.encrypt("sealed already"),
                        "now": utcnow().replace(tzinfo=None),
                    }
                    for n in range(1, 41)
                ],
            )
            await conn.execute(
                text(
                    "INSERT INTO audit_events (guild_id, case_id, action, detail, created_at) "
                    "VALUES (5, 1, 'opened', :detail, :now)"
                ),
                {
                    "detail": json.dumps({"topic": topic, "reached_out": False}),
                    "now": utcnow().replace(tzinfo=None),
                },
            )

        with pytest.raises(RuntimeError, match="tend migrate --config"):
            await upgrade(db.engine)  # no key given: nothing changes
        another = Cipher([Cipher.generate_key()])
        with pytest.raises(RuntimeError, match="can't read the text already stored"):
            await upgrade(db.engine, cipher=lambda: another)  # topics it sealed would be lost
        assert (await upgrade(db.engine, "0006")).current == "0006"

        state = await upgrade(db.engine, cipher=lambda: cipher)
        assert state.up_to_date
        db.seal_with(cipher)
        async with db.read() as session:
            assert set((await session.scalars(select(Case.topic))).all()) == {topic}
            opened = await session.scalar(select(AuditEvent))
        assert opened is not None and opened.detail == {"reached_out": False}
        # Gone from the files too, not only from the rows (SQLite keeps freed pages otherwise).
        if db.is_sqlite:
            assert b"landlord-topic" not in raw_sqlite_files(tmp_path)
        else:
            assert "landlord-topic" not in await plain_rows(database_url)
