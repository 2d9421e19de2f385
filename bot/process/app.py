"""The composition root: settings in, every long-lived resource opened here and passed down."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.domain.config import Settings
from bot.domain.services import build_services
from bot.infra.crypto import Cipher, key_source, load_cipher
from bot.infra.db import Database
from bot.infra.migrate import MIGRATE_HINT, schema_state, upgrade
from bot.infra.sealing import KeysCantRead, verify_keys
from bot.process.health import serving_health
from bot.runtime.core import TendBot
from cogs import EXTENSIONS

log = logging.getLogger(__name__)


class StartupError(Exception):
    """Tend can't start; the message says what to do."""


@contextlib.asynccontextmanager
async def running_scheduler() -> AsyncIterator[AsyncIOScheduler]:
    # Jobs carry ids only and are re-armed from the database; nothing is stored in APScheduler.
    scheduler = AsyncIOScheduler(timezone="UTC", job_defaults={"misfire_grace_time": None, "coalesce": True})
    scheduler.start()
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)


async def ensure_schema(db: Database, settings: Settings, config_path: str) -> None:
    """Refuse to run on a database behind the latest migration (or migrate, if configured to)."""
    state = await schema_state(db.engine)
    if state.up_to_date:
        return
    if settings.bot.auto_migrate:
        log.info("migrating the database from %s to %s (bot.auto_migrate)", state.current, state.head)
        await upgrade(db.engine, cipher=lambda: load_cipher(settings.bot.data_dir, create=False))
        return
    raise StartupError(
        f"The database is at revision {state.current or 'none (empty)'}, but this Tend needs {state.head}. "
        f"Run: {MIGRATE_HINT.format(config=config_path)}"
    )


async def ensure_keys(db: Database, settings: Settings) -> Cipher:
    """Seal ``db`` with the configured keys and refuse to run when they can't read what is stored.

    Without this, a process started with other keys (a new install pointed at an old
    database, a second shard given another key) would fail every job touching text the
    others wrote, one log line at a time.
    """
    cipher = load_cipher(settings.bot.data_dir)
    db.seal_with(cipher)
    try:
        await verify_keys(db)
        return cipher
    except KeysCantRead:
        raise StartupError(
            f"The encryption keys in {key_source(settings.bot.data_dir)} can't read the data already "
            "stored (written with another key). Put the key that wrote it back (newest first, old "
            "after) and run tend rotate-keys."
        ) from None


async def run(settings: Settings, config_path: str) -> None:
    """Run Tend until SIGINT/SIGTERM."""
    if not settings.token:
        raise StartupError(
            "DISCORD_TOKEN is not set. Put the bot token in the environment (never in the file)."
        )
    async with Database.open(settings.database_url) as db, running_scheduler() as scheduler:
        await ensure_schema(db, settings, config_path)
        cipher = await ensure_keys(db, settings)  # before Discord: nothing is half-done when it refuses
        services = build_services(settings, db, scheduler, cipher=cipher)
        bot = TendBot(settings=settings, services=services, extensions=EXTENSIONS)
        # The health endpoint comes up before the gateway, so /livez answers during start-up.
        async with bot, serving_health(bot, settings.bot.health_host, settings.bot.health_port):
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
            await bot.start(settings.token)
    log.info("Tend stopped cleanly")
