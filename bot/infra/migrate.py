"""Schema migrations: upgrade to the latest revision, and tell whether a database is behind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import migrations
from models import TextCipher

MIGRATE_HINT = "tend migrate --config {config}"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@dataclass(frozen=True)
class SchemaState:
    current: str | None
    head: str | None

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


async def schema_state(engine: AsyncEngine) -> SchemaState:
    def current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return SchemaState(current=await connection.run_sync(current), head=head_revision())


async def upgrade(
    engine: AsyncEngine, revision: str = "head", *, cipher: Callable[[], TextCipher] | None = None
) -> SchemaState:
    """Upgrade the database behind ``engine``; returns the state afterwards.

    ``cipher`` loads Tend's keys, for a migration that has to encrypt words stored before they
    were sealed (0007: /support topics); it is only called when there are some.
    """

    def run(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        cfg.attributes["cipher"] = cipher
        command.upgrade(cfg, revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)
    if engine.dialect.name == "sqlite":
        # Old pages (words a migration sealed, zeroed by secure_delete in the file) can still
        # sit in the write-ahead log until a checkpoint: fold it into the file and empty it now.
        async with engine.connect() as connection:
            await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return await schema_state(engine)
