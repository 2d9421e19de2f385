"""The config check, for people: ``/tend doctor``'s embed, and the same check logged at start."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.domain.text import fit
from bot.runtime.doctor import ALL_GOOD, Finding, check_guild

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.runtime.core import TendBot

log = logging.getLogger(__name__)

MAX_FIELDS = 25
ICONS = {"problem": "✖", "warning": "⚠"}


def findings_for(bot: TendBot, config: GuildConfig) -> list[Finding]:
    return check_guild(
        config,
        bot.get_guild(config.id),
        message_content_intent=bot.intents.message_content,
        members_intent=bot.intents.members,
    )


def doctor_embed(findings: list[Finding]) -> discord.Embed:
    if not findings:
        return discord.Embed(title="Tend doctor", description=ALL_GOOD, colour=discord.Colour.green())
    problems = sum(1 for f in findings if f.severity == "problem")
    warnings = len(findings) - problems
    summary = [f"{problems} problem(s)"] if problems else []
    summary += [f"{warnings} warning(s)"] if warnings else []
    embed = discord.Embed(
        title="Tend doctor",
        description=f"{' and '.join(summary)} in this server's setup. Fix them, then run `/tend doctor` again.",
        colour=discord.Colour.red() if problems else discord.Colour.gold(),
    )
    shown = findings[:MAX_FIELDS]
    for finding in shown:
        embed.add_field(
            name=fit(f"{ICONS[finding.severity]} {finding.what}", 256),
            value=fit(f"**Affects:** {finding.affects}\n**Fix:** {finding.fix}", 1024),
            inline=False,
        )
    if len(findings) > len(shown):
        embed.set_footer(text=f"{len(findings) - len(shown)} more not shown; fix these first.")
    return embed


class StartupCheck(commands.Cog):
    """Logs every problem in each server's setup once, when the gateway is first ready."""

    def __init__(self, bot: TendBot):
        self.bot = bot
        # In memory, safe to lose: the check is logged once per process, again after a restart.
        self._done = False

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        if self._done:  # on_ready comes again after reconnects
            return
        self._done = True
        for config in self.bot.settings.guilds:
            if not self.bot.handles_guild(config.id):
                continue
            findings = findings_for(self.bot, config)
            context = {"guild_id": config.id}
            if not findings:
                log.info("config check: all good", extra=context)
            for finding in findings:
                level = logging.WARNING if finding.severity == "problem" else logging.INFO
                log.log(
                    level,
                    "config check: %s Affects: %s. Fix: %s",
                    finding.what,
                    finding.affects,
                    finding.fix,
                    extra=context,
                )
