"""The queue card: one message per case in the moderators' queue, edited as the case moves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from bot.domain.cases import CLOSE_REASONS, reference
from bot.domain.disclosure import Readers, name, reporter_hidden
from bot.domain.text import fit, quote
from models import Case

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig

STATUS_COLOURS = {
    "open": discord.Colour.orange(),
    "new": discord.Colour.orange(),
    "claimed": discord.Colour.blue(),
    "acknowledged": discord.Colour.blue(),
    "closed": discord.Colour.dark_grey(),
    "resolved": discord.Colour.dark_grey(),
    "dismissed": discord.Colour.light_grey(),
}
_BODY_LIMIT = 1500


@dataclass(frozen=True)
class MemberFacts:
    """What moderators see about the person a case is for (never shown to members)."""

    user_id: int
    joined_at: datetime | None
    in_server: bool
    past_cases: int

    @property
    def account_created(self) -> datetime:
        return discord.utils.snowflake_time(self.user_id)


def status_line(case: Case) -> str:
    if case.status in ("open", "new"):
        return "Waiting for a moderator"
    if case.status in ("claimed", "acknowledged"):
        return f"Held by <@{case.holder_id}>" if case.holder_id else "Being looked at"
    reason = CLOSE_REASONS.get(case.outcome or "", case.outcome or "")
    return f"Closed: {reason}" if reason else "Closed"


def member_line(facts: MemberFacts | None) -> str:
    if facts is None:
        return "(not recorded)"
    parts = [f"<@{facts.user_id}>", f"account {discord.utils.format_dt(facts.account_created, 'R')}"]
    if not facts.in_server:
        parts.append("**has left the server**")
    elif facts.joined_at is not None:
        parts.append(f"joined {discord.utils.format_dt(facts.joined_at, 'D')}")
    parts.append(f"{facts.past_cases} earlier case(s)")
    return " · ".join(parts)


def support_card(case: Case, facts: MemberFacts | None, guild: GuildConfig) -> discord.Embed:
    title = f"{reference(case.kind, case.number)} · {fit(case.topic or 'Support', 80)}"
    description = (
        quote(case.body, _BODY_LIMIT)
        if case.body
        else "*They didn't write anything yet; they can talk in the thread.*"
    )
    embed = discord.Embed(title=title, description=description, colour=STATUS_COLOURS.get(case.status))
    embed.add_field(name="Member", value=member_line(facts), inline=False)
    embed.add_field(name="Status", value=status_line(case), inline=True)
    embed.add_field(name="Opened", value=discord.utils.format_dt(case.opened_at, "R"), inline=True)
    if case.thread_id:
        embed.add_field(name="Thread", value=f"<#{case.thread_id}>", inline=True)
    if case.first_reply_at:
        embed.add_field(
            name="First reply", value=discord.utils.format_dt(case.first_reply_at, "R"), inline=True
        )
    if case.followup_at:
        embed.add_field(name="Follow-up", value=discord.utils.format_dt(case.followup_at, "f"), inline=True)
    if case.survey_answer:
        embed.add_field(name="Felt heard?", value=case.survey_answer, inline=True)
    if case.problem and case.is_open:
        embed.add_field(name="⚠ Needs attention", value=fit(case.problem, 1024), inline=False)
    embed.set_footer(text=f"Case {case.id} · private to moderators")
    return embed


OUTCOME_LABELS = {
    "no_violation": "No violation",
    "conversation_held": "Conversation held",
    "warning": "Warning",
    "timeout": "Timeout",
    "removal": "Removal",
    "other": "Other",
    "dismissed": "Dismissed",
}


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


def report_card(
    case: Case, subject: MemberFacts | None, guild: GuildConfig, readers: Readers
) -> discord.Embed:
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


DISTRESS_LABELS = {
    "crisis": "Possible crisis",
    "overwhelmed": "Overwhelmed",
    "grief": "Grief",
    "isolation": "Feeling alone",
    "hostility": "Lashing out, maybe in pain",
}


def distress_status_line(case: Case) -> str:
    if case.status == "new":
        return "Nobody has picked this up yet"
    if case.status == "acknowledged":
        return f"<@{case.holder_id}> is reaching out" if case.holder_id else "Being looked at"
    return "Reached out" if case.outcome == "reached_out" else "Marked not needed"


def distress_card(case: Case, facts: MemberFacts | None, next_step: str) -> discord.Embed:
    """A quiet card: the category and a link, never a copy of the message."""
    label = DISTRESS_LABELS.get(case.topic or "", case.topic or "Distress")
    embed = discord.Embed(
        title=f"{reference(case.kind, case.number)} · {label}",
        description="A message may show someone is struggling. Tend keeps no copy of it: follow the link to read it.",
        colour=STATUS_COLOURS.get(case.status),
    )
    link = (case.snapshot or {}).get("jump_url")
    if link:
        embed.add_field(name="Where", value=f"[Go to the message]({link})", inline=False)
    embed.add_field(name="Member", value=member_line(facts), inline=False)
    embed.add_field(name="Suggested first step", value=fit(next_step, 1024), inline=False)
    embed.add_field(name="Status", value=distress_status_line(case), inline=True)
    embed.add_field(name="Noticed", value=discord.utils.format_dt(case.opened_at, "R"), inline=True)
    embed.set_footer(text=f"Case {case.id} · private to moderators · nobody was told publicly")
    return embed


def load_note(overloaded: list[tuple[int, int]]) -> str | None:
    """For a new card while someone carries too much: suggest someone else takes it."""
    if not overloaded:
        return None
    names = ", ".join(f"<@{holder}> ({count})" for holder, count in overloaded)
    return f"{names} already hold many open cases. Could someone else take this one?"
