"""Acting as a person: build INTERACTION_CREATE payloads the way the Discord client would.

The helpers refuse what a real client could not do, so tests notice their own mistakes:
invoking a command that was never synced (to the guild or globally), an option the
command doesn't have, a missing required option, a choice not offered, a button that
doesn't exist or is disabled, a member without the command's default permissions, or a
user who cannot see the channel.

The ``forge_*`` helpers play an attacker with a modified client instead: any ``custom_id``,
on a message that never carried it, or a modal submit nobody was shown. They still keep to
what Discord itself enforces (a known user, a member of the guild who can see the channel,
a custom_id of 1 to 100 characters).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    InteractionHandle,
)
from .messages import EPHEMERAL
from .payloads import interaction_channel_payload, member_payload, role_payload, user_payload
from .permissions import ADMINISTRATOR, VIEW_CHANNEL, base_permissions, channel_permissions
from .routing import UploadedFile
from .state import Command, StoredFile, StoredMessage

if TYPE_CHECKING:
    from .server import DiscordSimulator


class CommandNotSynced(AssertionError):
    """The bot never synced this command to the guild or globally."""


SNOWFLAKE_OPTION_TYPES = {6, 7, 8, 9, 11}


def iter_components(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Walk message/modal components depth-first (rows, containers, sections, labels)."""
    for comp in components or []:
        yield comp
        yield from iter_components(comp.get("components") or [])
        for key in ("accessory", "component"):
            if isinstance(comp.get(key), dict):
                yield from iter_components([comp[key]])


class Actions:
    def __init__(self, sim: DiscordSimulator) -> None:
        self.sim = sim
        self.world = sim.world

    # ------------------------------------------------------------- context
    def _context(self, guild_id: int | None, channel_id: int | None, user_id: int) -> tuple[int | None, int]:
        """Validate who acts where; a DM context uses the user's DM channel with the bot."""
        world = self.world
        world.user(user_id)
        if guild_id is None:
            channel = world.channel(channel_id) if channel_id is not None else world.dm_channel(user_id)
            if channel.type != 1 or channel.recipient_id != user_id:
                raise ValueError(f"channel {channel.id} is not the DM between the bot and user {user_id}")
            return None, channel.id
        if channel_id is None:
            raise ValueError("a guild interaction needs a channel_id")
        channel = world.channel(channel_id)
        if channel.guild_id != guild_id:
            raise ValueError(f"channel {channel_id} is not in guild {guild_id}")
        if user_id not in world.guild(guild_id).members:
            raise ValueError(f"user {user_id} is not a member of guild {guild_id}")
        if not channel_permissions(world, channel_id, user_id) & VIEW_CHANNEL:
            raise PermissionError(f"user {user_id} cannot see channel {channel_id}")
        if channel.type == 12 and user_id not in channel.thread_members:
            raise PermissionError(f"user {user_id} is not in private thread {channel_id}")
        return guild_id, channel_id

    def _dispatch(
        self,
        type: int,
        guild_id: int | None,
        channel_id: int,
        user_id: int,
        data: dict[str, Any],
        *,
        message: dict[str, Any] | None = None,
        source_message_id: int | None = None,
    ) -> InteractionHandle:
        sim, world = self.sim, self.world
        interaction_id = world.ids.next()
        token = f"aW50ZXJhY3Rpb246{interaction_id}:{secrets.token_urlsafe(48)}"
        channel = world.channel(channel_id)
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(world.application_id),
            "type": type,
            "data": data,
            "token": token,
            "version": 1,
            "channel_id": str(channel_id),
            "channel": interaction_channel_payload(world, channel, user_id),
            "locale": world.users[user_id].locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 26214400,
        }
        if guild_id is not None:
            member = world.member(guild_id, user_id)
            perms = channel_permissions(world, channel_id, user_id)
            guild_locale = world.guild(guild_id).preferred_locale
            payload.update(
                guild_id=str(guild_id),
                guild={"id": str(guild_id), "locale": guild_locale, "features": []},
                guild_locale=guild_locale,
                member=member_payload(world, member, permissions=perms),
                app_permissions=str(channel_permissions(world, channel_id, world.bot_user_id)),
                authorizing_integration_owners={"0": str(guild_id)},
                context=0,
            )
        else:
            payload.update(
                user=user_payload(world.users[user_id]),
                app_permissions=str(channel_permissions(world, channel_id, world.bot_user_id)),
                authorizing_integration_owners={"0": str(user_id)},
                context=1,
            )
        if message is not None:
            payload["message"] = message
        handle = InteractionHandle(
            sim,
            interaction_id=interaction_id,
            token=token,
            type=type,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=channel_id,
            payload=payload,
            source_message_id=source_message_id,
        )
        sim.interactions.track(handle)
        handle.dispatched_at = sim.loop_time()
        if sim.events.interaction_create(payload, guild_id) == 0:
            raise RuntimeError(f"no ready gateway session receives interactions for guild {guild_id}")
        return handle

    # ------------------------------------------------------------- commands
    def _command(self, guild_id: int | None, name: str, type: int, user_id: int) -> Command:
        cmd = self.world.find_command(guild_id, name, type)
        if cmd is None:
            where = f"guild {guild_id}" if guild_id else "global scope"
            synced = sorted(c.name for c in self.world.commands_for(guild_id) + self.world.global_commands)
            raise CommandNotSynced(
                f"command {name!r} (type {type}) is not synced to {where}; synced: {synced}"
            )
        required = cmd.payload.get("default_member_permissions")
        if guild_id is not None and required is not None:
            have = base_permissions(self.world, guild_id, user_id)
            if not have & ADMINISTRATOR and int(required) & ~have:
                raise PermissionError(f"user {user_id} lacks default_member_permissions of /{name}")
        return cmd

    def _resolved_user(self, resolved: dict[str, Any], guild_id: int | None, user_id: int) -> None:
        user = self.world.user(user_id)
        resolved.setdefault("users", {})[str(user_id)] = user_payload(user)
        guild = self.world.guilds.get(guild_id or 0)
        if guild is not None and user_id in guild.members:
            member = member_payload(self.world, guild.members[user_id], with_user=False)
            member["permissions"] = str(base_permissions(self.world, guild.id, user_id))
            resolved.setdefault("members", {})[str(user_id)] = member

    def _resolved_channel(self, resolved: dict[str, Any], channel_id: int, user_id: int) -> None:
        channel = self.world.channel(channel_id)
        resolved.setdefault("channels", {})[str(channel_id)] = interaction_channel_payload(
            self.world, channel, user_id
        )

    def _resolved_role(self, resolved: dict[str, Any], guild_id: int | None, role_id: int) -> None:
        role = self.world.guild(guild_id or 0).roles[role_id]
        resolved.setdefault("roles", {})[str(role_id)] = role_payload(role)

    def _attachment_option(self, resolved: dict[str, Any], value: Any) -> str:
        if isinstance(value, tuple):
            filename, data = value
        else:
            filename, data = value["filename"], value["data"]
        upload = UploadedFile("files[0]", filename, "", data)
        channel_holder = 0
        att, stored = self.sim.messages._attachment(channel_holder, upload, {"filename": filename})
        self.sim.loose_files[stored.attachment_id] = stored
        resolved.setdefault("attachments", {})[att["id"]] = att
        return str(att["id"])

    def _option_value(
        self, spec: dict[str, Any], value: Any, resolved: dict[str, Any], guild_id: int | None, user_id: int
    ) -> Any:
        kind = int(spec["type"])
        if kind == 3:
            value = str(value)
        elif kind == 4:
            value = int(value)
        elif kind == 5:
            value = bool(value)
        elif kind == 10:
            value = float(value)
        elif kind == 6:
            self._resolved_user(resolved, guild_id, int(value))
        elif kind == 7:
            self._resolved_channel(resolved, int(value), user_id)
        elif kind == 8:
            self._resolved_role(resolved, guild_id, int(value))
        elif kind == 9:
            if int(value) in self.world.users:
                self._resolved_user(resolved, guild_id, int(value))
            else:
                self._resolved_role(resolved, guild_id, int(value))
        elif kind == 11:
            return self._attachment_option(resolved, value)
        choices = spec.get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise ValueError(f"{value!r} is not one of the choices of option {spec['name']!r}: {choices}")
        return str(int(value)) if kind in SNOWFLAKE_OPTION_TYPES else value

    def _options(
        self,
        cmd: Command,
        subcommand: str | list[str] | tuple[str, ...] | None,
        options: dict[str, Any],
        guild_id: int | None,
        user_id: int,
        focused: str | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        path = [subcommand] if isinstance(subcommand, str) else list(subcommand or [])
        specs: list[dict[str, Any]] = cmd.payload.get("options") or []
        chain: list[tuple[str, int]] = []
        for name in path:
            found = next((o for o in specs if o["name"] == name and o["type"] in (1, 2)), None)
            if found is None:
                raise ValueError(f"/{cmd.name} has no subcommand or group {name!r}")
            chain.append((name, int(found["type"])))
            specs = found.get("options") or []
        if any(o["type"] in (1, 2) for o in specs):
            raise ValueError(f"/{cmd.name} {' '.join(path)} needs a subcommand: {[o['name'] for o in specs]}")
        by_name = {o["name"]: o for o in specs}
        resolved: dict[str, Any] = {}
        values: list[dict[str, Any]] = []
        for name, value in options.items():
            spec = by_name.get(name)
            if spec is None:
                raise ValueError(f"/{cmd.name} has no option {name!r}; options: {sorted(by_name)}")
            if name == focused:
                values.append({"name": name, "type": spec["type"], "value": str(value), "focused": True})
            else:
                values.append(
                    {
                        "name": name,
                        "type": spec["type"],
                        "value": self._option_value(spec, value, resolved, guild_id, user_id),
                    }
                )
        if focused is None:
            missing = [o["name"] for o in specs if o.get("required") and o["name"] not in options]
            if missing:
                raise ValueError(f"/{cmd.name} requires options {missing}")
        elif focused not in options:
            raise ValueError(f"focused option {focused!r} needs a value in options")
        for name, kind in reversed(chain):
            values = [{"name": name, "type": kind, "options": values}]
        return values, resolved

    def _command_data(self, cmd: Command, guild_id: int | None) -> dict[str, Any]:
        data: dict[str, Any] = {"id": str(cmd.id), "name": cmd.name, "type": cmd.type}
        if cmd.guild_id is not None:
            data["guild_id"] = str(cmd.guild_id)
        return data

    def slash(
        self,
        guild_id: int | None,
        channel_id: int | None,
        user_id: int,
        name: str,
        options: dict[str, Any] | None,
        subcommand: str | list[str] | tuple[str, ...] | None,
        *,
        focused: str | None = None,
    ) -> InteractionHandle:
        guild_id, channel_id = self._context(guild_id, channel_id, user_id)
        cmd = self._command(guild_id, name, 1, user_id)
        values, resolved = self._options(cmd, subcommand, dict(options or {}), guild_id, user_id, focused)
        data = self._command_data(cmd, guild_id)
        data["options"] = values
        if resolved:
            data["resolved"] = resolved
        kind = AUTOCOMPLETE if focused is not None else APPLICATION_COMMAND
        return self._dispatch(kind, guild_id, channel_id, user_id, data)

    def context_menu(
        self,
        guild_id: int | None,
        channel_id: int | None,
        user_id: int,
        name: str,
        target_id: int,
        *,
        message: bool,
    ) -> InteractionHandle:
        guild_id, channel_id = self._context(guild_id, channel_id, user_id)
        cmd = self._command(guild_id, name, 3 if message else 2, user_id)
        data = self._command_data(cmd, guild_id)
        data["target_id"] = str(target_id)
        resolved: dict[str, Any] = {}
        if message:
            resolved["messages"] = {str(target_id): dict(self.world.message(target_id).payload)}
        else:
            self._resolved_user(resolved, guild_id, target_id)
        data["resolved"] = resolved
        return self._dispatch(APPLICATION_COMMAND, guild_id, channel_id, user_id, data)

    # ----------------------------------------------------------- components
    def component(
        self, message_id: int, custom_id: str, user_id: int, values: list[Any] | None
    ) -> InteractionHandle:
        stored = self.world.message(message_id)
        found = next(
            (
                c
                for c in iter_components(stored.payload.get("components", []))
                if c.get("custom_id") == custom_id
            ),
            None,
        )
        if found is None:
            raise ValueError(f"message {message_id} has no component with custom_id {custom_id!r}")
        if found.get("disabled"):
            raise ValueError(f"component {custom_id!r} on message {message_id} is disabled")
        kind = int(found["type"])
        channel = self.world.channel(stored.channel_id)
        guild_id, channel_id = self._context(channel.guild_id, channel.id, user_id)
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": kind}
        if "id" in found:
            data["id"] = found["id"]
        if kind == 2:
            if values is not None:
                raise ValueError("buttons take no values; use select() for select menus")
        else:
            if values is None:
                raise ValueError(f"component {custom_id!r} is a select (type {kind}); pass values")
            data["values"], resolved = self._select_values(found, values, guild_id, user_id)
            if resolved:
                data["resolved"] = resolved
        message = dict(stored.payload)
        return self._dispatch(
            MESSAGE_COMPONENT,
            guild_id,
            channel_id,
            user_id,
            data,
            message=message,
            source_message_id=message_id,
        )

    def _select_values(
        self, comp: dict[str, Any], values: list[Any], guild_id: int | None, user_id: int
    ) -> tuple[list[str], dict[str, Any]]:
        kind = int(comp["type"])
        low, high = int(comp.get("min_values", 1)), int(comp.get("max_values", 1))
        if not low <= len(values) <= high:
            raise ValueError(
                f"select {comp.get('custom_id')!r} takes {low}..{high} values, got {len(values)}"
            )
        resolved: dict[str, Any] = {}
        if kind == 3:
            offered = [o["value"] for o in comp.get("options", [])]
            for v in values:
                if v not in offered:
                    raise ValueError(f"{v!r} is not an option of select {comp.get('custom_id')!r}: {offered}")
            return [str(v) for v in values], resolved
        for v in values:
            if kind == 5 or (kind == 7 and int(v) in self.world.users):
                self._resolved_user(resolved, guild_id, int(v))
            elif kind in (6, 7):
                self._resolved_role(resolved, guild_id, int(v))
            elif kind == 8:
                self._resolved_channel(resolved, int(v), user_id)
        return [str(int(v)) for v in values], resolved

    def modal_submit(
        self, previous: InteractionHandle, user_id: int, values: dict[str, Any]
    ) -> InteractionHandle:
        modal = previous.modal
        if modal is None:
            raise ValueError(f"interaction {previous.id} was not answered with a modal (type 9)")
        remaining = dict(values)
        resolved: dict[str, Any] = {}
        guild_id = previous.guild_id

        def submitted(comp: dict[str, Any]) -> dict[str, Any]:
            kind = int(comp["type"])
            custom_id = comp.get("custom_id")
            out: dict[str, Any] = {"type": kind, "custom_id": custom_id}
            if "id" in comp:
                out["id"] = comp["id"]
            given = remaining.pop(custom_id, None) if custom_id is not None else None
            if kind == 4:
                text = comp.get("value") or "" if given is None else str(given)
                if comp.get("required", True) and not text:
                    raise ValueError(f"text input {custom_id!r} is required")
                out["value"] = text
            elif kind in (3, 5, 6, 7, 8):
                chosen = list(given or [])
                if comp.get("required", True) and not chosen:
                    raise ValueError(f"select {custom_id!r} is required")
                out["values"], more = (
                    self._select_values(comp, chosen, guild_id, user_id) if chosen else ([], {})
                )
                for key, entries in more.items():
                    resolved.setdefault(key, {}).update(entries)
            elif kind == 21:
                out["value"] = given
            elif kind == 22:
                out["values"] = list(given or [])
            elif kind == 23:
                out["value"] = bool(given)
            elif kind == 19:
                out["values"] = [self._attachment_option(resolved, f) for f in given or []]
            return out

        rows: list[dict[str, Any]] = []
        for top in modal.get("components", []):
            kind = int(top["type"])
            if kind == 1:
                rows.append({"type": 1, "components": [submitted(c) for c in top.get("components", [])]})
            elif kind == 18:
                row = {"type": 18, "component": submitted(top["component"])}
                if "id" in top:
                    row["id"] = top["id"]
                rows.append(row)
            elif kind == 10:
                rows.append({"type": 10, "id": top.get("id"), "content": top.get("content", "")})
        if remaining:
            raise ValueError(f"modal {modal.get('custom_id')!r} has no inputs {sorted(remaining)}")
        data: dict[str, Any] = {"custom_id": modal["custom_id"], "components": rows}
        if resolved:
            data["resolved"] = resolved
        message = None
        if previous.source_message_id is not None:
            message = dict(self.world.message(previous.source_message_id).payload)
        return self._dispatch(
            MODAL_SUBMIT,
            guild_id,
            previous.channel_id,
            user_id,
            data,
            message=message,
            source_message_id=previous.source_message_id,
        )

    # ------------------------------------------------------------ forgeries
    def forge_component(
        self,
        guild_id: int | None,
        channel_id: int | None,
        user_id: int,
        custom_id: str,
        *,
        component_type: int = 2,
        values: list[Any] | None = None,
        message_id: int | None = None,
    ) -> InteractionHandle:
        """A component interaction a modified client could send: any ``custom_id``, on a message
        that may not carry it. Still only from a member who can see the channel."""
        guild_id, channel_id = self._context(guild_id, channel_id, user_id)
        _check_custom_id(custom_id)
        if component_type == 2:
            if values is not None:
                raise ValueError("buttons take no values; pass component_type for a select")
        elif component_type in SELECT_TYPES:
            if values is None:
                raise ValueError(f"a select (type {component_type}) needs values")
        else:
            raise ValueError(
                f"component_type {component_type} is not a button (2) or a select {SELECT_TYPES}"
            )
        component = _forged_component(component_type, custom_id, values)
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            chosen = [str(v) for v in values] if component_type == 3 else list(values)
            data["values"], resolved = self._select_values(component, chosen, guild_id, user_id)
            if resolved:
                data["resolved"] = resolved
        stored = self.world.messages.get(message_id) if message_id is not None else None
        if stored is not None and stored.deleted:
            raise ValueError(f"message {message_id} was deleted; Discord delivers no clicks on it")
        if stored is None:
            stored = self._forged_message(channel_id, component, message_id)
        return self._dispatch(
            MESSAGE_COMPONENT,
            guild_id,
            channel_id,
            user_id,
            data,
            message=dict(stored.payload),
            source_message_id=stored.id,
        )

    def _forged_message(
        self, channel_id: int, component: dict[str, Any], message_id: int | None
    ) -> StoredMessage:
        """The bot's ephemeral message the forger claims to have been shown, carrying the
        component (discord.py routes a DynamicItem only if the message has it). Stored, so
        the bot can defer or update it, but in no channel's history."""
        body = {"content": "", "flags": EPHEMERAL, "components": [{"type": 1, "components": [component]}]}
        channel = self.world.channel(channel_id)
        message = self.sim.messages.build(
            channel, self.world.bot_user_id, body, webhook=True, message_id=message_id
        )
        return self.world.store_message(message)

    def forge_modal_submit(
        self,
        guild_id: int | None,
        channel_id: int | None,
        user_id: int,
        custom_id: str,
        values: dict[str, Any],
    ) -> InteractionHandle:
        """A modal submit for any ``custom_id``, whether or not the bot showed this user that
        modal: strings as Label-wrapped text inputs, lists as Label-wrapped string selects."""
        guild_id, channel_id = self._context(guild_id, channel_id, user_id)
        _check_custom_id(custom_id)
        rows: list[dict[str, Any]] = []
        for input_id, value in values.items():
            _check_custom_id(input_id)
            if isinstance(value, str):
                inner: dict[str, Any] = {"type": 4, "custom_id": input_id, "value": value}
            elif isinstance(value, list | tuple):
                inner = {"type": 3, "custom_id": input_id, "values": [str(v) for v in value]}
            else:
                raise TypeError(f"modal input {input_id!r}: give a str (text input) or a list (select)")
            rows.append({"type": 18, "component": inner})
        data: dict[str, Any] = {"custom_id": custom_id, "components": rows}
        return self._dispatch(MODAL_SUBMIT, guild_id, channel_id, user_id, data)


SELECT_TYPES = (3, 5, 6, 7, 8)


def _check_custom_id(custom_id: str) -> None:
    # Discord itself refuses these, whatever the client sends.
    if not 1 <= len(custom_id) <= 100:
        raise ValueError(f"a custom_id is 1 to 100 characters, not {len(custom_id)}")


def _forged_component(kind: int, custom_id: str, values: list[Any] | None) -> dict[str, Any]:
    """The smallest component of ``kind`` that offers ``values``: what the forged message shows."""
    if kind == 2:
        return {"type": 2, "style": 2, "label": "…", "custom_id": custom_id}
    chosen = list(values or [])
    component: dict[str, Any] = {
        "type": kind,
        "custom_id": custom_id,
        "min_values": min(1, len(chosen)),
        "max_values": max(1, len(chosen)),
    }
    if kind == 3:
        component["options"] = [{"label": str(v), "value": str(v)} for v in chosen]
    return component


__all__ = ["SELECT_TYPES", "Actions", "CommandNotSynced", "StoredFile", "iter_components"]
