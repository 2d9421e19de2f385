"""The bot side of a benchmark, in its own process so its CPU time is measured alone.

    python -m benchmarks._bots tend  settings.json    # the real Tend
    python -m benchmarks._bots floor settings.json    # a bare discord.py bot with one static /conduct

Reads commands on stdin, one per line, and answers each on stdout:
``cpu`` → this process's CPU seconds so far (``time.process_time``); ``rss`` → its resident
memory in bytes (after a garbage collection); ``db`` → SQL statements and write transactions
so far (``0 0`` for the floor); ``idle`` → ``idle`` once Tend has no scheduled job in flight.
Prints ``ready`` when the gateway is ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import gc
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import discord
import yarl
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord import app_commands
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.config import parse_settings
from bot.domain.services import build_services
from bot.infra.crypto import Cipher
from bot.infra.db import Database
from bot.infra.migrate import upgrade
from bot.runtime.core import TendBot
from cogs import EXTENSIONS


def resident_bytes() -> int:
    """This process's resident set size, from /proc (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class SqlCounter:
    """Counts the SQL statements an engine runs and the transactions that wrote something."""

    def __init__(self, engine: AsyncEngine | None = None):
        self.statements = self.writes = 0
        # BENCH_SQL_LOG=/tmp/sql.log: every statement's text, one a line (which ones a flow runs).
        log_to = os.environ.get("BENCH_SQL_LOG")
        self._log = open(log_to, "a") if log_to else None  # noqa: SIM115 (open for the process's life)
        if engine is not None:
            sync = engine.sync_engine
            event.listen(sync, "before_cursor_execute", self._statement)
            event.listen(sync, "commit", self._commit)
            event.listen(sync, "rollback", self._rollback)

    def _statement(self, connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.statements += 1
        if self._log is not None:
            self._log.write(" ".join(statement.split())[:300] + "\n")
        if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            connection.info["tend_bench_wrote"] = True

    def _commit(self, connection: Any) -> None:
        if connection.info.pop("tend_bench_wrote", False):
            self.writes += 1

    def _rollback(self, connection: Any) -> None:
        connection.info.pop("tend_bench_wrote", None)


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class FloorBot(discord.Client):
    """The floor: what any discord.py bot pays to answer one slash command with a static reply."""

    def __init__(self, guild_id: int):
        super().__init__(intents=discord.Intents(guilds=True), guild_ready_timeout=0.05)
        self.tree = app_commands.CommandTree(self)
        self.guild_id = guild_id

        @self.tree.command(name="conduct", description="The Code of Conduct", guild=discord.Object(guild_id))
        async def conduct(interaction: discord.Interaction[Any]) -> None:
            await interaction.response.send_message("Be kind to each other.", ephemeral=True)

    async def setup_hook(self) -> None:
        await self.tree.sync(guild=discord.Object(self.guild_id))


async def serve_commands(idle: Any, sql: SqlCounter) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().strip():
        if line == "cpu":
            say(f"{time.process_time():.6f}")
        elif line == "rss":
            gc.collect()
            say(str(resident_bytes()))
        elif line == "db":
            say(f"{sql.statements} {sql.writes}")
        elif line == "idle":
            try:
                await asyncio.wait_for(idle(), 120)
                say("idle")
            except TimeoutError:
                say("busy")


async def run_until_stdin_closes(
    client: discord.Client, token: str, idle: Any, sql: SqlCounter | None = None
) -> None:
    task = asyncio.create_task(client.start(token))
    while not client.is_ready():
        if task.done():
            task.result()
            raise RuntimeError("the bot stopped before it was ready")
        await asyncio.sleep(0.01)
    say("ready")
    try:
        await serve_commands(idle, sql or SqlCounter())
    finally:
        await client.close()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(task, 5)


async def main(kind: str, data: dict[str, Any]) -> None:
    token = data.pop("token")
    if kind == "floor":
        discord.http.Route.BASE = data["bot"]["api_base_url"]
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(data["bot"]["gateway_url"])
        floor = FloorBot(data["guilds"][0]["id"])

        async def nothing() -> None:
            return None

        await run_until_stdin_closes(floor, token, nothing)
        return
    settings = parse_settings(data, {"DISCORD_TOKEN": token})
    async with Database.open(settings.database_url) as db:
        await upgrade(db.engine)
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.start()
        services = build_services(settings, db, scheduler, cipher=Cipher([Cipher.generate_key()]))
        tend = TendBot(settings=settings, services=services, extensions=EXTENSIONS, guild_ready_timeout=0.05)
        await run_until_stdin_closes(tend, token, tend.jobs.wait_idle, SqlCounter(db.engine))
        scheduler.shutdown(wait=False)


if __name__ == "__main__":
    # Both bots log warnings only, so neither pays for log lines the other doesn't write.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    settings = json.loads(Path(sys.argv[2]).read_text())
    profile_to = os.environ.get("BENCH_PROFILE")  # cProfile the bot process: where does its time go?
    if profile_to:
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            asyncio.run(main(sys.argv[1], settings))
        finally:
            profiler.disable()
            profiler.dump_stats(f"{profile_to}.{sys.argv[1]}.prof")
    else:
        asyncio.run(main(sys.argv[1], settings))
