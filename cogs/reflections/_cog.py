"""/reflections: a moderator's own reflections, to read and delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from ._views import DeleteReflection, ReflectButton, ReflectionModal, show_reflections

if TYPE_CHECKING:
    from bot.runtime.core import TendBot


class ReflectionsCog(commands.Cog):
    def __init__(self, bot: TendBot):
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ReflectButton, DeleteReflection)
        self.bot.modals.register(ReflectionModal)

    @app_commands.command(
        name="reflections", description="Moderators: read or delete your private reflections."
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_messages=True)
    async def reflections(self, interaction: discord.Interaction[TendBot]) -> None:
        await show_reflections(self.bot, interaction)
