"""Tend's connection while ``tend setup`` runs: the servers it is in, their roles and channels.

The gateway (Guilds intent only, nothing privileged) keeps discord.py's cache of each server
live, so the check at the end is exactly ``/tend doctor``'s, on the same objects, and a server
Tend joins while setup waits arrives as an event.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import discord

from bot.domain.config import BotSettings
from bot.runtime.connection import ready_client
from bot.runtime.core import configure_discord_endpoints

READY_TIMEOUT = 60.0


class SetupClient(discord.AutoShardedClient):
    def __init__(self) -> None:
        super().__init__(
            intents=discord.Intents(guilds=True),
            chunk_guilds_at_startup=False,
            guild_ready_timeout=1.0,
            enable_debug_events=False,
        )

    async def wait_for_a_server(self) -> discord.Guild:
        """The next server Tend joins (after the owner follows the invite link)."""
        guild: discord.Guild = await self.wait_for("guild_join")
        return guild

    async def channel_arrived(self, guild: discord.Guild, channel_id: int, timeout: float = 10.0) -> None:
        """Wait until the gateway has told the cache about a channel Tend just made."""
        if guild.get_channel(channel_id) is None:  # no await between this look and the wait: no race
            await self.wait_for("guild_channel_create", check=lambda c: c.id == channel_id, timeout=timeout)


@contextlib.asynccontextmanager
async def connected(token: str, bot_settings: BotSettings) -> AsyncIterator[SetupClient]:
    """Log in and connect; failures (a bad token, no network) are raised here, before any question."""
    configure_discord_endpoints(bot_settings)
    async with ready_client(SetupClient(), token, READY_TIMEOUT) as client:
        yield client
