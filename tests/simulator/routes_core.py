"""REST routes for users, the application, commands, the gateway, guilds and members."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from .payloads import channel_payload, guild_payload, member_payload, role_payload, user_payload
from .permissions import (
    ADMINISTRATOR,
    KICK_MEMBERS,
    MANAGE_CHANNELS,
    MANAGE_NICKNAMES,
    MANAGE_ROLES,
    MODERATE_MEMBERS,
    base_permissions,
)
from .routes_moderation import MEMBER_UPDATE, audit_reason, record_entry
from .routing import (
    ApiError,
    ApiRequest,
    ApiResponse,
    invalid_body,
    missing_access,
    missing_permissions,
    unknown_error,
)
from .state import Command, Guild, Member, Overwrite

#: Channel types ``POST /guilds/{id}/channels`` can make here: text, category, announcement.
CREATABLE_CHANNEL_TYPES = (0, 4, 5)

if TYPE_CHECKING:
    from .server import DiscordSimulator


def command_payload(cmd: Command) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": 1,
        "description": "",
        "options": [],
        "default_member_permissions": None,
        "dm_permission": True,
        "nsfw": False,
        "name_localizations": None,
        "description_localizations": None,
        "contexts": None,
        "integration_types": [0],
    }
    data.update(cmd.payload)
    data.update(id=str(cmd.id), application_id=str(cmd.application_id), version=str(cmd.id))
    if cmd.guild_id is not None:
        data["guild_id"] = str(cmd.guild_id)
    return data


def register(sim: DiscordSimulator) -> None:
    world = sim.world
    add = sim.rest.router.add

    def application() -> dict[str, Any]:
        owner = world.users[world.owner_user_id]
        return {
            "id": str(world.application_id),
            "name": world.users[world.bot_user_id].username,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "bot": user_payload(world.users[world.bot_user_id]),
            "owner": user_payload(owner),
            "team": None,
            "verify_key": "0" * 64,
            "flags": 0,
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "approximate_guild_count": len(world.guilds),
            "approximate_user_install_count": 0,
            "integration_types_config": {"0": {}},
        }

    def check_app(req: ApiRequest) -> None:
        if req.params.get("application_id") != str(world.application_id):
            raise ApiError(404, 10002, "Unknown Application")

    def bot_guild(req: ApiRequest) -> Guild:
        guild = world.guilds.get(req.snowflake("guild_id", "guild"))
        if guild is None:
            raise unknown_error("guild")
        if world.bot_user_id not in guild.members:
            raise missing_access()
        return guild

    # ---------------------------------------------------------------- users
    async def get_me(req: ApiRequest) -> Any:
        data = user_payload(world.users[world.bot_user_id])
        data.update(verified=True, mfa_enabled=True, locale="en-US", email=None)
        return data

    async def get_user(req: ApiRequest) -> Any:
        return user_payload(world.user(req.snowflake("user_id", "user")))

    async def create_dm(req: ApiRequest) -> Any:
        recipient = req.body().get("recipient_id")
        if recipient is None or not str(recipient).isdigit() or int(recipient) not in world.users:
            raise unknown_error("user")
        return channel_payload(world, world.dm_channel(int(recipient)))

    async def get_application(req: ApiRequest) -> Any:
        return application()

    async def get_gateway(req: ApiRequest) -> Any:
        return {"url": sim.gateway_url}

    async def get_gateway_bot(req: ApiRequest) -> Any:
        return {
            "url": sim.gateway_url,
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 14400000,
                "max_concurrency": 1,
            },
        }

    add("GET", "/users/@me", get_me)
    add("GET", "/users/{user_id}", get_user)
    add("POST", "/users/@me/channels", create_dm)
    add("GET", "/oauth2/applications/@me", get_application)
    add("GET", "/applications/@me", get_application)
    add("GET", "/gateway", get_gateway, auth=False)
    add("GET", "/gateway/bot", get_gateway_bot)

    # ------------------------------------------------------------- commands
    def scope(req: ApiRequest) -> int | None:
        check_app(req)
        if "guild_id" in req.params:
            return bot_guild(req).id
        return None

    async def list_commands(req: ApiRequest) -> Any:
        return [command_payload(c) for c in world.commands_for(scope(req))]

    async def bulk_overwrite(req: ApiRequest) -> Any:
        guild_id = scope(req)
        if not isinstance(req.json, list):
            raise ApiError(400, 50035, "Invalid Form Body")
        return [command_payload(c) for c in world.overwrite_commands(guild_id, req.json)]

    async def upsert_command(req: ApiRequest) -> Any:
        guild_id = scope(req)
        body = req.body()
        others = [
            c.payload
            for c in world.commands_for(guild_id)
            if (c.name, c.type) != (body.get("name"), body.get("type", 1))
        ]
        created = world.overwrite_commands(guild_id, [*others, body])
        return ApiResponse(201, command_payload(created[-1]))

    def find_command(req: ApiRequest) -> Command:
        guild_id = scope(req)
        cid = req.snowflake("command_id", "command")
        for cmd in world.commands_for(guild_id):
            if cmd.id == cid:
                return cmd
        raise unknown_error("command")

    async def get_command(req: ApiRequest) -> Any:
        return command_payload(find_command(req))

    async def delete_command(req: ApiRequest) -> Any:
        cmd = find_command(req)
        remaining = [c.payload for c in world.commands_for(cmd.guild_id) if c.id != cmd.id]
        world.overwrite_commands(cmd.guild_id, remaining)
        return None

    for prefix in ("/applications/{application_id}", "/applications/{application_id}/guilds/{guild_id}"):
        add("GET", prefix + "/commands", list_commands)
        add("PUT", prefix + "/commands", bulk_overwrite)
        add("POST", prefix + "/commands", upsert_command)
        add("GET", prefix + "/commands/{command_id}", get_command)
        add("DELETE", prefix + "/commands/{command_id}", delete_command)

    # --------------------------------------------------------------- guilds
    async def get_guild(req: ApiRequest) -> Any:
        guild = bot_guild(req)
        data = guild_payload(world, guild)
        if req.flag("with_counts"):
            data.update(approximate_member_count=len(guild.members), approximate_presence_count=0)
        return data

    async def get_channels(req: ApiRequest) -> Any:
        guild = bot_guild(req)
        return [
            channel_payload(world, world.channels[c])
            for c in guild.channel_ids
            if not world.channels[c].is_thread
        ]

    def new_overwrites(guild: Guild, raw: Any) -> list[Overwrite]:
        """Discord's rules for overwrites on a new channel: known targets, and only permissions
        the bot holds itself in the server (MANAGE_ROLES only for an administrator)."""
        held = base_permissions(world, guild.id, world.bot_user_id)
        if not held & ADMINISTRATOR:
            held &= ~MANAGE_ROLES
        overwrites = []
        for entry in raw or []:
            kind, target = int(entry.get("type") or 0), int(entry["id"])
            if (kind == 0 and target not in guild.roles) or (kind == 1 and target not in guild.members):
                raise invalid_body("permission_overwrites", f"Unknown {'role' if kind == 0 else 'member'}")
            allow, deny = int(entry.get("allow") or 0), int(entry.get("deny") or 0)
            if (allow | deny) & ~held:
                raise missing_permissions()
            overwrites.append(Overwrite(target, kind, allow, deny))
        return overwrites

    async def create_channel(req: ApiRequest) -> Any:
        guild = bot_guild(req)
        if not base_permissions(world, guild.id, world.bot_user_id) & MANAGE_CHANNELS:
            raise missing_permissions()
        body = req.body()
        kind = int(body.get("type") or 0)
        if kind not in CREATABLE_CHANNEL_TYPES:
            raise invalid_body("type", "Value must be one of the channel types the simulator makes")
        parent_id = int(body["parent_id"]) if body.get("parent_id") else None
        if parent_id is not None:
            parent = world.channels.get(parent_id)
            if parent is None or parent.guild_id != guild.id or parent.type != 4:
                raise invalid_body("parent_id", "Not a category of this server")
        overwrites = body.get("permission_overwrites")
        channel = world.add_channel(
            guild.id,
            name=str(body["name"]),
            type=kind,
            overwrites=None if overwrites is None else new_overwrites(guild, overwrites),
            parent_id=parent_id,
            topic=body.get("topic"),
        )
        sim.events.channel_create(channel)
        return ApiResponse(201, channel_payload(world, channel))

    async def get_roles(req: ApiRequest) -> Any:
        guild = bot_guild(req)
        return [role_payload(r) for r in sorted(guild.roles.values(), key=lambda r: r.position)]

    async def get_active_threads(req: ApiRequest) -> Any:
        guild = bot_guild(req)
        threads = [world.channels[c] for c in guild.channel_ids if world.channels[c].is_thread]
        active = [t for t in threads if not t.archived]
        members = [
            {**payload_member, "id": str(t.id)}
            for t in active
            if world.bot_user_id in t.thread_members
            for payload_member in [channel_payload(world, t)["member"]]
        ]
        return {"threads": [channel_payload(world, t) for t in active], "members": members}

    async def get_member(req: ApiRequest) -> Any:
        guild = bot_guild(req)
        return member_payload(world, world.member(guild.id, req.snowflake("user_id", "member")))

    async def list_members(req: ApiRequest) -> Any:
        guild = bot_guild(req)
        limit = min(int(req.query.get("limit", 1)), 1000)
        after = int(req.query.get("after", 0))
        members = sorted((m for m in guild.members.values() if m.user_id > after), key=lambda m: m.user_id)
        return [member_payload(world, m) for m in members[:limit]]

    def top_position(guild: Guild, user_id: int) -> int:
        member = guild.members.get(user_id)
        if member is None:
            return 0
        return max((guild.roles[r].position for r in member.roles if r in guild.roles), default=0)

    def can_act_on(guild: Guild, target: Member, bit: int) -> None:
        perms = base_permissions(world, guild.id, world.bot_user_id)
        if not perms & bit:
            raise missing_permissions()
        if target.user_id == guild.owner_id:
            raise missing_permissions()
        if top_position(guild, world.bot_user_id) <= top_position(guild, target.user_id):
            raise missing_permissions()
        if bit == MODERATE_MEMBERS and base_permissions(world, guild.id, target.user_id) & ADMINISTRATOR:
            raise missing_permissions()

    async def edit_member(req: ApiRequest) -> Any:
        guild = bot_guild(req)
        member = world.member(guild.id, req.snowflake("user_id", "member"))
        body = req.body()
        if "communication_disabled_until" in body:
            can_act_on(guild, member, MODERATE_MEMBERS)
            until = body["communication_disabled_until"]
            if until is not None:
                moment = dt.datetime.fromisoformat(str(until).replace("Z", "+00:00"))
                if moment - world.clock() > dt.timedelta(days=28, minutes=1):
                    raise ApiError(400, 50035, "Invalid Form Body")
            before = member.communication_disabled_until
            member.communication_disabled_until = until
            record_entry(
                world,
                guild,
                action_type=MEMBER_UPDATE,
                user_id=world.bot_user_id,
                target_id=member.user_id,
                reason=audit_reason(req),
                changes=[{"key": "communication_disabled_until", "old_value": before, "new_value": until}],
            )
        if "nick" in body:
            can_act_on(guild, member, MANAGE_NICKNAMES)
            member.nick = body["nick"]
        if "roles" in body:
            can_act_on(guild, member, MANAGE_ROLES)
            member.roles = [int(r) for r in body["roles"] or []]
        sim.events.member_update(member)
        return member_payload(world, member)

    async def add_role(req: ApiRequest) -> Any:
        guild = bot_guild(req)
        member = world.member(guild.id, req.snowflake("user_id", "member"))
        role_id = req.snowflake("role_id", "role")
        if role_id not in guild.roles:
            raise unknown_error("role")
        can_act_on(guild, member, MANAGE_ROLES)
        if guild.roles[role_id].position >= top_position(guild, world.bot_user_id):
            raise missing_permissions()
        if req.method == "PUT" and role_id not in member.roles:
            member.roles.append(role_id)
        elif req.method == "DELETE" and role_id in member.roles:
            member.roles.remove(role_id)
        sim.events.member_update(member)
        return None

    async def kick_member(req: ApiRequest) -> Any:
        guild = bot_guild(req)
        member = world.member(guild.id, req.snowflake("user_id", "member"))
        can_act_on(guild, member, KICK_MEMBERS)
        world.remove_member(guild.id, member.user_id)
        sim.events.member_remove(guild.id, member.user_id)
        return None

    add("GET", "/guilds/{guild_id}", get_guild)
    add("GET", "/guilds/{guild_id}/channels", get_channels)
    add("POST", "/guilds/{guild_id}/channels", create_channel)
    add("GET", "/guilds/{guild_id}/roles", get_roles)
    add("GET", "/guilds/{guild_id}/threads/active", get_active_threads)
    add("GET", "/guilds/{guild_id}/members", list_members)
    add("GET", "/guilds/{guild_id}/members/{user_id}", get_member)
    add("PATCH", "/guilds/{guild_id}/members/{user_id}", edit_member)
    add("DELETE", "/guilds/{guild_id}/members/{user_id}", kick_member)
    add("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", add_role)
    add("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", add_role)
