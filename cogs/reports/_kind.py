"""The report card in the queue: the report, the rule, the evidence, who reported (as far as
the disclosure rule allows); and what a moderator is given on acknowledging it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import discord

from bot.domain.cases import reference
from bot.domain.disclosure import Readers, name, reporter_hidden
from bot.domain.text import fit, quote
from bot.runtime.queue import STATUS_COLOURS, CardContext, guidance, member_line
from bot.runtime.replies import reply_private

from ._actions import (
    OUTCOME_LABELS,
    DismissButton,
    ResolveButton,
    RevealButton,
    TalkReportedButton,
    TalkReporterButton,
)

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.runtime.core import TendBot
    from models import Case

_BODY_LIMIT = 1500


def report_status_line(case: Case) -> str:
    if case.status == "new":
        return "New: nobody has acknowledged it yet"
    if case.status == "acknowledged":
        return f"Acknowledged, held by <@{case.holder_id}>" if case.holder_id else "Acknowledged"
    label = OUTCOME_LABELS.get(case.outcome or "", case.outcome or "")
    return f"{'Dismissed' if case.status == 'dismissed' else 'Resolved'}: {label}"


def reporter_line(case: Case, guild: GuildConfig, readers: Readers) -> str:
    if case.member_id is None:
        return "(removed under the privacy policy)"
    if not reporter_hidden(case, readers):
        return name(case, case.member_id, readers)
    if not case.anonymous:
        # Not anonymous, but the reported member can read this channel: never name them here.
        return "Not shown here: the reported member can read this channel (see `/tend doctor`)"
    if guild.reports.anonymous_visible_to:
        return f"Anonymous (members of <@&{guild.reports.anonymous_visible_to}> can reveal it)"
    return "Anonymous"


def snapshot_text(snapshot: dict[str, object]) -> str:
    """The reported message as evidence: quoted, inert, with where and when it was."""
    if snapshot.get("deleted_before_report"):
        return (
            f"The message was deleted before the report was sent. [Where it was]({snapshot.get('jump_url')})"
        )
    lines = [quote(str(snapshot.get("content") or "(no text)"), 700)]
    details = [f"by <@{snapshot.get('author_id')}>"]
    created = snapshot.get("created_at")
    if isinstance(created, str):
        details.append(discord.utils.format_dt(datetime.fromisoformat(created), "f"))
    if snapshot.get("jump_url"):
        details.append(f"[jump]({snapshot['jump_url']})")
    attachments = snapshot.get("attachments") or []
    if isinstance(attachments, list) and attachments:
        details.append("attachments: " + ", ".join(fit(str(a), 60) for a in attachments[:5]))
    lines.append(" · ".join(details))
    return fit("\n".join(lines), 1024)


def report_card(case: Case, context: CardContext) -> discord.Embed:
    guild, subject, readers = context.guild, context.facts, context.readers
    rule = guild.rule(case.rule_id or "")
    title = (
        f"{reference(case.kind, case.number)} · {fit(rule.title if rule else (case.rule_id or 'Report'), 80)}"
    )
    description = quote(case.body, _BODY_LIMIT) if case.body else "*(no description)*"
    embed = discord.Embed(title=title, description=description, colour=STATUS_COLOURS.get(case.status))
    if rule is not None:
        embed.add_field(name=f"Rule: {fit(rule.title, 200)}", value=fit(rule.text, 1024), inline=False)
    embed.add_field(name="Reported member", value=member_line(subject), inline=False)
    embed.add_field(name="Reporter", value=reporter_line(case, guild, readers), inline=True)
    embed.add_field(name="Status", value=report_status_line(case), inline=True)
    embed.add_field(name="Opened", value=discord.utils.format_dt(case.opened_at, "R"), inline=True)
    if case.snapshot:
        embed.add_field(name="Reported message", value=snapshot_text(case.snapshot), inline=False)
    threads = []
    if case.thread_id:
        threads.append(f"with the reporter: <#{case.thread_id}>")
    if case.subject_thread_id:
        threads.append(f"with the reported member: <#{case.subject_thread_id}>")
    if threads:
        embed.add_field(name="Conversations", value="\n".join(threads), inline=False)
    if case.escalated:
        embed.add_field(name="Escalated", value="This report is about a moderator.", inline=False)
    if case.problem and case.is_open:
        embed.add_field(name="⚠ Needs attention", value=fit(case.problem, 1024), inline=False)
    embed.set_footer(text=f"Case {case.id} · private to moderators")
    return embed


class ReportKind:
    name: ClassVar[str] = "report"
    claim_label: ClassVar[str] = "Acknowledge"

    def about(self, case: Case) -> int | None:
        return case.subject_id

    def card(self, case: Case, context: CardContext) -> discord.Embed:
        return report_card(case, context)

    def buttons(self, case: Case, guild: GuildConfig) -> list[discord.ui.Item[Any]]:
        items: list[discord.ui.Item[Any]] = []
        if not case.anonymous and case.member_id is not None:
            items.append(TalkReporterButton(case.id))
        items += [TalkReportedButton(case.id), ResolveButton(case.id), DismissButton(case.id)]
        if case.anonymous and guild.reports.anonymous_visible_to:
            items.append(RevealButton(case.id))
        return items

    async def after_claim(self, bot: TendBot, interaction: discord.Interaction[TendBot], case: Case) -> None:
        """The guidance fitted to the rule: per-rule override, else the rule's category."""
        guild = bot.guild_config(case.guild_id)
        rule = guild.rule(case.rule_id or "")
        situation = f"report.{rule.category if rule else 'general'}"
        text = (
            f"Thank you for taking {reference(case.kind, case.number)}; it's yours now. "
            "The reporter has been told a moderator is looking at it."
        )
        await reply_private(interaction, text, **guidance(bot, guild.id, situation, rule_id=case.rule_id))

    def thread_coming(self, case: Case) -> bool:
        return False

    def closes_with_case(self, case: Case) -> int | None:
        return None  # conversations stay open; they are the moderators' to close

    def no_thread_yet(self, case: Case) -> str:
        ref = reference(case.kind, case.number)
        return (
            f"There's no conversation on {ref} yet: **Talk with reporter** or **Talk with reported member** "
            "on the card starts one."
        )
