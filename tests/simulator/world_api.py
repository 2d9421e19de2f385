"""World building on the simulator facade: guilds, roles, channels, users, members, threads.

Every change made while the bot is connected is also sent over the gateway, as Discord
would (GUILD_CREATE for a guild added later, CHANNEL_CREATE, GUILD_MEMBER_ADD, ...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .gateway import GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT
from .ids import utcnow
from .routes_moderation import MEMBER_BAN_ADD, MEMBER_UPDATE, record_entry
from .state import Overwrite

if TYPE_CHECKING:
    from .events import Events
    from .gateway import GatewayHub
    from .messages import MessageFactory
    from .state import World


class WorldBuildingMixin:
    world: World
    events: Events
    gateway: GatewayHub
    messages: MessageFactory

    def add_guild(
        self,
        name: str = "Haven",
        owner_id: int | None = None,
        *,
        shard: tuple[int, int] | None = None,
        with_bot: bool = True,
    ) -> int:
        """Create a guild (with @everyone, the bot's managed role and the bot as member).

        ``shard=(shard_id, shard_count)`` picks an id that lands on that shard. With
        ``with_bot=False`` the bot isn't in it (and hears nothing of it) until :meth:`invite_bot`.
        Returns the guild id.
        """
        guild_id = self.world.ids.next_on_shard(*shard) if shard else None
        guild = self.world.add_guild(name, owner_id, guild_id=guild_id, with_bot=with_bot)
        if with_bot:
            self.gateway.send_guild_create(guild.id)
        return guild.id

    def invite_bot(self, guild_id: int) -> None:
        """The owner follows the bot's invite link: it joins (GUILD_CREATE, as a new guild)."""
        self.world.add_bot(guild_id)
        self.gateway.send_guild_create(guild_id)

    def add_role(self, guild_id: int, name: str, permissions: int = 0, *, position: int | None = None) -> int:
        role = self.world.add_role(guild_id, name=name, permissions=permissions, position=position)
        self.events.role_create(role)
        return role.id

    def set_role_permissions(self, guild_id: int, role_id: int, permissions: int) -> None:
        role = self.world.guild(guild_id).roles[role_id]
        role.permissions = permissions
        self.events.role_update(role)

    def delete_role(self, guild_id: int, role_id: int) -> None:
        guild = self.world.guild(guild_id)
        role = guild.roles.pop(role_id)
        for member in guild.members.values():
            if role_id in member.roles:
                member.roles.remove(role_id)
        self.events.role_delete(role)

    def set_bot_permissions(self, guild_id: int, permissions: int) -> None:
        """Set the permissions of the bot's managed role (what the invite granted)."""
        guild = self.world.guild(guild_id)
        assert guild.bot_role_id is not None
        self.set_role_permissions(guild_id, guild.bot_role_id, permissions)

    def set_everyone_permissions(self, guild_id: int, permissions: int) -> None:
        self.set_role_permissions(guild_id, guild_id, permissions)

    def add_channel(
        self,
        guild_id: int,
        name: str,
        type: int = 0,
        overwrites: Iterable[Overwrite | dict] | None = None,
        parent_id: int | None = None,
        *,
        topic: str | None = None,
    ) -> int:
        """Create a channel (0 text, 4 category, 5 news). Overwrites: :class:`Overwrite` or
        dicts ``{"id", "type" (0 role / 1 member), "allow", "deny"}``; inside a category with
        ``overwrites=None`` the channel starts synced with the category."""
        parsed = None
        if overwrites is not None:
            parsed = [
                o
                if isinstance(o, Overwrite)
                else Overwrite(
                    int(o["id"]), int(o.get("type", 0)), int(o.get("allow", 0)), int(o.get("deny", 0))
                )
                for o in overwrites
            ]
        channel = self.world.add_channel(
            guild_id, name=name, type=type, overwrites=parsed, parent_id=parent_id, topic=topic
        )
        self.events.channel_create(channel)
        return channel.id

    def set_channel_overwrite(
        self, channel_id: int, target_id: int, *, allow: int = 0, deny: int = 0
    ) -> None:
        """Add or replace the overwrite for a role or member (type inferred from the id)."""
        channel = self.world.channel(channel_id)
        guild = self.world.guild(channel.guild_id or 0)
        kind = 0 if target_id in guild.roles else 1
        channel.overwrites = [o for o in channel.overwrites if o.id != target_id]
        channel.overwrites.append(Overwrite(target_id, kind, allow, deny))
        self.events.channel_update(channel)

    def deny_bot(self, channel_id: int, permissions: int) -> None:
        """Deny ``permissions`` to the bot in one channel (a member overwrite on the bot)."""
        channel = self.world.channel(channel_id)
        current = next((o for o in channel.overwrites if o.id == self.world.bot_user_id), None)
        allow = current.allow & ~permissions if current else 0
        deny = (current.deny if current else 0) | permissions
        self.set_channel_overwrite(channel_id, self.world.bot_user_id, allow=allow, deny=deny)

    def seed_message(
        self,
        channel_id: int,
        author_id: int,
        content: str = "",
        *,
        embeds: list[dict] | None = None,
        components: list[dict] | None = None,
    ) -> int:
        """Put a message into history without any gateway event, as if posted before the
        bot connected (e.g. a panel with a persistent view from a previous run)."""
        body = {"content": content, "embeds": embeds or [], "components": components or []}
        message = self.messages.build(self.world.channel(channel_id), author_id, body)
        self.world.store_message(message)
        return message.id

    def delete_channel(self, channel_id: int) -> None:
        """Delete a channel or thread (CHANNEL_DELETE / THREAD_DELETE); later requests get 10003."""
        channel = self.world.delete_channel(channel_id)
        self.events.channel_delete(channel)

    def add_user(self, name: str, bot: bool = False, created_at: dt.datetime | None = None) -> int:
        """A Discord account (not in any guild yet). ``created_at`` backdates its snowflake."""
        return self.world.add_user(name, bot=bot, created_at=created_at).id

    def add_member(
        self,
        guild_id: int,
        user_id: int,
        roles: Iterable[int] | None = None,
        joined_at: dt.datetime | None = None,
    ) -> None:
        member = self.world.add_member(guild_id, user_id, roles=list(roles or []), joined_at=joined_at)
        self.events.member_add(member)

    def remove_member(self, guild_id: int, user_id: int) -> None:
        self.world.remove_member(guild_id, user_id)
        self.events.member_remove(guild_id, user_id)

    def set_member_roles(self, guild_id: int, user_id: int, roles: Iterable[int]) -> None:
        member = self.world.member(guild_id, user_id)
        member.roles = list(roles)
        self.events.member_update(member)

    def timeout_member(
        self, guild_id: int, user_id: int, until: dt.datetime | None, *, by: int, reason: str | None = None
    ) -> None:
        """A moderator (``by``) times a member out in Discord's own UI (None: removes it): the audit
        log records it and GUILD_MEMBER_UPDATE goes out with ``communication_disabled_until``."""
        guild = self.world.guild(guild_id)
        member = self.world.member(guild_id, user_id)
        before = member.communication_disabled_until
        member.communication_disabled_until = None if until is None else until.astimezone(dt.UTC).isoformat()
        change = {
            "key": "communication_disabled_until",
            "old_value": before,
            "new_value": member.communication_disabled_until,
        }
        record_entry(
            self.world,
            guild,
            action_type=MEMBER_UPDATE,
            user_id=by,
            target_id=user_id,
            reason=reason,
            changes=[change],
        )
        self.events.member_update(member)

    def ban_member(self, guild_id: int, user_id: int, *, by: int, reason: str | None = None) -> None:
        """A moderator bans someone in Discord's own UI: they leave the server, the ban and the
        audit-log entry are recorded, GUILD_MEMBER_REMOVE goes out."""
        guild = self.world.guild(guild_id)
        guild.bans[user_id] = reason
        record_entry(
            self.world, guild, action_type=MEMBER_BAN_ADD, user_id=by, target_id=user_id, reason=reason
        )
        if user_id in guild.members:
            self.remove_member(guild_id, user_id)

    def set_locale(self, user_id: int, locale: str) -> None:
        """The language this user's Discord runs in (``es-ES``, ``pt-BR``…): their interactions carry it."""
        self.world.user(user_id).locale = locale

    def set_guild_locale(self, guild_id: int, locale: str) -> None:
        """The server's preferred locale; the bot hears it as a GUILD_UPDATE."""
        self.world.guild(guild_id).preferred_locale = locale
        self.events.guild_update(guild_id)

    def set_dms_closed(self, user_id: int, closed: bool = True) -> None:
        """Messages to this user's DM channel answer 403 50007."""
        self.world.user(user_id).dms_closed = closed

    def grant_privileged_intents(
        self, members: bool = True, presences: bool = False, message_content: bool = True
    ) -> None:
        """What the developer portal allows; IDENTIFY with anything else closes with 4014."""
        granted = (GUILD_MEMBERS if members else 0) | (GUILD_PRESENCES if presences else 0)
        self.gateway.granted_intents = granted | (MESSAGE_CONTENT if message_content else 0)

    def add_thread(
        self,
        parent_id: int,
        name: str,
        owner_id: int,
        *,
        type: int = 11,
        members: Iterable[int] = (),
        invitable: bool = True,
    ) -> int:
        """A thread a person created (the bot's own threads come through REST)."""
        thread = self.world.add_thread(
            parent_id, name=name, type=type, owner_id=owner_id, invitable=invitable
        )
        for uid in members:
            thread.thread_members.setdefault(uid, utcnow())
        self.events.thread_create(thread)
        return thread.id

    def join_thread(self, thread_id: int, user_id: int) -> None:
        thread = self.world.channel(thread_id)
        if user_id not in thread.thread_members:
            thread.thread_members[user_id] = utcnow()
            self.events.thread_members_update(thread, added=[user_id])

    def leave_thread(self, thread_id: int, user_id: int) -> None:
        thread = self.world.channel(thread_id)
        if thread.thread_members.pop(user_id, None) is not None:
            self.events.thread_members_update(thread, removed=[user_id])

    def set_thread_state(
        self, thread_id: int, *, archived: bool | None = None, locked: bool | None = None
    ) -> None:
        """A moderator archives/locks a thread in the client (THREAD_UPDATE)."""
        thread = self.world.channel(thread_id)
        if archived is not None:
            thread.archived = archived
            thread.archive_timestamp = utcnow()
        if locked is not None:
            thread.locked = locked
        self.events.thread_update(thread)
