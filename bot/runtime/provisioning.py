"""Tend's own channels, made on a server with the overwrites they need (``tend setup``).

queue       the moderator roles and Tend only (the cards name members and what they went through)
support     every member reads it; nobody but Tend starts threads there (each case gets its own)
escalation  one role of the owner's choice and Tend only

Tend's own overwrite allows exactly what ``bot/runtime/doctor.py`` checks it has in that
channel, so a channel made here passes ``/tend doctor`` by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import discord

from bot.runtime.doctor import CHANNEL_ROLES, permissions_of

ChannelKey = Literal["queue", "support", "escalation"]
DEFAULT_NAMES: dict[ChannelKey, str] = {
    "queue": "tend-queue",
    "support": "tend-support",
    "escalation": "tend-escalations",
}
# What the people allowed into a private channel need to work there: read, and post in threads.
TEAM_ACCESS = discord.PermissionOverwrite(
    view_channel=True, read_message_history=True, send_messages_in_threads=True
)


class CantCreate(Exception):
    """A channel can't be made; the message says why and what to do, in one sentence."""


@dataclass(frozen=True)
class NewChannel:
    """A channel setup will make: its config key, its name, and who may read it (private only)."""

    key: ChannelKey
    name: str
    readers: tuple[int, ...] = ()  # role ids; empty for the support channel, which members read

    def describe(self, role_names: dict[int, str]) -> str:
        """What it will be, in the words the owner reads before agreeing."""
        if self.key == "support":
            return f"#{self.name}: every member can read it; only Tend starts threads there"
        readers = ", ".join(f"@{role_names.get(r, r)}" for r in self.readers)
        return f"#{self.name}: only {readers} and Tend can see it"


def overwrites_for(plan: NewChannel, guild: Any) -> dict[Any, discord.PermissionOverwrite]:
    """The permission overwrites ``plan`` gets on ``guild`` (a ``discord.Guild``)."""
    _, needs, _ = CHANNEL_ROLES[plan.key]
    tend = discord.PermissionOverwrite.from_pair(permissions_of(needs), discord.Permissions.none())
    if plan.key == "support":
        members = discord.PermissionOverwrite(create_public_threads=False, create_private_threads=False)
        return {guild.default_role: members, guild.me: tend}
    overwrites: dict[Any, discord.PermissionOverwrite] = {
        guild.default_role: discord.PermissionOverwrite(view_channel=False)
    }
    for role_id in plan.readers:
        overwrites[guild.get_role(role_id)] = TEAM_ACCESS
    overwrites[guild.me] = tend
    return overwrites


def creation_problem(plans: Sequence[NewChannel], guild: Any) -> str | None:
    """Why Tend can't make ``plans`` on ``guild``, before it tries; None when it can.

    Discord lets a bot make a channel only with Manage Channels, and allow or deny in its
    overwrites only permissions it holds itself.
    """
    if not plans:
        return None
    held = guild.me.guild_permissions
    if not held.manage_channels:
        return (
            f"Tend can't create channels in {guild.name}: its role lacks Manage Channels. Give it that "
            "permission (Server Settings → Roles → Tend) while setup runs, or choose existing channels."
        )
    for plan in plans:
        for target, overwrite in overwrites_for(plan, guild).items():
            if target is None:
                return f"A role chosen for #{plan.name} no longer exists in {guild.name}; run setup again."
            allow, deny = overwrite.pair()
            lacking = [name for name, value in (allow | deny) if value and not getattr(held, name)]
            if lacking:
                labels = ", ".join(name.replace("_", " ").title() for name in lacking)
                return (
                    f"Tend can't create #{plan.name} in {guild.name}: it can only grant permissions its "
                    f"own role holds, and it lacks {labels}; invite it again with the link setup prints."
                )
    return None


async def create_channel(plan: NewChannel, guild: Any) -> discord.TextChannel:
    """Make ``plan`` on ``guild``; :class:`CantCreate` in one sentence when Discord refuses."""
    try:
        return await guild.create_text_channel(
            plan.name, overwrites=overwrites_for(plan, guild), reason="tend setup"
        )
    except discord.Forbidden as exc:
        raise CantCreate(
            f"Discord refused to create #{plan.name} in {guild.name} ({exc.text or 'Missing Permissions'}): "
            "give Tend's role Manage Channels there, or choose an existing channel."
        ) from None
