"""Closing a support case from its card, with care: a reason, a note, a check-in, the survey."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot.domain.authority import snowflake
from bot.domain.cases import CLOSE_REASONS, reference
from bot.runtime.modals import RoutedModal
from bot.runtime.replies import reply_private
from bot.runtime.ui import actor_of
from cogs.reflections import offer_reflection

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.runtime.core import TendBot

_MODERATOR_REASONS = [(key, str(label)) for key, label in CLOSE_REASONS.items() if key != "member_closed"]


class CloseSupportModal(RoutedModal):
    pattern = re.compile(r"tend:close-support:(?P<case_id>[0-9]{1,19})")

    def __init__(self, case_id: int, followup_days: list[int], survey: bool, guidance: str = ""):
        super().__init__(
            title="Close this support case", custom_id=f"tend:close-support:{case_id}", timeout=None
        )
        self.case_id, self.followup_days = case_id, followup_days
        if guidance:  # the closing prompt, while there is still time to act on it
            self.add_item(discord.ui.TextDisplay(guidance))
        self.reason: discord.ui.Select[Any] = discord.ui.Select(
            custom_id="reason",
            options=[discord.SelectOption(label=label, value=key) for key, label in _MODERATOR_REASONS],
        )
        self.add_item(discord.ui.Label(text="Why are you closing it?", component=self.reason))
        self.note: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="note", style=discord.TextStyle.paragraph, required=False, max_length=1000
        )
        self.add_item(
            discord.ui.Label(
                text="A note for the team (optional)",
                description="Only moderators see it.",
                component=self.note,
            )
        )
        self.followup: discord.ui.Select[Any] = discord.ui.Select(
            custom_id="followup",
            options=[discord.SelectOption(label="No follow-up", value="0", default=True)]
            + [
                discord.SelectOption(label=f"Check in after {d} day{'s' if d > 1 else ''}", value=str(d))
                for d in followup_days
            ],
        )
        self.add_item(discord.ui.Label(text="Check in with them later?", component=self.followup))
        self.survey: discord.ui.Select[Any] | None = None
        if survey:
            self.survey = discord.ui.Select(
                custom_id="survey",
                options=[
                    discord.SelectOption(label="Yes, ask “Did you feel heard?”", value="yes", default=True),
                    discord.SelectOption(label="No, not this time", value="no"),
                ],
            )
            self.add_item(discord.ui.Label(text="Ask the member how it went?", component=self.survey))

    @classmethod
    def build(cls, case_id: int, guild: GuildConfig, guidance: str = "") -> CloseSupportModal:
        return cls(case_id, guild.support.followup_days, guild.support.survey, guidance)

    @classmethod
    def rebuild(
        cls, bot: TendBot, interaction: discord.Interaction[TendBot], match: re.Match[str]
    ) -> CloseSupportModal:
        return cls.build(snowflake(match["case_id"]), bot.guild_config(interaction.guild_id))

    async def on_submit(self, interaction: discord.Interaction[TendBot]) -> None:  # type: ignore[override]
        bot = interaction.client
        await interaction.response.defer(ephemeral=True, thinking=True)
        days = snowflake(self.followup.values[0]) if self.followup.values else 0
        followup_at = bot.cases.clock() + timedelta(days=days) if days in self.followup_days else None
        survey = bool(self.survey and self.survey.values and self.survey.values[0] == "yes")
        case = await bot.cases.close_support(
            actor_of(interaction),
            self.case_id,
            reason=self.reason.values[0] if self.reason.values else "other",
            note=self.note.value or None,
            followup_at=followup_at,
            survey=survey,
        )
        lines = [f"Closed {reference(case.kind, case.number)}."]
        if followup_at:
            lines.append(f"I'll remind you to check in {discord.utils.format_dt(followup_at, 'R')}.")
        await reply_private(interaction, " ".join(lines))
        await offer_reflection(bot, interaction, case)
