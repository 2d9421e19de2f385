"""The queue card's buttons: persistent (DynamicItem, the case id in custom_id), moderator-only.

Every button checks the person's roles itself: Discord's command permissions don't
cover components, and a member can reach a card's buttons through a forwarded link.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord.ui import Button, DynamicItem

from bot.cases import reference
from bot.errors import InvalidInput
from bot.guidance import render_prompt_text
from bot.replies import reply_private
from bot.ui import TendView

from . import _support
from ._base import CASE, _CaseButton

if TYPE_CHECKING:
    from bot.core import TendBot
    from models import Case


class ClaimButton(_CaseButton, DynamicItem[Button], template=CASE + ":claim"):  # type: ignore[misc]
    """ "Claim" on support cards, "Acknowledge" on reports: the same step of the loop."""

    action, label, style = "claim", "Claim", discord.ButtonStyle.primary

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        bot.require_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        case = await bot.cases.claim(interaction.guild_id or 0, self.case_id, interaction.user.id)
        await after_claim(bot, interaction, case)


class JoinButton(_CaseButton, DynamicItem[Button], template=CASE + ":join"):  # type: ignore[misc]
    action, label = "join", "Add me"

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        bot.require_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        case = await bot.cases.record_helper(interaction.guild_id or 0, self.case_id, interaction.user.id)
        where = await _support.add_to_thread(bot, case, interaction.user.id)
        await reply_private(interaction, f"You're in {where} now. The case stays with its holder.")


class HandOffButton(_CaseButton, DynamicItem[Button], template=CASE + ":handoff"):  # type: ignore[misc]
    action, label = "handoff", "Hand off"

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        bot.require_moderator(interaction)
        # Defer before the database read: the answer must start within Discord's 3 seconds.
        await interaction.response.defer(ephemeral=True, thinking=True)
        case = await bot.cases.get(interaction.guild_id or 0, self.case_id)
        if not case.is_open:
            raise InvalidInput(f"{reference(case.kind, case.number)} is already closed.")
        prompt = bot.prompts(interaction.guild_id).prompt("handoff")
        embed = discord.Embed(
            title=prompt.title, description=render_prompt_text(prompt), colour=discord.Colour.blue()
        )
        await reply_private(
            interaction, "Who should take this case?", embed=embed, view=HandOffView(self.case_id)
        )


class HandOffView(TendView):
    """Short-lived (ephemeral) picker; the lasting buttons stay on the card."""

    def __init__(self, case_id: int):
        super().__init__(timeout=600)
        self.case_id = case_id

    @discord.ui.select(cls=discord.ui.UserSelect, placeholder="Pick a moderator", min_values=1, max_values=1)
    async def pick(
        self, interaction: discord.Interaction[TendBot], select: discord.ui.UserSelect[Any]
    ) -> None:
        bot = interaction.client
        guild = bot.require_moderator(interaction)
        chosen = select.values[0]
        roles = [r.id for r in getattr(chosen, "roles", [])]
        if chosen.bot or not bot.is_moderator_of(guild, chosen.id, roles):
            raise InvalidInput(
                f"{chosen.mention} isn't one of this server's moderators, so I can't hand the case to them."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        case = await bot.cases.hand_off(
            interaction.guild_id or 0, self.case_id, interaction.user.id, chosen.id
        )
        await _support.add_to_thread(bot, case, chosen.id)
        await bot.cases.notify_team(
            case,
            f"{reference(case.kind, case.number)} was handed to <@{chosen.id}> by <@{interaction.user.id}>.",
            ping=chosen.id,
        )
        await reply_private(interaction, f"Handed {reference(case.kind, case.number)} to {chosen.mention}.")


class CloseButton(_CaseButton, DynamicItem[Button], template=CASE + ":close"):  # type: ignore[misc]
    action, label, style = "close", "Close", discord.ButtonStyle.danger

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        guild = bot.require_moderator(interaction)
        # A modal must be the very first response: no defer, no database read before it.
        await bot.modals.open(interaction, _support.CloseSupportModal.build(self.case_id, guild))


async def after_claim(bot: TendBot, interaction: discord.Interaction[TendBot], case: Case) -> None:
    """Give the moderator the guidance for this case, privately; for support, bring them to the member."""
    if case.kind == "report":
        from ._reports import after_acknowledge

        await after_acknowledge(bot, interaction, case)
    elif case.kind == "distress":
        prompt = bot.prompts(case.guild_id).distress_prompt(case.topic or "overwhelmed")
        embed = discord.Embed(
            title=prompt.title, description=render_prompt_text(prompt), colour=discord.Colour.blue()
        )
        embed.set_footer(text="Only you can see this.")
        await reply_private(
            interaction, f"You're reaching out for {reference(case.kind, case.number)}.", embed=embed
        )
    else:
        await _after_support_claim(bot, interaction, case)
    await suggest_break_if_carrying_too_much(bot, interaction, case.guild_id)


async def suggest_break_if_carrying_too_much(
    bot: TendBot, interaction: discord.Interaction[TendBot], guild_id: int
) -> None:
    """Gently, privately: someone holding more than the configured number of cases may need a rest."""
    from bot.cases.store import open_load

    async with bot.db.read() as session:
        held = (await open_load(session, guild_id)).get(interaction.user.id, 0)
    if held <= bot.guild_config(guild_id).listening.max_open_per_moderator:
        return
    prompt = bot.prompts(guild_id).prompt("moderator_break")
    embed = discord.Embed(
        title=prompt.title,
        description=render_prompt_text(prompt),
        colour=discord.Colour.from_rgb(120, 94, 160),
    )
    await reply_private(interaction, f"You're holding {held} open cases right now.", embed=embed)


async def _after_support_claim(bot: TendBot, interaction: discord.Interaction[TendBot], case: Case) -> None:
    where = await _support.add_to_thread(bot, case, interaction.user.id)
    prompt = bot.prompts(case.guild_id).prompt("first_reply")
    embed = discord.Embed(
        title=prompt.title, description=render_prompt_text(prompt), colour=discord.Colour.blue()
    )
    embed.set_footer(text="Only you can see this. The member never sees these prompts.")
    await reply_private(
        interaction,
        f"You hold {reference(case.kind, case.number)}. Go to {where} when you're ready.",
        embed=embed,
    )
