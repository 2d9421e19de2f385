"""The relay's durable jobs: a member's DM into the case thread, the team's words to the member's
DMs, and Tend's notes about the relay. Each runs exactly once across restarts: the item is the
truth, and a message sent before a crash carries a nonce so its retry doesn't post it twice."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.domain.cases import reference
from bot.domain.dms import NotePayload, RelayPayload
from bot.domain.i18n import _
from bot.domain.text import quote
from bot.infra.jobs import Finish, GiveUp, Job, Retry
from bot.runtime.delivery import DMS_CLOSED, retry_on_discord_errors, send_dm
from bot.runtime.language import member_language, team_language
from bot.runtime.queue import thread_of
from bot.runtime.ui import button_row

from ._common import give_back, mention_hint, pieces, server_name
from ._views import EndRelayButton

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.runtime.core import TendBot
    from models import Case, DirectMessage

WHOLE = 1_000_000  # quote() without cutting: relayed text is split into pieces, never shortened
THREAD_WAIT = 5.0
PASSED_ON = "\N{WHITE HEAVY CHECK MARK}"

# Tend's notes to the team in a relayed case's thread (moderators read these, never the member).
TEAM_NOTES = {
    "relay_started": _(
        "{member} chose to keep talking through DMs: what you write in this thread now reaches them "
        "by DM, as from the moderators of {server}, and what they write to Tend appears here.{how}"
    ),
    "relay_ended": _(
        "{member} ended the DM conversation. The case stays open; what you write here no longer "
        "reaches them by DM."
    ),
    "dms_closed": _(
        "I couldn't pass that on to {member}: Discord won't let me send them a DM right now (their "
        "privacy settings, or they may have blocked me). They haven't seen it, and I won't keep retrying. "
        "If they write to me again, the conversation picks up; you could also reach them another way."
    ),
    "relay_over": _(
        "That wasn't passed on to {member}: the DM conversation has ended. If they write to me "
        "again, I'll ask whether to pick it up here."
    ),
}


class DmJobs:
    def __init__(self, bot: TendBot):
        self.bot = bot

    async def _context(self, job: Job[Any], case_id: int | None) -> tuple[GuildConfig, Case]:
        guild = self.bot.settings.guild(job.guild_id)
        case = await self.bot.cases.find(case_id)
        if guild is None or case is None:
            raise GiveUp("the case or its server is gone")
        return guild, case

    async def relay_in(self, job: Job[RelayPayload]) -> Finish | None:
        """Post what the member DMed into the case thread (or show their edit of it there)."""
        bot = self.bot
        row = await bot.dms.message(job.payload.message)
        if row is None or row.body is None or row.case_id is None:
            return None  # erased meanwhile (/privacy, retention)
        if row.status != "pending" and not job.payload.edit:
            return None
        guild, case = await self._context(job, row.case_id)
        server = server_name(bot, guild)
        if not case.is_open and row.status == "pending":
            # The case closed before this reached its thread: the member gets their words back.
            return await self._words_back(row, guild, server)
        if case.thread_id is None:
            raise Retry("the case's thread isn't made yet", after=THREAD_WAIT)
        header = f"💬 <@{row.member_id}> by DM{' (edited)' if row.edited_at else ''}:"
        quoted = quote(row.body, WHOLE)
        none = discord.AllowedMentions.none()
        first: discord.Message | None = None
        with retry_on_discord_errors("post the member's DM in the case thread"):
            try:
                thread: discord.Thread | None = await thread_of(bot, case.thread_id)
            except discord.NotFound:
                thread = None
        if thread is None:
            # The case's thread was deleted: nobody would read it there, and retrying never ends.
            return None if job.payload.edit else await self._words_back(row, guild, server)
        with retry_on_discord_errors("post the member's DM in the case thread"):
            parts = pieces(quoted)
            if job.payload.edit:
                if row.delivered_id is not None:
                    await thread.get_partial_message(row.delivered_id).edit(
                        content=f"{header}\n{parts[0]}", allowed_mentions=none
                    )
                    # An edit that grew past one message: the rest follows, nothing cut.
                    for index, part in enumerate(parts[1:], start=1):
                        await thread.send(part, allowed_mentions=none, nonce=f"dm-in-edit-{row.id}-{index}")
                return None
            for index, part in enumerate(parts):
                text = f"{header}\n{part}" if index == 0 else part
                sent = await thread.send(text, allowed_mentions=none, nonce=f"dm-in-{row.id}-{index}")
                first = first or sent
        await self._mark_passed_on(row.member_id, row.source_id)
        return bot.dms.delivered(row.id, first.id if first else None)

    async def _words_back(self, row: DirectMessage, guild: GuildConfig, server: str) -> Finish:
        """The member's relayed words didn't reach the team: they get them back, told so."""
        bot = self.bot
        with retry_on_discord_errors("give the member their words back"):
            user = bot.get_user(row.member_id) or await bot.fetch_user(row.member_id)
            channel = user.dm_channel or await user.create_dm()
        speak = await member_language(bot, guild.id, row.member_id)
        intro = speak(bot.prompts(guild.id).message("dm_relay_not_delivered", server=server))
        await give_back(channel, intro, row.body or "")
        return bot.dms.undeliverable(row.id, dms_closed=False)

    async def _mark_passed_on(self, member_id: int, message_id: int) -> None:
        """A ✅ on the member's DM: it reached the moderators (a nicety; never fails the relay)."""
        try:
            user = self.bot.get_user(member_id) or await self.bot.fetch_user(member_id)
            channel = user.dm_channel or await user.create_dm()
            await channel.get_partial_message(message_id).add_reaction(PASSED_ON)
        except discord.HTTPException:
            pass

    async def relay_out(self, job: Job[RelayPayload]) -> Finish | None:
        """Send what a moderator wrote in the case thread to the member's DMs, attributed to the
        moderators of the server. A 50007 (closed DMs) is told to the team, never retried."""
        bot = self.bot
        row = await bot.dms.message(job.payload.message)
        if row is None or row.body is None or row.case_id is None:
            return None
        if row.status != "pending" and not job.payload.edit:
            return None
        guild, case = await self._context(job, row.case_id)
        relay = await bot.dms.relay_of(case.id)
        # Written while the relay was on (a last word just before closing, say): it still goes.
        written_in_time = relay is not None and (relay.ended_at is None or row.created_at <= relay.ended_at)
        if not written_in_time:
            if not job.payload.edit and case.is_open:
                await self._tell_team(
                    case, guild, "relay_over", nonce=f"dm-over-{row.id}", about=row.source_id
                )
            return bot.dms.undeliverable(row.id, dms_closed=False)
        library = bot.prompts(guild.id)
        speak = await member_language(bot, guild.id, row.member_id)
        header = f"**{speak(library.message('dm_relay_from_team', server=server_name(bot, guild)))}** "
        header += f"({reference(case.kind, case.number)}){' (edited)' if row.edited_at else ''}"
        quoted = quote(row.body, WHOLE)
        first: discord.Message | None = None
        closed = False
        none = discord.AllowedMentions.none()  # their words reach the member inert
        with retry_on_discord_errors("send the moderators' words to the member"):
            user = bot.get_user(row.member_id) or await bot.fetch_user(row.member_id)
            try:
                parts = pieces(quoted)
                if job.payload.edit:
                    if row.delivered_id is not None:
                        channel = user.dm_channel or await user.create_dm()
                        await channel.get_partial_message(row.delivered_id).edit(
                            content=f"{header}\n{parts[0]}", allowed_mentions=none
                        )
                        # An edit that grew past one message: the rest follows, nothing cut.
                        for index, part in enumerate(parts[1:], start=1):
                            await user.send(part, nonce=f"dm-edit-{row.id}-{index}", allowed_mentions=none)
                    return None
                for index, part in enumerate(parts):
                    text = f"{header}\n{part}" if index == 0 else part
                    sent = await user.send(text, nonce=f"dm-out-{row.id}-{index}", allowed_mentions=none)
                    first = first or sent
            except discord.Forbidden as refused:
                if refused.code != DMS_CLOSED:
                    raise
                closed = True
        if closed:
            await self._tell_team(case, guild, "dms_closed", nonce=f"dm-closed-{row.id}", about=row.source_id)
            return bot.dms.undeliverable(row.id, dms_closed=True)
        return bot.dms.delivered(row.id, first.id if first else None)

    async def note(self, job: Job[NotePayload]) -> None:
        """Tend's own words about the relay: to the member by DM, or to the team in the thread."""
        bot = self.bot
        guild, case = await self._context(job, job.case_id)
        key = job.payload.message
        if job.payload.to == "thread":
            await self._tell_team(case, guild, key, nonce=f"dm-note-{job.id}")
            return
        if case.member_id is None:
            return
        speak = await member_language(bot, guild.id, case.member_id)
        text = speak(
            bot.prompts(guild.id).message(
                key, server=server_name(bot, guild), reference=reference(case.kind, case.number)
            )
        )
        extra: dict[str, Any] = {}
        if key == "dm_relay_started":
            extra["view"] = button_row(EndRelayButton(case.id, speak=speak))
        doing = "send the member a note about the DM conversation"
        closed = (
            await send_dm(bot, case.member_id, text, doing=doing, nonce=f"dm-note-{job.id}", **extra) is None
        )
        if closed and key == "dm_relay_started":
            await self._tell_team(case, guild, "dms_closed", nonce=f"dm-closed-n{job.id}")

    async def _tell_team(
        self, case: Case, guild: GuildConfig, key: str, *, nonce: str, about: int | None = None
    ) -> None:
        if case.thread_id is None:
            raise Retry("the case's thread isn't made yet", after=THREAD_WAIT)
        # The team's shared language; the hint about mentioning Tend stays English for now.
        text = team_language(self.bot, guild.id)(
            TEAM_NOTES[key].with_values(
                member=f"<@{case.member_id}>", server=server_name(self.bot, guild), how=mention_hint(self.bot)
            )
        )
        extra: dict[str, Any] = {}
        if about is not None:
            extra["reference"] = discord.MessageReference(
                message_id=about, channel_id=case.thread_id, fail_if_not_exists=False
            )
        with retry_on_discord_errors("tell the team about the DM conversation"):
            thread = await thread_of(self.bot, case.thread_id)
            await thread.send(text, nonce=nonce, allowed_mentions=discord.AllowedMentions.none(), **extra)
