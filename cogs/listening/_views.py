"""The Listening prompt's buttons: reach out, share resources, remind me to check in.

They sit on an ephemeral message (a short-lived tool for the moderator), but are still
DynamicItems with the member and message in their custom_id, so they work after a restart.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord.ui import Button, DynamicItem

from bot.replies import reply_private
from bot.ui import Guarded, TendView
from cogs.conduct._render import resources_embed
from cogs.support._outreach import reach_out

if TYPE_CHECKING:
    from bot.core import TendBot

TARGET = r"listen:(?P<member>[0-9]{1,19}):(?P<channel>[0-9]{1,19}):(?P<message>[0-9]{1,19})"
REMIND_CHOICES = ((1, "Tomorrow"), (3, "In 3 days"), (7, "In a week"))


class _ListenButton(Guarded):
    action: str
    label: str

    def __init__(self, member_id: int, channel_id: int, message_id: int):
        custom_id = f"listen:{member_id}:{channel_id}:{message_id}:{self.action}"
        button: Button[Any] = Button(
            label=self.label, style=discord.ButtonStyle.secondary, custom_id=custom_id
        )
        super().__init__(button)  # type: ignore[call-arg]
        self.member_id, self.channel_id, self.message_id = member_id, channel_id, message_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Any, match: re.Match[str]
    ) -> Any:
        return cls(int(match["member"]), int(match["channel"]), int(match["message"]))


class ReachOutButton(_ListenButton, DynamicItem[Button], template=TARGET + ":reach-out"):  # type: ignore[misc]
    action, label = "reach-out", "Open a support thread with them"

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        guild = bot.require_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        where = await reach_out(bot, guild, self.member_id, interaction.user.id)
        await reply_private(
            interaction, f"You're with them in {where}. They were told they're not in trouble."
        )


class ShareResourcesButton(_ListenButton, DynamicItem[Button], template=TARGET + ":resources"):  # type: ignore[misc]
    action, label = "resources", "Share resources privately"

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        guild = bot.require_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        server = guild.name or (interaction.guild.name if interaction.guild else "the server")
        intro = (
            f"Hi, one of the moderators of {server} thought these might be useful. No need to reply; "
            "they're here whenever you want them."
        )
        user = bot.get_user(self.member_id) or await bot.fetch_user(self.member_id)
        try:
            await user.send(intro, embed=resources_embed(guild.resources, title="Resources"))
        except discord.Forbidden:
            await reply_private(
                interaction,
                "Their direct messages are closed, so I couldn't send them. A support thread may work instead.",
            )
            return
        await reply_private(interaction, "Sent, privately. They won't see who asked.")


class RemindButton(_ListenButton, DynamicItem[Button], template=TARGET + ":remind"):  # type: ignore[misc]
    action, label = "remind", "Remind me to check in"

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        interaction.client.require_moderator(interaction)
        view = RemindWhenView(self.member_id)
        await reply_private(interaction, "When should I remind you?", view=view)


class RemindWhenView(TendView):
    def __init__(self, member_id: int):
        super().__init__(timeout=600)
        self.member_id = member_id
        select: discord.ui.Select[Any] = discord.ui.Select(
            placeholder="Pick a time",
            options=[discord.SelectOption(label=label, value=str(days)) for days, label in REMIND_CHOICES],
        )
        select.callback = self.chosen  # type: ignore[method-assign,assignment]
        self.select = select
        self.add_item(select)

    async def chosen(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        guild = bot.require_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        due = bot.cases.clock() + timedelta(days=int(self.select.values[0]))
        await bot.followups.remind_moderator(
            guild_id=guild.id,
            moderator_id=interaction.user.id,
            created_by=interaction.user.id,
            member_id=self.member_id,
            due_at=due,
            note="Check in after the listening prompt.",
        )
        await reply_private(interaction, f"I'll remind you {discord.utils.format_dt(due, 'R')}.")


def listen_buttons(member_id: int, channel_id: int, message_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for cls in (ReachOutButton, ShareResourcesButton, RemindButton):
        view.add_item(cls(member_id, channel_id, message_id))
    return view


DYNAMIC_ITEMS = (ReachOutButton, ShareResourcesButton, RemindButton)
