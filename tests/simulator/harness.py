"""Connecting a real discord.py client to a simulator."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, TypeVar

import discord
import yarl

if TYPE_CHECKING:
    from .server import DiscordSimulator

ClientT = TypeVar("ClientT", bound=discord.Client)


@contextlib.contextmanager
def point_discord_at(sim: DiscordSimulator) -> Iterator[None]:
    """Make discord.py's REST routes and gateway use the simulator; restores them after."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = sim.api_base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sim.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


@contextlib.asynccontextmanager
async def running_bot(
    sim: DiscordSimulator, client: ClientT, *, timeout: float = 10.0
) -> AsyncIterator[ClientT]:
    """Start ``client`` against ``sim``, wait until discord.py says ready, close it afterwards.

    A start-up failure (bad token, 4014, a crash in ``setup_hook``) is raised here.
    Pass ``guild_ready_timeout`` small (e.g. 0.05) to the client so ``on_ready`` comes fast.
    """
    with point_discord_at(sim):
        task = asyncio.create_task(client.start(sim.token), name="sim-bot")
        ready = asyncio.create_task(client.wait_until_ready())
        try:
            done, _ = await asyncio.wait({task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if task in done:
                task.result()  # raises the start-up error
                raise RuntimeError("the client stopped before it became ready")
            if ready not in done:
                raise TimeoutError(f"the client was not ready within {timeout}s")
            yield client
        finally:
            ready.cancel()
            if not client.is_closed():
                await client.close()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(task, 5)
