"""Alembic environment: async engines, batch mode for SQLite, URL from Tend's own config.

Two ways in: ``tend migrate`` hands a live connection (and a loader of Tend's keys, for
migrations that encrypt) through ``config.attributes``;
the plain ``alembic`` command reads the URL from ``DATABASE_URL`` or from the file
named by ``TEND_CONFIG`` (default ``config.toml``).
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from models import Base, SealedJSON, SealedText, UTCDateTime

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.attributes.get("url") or os.environ.get("DATABASE_URL")
    if not url:
        from bot.domain.config import load_settings

        url = load_settings(os.environ.get("TEND_CONFIG", "config.toml")).database_url
    from bot.infra.db import normalise_url

    return normalise_url(url)


def _render_item(kind: str, obj: object, autogen_context: object) -> str | bool:
    # Migrations must not import model code: a UTC column is a plain timezone-aware DateTime.
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    # A sealed column is bytes in the database; encrypting is the model's business.
    if kind == "type" and isinstance(obj, SealedText | SealedJSON):
        return "sa.LargeBinary()"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    from bot.infra.db import create_engine

    engine = create_engine(_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (connection := config.attributes.get("connection")) is not None:
    _configure(connection)
else:
    asyncio.run(_run_async())
