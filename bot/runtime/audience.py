"""Who can read a channel, for the disclosure rule (bot/disclosure.py) on Discord's side.

A text for the team that lands where the reported member can read it (a queue or
escalation channel someone opened too widely) is treated as read by them, so it never
names the reporter. Permissions come from discord.py's cache; a member not cached is
fetched once (one REST call, only for reports).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.domain.disclosure import TEAM, Readers
from bot.runtime.members import member_of

if TYPE_CHECKING:
    from models import Case


async def can_read(channel: Any, user_id: int) -> bool:
    """Whether ``user_id`` can read ``channel`` (a text channel or a thread) in its server."""
    guild: discord.Guild | None = getattr(channel, "guild", None)
    if guild is None:
        return False
    member = await member_of(guild, user_id)
    if member is None:
        return False
    if isinstance(channel, discord.Thread):
        if channel.type is discord.ChannelType.private_thread:
            in_thread = any(m.id == user_id for m in channel.members)
            return in_thread or channel.permissions_for(member).manage_threads
        channel = channel.parent or channel
    return bool(channel.permissions_for(member).read_messages)


async def team_readers(channel: Any, case: Case | None) -> Readers:
    """The team, plus the reported member when they can read ``channel``."""
    if case is None or case.kind != "report" or case.subject_id is None:
        return TEAM
    if await can_read(channel, case.subject_id):
        return Readers.team({case.subject_id})
    return TEAM


async def message_in(
    bot: Any, guild_id: int | None, reader_id: int, channel_id: int, message_id: int
) -> discord.Message:
    """A message named by ids from a custom_id, looked up on Discord: it must be in ``guild_id``
    and in a channel ``reader_id`` can read. Its author is then Discord's word, not the id's."""
    from bot.domain.errors import NotFound
    from bot.domain.i18n import _

    gone = NotFound(_("I can't find that message any more; it may have been deleted."))
    channel = bot.get_channel(channel_id)
    if channel is None and channel_id:
        try:
            channel = await bot.fetch_channel(channel_id)
        except (discord.NotFound, discord.Forbidden):
            raise gone from None
    if (
        channel is None
        or getattr(getattr(channel, "guild", None), "id", None) != guild_id
        or guild_id is None
    ):
        raise gone
    if not await can_read(channel, reader_id):
        raise gone
    cached = bot._connection._get_message(message_id)
    if cached is not None and cached.channel.id == channel.id:
        return cached
    try:
        return await channel.fetch_message(message_id)
    except (discord.NotFound, discord.Forbidden):
        raise gone from None
