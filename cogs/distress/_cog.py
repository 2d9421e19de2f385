"""The distress watch: opt-in per server and channel, it notices messages that sound like
someone is struggling and puts a quiet card in the queue. Never a public reply."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.domain.guidance import match_distress

from ._kind import ITEMS, DistressKind

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.runtime.core import TendBot

log = logging.getLogger(__name__)


class DistressCog(commands.Cog):
    def __init__(self, bot: TendBot):
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.kinds.register(DistressKind())
        self.bot.add_dynamic_items(*ITEMS)

    def watches(self, guild: GuildConfig | None, channel: discord.abc.GuildChannel | discord.Thread) -> bool:
        if guild is None or not guild.features.distress_watch or not self.bot.intents.message_content:
            return False
        watched = set(guild.listening.distress_channels)
        return channel.id in watched or getattr(channel, "parent_id", None) in watched

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A quiet card, never a public reply, when a message sounds like someone is struggling."""
        if message.author.bot or message.guild is None or not message.content:
            return
        guild = self.bot.settings.guild(message.guild.id)
        if guild is None or not self.watches(guild, message.channel):  # type: ignore[arg-type]
            return
        signal = match_distress(message.content, self.bot.signals(guild.id))
        if signal is None:
            return
        # The member's cooldown and the channel's hourly cap are counted in the database.
        case = await self.bot.distress.notice(
            guild_id=guild.id,
            member_id=message.author.id,
            category=signal.category,
            channel_id=message.channel.id,
            message_id=message.id,
            jump_url=message.jump_url,
            member_cooldown=timedelta(hours=guild.listening.member_cooldown_hours),
            channel_cards_per_hour=guild.listening.channel_cards_per_hour,
        )
        if case is not None:
            log.info("distress notice opened", extra={"guild_id": guild.id, "case_id": case.id})
