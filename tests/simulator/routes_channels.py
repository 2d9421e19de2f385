"""REST routes for channels, messages, threads, thread members, reactions and typing.

Permission checks use the bot's computed channel permissions (:mod:`.permissions`):
no VIEW_CHANNEL -> 403 50001 Missing Access, any other missing bit -> 403 50013.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from .ids import utcnow
from .payloads import channel_payload, member_payload, thread_member_payload
from .permissions import (
    ATTACH_FILES,
    CREATE_PRIVATE_THREADS,
    CREATE_PUBLIC_THREADS,
    MANAGE_CHANNELS,
    MANAGE_MESSAGES,
    MANAGE_ROLES,
    MANAGE_THREADS,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    VIEW_CHANNEL,
    channel_permissions,
)
from .routing import ApiError, ApiRequest, missing_access, missing_permissions, unknown_error
from .state import Channel, Overwrite, StoredMessage

if TYPE_CHECKING:
    from .server import DiscordSimulator

THREAD_ARCHIVED = ApiError(400, 50083, "Thread is archived")


NONCE_WINDOW_SECONDS = 300.0


def register(sim: DiscordSimulator) -> None:
    world = sim.world
    add = sim.rest.router.add
    bot = world.bot_user_id

    def channel_of(req: ApiRequest) -> Channel:
        cid = req.snowflake("channel_id", "channel")
        channel = world.channels.get(cid)
        if channel is None:
            raise unknown_error("channel")
        if channel.guild_id is None and channel.type != 1:
            raise unknown_error("channel")
        return channel

    def perms(channel: Channel) -> int:
        return channel_permissions(world, channel.id, bot)

    def need(channel: Channel, *bits: int) -> int:
        have = perms(channel)
        if channel.guild_id is None:
            return have
        if not have & VIEW_CHANNEL:
            raise missing_access()
        if channel.type == 12 and bot not in channel.thread_members and not have & MANAGE_THREADS:
            raise missing_access()
        for bit in bits:
            if not have & bit:
                raise missing_permissions()
        return have

    def message_of(req: ApiRequest, channel: Channel) -> StoredMessage:
        try:
            return world.message(req.snowflake("message_id", "message"), channel.id)
        except LookupError:
            raise unknown_error("message") from None

    # ------------------------------------------------------------- channels
    async def get_channel(req: ApiRequest) -> Any:
        channel = channel_of(req)
        need(channel)
        return channel_payload(world, channel)

    async def edit_channel(req: ApiRequest) -> Any:
        channel = channel_of(req)
        body = req.body()
        if channel.is_thread:
            have = need(channel)
            manager = bool(have & MANAGE_THREADS)
            if not manager and (channel.owner_id != bot or {"locked", "invitable"} & body.keys()):
                raise missing_permissions()
            if channel.locked and not manager:
                raise missing_permissions()
            if channel.archived and body.get("archived", True) and body.keys() - {"archived", "locked"}:
                raise THREAD_ARCHIVED
            for key in ("name", "auto_archive_duration", "rate_limit_per_user"):
                if key in body:
                    setattr(channel, key, body[key])
            if "invitable" in body and channel.type == 12:
                channel.invitable = bool(body["invitable"])
            if "locked" in body:
                channel.locked = bool(body["locked"])
            if "archived" in body and bool(body["archived"]) != channel.archived:
                channel.archived = bool(body["archived"])
                channel.archive_timestamp = utcnow()
            sim.events.thread_update(channel)
            return channel_payload(world, channel)
        if channel.guild_id is None:
            raise ApiError(403, 50003, "Cannot execute action on a DM channel")
        need(channel, MANAGE_CHANNELS)
        for key in ("name", "topic", "nsfw", "position", "rate_limit_per_user"):
            if key in body:
                setattr(channel, key, body[key])
        if "parent_id" in body:
            channel.parent_id = int(body["parent_id"]) if body["parent_id"] else None
        if "permission_overwrites" in body:
            need(channel, MANAGE_ROLES)
            channel.overwrites = [
                Overwrite(int(o["id"]), int(o["type"]), int(o.get("allow") or 0), int(o.get("deny") or 0))
                for o in body["permission_overwrites"] or []
            ]
        sim.events.channel_update(channel)
        return channel_payload(world, channel)

    async def delete_channel(req: ApiRequest) -> Any:
        channel = channel_of(req)
        if channel.type == 1:
            return channel_payload(world, channel)
        need(channel, MANAGE_THREADS if channel.is_thread else MANAGE_CHANNELS)
        data = channel_payload(world, channel)
        world.delete_channel(channel.id)
        sim.events.channel_delete(channel)
        return data

    async def put_overwrite(req: ApiRequest) -> Any:
        channel = channel_of(req)
        need(channel, MANAGE_ROLES)
        target = req.snowflake("overwrite_id", "channel")
        body = req.body()
        channel.overwrites = [o for o in channel.overwrites if o.id != target]
        if req.method == "PUT":
            channel.overwrites.append(
                Overwrite(
                    target, int(body.get("type", 0)), int(body.get("allow") or 0), int(body.get("deny") or 0)
                )
            )
        sim.events.channel_update(channel)
        return None

    add("GET", "/channels/{channel_id}", get_channel)
    add("PATCH", "/channels/{channel_id}", edit_channel)
    add("DELETE", "/channels/{channel_id}", delete_channel)
    add("PUT", "/channels/{channel_id}/permissions/{overwrite_id}", put_overwrite)
    add("DELETE", "/channels/{channel_id}/permissions/{overwrite_id}", put_overwrite)

    # ------------------------------------------------------------- messages
    async def list_messages(req: ApiRequest) -> Any:
        channel = channel_of(req)
        need(channel, READ_MESSAGE_HISTORY)
        history = world.channel_history(channel.id)
        limit = max(1, min(int(req.query.get("limit", 50)), 100))
        if "before" in req.query:
            history = [m for m in history if m.id < int(req.query["before"])][-limit:]
        elif "after" in req.query:
            history = [m for m in history if m.id > int(req.query["after"])][:limit]
        elif "around" in req.query:
            pivot = int(req.query["around"])
            older = [m for m in history if m.id <= pivot][-(limit // 2 + 1) :]
            newer = [m for m in history if m.id > pivot][: limit - len(older)]
            history = older + newer
        else:
            history = history[-limit:]
        return [dict(m.payload) for m in reversed(history)]

    def check_send(channel: Channel, body: dict[str, Any], has_files: bool) -> None:
        if channel.type == 1:
            recipient = world.users[channel.recipient_id or 0]
            if recipient.dms_closed or recipient.bot:
                raise ApiError(403, 50007, "Cannot send messages to this user")
            return
        if channel.type == 4:
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
        need(channel, SEND_MESSAGES_IN_THREADS if channel.is_thread else SEND_MESSAGES)
        if has_files:
            need(channel, ATTACH_FILES)
        if channel.is_thread and channel.archived:
            if channel.locked and not perms(channel) & MANAGE_THREADS:
                raise THREAD_ARCHIVED
            channel.archived = False
            channel.archive_timestamp = utcnow()
            sim.events.thread_update(channel)

    recent_nonces: dict[tuple[int, str], tuple[int, float]] = {}

    async def create_message(req: ApiRequest) -> Any:
        channel = channel_of(req)
        body = req.body()
        if not (
            body.get("content")
            or body.get("embeds")
            or req.files
            or body.get("components")
            or body.get("sticker_ids")
            or body.get("poll")
        ):
            raise ApiError(400, 50006, "Cannot send an empty message")
        check_send(channel, body, bool(req.files))
        # enforce_nonce: Discord returns the earlier message for a repeated nonce from the same
        # author (within a few minutes) instead of creating another.
        nonce_key = (
            (channel.id, str(body.get("nonce"))) if body.get("enforce_nonce") and body.get("nonce") else None
        )
        if nonce_key is not None:
            earlier = recent_nonces.get(nonce_key)
            if earlier is not None and time.monotonic() - earlier[1] < NONCE_WINDOW_SECONDS:
                stored = world.messages.get(earlier[0])
                if stored is not None and not stored.deleted:
                    return dict(stored.payload)
        msg = sim.messages.build(channel, bot, body, req.files)
        msg.ephemeral = False  # EPHEMERAL only means something on interaction responses
        msg.payload["flags"] &= ~(1 << 6)
        world.store_message(msg)
        if nonce_key is not None:
            recent_nonces[nonce_key] = (msg.id, time.monotonic())
        sim.events.message_create(msg)
        return dict(msg.payload)

    async def get_message(req: ApiRequest) -> Any:
        channel = channel_of(req)
        need(channel, READ_MESSAGE_HISTORY)
        return dict(message_of(req, channel).payload)

    async def edit_message(req: ApiRequest) -> Any:
        channel = channel_of(req)
        need(channel)
        msg = message_of(req, channel)
        if msg.payload["author"]["id"] != str(bot):
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        sim.messages.apply_edit(msg, req.body(), req.files)
        sim.events.message_update(msg)
        return dict(msg.payload)

    async def delete_message(req: ApiRequest) -> Any:
        channel = channel_of(req)
        msg = message_of(req, channel)
        if msg.payload["author"]["id"] != str(bot):
            if channel.type == 1:
                raise ApiError(403, 50003, "Cannot execute action on a DM channel")
            need(channel, MANAGE_MESSAGES)
        msg.deleted = True
        sim.events.message_delete(msg)
        return None

    async def typing(req: ApiRequest) -> Any:
        channel = channel_of(req)
        if channel.guild_id is not None:
            need(channel, SEND_MESSAGES_IN_THREADS if channel.is_thread else SEND_MESSAGES)
        return None

    async def react(req: ApiRequest) -> Any:
        channel = channel_of(req)
        need(channel, READ_MESSAGE_HISTORY)
        msg = message_of(req, channel)
        name = unquote(req.params["emoji"])
        reactions = msg.payload.setdefault("reactions", [])
        found = next((r for r in reactions if r["emoji"]["name"] == name.split(":")[0]), None)
        if req.method == "PUT" and (found is None or not found["me"]):
            if found is None:
                found = {
                    "emoji": {"id": None, "name": name.split(":")[0]},
                    "count": 0,
                    "me": False,
                    "count_details": {"burst": 0, "normal": 0},
                    "burst_colors": [],
                    "me_burst": False,
                    "burst_me": False,
                    "burst_count": 0,
                }
                reactions.append(found)
            found["count"] += 1
            found["me"] = True
        elif req.method == "DELETE" and found is not None and found["me"]:
            found["count"] -= 1
            found["me"] = False
            if found["count"] == 0:
                reactions.remove(found)
        return None

    add("GET", "/channels/{channel_id}/messages", list_messages)
    add("POST", "/channels/{channel_id}/messages", create_message)
    add("GET", "/channels/{channel_id}/messages/{message_id}", get_message)
    add("PATCH", "/channels/{channel_id}/messages/{message_id}", edit_message)
    add("DELETE", "/channels/{channel_id}/messages/{message_id}", delete_message)
    add("POST", "/channels/{channel_id}/typing", typing)
    add("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", react)
    add("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", react)

    # -------------------------------------------------------------- threads
    async def create_thread(req: ApiRequest) -> Any:
        parent = channel_of(req)
        body = req.body()
        if parent.type not in (0, 5):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        kind = int(body.get("type") or 12)
        if parent.type == 5 and kind == 12:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        need(parent, CREATE_PRIVATE_THREADS if kind == 12 else CREATE_PUBLIC_THREADS)
        if parent.type == 5:
            kind = 10
        thread = world.add_thread(
            parent.id,
            name=str(body.get("name", "")),
            type=kind,
            owner_id=bot,
            invitable=bool(body.get("invitable", True)),
            auto_archive_duration=int(body.get("auto_archive_duration") or 4320),
        )
        thread.rate_limit_per_user = int(body.get("rate_limit_per_user") or 0)
        sim.events.thread_create(thread)
        return channel_payload(world, thread)

    async def thread_from_message(req: ApiRequest) -> Any:
        parent = channel_of(req)
        msg = message_of(req, parent)
        need(parent, CREATE_PUBLIC_THREADS, READ_MESSAGE_HISTORY)
        if msg.id in world.channels or msg.id in world.deleted_channels:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        body = req.body()
        thread = world.add_thread(
            parent.id,
            name=str(body.get("name", "")),
            type=10 if parent.type == 5 else 11,
            owner_id=bot,
            auto_archive_duration=int(body.get("auto_archive_duration") or 4320),
            thread_id=msg.id,
        )
        msg.payload["thread"] = channel_payload(world, thread)
        msg.payload["flags"] = msg.payload.get("flags", 0) | (1 << 5)  # HAS_THREAD
        sim.events.thread_create(thread)
        sim.events.message_update(msg)
        return channel_payload(world, thread)

    add("POST", "/channels/{channel_id}/threads", create_thread)
    add("POST", "/channels/{channel_id}/messages/{message_id}/threads", thread_from_message)

    # --------------------------------------------------------- thread members
    def thread_of(req: ApiRequest) -> Channel:
        channel = channel_of(req)
        if not channel.is_thread:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        return channel

    def target_user(req: ApiRequest) -> int:
        raw = req.params.get("user_id")
        return bot if raw is None else req.snowflake("user_id", "member")

    def thread_member(thread: Channel, uid: int, with_member: bool) -> dict[str, Any]:
        data = thread_member_payload(thread, uid)
        guild = world.guilds[thread.guild_id or 0]
        if with_member and uid in guild.members:
            data["member"] = member_payload(world, guild.members[uid])
        return data

    async def add_thread_member(req: ApiRequest) -> Any:
        thread = thread_of(req)
        uid = target_user(req)
        have = need(thread)
        guild = world.guilds[thread.guild_id or 0]
        if uid not in guild.members:
            raise unknown_error("member")
        if thread.archived:
            raise THREAD_ARCHIVED
        if uid != bot:
            if not have & SEND_MESSAGES_IN_THREADS:
                raise missing_permissions()
            if thread.type == 12 and not (
                have & MANAGE_THREADS
                or thread.owner_id == bot
                or (thread.invitable and bot in thread.thread_members)
            ):
                raise missing_permissions()
        if uid not in thread.thread_members:
            thread.thread_members[uid] = utcnow()
            sim.events.thread_members_update(thread, added=[uid])
        return None

    async def remove_thread_member(req: ApiRequest) -> Any:
        thread = thread_of(req)
        uid = target_user(req)
        have = need(thread)
        if uid != bot and not (have & MANAGE_THREADS or (thread.type == 12 and thread.owner_id == bot)):
            raise missing_permissions()
        if thread.archived:
            raise THREAD_ARCHIVED
        if uid in thread.thread_members:
            del thread.thread_members[uid]
            sim.events.thread_members_update(thread, removed=[uid])
        return None

    async def get_thread_member(req: ApiRequest) -> Any:
        thread = thread_of(req)
        need(thread)
        uid = target_user(req)
        if uid not in thread.thread_members:
            raise ApiError(404, 10007, "Unknown Member")
        return thread_member(thread, uid, req.flag("with_member"))

    async def list_thread_members(req: ApiRequest) -> Any:
        thread = thread_of(req)
        need(thread)
        return [thread_member(thread, uid, req.flag("with_member")) for uid in thread.thread_members]

    for target in ("@me", "{user_id}"):
        add("PUT", "/channels/{channel_id}/thread-members/" + target, add_thread_member)
        add("DELETE", "/channels/{channel_id}/thread-members/" + target, remove_thread_member)
    add("GET", "/channels/{channel_id}/thread-members/{user_id}", get_thread_member)
    add("GET", "/channels/{channel_id}/thread-members", list_thread_members)
