"""The report forms. Each is rebuilt from its custom_id, so a restart while typing loses nothing."""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot.domain.authority import snowflake
from bot.domain.cases import reference
from bot.domain.cases.reports import ReportLimits
from bot.domain.errors import InvalidInput, NotConfigured
from bot.domain.i18n import Language, _
from bot.domain.permissions import is_moderator
from bot.domain.text import fit
from bot.runtime.doors import out_of_hours_line, resources_first, shut_if_paused
from bot.runtime.embeds import resources_embed
from bot.runtime.language import language_of
from bot.runtime.members import member_of
from bot.runtime.modals import RoutedModal
from bot.runtime.replies import give_back_words, reply_private
from bot.runtime.ui import actor_of

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.runtime.core import TendBot

TEXT_LIMIT = 4000
NOT_A_BOT = _("Bots can't be reported. If a bot is misbehaving, please tell a moderator directly.")


def require_reports(bot: TendBot, guild_id: int | None) -> GuildConfig:
    guild = bot.guild_config(guild_id)
    if not guild.features.reports:
        raise NotConfigured(
            _("Reports aren't switched on in this server. You can still message a moderator directly.")
        )
    return guild


def limits_of(guild: GuildConfig) -> ReportLimits:
    settings = guild.reports
    return ReportLimits(settings.burst_limit, timedelta(minutes=settings.burst_minutes), settings.daily_limit)


async def reported_is_moderator(bot: TendBot, guild: GuildConfig, user_id: int) -> bool:
    """Look the reported person up on Discord (a form's custom_id is untrusted): someone real and
    not a bot, in the server or not any more; returns whether they moderate it (escalation)."""
    discord_guild = bot.get_guild(guild.id)
    member = await member_of(discord_guild, user_id) if discord_guild is not None else None
    user: discord.abc.User | None = member
    if user is None and user_id:
        with contextlib.suppress(discord.NotFound):
            user = bot.get_user(user_id) or await bot.fetch_user(user_id)
    if user is None:
        raise InvalidInput(_("I can't find the person this report is about. Please use `/report` again."))
    if user.bot:
        raise InvalidInput(NOT_A_BOT)
    roles = [r.id for r in member.roles] if member else []
    owner = discord_guild is not None and discord_guild.owner_id == user_id
    return is_moderator(guild, roles, is_guild_owner=owner)


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
        draft_id: int | None = None,
    ) -> None:
        bot = interaction.client
        guild = require_reports(bot, interaction.guild_id)
        if await shut_if_paused(interaction, guild, words=self.what.value or "", quick=False):
            return
        if guild.rule(rule_id) is None:
            raise InvalidInput(
                _("That rule isn't in this server's Code of Conduct any more; please pick another.")
            )
        text = (self.what.value or "").strip()
        if len(text) < guild.reports.min_length:
            raise InvalidInput(
                _(
                    "Please tell the moderators a little more (at least {count} characters), so they can act on it.",
                    count=guild.reports.min_length,
                )
            )
        escalated = await reported_is_moderator(bot, guild, subject_id)
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
            draft_id=draft_id,
        )
        receipt = bot.prompts(guild.id).message("report_receipt", reference=reference(case.kind, case.number))
        speak = language_of(interaction)
        embeds = (
            [resources_embed(guild.resources, speak, title=speak(_("If you need support")))]
            if guild.resources
            else []
        )
        said = speak(receipt)
        away = out_of_hours_line(bot, guild)
        if away is not None:
            # Outside team hours: honest about when to expect a reply, crisis resources first.
            said, embeds = f"{speak(away)}\n\n{said}", resources_first(guild, speak)
        await reply_private(interaction, said, embeds=embeds)

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]
        # Whatever failed, the member keeps their words.
        await super().on_error(interaction, error)
        await give_back_words(interaction, self.what.value or "")


def _what_input(required_min: int, speak: Language) -> discord.ui.TextInput[Any]:
    return discord.ui.TextInput(
        custom_id="what",
        style=discord.TextStyle.paragraph,
        required=True,
        min_length=min(required_min, TEXT_LIMIT),
        max_length=TEXT_LIMIT,
        placeholder=speak(_("What happened, where, and when. Only the moderators will read this.")),
    )


class ReportModal(_ReportForm):
    pattern = re.compile(r"tend:report:(?P<subject>[0-9]{1,19}):(?P<rule>[a-z0-9_-]{1,40}):(?P<anon>[01])")

    def __init__(self, subject_id: int, rule_id: str, anonymous: bool, min_length: int, speak: Language):
        super().__init__(
            title=speak(_("What happened?")),
            custom_id=f"tend:report:{subject_id}:{rule_id}:{int(anonymous)}",
            timeout=None,
        )
        self.subject_id, self.rule_id, self.anonymous = subject_id, rule_id, anonymous
        self.what = _what_input(min_length, speak)
        self.add_item(discord.ui.Label(text=speak(_("Tell us what happened")), component=self.what))

    @classmethod
    def rebuild(
        cls, bot: TendBot, interaction: discord.Interaction[TendBot], match: re.Match[str]
    ) -> ReportModal:
        guild = bot.guild_config(interaction.guild_id)
        return cls(
            snowflake(match["subject"]),
            match["rule"],
            match["anon"] == "1",
            guild.reports.min_length,
            language_of(interaction),
        )

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
    """Report message's form: its custom_id names the draft (this interaction), nothing else."""

    pattern = re.compile(r"tend:report-msg:(?P<draft>[0-9]{1,19})")

    def __init__(self, draft_id: int, guild: GuildConfig, speak: Language):
        super().__init__(
            title=speak(_("Report this message")), custom_id=f"tend:report-msg:{draft_id}", timeout=None
        )
        self.draft_id = draft_id
        rules = [(r.id, *r.text_in(speak.code)) for r in guild.rules[:25]]
        self.rule: discord.ui.Select[Any] = discord.ui.Select(
            custom_id="rule",
            options=[
                discord.SelectOption(label=fit(title, 100), value=rule_id, description=fit(text, 100))
                for rule_id, title, text in rules
            ],
        )
        self.add_item(discord.ui.Label(text=speak(_("Which rule does it break?")), component=self.rule))
        self.what = _what_input(guild.reports.min_length, speak)
        self.add_item(discord.ui.Label(text=speak(_("What's wrong with it?")), component=self.what))
        self.anonymous: discord.ui.Select[Any] | None = None
        if guild.reports.anonymous:
            self.anonymous = discord.ui.Select(
                custom_id="anonymous",
                options=[
                    discord.SelectOption(
                        label=speak(_("Show my name to the moderators")), value="0", default=True
                    ),
                    discord.SelectOption(label=speak(_("Keep me anonymous")), value="1"),
                ],
            )
            self.add_item(discord.ui.Label(text=speak(_("Your name")), component=self.anonymous))

    @classmethod
    def rebuild(
        cls, bot: TendBot, interaction: discord.Interaction[TendBot], match: re.Match[str]
    ) -> ReportMessageModal:
        return cls(
            snowflake(match["draft"]), bot.guild_config(interaction.guild_id), language_of(interaction)
        )

    async def on_submit(self, interaction: discord.Interaction[TendBot]) -> None:  # type: ignore[override]
        await interaction.response.defer(ephemeral=True, thinking=True)
        draft = await interaction.client.reports.draft_for(actor_of(interaction), self.draft_id)
        anonymous = bool(self.anonymous and self.anonymous.values and self.anonymous.values[0] == "1")
        rule = self.rule.values[0] if self.rule.values else ""
        await self.file(
            interaction,
            subject_id=draft.author_id,
            rule_id=rule,
            anonymous=anonymous,
            snapshot=draft.snapshot,
            draft_id=draft.id,
        )


def message_snapshot(message: discord.Message) -> dict[str, Any]:
    """The reported message as evidence, from what Discord resolved (kept sealed)."""
    return {
        "message_id": message.id,
        "channel_id": message.channel.id,
        "author_id": message.author.id,
        "content": message.content,
        "created_at": message.created_at.isoformat(),
        "jump_url": message.jump_url,
        "attachments": [a.filename for a in message.attachments],
    }
