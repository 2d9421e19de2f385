"""Members Tend has met lately, kept in a bounded memory instead of discord.py's member cache.

With the members intent on, discord.py would keep every member of every server in memory
(each join adds one), so Tend's memory would grow with the community. Tend turns that cache
off (``member_cache_flags`` in core.py) and keeps only the members it meets: each interaction's
payload carries its member with roles and join date, so the person acting, and the person a
card or a report is about, are usually here already; anyone else is fetched from Discord once
(one REST call) and remembered.

In memory and safe to lose: a restart only means a member is fetched again when next needed.
"""

from __future__ import annotations

import contextlib
import time
from collections import OrderedDict
from collections.abc import Callable

import discord

RECENT_MEMBERS = 5_000  # about 5 MB at most, whatever the size of the servers
FRESH_FOR = 15 * 60.0  # seconds: roles change, so an older entry is asked of Discord again


class RecentMembers:
    """The last ``size`` members met, least recently used first out, each good for ``fresh_for``
    seconds (without the member cache, Discord's role updates don't reach Tend)."""

    def __init__(
        self,
        size: int = RECENT_MEMBERS,
        fresh_for: float = FRESH_FOR,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.size, self.fresh_for, self.clock = size, fresh_for, clock
        self._members: OrderedDict[tuple[int, int], tuple[discord.Member, float]] = OrderedDict()

    def remember(self, member: discord.Member) -> None:
        key = (member.guild.id, member.id)
        self._members[key] = (member, self.clock())
        self._members.move_to_end(key)
        while len(self._members) > self.size:
            self._members.popitem(last=False)

    def forget(self, guild_id: int, user_id: int) -> None:
        self._members.pop((guild_id, user_id), None)

    def get(self, guild_id: int, user_id: int) -> discord.Member | None:
        found = self._members.get((guild_id, user_id))
        if found is None:
            return None
        member, met = found
        if self.clock() - met > self.fresh_for:
            self.forget(guild_id, user_id)
            return None
        return member

    def __len__(self) -> int:
        return len(self._members)


def remember_interaction(recent: RecentMembers, interaction: discord.Interaction[discord.Client]) -> None:
    """Keep the members an interaction's payload carries: who acts, and who a command names."""
    if isinstance(interaction.user, discord.Member):
        recent.remember(interaction.user)
    if interaction.type is discord.InteractionType.application_command:
        for value in vars(interaction.namespace).values():
            if isinstance(value, discord.Member):
                recent.remember(value)


async def member_of(guild: discord.Guild, user_id: int) -> discord.Member | None:
    """A member of ``guild`` with their roles: met lately, else asked of Discord (None: not a member)."""
    recent = recent_members(guild)
    member = guild.get_member(user_id) or (recent.get(guild.id, user_id) if recent else None)
    if member is not None:
        return member
    with contextlib.suppress(discord.NotFound):
        member = await guild.fetch_member(user_id)
    if member is not None and recent is not None:
        recent.remember(member)
    return member


def recent_members(guild: discord.Guild) -> RecentMembers | None:
    """The memory of the client that sees ``guild`` (TendBot.recent_members; None elsewhere)."""
    client = guild._state._get_client()  # discord.py keeps the client on the guild's state
    return getattr(client, "recent_members", None)
