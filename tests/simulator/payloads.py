"""Turn world entities into Discord-shaped JSON payloads (string snowflakes, ISO timestamps).

Field sets follow discord/types/*.py in discord.py 2.7 and Discord's v10 documentation:
every key discord.py's model constructors index directly is present.
"""

from __future__ import annotations

import re
from typing import Any

from .ids import iso, snowflake_time
from .permissions import ALL_PERMISSIONS, MANAGE_THREADS, channel_permissions
from .state import Channel, Guild, Member, Role, User, World

GUILD_MEMBERS_INTENT = 1 << 1


def sf(value: int | None) -> str | None:
    return None if value is None else str(value)


def user_payload(user: User) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "username": user.username,
        "discriminator": "0",
        "global_name": user.global_name,
        "avatar": user.avatar,
        "avatar_decoration_data": None,
        "banner": None,
        "accent_color": None,
        "bot": user.bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "primary_guild": None,
    }


def role_payload(role: Role) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(role.id),
        "name": role.name,
        "color": role.color,
        "colors": {"primary_color": role.color, "secondary_color": None, "tertiary_color": None},
        "hoist": role.hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": role.position,
        "permissions": str(role.permissions),
        "managed": role.managed,
        "mentionable": role.mentionable,
        "flags": 0,
    }
    if role.bot_id is not None:
        data["tags"] = {"bot_id": str(role.bot_id)}
    return data


def member_payload(
    world: World, member: Member, *, with_user: bool = True, permissions: int | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "nick": member.nick,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in member.roles],
        "joined_at": iso(member.joined_at),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": member.flags,
        "pending": member.pending,
        "communication_disabled_until": member.communication_disabled_until,
    }
    if with_user:
        data["user"] = user_payload(world.users[member.user_id])
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def overwrite_payloads(channel: Channel) -> list[dict[str, Any]]:
    return [
        {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)}
        for o in channel.overwrites
    ]


def thread_member_payload(thread: Channel, user_id: int) -> dict[str, Any]:
    return {
        "id": str(thread.id),
        "user_id": str(user_id),
        "join_timestamp": iso(thread.thread_members[user_id]),
        "flags": 0,
    }


def channel_payload(world: World, channel: Channel) -> dict[str, Any]:
    """REST/gateway shape of any channel the sim models (guild text/news/category, thread, DM)."""
    if channel.type == 1:
        recipient = world.users[channel.recipient_id] if channel.recipient_id is not None else None
        return {
            "id": str(channel.id),
            "type": 1,
            "last_message_id": sf(channel.last_message_id),
            "recipients": [user_payload(recipient)] if recipient else [],
            "flags": 0,
        }
    if channel.is_thread:
        metadata: dict[str, Any] = {
            "archived": channel.archived,
            "auto_archive_duration": channel.auto_archive_duration,
            "archive_timestamp": iso(channel.archive_timestamp),
            "locked": channel.locked,
            "create_timestamp": iso(channel.created_at),
        }
        if channel.type == 12:
            metadata["invitable"] = channel.invitable
        data = {
            "id": str(channel.id),
            "type": channel.type,
            "guild_id": sf(channel.guild_id),
            "parent_id": sf(channel.parent_id),
            "owner_id": sf(channel.owner_id),
            "name": channel.name,
            "last_message_id": sf(channel.last_message_id),
            "rate_limit_per_user": channel.rate_limit_per_user,
            "message_count": channel.message_count,
            "member_count": len(channel.thread_members),
            "total_message_sent": channel.total_message_sent,
            "flags": 0,
            "thread_metadata": metadata,
        }
        if world.bot_user_id in channel.thread_members:
            data["member"] = thread_member_payload(channel, world.bot_user_id)
        return data
    data = {
        "id": str(channel.id),
        "type": channel.type,
        "guild_id": sf(channel.guild_id),
        "name": channel.name,
        "position": channel.position,
        "permission_overwrites": overwrite_payloads(channel),
        "parent_id": sf(channel.parent_id),
        "nsfw": channel.nsfw,
        "flags": 0,
    }
    if channel.type in (0, 5):
        data.update(
            topic=channel.topic,
            last_message_id=sf(channel.last_message_id),
            rate_limit_per_user=channel.rate_limit_per_user,
            default_auto_archive_duration=1440,
            default_thread_rate_limit_per_user=0,
        )
    return data


def interaction_channel_payload(world: World, channel: Channel, user_id: int) -> dict[str, Any]:
    """The channel object inside an interaction: a channel payload plus the user's permissions."""
    data = channel_payload(world, channel)
    perms = (
        channel_permissions(world, channel.id, user_id) if channel.guild_id is not None else ALL_PERMISSIONS
    )
    data["permissions"] = str(perms)
    return data


def guild_payload(world: World, guild: Guild) -> dict[str, Any]:
    """The REST guild object (GET /guilds/{id})."""
    system_channel = next((c for c in guild.channel_ids if world.channels[c].type == 0), None)
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "icon_hash": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(guild.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": [role_payload(r) for r in sorted(guild.roles.values(), key=lambda r: r.position)],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": sf(system_channel),
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "max_presences": None,
        "max_members": 500000,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": guild.preferred_locale,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "incidents_data": None,
    }


def gateway_guild_payload(world: World, guild: Guild, intents: int) -> dict[str, Any]:
    """GUILD_CREATE: the REST guild plus channels, active threads and members.

    Without the GUILD_MEMBERS intent Discord only sends the bot's own member.
    """
    data = guild_payload(world, guild)
    channels = [world.channels[c] for c in guild.channel_ids]
    members = list(guild.members.values())
    if not intents & GUILD_MEMBERS_INTENT:
        members = [m for m in members if m.user_id == world.bot_user_id]
    bot_member = guild.members.get(world.bot_user_id)
    data.update(
        joined_at=iso(bot_member.joined_at if bot_member else snowflake_time(guild.id)),
        large=len(guild.members) >= 250,
        unavailable=False,
        member_count=len(guild.members),
        voice_states=[],
        members=[member_payload(world, m) for m in members],
        channels=[channel_payload(world, c) for c in channels if not c.is_thread],
        threads=[channel_payload(world, c) for c in channels if c.is_thread and _bot_sees(world, c)],
        presences=[],
        stage_instances=[],
        guild_scheduled_events=[],
        soundboard_sounds=[],
        embedded_activities=[],
    )
    return data


def _bot_sees(world: World, thread: Channel) -> bool:
    """Active threads the bot can see: private ones only if it is in them or manages threads."""
    if thread.archived:
        return False
    if thread.type != 12 or world.bot_user_id in thread.thread_members:
        return True
    return bool(channel_permissions(world, thread.id, world.bot_user_id) & MANAGE_THREADS)


_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


def resolve_mentions(
    world: World, guild_id: int | None, content: str, allowed: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], list[str], bool]:
    """Which users/roles/everyone a message actually pings, honouring ``allowed_mentions``.

    Returns (mentions as user payloads with a partial member, role ids, mention_everyone).
    ``allowed=None`` means Discord's default: everything in the content pings.
    """
    parse = set(allowed.get("parse") or []) if allowed is not None else {"users", "roles", "everyone"}
    allowed_users = {int(u) for u in (allowed or {}).get("users") or []}
    allowed_roles = {int(r) for r in (allowed or {}).get("roles") or []}
    guild = world.guilds.get(guild_id) if guild_id is not None else None

    mentions: list[dict[str, Any]] = []
    seen: set[int] = set()
    for match in _USER_MENTION.finditer(content or ""):
        uid = int(match.group(1))
        if uid in seen or uid not in world.users:
            continue
        if "users" not in parse and uid not in allowed_users:
            continue
        seen.add(uid)
        data = user_payload(world.users[uid])
        if guild is not None and uid in guild.members:
            data["member"] = member_payload(world, guild.members[uid], with_user=False)
        mentions.append(data)

    roles: list[str] = []
    for match in _ROLE_MENTION.finditer(content or ""):
        rid = int(match.group(1))
        if guild is None or rid not in guild.roles or str(rid) in roles:
            continue
        if "roles" not in parse and rid not in allowed_roles:
            continue
        roles.append(str(rid))

    everyone = "everyone" in parse and ("@everyone" in (content or "") or "@here" in (content or ""))
    return mentions, roles, everyone
