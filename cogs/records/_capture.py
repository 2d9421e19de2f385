"""Hearing case threads: which gateway events are about a case thread, and what to keep."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

if TYPE_CHECKING:
    from bot.runtime.core import TendBot


def in_case_threads(bot: TendBot, guild_id: int | None, channel: object) -> bool:
    """Whether a channel is a thread Tend made in a configured server's support channel (every
    case thread is one). Cheap: config and cache only."""
    if guild_id is None or not isinstance(channel, discord.Thread):
        return False
    guild = bot.settings.guild(guild_id)
    if guild is None or channel.parent_id != guild.channels.support:
        return False
    return bot.user is None or channel.owner_id in (None, bot.user.id)
