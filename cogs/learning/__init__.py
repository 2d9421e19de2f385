"""/learn: short learning prompts for moderators and members alike."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.guidance import LearningTopic
from bot.domain.i18n import Language, _
from bot.domain.text import fit, matches
from bot.runtime.language import language_of
from bot.runtime.replies import reply_private

if TYPE_CHECKING:
    from bot.runtime.core import TendBot

_COLOUR = discord.Colour.from_rgb(120, 94, 160)


def topic_embed(topic: LearningTopic, speak: Language) -> discord.Embed:
    embed = discord.Embed(title=topic.title, description=topic.summary, colour=_COLOUR)
    embed.add_field(
        name=speak(_("In a community like this one")), value=fit(topic.in_community, 1024), inline=False
    )
    embed.add_field(
        name=speak(_("Try this")), value=fit("\n".join(f"• {t}" for t in topic.try_this), 1024), inline=False
    )
    embed.add_field(name=speak(_("To sit with")), value=fit(topic.reflect, 1024), inline=False)
    if topic.read_more:
        embed.add_field(
            name=speak(_("Read more")),
            value=fit("\n".join(f"• {r}" for r in topic.read_more), 1024),
            inline=False,
        )
    return embed


class LearningCog(commands.Cog):
    def __init__(self, bot: TendBot):
        self.bot = bot

    @app_commands.command(
        name="learn", description="A short learning prompt (only you see it).", extras={"feature": "learning"}
    )
    @app_commands.describe(topic="What to learn about")
    @app_commands.guild_only()
    async def learn(self, interaction: discord.Interaction[TendBot], topic: str | None = None) -> None:
        library = self.bot.prompts(interaction.guild_id)
        speak = language_of(interaction)
        found = library.learning(topic, speak.code) if topic else None
        if found is not None:
            await reply_private(interaction, embed=topic_embed(found, speak))
            return
        lines = "\n".join(f"• **{title}** (`{key}`)" for key, title in library.learning_topics(speak.code))
        note = speak(_("I don't have a topic called “{topic}”.", topic=fit(topic, 60))) + " " if topic else ""
        pick = speak(_("Pick one with `/learn topic:`"))
        embed = discord.Embed(
            title=speak(_("Learning prompts")), description=f"{note}{pick}\n\n{lines}", colour=_COLOUR
        )
        await reply_private(interaction, embed=embed)

    @learn.autocomplete("topic")
    async def _topics(
        self, interaction: discord.Interaction[TendBot], current: str
    ) -> list[app_commands.Choice[str]]:
        topics = self.bot.prompts(interaction.guild_id).learning_topics(language_of(interaction).code)
        return [
            app_commands.Choice(name=title, value=key)
            for key, title in topics
            if matches(current, key, title)
        ][:25]


async def setup(bot: TendBot) -> None:
    await bot.add_cog(LearningCog(bot))
