"""/report and the Report message menu: members report conduct safely."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.cases.kinds import REPORT_NOTIFY, REPORT_TALK
from bot.domain.errors import InvalidInput
from bot.domain.i18n import _
from bot.domain.text import fit
from bot.runtime.doors import shut_if_paused
from bot.runtime.embeds import rule_choices
from bot.runtime.language import language_of

from ._actions import ITEMS as CARD_ITEMS
from ._actions import MODALS as CARD_MODALS
from ._jobs import ReportJobs
from ._kind import ReportKind
from ._views import NOT_A_BOT, ReportMessageModal, ReportModal, message_snapshot, require_reports

if TYPE_CHECKING:
    from bot.runtime.core import TendBot

log = logging.getLogger(__name__)

NOT_YOURSELF = _("You can't report yourself. If something is weighing on you, `/support` is here.")


class ReportsCog(commands.Cog):
    def __init__(self, bot: TendBot):
        self.bot = bot
        self.jobs = ReportJobs(bot)
        self.report_message_menu = app_commands.ContextMenu(
            name="Report message", callback=self.report_message, extras={"feature": "reports"}
        )
        self.report_message_menu.guild_only = True

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.report_message_menu)
        self.bot.kinds.register(ReportKind())
        self.bot.add_dynamic_items(*CARD_ITEMS)
        self.bot.modals.register(ReportModal, ReportMessageModal, *CARD_MODALS)
        self.bot.jobs.register(REPORT_NOTIFY, self.jobs.notify_member)
        self.bot.jobs.register(REPORT_TALK, self.jobs.open_conversation)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.report_message_menu.name, type=self.report_message_menu.type)

    @app_commands.command(
        name="report",
        description="Report conduct to the moderators, privately.",
        extras={"feature": "reports"},
    )
    @app_commands.describe(
        member="Who the report is about",
        rule="The rule from the Code of Conduct it goes against",
        anonymous="Keep your name from the moderators (they'll still be able to act on it)",
    )
    @app_commands.guild_only()
    async def report(
        self,
        interaction: discord.Interaction[TendBot],
        member: discord.User,
        rule: str,
        anonymous: bool = False,
    ) -> None:
        guild = require_reports(self.bot, interaction.guild_id)
        if await shut_if_paused(interaction, guild):
            return
        if member.id == interaction.user.id:
            raise InvalidInput(NOT_YOURSELF)
        if member.bot:
            raise InvalidInput(NOT_A_BOT)
        found = guild.rule(rule)
        if found is None:
            titles = ", ".join(f"`{r.id}`" for r in guild.rules) or _("none yet")
            raise InvalidInput(
                _(
                    "I don't know the rule “{rule}”. This server's rules are: {titles}.",
                    rule=fit(rule, 60),
                    titles=titles,
                )
            )
        if anonymous and not guild.reports.anonymous:
            raise InvalidInput(
                _("This server doesn't take anonymous reports; the moderators will see your name.")
            )
        form = ReportModal(member.id, found.id, anonymous, guild.reports.min_length, language_of(interaction))
        await self.bot.modals.open(interaction, form)

    @report.autocomplete("rule")
    async def _rules(
        self, interaction: discord.Interaction[TendBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return rule_choices(self.bot.settings.guild(interaction.guild_id), current, language_of(interaction))

    async def report_message(
        self, interaction: discord.Interaction[TendBot], message: discord.Message
    ) -> None:
        guild = require_reports(self.bot, interaction.guild_id)
        if await shut_if_paused(interaction, guild):
            return
        if message.author.id == interaction.user.id:
            raise InvalidInput(NOT_YOURSELF)
        if message.author.bot:
            raise InvalidInput(NOT_A_BOT)
        if not guild.rules:
            raise InvalidInput(
                _("This server hasn't written its Code of Conduct into Tend yet; please message a moderator.")
            )
        # The form names only this interaction; the message, its channel and its author are kept
        # as Discord resolved them (the evidence survives a deletion or a restart meanwhile).
        await self.bot.modals.open(
            interaction, ReportMessageModal(interaction.id, guild, language_of(interaction))
        )
        try:
            await self.bot.reports.save_draft(
                draft_id=interaction.id,
                guild_id=guild.id,
                reporter_id=interaction.user.id,
                channel_id=message.channel.id,
                message_id=message.id,
                author_id=message.author.id,
                snapshot=message_snapshot(message),
            )
        except Exception:
            # The submit won't find it, says so kindly and gives the member their words back.
            log.exception("could not keep the reported message for a Report message form")
