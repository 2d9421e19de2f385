"""The operator's endpoint: ``/livez``, ``/readyz`` and ``/metrics`` on one small aiohttp server.

* ``/livez`` answers 200 while the process runs (an orchestrator restarts it otherwise);
* ``/readyz`` answers 200 only when every gateway shard of this process is connected and
  the database answers; otherwise 503 with a small JSON body naming what is down;
* ``/metrics`` is the Prometheus page of the bot's own registry (see :mod:`bot.metrics`).

Started by the composition root when ``bot.health_port`` is set. Nothing here reads member
data; the pages carry counts and states only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

if TYPE_CHECKING:
    from bot.runtime.core import TendBot

log = logging.getLogger(__name__)

DATABASE_TIMEOUT = 2.0


@dataclass(frozen=True)
class Readiness:
    """Whether this process can serve people, and, per dependency, what is wrong ("ok" if nothing)."""

    checks: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return all(state == "ok" for state in self.checks.values())

    def as_json(self) -> dict[str, Any]:
        down = [name for name, state in self.checks.items() if state != "ok"]
        return {"ready": self.ready, "down": down, "checks": self.checks}


def gateway_state(bot: TendBot) -> str:
    """ "ok" when the bot is ready and every shard of this process has an open connection."""
    if bot.is_closed():
        return "Tend is shutting down"
    if not bot.is_ready():
        return "not connected to Discord yet"
    shards = bot.shards
    if not shards:
        return "no gateway shard has connected"
    down = sorted(shard_id for shard_id, shard in shards.items() if shard.is_closed())
    if down:
        return f"shard {', '.join(map(str, down))} disconnected from the gateway"
    return "ok"


async def database_state(bot: TendBot, timeout: float = DATABASE_TIMEOUT) -> str:
    try:
        async with asyncio.timeout(timeout):
            answered = await bot.db.ping()
    except TimeoutError:
        return f"the database did not answer within {timeout:g}s"
    return "ok" if answered else "the database did not answer"


async def readiness(bot: TendBot, *, database_timeout: float = DATABASE_TIMEOUT) -> Readiness:
    return Readiness({"gateway": gateway_state(bot), "database": await database_state(bot, database_timeout)})


class HealthServer:
    """The aiohttp app; :func:`serving_health` starts and stops it."""

    def __init__(self, bot: TendBot, *, database_timeout: float = DATABASE_TIMEOUT):
        self.bot = bot
        self.database_timeout = database_timeout
        self.app = web.Application()
        self.app.router.add_get("/livez", self.livez)
        self.app.router.add_get("/readyz", self.readyz)
        self.app.router.add_get("/metrics", self.metrics)
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self, host: str, port: int) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server  # the bound port, when asked for port 0 (tests)
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port
        log.info("health and metrics endpoint on http://%s:%d (/livez, /readyz, /metrics)", host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def livez(self, _request: web.Request) -> web.Response:
        return web.json_response({"alive": True})

    async def readyz(self, _request: web.Request) -> web.Response:
        state = await readiness(self.bot, database_timeout=self.database_timeout)
        return web.json_response(state.as_json(), status=200 if state.ready else 503)

    async def metrics(self, _request: web.Request) -> web.Response:
        bot, metrics = self.bot, self.bot.metrics
        for shard_id, shard in bot.shards.items():
            metrics.gateway_connected.labels(shard=str(shard_id)).set(0 if shard.is_closed() else 1)
        await metrics.refresh_from_database(
            bot.db,
            bot.jobs.ownership.owns,
            now=bot.jobs.clock(),
            late_after=bot.jobs.late_after,
            timeout=self.database_timeout,
        )
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})


@contextlib.asynccontextmanager
async def serving_health(bot: TendBot, host: str, port: int) -> AsyncIterator[HealthServer | None]:
    """Serve the endpoint for the duration of the block; yields None when ``port`` is 0 (off)."""
    if not port:
        yield None
        return
    server = HealthServer(bot)
    await server.start(host, port)
    try:
        yield server
    finally:
        await server.stop()
