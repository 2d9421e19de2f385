"""The Listening prompt: private guidance for replying to a message, with one-click next steps."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.errors import InvalidInput
from bot.domain.guidance import match_distress, render_prompt_text
from bot.domain.i18n import _
from bot.domain.text import quote
from bot.runtime.language import language_of
from bot.runtime.replies import reply_private

from ._views import DYNAMIC_ITEMS, listen_buttons

if TYPE_CHECKING:
    from bot.runtime.core import TendBot

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

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.listening_menu)
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.listening_menu.name, type=self.listening_menu.type)

    # -- the Listening prompt -----------------------------------------------------------

    async def listening_prompt(
        self, interaction: discord.Interaction[TendBot], message: discord.Message
    ) -> None:
        guild = self.bot.require_moderator(interaction)
        speak = language_of(interaction)
        if message.author.bot:
            raise InvalidInput(
                _("That message is from a bot; the listening prompt is for replying to people.")
            )
        library = self.bot.prompts(guild.id)
        signal = match_distress(message.content, self.bot.signals(guild.id)) if message.content else None
        prompt = library.distress_prompt(signal.category) if signal else library.prompt("listening")
        embed = discord.Embed(title=prompt.title, description=render_prompt_text(prompt), colour=_COLOUR)
        if message.content:
            embed.add_field(
                name=speak(_("Replying to")),
                value=f"{quote(message.content, _EXCERPT)}\n[jump]({message.jump_url})",
                inline=False,
            )
        embed.set_footer(text=speak(_("Only you can see this. The member never sees these prompts.")))
        view = listen_buttons(message.author.id, message.channel.id, message.id)
        await reply_private(interaction, embed=embed, view=view)
