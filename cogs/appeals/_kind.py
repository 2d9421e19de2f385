"""The appeal card: the action, who took it and when, the member's side; Uphold, Shorten, Lift."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord.ui import Button, DynamicItem

from bot.domain.authority import snowflake
from bot.domain.cases import reference
from bot.domain.followups import parse_when
from bot.domain.i18n import ENGLISH, Language, Text, _
from bot.domain.text import fit, quote
from bot.runtime.language import language_of
from bot.runtime.modals import RoutedModal
from bot.runtime.queue import STATUS_COLOURS, CardContext, CaseButton, guidance_embed, member_line, precheck
from bot.runtime.replies import reply_private
from bot.runtime.ui import actor_of, id_template

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.runtime.core import TendBot
    from models import Case

OUTCOME_LABELS = {"upheld": _("Upheld"), "shortened": _("Shortened"), "lifted": _("Lifted")}
# The card's title names the action under review.
REVIEW_OF = {"timeout": _("Review of a timeout"), "ban": _("Review of a ban")}
ACTION_LABELS = {"timeout": _("Timeout"), "ban": _("Ban")}


def _moment(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def status_line(case: Case, team: Language = ENGLISH) -> str:
    if case.status == "new":
        return team(_("Waiting for a moderator who wasn't part of the decision"))
    if case.is_open:
        if case.holder_id:
            return team(_("{holder} is reviewing it", holder=f"<@{case.holder_id}>"))
        return team(_("Being reviewed"))
    outcome = OUTCOME_LABELS.get(case.outcome or "") or case.outcome or _("Closed")
    return team(_("{outcome} by {moderator}", outcome=outcome, moderator=f"<@{case.closed_by}>"))


class AppealKind:
    name: ClassVar[str] = "appeal"
    claim_label: ClassVar[str | Text] = _("Review")

    def about(self, case: Case) -> int | None:
        return case.member_id

    def card(self, case: Case, context: CardContext) -> discord.Embed:
        team = context.team
        facts = case.snapshot or {}
        action = facts.get("action", "timeout")
        review = REVIEW_OF.get(action)
        title = f"{reference(case.kind, case.number)} · {team(review) if review else action}"
        description = (
            quote(case.body, 1500)
            if case.body
            else team(_("*They asked for a review without writing anything.*"))
        )
        embed = discord.Embed(title=title, description=description, colour=STATUS_COLOURS.get(case.status))
        embed.add_field(name=team(_("Member")), value=member_line(context.facts, team), inline=False)
        label = ACTION_LABELS.get(action)
        what = team(label) if label else action
        until = _moment(facts.get("until"))
        if until is not None:
            what = team(_("{value} until {until}", value=what, until=discord.utils.format_dt(until, "f")))
        embed.add_field(name=team(_("Action")), value=what, inline=True)
        by = (
            f"<@{case.acted_by}>"
            if case.acted_by
            else team(_("not known (Tend couldn't read the audit log)"))
        )
        embed.add_field(name=team(_("Taken by")), value=by, inline=True)
        acted_at = _moment(facts.get("acted_at"))
        if acted_at is not None:
            embed.add_field(name=team(_("When")), value=discord.utils.format_dt(acted_at, "f"), inline=True)
        if facts.get("reason"):
            embed.add_field(
                name=team(_("Reason given")), value=quote(str(facts["reason"]), 1000), inline=False
            )
        embed.add_field(name=team(_("Status")), value=status_line(case, team), inline=True)
        if case.problem:
            embed.add_field(name=team(_("⚠ Needs attention")), value=fit(case.problem, 1024), inline=False)
        embed.set_footer(
            text=team(
                _("Case {id} · private to moderators · the moderator who acted can't decide this", id=case.id)
            )
        )
        return embed

    def buttons(self, case: Case, guild: GuildConfig) -> list[discord.ui.Item[Any]]:
        items: list[discord.ui.Item[Any]] = [UpholdButton(case.id)]
        if (case.snapshot or {}).get("action") == "timeout":
            items.append(ShortenButton(case.id))
        items.append(LiftButton(case.id))
        return items

    async def after_claim(self, bot: TendBot, interaction: discord.Interaction[TendBot], case: Case) -> None:
        prompt = bot.prompts(case.guild_id).prompt("appeal")
        text = _(
            "You're reviewing {reference}. The member hears the outcome by DM.",
            reference=reference(case.kind, case.number),
        )
        await reply_private(interaction, text, embed=guidance_embed(prompt))

    def thread_coming(self, case: Case) -> bool:
        return False

    def closes_with_case(self, case: Case) -> int | None:
        return None

    def no_thread_yet(self, case: Case) -> str:
        ref = reference(case.kind, case.number)
        return f"{ref} has no thread: the member hears the outcome by DM (use /support to talk with them)."


async def decide(interaction: discord.Interaction[TendBot], case_id: int, outcome: str, **kw: Any) -> None:
    bot = interaction.client
    case = await bot.appeals.decide(actor_of(interaction), case_id, outcome, **kw)
    ref = reference(case.kind, case.number)
    if outcome == "upheld":
        text = _("{reference} is upheld. I'll tell the member, kindly.", reference=ref)
    elif outcome == "shortened":
        text = _(
            "{reference}: shortened. I'm changing it on Discord now, then I'll tell the member.",
            reference=ref,
        )
    else:
        text = _(
            "{reference}: lifted. I'm changing it on Discord now, then I'll tell the member.", reference=ref
        )
    await reply_private(interaction, text)


class UpholdButton(CaseButton, DynamicItem[Button], template=id_template("case", "appeal-uphold")):  # type: ignore[misc]
    action, label = "appeal-uphold", _("Uphold")

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        await self.begin(interaction)
        await decide(interaction, self.target_id, "upheld")


class LiftButton(CaseButton, DynamicItem[Button], template=id_template("case", "appeal-lift")):  # type: ignore[misc]
    action, label, style = "appeal-lift", _("Lift"), discord.ButtonStyle.success

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        await self.begin(interaction)
        await decide(interaction, self.target_id, "lifted")


class ShortenButton(CaseButton, DynamicItem[Button], template=id_template("case", "appeal-shorten")):  # type: ignore[misc]
    action, label = "appeal-shorten", _("Shorten")

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        bot.require_moderator(interaction)
        # A modal must be the very first response: only a quick authority check before it.
        await precheck(interaction, self.target_id)
        await bot.modals.open(interaction, ShortenModal(self.target_id, language_of(interaction)))


class ShortenModal(RoutedModal):
    pattern = re.compile(r"tend:appeal-shorten:(?P<case>[0-9]{1,19})")

    def __init__(self, case_id: int, speak: Language = ENGLISH):
        super().__init__(
            title=speak(_("Shorten the timeout")), custom_id=f"tend:appeal-shorten:{case_id}", timeout=None
        )
        self.case_id = case_id
        self.when: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="when",
            label=speak(_("When should it end now?")),
            placeholder=speak(_("30m, 2h, tomorrow 09:00 (this server's time zone)")),
            max_length=100,
        )
        self.add_item(self.when)

    @classmethod
    def rebuild(
        cls, bot: TendBot, interaction: discord.Interaction[TendBot], match: re.Match[str]
    ) -> ShortenModal:
        return cls(snowflake(match["case"]))

    async def on_submit(self, interaction: discord.Interaction[TendBot]) -> None:  # type: ignore[override]
        bot = interaction.client
        guild = bot.require_moderator(interaction)  # a quick gate; the case decides in the service
        await interaction.response.defer(ephemeral=True, thinking=True)
        until = parse_when(self.when.value or "", guild.zone, bot.cases.clock())
        await decide(interaction, self.case_id, "shortened", until=until)


ITEMS = (UpholdButton, ShortenButton, LiftButton)
MODALS = (ShortenModal,)
