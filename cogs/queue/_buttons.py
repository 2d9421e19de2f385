"""What every card has: Claim (whatever the kind calls it) and Hand off with its picker.

Every button checks the person's roles itself (a quick gate before deferring; the case's own
server decides in the service): Discord's command permissions don't cover components.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord
from discord.ui import Button, DynamicItem, UserSelect

from bot.domain.authority import snowflake
from bot.domain.cases import reference
from bot.domain.cases.store import open_load
from bot.domain.errors import InvalidInput
from bot.domain.i18n import ENGLISH, Language, Text, _
from bot.domain.permissions import is_moderator
from bot.runtime.language import language_of, team_language
from bot.runtime.queue import CaseButton, MoreGuidanceButton, guidance, join_case_threads
from bot.runtime.records import send_history
from bot.runtime.replies import reply_private
from bot.runtime.ui import ID, Guarded, actor_of, button_row, id_template

if TYPE_CHECKING:
    from bot.runtime.core import TendBot

BREAK_COLOUR = discord.Colour.from_rgb(120, 94, 160)


class ClaimButton(CaseButton, DynamicItem[Button], template=id_template("case", "claim")):  # type: ignore[misc]
    """Claim, Acknowledge, I'll reach out: the same step of the loop for every kind of case."""

    action, label, style = "claim", _("Claim"), discord.ButtonStyle.primary

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        actor = await self.begin(interaction)
        case = await bot.cases.claim(actor, self.target_id)
        await bot.kinds.of(case).after_claim(bot, interaction, case)
        await suggest_break_if_carrying_too_much(bot, interaction, case.guild_id)


async def suggest_break_if_carrying_too_much(
    bot: TendBot, interaction: discord.Interaction[TendBot], guild_id: int
) -> None:
    """Gently, privately: someone holding more than the configured number of cases may need a rest."""
    async with bot.db.read() as session:
        held = (await open_load(session, guild_id)).get(interaction.user.id, 0)
    if held <= bot.guild_config(guild_id).listening.max_open_per_moderator:
        return
    await reply_private(
        interaction,
        _("You're holding {held} open cases right now.", held=held),
        **guidance(bot, guild_id, "moderator_break", colour=BREAK_COLOUR, speak=language_of(interaction)),
    )


class HandOffButton(CaseButton, DynamicItem[Button], template=id_template("case", "handoff")):  # type: ignore[misc]
    action, label = "handoff", _("Hand off")

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        actor = await self.begin(interaction)
        case = await bot.cases.for_moderator(actor, self.target_id)
        if not case.is_open:
            raise InvalidInput(
                _("{reference} is already closed.", reference=reference(case.kind, case.number))
            )
        picker = button_row(HandOffPick(self.target_id, language_of(interaction)))
        await reply_private(
            interaction,
            _("Who should take this case?"),
            **guidance(bot, case.guild_id, "handoff", view=picker, speak=language_of(interaction)),
        )


class HandOffPick(Guarded, DynamicItem[UserSelect], template=rf"case:{ID}:handoff-to"):  # type: ignore[misc]
    """The hand-off picker. A DynamicItem like every card button, so it answers after a restart."""

    def __init__(self, case_id: int, speak: Language = ENGLISH):
        select: UserSelect[Any] = UserSelect(
            placeholder=speak(_("Pick a moderator")),
            min_values=1,
            max_values=1,
            custom_id=f"case:{case_id}:handoff-to",
        )
        super().__init__(select)
        self.case_id = case_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Any, match: re.Match[str]
    ) -> Any:
        return cls(snowflake(match["id"]))

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        guild = bot.require_moderator(interaction)  # a quick gate; the case decides below
        chosen = self.item.values[0] if self.item.values else None
        owner = (
            interaction.guild is not None and chosen is not None and interaction.guild.owner_id == chosen.id
        )
        roles = [r.id for r in getattr(chosen, "roles", [])]
        if chosen is None or chosen.bot or not is_moderator(guild, roles, is_guild_owner=owner):
            if chosen is None:
                raise InvalidInput(
                    _("They aren't one of this server's moderators, so I can't hand the case to them.")
                )
            raise InvalidInput(
                _(
                    "{who} isn't one of this server's moderators, so I can't hand the case to them.",
                    who=chosen.mention,
                )
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        case = await bot.cases.hand_off(
            actor_of(interaction), self.case_id, chosen.id, frozenset(roles), to_owner=owner
        )
        ref = reference(case.kind, case.number)
        joined = await join_case_threads(bot, case, chosen.id)
        where: Text | None = _("I added them to {threads}.", threads=", ".join(joined)) if joined else None
        if not joined and bot.kinds.of(case).thread_coming(case):
            # The thread's job adds the case's holder when it makes the thread.
            where = _("I'll add them to the member's private thread as soon as it exists.")
        # Always told, whatever the case has: the notice goes to the notes thread or the queue.
        team = team_language(bot, case.guild_id)
        handed = _(
            "{reference} was handed to {holder} by {moderator}.",
            reference=ref,
            holder=f"<@{chosen.id}>",
            moderator=f"<@{interaction.user.id}>",
        )
        await bot.cases.notify_team(case, team(handed), ping=chosen.id)
        speak = language_of(interaction)
        done = speak(
            _(
                "Handed {reference} to {holder}; they've been told in the team's notes.",
                reference=ref,
                holder=chosen.mention,
            )
        )
        await reply_private(interaction, f"{done} {speak(where)}".strip())


class HistoryButton(CaseButton, DynamicItem[Button], template=id_template("case", "history")):  # type: ignore[misc]
    """The earlier cases of the person the card is about (never a report's reporter), each
    with its transcript: ``/case history`` from the card."""

    action, label = "history", _("Earlier cases")

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        actor = await self.begin(interaction)
        case = await bot.cases.for_moderator(actor, self.target_id)
        about = bot.kinds.of(case).about(case)
        if about is None:
            raise InvalidInput(_("I no longer know who this case is about, so there's no history to show."))
        await send_history(interaction, about)


ITEMS = (ClaimButton, HandOffButton, HandOffPick, HistoryButton, MoreGuidanceButton)
