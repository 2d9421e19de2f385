from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.i18n import _
from bot.domain.text import fit, matches
from bot.runtime.embeds import conduct_embed, resources_embed, rule_choices, rule_embed
from bot.runtime.language import language_of
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
        speak = language_of(interaction)
        if rule is None:
            await reply_private(interaction, embed=conduct_embed(guild, speak))
            return
        found = guild.rule(rule) or next(
            (
                r
                for r in guild.rules
                if rule.casefold() in (t.casefold() for t in (r.title, r.text_in(speak.code)[0]))
            ),
            None,
        )
        if found is None:
            note = speak(
                _(
                    "I couldn't find a rule called “{rule}”, so here is the whole Code of Conduct.",
                    rule=fit(rule, 60),
                )
            )
            await reply_private(interaction, embed=conduct_embed(guild, speak, note=note))
            return
        await reply_private(interaction, embed=rule_embed(found, speak))

    @conduct.autocomplete("rule")
    async def _rule_choices(
        self, interaction: discord.Interaction[TendBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return rule_choices(self.bot.settings.guild(interaction.guild_id), current, language_of(interaction))

    @app_commands.command(
        name="resources", description="Helpful resources this server recommends (only you see them)."
    )
    @app_commands.describe(topic="A topic to narrow the list")
    @app_commands.guild_only()
    async def resources(self, interaction: discord.Interaction[TendBot], topic: str | None = None) -> None:
        guild = self.bot.guild_config(interaction.guild_id)
        speak = language_of(interaction)
        if topic is None:
            await reply_private(interaction, embed=resources_embed(guild.resources, speak))
            return
        found = guild.resource(topic)
        if found is None:
            note = speak(
                _(
                    "I couldn't find the topic “{topic}”, so here is everything this server lists.",
                    topic=fit(topic, 60),
                )
            )
            await reply_private(interaction, embed=resources_embed(guild.resources, speak, note=note))
            return
        await reply_private(
            interaction, embed=resources_embed([found], speak, title=found.text_in(speak.code)[0])
        )

    @resources.autocomplete("topic")
    async def _topic_choices(
        self, interaction: discord.Interaction[TendBot], current: str
    ) -> list[app_commands.Choice[str]]:
        guild = self.bot.settings.guild(interaction.guild_id)
        resources = guild.resources if guild else []
        code = language_of(interaction).code
        return [
            app_commands.Choice(name=fit(r.text_in(code)[0], 100), value=r.topic)
            for r in resources
            if matches(current, r.topic, r.name, r.text_in(code)[0])
        ][:_MAX_CHOICES]
