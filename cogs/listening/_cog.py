from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.errors import InvalidInput
from bot.domain.guidance import DistressSignals, load_signals, match_distress, render_prompt_text
from bot.domain.text import quote
from bot.runtime.replies import reply_private

from ._reflection import DeleteReflection, ReflectButton, ReflectionModal, show_reflections
from ._views import DYNAMIC_ITEMS, listen_buttons

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.runtime.core import TendBot

log = logging.getLogger(__name__)
_COLOUR = discord.Colour.blue()
_EXCERPT = 300


class ListeningCog(commands.Cog):
    def __init__(self, bot: TendBot):
        self.bot = bot
        self.listening_menu = app_commands.ContextMenu(
            name="Listening prompt", callback=self.listening_prompt, extras={"feature": "listening"}
        )
        self.listening_menu.guild_only = True
        self.listening_menu.default_permissions = discord.Permissions(manage_messages=True)
        # In memory, safe to lose: each guild's compiled signals, rebuilt from the config on use.
        self._signals: dict[int, DistressSignals] = {}

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.listening_menu)
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS, ReflectButton, DeleteReflection)
        self.bot.modals.register(ReflectionModal)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.listening_menu.name, type=self.listening_menu.type)

    # -- the Listening prompt -----------------------------------------------------------

    async def listening_prompt(
        self, interaction: discord.Interaction[TendBot], message: discord.Message
    ) -> None:
        guild = self.bot.require_moderator(interaction)
        if message.author.bot:
            raise InvalidInput("That message is from a bot; the listening prompt is for replying to people.")
        library = self.bot.prompts(guild.id)
        signal = match_distress(message.content, self.signals(guild)) if message.content else None
        prompt = library.distress_prompt(signal.category) if signal else library.prompt("listening")
        embed = discord.Embed(title=prompt.title, description=render_prompt_text(prompt), colour=_COLOUR)
        if message.content:
            embed.add_field(
                name="Replying to",
                value=f"{quote(message.content, _EXCERPT)}\n[jump]({message.jump_url})",
                inline=False,
            )
        embed.set_footer(text="Only you can see this. The member never sees these prompts.")
        view = listen_buttons(message.author.id, message.channel.id, message.id)
        await reply_private(interaction, embed=embed, view=view)

    # -- the distress watch -------------------------------------------------------------

    def signals(self, guild: GuildConfig) -> DistressSignals:
        if guild.id not in self._signals:
            self._signals[guild.id] = load_signals(guild.listening.signals or None)
        return self._signals[guild.id]

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
        signal = match_distress(message.content, self.signals(guild))
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

    # -- reflections ----------------------------------------------------------------------

    @app_commands.command(
        name="reflections", description="Moderators: read or delete your private reflections."
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_messages=True)
    async def reflections(self, interaction: discord.Interaction[TendBot]) -> None:
        await show_reflections(self.bot, interaction)
