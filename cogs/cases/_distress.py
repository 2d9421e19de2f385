"""Distress-card actions: reach out in a private thread, mark it done, or mark it not needed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord.ui import Button, DynamicItem

from bot.domain.cases import reference
from bot.domain.errors import InvalidInput
from bot.runtime.replies import reply_private
from bot.runtime.ui import actor_of
from cogs.support._outreach import reach_out

from ._base import CASE, _CaseButton

if TYPE_CHECKING:
    from bot.runtime.core import TendBot


class DistressReachOutButton(_CaseButton, DynamicItem[Button], template=CASE + ":reach-out"):  # type: ignore[misc]
    action, label, style = "reach-out", "Open a support thread", discord.ButtonStyle.primary

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        bot.require_moderator(interaction)  # a quick gate; the case decides below
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = actor_of(interaction)
        case = await bot.cases.for_moderator(actor, self.case_id)
        if case.kind != "distress":
            raise InvalidInput("That isn't a distress notice.")
        if case.member_id is None:
            raise InvalidInput("I no longer know who wrote that message.")
        where = await reach_out(bot, bot.guild_config(case.guild_id), case.member_id, interaction.user.id)
        closed = await bot.distress.close(actor, case.id, outcome="reached_out")
        await reply_private(
            interaction, f"You're with them in {where}; {reference(closed.kind, closed.number)} is closed."
        )


class DistressDoneButton(_CaseButton, DynamicItem[Button], template=CASE + ":reached-out"):  # type: ignore[misc]
    action, label, style = "reached-out", "I reached out", discord.ButtonStyle.success

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        await _close(interaction, self.case_id, "reached_out")


class DistressNotNeededButton(_CaseButton, DynamicItem[Button], template=CASE + ":not-needed"):  # type: ignore[misc]
    action, label = "not-needed", "Not needed"

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        await _close(interaction, self.case_id, "not_needed")


async def _close(interaction: discord.Interaction[TendBot], case_id: int, outcome: str) -> None:
    from cogs.listening._reflection import offer_reflection

    bot = interaction.client
    bot.require_moderator(interaction)  # a quick gate; the case decides below
    await interaction.response.defer(ephemeral=True, thinking=True)
    case = await bot.distress.close(actor_of(interaction), case_id, outcome=outcome)
    await reply_private(interaction, f"Closed {reference(case.kind, case.number)}.")
    if outcome == "reached_out":
        await offer_reflection(bot, interaction, case)


DISTRESS_ITEMS = (DistressReachOutButton, DistressDoneButton, DistressNotNeededButton)
