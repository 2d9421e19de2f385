"""Gateway events the world emits when something changes, with Discord's intent rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .gateway import (
    DIRECT_MESSAGES,
    GUILD_MEMBERS,
    GUILD_MESSAGES,
    GUILDS,
    MESSAGE_CONTENT,
    GatewayHub,
    GatewaySession,
)
from .payloads import (
    channel_payload,
    guild_payload,
    member_payload,
    role_payload,
    thread_member_payload,
    user_payload,
)
from .permissions import MANAGE_THREADS, channel_permissions
from .state import Channel, Member, Role, StoredMessage, World


class Events:
    def __init__(self, world: World, hub: GatewayHub) -> None:
        self.world = world
        self.hub = hub

    # -------------------------------------------------------------- messages
    def _message_intent(self, msg: StoredMessage) -> int:
        return GUILD_MESSAGES if msg.payload.get("guild_id") else DIRECT_MESSAGES

    def _content_gate(self, session: GatewaySession, data: dict[str, Any]) -> dict[str, Any]:
        """Without MESSAGE_CONTENT Discord blanks content/embeds/attachments/components,
        except in DMs, for the bot's own messages and for messages that mention the bot."""
        if session.intents & MESSAGE_CONTENT or not data.get("guild_id"):
            return data
        bot = str(self.world.bot_user_id)
        if data["author"]["id"] == bot or any(m["id"] == bot for m in data.get("mentions", [])):
            return data
        return {**data, "content": "", "embeds": [], "attachments": [], "components": []}

    def message_create(self, msg: StoredMessage) -> None:
        if msg.ephemeral:
            return  # ephemeral messages never reach the gateway
        guild_id = msg.payload.get("guild_id")
        self.hub.dispatch(
            "MESSAGE_CREATE",
            dict(msg.payload),
            guild_id=int(guild_id) if guild_id else None,
            intents=self._message_intent(msg),
            transform=self._content_gate,
        )

    def message_update(self, msg: StoredMessage) -> None:
        if msg.ephemeral:
            return
        guild_id = msg.payload.get("guild_id")
        self.hub.dispatch(
            "MESSAGE_UPDATE",
            dict(msg.payload),
            guild_id=int(guild_id) if guild_id else None,
            intents=self._message_intent(msg),
            transform=self._content_gate,
        )

    def message_delete(self, msg: StoredMessage) -> None:
        if msg.ephemeral:
            return
        guild_id = msg.payload.get("guild_id")
        data: dict[str, Any] = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
        if guild_id:
            data["guild_id"] = guild_id
        self.hub.dispatch(
            "MESSAGE_DELETE",
            data,
            guild_id=int(guild_id) if guild_id else None,
            intents=self._message_intent(msg),
        )

    # -------------------------------------------------------------- channels
    def channel_create(self, channel: Channel) -> None:
        self.hub.dispatch(
            "CHANNEL_CREATE", channel_payload(self.world, channel), guild_id=channel.guild_id, intents=GUILDS
        )

    def channel_update(self, channel: Channel) -> None:
        self.hub.dispatch(
            "CHANNEL_UPDATE", channel_payload(self.world, channel), guild_id=channel.guild_id, intents=GUILDS
        )

    def channel_delete(self, channel: Channel) -> None:
        event = "THREAD_DELETE" if channel.is_thread else "CHANNEL_DELETE"
        if channel.is_thread:
            data = {
                "id": str(channel.id),
                "guild_id": str(channel.guild_id),
                "parent_id": str(channel.parent_id),
                "type": channel.type,
            }
        else:
            data = channel_payload(self.world, channel)
        self.hub.dispatch(event, data, guild_id=channel.guild_id, intents=GUILDS)

    def _bot_sees_thread(self, thread: Channel) -> bool:
        if thread.type != 12 or self.world.bot_user_id in thread.thread_members:
            return True
        return bool(channel_permissions(self.world, thread.id, self.world.bot_user_id) & MANAGE_THREADS)

    def thread_create(self, thread: Channel, *, newly_created: bool = True) -> None:
        if not self._bot_sees_thread(thread):
            return
        data = channel_payload(self.world, thread)
        if newly_created:
            data["newly_created"] = True
        self.hub.dispatch("THREAD_CREATE", data, guild_id=thread.guild_id, intents=GUILDS)

    def thread_update(self, thread: Channel) -> None:
        if self._bot_sees_thread(thread):
            self.hub.dispatch(
                "THREAD_UPDATE", channel_payload(self.world, thread), guild_id=thread.guild_id, intents=GUILDS
            )

    def thread_members_update(
        self, thread: Channel, added: Sequence[int] = (), removed: Sequence[int] = ()
    ) -> None:
        """THREAD_MEMBERS_UPDATE; without GUILD_MEMBERS only when the bot itself was added/removed."""
        bot = self.world.bot_user_id
        guild = self.world.guilds[thread.guild_id] if thread.guild_id is not None else None
        added_payloads = []
        for uid in added:
            item = thread_member_payload(thread, uid)
            if guild is not None and uid in guild.members:
                item["member"] = member_payload(self.world, guild.members[uid])
                item["presence"] = None
            added_payloads.append(item)
        data: dict[str, Any] = {
            "id": str(thread.id),
            "guild_id": str(thread.guild_id),
            "member_count": len(thread.thread_members),
        }
        if added_payloads:
            data["added_members"] = added_payloads
        if removed:
            data["removed_member_ids"] = [str(u) for u in removed]
        involves_bot = bot in added or bot in removed

        def gate(session: GatewaySession, payload: dict[str, Any]) -> dict[str, Any] | None:
            return payload if session.intents & GUILD_MEMBERS or involves_bot else None

        self.hub.dispatch(
            "THREAD_MEMBERS_UPDATE", data, guild_id=thread.guild_id, intents=GUILDS, transform=gate
        )
        if bot in added:
            own = {**thread_member_payload(thread, bot), "guild_id": str(thread.guild_id)}
            self.hub.dispatch("THREAD_MEMBER_UPDATE", own, guild_id=thread.guild_id, intents=GUILDS)

    # --------------------------------------------------------------- members
    def member_add(self, member: Member) -> None:
        data = {**member_payload(self.world, member), "guild_id": str(member.guild_id)}
        self.hub.dispatch("GUILD_MEMBER_ADD", data, guild_id=member.guild_id, intents=GUILD_MEMBERS)

    def member_update(self, member: Member) -> None:
        data = {**member_payload(self.world, member), "guild_id": str(member.guild_id)}
        self.hub.dispatch("GUILD_MEMBER_UPDATE", data, guild_id=member.guild_id, intents=GUILD_MEMBERS)

    def guild_update(self, guild_id: int) -> None:
        data = guild_payload(self.world, self.world.guild(guild_id))
        self.hub.dispatch("GUILD_UPDATE", data, guild_id=guild_id, intents=GUILDS)

    def member_remove(self, guild_id: int, user_id: int) -> None:
        data = {"guild_id": str(guild_id), "user": user_payload(self.world.users[user_id])}
        self.hub.dispatch("GUILD_MEMBER_REMOVE", data, guild_id=guild_id, intents=GUILD_MEMBERS)

    # ----------------------------------------------------------------- roles
    def role_create(self, role: Role) -> None:
        data = {"guild_id": str(role.guild_id), "role": role_payload(role)}
        self.hub.dispatch("GUILD_ROLE_CREATE", data, guild_id=role.guild_id, intents=GUILDS)

    def role_update(self, role: Role) -> None:
        data = {"guild_id": str(role.guild_id), "role": role_payload(role)}
        self.hub.dispatch("GUILD_ROLE_UPDATE", data, guild_id=role.guild_id, intents=GUILDS)

    def role_delete(self, role: Role) -> None:
        data = {"guild_id": str(role.guild_id), "role_id": str(role.id)}
        self.hub.dispatch("GUILD_ROLE_DELETE", data, guild_id=role.guild_id, intents=GUILDS)

    # ---------------------------------------------------------- interactions
    def interaction_create(self, payload: dict[str, Any], guild_id: int | None) -> int:
        return self.hub.dispatch("INTERACTION_CREATE", payload, guild_id=guild_id)
