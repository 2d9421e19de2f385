"""Embeds members read: the Code of Conduct, one rule, the resources (shared by every feature)."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.domain.config import GuildConfig, Resource, Rule
from bot.domain.i18n import Language, _
from bot.domain.text import fit, matches

CONDUCT_COLOUR = discord.Colour.from_rgb(88, 129, 87)
_EMBED_BUDGET = 5800  # Discord allows 6000 characters across a message's embeds
_DESCRIPTION_LIMIT = 4096
_SUMMARY_LIMIT = 280
NO_RESOURCES = _(
    "This server hasn't listed any resources in Tend yet. The moderators can help: try `/support`."
)


def rule_embed(rule: Rule, speak: Language) -> discord.Embed:
    title, text = rule.text_in(speak.code)
    embed = discord.Embed(title=title, description=text, colour=CONDUCT_COLOUR)
    embed.set_footer(text=speak(_("Rule: {rule}", rule=rule.id)))
    return embed


def conduct_embed(guild: GuildConfig, speak: Language, note: str | None = None) -> discord.Embed:
    heading = speak(_("Code of Conduct"))
    if not guild.rules:
        text = speak(
            _(
                "This server hasn't written its Code of Conduct into Tend yet. The moderators can help: try `/support`."
            )
        )
        return discord.Embed(title=heading, description=text, colour=CONDUCT_COLOUR)
    lines = []
    for rule in guild.rules:
        title, text = rule.text_in(speak.code)
        lines.append(f"**{title}** (`{rule.id}`)\n{fit(text, _SUMMARY_LIMIT)}")
    body = "\n\n".join(lines)
    if note:
        body = f"{note}\n\n{body}"
    embed = discord.Embed(title=heading, description=fit(body, _DESCRIPTION_LIMIT), colour=CONDUCT_COLOUR)
    embed.set_footer(text=speak(_("/conduct rule:<name> shows one rule in full.")))
    return embed


def resource_line(resource: Resource, speak: Language) -> str:
    name, description = resource.text_in(speak.code)
    shown = f"[{name}]({resource.url})" if resource.url else f"**{name}**"
    return f"{shown}\n{description}"


def resources_embed(
    resources: list[Resource], speak: Language, title: str | None = None, note: str | None = None
) -> discord.Embed:
    title = title or speak(_("Resources"))
    if not resources:
        return discord.Embed(title=title, description=speak(NO_RESOURCES), colour=CONDUCT_COLOUR)
    body = "\n\n".join(resource_line(r, speak) for r in resources)
    if note:
        body = f"{note}\n\n{body}"
    return discord.Embed(title=title, description=fit(body, _DESCRIPTION_LIMIT), colour=CONDUCT_COLOUR)


def rule_choices(guild: GuildConfig | None, current: str, speak: Language) -> list[app_commands.Choice[str]]:
    """Autocomplete over the Code of Conduct, by id or title (in the member's language too)."""
    rules = guild.rules if guild else []
    choices = []
    for rule in rules:
        title, _text = rule.text_in(speak.code)
        if matches(current, rule.id, rule.title, title):
            choices.append(app_commands.Choice(name=fit(title, 100), value=rule.id))
    return choices[:25]
