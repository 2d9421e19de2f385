"""Syncing slash commands to the configured guilds, only when they have changed.

Each guild gets the commands of the features it has switched on. The payload is hashed
and the hash kept in the database, so a restart with nothing new makes no sync call
(Discord rate-limits command syncs hard).
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

import discord
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import CommandSync

if TYPE_CHECKING:
    from bot.runtime.core import TendBot

log = logging.getLogger(__name__)


async def commands_for_guild(bot: TendBot, guild_id: int) -> list[dict[str, Any]]:
    """Put the guild's share of the global command set in the tree; return the payload.

    The payload is the one Discord receives, translations included: a changed translation
    changes its hash, so the next start syncs it.
    """
    from bot.runtime.core import feature_of

    config = bot.guild_config(guild_id)
    target = discord.Object(guild_id)
    bot.tree.clear_commands(guild=target)
    appeals_server = bool(bot.settings.appealed_from(guild_id))
    for command in bot.tree.get_commands():
        feature = feature_of(command)
        extras = getattr(command, "extras", None) or {}
        if extras.get("appeals_server") and not appeals_server:
            continue  # /appeal only where another server sends its removed members
        if feature is None or getattr(config.features, feature):
            bot.tree.add_command(command, guild=target, override=True)
    translator = bot.tree.translator
    commands = bot.tree.get_commands(guild=target)
    if translator is None:
        return [command.to_dict(bot.tree) for command in commands]
    return [await command.get_translated_payload(bot.tree, translator) for command in commands]


def _hash(payload: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


async def _remember(bot: TendBot, guild_id: int, digest: str) -> None:
    async def store(session: AsyncSession) -> None:
        row = await session.get(CommandSync, guild_id)
        now = bot.jobs.clock()
        if row is None:
            session.add(CommandSync(guild_id=guild_id, payload_hash=digest, synced_at=now))
        else:
            row.payload_hash, row.synced_at = digest, now

    await bot.db.write(store)


async def sync_commands(bot: TendBot, *, force: bool = False) -> list[int]:
    """Sync each configured guild on this process's shards; returns the guild ids synced."""
    policy = bot.settings.bot.command_sync
    synced: list[int] = []
    for guild in bot.settings.guilds:
        if not bot.handles_guild(guild.id):
            continue
        payload = await commands_for_guild(bot, guild.id)
        if policy == "never" and not force:
            continue
        digest = _hash(payload)
        async with bot.db.read() as session:
            previous = await session.scalar(
                select(CommandSync.payload_hash).where(CommandSync.guild_id == guild.id)
            )
        if previous == digest and policy == "auto" and not force:
            continue
        await bot.tree.sync(guild=discord.Object(guild.id))

        await _remember(bot, guild.id, digest)
        synced.append(guild.id)
        log.info("synced %d commands", len(payload), extra={"guild_id": guild.id})
    return synced
