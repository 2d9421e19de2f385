"""The lasting Lift pause button (on the team's notice in the queue and on the member's cards)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord.ui import Button, DynamicItem

from bot.domain.i18n import _
from bot.runtime.replies import reply_private
from bot.runtime.ui import IdButton, actor_of, id_template

if TYPE_CHECKING:
    from bot.runtime.core import TendBot


class LiftPauseButton(IdButton, DynamicItem[Button], template=id_template("pause", "lift")):  # type: ignore[misc]
    """Lift a pause early. The id is untrusted: the pause is looked up and its own server decides."""

    prefix, action, label, style = "pause", "lift", _("Lift pause"), discord.ButtonStyle.secondary

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        bot.require_moderator(interaction)  # a quick gate; the pause's server decides below
        await interaction.response.defer(ephemeral=True, thinking=True)
        pause = await bot.pauses.lift(actor_of(interaction), self.target_id)
        await reply_private(
            interaction,
            _(
                "Lifted the pause on {member}. I'll let them know it's over, kindly.",
                member=f"<@{pause.member_id}>",
            ),
        )


ITEMS = (LiftPauseButton,)
