"""/support, the panel, and what happens in a support thread (replies, a member leaving)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.cases import reference
from bot.domain.cases.kinds import SUPPORT_CLOSE, SUPPORT_NUDGE, SUPPORT_SETUP, SUPPORT_SILENCE
from bot.domain.disclosure import announce_departure
from bot.domain.i18n import _, language_for
from bot.domain.text import fit, matches
from bot.runtime.doors import shut_if_paused
from bot.runtime.language import language_of, server_locale, team_language
from bot.runtime.replies import reply_private
from bot.runtime.ui import button_row

from ._close import CloseSupportModal
from ._jobs import SupportJobs
from ._kind import ITEMS as CARD_ITEMS
from ._kind import SupportKind
from ._views import (
    DYNAMIC_ITEMS,
    AskForSupportButton,
    SupportModal,
    refusal_before_form,
    refuse_kindly,
    require_support,
)

if TYPE_CHECKING:
    from bot.runtime.core import TendBot

PANEL_TEXT = _(
    "If something is weighing on you, or something happened here that you'd like help with, "
    "press the button. You'll get a private thread with the moderators, at your own pace."
)


class SupportCog(commands.Cog):
    def __init__(self, bot: TendBot):
        self.bot = bot
        self.jobs = SupportJobs(bot)

    async def cog_load(self) -> None:
        self.bot.kinds.register(SupportKind())
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS, *CARD_ITEMS)
        self.bot.modals.register(SupportModal, CloseSupportModal)
        self.bot.jobs.register(SUPPORT_SETUP, self.jobs.setup)
        self.bot.jobs.register(SUPPORT_NUDGE, self.jobs.nudge)
        self.bot.jobs.register(SUPPORT_SILENCE, self.jobs.silence)
        self.bot.jobs.register(SUPPORT_CLOSE, self.jobs.close)

    @app_commands.command(
        name="support", description="Talk privately with the moderators.", extras={"feature": "support"}
    )
    @app_commands.describe(topic="What it's about, roughly (optional)")
    @app_commands.guild_only()
    async def support(self, interaction: discord.Interaction[TendBot], topic: str | None = None) -> None:
        guild = require_support(self.bot, interaction.guild_id)
        if await shut_if_paused(interaction, guild):
            return
        refusal = await refusal_before_form(self.bot, guild, interaction.user.id)
        if refusal is not None:
            await refuse_kindly(interaction, guild, refusal)
            return
        await self.bot.modals.open(
            interaction, SupportModal(fit(topic, 80) if topic else None, language_of(interaction))
        )

    @support.autocomplete("topic")
    async def _topics(
        self, interaction: discord.Interaction[TendBot], current: str
    ) -> list[app_commands.Choice[str]]:
        guild = self.bot.settings.guild(interaction.guild_id)
        topics = guild.support.topics if guild else []
        return [app_commands.Choice(name=t, value=t) for t in topics if matches(current, t)][:25]

    @app_commands.command(
        name="support-panel",
        description="Moderators: post an 'Ask for support' button in a channel.",
        extras={"feature": "support"},
    )
    @app_commands.describe(channel="Where to post it (default: here)")
    @app_commands.default_permissions(manage_messages=True)
    @app_commands.guild_only()
    async def support_panel(
        self, interaction: discord.Interaction[TendBot], channel: discord.TextChannel | None = None
    ) -> None:
        self.bot.require_moderator(interaction)
        target = channel or interaction.channel
        if not isinstance(target, discord.TextChannel):
            await reply_private(interaction, _("Please pick a text channel for the panel."))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        # Everyone reads the panel: it is written in the server's language.
        server = language_for(server_locale(self.bot, interaction.guild_id))
        embed = discord.Embed(
            title=server(_("Need to talk?")),
            description=server(PANEL_TEXT),
            colour=discord.Colour.from_rgb(88, 129, 87),
        )
        message = await target.send(embed=embed, view=button_row(AskForSupportButton(server)))
        await reply_private(interaction, _("Posted the panel: {link}", link=message.jump_url))

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Record the first moderator reply, and that the member is still talking."""
        if message.author.bot or message.guild is None or not isinstance(message.channel, discord.Thread):
            return
        guild = self.bot.settings.guild(message.guild.id)
        if guild is None or message.channel.parent_id != guild.channels.support:
            return
        roles = [r.id for r in getattr(message.author, "roles", [])]
        is_moderator = self.bot.is_moderator_of(guild, message.author.id, roles)
        await self.bot.cases.record_thread_message(
            message.channel.id, message.author.id, is_moderator=is_moderator
        )

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        """A member with open cases left: record it and tell whoever holds each case."""
        if self.bot.settings.guild(payload.guild_id) is None:
            return
        for case in await self.bot.cases.member_left(payload.guild_id, payload.user.id):
            # Never "the member of R-0001 has left": that would tell who filed the report.
            if case.holder_id and announce_departure(case, payload.user.id):
                team = team_language(self.bot, case.guild_id)
                text = team(
                    _(
                        "The member of {reference} has left the server.",
                        reference=reference(case.kind, case.number),
                    )
                )
                await self.bot.cases.notify_team(case, text, ping=case.holder_id)
