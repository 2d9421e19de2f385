"""Discord permission bits and the channel permission algorithm.

Follows https://discord.com/developers/docs/topics/permissions#permission-overwrites:
owner and ADMINISTRATOR get everything; otherwise @everyone | roles, then the channel's
@everyone overwrite, then the member's role overwrites (denies then allows, combined),
then the member overwrite. Without VIEW_CHANNEL nothing else applies. Threads use their
parent channel's permissions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .state import World

CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_AUDIT_LOG = 1 << 7
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
MANAGE_NICKNAMES = 1 << 27
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
MODERATE_MEMBERS = 1 << 40

ALL_PERMISSIONS = (1 << 53) - 1

#: What a correctly invited Tend bot holds through its managed role.
DEFAULT_BOT_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | SEND_MESSAGES_IN_THREADS
    | CREATE_PRIVATE_THREADS
    | CREATE_PUBLIC_THREADS
    | MANAGE_THREADS
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | MODERATE_MEMBERS
)

#: What @everyone can do in a fresh simulated guild. Narrower than Discord's default on
#: purpose (no thread creation, no @everyone pings), so that taking a permission away from
#: the bot's role (``set_bot_permissions``) really takes it away. To remove one of these
#: from the bot, use a channel overwrite (``sim.deny_bot``) or ``set_everyone_permissions``.
DEFAULT_EVERYONE_PERMISSIONS = (
    ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)

THREAD_TYPES = frozenset({10, 11, 12})


def base_permissions(world: World, guild_id: int, user_id: int) -> int:
    """Guild-level permissions of a member (no channel overwrites)."""
    guild = world.guilds[guild_id]
    if user_id == guild.owner_id:
        return ALL_PERMISSIONS
    member = guild.members.get(user_id)
    if member is None:
        return 0
    perms = guild.roles[guild.id].permissions
    for role_id in member.roles:
        role = guild.roles.get(role_id)
        if role is not None:
            perms |= role.permissions
    if perms & ADMINISTRATOR:
        return ALL_PERMISSIONS
    return perms


def channel_permissions(world: World, channel_id: int, user_id: int) -> int:
    """Effective permissions of a member in a guild channel or thread."""
    channel = world.channels[channel_id]
    if channel.type in THREAD_TYPES and channel.parent_id is not None:
        channel = world.channels[channel.parent_id]
    if channel.guild_id is None:
        return ALL_PERMISSIONS & ~ADMINISTRATOR
    perms = base_permissions(world, channel.guild_id, user_id)
    if perms == ALL_PERMISSIONS:
        return perms
    guild = world.guilds[channel.guild_id]
    member = guild.members.get(user_id)
    member_roles = set(member.roles) if member else set()
    by_target = {(ow.type, ow.id): ow for ow in channel.overwrites}
    everyone = by_target.get((0, guild.id))
    if everyone is not None:
        perms = (perms & ~everyone.deny) | everyone.allow
    allow = deny = 0
    for ow in channel.overwrites:
        if ow.type == 0 and ow.id in member_roles:
            allow |= ow.allow
            deny |= ow.deny
    perms = (perms & ~deny) | allow
    own = by_target.get((1, user_id))
    if own is not None:
        perms = (perms & ~own.deny) | own.allow
    if not perms & VIEW_CHANNEL:
        return 0
    return perms
