"""The support case's durable jobs: the private thread, the nudge, the silence question, closing."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.cases import reference
from bot.domain.cases.kinds import ClosePayload, SetupPayload
from bot.domain.i18n import N_, Language, Text, _
from bot.domain.text import fit, quote
from bot.infra.jobs import Finish, GiveUp, Job, NoPayload, Retry
from bot.runtime.delivery import retry_on_discord_errors
from bot.runtime.doors import out_of_hours_line
from bot.runtime.embeds import resources_embed
from bot.runtime.language import member_language, team_language
from bot.runtime.queue import private_thread, thread_of
from bot.runtime.records import heard_of
from bot.runtime.ui import button_row

from ._views import KeepOpenButton, MemberCloseButton, SurveyButton

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.runtime.core import TendBot
    from models import Case

_QUOTE_LIMIT = 3500
_COLOUR = discord.Colour.from_rgb(88, 129, 87)


class SupportJobs:
    def __init__(self, bot: TendBot):
        self.bot = bot

    def _guild(self, job: Job[Any]) -> GuildConfig:
        guild = self.bot.settings.guild(job.guild_id)
        if guild is None or job.case_id is None:
            raise GiveUp("the server is no longer in the config")
        return guild

    async def setup(self, job: Job[SetupPayload]) -> Finish | None:
        """Create the member's private thread, add them, and welcome them (each step resumable).
        The thread is stored with the item's end: one write for the whole setup."""
        guild = self._guild(job)
        case = await self.bot.cases.get(job.guild_id, job.case_id or 0)
        if not case.is_open:
            return None
        made: int | None = None
        thread: discord.Thread | None = None
        try:
            thread_id = case.thread_id
            if thread_id is None:
                with retry_on_discord_errors("create the member's private thread"):
                    # Named by its reference: opaque, never the member's name. A crash before
                    # the thread is stored leaves it there for the retry to adopt.
                    name = reference(case.kind, case.number)
                    # Only a try after a failed or lost one can have left a thread to adopt.
                    first_try = job.attempts <= 1 and case.problem is None
                    thread = await private_thread(self.bot, guild.channels.support, name, adopt=not first_try)
                thread_id = made = thread.id
            relay = job.payload.relay
            with retry_on_discord_errors("add the member to their thread"):
                thread = thread or await thread_of(self.bot, thread_id)
                # A member talking through DMs isn't in the thread: it is the team's side.
                if case.member_id is not None and case.member_left_at is None and not relay:
                    await thread.add_user(discord.Object(case.member_id))
                if case.holder_id is not None:
                    # Whoever claimed it (or had it handed to them) while the thread was pending.
                    await thread.add_user(discord.Object(case.holder_id))
                extra: dict[str, Any] = {}
                if relay:
                    content, embeds = self.relay_welcome(guild, case)
                    pinged = discord.AllowedMentions.none()
                else:
                    speak = await member_language(self.bot, guild.id, case.member_id)
                    content, embeds = self.welcome(guild, case, case.body, speak, job.payload.reached_out_by)
                    extra["view"] = button_row(MemberCloseButton(case.id, speak=speak))
                    # Only the member is pinged; anything they wrote stays inert.
                    pinged = discord.AllowedMentions(users=[discord.Object(case.member_id or 0)])
                sent = await thread.send(
                    content, embeds=embeds, allowed_mentions=pinged, nonce=f"welcome-{case.id}", **extra
                )
        except Exception as failed:
            # The card says what's stuck; a thread this try made is kept, not made again.
            problem = str(failed) if isinstance(failed, Retry) else case.problem
            if made is not None or problem != case.problem:
                await self.bot.cases.set_problem(case.id, problem, thread_id=made)
            raise
        # The thread, the card's refresh and the welcome's record: one write.
        ready = self.bot.cases.thread_ready(case.id, made)
        welcome = self.bot.records.keep(case.id, heard_of(sent, guild.id, None))

        async def finish(session: AsyncSession) -> None:
            await ready(session)
            await welcome(session)

        return finish

    def welcome(
        self,
        guild: GuildConfig,
        case: Case,
        body: str | None,
        speak: Language,
        reached_out_by: int | None = None,
    ) -> tuple[str, list[discord.Embed]]:
        library = self.bot.prompts(guild.id)
        server = guild.name or (g.name if (g := self.bot.get_guild(guild.id)) else speak(_("this server")))
        member = f"<@{case.member_id}>"
        if reached_out_by:
            content = library.message(
                "support_welcome_reached_out", member=member, server=server, moderator=f"<@{reached_out_by}>"
            )
        else:
            content = library.message("support_welcome", member=member, server=server)
        text = f"{speak(content)}\n\n{speak(library.message('support_privacy'))}"
        away = out_of_hours_line(self.bot, guild)
        if away is not None:
            text = f"{text}\n\n{speak(away)}"
        embeds = []
        if body:
            embeds.append(
                discord.Embed(
                    title=speak(_("What you wrote")), description=quote(body, _QUOTE_LIMIT), colour=_COLOUR
                )
            )
        if guild.resources:
            embeds.append(
                resources_embed(guild.resources, speak, title=speak(_("If you need something right now")))
            )
        return fit(text, 2000), embeds

    def relay_welcome(self, guild: GuildConfig, case: Case) -> tuple[str, list[discord.Embed]]:
        """The thread of a case the member talks to through DMs: for the team, naming the relay."""
        team = team_language(self.bot, guild.id)
        server = guild.name or (g.name if (g := self.bot.get_guild(guild.id)) else "this server")
        content = team(
            _(
                "{member} wrote to Tend by DM and is talking with you through DMs: they aren't in this "
                "thread. What you write here reaches them by DM, as from the moderators of {server}; what "
                "they write to Tend appears here. Bots' messages and the notes thread are never passed on.",
                member=f"<@{case.member_id}>",
                server=server,
            )
        )
        if not self.bot.intents.message_content and self.bot.user is not None:
            content += " " + team(
                _(
                    "Tend can't read this thread without the Message Content intent: mention {who} in a "
                    "message to send it to them.",
                    who=f"<@{self.bot.user.id}>",
                )
            )
        embeds = []
        if case.body:
            embeds.append(
                discord.Embed(
                    title=team(_("What they wrote")),
                    description=quote(case.body, _QUOTE_LIMIT),
                    colour=_COLOUR,
                )
            )
        return fit(content, 2000), embeds

    async def nudge(self, job: Job[NoPayload]) -> None:
        """No moderator has replied yet: nudge the queue, once."""
        guild = self._guild(job)
        case = await self.bot.cases.get(job.guild_id, job.case_id or 0)
        if not case.is_open or case.first_reply_at is not None:
            return
        minutes = guild.support.nudge_after_minutes
        team = team_language(self.bot, guild.id)
        waited: Text
        if guild.hours is not None:  # the wait counted team hours only: say since when, honestly
            waited = _(
                "{reference} has waited since {since} ({minutes} minutes of team hours) without a "
                "moderator reply.",
                reference=reference(case.kind, case.number),
                since=discord.utils.format_dt(case.opened_at, "t"),
                minutes=minutes,
            )
        else:
            waited = N_(
                "{reference} has waited {minutes} minute without a moderator reply.",
                "{reference} has waited {minutes} minutes without a moderator reply.",
                minutes,
                reference=reference(case.kind, case.number),
                minutes=minutes,
            )
        text = "⏰ " + team(waited)
        if case.thread_id:
            text += " " + team(_("The member is in {thread}.", thread=f"<#{case.thread_id}>"))
        with retry_on_discord_errors("nudge the queue"):
            channel = self.bot.get_channel(guild.channels.queue) or await self.bot.fetch_channel(
                guild.channels.queue
            )
            assert isinstance(channel, discord.abc.Messageable)
            reference_to = None
            if case.card_message_id:
                reference_to = discord.MessageReference(
                    message_id=case.card_message_id, channel_id=guild.channels.queue, fail_if_not_exists=False
                )
            await channel.send(text, reference=reference_to, nonce=f"nudge-{case.id}")  # type: ignore[arg-type]

    async def silence(self, job: Job[NoPayload]) -> None:
        """The member has been quiet for a while: ask them, never close silently."""
        guild = self._guild(job)
        case = await self.bot.cases.get(job.guild_id, job.case_id or 0)
        if not case.is_open or case.thread_id is None or case.member_left_at is not None:
            return
        relay = await self.bot.dms.relay_of(case.id)
        if relay is not None and relay.ended_at is None:
            return  # they talk by DM, not in this thread: asking here would pull them into it
        quiet_since = case.member_active_at or case.opened_at
        due = quiet_since + timedelta(days=guild.support.silence_after_days)
        wait = (due - self.bot.cases.clock()).total_seconds()
        if wait > 0:
            raise Retry("the member wrote since this was scheduled", after=wait)
        library = self.bot.prompts(guild.id)
        speak = await member_language(self.bot, guild.id, case.member_id)
        with retry_on_discord_errors("ask the member whether to keep their thread"):
            thread = await thread_of(self.bot, case.thread_id)
            await thread.send(
                f"<@{case.member_id}> {speak(library.message('silence_question'))}",
                view=button_row(
                    KeepOpenButton(case.id, speak=speak),
                    MemberCloseButton(case.id, label=_("You can close it"), speak=speak),
                ),
                allowed_mentions=discord.AllowedMentions(users=[discord.Object(case.member_id or 0)]),
                nonce=f"quiet-{job.id}",
            )

    async def close(self, job: Job[ClosePayload]) -> None:
        """Say goodbye in the thread (with the survey if chosen), then archive and lock it."""
        guild = self._guild(job)
        case = await self.bot.cases.get(job.guild_id, job.case_id or 0)
        if case.thread_id is None:
            return
        library = self.bot.prompts(guild.id)
        speak = await member_language(self.bot, guild.id, case.member_id)
        by_member = job.payload.by_member
        text = speak(
            library.message("support_closed_by_member" if by_member else "support_closed_by_moderator")
        )
        ask = job.payload.survey and case.member_left_at is None
        with retry_on_discord_errors("close the member's thread"):
            thread = await thread_of(self.bot, case.thread_id)
            if ask:
                text = f"{text}\n\n{speak(library.message('survey_question'))}"
                buttons = button_row(
                    *(SurveyButton(case.id, answer, speak) for answer in ("yes", "somewhat", "no"))
                )
                await thread.send(text, view=buttons, nonce=f"close-{case.id}")
            else:
                await thread.send(text, nonce=f"close-{case.id}")
            await thread.edit(archived=True, locked=True)
