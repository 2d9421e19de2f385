"""The composition root: settings in, every long-lived resource opened here and passed down."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from .config import Settings
from .core import TendBot
from .crypto import load_cipher
from .db import Database
from .health import serving_health
from .migrate import MIGRATE_HINT, schema_state, upgrade
from .services import build_services

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


async def run(settings: Settings, config_path: str) -> None:
    """Run Tend until SIGINT/SIGTERM."""
    if not settings.token:
        raise StartupError(
            "DISCORD_TOKEN is not set. Put the bot token in the environment (never in the file)."
        )
    async with Database.open(settings.database_url) as db, running_scheduler() as scheduler:
        await ensure_schema(db, settings, config_path)
        bot = TendBot(settings=settings, services=build_services(settings, db, scheduler))
        # The health endpoint comes up before the gateway, so /livez answers during start-up.
        async with bot, serving_health(bot, settings.bot.health_host, settings.bot.health_port):
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
            await bot.start(settings.token)
    log.info("Tend stopped cleanly")
