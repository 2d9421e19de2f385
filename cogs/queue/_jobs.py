"""Jobs of every case: keep its card current (drawn by its kind), and tell the team."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord

from bot.domain.cases.kinds import NoticePayload
from bot.domain.cases.store import open_load, past_case_count
from bot.domain.i18n import ENGLISH, Language, Text, _
from bot.domain.pauses import REASON_LABELS, latest_pause
from bot.domain.text import fit
from bot.infra.jobs import Finish, GiveUp, Job, NoPayload
from bot.runtime.audience import team_readers
from bot.runtime.delivery import retry_on_discord_errors
from bot.runtime.language import team_language
from bot.runtime.members import member_of
from bot.runtime.queue import CardContext, CaseKind, MemberFacts, messageable, notes_channel

from ._buttons import ClaimButton, HandOffButton, HistoryButton

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.runtime.core import TendBot
    from models import Case, MemberPause


# A pause that ended longer ago than this before a case opened isn't news on its card.
PAUSE_SHOWN_FOR = timedelta(days=90)


def card_buttons(
    case: Case, guild: GuildConfig, kind: CaseKind, team: Language = ENGLISH, past: int = 0
) -> discord.ui.View | None:
    """An open case's buttons: Claim while nobody holds it, the kind's own, and Hand off, and the
    person's earlier cases when they have any (their transcripts, /case history); their labels in
    the team's language (each is a catalogue sentence)."""
    if not case.is_open:
        return None
    view = discord.ui.View(timeout=None)
    if case.holder_id is None:
        view.add_item(ClaimButton(case.id, label=kind.claim_label))
    for item in kind.buttons(case, guild):
        view.add_item(item)
    view.add_item(HandOffButton(case.id))
    if past:
        view.add_item(HistoryButton(case.id))
    for child in view.children:
        button = getattr(child, "item", child)
        if isinstance(button, discord.ui.Button) and button.label:
            button.label = team(Text(button.label))
    return view


def load_note(overloaded: list[tuple[int, int]], team: Language = ENGLISH) -> str | None:
    """For a new card while someone carries too much: suggest someone else takes it."""
    if not overloaded:
        return None
    names = ", ".join(f"<@{holder}> ({count})" for holder, count in overloaded)
    return team(_("{names} already hold many open cases. Could someone else take this one?", names=names))


def pause_line(pause: MemberPause | None, case: Case, now: datetime) -> str | None:
    """The pause of the person a card is about: while it holds, and on their next case after it."""
    if pause is None:
        return None
    holds = pause.ended_at is None and pause.ends_at > now
    if not holds and pause.starts_at > case.opened_at:
        return None  # it came after this case: its own notice says so
    if not holds and (pause.ended_at or pause.ends_at) < case.opened_at - PAUSE_SHOWN_FOR:
        return None  # long over before this case: not news
    reason = REASON_LABELS.get(pause.reason, pause.reason)
    link = ""
    if pause.notice_channel_id and pause.notice_message_id:
        link = f" · [notice](https://discord.com/channels/{pause.guild_id}/{pause.notice_channel_id}/{pause.notice_message_id})"
    if holds:
        return f"Paused until {discord.utils.format_dt(pause.ends_at, 'f')} by <@{pause.paused_by}>: {reason}{link}"
    ended = pause.ended_at or pause.ends_at
    return (
        f"Paused earlier by <@{pause.paused_by}> ({reason}), "
        f"{discord.utils.format_dt(pause.starts_at, 'd')} to {discord.utils.format_dt(ended, 'd')}{link}"
    )


class CaseJobs:
    def __init__(self, bot: TendBot):
        self.bot = bot

    async def member_facts(self, case: Case, user_id: int | None, past: int) -> MemberFacts | None:
        """Facts about the person a card is about (the member asking, or the reported member)."""
        if user_id is None:
            return None
        guild = self.bot.get_guild(case.guild_id)
        left = case.member_left_at is not None and user_id == case.member_id
        member = await member_of(guild, user_id) if guild is not None and not left else None
        return MemberFacts(
            user_id, member.joined_at if member else None, member is not None and not left, past
        )

    async def writer_locale(self, case: Case) -> str | None:
        """The Discord locale of the member who opened the case (the card says what they write in)."""
        if case.member_id is None:
            return None
        try:
            return await self.bot.services.locales.locale_of(case.member_id)
        except Exception:
            return None  # a card without the language line beats no card

    async def sync_card(self, job: Job[NoPayload]) -> Finish | None:
        """Post the case's card in the queue, or edit it to show where the case is now."""
        guild = self.bot.settings.guild(job.guild_id)
        if guild is None or job.case_id is None:
            raise GiveUp("the server is no longer in the config")
        async with self.bot.db.read() as session:  # one read for all the card shows
            case = await self.bot.cases.get_in(session, job.guild_id, job.case_id)
            kind = self.bot.kinds.of(case)
            about = kind.about(case)
            past = await past_case_count(session, case, about) if about is not None else 0
            unclaimed = case.is_open and case.holder_id is None
            load = await open_load(session, guild.id) if unclaimed else {}
            pause = await latest_pause(session, guild.id, about) if about is not None else None
        channel_id = (
            case.card_channel_id
            or (guild.channels.escalation if case.escalated else None)
            or guild.channels.queue
        )
        with retry_on_discord_errors("update the case card"):
            channel = await messageable(self.bot, channel_id)
        # The card names a reporter only where the reported member can't read it.
        context = CardContext(
            guild=guild,
            facts=await self.member_facts(case, about, past),
            readers=await team_readers(channel, case),
            library=self.bot.prompts(guild.id),
            team=team_language(self.bot, guild.id),
            writer_locale=await self.writer_locale(case),
        )
        embed = kind.card(case, context)
        limit = guild.listening.max_open_per_moderator
        overloaded = sorted(((h, n) for h, n in load.items() if n >= limit), key=lambda x: -x[1])
        note = load_note(overloaded, context.team)
        if note:
            embed.add_field(name=context.team(_("⚖ Team load")), value=note, inline=False)
        paused = pause_line(pause, case, self.bot.cases.clock())
        if paused:
            embed.add_field(name=context.team(_("⏸ Pause")), value=paused, inline=False)
        buttons = card_buttons(case, guild, kind, context.team, past)
        content, mentions = None, discord.AllowedMentions.none()
        role = guild.reports.escalation_role
        if case.escalated and role and case.card_message_id is None:
            # Only the escalation role may be pinged, and only on a report about a moderator.
            content = f"<@&{role}> " + context.team(_("a report about a moderator needs you."))
            mentions = discord.AllowedMentions(roles=[discord.Object(role)])
        with retry_on_discord_errors("update the case card"):
            message: discord.Message | None = None
            if case.card_message_id is not None:
                try:
                    partial = channel.get_partial_message(case.card_message_id)  # type: ignore[attr-defined]
                    message = await partial.edit(embed=embed, view=buttons)
                except discord.NotFound:
                    message = None  # someone deleted the card: post it again
            if message is None:
                # The nonce makes Discord return the first card if a crash made us post twice.
                nonce = f"card-{case.id}"
                if buttons is None:
                    message = await channel.send(content, embed=embed, nonce=nonce, allowed_mentions=mentions)
                else:
                    message = await channel.send(
                        content, embed=embed, view=buttons, nonce=nonce, allowed_mentions=mentions
                    )
                if not message.embeds or message.embeds[0].to_dict() != embed.to_dict():
                    # Discord returned a card an earlier, concurrent refresh posted with this
                    # nonce: bring it up to date rather than leave it stale.
                    message = await message.edit(embed=embed, view=buttons)
        if (case.card_channel_id, case.card_message_id) == (message.channel.id, message.id):
            return None
        # Stored with the item's end (one write); the notes thread waits until it is needed.
        return self.bot.cases.card_posted(case.id, message.channel.id, message.id, case)

    async def notice(self, job: Job[NoticePayload]) -> None:
        """Post a team notice in the case's staff thread (or the queue), pinging one moderator."""
        guild = self.bot.settings.guild(job.guild_id)
        if guild is None or job.case_id is None:
            raise GiveUp("the server is no longer in the config")
        case = await self.bot.cases.get(job.guild_id, job.case_id)
        text = job.payload.text
        if job.target_id:
            text = f"<@{job.target_id}> {text}"
        if job.late:
            text = f"{self.bot.prompts(job.guild_id).message('late_apology')}\n{text}"
        await self._tell(job, text, case, guild.channels.queue, "tell the team")

    # A due CASE_FOLLOWUP is delivered by cogs.followups (reminder with Done / Snooze / Reopen).

    async def _tell(self, job: Job, text: str, case: Case, queue_id: int, doing: str) -> None:
        """Post to the case's staff thread (or the queue), pinging only the job's target."""
        mentions = (
            discord.AllowedMentions(users=[discord.Object(job.target_id)])
            if job.target_id
            else discord.AllowedMentions.none()
        )
        with retry_on_discord_errors(doing):
            channel = await notes_channel(self.bot, case, queue_id)
            await channel.send(fit(text, 2000), allowed_mentions=mentions, nonce=f"j-{job.id}")
