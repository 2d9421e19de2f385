"""The distress card: a quiet card with the category and a link (never a copy of the message),
and what moderators do with it: reach out in a private thread, mark it done, or not needed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord.ui import Button, DynamicItem

from bot.domain.cases import reference
from bot.domain.errors import InvalidInput
from bot.domain.i18n import ENGLISH, Language, Text, _
from bot.domain.text import fit
from bot.runtime.language import language_of
from bot.runtime.queue import STATUS_COLOURS, CardContext, CaseButton, guidance, member_line
from bot.runtime.replies import reply_private
from bot.runtime.ui import actor_of, id_template
from cogs.reflections import offer_reflection
from cogs.support import reach_out

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.runtime.core import TendBot
    from models import Case

LABELS = {
    "crisis": _("Possible crisis"),
    "overwhelmed": _("Overwhelmed"),
    "grief": _("Grief"),
    "isolation": _("Feeling alone"),
    "hostility": _("Lashing out, maybe in pain"),
}


def status_line(case: Case, speak: Language = ENGLISH) -> str:
    if case.status == "new":
        return speak(_("Nobody has picked this up yet"))
    if case.status == "acknowledged":
        if case.holder_id:
            return speak(_("{holder} is reaching out", holder=f"<@{case.holder_id}>"))
        return speak(_("Being looked at"))
    return speak(_("Reached out") if case.outcome == "reached_out" else _("Marked not needed"))


class DistressKind:
    name: ClassVar[str] = "distress"
    claim_label: ClassVar[str | Text] = _("I'll reach out")

    def about(self, case: Case) -> int | None:
        return case.member_id

    def card(self, case: Case, context: CardContext) -> discord.Embed:
        next_step = context.library.distress_prompt(case.topic or "overwhelmed").next_action
        speak = context.team
        label = speak(LABELS.get(case.topic or "", case.topic or _("Distress")))
        embed = discord.Embed(
            title=f"{reference(case.kind, case.number)} · {label}",
            description=speak(
                _(
                    "A message may show someone is struggling. Tend keeps no copy of it: follow the link to read it."
                )
            ),
            colour=STATUS_COLOURS.get(case.status),
        )
        link = (case.snapshot or {}).get("jump_url")
        if link:
            embed.add_field(
                name=speak(_("Where")), value=speak(_("[Go to the message]({link})", link=link)), inline=False
            )
        embed.add_field(name=speak(_("Member")), value=member_line(context.facts, speak), inline=False)
        context.add_language(embed)
        embed.add_field(name=speak(_("Suggested first step")), value=fit(next_step, 1024), inline=False)
        embed.add_field(name=speak(_("Status")), value=status_line(case, speak), inline=True)
        embed.add_field(
            name=speak(_("Noticed")), value=discord.utils.format_dt(case.opened_at, "R"), inline=True
        )
        embed.set_footer(
            text=speak(_("Case {id} · private to moderators · nobody was told publicly", id=case.id))
        )
        return embed

    def buttons(self, case: Case, guild: GuildConfig) -> list[discord.ui.Item[Any]]:
        return [ReachOutButton(case.id), DoneButton(case.id), NotNeededButton(case.id)]

    async def after_claim(self, bot: TendBot, interaction: discord.Interaction[TendBot], case: Case) -> None:
        text = _("Thank you for reaching out for {reference}.", reference=reference(case.kind, case.number))
        situation = f"distress.{case.topic or 'overwhelmed'}"
        await reply_private(
            interaction, text, **guidance(bot, case.guild_id, situation, speak=language_of(interaction))
        )

    def thread_coming(self, case: Case) -> bool:
        return False

    def closes_with_case(self, case: Case) -> int | None:
        return None

    def no_thread_yet(self, case: Case) -> str:
        ref = reference(case.kind, case.number)
        return f"{ref} has no thread: **Open a support thread** on the card starts one with the member."


class ReachOutButton(CaseButton, DynamicItem[Button], template=id_template("case", "reach-out")):  # type: ignore[misc]
    action, label, style = "reach-out", _("Open a support thread"), discord.ButtonStyle.primary

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        actor = await self.begin(interaction)
        case = await bot.cases.for_moderator(actor, self.target_id)
        if case.kind != DistressKind.name:
            raise InvalidInput(_("That isn't a distress notice."))
        if case.member_id is None:
            raise InvalidInput(_("I no longer know who wrote that message."))
        where = await reach_out(bot, bot.guild_config(case.guild_id), case.member_id, interaction.user.id)
        closed = await bot.distress.close(actor, case.id, outcome="reached_out")
        await reply_private(
            interaction,
            _(
                "You're with them in {where}; {reference} is closed.",
                where=where,
                reference=reference(closed.kind, closed.number),
            ),
        )


class DoneButton(CaseButton, DynamicItem[Button], template=id_template("case", "reached-out")):  # type: ignore[misc]
    action, label, style = "reached-out", _("I reached out"), discord.ButtonStyle.success

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        await close(interaction, self.target_id, "reached_out")


class NotNeededButton(CaseButton, DynamicItem[Button], template=id_template("case", "not-needed")):  # type: ignore[misc]
    action, label = "not-needed", _("Not needed")

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        await close(interaction, self.target_id, "not_needed")


async def close(interaction: discord.Interaction[TendBot], case_id: int, outcome: str) -> None:
    bot = interaction.client
    bot.require_moderator(interaction)  # a quick gate; the case decides below
    await interaction.response.defer(ephemeral=True, thinking=True)
    case = await bot.distress.close(actor_of(interaction), case_id, outcome=outcome)
    await reply_private(interaction, f"Closed {reference(case.kind, case.number)}.")
    if outcome == "reached_out":
        await offer_reflection(bot, interaction, case)


ITEMS = (ReachOutButton, DoneButton, NotNeededButton)
