"""The Listening prompt's buttons: reach out, share resources, remind me to check in.

They sit on an ephemeral message (a short-lived tool for the moderator), but are still
DynamicItems with the member and message in their custom_id, so they work after a restart.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord.ui import Button, DynamicItem, Select

from bot.domain.authority import snowflake
from bot.domain.errors import InvalidInput
from bot.domain.i18n import ENGLISH, Language, Text, _
from bot.runtime.audience import message_in
from bot.runtime.embeds import resources_embed
from bot.runtime.language import language_of, member_language
from bot.runtime.replies import reply_private
from bot.runtime.ui import Guarded, button_row
from cogs.support import reach_out

if TYPE_CHECKING:
    from bot.runtime.core import TendBot

TARGET = r"listen:(?P<member>[0-9]{1,19}):(?P<channel>[0-9]{1,19}):(?P<message>[0-9]{1,19})"
REMIND_CHOICES = ((1, _("Tomorrow")), (3, _("In 3 days")), (7, _("In a week")))


class _ListenButton(Guarded):
    action: str
    label: str | Text

    def __init__(self, member_id: int, channel_id: int, message_id: int, speak: Language = ENGLISH):
        custom_id = f"listen:{member_id}:{channel_id}:{message_id}:{self.action}"
        button: Button[Any] = Button(
            label=speak(self.label), style=discord.ButtonStyle.secondary, custom_id=custom_id
        )
        super().__init__(button)  # type: ignore[call-arg]
        self.member_id, self.channel_id, self.message_id = member_id, channel_id, message_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Any, match: re.Match[str]
    ) -> Any:
        return cls(snowflake(match["member"]), snowflake(match["channel"]), snowflake(match["message"]))

    async def author(self, interaction: discord.Interaction[TendBot]) -> int:
        return await author_of(interaction, self.channel_id, self.message_id)


async def author_of(interaction: discord.Interaction[TendBot], channel_id: int, message_id: int) -> int:
    """Who wrote the message, as Discord says (never the member id in the custom_id), once the
    message is found in this server in a channel the moderator can read."""
    message = await message_in(
        interaction.client, interaction.guild_id, interaction.user.id, channel_id, message_id
    )
    if message.author.bot:
        raise InvalidInput(_("That message is from a bot; the listening prompt is for replying to people."))
    return message.author.id


class ReachOutButton(_ListenButton, DynamicItem[Button], template=TARGET + ":reach-out"):  # type: ignore[misc]
    action, label = "reach-out", _("Open a support thread with them")

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        guild = bot.require_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        where = await reach_out(bot, guild, await self.author(interaction), interaction.user.id)
        await reply_private(
            interaction, _("You're with them in {where}. They were told they're not in trouble.", where=where)
        )


class ShareResourcesButton(_ListenButton, DynamicItem[Button], template=TARGET + ":resources"):  # type: ignore[misc]
    action, label = "resources", _("Share resources privately")

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        guild = bot.require_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        server = guild.name or (interaction.guild.name if interaction.guild else _("the server"))
        intro = _(
            "Hi, one of the moderators of {server} thought these might be useful. No need to reply;"
            " they're here whenever you want them.",
            server=server,
        )
        member_id = await self.author(interaction)
        user = bot.get_user(member_id) or await bot.fetch_user(member_id)
        try:
            speak = await member_language(bot, guild.id, member_id)
            await user.send(speak(intro), embed=resources_embed(guild.resources, speak))
        except discord.Forbidden:
            await reply_private(
                interaction,
                _(
                    "Their direct messages are closed, so I couldn't send them. A support thread may work instead."
                ),
            )
            return
        await reply_private(interaction, _("Sent, privately. They won't see who asked."))


class RemindButton(_ListenButton, DynamicItem[Button], template=TARGET + ":remind"):  # type: ignore[misc]
    action, label = "remind", _("Remind me to check in")

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        interaction.client.require_moderator(interaction)
        picker = RemindWhen(self.member_id, self.channel_id, self.message_id, language_of(interaction))
        await reply_private(interaction, _("When should I remind you?"), view=button_row(picker))


class RemindWhen(Guarded, DynamicItem[Select], template=TARGET + ":remind-when"):  # type: ignore[misc]
    """The time picker: a DynamicItem too, so it answers after a restart."""

    def __init__(self, member_id: int, channel_id: int, message_id: int, speak: Language = ENGLISH):
        select: Select[Any] = Select(
            placeholder=speak(_("Pick a time")),
            custom_id=f"listen:{member_id}:{channel_id}:{message_id}:remind-when",
            options=[
                discord.SelectOption(label=speak(label), value=str(days)) for days, label in REMIND_CHOICES
            ],
        )
        super().__init__(select)
        self.channel_id, self.message_id = channel_id, message_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Any, match: re.Match[str]
    ) -> Any:
        return cls(snowflake(match["member"]), snowflake(match["channel"]), snowflake(match["message"]))

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        guild = bot.require_moderator(interaction)
        days = dict(REMIND_CHOICES).get(snowflake(self.item.values[0]) if self.item.values else 0)
        if days is None:
            raise InvalidInput(_("Please pick one of the times in the list."))
        await interaction.response.defer(ephemeral=True, thinking=True)
        member_id = await author_of(interaction, self.channel_id, self.message_id)
        due = bot.cases.clock() + timedelta(days=snowflake(self.item.values[0]))
        await bot.followups.remind_moderator(
            guild_id=guild.id,
            moderator_id=interaction.user.id,
            created_by=interaction.user.id,
            member_id=member_id,
            due_at=due,
            note="Check in after the listening prompt.",
        )
        await reply_private(interaction, _("I'll remind you {when}.", when=discord.utils.format_dt(due, "R")))


def listen_buttons(member_id: int, channel_id: int, message_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for cls in (ReachOutButton, ShareResourcesButton, RemindButton):
        view.add_item(cls(member_id, channel_id, message_id))
    return view


DYNAMIC_ITEMS = (ReachOutButton, ShareResourcesButton, RemindButton, RemindWhen)
