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
from bot.domain.i18n import Text, _
from bot.domain.text import fit, quote
from bot.runtime.modals import RoutedModal
from bot.runtime.queue import STATUS_COLOURS, CardContext, CaseButton, guidance_embed, member_line, precheck
from bot.runtime.replies import reply_private
from bot.runtime.ui import actor_of, id_template

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.runtime.core import TendBot
    from models import Case

OUTCOME_LABELS = {"upheld": "Upheld", "shortened": "Shortened", "lifted": "Lifted"}
ACTION_LABELS = {"timeout": "Timeout", "ban": "Ban"}


def _moment(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def status_line(case: Case) -> str:
    if case.status == "new":
        return "Waiting for a moderator who wasn't part of the decision"
    if case.is_open:
        return f"<@{case.holder_id}> is reviewing it" if case.holder_id else "Being reviewed"
    return f"{OUTCOME_LABELS.get(case.outcome or '', case.outcome or 'Closed')} by <@{case.closed_by}>"


class AppealKind:
    name: ClassVar[str] = "appeal"
    claim_label: ClassVar[str | Text] = _("Review")

    def about(self, case: Case) -> int | None:
        return case.member_id

    def card(self, case: Case, context: CardContext) -> discord.Embed:
        facts = case.snapshot or {}
        action = facts.get("action", "timeout")
        title = (
            f"{reference(case.kind, case.number)} · Review of a {ACTION_LABELS.get(action, action).lower()}"
        )
        description = (
            quote(case.body, 1500) if case.body else "*They asked for a review without writing anything.*"
        )
        embed = discord.Embed(title=title, description=description, colour=STATUS_COLOURS.get(case.status))
        embed.add_field(name="Member", value=member_line(context.facts), inline=False)
        what = ACTION_LABELS.get(action, action)
        until = _moment(facts.get("until"))
        if until is not None:
            what += f" until {discord.utils.format_dt(until, 'f')}"
        embed.add_field(name="Action", value=what, inline=True)
        by = f"<@{case.acted_by}>" if case.acted_by else "not known (Tend couldn't read the audit log)"
        embed.add_field(name="Taken by", value=by, inline=True)
        acted_at = _moment(facts.get("acted_at"))
        if acted_at is not None:
            embed.add_field(name="When", value=discord.utils.format_dt(acted_at, "f"), inline=True)
        if facts.get("reason"):
            embed.add_field(name="Reason given", value=quote(str(facts["reason"]), 1000), inline=False)
        embed.add_field(name="Status", value=status_line(case), inline=True)
        if case.problem:
            embed.add_field(name="⚠ Needs attention", value=fit(case.problem, 1024), inline=False)
        embed.set_footer(
            text=f"Case {case.id} · private to moderators · the moderator who acted can't decide this"
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
        text = f"You're reviewing {reference(case.kind, case.number)}. The member hears the outcome by DM."
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
        text = f"{ref} is upheld. I'll tell the member, kindly."
    else:
        text = f"{ref}: {OUTCOME_LABELS[outcome].lower()}. I'm changing it on Discord now, then I'll tell the member."
    await reply_private(interaction, text)


class UpholdButton(CaseButton, DynamicItem[Button], template=id_template("case", "appeal-uphold")):  # type: ignore[misc]
    action, label = "appeal-uphold", "Uphold"

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        await self.begin(interaction)
        await decide(interaction, self.target_id, "upheld")


class LiftButton(CaseButton, DynamicItem[Button], template=id_template("case", "appeal-lift")):  # type: ignore[misc]
    action, label, style = "appeal-lift", "Lift", discord.ButtonStyle.success

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        await self.begin(interaction)
        await decide(interaction, self.target_id, "lifted")


class ShortenButton(CaseButton, DynamicItem[Button], template=id_template("case", "appeal-shorten")):  # type: ignore[misc]
    action, label = "appeal-shorten", "Shorten"

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        bot.require_moderator(interaction)
        # A modal must be the very first response: only a quick authority check before it.
        await precheck(interaction, self.target_id)
        await bot.modals.open(interaction, ShortenModal(self.target_id))


class ShortenModal(RoutedModal):
    pattern = re.compile(r"tend:appeal-shorten:(?P<case>[0-9]{1,19})")

    def __init__(self, case_id: int):
        super().__init__(
            title="Shorten the timeout", custom_id=f"tend:appeal-shorten:{case_id}", timeout=None
        )
        self.case_id = case_id
        self.when: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="when",
            label="When should it end now?",
            placeholder="30m, 2h, tomorrow 09:00 (this server's time zone)",
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
