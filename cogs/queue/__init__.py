"""The moderator queue: one card per case, what every card shares, and /cases.

Support requests, reports and distress notices (and any kind a feature registers with
``bot.kinds``) all pass through here: one mechanism, several kinds of case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.cases.kinds import CARD_SYNC, CASE_NOTICE
from bot.runtime.language import language_of
from bot.runtime.replies import reply_private

from ._buttons import ITEMS
from ._jobs import CaseJobs
from ._mine import cases_embed, open_cases

if TYPE_CHECKING:
    from bot.runtime.core import TendBot


class QueueCog(commands.Cog):
    def __init__(self, bot: TendBot):
        self.bot = bot
        self.jobs = CaseJobs(bot)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*ITEMS)
        self.bot.jobs.register(CARD_SYNC, self.jobs.sync_card)
        self.bot.jobs.register(CASE_NOTICE, self.jobs.notice)

    @app_commands.command(name="cases", description="Moderators: your open cases, oldest first.")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_messages=True)
    async def cases(self, interaction: discord.Interaction[TendBot]) -> None:
        guild = self.bot.require_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self.bot.db.read() as session:
            found = await open_cases(session, guild.id)
        await reply_private(
            interaction, embed=cases_embed(interaction.user.id, found, language_of(interaction))
        )


async def setup(bot: TendBot) -> None:
    await bot.add_cog(QueueCog(bot))
