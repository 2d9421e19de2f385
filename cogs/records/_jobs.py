"""Posting a closed case's transcript to the team's notes thread: a durable job, exactly once."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.domain.cases import reference
from bot.domain.cases.kinds import UnpostPayload
from bot.infra.jobs import Finish, GiveUp, Job, NoPayload
from bot.runtime.audience import team_readers
from bot.runtime.delivery import retry_on_discord_errors
from bot.runtime.queue import notes_channel, thread_of
from bot.runtime.records import heard_of, transcript_file

if TYPE_CHECKING:
    from bot.runtime.core import TendBot
    from models import Case

log = logging.getLogger(__name__)
# Read back at most this many messages per thread at close (what Tend didn't hear).
BACKFILL_LIMIT = 1000


class RecordJobs:
    def __init__(self, bot: TendBot):
        self.bot = bot

    async def post_transcript(self, job: Job[NoPayload]) -> Finish | None:
        """Fill in what Tend missed while away (one read per thread), then post the transcript
        file to the case's notes thread. The nonce makes a retry after a crash return the
        message already posted, so the team gets exactly one."""
        guild = self.bot.settings.guild(job.guild_id)
        if guild is None or job.case_id is None:
            raise GiveUp("the server is no longer in the config")
        case = await self.bot.cases.get(job.guild_id, job.case_id)
        if case.is_open:
            return None  # reopened meanwhile: its next close posts the transcript
        await self.backfill(case)
        transcript = await self.bot.records.transcript(case.guild_id, case.id)
        ref = reference(case.kind, case.number)
        with retry_on_discord_errors("post the case's transcript"):
            channel = await notes_channel(self.bot, case, guild.channels.queue)
            readers = await team_readers(channel, case)
            file = await transcript_file(self.bot, transcript, case, readers)
            count = len(transcript.messages)
            posted = await channel.send(
                f"📄 The transcript of {ref}: {count} message(s) and the case's timeline. "
                "Open the file in a browser; it loads nothing from the internet.",
                file=file,
                allowed_mentions=discord.AllowedMentions.none(),
                nonce=f"transcript-{job.id}",
            )
        return self.bot.records.posted(
            case.guild_id, case.id, posted.channel.id, posted.id, self.bot.cases.clock()
        )

    async def unpost(self, job: Job[UnpostPayload]) -> None:
        """Delete a posted transcript file: its record went (retention, a /privacy delete)."""
        channel_id, message_id = job.payload.channel_id, job.payload.message_id
        if not channel_id or not message_id:
            raise GiveUp("nothing to delete")
        with retry_on_discord_errors("delete a transcript whose record is gone"):
            try:
                await self.bot.http.delete_message(channel_id, message_id)
            except discord.NotFound:
                return  # gone already (someone deleted it, or its thread)

    async def backfill(self, case: Case) -> None:
        """Messages Tend didn't hear: sent while it was away, or before Discord told it about a
        new thread. Each thread is read once, oldest first (a call per hundred messages, at most
        ``BACKFILL_LIMIT``); what is known already is skipped. A thread that is gone keeps what
        was recorded as it happened."""
        for thread_id in (case.thread_id, case.subject_thread_id):
            if thread_id is None:
                continue
            try:
                thread = await thread_of(self.bot, thread_id)
                found = [
                    heard_of(message, case.guild_id, None)
                    async for message in thread.history(
                        limit=BACKFILL_LIMIT, after=discord.Object(thread_id), oldest_first=True
                    )
                ]
            except (discord.NotFound, discord.Forbidden):
                continue  # the thread is gone (or closed to Tend): the record is what's left
            except discord.HTTPException as exc:
                log.warning("could not read back case thread %s: %s", thread_id, exc)
                continue
            if found:
                await self.bot.records.record_many(found)
