"""Appeals: noticing timeouts, /appeal on the appeals server, and the appeal card's wiring."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.authority import snowflake
from bot.domain.cases.appeals import APPEAL_APPLY, APPEAL_OFFER, APPEAL_TELL
from bot.domain.i18n import _
from bot.domain.text import matches
from bot.runtime.language import language_of

from ._jobs import AppealJobs
from ._kind import ITEMS as CARD_ITEMS
from ._kind import MODALS as CARD_MODALS
from ._kind import AppealKind
from ._member import ITEMS as MEMBER_ITEMS
from ._member import MODALS as MEMBER_MODALS
from ._member import BanAppealModal, appealable, server_name

if TYPE_CHECKING:
    from bot.runtime.core import TendBot

log = logging.getLogger(__name__)


class AppealsCog(commands.Cog):
    def __init__(self, bot: TendBot):
        self.bot = bot
        self.jobs = AppealJobs(bot)

    async def cog_load(self) -> None:
        self.bot.kinds.register(AppealKind())
        self.bot.add_dynamic_items(*CARD_ITEMS, *MEMBER_ITEMS)
        self.bot.modals.register(*CARD_MODALS, *MEMBER_MODALS)
        self.bot.jobs.register(APPEAL_OFFER, self.jobs.offer)
        self.bot.jobs.register(APPEAL_APPLY, self.jobs.apply)
        self.bot.jobs.register(APPEAL_TELL, self.jobs.tell)

    @commands.Cog.listener()
    async def on_tend_member_update(self, data: dict[str, Any]) -> None:
        """A member update (needs the members intent): a timeout set in a server that offers reviews."""
        guild = self.bot.settings.guild(snowflake(data.get("guild_id")))
        user = data.get("user") or {}
        if guild is None or not guild.appeals.timeouts or user.get("bot"):
            return
        raw = data.get("communication_disabled_until")
        until = discord.utils.parse_time(raw) if raw else None
        await self.bot.appeals.timed_out(guild.id, snowflake(user.get("id")), until)

    @app_commands.command(
        name="appeal",
        description="Ask a server that removed you to review its decision.",
        extras={"appeals_server": True},
    )
    @app_commands.describe(server="The server you were removed from")
    @app_commands.guild_only()
    async def appeal(self, interaction: discord.Interaction[TendBot], server: str) -> None:
        source = appealable(self.bot, interaction.guild_id, snowflake(server))
        # The form first (Discord's rule); the ban is checked with Discord when it is sent.
        speak = language_of(interaction)
        title = speak(_("A review in {server}", server=server_name(self.bot, source)))
        await self.bot.modals.open(interaction, BanAppealModal(source.id, title, speak))

    @appeal.autocomplete("server")
    async def _servers(
        self, interaction: discord.Interaction[TendBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=server_name(self.bot, g)[:100], value=str(g.id))
            for g in self.bot.settings.appealed_from(interaction.guild_id)
            if matches(current, server_name(self.bot, g))
        ][:25]
