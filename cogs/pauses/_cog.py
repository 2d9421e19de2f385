"""/pause: a moderator pauses a member's /support, /report, /remind (and DMs to Tend) for a while."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.errors import InvalidInput
from bot.domain.followups import parse_when
from bot.domain.i18n import _
from bot.domain.pauses import NOTE_LIMIT, PAUSE_END, PAUSE_ENDED_DM, PAUSE_NOTICE, REASON_LABELS
from bot.runtime.replies import reply_private
from bot.runtime.ui import actor_of

from ._jobs import PauseJobs
from ._views import ITEMS

if TYPE_CHECKING:
    from bot.runtime.core import TendBot


class PausesCog(commands.Cog):
    def __init__(self, bot: TendBot):
        self.bot = bot
        self.jobs = PauseJobs(bot)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*ITEMS)
        self.bot.jobs.register(PAUSE_END, self.jobs.end)
        self.bot.jobs.register(PAUSE_NOTICE, self.jobs.notice)
        self.bot.jobs.register(PAUSE_ENDED_DM, self.jobs.tell_member)

    @app_commands.command(
        name="pause",
        description="Moderators: pause a member's /support, /report and /remind for a while (resources stay open).",
    )
    @app_commands.describe(
        member="Who to pause",
        duration="How long: 2h, 3d, 1w, or until a date (this server's time zone)",
        reason="Why (the team sees it; the member doesn't)",
        note="A few words for the team (optional)",
    )
    @app_commands.choices(
        reason=[app_commands.Choice(name=label.msgid, value=key) for key, label in REASON_LABELS.items()]
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_messages=True)
    async def pause(
        self,
        interaction: discord.Interaction[TendBot],
        member: discord.User,
        duration: str,
        reason: str,
        note: app_commands.Range[str, 1, NOTE_LIMIT] | None = None,
    ) -> None:
        guild = self.bot.require_moderator(interaction)
        if member.bot:
            raise InvalidInput(_("Bots can't use Tend, so there's nothing to pause."))
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.pauses.clock()
        until = parse_when(duration, guild.zone, now)
        roles = [r.id for r in getattr(member, "roles", [])]
        moderates = self.bot.is_moderator_of(guild, member.id, roles)
        pause = await self.bot.pauses.pause(
            actor_of(interaction),
            member.id,
            span=until - now,
            reason=reason,
            note=note,
            member_moderates=moderates,
        )
        ends = discord.utils.format_dt(pause.ends_at, "f")
        await reply_private(
            interaction,
            _(
                "Paused {member}'s use of /support, /report and /remind until {until}. "
                "They'll be told kindly if they try, with the resources, and again when it ends. "
                "The team's notice in the queue has a **Lift pause** button.",
                member=member.mention,
                until=ends,
            ),
        )
