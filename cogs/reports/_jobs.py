"""A report's durable side effects: telling the reporter (no names), and opening a private
conversation with the reporter or the reported member."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import discord

from bot.domain.cases import reference
from bot.domain.cases.kinds import MessagePayload, TalkPayload
from bot.domain.i18n import Text, _
from bot.infra.jobs import GiveUp, Job, Retry
from bot.runtime.delivery import retry_on_discord_errors, send_dm
from bot.runtime.language import member_language, team_language
from bot.runtime.queue import private_thread, thread_of

if TYPE_CHECKING:
    from bot.runtime.core import TendBot
    from models import Case


def conversation_name(case: Case, which: str) -> str:
    """The reporter's thread carries their report's reference; the reported member's names
    nothing of it, so the two can't match threads to learn who reported. Stable per case, so a
    retry adopts a thread a crash left behind."""
    if which == "reporter":
        return f"{reference(case.kind, case.number)} · report"
    seed = f"{case.guild_id}:{case.id}:{case.opened_at.isoformat()}"
    return f"A word with the moderators · {hashlib.sha256(seed.encode()).hexdigest()[:6]}"


def opener(case: Case, which: str) -> Text:
    """The conversation's first message. To the reported member it never hints at who reported."""
    if which == "reporter":
        return _(
            "Hi {member}, thank you for your report {reference}. A moderator is here to talk it through"
            " with you. Only you, the moderators and people with the Manage Threads permission can see"
            " this thread.",
            member=f"<@{case.member_id}>",
            reference=reference(case.kind, case.number),
        )
    return _(
        "Hi {member}, a moderator would like to talk with you privately about something from earlier."
        " Only you, the moderators and people with the Manage Threads permission can see this thread.",
        member=f"<@{case.subject_id}>",
    )


class ReportJobs:
    def __init__(self, bot: TendBot):
        self.bot = bot

    async def open_conversation(self, job: Job[TalkPayload]) -> None:
        """A private thread in the support channel with one member and the moderator who asked
        (each step resumable: a thread made before a crash is found again, not made twice)."""
        guild = self.bot.settings.guild(job.guild_id)
        if guild is None or job.case_id is None:
            raise GiveUp("the server is no longer in the config")
        case = await self.bot.cases.get(job.guild_id, job.case_id)
        which = job.payload.which
        member_id = case.member_id if which == "reporter" else case.subject_id
        if not case.is_open or member_id is None:
            return
        thread_id = case.thread_id if which == "reporter" else case.subject_thread_id
        try:
            if thread_id is None:
                with retry_on_discord_errors("open the conversation"):
                    name = conversation_name(case, which)
                    made = await private_thread(self.bot, guild.channels.support, name)
                await self.bot.reports.set_conversation(case.id, which, made.id, job.target_id or 0)
                thread_id = made.id
            with retry_on_discord_errors("add them to the conversation"):
                thread = await thread_of(self.bot, thread_id)
                await thread.add_user(discord.Object(member_id))
                if job.target_id:
                    await thread.add_user(discord.Object(job.target_id))
                speak = await member_language(self.bot, guild.id, member_id)
                await thread.send(
                    speak(opener(case, which)),
                    allowed_mentions=discord.AllowedMentions(users=[discord.Object(member_id)]),
                    nonce=f"talk-{case.id}-{which}",
                )
        except Retry as retry:
            await self.bot.cases.set_problem(case.id, str(retry))
            raise

    async def notify_member(self, job: Job[MessagePayload]) -> None:
        """DM the member one of the library's messages (acknowledgement, outcome); names no one."""
        guild = self.bot.settings.guild(job.guild_id)
        if guild is None or job.case_id is None or job.target_id is None:
            raise GiveUp("nothing to send")
        case = await self.bot.cases.get(job.guild_id, job.case_id)
        speak = await member_language(self.bot, guild.id, job.target_id)
        library = self.bot.prompts(guild.id)
        text = speak(library.message(job.payload.message, reference=reference(case.kind, case.number)))
        if job.late:
            text = f"{speak(library.message('late_apology'))}\n{text}"
        sent = await send_dm(
            self.bot, job.target_id, text, doing="message the reporter", nonce=f"dm-{job.id}"
        )
        if sent is None:
            # Their DMs are closed: that's their choice. Record it and tell whoever holds the case.
            team = team_language(self.bot, guild.id)
            await self.bot.cases.notify_team(
                case,
                team(
                    _(
                        "I couldn't send the reporter of {reference} a private message (their DMs are closed)."
                        " If they need to hear back, please reach them another way.",
                        reference=reference(case.kind, case.number),
                    )
                ),
                ping=case.holder_id,
            )
