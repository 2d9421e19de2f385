from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.text import fit, matches
from bot.runtime.embeds import conduct_embed, resources_embed, rule_embed
from bot.runtime.replies import reply_private

if TYPE_CHECKING:
    from bot.runtime.core import TendBot

_MAX_CHOICES = 25


class ConductCog(commands.Cog):
    def __init__(self, bot: TendBot):
        self.bot = bot

    @app_commands.command(name="conduct", description="Read this server's Code of Conduct (only you see it).")
    @app_commands.describe(rule="One rule to read in full")
    @app_commands.guild_only()
    async def conduct(self, interaction: discord.Interaction[TendBot], rule: str | None = None) -> None:
        guild = self.bot.guild_config(interaction.guild_id)
        if rule is None:
            await reply_private(interaction, embed=conduct_embed(guild))
            return
        found = guild.rule(rule) or next(
            (r for r in guild.rules if r.title.casefold() == rule.casefold()), None
        )
        if found is None:
            note = f"I couldn't find a rule called “{fit(rule, 60)}”, so here is the whole Code of Conduct."
            await reply_private(interaction, embed=conduct_embed(guild, note=note))
            return
        await reply_private(interaction, embed=rule_embed(found))

    @conduct.autocomplete("rule")
    async def _rule_choices(
        self, interaction: discord.Interaction[TendBot], current: str
    ) -> list[app_commands.Choice[str]]:
        guild = self.bot.settings.guild(interaction.guild_id)
        rules = guild.rules if guild else []
        return [
            app_commands.Choice(name=fit(r.title, 100), value=r.id)
            for r in rules
            if matches(current, r.id, r.title)
        ][:_MAX_CHOICES]

    @app_commands.command(
        name="resources", description="Helpful resources this server recommends (only you see them)."
    )
    @app_commands.describe(topic="A topic to narrow the list")
    @app_commands.guild_only()
    async def resources(self, interaction: discord.Interaction[TendBot], topic: str | None = None) -> None:
        guild = self.bot.guild_config(interaction.guild_id)
        if topic is None:
            await reply_private(interaction, embed=resources_embed(guild.resources))
            return
        found = guild.resource(topic)
        if found is None:
            note = f"I couldn't find the topic “{fit(topic, 60)}”, so here is everything this server lists."
            await reply_private(interaction, embed=resources_embed(guild.resources, note=note))
            return
        await reply_private(interaction, embed=resources_embed([found], title=found.name))

    @resources.autocomplete("topic")
    async def _topic_choices(
        self, interaction: discord.Interaction[TendBot], current: str
    ) -> list[app_commands.Choice[str]]:
        guild = self.bot.settings.guild(interaction.guild_id)
        resources = guild.resources if guild else []
        return [
            app_commands.Choice(name=fit(r.name, 100), value=r.topic)
            for r in resources
            if matches(current, r.topic, r.name)
        ][:_MAX_CHOICES]
