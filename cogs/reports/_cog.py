from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.cases import reference
from bot.domain.cases.service import REPORT_NOTIFY
from bot.domain.errors import InvalidInput
from bot.domain.text import fit
from bot.infra.jobs import GiveUp, Job
from bot.runtime.delivery import retry_on_discord_errors
from cogs.conduct._render import rule_choices

from ._views import NOT_A_BOT, ReportMessageModal, ReportModal, message_snapshot, require_reports

if TYPE_CHECKING:
    from bot.runtime.core import TendBot

log = logging.getLogger(__name__)

NOT_YOURSELF = "You can't report yourself. If something is weighing on you, `/support` is here."
DMS_CLOSED = 50007


class ReportsCog(commands.Cog):
    def __init__(self, bot: TendBot):
        self.bot = bot
        self.report_message_menu = app_commands.ContextMenu(
            name="Report message", callback=self.report_message, extras={"feature": "reports"}
        )
        self.report_message_menu.guild_only = True

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.report_message_menu)
        self.bot.modals.register(ReportModal, ReportMessageModal)
        self.bot.jobs.register(REPORT_NOTIFY, self.notify_member)

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
        if member.id == interaction.user.id:
            raise InvalidInput(NOT_YOURSELF)
        if member.bot:
            raise InvalidInput(NOT_A_BOT)
        found = guild.rule(rule)
        if found is None:
            titles = ", ".join(f"`{r.id}`" for r in guild.rules) or "none yet"
            raise InvalidInput(f"I don't know the rule “{fit(rule, 60)}”. This server's rules are: {titles}.")
        if anonymous and not guild.reports.anonymous:
            raise InvalidInput(
                "This server doesn't take anonymous reports; the moderators will see your name."
            )
        await self.bot.modals.open(
            interaction, ReportModal(member.id, found.id, anonymous, guild.reports.min_length)
        )

    @report.autocomplete("rule")
    async def _rules(
        self, interaction: discord.Interaction[TendBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return rule_choices(self.bot.settings.guild(interaction.guild_id), current)

    async def report_message(
        self, interaction: discord.Interaction[TendBot], message: discord.Message
    ) -> None:
        guild = require_reports(self.bot, interaction.guild_id)
        if message.author.id == interaction.user.id:
            raise InvalidInput(NOT_YOURSELF)
        if message.author.bot:
            raise InvalidInput(NOT_A_BOT)
        if not guild.rules:
            raise InvalidInput(
                "This server hasn't written its Code of Conduct into Tend yet; please message a moderator."
            )
        # The form names only this interaction; the message, its channel and its author are kept
        # as Discord resolved them (the evidence survives a deletion or a restart meanwhile).
        await self.bot.modals.open(interaction, ReportMessageModal(interaction.id, guild))
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

    async def notify_member(self, job: Job) -> None:
        """DM the member one of the library's messages (acknowledgement, outcome); names no one."""
        guild = self.bot.settings.guild(job.guild_id)
        if guild is None or job.case_id is None or job.target_id is None:
            raise GiveUp("nothing to send")
        case = await self.bot.cases.get(job.guild_id, job.case_id)
        text = self.bot.prompts(guild.id).message(
            str(job.payload["message"]), reference=reference(case.kind, case.number)
        )
        if job.late:
            text = f"{self.bot.prompts(guild.id).message('late_apology')}\n{text}"
        dms_closed = False
        with retry_on_discord_errors("message the reporter"):
            user = self.bot.get_user(job.target_id) or await self.bot.fetch_user(job.target_id)
            try:
                await user.send(text, nonce=f"dm-{job.id}")
            except discord.Forbidden as refused:
                if refused.code != DMS_CLOSED:
                    raise
                dms_closed = True
        if dms_closed:
            # Their DMs are closed: that's their choice. Record it and tell whoever holds the case.
            await self.bot.cases.notify_team(
                case,
                f"I couldn't send the reporter of {reference(case.kind, case.number)} a private message "
                "(their DMs are closed). If they need to hear back, please reach them another way.",
                ping=case.holder_id,
            )
