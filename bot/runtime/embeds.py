"""Embeds members read: the Code of Conduct, one rule, the resources (shared by every feature)."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.domain.config import GuildConfig, Resource, Rule
from bot.domain.text import fit, matches

CONDUCT_COLOUR = discord.Colour.from_rgb(88, 129, 87)
_EMBED_BUDGET = 5800  # Discord allows 6000 characters across a message's embeds
_DESCRIPTION_LIMIT = 4096
_SUMMARY_LIMIT = 280


def rule_embed(rule: Rule) -> discord.Embed:
    embed = discord.Embed(title=rule.title, description=rule.text, colour=CONDUCT_COLOUR)
    embed.set_footer(text=f"Rule: {rule.id}")
    return embed


def conduct_embed(guild: GuildConfig, note: str | None = None) -> discord.Embed:
    if not guild.rules:
        text = "This server hasn't written its Code of Conduct into Tend yet. The moderators can help: try `/support`."
        return discord.Embed(title="Code of Conduct", description=text, colour=CONDUCT_COLOUR)
    lines = [f"**{rule.title}** (`{rule.id}`)\n{fit(rule.text, _SUMMARY_LIMIT)}" for rule in guild.rules]
    body = "\n\n".join(lines)
    if note:
        body = f"{note}\n\n{body}"
    embed = discord.Embed(
        title="Code of Conduct", description=fit(body, _DESCRIPTION_LIMIT), colour=CONDUCT_COLOUR
    )
    embed.set_footer(text="/conduct rule:<name> shows one rule in full.")
    return embed


def resource_line(resource: Resource) -> str:
    name = f"[{resource.name}]({resource.url})" if resource.url else f"**{resource.name}**"
    return f"{name}\n{resource.description}"


def resources_embed(
    resources: list[Resource], title: str = "Resources", note: str | None = None
) -> discord.Embed:
    if not resources:
        text = "This server hasn't listed any resources in Tend yet. The moderators can help: try `/support`."
        return discord.Embed(title=title, description=text, colour=CONDUCT_COLOUR)
    body = "\n\n".join(resource_line(r) for r in resources)
    if note:
        body = f"{note}\n\n{body}"
    return discord.Embed(title=title, description=fit(body, _DESCRIPTION_LIMIT), colour=CONDUCT_COLOUR)


def rule_choices(guild: GuildConfig | None, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete over the Code of Conduct, by id or title."""
    rules = guild.rules if guild else []
    return [
        app_commands.Choice(name=fit(r.title, 100), value=r.id)
        for r in rules
        if matches(current, r.id, r.title)
    ][:25]
