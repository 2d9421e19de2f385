"""/followup and /remind, and the jobs that deliver them, check in, escalate and digest."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.cases.kinds import CASE_FOLLOWUP
from bot.domain.errors import InvalidInput
from bot.domain.followups import (
    CASE_ESCALATE,
    CASE_REOPENED,
    FOLLOWUP_CHECKIN,
    FOLLOWUP_DUE,
    FOLLOWUP_NOTICE,
    parse_when,
)
from bot.domain.i18n import _
from bot.runtime.doors import shut_if_paused
from bot.runtime.language import language_of
from bot.runtime.replies import reply_private

from ._jobs import FollowUpJobs
from ._views import DYNAMIC_ITEMS, MODALS

if TYPE_CHECKING:
    from bot.runtime.core import TendBot


def _when(due: datetime) -> str:
    return f"{discord.utils.format_dt(due, 'F')} ({discord.utils.format_dt(due, 'R')})"


class FollowUpsCog(commands.Cog):
    def __init__(self, bot: TendBot):
        self.bot = bot
        self.jobs = FollowUpJobs(bot)

    async def cog_load(self) -> None:
        bot = self.bot
        bot.add_dynamic_items(*DYNAMIC_ITEMS)
        bot.modals.register(*MODALS)
        bot.jobs.register(FOLLOWUP_DUE, self.jobs.due)
        bot.jobs.register(CASE_FOLLOWUP, self.jobs.case_followup)
        bot.jobs.register(FOLLOWUP_CHECKIN, self.jobs.checkin)
        bot.jobs.register(FOLLOWUP_NOTICE, self.jobs.notice)
        bot.jobs.register(CASE_ESCALATE, self.jobs.escalate)
        bot.jobs.register(CASE_REOPENED, self.jobs.reopened)
        # dateparser loads its language data on first use; pay that now, not inside an interaction.
        parse_when("tomorrow 9:00", ZoneInfo("UTC"), bot.followups.clock())

    @app_commands.command(
        name="followup",
        description="Moderators: remind yourself to check in with a member.",
        extras={"feature": "followups"},
    )
    @app_commands.describe(
        member="Who to check in with",
        when="When: 3d, tomorrow 18:00, friday, or a date and time (this server's time zone)",
        note="What to remember (only moderators see it)",
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_messages=True)
    async def followup(
        self,
        interaction: discord.Interaction[TendBot],
        member: discord.User,
        when: str,
        note: str | None = None,
    ) -> None:
        guild = self.bot.require_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        if member.bot:
            raise InvalidInput(_("Bots don't need check-ins. Pick the member you'd like to check in with."))
        due = parse_when(when, guild.zone, self.bot.followups.clock())
        await self.bot.followups.remind_moderator(
            guild_id=guild.id,
            moderator_id=interaction.user.id,
            member_id=member.id,
            due_at=due,
            note=note,
            created_by=interaction.user.id,
        )
        speak = language_of(interaction)
        answer = speak(
            _("I'll remind you {when} to check in with {member}.", when=_when(due), member=member.mention)
        )
        if guild.followups.member_checkins:
            if await self.bot.followups.opted_out(guild.id, member.id):
                answer += " " + speak(
                    _("They asked not to get check-ins from Tend, so only you will be reminded.")
                )
            else:
                answer += " " + speak(
                    _("They'll also get a gentle check-in by DM then (outside quiet hours).")
                )
        await reply_private(interaction, answer)

    @app_commands.command(
        name="remind", description="Remind yourself of something later.", extras={"feature": "followups"}
    )
    @app_commands.describe(
        when="When: 3d, 2h, tomorrow 18:00, friday, or a date and time (this server's time zone)",
        text="What to remind you of",
        dm="Send it by direct message instead of in this channel",
    )
    @app_commands.guild_only()
    async def remind(
        self, interaction: discord.Interaction[TendBot], when: str, text: str, dm: bool = False
    ) -> None:
        guild = self.bot.guild_config(interaction.guild_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        # No form follows to check again, so this check may take the time it needs (deferred).
        if await shut_if_paused(interaction, guild, words=text, quick=False):
            return
        due = parse_when(when, guild.zone, self.bot.followups.clock())
        await self.bot.followups.remind(
            guild_id=guild.id,
            user_id=interaction.user.id,
            due_at=due,
            text=text,
            channel_id=interaction.channel_id,
            by_dm=dm,
        )
        if dm:
            said = _("Got it. I'll remind you by direct message {when}.", when=_when(due))
        else:
            said = _("Got it. I'll remind you here {when}.", when=_when(due))
        await reply_private(interaction, said)
