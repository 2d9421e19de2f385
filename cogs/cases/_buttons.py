"""The queue card's buttons: persistent (DynamicItem, the case id in custom_id), moderator-only.

Every button checks the person's roles itself: Discord's command permissions don't
cover components, and a member can reach a card's buttons through a forwarded link.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord
from discord.ui import Button, DynamicItem, UserSelect

from bot.domain.authority import snowflake
from bot.domain.cases import reference
from bot.domain.errors import InvalidInput
from bot.domain.guidance import render_prompt_text
from bot.domain.permissions import is_moderator
from bot.runtime.replies import reply_private
from bot.runtime.ui import Guarded, actor_of, button_row

from . import _support
from ._base import CASE, _CaseButton, precheck

if TYPE_CHECKING:
    from bot.runtime.core import TendBot
    from models import Case


class ClaimButton(_CaseButton, DynamicItem[Button], template=CASE + ":claim"):  # type: ignore[misc]
    """ "Claim" on support cards, "Acknowledge" on reports: the same step of the loop."""

    action, label, style = "claim", "Claim", discord.ButtonStyle.primary

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        bot.require_moderator(interaction)  # a quick gate; the case decides below
        await interaction.response.defer(ephemeral=True, thinking=True)
        case = await bot.cases.claim(actor_of(interaction), self.case_id)
        await after_claim(bot, interaction, case)


class JoinButton(_CaseButton, DynamicItem[Button], template=CASE + ":join"):  # type: ignore[misc]
    action, label = "join", "Add me"

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        bot.require_moderator(interaction)  # a quick gate; the case decides below
        await interaction.response.defer(ephemeral=True, thinking=True)
        case = await bot.cases.record_helper(actor_of(interaction), self.case_id)
        joined = await _support.join_case_threads(bot, case, interaction.user.id)
        if joined:
            text = f"You're in {', '.join(joined)} now. The case stays with its holder."
        else:
            text = _support.no_thread_yet(case)
        await reply_private(interaction, text)


class HandOffButton(_CaseButton, DynamicItem[Button], template=CASE + ":handoff"):  # type: ignore[misc]
    action, label = "handoff", "Hand off"

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        bot.require_moderator(interaction)  # a quick gate; the case decides below
        # Defer before the database read: the answer must start within Discord's 3 seconds.
        await interaction.response.defer(ephemeral=True, thinking=True)
        case = await bot.cases.for_moderator(actor_of(interaction), self.case_id)
        if not case.is_open:
            raise InvalidInput(f"{reference(case.kind, case.number)} is already closed.")
        prompt = bot.prompts(interaction.guild_id).prompt("handoff")
        embed = discord.Embed(
            title=prompt.title, description=render_prompt_text(prompt), colour=discord.Colour.blue()
        )
        await reply_private(
            interaction, "Who should take this case?", embed=embed, view=button_row(HandOffPick(self.case_id))
        )


class HandOffPick(Guarded, DynamicItem[UserSelect], template=CASE + ":handoff-to"):  # type: ignore[misc]
    """The hand-off picker. A DynamicItem like every card button, so it answers after a restart."""

    def __init__(self, case_id: int):
        select: UserSelect[Any] = UserSelect(
            placeholder="Pick a moderator", min_values=1, max_values=1, custom_id=f"case:{case_id}:handoff-to"
        )
        super().__init__(select)
        self.case_id = case_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Any, match: re.Match[str]
    ) -> Any:
        return cls(snowflake(match["case_id"]))

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        guild = bot.require_moderator(interaction)  # a quick gate; the case decides below
        chosen = self.item.values[0] if self.item.values else None
        owner = (
            interaction.guild is not None and chosen is not None and interaction.guild.owner_id == chosen.id
        )
        roles = [r.id for r in getattr(chosen, "roles", [])]
        if chosen is None or chosen.bot or not is_moderator(guild, roles, is_guild_owner=owner):
            who = chosen.mention if chosen is not None else "They"
            raise InvalidInput(
                f"{who} isn't one of this server's moderators, so I can't hand the case to them."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        case = await bot.cases.hand_off(
            actor_of(interaction),
            self.case_id,
            chosen.id,
            frozenset(roles),
            to_owner=owner,
        )
        ref = reference(case.kind, case.number)
        joined = await _support.join_case_threads(bot, case, chosen.id)
        where = f" I added them to {', '.join(joined)}." if joined else ""
        if not joined and case.kind == "support":
            # The setup job adds the case's holder when it creates the thread.
            where = " I'll add them to the member's private thread as soon as it exists."
        # Always told, whatever the case has: the notice goes to the notes thread or the queue.
        await bot.cases.notify_team(
            case, f"{ref} was handed to <@{chosen.id}> by <@{interaction.user.id}>.", ping=chosen.id
        )
        await reply_private(
            interaction, f"Handed {ref} to {chosen.mention}; they've been told in the team's notes.{where}"
        )


class CloseButton(_CaseButton, DynamicItem[Button], template=CASE + ":close"):  # type: ignore[misc]
    action, label, style = "close", "Close", discord.ButtonStyle.danger

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        guild = bot.require_moderator(interaction)
        # A modal must be the very first response: no defer; only a quick authority check before it.
        await precheck(interaction, self.case_id)
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
    from bot.domain.cases.store import open_load

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
    joined = await _support.join_case_threads(bot, case, interaction.user.id)
    if joined:
        where = f"Go to {joined[0]} when you're ready."
    else:
        where = f"{_support.no_thread_yet(case)} I'll add you to it as soon as it exists."
    prompt = bot.prompts(case.guild_id).prompt("first_reply")
    embed = discord.Embed(
        title=prompt.title, description=render_prompt_text(prompt), colour=discord.Colour.blue()
    )
    embed.set_footer(text="Only you can see this. The member never sees these prompts.")
    await reply_private(
        interaction,
        f"You hold {reference(case.kind, case.number)}. {where}",
        embed=embed,
    )
