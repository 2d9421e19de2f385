"""Case records on Discord: what a recorded message is made of, and transcripts as files.

Shared by the records feature (recording, posting on close, /case) and the queue card's
History button. The disclosure rule decides, per place a file goes, whether a report's
reporter may be named in it.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.domain.disclosure import Readers, reporter_hidden
from bot.domain.records import Transcript, render_history, render_transcript
from bot.domain.records.html import Names
from bot.domain.records.service import Heard
from bot.runtime.members import recent_members

if TYPE_CHECKING:
    from bot.runtime.core import TendBot
    from models import Case

# Discord's upload limit for bots without boosts is 10 MiB; stay well under it.
MAX_FILE = 8 * 1024 * 1024


def message_text(message: discord.Message) -> str:
    """What a message says, as a transcript shows it: its text, then, for a bot's message, its
    embeds (Tend's own messages carry most of what they say in embeds)."""
    parts = [message.content or ""]
    # A member's embeds are link previews Discord adds (not what they wrote); Tend's are its words.
    for embed in message.embeds if message.author.bot else ():
        lines = [line for line in (embed.title, embed.description) if line]
        lines += [f"{field.name}: {field.value}" for field in embed.fields]
        if lines:
            parts.append(
                "\n".join(
                    f"> {line.removeprefix('> ')}" for block in lines for line in str(block).splitlines()
                )
            )
    return "\n".join(p for p in parts if p)


def display_name(author: discord.abc.User) -> str:
    return getattr(author, "display_name", None) or author.name


def heard_of(message: discord.Message, guild_id: int, locale: str | None) -> Heard:
    channel = message.channel
    return Heard(
        guild_id=guild_id,
        thread_id=channel.id,
        message_id=message.id,
        author_id=message.author.id,
        name=display_name(message.author),
        bot=message.author.bot,
        at=message.created_at,
        text=message_text(message),
        attachments=[a.filename for a in message.attachments],
        locale=locale,
        thread_name=getattr(channel, "name", None),
    )


# Tend's own messages that the job sending them records in the transaction that finishes it (the
# support thread's welcome): the gateway's copy of them needs no write of its own.
KEPT_BY_SENDER = ("welcome-",)


def kept_by_sender(message: discord.Message, bot_id: int | None) -> bool:
    nonce = message.nonce
    return message.author.id == bot_id and isinstance(nonce, str) and nonce.startswith(KEPT_BY_SENDER)


def names_for(bot: TendBot, guild_id: int, ids: Sequence[int | None]) -> dict[int, str]:
    """Names of people Tend knows without asking Discord (its caches); the rest show as ids."""
    found: dict[int, str] = {}
    guild = bot.get_guild(guild_id)
    recent = recent_members(guild) if guild is not None else None
    for user_id in ids:
        if user_id is None or user_id in found:
            continue
        member = (guild.get_member(user_id) if guild else None) or (
            recent.get(guild_id, user_id) if recent else None
        )
        user = member or bot.get_user(user_id)
        if user is not None:
            found[user_id] = display_name(user)
    return found


def _people(transcripts: Sequence[Transcript]) -> list[int | None]:
    ids: list[int | None] = []
    for t in transcripts:
        ids += [t.member_id, t.subject_id, t.holder_id, t.closed_by]
        ids += [m.actor_id for m in t.timeline]
        ids += [m.detail.get("to") if isinstance(m.detail.get("to"), int) else None for m in t.timeline]
    return ids


def hidden_people(cases: Sequence[Case], readers: Readers) -> set[int]:
    """The reporters the disclosure rule forbids naming to ``readers``."""
    return {c.member_id for c in cases if c.member_id is not None and reporter_hidden(c, readers)}


def _channel_names(bot: TendBot, guild_id: int) -> dict[int, str]:
    guild = bot.get_guild(guild_id)
    return {c.id: c.name for c in guild.channels} if guild is not None else {}


async def transcript_file(bot: TendBot, transcript: Transcript, case: Case, readers: Readers) -> discord.File:
    """The case's transcript as an HTML file for ``readers`` (rendered off the event loop)."""
    guild = bot.guild_config(transcript.guild_id)
    server = guild.name or (g.name if (g := bot.get_guild(guild.id)) else "this server")
    names = Names(names_for(bot, guild.id, _people([transcript])), hidden=hidden_people([case], readers))
    page = await asyncio.to_thread(
        render_transcript,
        transcript,
        server=server,
        zone=guild.zone,
        generated_at=bot.cases.clock(),
        names=names,
        channel_names=_channel_names(bot, guild.id),
    )
    return _file(page, f"{transcript.reference}-transcript.html")


async def history_file(
    bot: TendBot, guild_id: int, member_id: int, past: Sequence[Any], readers: Readers
) -> discord.File:
    """A member's earlier cases (``PastCase`` each), with their transcripts, as one HTML file."""
    guild = bot.guild_config(guild_id)
    server = guild.name or (g.name if (g := bot.get_guild(guild.id)) else "this server")
    transcripts = [p.transcript for p in past]
    known = names_for(bot, guild.id, [member_id, *_people(transcripts)])
    names = Names(known, hidden=hidden_people([p.case for p in past], readers) - {member_id})
    member = known.get(member_id) or f"user {member_id}"
    for t in transcripts:  # the name they wrote under, when Tend has no fresher one
        member = known.get(member_id) or next(
            (m.name for m in t.messages if m.author_id == member_id and m.name), member
        )
    page = await asyncio.to_thread(
        render_history,
        member,
        transcripts,
        server=server,
        zone=guild.zone,
        generated_at=bot.cases.clock(),
        names=names,
        channel_names=_channel_names(bot, guild.id),
    )
    return _file(page, f"history-{member_id}.html")


def _file(page: str, filename: str) -> discord.File:
    data = page.encode()
    if len(data) > MAX_FILE:
        cut = "<p>(This file was cut to fit Discord's upload limit.)</p></main></body></html>"
        data = data[: MAX_FILE - len(cut)].decode(errors="ignore").encode() + cut.encode()
    return discord.File(io.BytesIO(data), filename=filename)


def _when(value: Any, zone: Any) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d") if value else "open"


async def send_history(interaction: discord.Interaction[TendBot], member_id: int) -> None:
    """A member's earlier cases for the moderator asking (deferred already): a list, and every
    transcript in one HTML file. The service applies the authority rule to each case."""
    from bot.domain.cases import reference
    from bot.domain.disclosure import TEAM
    from bot.domain.records.html import KIND_NAMES, OUTCOMES
    from bot.runtime.replies import reply_private
    from bot.runtime.ui import actor_of

    bot = interaction.client
    actor = actor_of(interaction)
    past = await bot.records.history(actor, member_id)
    guild = bot.guild_config(actor.guild_id)
    if not past:
        await reply_private(interaction, f"<@{member_id}> has no earlier cases here that you can see.")
        return
    lines = []
    for item in past:
        case = item.case
        held = f"<@{case.holder_id}>" if case.holder_id else "nobody"
        outcome = OUTCOMES.get(case.outcome or "", case.outcome or case.status)
        lines.append(
            f"**{reference(case.kind, case.number)}** · {KIND_NAMES.get(case.kind, case.kind)} · "
            f"{_when(case.opened_at, guild.zone)} → {_when(case.closed_at, guild.zone)} · {outcome} · "
            f"held by {held} · {len(item.transcript.messages)} message(s)"
        )
    embed = discord.Embed(
        title=f"Earlier cases ({len(past)})",
        description="\n".join(lines)[:4000],
        colour=discord.Colour.from_rgb(88, 129, 87),
    )
    embed.set_footer(text=f"Newest first; times in {guild.timezone}. Each transcript is in the file.")
    await reply_private(
        interaction,
        f"<@{member_id}>'s earlier cases in this server:",
        embed=embed,
        file=await history_file(bot, guild.id, member_id, past, TEAM),
    )
