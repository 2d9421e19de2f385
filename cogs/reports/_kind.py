"""The report card in the queue: the report, the rule, the evidence, who reported (as far as
the disclosure rule allows); and what a moderator is given on acknowledging it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import discord

from bot.domain.cases import reference
from bot.domain.disclosure import Readers, name, reporter_hidden
from bot.domain.i18n import ENGLISH, Language, Text, _
from bot.domain.text import fit, quote
from bot.runtime.language import language_of
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


def report_status_line(case: Case, team: Language = ENGLISH) -> str:
    if case.status == "new":
        return team(_("New: nobody has acknowledged it yet"))
    if case.status == "acknowledged":
        if case.holder_id:
            return team(_("Acknowledged, held by {holder}", holder=f"<@{case.holder_id}>"))
        return team(_("Acknowledged"))
    label = OUTCOME_LABELS.get(case.outcome or "", case.outcome or "")
    if case.status == "dismissed":
        return team(_("Dismissed: {outcome}", outcome=label))
    return team(_("Resolved: {outcome}", outcome=label))


def reporter_line(case: Case, guild: GuildConfig, readers: Readers, team: Language = ENGLISH) -> str:
    if case.member_id is None:
        return team(_("(removed under the privacy policy)"))
    if not reporter_hidden(case, readers):
        return name(case, case.member_id, readers)
    if not case.anonymous:
        # Not anonymous, but the reported member can read this channel: never name them here.
        return team(_("Not shown here: the reported member can read this channel (see `/tend doctor`)"))
    if guild.reports.anonymous_visible_to:
        role = f"<@&{guild.reports.anonymous_visible_to}>"
        return team(_("Anonymous (members of {role} can reveal it)", role=role))
    return team(_("Anonymous"))


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
    guild, subject, readers, team = context.guild, context.facts, context.readers, context.team
    rule = guild.rule(case.rule_id or "")
    rule_title = rule.text_in(team.code)[0] if rule else (case.rule_id or team(_("Report")))
    title = f"{reference(case.kind, case.number)} · {fit(rule_title, 80)}"
    description = quote(case.body, _BODY_LIMIT) if case.body else team(_("*(no description)*"))
    embed = discord.Embed(title=title, description=description, colour=STATUS_COLOURS.get(case.status))
    if rule is not None:
        rule_title, rule_text = rule.text_in(team.code)
        embed.add_field(
            name=team(_("Rule: {rule}", rule=fit(rule_title, 200))), value=fit(rule_text, 1024), inline=False
        )
    embed.add_field(name=team(_("Reported member")), value=member_line(subject, team), inline=False)
    embed.add_field(name=team(_("Reporter")), value=reporter_line(case, guild, readers, team), inline=True)
    if not reporter_hidden(case, readers) and case.member_id is not None:
        # Only for a reporter the readers may see: a language can say who someone is.
        context.add_language(embed)
    embed.add_field(name=team(_("Status")), value=report_status_line(case, team), inline=True)
    embed.add_field(name=team(_("Opened")), value=discord.utils.format_dt(case.opened_at, "R"), inline=True)
    if case.snapshot:
        embed.add_field(name=team(_("Reported message")), value=snapshot_text(case.snapshot), inline=False)
    threads = []
    if case.thread_id:
        threads.append(team(_("with the reporter: {thread}", thread=f"<#{case.thread_id}>")))
    if case.subject_thread_id:
        threads.append(team(_("with the reported member: {thread}", thread=f"<#{case.subject_thread_id}>")))
    if threads:
        embed.add_field(name=team(_("Conversations")), value="\n".join(threads), inline=False)
    if case.escalated:
        embed.add_field(
            name=team(_("Escalated")), value=team(_("This report is about a moderator.")), inline=False
        )
    if case.problem and case.is_open:
        embed.add_field(name=team(_("⚠ Needs attention")), value=fit(case.problem, 1024), inline=False)
    embed.set_footer(text=team(_("Case {id} · private to moderators", id=case.id)))
    return embed


class ReportKind:
    name: ClassVar[str] = "report"
    claim_label: ClassVar[str | Text] = _("Acknowledge")

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
        text = _(
            "Thank you for taking {reference}; it's yours now. "
            "The reporter has been told a moderator is looking at it.",
            reference=reference(case.kind, case.number),
        )
        speak = language_of(interaction)
        await reply_private(
            interaction, text, **guidance(bot, guild.id, situation, rule_id=case.rule_id, speak=speak)
        )

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
