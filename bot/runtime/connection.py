"""Connecting a discord.py client and waiting until it is ready, for code that needs it up first."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TypeVar

import discord

ClientT = TypeVar("ClientT", bound=discord.Client)


@contextlib.asynccontextmanager
async def ready_client(client: ClientT, token: str, timeout: float) -> AsyncIterator[ClientT]:
    """``client`` logged in, connected and ready; closed when the block ends.

    Why it couldn't connect (a refused token, no network, a privileged intent) is raised here,
    before the block runs; :class:`TimeoutError` if it isn't ready within ``timeout`` seconds.
    """
    running = asyncio.create_task(client.start(token), name="discord-connection")
    ready = asyncio.create_task(client.wait_until_ready())
    try:
        done, _ = await asyncio.wait({running, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if running in done:
            running.result()  # the reason it stopped
            raise discord.ClientException("the connection closed before it was ready")
        if ready not in done:
            raise TimeoutError(f"not ready within {timeout}s")
        yield client
    finally:
        ready.cancel()
        if not client.is_closed():
            await client.close()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(running, 5)
