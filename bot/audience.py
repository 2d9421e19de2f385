"""Who can read a channel, for the disclosure rule (bot/disclosure.py) on Discord's side.

A text for the team that lands where the reported member can read it (a queue or
escalation channel someone opened too widely) is treated as read by them, so it never
names the reporter. Permissions come from discord.py's cache; a member not cached is
fetched once (one REST call, only for reports).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import discord

from .disclosure import TEAM, Readers

if TYPE_CHECKING:
    from models import Case


async def can_read(channel: Any, user_id: int) -> bool:
    """Whether ``user_id`` can read ``channel`` (a text channel or a thread) in its server."""
    guild: discord.Guild | None = getattr(channel, "guild", None)
    if guild is None:
        return False
    member = guild.get_member(user_id)
    if member is None:
        with contextlib.suppress(discord.NotFound):
            member = await guild.fetch_member(user_id)
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
