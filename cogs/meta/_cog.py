"""/tend: about, doctor, stats and sync, and the weekly digest for the team."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

import bot as tend_package
from bot.domain.errors import NotAllowed
from bot.domain.stats import DIGEST
from bot.runtime.replies import reply_private
from bot.runtime.sync import sync_commands

from ._digest import Digest, next_digest
from ._doctor import doctor_embed, findings_for
from ._stats import PERIODS, stats_message

if TYPE_CHECKING:
    from bot.runtime.core import TendBot

FEATURE_LABELS = {
    "support": "private support threads (/support)",
    "reports": "conduct reports (/report, Report message)",
    "listening": "listening prompts for moderators",
    "distress_watch": "distress watch",
    "followups": "follow-ups and reminders",
    "learning": "learning prompts (/learn)",
}


def _uptime(seconds: float) -> str:
    return str(timedelta(seconds=int(seconds)))


class MetaCog(commands.GroupCog, group_name="tend", group_description="About Tend in this server"):
    def __init__(self, bot: TendBot):
        self.bot = bot
        self.digest = Digest(bot)
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.jobs.register(DIGEST, self.digest.send, every=self.digest.every)
        now = self.bot.jobs.clock()
        await self.bot.jobs.seed(DIGEST, {g.id: next_digest(g, now) for g in self.bot.settings.guilds})

    @app_commands.command(name="about", description="What Tend is and what it does in this server.")
    @app_commands.guild_only()
    async def about(self, interaction: discord.Interaction[TendBot]) -> None:
        guild = self.bot.guild_config(interaction.guild_id)
        embed = discord.Embed(
            title="Tend",
            description=(
                "Tend helps this server's moderators look after people: private support, "
                "safe reports, and follow-ups that don't get forgotten."
            ),
            colour=discord.Colour.from_rgb(88, 129, 87),
        )
        enabled = guild.features.enabled()
        lines = [f"• {FEATURE_LABELS[name]}" for name in enabled] or ["• nothing yet"]
        if guild.features.distress_watch and not self.bot.intents.message_content:
            lines.append("⚠ distress watch is switched on but can't run: the message content intent is off.")
        if guild.features.support and guild.dms.enabled:
            relay = guild.dms.relay
            lines.append(f"• DMs to Tend reach the moderators{' (with the DM relay)' if relay else ''}")
        embed.add_field(name="On in this server", value="\n".join(lines), inline=False)
        embed.add_field(name="Version", value=tend_package.__version__)
        embed.add_field(name="Up for", value=_uptime(self.bot.uptime_seconds))
        embed.set_footer(text="/privacy tells you what Tend stores about you.")
        await reply_private(interaction, embed=embed)

    @app_commands.command(
        name="doctor", description="Moderators: check Tend's channels, roles and permissions here."
    )
    @app_commands.guild_only()
    async def doctor(self, interaction: discord.Interaction[TendBot]) -> None:
        guild = self.bot.require_moderator(interaction)
        # Reads discord.py's cache only (no REST), so it answers well within Discord's 3 seconds.
        await reply_private(interaction, embed=doctor_embed(findings_for(self.bot, guild)))

    @app_commands.command(
        name="stats", description="Moderators: how the compassion loop is going, with a chart."
    )
    @app_commands.describe(period="How far back to look (default: the last week)")
    @app_commands.choices(period=[app_commands.Choice(name=name, value=name) for name in PERIODS])
    @app_commands.guild_only()
    async def stats(self, interaction: discord.Interaction[TendBot], period: str = "week") -> None:
        guild = self.bot.require_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        end = self.bot.cases.clock()
        start = end - timedelta(days=PERIODS.get(period, 7))
        embed, chart = await stats_message(self.bot, guild, start, end, f"Tend stats: the last {period}")
        await reply_private(interaction, embed=embed, file=chart)

    @app_commands.command(
        name="sync", description="Bot owners: push Tend's slash commands to this server now."
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def sync(self, interaction: discord.Interaction[TendBot]) -> None:
        user = interaction.user
        if user.id not in self.bot.settings.bot.owner_ids and not await self.bot.is_owner(user):
            raise NotAllowed("Only Tend's owners (bot.owner_ids in the config) can sync commands.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        synced = await sync_commands(self.bot, force=True)
        await reply_private(interaction, f"Synced commands to {len(synced)} server(s).")
