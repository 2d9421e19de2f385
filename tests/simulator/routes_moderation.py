"""REST routes for moderation: the audit log and bans (members' timeouts are in routes_core).

Audit-log entries are recorded for what the simulator's people do (``timeout_member``,
``ban_member``) and for the bot's own member edits and unbans, with the
``X-Audit-Log-Reason`` header as the reason.
"""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Any

from .payloads import user_payload
from .permissions import BAN_MEMBERS, VIEW_AUDIT_LOG, base_permissions
from .routing import ApiError, ApiRequest, ApiResponse, missing_access, missing_permissions, unknown_error
from .state import Guild

if TYPE_CHECKING:
    from .server import DiscordSimulator
    from .state import World

MEMBER_BAN_ADD, MEMBER_BAN_REMOVE, MEMBER_UPDATE = 22, 23, 24


def record_entry(
    world: World,
    guild: Guild,
    *,
    action_type: int,
    user_id: int,
    target_id: int,
    reason: str | None = None,
    changes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Add an audit-log entry as Discord would (``user_id``: who acted)."""
    entry = {
        "id": str(world.ids.next()),
        "user_id": str(user_id),
        "target_id": str(target_id),
        "action_type": action_type,
        "changes": changes or [],
        "reason": reason,
    }
    guild.audit_log.append(entry)
    return entry


def audit_reason(req: ApiRequest) -> str | None:
    for key, value in req.headers.items():
        if key.lower() == "x-audit-log-reason":
            return urllib.parse.unquote(value)
    return None


def register(sim: DiscordSimulator) -> None:
    world = sim.world
    add = sim.rest.router.add

    def bot_guild(req: ApiRequest) -> Guild:
        guild = world.guilds.get(req.snowflake("guild_id", "guild"))
        if guild is None:
            raise unknown_error("guild")
        if world.bot_user_id not in guild.members:
            raise missing_access()
        return guild

    def require(guild: Guild, bit: int) -> None:
        if not base_permissions(world, guild.id, world.bot_user_id) & bit:
            raise missing_permissions()

    async def get_audit_log(req: ApiRequest) -> Any:
        guild = bot_guild(req)
        require(guild, VIEW_AUDIT_LOG)
        entries = list(reversed(guild.audit_log))  # newest first, as Discord answers
        if "action_type" in req.query:
            entries = [e for e in entries if str(e["action_type"]) == req.query["action_type"]]
        if "user_id" in req.query:
            entries = [e for e in entries if e["user_id"] == req.query["user_id"]]
        if "before" in req.query:
            entries = [e for e in entries if int(e["id"]) < int(req.query["before"])]
        if "after" in req.query:
            entries = [e for e in entries if int(e["id"]) > int(req.query["after"])]
        entries = entries[: min(int(req.query.get("limit", 50)), 100)]
        user_ids = {int(e["user_id"]) for e in entries} | {int(e["target_id"]) for e in entries}
        return {
            "audit_log_entries": entries,
            "users": [user_payload(world.users[u]) for u in sorted(user_ids) if u in world.users],
            "webhooks": [],
            "integrations": [],
            "threads": [],
            "application_commands": [],
            "auto_moderation_rules": [],
            "guild_scheduled_events": [],
        }

    def ban_of(req: ApiRequest, guild: Guild) -> int:
        user_id = req.snowflake("user_id", "user")
        if user_id not in guild.bans:
            raise ApiError(404, 10026, "Unknown Ban")
        return user_id

    async def get_ban(req: ApiRequest) -> Any:
        guild = bot_guild(req)
        require(guild, BAN_MEMBERS)
        user_id = ban_of(req, guild)
        return {"reason": guild.bans[user_id], "user": user_payload(world.users[user_id])}

    async def remove_ban(req: ApiRequest) -> Any:
        guild = bot_guild(req)
        require(guild, BAN_MEMBERS)
        user_id = ban_of(req, guild)
        del guild.bans[user_id]
        record_entry(
            world,
            guild,
            action_type=MEMBER_BAN_REMOVE,
            user_id=world.bot_user_id,
            target_id=user_id,
            reason=audit_reason(req),
        )
        sim.events.hub.dispatch(
            "GUILD_BAN_REMOVE",
            {"guild_id": str(guild.id), "user": user_payload(world.users[user_id])},
            guild_id=guild.id,
            intents=1 << 2,  # GUILD_MODERATION
        )
        return ApiResponse(204, None)

    add("GET", "/guilds/{guild_id}/audit-logs", get_audit_log)
    add("GET", "/guilds/{guild_id}/bans/{user_id}", get_ban)
    add("DELETE", "/guilds/{guild_id}/bans/{user_id}", remove_ban)
