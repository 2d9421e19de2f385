"""Posting a closed case's transcript to the team's notes thread: a durable job, exactly once."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.domain.cases import reference
from bot.infra.jobs import GiveUp, Job, NoPayload
from bot.runtime.audience import team_readers
from bot.runtime.delivery import retry_on_discord_errors
from bot.runtime.queue import notes_channel, thread_of
from bot.runtime.records import transcript_file

from ._capture import heard_of

if TYPE_CHECKING:
    from bot.runtime.core import TendBot
    from models import Case

log = logging.getLogger(__name__)
# Read back at most this many messages per thread at close (what arrived while Tend was away).
BACKFILL_LIMIT = 500


class RecordJobs:
    def __init__(self, bot: TendBot):
        self.bot = bot

    async def post_transcript(self, job: Job[NoPayload]) -> None:
        """Fill in what Tend missed while away (one read per thread), then post the transcript
        file to the case's notes thread. The nonce makes a retry after a crash return the
        message already posted, so the team gets exactly one."""
        guild = self.bot.settings.guild(job.guild_id)
        if guild is None or job.case_id is None:
            raise GiveUp("the server is no longer in the config")
        case = await self.bot.cases.get(job.guild_id, job.case_id)
        if case.is_open:
            return  # reopened meanwhile: its next close posts the transcript
        await self.backfill(case)
        transcript = await self.bot.records.transcript(case.guild_id, case.id)
        ref = reference(case.kind, case.number)
        with retry_on_discord_errors("post the case's transcript"):
            channel = await notes_channel(self.bot, case, guild.channels.queue)
            readers = await team_readers(channel, case)
            file = transcript_file(self.bot, transcript, case, readers)
            count = len(transcript.messages)
            await channel.send(
                f"📄 The transcript of {ref}: {count} message(s) and the case's timeline. "
                "Open the file in a browser; it loads nothing from the internet.",
                file=file,
                allowed_mentions=discord.AllowedMentions.none(),
                nonce=f"transcript-{job.id}",
            )

    async def backfill(self, case: Case) -> None:
        """Messages that arrived while Tend was away: read each thread after the newest one
        recorded (usually one call that returns nothing). A thread that is gone keeps what was
        recorded."""
        for thread_id in (case.thread_id, case.subject_thread_id):
            if thread_id is None:
                continue
            after = await self.bot.records.last_recorded(case.id, thread_id)
            try:
                thread = await thread_of(self.bot, thread_id)
                marker = discord.Object(after) if after else None
                found = [
                    heard_of(message, case.guild_id, None)
                    async for message in thread.history(limit=BACKFILL_LIMIT, after=marker, oldest_first=True)
                ]
            except (discord.NotFound, discord.Forbidden):
                continue  # the thread is gone (or closed to Tend): the record is what's left
            except discord.HTTPException as exc:
                log.warning("could not read back case thread %s: %s", thread_id, exc)
                continue
            if found:
                await self.bot.records.record_many(found)
