"""The support card in the queue: what the member wrote, where their thread is, how it went;
its buttons (Add me, Close); and what a moderator is given on claiming it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord.ui import Button, DynamicItem

from bot.domain.cases import CLOSE_REASONS, reference
from bot.domain.i18n import ENGLISH, Language, Text, _
from bot.domain.text import fit, inert_line, quote
from bot.runtime.language import language_of
from bot.runtime.queue import (
    STATUS_COLOURS,
    CardContext,
    CaseButton,
    brief_guidance,
    guidance,
    join_case_threads,
    member_line,
    precheck,
)
from bot.runtime.replies import reply_private
from bot.runtime.ui import id_template

from ._close import CloseSupportModal

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.runtime.core import TendBot
    from models import Case

_BODY_LIMIT = 1500


def status_line(case: Case, team: Language = ENGLISH) -> str:
    if case.status in ("open", "new"):
        return team(_("Waiting for a moderator"))
    if case.status in ("claimed", "acknowledged"):
        return team(
            _("Held by {holder}", holder=f"<@{case.holder_id}>") if case.holder_id else _("Being looked at")
        )
    reason = CLOSE_REASONS.get(case.outcome or "", case.outcome or "")
    return team(_("Closed: {reason}", reason=reason) if reason else _("Closed"))


class SupportKind:
    name: ClassVar[str] = "support"
    claim_label: ClassVar[str | Text] = _("Claim")

    def about(self, case: Case) -> int | None:
        return case.member_id

    def card(self, case: Case, context: CardContext) -> discord.Embed:
        team = context.team
        title = f"{reference(case.kind, case.number)} · {inert_line(case.topic or team(_('Support')), 80)}"
        description = (
            quote(case.body, _BODY_LIMIT)
            if case.body
            else team(_("*They didn't write anything yet; they can talk in the thread.*"))
        )
        embed = discord.Embed(title=title, description=description, colour=STATUS_COLOURS.get(case.status))
        embed.add_field(name=team(_("Member")), value=member_line(context.facts, team), inline=False)
        context.add_language(embed)
        embed.add_field(name=team(_("Status")), value=status_line(case, team), inline=True)
        embed.add_field(
            name=team(_("Opened")), value=discord.utils.format_dt(case.opened_at, "R"), inline=True
        )
        if case.thread_id:
            embed.add_field(name=team(_("Thread")), value=f"<#{case.thread_id}>", inline=True)
        if case.first_reply_at:
            embed.add_field(
                name=team(_("First reply")),
                value=discord.utils.format_dt(case.first_reply_at, "R"),
                inline=True,
            )
        if case.followup_at:
            embed.add_field(
                name=team(_("Follow-up")), value=discord.utils.format_dt(case.followup_at, "f"), inline=True
            )
        if case.survey_answer:
            embed.add_field(name=team(_("Felt heard?")), value=case.survey_answer, inline=True)
        if case.problem and case.is_open:
            embed.add_field(name=team(_("⚠ Needs attention")), value=fit(case.problem, 1024), inline=False)
        embed.set_footer(text=team(_("Case {id} · private to moderators", id=case.id)))
        return embed

    def buttons(self, case: Case, guild: GuildConfig) -> list[discord.ui.Item[Any]]:
        return [JoinButton(case.id), CloseButton(case.id)]

    async def after_claim(self, bot: TendBot, interaction: discord.Interaction[TendBot], case: Case) -> None:
        """Bring the moderator to the member, with the first-reply prompt."""
        joined = await join_case_threads(bot, case, interaction.user.id)
        if joined:
            where = f"Go to {joined[0]} when you're ready."
        else:
            where = f"{self.no_thread_yet(case)} I'll add you to it as soon as it exists."
        speak = language_of(interaction)
        thanks = speak(
            _(
                "Thank you for taking {reference}; it's yours now.",
                reference=reference(case.kind, case.number),
            )
        )
        await reply_private(
            interaction, f"{thanks} {where}", **guidance(bot, case.guild_id, "first_reply", speak=speak)
        )

    def thread_coming(self, case: Case) -> bool:
        return case.thread_id is None and case.is_open

    def closes_with_case(self, case: Case) -> int | None:
        return case.thread_id

    def no_thread_yet(self, case: Case) -> str:
        ref = reference(case.kind, case.number)
        if case.problem:
            return f"The member's private thread for {ref} isn't there yet: {case.problem}"
        return f"The member's private thread for {ref} is still being set up."


class JoinButton(CaseButton, DynamicItem[Button], template=id_template("case", "join")):  # type: ignore[misc]
    """Add me: into the member's thread, without taking the case."""

    action, label = "join", _("Add me")

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        actor = await self.begin(interaction)
        case = await bot.cases.record_helper(actor, self.target_id)
        joined = await join_case_threads(bot, case, interaction.user.id)
        if joined:
            text = f"You're in {', '.join(joined)} now. The case stays with its holder."
        else:
            text = bot.kinds.of(case).no_thread_yet(case)
        await reply_private(interaction, text)


class CloseButton(CaseButton, DynamicItem[Button], template=id_template("case", "close")):  # type: ignore[misc]
    action, label, style = "close", _("Close"), discord.ButtonStyle.danger

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        guild = bot.require_moderator(interaction)
        # A modal must be the very first response: no defer; only a quick authority check before it.
        await precheck(interaction, self.target_id)
        await bot.modals.open(
            interaction,
            CloseSupportModal.build(self.target_id, guild, brief_guidance(bot, guild.id, "closing")),
        )


ITEMS = (JoinButton, CloseButton)
