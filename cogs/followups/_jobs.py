"""The follow-up jobs: the due reminder, the member check-in, notices, escalation, reopening."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.domain.cases import reference
from bot.domain.cases.kinds import CaseFollowUpPayload
from bot.domain.disclosure import TEAM, Readers, is_reporter, name, tend_checks_in_for, unchecked
from bot.domain.followups import ChannelNotice, EscalationStep, FollowUpRef, Reopened, crisis_case
from bot.domain.i18n import ENGLISH, Language, _
from bot.domain.text import fit, quote
from bot.infra.jobs import Finish, GiveUp, Job
from bot.runtime.audience import team_readers
from bot.runtime.delivery import retry_on_discord_errors, send_dm
from bot.runtime.language import member_language, team_language
from bot.runtime.queue import messageable, notes_channel

from ._views import checkin_buttons, reminder_buttons

if TYPE_CHECKING:
    from bot.domain.followups import Delivery
    from bot.runtime.core import TendBot

_QUOTE_LIMIT = 1500


def _ping(user_id: int | None) -> discord.AllowedMentions:
    """Nothing pings, except the one person the message is for."""
    if not user_id:
        return discord.AllowedMentions.none()
    return discord.AllowedMentions(everyone=False, roles=False, users=[discord.Object(user_id)])


class FollowUpJobs:
    def __init__(self, bot: TendBot):
        self.bot = bot

    # -- reminders ------------------------------------------------------------------------

    async def due(self, job: Job[FollowUpRef]) -> Finish | None:
        """A follow-up or /remind reminder is due: deliver it with its buttons."""
        return await self.deliver(job.payload.followup, job)

    async def case_followup(self, job: Job[CaseFollowUpPayload]) -> Finish | None:
        """A follow-up set when a case was closed: the same reminder, made a follow-up record."""
        return await self.deliver(await self.bot.followups.from_case_job(job), job)

    async def deliver(self, followup_id: int, job: Job[Any]) -> Finish | None:
        delivery = await self.bot.followups.begin_delivery(followup_id)
        if delivery is None:
            return None  # done or cancelled meanwhile
        guild = self.bot.settings.guild(job.guild_id)
        if guild is None:
            raise GiveUp("the server is no longer in the config")
        followup = delivery.followup
        case_closed = delivery.case is not None and not delivery.case.is_open
        # A member's own /remind speaks their language; the team's follow-ups, the team's.
        team = team_language(self.bot, guild.id)
        speak = team
        if followup.kind == "reminder":
            speak = await member_language(self.bot, guild.id, followup.owner_id)
        view = reminder_buttons(followup, case_closed, speak)
        nonce = f"fu-{followup.id}-{followup.snoozes}"
        mentions = _ping(followup.owner_id)
        late = speak(self.bot.prompts(guild.id).message("late_apology")) + "\n" if job.late else ""
        message: discord.Message | None = None
        if followup.kind == "reminder" and followup.by_dm:
            content = late + self._reminder_text(delivery, TEAM, speak)
            message = await self._dm(followup.owner_id, content, view, nonce)
        if message is None:
            channel_id = followup.channel_id if followup.kind == "reminder" else None
            with retry_on_discord_errors("deliver a reminder"):
                if channel_id is not None:
                    channel = await messageable(self.bot, channel_id)
                elif delivery.case is not None:
                    channel = await notes_channel(self.bot, delivery.case, guild.channels.queue)
                else:
                    channel = await messageable(self.bot, guild.channels.queue)
                readers = await team_readers(channel, delivery.case)
                content = late + self._reminder_text(delivery, readers, speak)
                message = await channel.send(content, view=view, allowed_mentions=mentions, nonce=nonce)
        return self.bot.followups.delivered(delivery, message.channel.id, message.id)

    def _reminder_text(self, delivery: Delivery, readers: Readers, speak: Language = ENGLISH) -> str:
        followup, case = delivery.followup, delivery.case
        note = f"\n{quote(delivery.note, _QUOTE_LIMIT)}" if delivery.note else ""
        if followup.kind == "reminder":
            asked = speak(_("{owner}, you asked me to remind you:", owner=f"<@{followup.owner_id}>"))
            return fit(f"⏰ {asked}{note}", 2000)
        about = f" with {name(case, followup.member_id, readers)}" if followup.member_id else ""
        on = f" on {reference(case.kind, case.number)}" if case is not None else ""
        prompt = self.bot.prompts(followup.guild_id).prompt("checkin")
        text = f"⏰ <@{followup.owner_id}>, it's time to check in{about}{on}. {prompt.next_action}{note}"
        on_behalf = tend_checks_in_for(case, followup.member_id)
        if delivery.checkin == "scheduled" and on_behalf:
            text += "\n-# I'm sending the reporter a check-in on your behalf; their answer will come here."
        elif delivery.checkin == "scheduled":
            text += "\n-# They'll also get a gentle check-in by DM (outside quiet hours)."
        elif delivery.checkin == "skipped":
            text += "\n-# They asked not to get check-ins from Tend, so none was sent."
        return fit(text, 2000)

    async def _dm(
        self, user_id: int, content: str, view: discord.ui.View, nonce: str
    ) -> discord.Message | None:
        """Send a DM; None when the person's DMs are closed."""
        return await send_dm(
            self.bot,
            user_id,
            content,
            doing="send a direct message",
            view=view,
            nonce=nonce,
            allowed_mentions=_ping(None),
        )

    # -- the member's check-in ------------------------------------------------------------------

    async def checkin(self, job: Job[FollowUpRef]) -> None:
        """DM the member "How are you doing?" with three buttons (or record that DMs are closed)."""
        followups = self.bot.followups
        followup = await followups.get(job.payload.followup)
        guild = self.bot.settings.guild(job.guild_id)
        if guild is None or followup.member_id is None or followup.checkin != "scheduled":
            return
        if await followups.opted_out(guild.id, followup.member_id):
            return
        speak = await member_language(self.bot, guild.id, followup.member_id)
        server = guild.name or (g.name if (g := self.bot.get_guild(guild.id)) else speak(_("this server")))
        case = await self.bot.cases.find(followup.case_id)
        library = self.bot.prompts(guild.id)
        if is_reporter(case, followup.member_id):
            assert case is not None
            text = library.message(
                "checkin_reporter_dm", server=server, reference=reference(case.kind, case.number)
            )
        else:
            text = library.message("checkin_dm", server=server)
        sent = await self._dm(
            followup.member_id, speak(text), checkin_buttons(followup.id, speak), f"ci-{followup.id}"
        )
        followup = await followups.checkin_delivered(followup.id, dms_closed=sent is None)
        if sent is None:
            channel = followups.notice_channel(followup, case)
            if channel is not None:
                who = name(case, followup.member_id, unchecked(case))
                await followups.notify(
                    guild.id,
                    channel,
                    f"<@{followup.owner_id}> I couldn't send {who} the check-in: their DMs "
                    "are closed. If you'd like to check in, please reach them another way.",
                    ping=followup.owner_id,
                )

    async def notice(self, job: Job[ChannelNotice]) -> None:
        """A short notice written by Tend, in a channel, pinging at most one person."""
        text = job.payload.text
        if job.late:
            team = team_language(self.bot, job.guild_id)
            text = f"{team(self.bot.prompts(job.guild_id).message('late_apology'))}\n{text}"
        with retry_on_discord_errors("post a follow-up notice"):
            channel = await messageable(self.bot, job.payload.channel)
            await channel.send(fit(text, 2000), allowed_mentions=_ping(job.target_id), nonce=f"fn-{job.id}")

    # -- escalation and reopening ------------------------------------------------------------

    async def escalate(self, job: Job[EscalationStep]) -> None:
        """A case still waits for someone: ping the on-call role in the queue (twice at most)."""
        case = await self.bot.followups.escalation_due(job)
        guild = self.bot.settings.guild(job.guild_id)
        if case is None or guild is None or guild.oncall.role is None:
            return
        role = guild.oncall.role
        step = job.payload.step
        minutes = int((self.bot.followups.clock() - case.opened_at).total_seconds() // 60)
        ref = reference(case.kind, case.number)
        if step == 1 and crisis_case(case, guild) and minutes < guild.oncall.after_minutes:
            text = f"🔔 <@&{role}> {ref} may be about someone's safety, and nobody has acknowledged it yet."
        elif step == 1:
            text = f"🔔 <@&{role}> {ref} has waited {minutes} minutes without anyone acknowledging it."
        else:
            text = f"🔔 <@&{role}> {ref} is still waiting after {minutes} minutes. This is my last reminder."
        channel_id = case.card_channel_id or guild.channels.queue
        with retry_on_discord_errors("ping the on-call role"):
            channel = await messageable(self.bot, channel_id)
            reference_to = None
            if case.card_message_id:
                reference_to = discord.MessageReference(
                    message_id=case.card_message_id, channel_id=channel_id, fail_if_not_exists=False
                )
            await channel.send(
                text,
                reference=reference_to,  # type: ignore[arg-type]
                allowed_mentions=discord.AllowedMentions(roles=[discord.Object(role)]),
                nonce=f"esc-{job.id}",
            )

    async def reopened(self, job: Job[Reopened]) -> None:
        """After a reopen: unarchive the member's thread and say so there and in the team's notes."""
        guild = self.bot.settings.guild(job.guild_id)
        if guild is None or job.case_id is None:
            raise GiveUp("the server is no longer in the config")
        case = await self.bot.cases.get(job.guild_id, job.case_id)
        ref = reference(case.kind, case.number)
        by_member = job.payload.why == "member_asked_to_talk"
        member_thread = self.bot.kinds.of(case).closes_with_case(case)
        if member_thread:
            with retry_on_discord_errors("reopen the member's thread"):
                thread = await messageable(self.bot, member_thread)
                assert isinstance(thread, discord.Thread)
                if thread.archived or thread.locked:
                    thread = await thread.edit(archived=False, locked=False)
                if case.member_id is not None and case.member_left_at is None:
                    await thread.add_user(discord.Object(case.member_id))
                people = [p for p in (case.member_id, case.holder_id) if p]
                speak = await member_language(self.bot, case.guild_id, case.member_id)
                await thread.send(
                    " ".join(f"<@{p}>" for p in people) + " " + speak(_("This thread is open again.")),
                    allowed_mentions=discord.AllowedMentions(users=[discord.Object(p) for p in people]),
                    nonce=f"reopen-{job.id}",
                )
        who = "the member, after a check-in" if by_member else f"<@{job.target_id}>"
        text = f"{ref} was reopened by {who}."
        if case.holder_id:
            text = f"<@{case.holder_id}> {text}"
        with retry_on_discord_errors("tell the team a case reopened"):
            channel = await notes_channel(self.bot, case, guild.channels.queue)
            await channel.send(text, allowed_mentions=_ping(case.holder_id), nonce=f"reopen-team-{job.id}")
