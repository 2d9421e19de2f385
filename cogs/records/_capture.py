"""Hearing case threads: which gateway events are about a case thread, and what to keep."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

import discord

from bot.domain.records.service import Heard
from bot.runtime.records import display_name, message_text

if TYPE_CHECKING:
    from bot.runtime.core import TendBot

LOCALES_KEPT = 5_000


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


def in_case_threads(bot: TendBot, guild_id: int | None, channel: object) -> bool:
    """Whether a channel is a thread Tend made in a configured server's support channel (every
    case thread is one). Cheap: config and cache only."""
    if guild_id is None or not isinstance(channel, discord.Thread):
        return False
    guild = bot.settings.guild(guild_id)
    if guild is None or channel.parent_id != guild.channels.support:
        return False
    return bot.user is None or channel.owner_id in (None, bot.user.id)


class Locales:
    """Members' Discord languages as their latest interactions reported them. In memory, bounded,
    safe to lose (a transcript then says the language isn't known)."""

    def __init__(self, size: int = LOCALES_KEPT):
        self.size = size
        self._seen: OrderedDict[tuple[int, int], str] = OrderedDict()

    def remember(self, guild_id: int | None, user_id: int, locale: str) -> None:
        key = (guild_id or 0, user_id)
        self._seen[key] = locale
        self._seen.move_to_end(key)
        while len(self._seen) > self.size:
            self._seen.popitem(last=False)

    def of(self, guild_id: int, user_id: int) -> str | None:
        return self._seen.get((guild_id, user_id)) or self._seen.get((0, user_id))
