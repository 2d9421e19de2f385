"""Recording case threads as they happen, the transcript on close, and /case for moderators."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.cases import reference
from bot.domain.cases.kinds import CASE_TRANSCRIPT, TRANSCRIPT_UNPOST
from bot.domain.disclosure import TEAM
from bot.domain.errors import NotFound
from bot.domain.text import matches
from bot.runtime.core import TendBot
from bot.runtime.records import heard_of, kept_by_sender, message_text, send_history, transcript_file
from bot.runtime.replies import reply_private
from bot.runtime.ui import actor_of

from ._capture import in_case_threads
from ._jobs import RecordJobs


class RecordsCog(commands.GroupCog, group_name="case", group_description="Moderators: case records"):
    def __init__(self, bot: TendBot):
        self.bot = bot
        self.jobs = RecordJobs(bot)
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.jobs.register(CASE_TRANSCRIPT, self.jobs.post_transcript)
        self.bot.jobs.register(TRANSCRIPT_UNPOST, self.jobs.unpost)

    # -- recording ---------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Every message in a case thread, Tend's own included, kept as it arrives (one write)."""
        guild_id = message.guild.id if message.guild else None
        if guild_id is None:
            return
        channel = message.channel
        if isinstance(channel, discord.PartialMessageable):
            # A thread Discord hasn't told Tend about yet: only a thread a case has stored counts.
            if self.bot.settings.guild(guild_id) is None:
                return
        elif not in_case_threads(self.bot, guild_id, channel):
            return
        if kept_by_sender(message, self.bot.user.id if self.bot.user else None):
            return  # the job that sent it kept it with its own write
        # The language Tend stored from their last interaction (one table for every feature).
        locale = None if message.author.bot else await self.bot.services.locales.locale_of(message.author.id)
        await self.bot.records.record(heard_of(message, guild_id, locale))

    def _maybe_case_thread(self, guild_id: int | None, channel_id: int) -> bool:
        channel = self.bot.get_channel(channel_id)
        if channel is None:  # not cached: the indexed look-up by message id decides
            return self.bot.settings.guild(guild_id) is not None
        return in_case_threads(self.bot, guild_id, channel)

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """An edit: the transcript shows the new text and keeps the earlier versions."""
        if not self._maybe_case_thread(payload.guild_id, payload.channel_id):
            return
        if not self.bot.intents.message_content and not payload.message.author.bot:
            return  # without the intent the text arrives blank: that isn't an edit
        message = payload.message
        await self.bot.records.edited(
            payload.message_id,
            message_text(message),
            [a.filename for a in message.attachments],
            message.edited_at or self.bot.cases.clock(),
        )

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        """A deletion: the transcript keeps the message and shows it was deleted, and when."""
        if self._maybe_case_thread(payload.guild_id, payload.channel_id):
            await self.bot.records.deleted([payload.message_id], self.bot.cases.clock())

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        if self._maybe_case_thread(payload.guild_id, payload.channel_id):
            await self.bot.records.deleted(payload.message_ids, self.bot.cases.clock())

    # -- /case -------------------------------------------------------------------------------

    @app_commands.command(
        name="transcript", description="Moderators: a case's transcript as a safe HTML file."
    )
    @app_commands.describe(case="The case's reference, as on its card (e.g. support-0001, R-0003)")
    @app_commands.guild_only()
    async def transcript(self, interaction: discord.Interaction[TendBot], case: str) -> None:
        # Tend's moderator roles decide, not Discord's command permissions (owners can change those).
        self.bot.require_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self.bot.records.transcript_for(actor_of(interaction), case)
        record = await self.bot.cases.find(found.case_id)
        if record is None:
            raise NotFound("That case no longer exists.")
        # Only this moderator sees the answer (the rule has already kept out a reported moderator).
        file = await transcript_file(self.bot, found, record, TEAM)
        await reply_private(
            interaction,
            f"The transcript of {found.reference} ({len(found.messages)} message(s)). Only you can see this; "
            "the file loads nothing from the internet.",
            file=file,
        )

    @transcript.autocomplete("case")
    async def _cases(
        self, interaction: discord.Interaction[TendBot], current: str
    ) -> list[app_commands.Choice[str]]:
        guild = self.bot.settings.guild(interaction.guild_id)
        if guild is None or not actor_of(interaction).moderates(guild):
            return []
        cases = await self.bot.records.cases_for_autocomplete(guild.id, current)
        refs = [reference(c.kind, c.number) for c in cases]
        return [app_commands.Choice(name=r, value=r) for r in refs if matches(current, r)][:25]

    @app_commands.command(
        name="history", description="Moderators: a member's earlier cases, with transcripts."
    )
    @app_commands.describe(member="Whose earlier cases to show")
    @app_commands.guild_only()
    async def history(self, interaction: discord.Interaction[TendBot], member: discord.User) -> None:
        self.bot.require_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await send_history(interaction, member.id)
