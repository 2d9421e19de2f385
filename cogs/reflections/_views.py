"""Reflection after a case: the questions, the private answer and its follow-up, and deleting one."""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord.ui import Button, DynamicItem, Select

from bot.domain.authority import snowflake
from bot.domain.cases import reference
from bot.domain.i18n import ENGLISH, Language, _
from bot.domain.text import fit
from bot.runtime.language import language_of
from bot.runtime.modals import RoutedModal
from bot.runtime.replies import reply_private
from bot.runtime.ui import Guarded, actor_of, button_row

if TYPE_CHECKING:
    from bot.runtime.core import TendBot
    from models import Case

_COLOUR = discord.Colour.from_rgb(120, 94, 160)
FOLLOW_CHOICES = (
    ("none", "No"),
    ("1", "Yes, remind me tomorrow"),
    ("3", "Yes, in 3 days"),
    ("7", "Yes, in a week"),
)
FOLLOW_DAYS = (("1", 1), ("3", 3), ("7", 7))


def reflection_embed(bot: TendBot, case: Case, speak: Language = ENGLISH) -> discord.Embed:
    questions = bot.prompts(case.guild_id).reflection_questions(count=3, seed=case.id)
    body = "\n".join(f"• {q}" for q in questions)
    embed = discord.Embed(
        title=speak(_("A moment to reflect on {reference}", reference=reference(case.kind, case.number))),
        description=speak(
            _(
                "{body}\n\nIf you'd like, write a few lines for yourself. Only you can ever read them.",
                body=body,
            )
        ),
        colour=_COLOUR,
    )
    return embed


async def offer_reflection(bot: TendBot, interaction: discord.Interaction[TendBot], case: Case) -> None:
    """After a close: the questions, privately (or by DM if the server prefers), with a button to write."""
    guild = bot.guild_config(case.guild_id)
    view = discord.ui.View(timeout=None)
    speak = language_of(interaction)
    view.add_item(ReflectButton(case.guild_id, case.id, speak))
    embed = reflection_embed(bot, case, speak)
    if guild.listening.reflection_by_dm:
        with contextlib.suppress(discord.HTTPException):
            await interaction.user.send(embed=embed, view=view)
            return
    await reply_private(interaction, embed=embed, view=view)


REFLECT = r"reflect:(?P<guild>[0-9]{1,19}):(?P<case>[0-9]{1,19})"


class ReflectButton(Guarded, DynamicItem[Button], template=REFLECT):  # type: ignore[misc]
    def __init__(self, guild_id: int, case_id: int, speak: Language = ENGLISH):
        button: Button[Any] = Button(
            label=speak(_("Write a private reflection")),
            style=discord.ButtonStyle.secondary,
            custom_id=f"reflect:{guild_id}:{case_id}",
        )
        super().__init__(button)
        self.guild_id, self.case_id = guild_id, case_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Any, match: re.Match[str]
    ) -> Any:
        return cls(snowflake(match["guild"]), snowflake(match["case"]))

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        await interaction.client.modals.open(
            interaction, ReflectionModal(self.guild_id, self.case_id, language_of(interaction))
        )


class ReflectionModal(RoutedModal):
    pattern = re.compile(r"tend:reflect:(?P<guild>[0-9]{1,19}):(?P<case>[0-9]{1,19})")

    def __init__(self, guild_id: int, case_id: int, speak: Language = ENGLISH):
        super().__init__(
            title=speak(_("Your reflection (only you see it)")),
            custom_id=f"tend:reflect:{guild_id}:{case_id}",
            timeout=None,
        )
        self.guild_id, self.case_id = guild_id, case_id
        self.text: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="text", style=discord.TextStyle.paragraph, required=True, max_length=2000
        )
        self.add_item(
            discord.ui.Label(text=speak(_("What stays with you from this one?")), component=self.text)
        )
        self.follow: discord.ui.Select[Any] = discord.ui.Select(
            custom_id="follow",
            options=[
                discord.SelectOption(label=label, value=value, default=value == "none")
                for value, label in FOLLOW_CHOICES
            ],
        )
        self.add_item(discord.ui.Label(text=speak(_("Does this need a follow-up?")), component=self.follow))

    @classmethod
    def rebuild(
        cls, bot: TendBot, interaction: discord.Interaction[TendBot], match: re.Match[str]
    ) -> ReflectionModal:
        return cls(snowflake(match["guild"]), snowflake(match["case"]), language_of(interaction))

    async def on_submit(self, interaction: discord.Interaction[TendBot]) -> None:  # type: ignore[override]
        bot = interaction.client
        await interaction.response.defer(ephemeral=True, thinking=True)
        follow = self.follow.values[0] if self.follow.values else "none"
        days = dict(FOLLOW_DAYS).get(follow)
        # The case decides the server (never the guild in the custom_id), and who may reflect on it.
        reflected = await bot.reflections.reflect(
            actor_of(interaction),
            self.case_id,
            self.text.value,
            follow_up_in=timedelta(days=days) if days else None,
        )
        answer = (
            "Saved, for you alone. `/reflections` shows your reflections, and you can delete any of them."
        )
        if reflected.followup_at is not None:
            answer += f" I'll remind you to follow up {discord.utils.format_dt(reflected.followup_at, 'R')}."
        await reply_private(interaction, answer)


async def show_reflections(bot: TendBot, interaction: discord.Interaction[TendBot]) -> None:
    guild = bot.require_moderator(interaction)
    speak = language_of(interaction)
    await interaction.response.defer(ephemeral=True, thinking=True)
    mine = await bot.reflections.mine(guild.id, interaction.user.id)
    if not mine:
        await reply_private(
            interaction,
            _("You haven't written any reflections here yet. Tend offers one after each case you close."),
        )
        return
    embed = discord.Embed(title=speak(_("Your reflections (only you can see these)")), colour=_COLOUR)
    for item in mine[:10]:
        when = discord.utils.format_dt(item.created_at, "D")
        embed.add_field(name=f"#{item.id} · {when}", value=fit(item.text, 1000), inline=False)
    picker = DeleteReflection([(r.id, fit(r.text, 80)) for r in mine[:25]], speak)
    await reply_private(interaction, embed=embed, view=button_row(picker))


class DeleteReflection(Guarded, DynamicItem[Select], template=r"reflections:delete"):  # type: ignore[misc]
    """Pick one of your reflections to delete. A DynamicItem (answers after a restart); the pick
    is checked against its author, so only your own can go."""

    def __init__(self, choices: list[tuple[int, str]] | None = None, speak: Language = ENGLISH):
        select: Select[Any] = Select(
            placeholder=speak(_("Delete one of them…")),
            custom_id="reflections:delete",
            options=[
                discord.SelectOption(label=f"#{rid}", value=str(rid), description=text or None)
                for rid, text in (choices or [])
            ]
            or [discord.SelectOption(label="(none)", value="0")],
        )
        super().__init__(select)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Any, match: re.Match[str]
    ) -> Any:
        return cls()

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        guild = bot.guild_config(interaction.guild_id)
        chosen = snowflake(self.item.values[0]) if self.item.values else 0
        await interaction.response.defer(ephemeral=True, thinking=True)
        await bot.reflections.delete_mine(guild.id, interaction.user.id, chosen)
        await reply_private(interaction, _("Deleted. It's gone for good."))
