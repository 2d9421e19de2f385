"""The report forms. Each is rebuilt from its custom_id, so a restart while typing loses nothing."""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot.cases import reference
from bot.cases.reports import ReportLimits
from bot.errors import InvalidInput, NotConfigured
from bot.modals import RoutedModal
from bot.replies import give_back_words, reply_private
from bot.text import fit
from cogs.conduct._render import resources_embed

if TYPE_CHECKING:
    from bot.config import GuildConfig
    from bot.core import TendBot

TEXT_LIMIT = 4000


def require_reports(bot: TendBot, guild_id: int | None) -> GuildConfig:
    guild = bot.guild_config(guild_id)
    if not guild.features.reports:
        raise NotConfigured(
            "Reports aren't switched on in this server. You can still message a moderator directly."
        )
    return guild


def limits_of(guild: GuildConfig) -> ReportLimits:
    settings = guild.reports
    return ReportLimits(settings.burst_limit, timedelta(minutes=settings.burst_minutes), settings.daily_limit)


async def is_moderator_member(bot: TendBot, guild: GuildConfig, user_id: int) -> bool:
    discord_guild = bot.get_guild(guild.id)
    member = discord_guild.get_member(user_id) if discord_guild else None
    if member is None and discord_guild is not None:
        with contextlib.suppress(discord.NotFound):
            member = await discord_guild.fetch_member(user_id)
    roles = [r.id for r in member.roles] if member else []
    return bot.is_moderator_of(guild, user_id, roles)


class _ReportForm(RoutedModal):
    """What both report forms share: filing, the receipt, and keeping the member's words on failure."""

    what: discord.ui.TextInput[Any]

    async def file(
        self,
        interaction: discord.Interaction[TendBot],
        *,
        subject_id: int,
        rule_id: str,
        anonymous: bool,
        snapshot: dict[str, Any] | None,
    ) -> None:
        bot = interaction.client
        guild = require_reports(bot, interaction.guild_id)
        if guild.rule(rule_id) is None:
            raise InvalidInput(
                "That rule isn't in this server's Code of Conduct any more; please pick another."
            )
        text = (self.what.value or "").strip()
        if len(text) < guild.reports.min_length:
            raise InvalidInput(
                f"Please tell the moderators a little more (at least {guild.reports.min_length} characters), "
                "so they can act on it."
            )
        escalated = await is_moderator_member(bot, guild, subject_id)
        case = await bot.reports.file(
            guild_id=guild.id,
            reporter_id=interaction.user.id,
            subject_id=subject_id,
            rule_id=rule_id,
            text=text,
            snapshot=snapshot,
            anonymous=anonymous and guild.reports.anonymous,
            escalated=escalated,
            limits=limits_of(guild),
        )
        receipt = bot.prompts(guild.id).message("report_receipt", reference=reference(case.kind, case.number))
        embeds = [resources_embed(guild.resources, title="If you need support")] if guild.resources else []
        await reply_private(interaction, receipt, embeds=embeds)

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]
        # Whatever failed, the member keeps their words.
        await super().on_error(interaction, error)
        await give_back_words(interaction, self.what.value or "")


def _what_input(required_min: int) -> discord.ui.TextInput[Any]:
    return discord.ui.TextInput(
        custom_id="what",
        style=discord.TextStyle.paragraph,
        required=True,
        min_length=min(required_min, TEXT_LIMIT),
        max_length=TEXT_LIMIT,
        placeholder="What happened, where, and when. Only the moderators will read this.",
    )


class ReportModal(_ReportForm):
    pattern = re.compile(r"tend:report:(?P<subject>[0-9]{1,19}):(?P<rule>[a-z0-9_-]{1,40}):(?P<anon>[01])")

    def __init__(self, subject_id: int, rule_id: str, anonymous: bool, min_length: int):
        super().__init__(
            title="What happened?",
            custom_id=f"tend:report:{subject_id}:{rule_id}:{int(anonymous)}",
            timeout=None,
        )
        self.subject_id, self.rule_id, self.anonymous = subject_id, rule_id, anonymous
        self.what = _what_input(min_length)
        self.add_item(discord.ui.Label(text="Tell us what happened", component=self.what))

    @classmethod
    def rebuild(
        cls, bot: TendBot, interaction: discord.Interaction[TendBot], match: re.Match[str]
    ) -> ReportModal:
        guild = bot.guild_config(interaction.guild_id)
        return cls(int(match["subject"]), match["rule"], match["anon"] == "1", guild.reports.min_length)

    async def on_submit(self, interaction: discord.Interaction[TendBot]) -> None:  # type: ignore[override]
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.file(
            interaction,
            subject_id=self.subject_id,
            rule_id=self.rule_id,
            anonymous=self.anonymous,
            snapshot=None,
        )


class ReportMessageModal(_ReportForm):
    pattern = re.compile(
        r"tend:report-msg:(?P<channel>[0-9]{1,19}):(?P<message>[0-9]{1,19}):(?P<author>[0-9]{1,19})"
    )

    def __init__(self, channel_id: int, message_id: int, author_id: int, guild: GuildConfig):
        super().__init__(
            title="Report this message",
            custom_id=f"tend:report-msg:{channel_id}:{message_id}:{author_id}",
            timeout=None,
        )
        self.channel_id, self.message_id, self.author_id = channel_id, message_id, author_id
        self.rule: discord.ui.Select[Any] = discord.ui.Select(
            custom_id="rule",
            options=[
                discord.SelectOption(label=fit(r.title, 100), value=r.id, description=fit(r.text, 100))
                for r in guild.rules[:25]
            ],
        )
        self.add_item(discord.ui.Label(text="Which rule does it break?", component=self.rule))
        self.what = _what_input(guild.reports.min_length)
        self.add_item(discord.ui.Label(text="What's wrong with it?", component=self.what))
        self.anonymous: discord.ui.Select[Any] | None = None
        if guild.reports.anonymous:
            self.anonymous = discord.ui.Select(
                custom_id="anonymous",
                options=[
                    discord.SelectOption(label="Show my name to the moderators", value="0", default=True),
                    discord.SelectOption(label="Keep me anonymous", value="1"),
                ],
            )
            self.add_item(discord.ui.Label(text="Your name", component=self.anonymous))

    @classmethod
    def rebuild(
        cls, bot: TendBot, interaction: discord.Interaction[TendBot], match: re.Match[str]
    ) -> ReportMessageModal:
        guild = bot.guild_config(interaction.guild_id)
        return cls(int(match["channel"]), int(match["message"]), int(match["author"]), guild)

    async def on_submit(self, interaction: discord.Interaction[TendBot]) -> None:  # type: ignore[override]
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = interaction.client
        snapshot = await snapshot_for(
            bot, interaction.user.id, self.channel_id, self.message_id, self.author_id
        )
        anonymous = bool(self.anonymous and self.anonymous.values and self.anonymous.values[0] == "1")
        rule = self.rule.values[0] if self.rule.values else ""
        await self.file(
            interaction, subject_id=self.author_id, rule_id=rule, anonymous=anonymous, snapshot=snapshot
        )


def message_snapshot(message: discord.Message) -> dict[str, Any]:
    return {
        "message_id": message.id,
        "channel_id": message.channel.id,
        "author_id": message.author.id,
        "content": message.content,
        "created_at": message.created_at.isoformat(),
        "jump_url": message.jump_url,
        "attachments": [a.filename for a in message.attachments],
    }


class SnapshotCache:
    """Snapshots taken when a member opens the form, so the evidence survives a deletion while
    they type. A restart empties it; the message is then fetched again (or noted as deleted)."""

    def __init__(self) -> None:
        self._kept: dict[tuple[int, int], dict[str, Any]] = {}

    def remember(self, user_id: int, message: discord.Message) -> None:
        if len(self._kept) > 1000:  # forms abandoned long ago
            self._kept.clear()
        self._kept[(user_id, message.id)] = message_snapshot(message)

    def take(self, user_id: int, message_id: int) -> dict[str, Any] | None:
        return self._kept.pop((user_id, message_id), None)


async def snapshot_for(
    bot: TendBot, user_id: int, channel_id: int, message_id: int, author_id: int
) -> dict[str, Any]:
    cog = bot.get_cog("ReportsCog")
    kept = cog.snapshots.take(user_id, message_id) if cog is not None else None  # type: ignore[attr-defined]
    if kept is not None:
        return kept
    guild_id = next((g.id for g in bot.guilds if g.get_channel_or_thread(channel_id)), None)
    jump = f"https://discord.com/channels/{guild_id or '@me'}/{channel_id}/{message_id}"
    try:
        channel = bot.get_channel(channel_id) or await bot.fetch_channel(channel_id)
        message = await channel.fetch_message(message_id)  # type: ignore[union-attr]
    except (discord.NotFound, discord.Forbidden):
        return {
            "deleted_before_report": True,
            "message_id": message_id,
            "channel_id": channel_id,
            "author_id": author_id,
            "jump_url": jump,
        }
    return message_snapshot(message)
