"""The simulated world: users, guilds, roles, members, channels, threads, messages, commands.

Plain data and bookkeeping only. Nothing here talks to the network or the gateway;
the facade (:mod:`.server`) and the REST routes mutate the world and then emit events.
Ids are ints everywhere in this module; payloads (:mod:`.payloads`) turn them into strings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .ids import SnowflakeFactory, utcnow
from .permissions import DEFAULT_BOT_PERMISSIONS, DEFAULT_EVERYONE_PERMISSIONS, THREAD_TYPES


class UnknownEntity(LookupError):
    """Raised by the world when an id does not exist; routes turn it into a Discord error."""

    def __init__(self, kind: str, entity_id: int) -> None:
        super().__init__(f"unknown {kind} {entity_id}")
        self.kind = kind
        self.entity_id = entity_id


@dataclass
class User:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None
    avatar: str | None = None
    dms_closed: bool = False
    # The Discord client language this person uses (sent as interaction.locale).
    locale: str = "en-US"


@dataclass
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int
    position: int = 0
    color: int = 0
    hoist: bool = False
    managed: bool = False
    mentionable: bool = False
    bot_id: int | None = None


@dataclass
class Member:
    guild_id: int
    user_id: int
    roles: list[int]
    joined_at: dt.datetime
    nick: str | None = None
    communication_disabled_until: str | None = None
    pending: bool = False
    flags: int = 0


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0


@dataclass
class Channel:
    id: int
    type: int
    guild_id: int | None
    name: str | None
    position: int = 0
    parent_id: int | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    topic: str | None = None
    nsfw: bool = False
    rate_limit_per_user: int = 0
    last_message_id: int | None = None
    created_at: dt.datetime = field(default_factory=utcnow)
    # threads (types 10, 11, 12)
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    auto_archive_duration: int = 1440
    archive_timestamp: dt.datetime | None = None
    thread_members: dict[int, dt.datetime] = field(default_factory=dict)
    message_count: int = 0
    total_message_sent: int = 0
    # DMs (type 1)
    recipient_id: int | None = None

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    members: dict[int, Member] = field(default_factory=dict)
    bot_role_id: int | None = None
    # Banned user ids and the reason given.
    bans: dict[int, str | None] = field(default_factory=dict)
    # Audit log entries (wire payloads), newest last.
    audit_log: list[dict[str, Any]] = field(default_factory=list)
    # The server's language (Server Settings → Community), sent as guild_locale / preferred_locale.
    preferred_locale: str = "en-US"


@dataclass
class StoredFile:
    """A file the bot uploaded (or a user attached), kept with its bytes."""

    attachment_id: int
    filename: str
    content_type: str
    data: bytes


@dataclass
class StoredMessage:
    """A message as the sim keeps it: the wire payload plus what Discord doesn't echo back."""

    id: int
    channel_id: int
    payload: dict[str, Any]
    allowed_mentions: dict[str, Any] | None = None
    files: dict[int, StoredFile] = field(default_factory=dict)
    ephemeral: bool = False
    interaction_id: int | None = None
    deleted: bool = False

    def view(self) -> dict[str, Any]:
        """The readback form for tests: wire payload + ``allowed_mentions`` + attachment bytes."""
        out = dict(self.payload)
        out["allowed_mentions"] = self.allowed_mentions
        out["attachments"] = [
            {**att, "data": self.files[int(att["id"])].data if int(att["id"]) in self.files else None}
            for att in self.payload.get("attachments", [])
        ]
        out["deleted"] = self.deleted
        return out


@dataclass
class Command:
    id: int
    application_id: int
    guild_id: int | None
    payload: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.payload["name"])

    @property
    def type(self) -> int:
        return int(self.payload.get("type", 1))


class World:
    """Every entity the simulator knows about, keyed by id."""

    def __init__(self, *, bot_name: str = "Tend") -> None:
        self.ids = SnowflakeFactory()
        # Discord's "now" where it checks a time a bot sent (a timeout's end): the test's clock
        # when one runs Tend (tests/tend.py), so no check depends on the day the suite runs.
        self.clock: Callable[[], dt.datetime] = utcnow
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.deleted_channels: dict[int, Channel] = {}
        self.messages: dict[int, StoredMessage] = {}
        self.channel_message_ids: dict[int, list[int]] = {}
        self.dm_channel_by_user: dict[int, int] = {}
        self.global_commands: list[Command] = []
        self.guild_commands: dict[int, list[Command]] = {}
        self.application_id = self.ids.next()
        bot = self.add_user(bot_name, bot=True)
        self.bot_user_id = bot.id
        self.owner_user_id = self.add_user(f"{bot_name.lower()}-owner").id

    # ----------------------------------------------------------------- lookups
    def user(self, user_id: int) -> User:
        try:
            return self.users[user_id]
        except KeyError:
            raise UnknownEntity("user", user_id) from None

    def guild(self, guild_id: int) -> Guild:
        try:
            return self.guilds[guild_id]
        except KeyError:
            raise UnknownEntity("guild", guild_id) from None

    def channel(self, channel_id: int) -> Channel:
        try:
            return self.channels[channel_id]
        except KeyError:
            raise UnknownEntity("channel", channel_id) from None

    def member(self, guild_id: int, user_id: int) -> Member:
        guild = self.guild(guild_id)
        try:
            return guild.members[user_id]
        except KeyError:
            raise UnknownEntity("member", user_id) from None

    def message(self, message_id: int, channel_id: int | None = None) -> StoredMessage:
        msg = self.messages.get(message_id)
        if msg is None or msg.deleted or (channel_id is not None and msg.channel_id != channel_id):
            raise UnknownEntity("message", message_id)
        return msg

    def guild_of_channel(self, channel_id: int) -> int | None:
        return self.channel(channel_id).guild_id

    # ---------------------------------------------------------- world building
    def add_user(self, name: str, *, bot: bool = False, created_at: dt.datetime | None = None) -> User:
        user = User(
            id=self.ids.next(created_at), username=name, bot=bot, global_name=None if bot else name.title()
        )
        self.users[user.id] = user
        return user

    def add_guild(
        self, name: str, owner_id: int | None = None, *, guild_id: int | None = None, with_bot: bool = True
    ) -> Guild:
        gid = guild_id if guild_id is not None else self.ids.next()
        owner = owner_id if owner_id is not None else self.owner_user_id
        guild = Guild(id=gid, name=name, owner_id=owner)
        guild.roles[gid] = Role(
            id=gid, guild_id=gid, name="@everyone", permissions=DEFAULT_EVERYONE_PERMISSIONS
        )
        self.guilds[gid] = guild
        self.add_member(gid, owner, roles=[])
        if with_bot:
            self.add_bot(gid)
        return guild

    def add_bot(self, guild_id: int) -> Member:
        """The bot joins through its invite link: its managed role with what the link asked for."""
        bot_role = self.add_role(
            guild_id, name=self.users[self.bot_user_id].username, permissions=DEFAULT_BOT_PERMISSIONS
        )
        bot_role.managed = True
        bot_role.bot_id = self.bot_user_id
        self.guild(guild_id).bot_role_id = bot_role.id
        return self.add_member(guild_id, self.bot_user_id, roles=[bot_role.id])

    def add_role(
        self, guild_id: int, *, name: str, permissions: int = 0, position: int | None = None
    ) -> Role:
        guild = self.guild(guild_id)
        pos = position if position is not None else max(r.position for r in guild.roles.values()) + 1
        role = Role(id=self.ids.next(), guild_id=guild_id, name=name, permissions=permissions, position=pos)
        guild.roles[role.id] = role
        return role

    def add_channel(
        self,
        guild_id: int,
        *,
        name: str,
        type: int = 0,
        overwrites: list[Overwrite] | None = None,
        parent_id: int | None = None,
        topic: str | None = None,
    ) -> Channel:
        guild = self.guild(guild_id)
        if overwrites is None and parent_id is not None:
            # A channel created inside a category starts synced with the category's overwrites.
            overwrites = [
                Overwrite(o.id, o.type, o.allow, o.deny) for o in self.channel(parent_id).overwrites
            ]
        channel = Channel(
            id=self.ids.next(),
            type=type,
            guild_id=guild_id,
            name=name,
            position=len(guild.channel_ids),
            parent_id=parent_id,
            overwrites=list(overwrites or []),
            topic=topic,
        )
        self.channels[channel.id] = channel
        guild.channel_ids.append(channel.id)
        self.channel_message_ids[channel.id] = []
        return channel

    def add_thread(
        self,
        parent_id: int,
        *,
        name: str,
        type: int,
        owner_id: int,
        invitable: bool = True,
        auto_archive_duration: int = 1440,
        thread_id: int | None = None,
    ) -> Channel:
        parent = self.channel(parent_id)
        now = utcnow()
        thread = Channel(
            id=thread_id if thread_id is not None else self.ids.next(),
            type=type,
            guild_id=parent.guild_id,
            name=name,
            parent_id=parent_id,
            owner_id=owner_id,
            invitable=invitable if type == 12 else True,
            auto_archive_duration=auto_archive_duration,
            archive_timestamp=now,
            created_at=now,
        )
        thread.thread_members[owner_id] = now
        self.channels[thread.id] = thread
        if parent.guild_id is not None:
            self.guilds[parent.guild_id].channel_ids.append(thread.id)
        self.channel_message_ids[thread.id] = []
        return thread

    def add_member(
        self,
        guild_id: int,
        user_id: int,
        *,
        roles: list[int] | None = None,
        joined_at: dt.datetime | None = None,
    ) -> Member:
        guild = self.guild(guild_id)
        self.user(user_id)
        member = Member(
            guild_id=guild_id, user_id=user_id, roles=list(roles or []), joined_at=joined_at or utcnow()
        )
        guild.members[user_id] = member
        return member

    def remove_member(self, guild_id: int, user_id: int) -> Member:
        guild = self.guild(guild_id)
        member = guild.members.pop(user_id, None)
        if member is None:
            raise UnknownEntity("member", user_id)
        return member

    def delete_channel(self, channel_id: int) -> Channel:
        channel = self.channel(channel_id)
        del self.channels[channel_id]
        self.deleted_channels[channel_id] = channel
        if channel.guild_id is not None:
            ids = self.guilds[channel.guild_id].channel_ids
            if channel_id in ids:
                ids.remove(channel_id)
        return channel

    def dm_channel(self, user_id: int) -> Channel:
        """The DM channel between the bot and ``user_id``, created on first use."""
        self.user(user_id)
        existing = self.dm_channel_by_user.get(user_id)
        if existing is not None:
            return self.channels[existing]
        channel = Channel(id=self.ids.next(), type=1, guild_id=None, name=None, recipient_id=user_id)
        self.channels[channel.id] = channel
        self.channel_message_ids[channel.id] = []
        self.dm_channel_by_user[user_id] = channel.id
        return channel

    # --------------------------------------------------------------- messages
    def store_message(self, message: StoredMessage) -> StoredMessage:
        self.messages[message.id] = message
        if not message.ephemeral:
            self.channel_message_ids.setdefault(message.channel_id, []).append(message.id)
            channel = self.channels.get(message.channel_id)
            if channel is not None:
                channel.last_message_id = message.id
                if channel.is_thread:
                    channel.message_count += 1
                    channel.total_message_sent += 1
        return message

    def channel_history(self, channel_id: int) -> list[StoredMessage]:
        ids = self.channel_message_ids.get(channel_id, [])
        return [self.messages[i] for i in ids if not self.messages[i].deleted]

    # --------------------------------------------------------------- commands
    def commands_for(self, guild_id: int | None) -> list[Command]:
        if guild_id is None:
            return self.global_commands
        return self.guild_commands.get(guild_id, [])

    def find_command(self, guild_id: int | None, name: str, type: int) -> Command | None:
        """Guild commands win over global ones, as in the Discord client."""
        scopes = ([guild_id] if guild_id is not None else []) + [None]
        for scope in scopes:
            for cmd in self.commands_for(scope):
                if cmd.name == name and cmd.type == type:
                    return cmd
        return None

    def overwrite_commands(self, guild_id: int | None, payloads: list[dict[str, Any]]) -> list[Command]:
        """Bulk overwrite: keep ids of commands whose (name, type) survive, like Discord does."""
        old = {(c.name, c.type): c for c in self.commands_for(guild_id)}
        new: list[Command] = []
        for body in payloads:
            key = (str(body["name"]), int(body.get("type", 1)))
            cmd_id = old[key].id if key in old else self.ids.next()
            new.append(
                Command(id=cmd_id, application_id=self.application_id, guild_id=guild_id, payload=dict(body))
            )
        if guild_id is None:
            self.global_commands = new
        else:
            self.guild_commands[guild_id] = new
        return new
