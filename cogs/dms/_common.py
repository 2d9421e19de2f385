"""What the DM feature's listener, buttons and jobs share: which servers a person can reach,
membership checked with Discord, the texts of a DM, and giving words back."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from bot.runtime.members import member_of
from bot.runtime.replies import GIVE_BACK_INLINE

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.runtime.core import TendBot

log = logging.getLogger(__name__)
# A piece of relayed text per Discord message, leaving room for Tend's line above it.
PIECE = 1800


@dataclass(frozen=True)
class Membership:
    timed_out_until: datetime | None


def reachable(bot: TendBot) -> list[GuildConfig]:
    """The configured servers a member can reach by DMing Tend."""
    return [g for g in bot.settings.guilds if g.features.support and g.dms.enabled]


def relay_possible(bot: TendBot, guild: GuildConfig) -> bool:
    """The relay is offered where the owner allows it (without the Message Content intent,
    moderators mention Tend in the messages it should pass on: Discord shows Tend those)."""
    return guild.dms.relay


def mention_hint(bot: TendBot) -> str:
    """How the team sends words to a relaying member, when Tend can't read the thread itself."""
    if bot.intents.message_content:
        return ""
    me = f"<@{bot.user.id}>" if bot.user else "@Tend"
    return f" Tend can't read this thread without the Message Content intent: mention {me} in a message to send it."


def team_words(bot: TendBot, message: discord.Message) -> str:
    """What a moderator wrote for the member, without a mention of Tend they may have used."""
    text = words_of(message)
    if bot.user is not None:
        for mention in (f"<@{bot.user.id}>", f"<@!{bot.user.id}>"):
            text = text.replace(mention, "")
    return text.strip()


async def membership(bot: TendBot, guild_id: int, user_id: int) -> Membership | None:
    """Whether ``user_id`` is a member of ``guild_id``, asked of Discord (None: not a member).
    Raises discord.HTTPException when Discord can't say."""
    guild = bot.get_guild(guild_id)
    if guild is not None:
        member = await member_of(guild, user_id)
        return None if member is None else Membership(member.timed_out_until)
    try:  # a server on another process's shard: no cached Guild here, so ask directly
        data = await bot.http.get_member(guild_id, user_id)
    except discord.NotFound:
        return None
    return Membership(discord.utils.parse_time(data.get("communication_disabled_until")))


def is_timed_out(found: Membership, now: datetime) -> bool:
    return found.timed_out_until is not None and found.timed_out_until > now


def server_name(bot: TendBot, guild: GuildConfig) -> str:
    cached = bot.get_guild(guild.id)
    return guild.name or (cached.name if cached else f"server {guild.id}")


def words_of(message: discord.Message) -> str:
    """What a message says, its attachments as links (they stay on Discord, not in Tend)."""
    parts = [message.content.strip()] if message.content.strip() else []
    parts += [attachment.url for attachment in message.attachments]
    return "\n".join(parts)


def pieces(quoted: str, size: int = PIECE) -> list[str]:
    """A quoted text in pieces that fit one message each, cut at line ends where possible and
    never cut short; a piece that starts mid-line is quoted too."""
    out: list[str] = []
    rest = quoted
    while len(rest) > size:
        cut = rest.rfind("\n", 0, size)
        cut = cut if cut > size // 2 else size
        out.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
        if not rest.startswith(">"):
            rest = f"> {rest}"
    out.append(rest)
    return out


_INERT = discord.AllowedMentions.none()


async def give_back(channel: discord.abc.Messageable, intro: str, text: str) -> None:
    """Hand a member back exactly what they wrote, in their DMs: nothing is lost."""
    text = text.strip()
    try:
        if not text:
            await channel.send(intro.rstrip(":") + ".", allowed_mentions=_INERT)
        elif len(text) <= GIVE_BACK_INLINE and "```" not in text:
            await channel.send(f"{intro}\n```\n{text}\n```", allowed_mentions=_INERT)
        else:
            words = discord.File(io.BytesIO(text.encode("utf-8")), filename="what-you-wrote.txt")
            await channel.send(intro, file=words, allowed_mentions=_INERT)
    except discord.HTTPException:
        log.warning("could not give a member's words back in their DMs")
