"""The migration that sealed the /support topic, checked down to the stored bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.crypto import Cipher
from bot.db import Database
from bot.migrate import upgrade
from models import AuditEvent, Base, Case, utcnow

from .databases import raw_sqlite_files


async def plain_rows(database_url: str) -> str:
    """Every row of every table as the database renders it in text (PostgreSQL)."""
    rendered = []
    async with Database.open(database_url) as db, db.engine.connect() as conn:
        for table in [*Base.metadata.sorted_tables, "alembic_version"]:
            name = getattr(table, "name", table)
            rows = await conn.execute(text(f'SELECT t::text FROM "{name}" t'))
            rendered.extend(str(row[0]) for row in rows)
    return "\n".join(rendered)


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
