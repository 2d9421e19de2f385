"""A pause's durable work: its end on the clock, the team's notice, and telling the member."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.domain.i18n import P_, _
from bot.domain.pauses import REASON_LABELS, PausePayload
from bot.infra.jobs import Finish, GiveUp, Job, Retry
from bot.runtime.delivery import retry_on_discord_errors, send_dm
from bot.runtime.language import member_language, team_language
from bot.runtime.queue import messageable
from bot.runtime.ui import button_row

from ._views import LiftPauseButton

if TYPE_CHECKING:
    from bot.runtime.core import TendBot

PAUSE_COLOUR = discord.Colour.from_rgb(150, 120, 60)


class PauseJobs:
    def __init__(self, bot: TendBot):
        self.bot = bot

    async def end(self, job: Job[PausePayload]) -> None:
        """The pause's time is up: end it (unless lifted or replaced meanwhile)."""
        pause = await self.bot.pauses.end_due(job.payload.pause)
        if pause is not None and pause.ended_at is None:
            wait = (pause.ends_at - self.bot.pauses.clock()).total_seconds()
            raise Retry("the pause doesn't end yet", after=max(wait, 1.0))

    async def notice(self, job: Job[PausePayload]) -> Finish | None:
        """Post (or update) the team's notice in the queue, with Lift while the pause holds."""
        guild = self.bot.settings.guild(job.guild_id)
        pause = await self.bot.pauses.get(job.payload.pause)
        if guild is None or pause is None:
            raise GiveUp("the server or the pause is gone")
        team = team_language(self.bot, guild.id)
        label = REASON_LABELS.get(pause.reason)
        reason = team(label) if label else pause.reason
        holds = pause.ended_at is None
        if holds:
            title = team(_("⏸ A member's access is paused"))
            status = team(_("Until {until}", until=discord.utils.format_dt(pause.ends_at, "f")))
        elif pause.lifted_by:
            title = team(_("A pause was lifted"))
            status = team(_("Lifted early by {moderator}", moderator=f"<@{pause.lifted_by}>"))
        else:
            title, status = team(_("A pause has ended")), team(_("Ended on time; they've been told"))
        embed = discord.Embed(title=title, colour=PAUSE_COLOUR if holds else discord.Colour.dark_grey())
        embed.add_field(name=team(_("Member")), value=f"<@{pause.member_id}>", inline=True)
        embed.add_field(name=team(P_("who did it", "By")), value=f"<@{pause.paused_by}>", inline=True)
        embed.add_field(name=team(_("Status")), value=status, inline=True)
        embed.add_field(name=team(_("Reason")), value=reason, inline=False)
        if pause.note:
            embed.add_field(name=team(_("Note")), value=pause.note[:1024], inline=False)
        embed.set_footer(
            text=team(_("Paused: /support, /report, Report message, /remind. /resources stays open."))
        )
        view = button_row(LiftPauseButton(pause.id, speak=team)) if holds else None
        with retry_on_discord_errors("post the pause notice"):
            if pause.notice_message_id is not None and pause.notice_channel_id is not None:
                channel = await messageable(self.bot, pause.notice_channel_id)
                try:
                    partial = channel.get_partial_message(pause.notice_message_id)  # type: ignore[attr-defined]
                    await partial.edit(embed=embed, view=view)
                    return None
                except discord.NotFound:
                    pass  # deleted: post it again
            channel = await messageable(self.bot, guild.channels.queue)
            if view is None:
                message = await channel.send(embed=embed, nonce=f"p-{job.id}")
            else:
                message = await channel.send(embed=embed, view=view, nonce=f"p-{job.id}")
        return self.bot.pauses.notice_posted(pause.id, message.channel.id, message.id)

    async def tell_member(self, job: Job[PausePayload]) -> None:
        """Tell the member, kindly, that the pause is over (closed DMs are their choice)."""
        guild = self.bot.settings.guild(job.guild_id)
        if guild is None or job.target_id is None:
            raise GiveUp("nothing to send")
        server = guild.name or (g.name if (g := self.bot.get_guild(guild.id)) else "the server")
        speak = await member_language(self.bot, guild.id, job.target_id)
        text = speak(self.bot.prompts(guild.id).message("pause_ended_dm", server=server))
        # Closed DMs are their choice: the pause has ended either way.
        await send_dm(
            self.bot, job.target_id, text, doing="tell the member their pause ended", nonce=f"dm-{job.id}"
        )
