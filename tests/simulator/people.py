"""Acting as people on the simulator facade: commands, components, modals, plain messages."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .permissions import ATTACH_FILES, SEND_MESSAGES, SEND_MESSAGES_IN_THREADS, channel_permissions
from .routing import UploadedFile

if TYPE_CHECKING:
    from .actions import Actions
    from .events import Events
    from .interactions import InteractionHandle
    from .messages import MessageFactory
    from .state import World

Attachment = tuple[str, bytes] | dict[str, Any]


class PeopleMixin:
    world: World
    events: Events
    actions: Actions
    messages: MessageFactory

    async def invoke_slash(
        self,
        guild_id: int | None,
        channel_id: int | None,
        user_id: int,
        name: str,
        options: dict[str, Any] | None = None,
        subcommand: str | Sequence[str] | None = None,
    ) -> InteractionHandle:
        """Run ``/name [group] [sub] option:value...``; raises CommandNotSynced if the bot never
        synced it. Snowflake options (user, channel, role, mentionable) take ids; attachment
        options take ``(filename, bytes)``. ``guild_id=None`` runs it in the user's DM."""
        handle = self.actions.slash(guild_id, channel_id, user_id, name, options, _path(subcommand))
        await asyncio.sleep(0)
        return handle

    async def autocomplete(
        self,
        guild_id: int | None,
        channel_id: int | None,
        user_id: int,
        name: str,
        focused: str,
        value: str,
        options: dict[str, Any] | None = None,
        subcommand: str | Sequence[str] | None = None,
        timeout: float = 5.0,
    ) -> list[dict[str, Any]]:
        """Type into option ``focused``; returns the bot's choices (``[{"name", "value"}]``)."""
        values = {**(options or {}), focused: value}
        handle = self.actions.slash(
            guild_id, channel_id, user_id, name, values, _path(subcommand), focused=focused
        )
        body = await handle.response(timeout)
        if body.get("type") != 8:
            raise AssertionError(f"autocomplete answered with callback type {body.get('type')}")
        return list((body.get("data") or {}).get("choices") or [])

    async def invoke_message_command(
        self, guild_id: int | None, channel_id: int | None, user_id: int, name: str, message_id: int
    ) -> InteractionHandle:
        handle = self.actions.context_menu(guild_id, channel_id, user_id, name, message_id, message=True)
        await asyncio.sleep(0)
        return handle

    async def invoke_user_command(
        self, guild_id: int | None, channel_id: int | None, user_id: int, name: str, target_user_id: int
    ) -> InteractionHandle:
        handle = self.actions.context_menu(guild_id, channel_id, user_id, name, target_user_id, message=False)
        await asyncio.sleep(0)
        return handle

    async def click_button(self, message_id: int, custom_id: str, user_id: int) -> InteractionHandle:
        """Click a button on any message (guild channel, thread, DM or ephemeral response)."""
        handle = self.actions.component(message_id, custom_id, user_id, None)
        await asyncio.sleep(0)
        return handle

    async def select(
        self, message_id: int, custom_id: str, user_id: int, values: Iterable[Any]
    ) -> InteractionHandle:
        """Pick ``values`` in a select: option values for string selects, ids for user/role/channel ones."""
        handle = self.actions.component(message_id, custom_id, user_id, list(values))
        await asyncio.sleep(0)
        return handle

    async def submit_modal(
        self, previous: InteractionHandle, user_id: int, values: dict[str, Any], *, timeout: float = 5.0
    ) -> InteractionHandle:
        """Fill and submit the modal the bot answered ``previous`` with, keyed by custom_id.

        Text inputs take strings, selects lists. Mirrors the modal's layout (action rows of
        text inputs, and Label components wrapping an input or a select)."""
        await previous.response(timeout)
        handle = self.actions.modal_submit(previous, user_id, values)
        await asyncio.sleep(0)
        return handle

    async def forge_component(
        self,
        guild_id: int | None,
        channel_id: int | None,
        user_id: int,
        custom_id: str,
        *,
        component_type: int = 2,
        values: Iterable[Any] | None = None,
        message_id: int | None = None,
    ) -> InteractionHandle:
        """An attacker's click: a MESSAGE_COMPONENT with any ``custom_id``, as ``user_id`` in
        ``guild_id``'s ``channel_id`` (``guild_id=None``: their DM with the bot).

        ``component_type`` 2 is a button; 3, 5, 6, 7, 8 are selects, given ``values`` (option
        values, or ids of users, roles, channels that exist, resolved like a real select).
        With the ``message_id`` of a stored message, that message rides along as on a real
        click (discord.py then routes a DynamicItem only if the message carries the
        custom_id). Otherwise the click comes from a made-up ephemeral message of the bot's
        with just that component (``message_id`` as its id, if given), kept so the bot can
        defer or update it but in no channel's history. The user must be a member of
        ``guild_id`` who can see the channel; the custom_id may point anywhere else.
        """
        handle = self.actions.forge_component(
            guild_id,
            channel_id,
            user_id,
            custom_id,
            component_type=component_type,
            values=None if values is None else list(values),
            message_id=message_id,
        )
        await asyncio.sleep(0)
        return handle

    async def forge_modal_submit(
        self,
        guild_id: int | None,
        channel_id: int | None,
        user_id: int,
        custom_id: str,
        values: dict[str, Any],
    ) -> InteractionHandle:
        """An attacker's form: a MODAL_SUBMIT with any ``custom_id``, whether or not the bot
        showed this user that modal. ``values`` maps input custom_ids to a str (a text input)
        or a list (a string select's values), each wrapped in a Label, as Discord sends them."""
        handle = self.actions.forge_modal_submit(guild_id, channel_id, user_id, custom_id, values)
        await asyncio.sleep(0)
        return handle

    async def send_message(
        self,
        channel_id: int,
        user_id: int,
        content: str = "",
        attachments: Sequence[Attachment] | None = None,
        *,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """A person posts a message (MESSAGE_CREATE, content blanked for a bot without the
        message-content intent unless it is mentioned or this is a DM). Sending in a public
        thread joins it. Returns the stored message view."""
        world = self.world
        channel = world.channel(channel_id)
        world.user(user_id)
        if channel.guild_id is not None:
            if user_id not in world.guild(channel.guild_id).members:
                raise ValueError(f"user {user_id} is not a member of guild {channel.guild_id}")
            perms = channel_permissions(world, channel_id, user_id)
            if not perms & (SEND_MESSAGES_IN_THREADS if channel.is_thread else SEND_MESSAGES):
                raise PermissionError(f"user {user_id} cannot send messages in channel {channel_id}")
            if attachments and not perms & ATTACH_FILES:
                raise PermissionError(f"user {user_id} cannot attach files in channel {channel_id}")
            if channel.type == 12 and user_id not in channel.thread_members:
                raise PermissionError(f"user {user_id} is not in private thread {channel_id}")
            if channel.is_thread and channel.locked:
                raise PermissionError(f"thread {channel_id} is locked")
        elif channel.recipient_id != user_id:
            raise ValueError(f"channel {channel_id} is not user {user_id}'s DM with the bot")
        files = []
        for index, item in enumerate(attachments or []):
            filename, data = item if isinstance(item, tuple) else (item["filename"], item["data"])
            files.append(UploadedFile(f"files[{index}]", filename, "", data))
        body: dict[str, Any] = {"content": content}
        if reply_to is not None:
            body["message_reference"] = {"message_id": str(reply_to)}
        message = self.messages.build(channel, user_id, body, files)
        if channel.is_thread:
            if channel.archived:
                channel.archived = False
                self.events.thread_update(channel)
            if user_id not in channel.thread_members:
                from .ids import utcnow

                channel.thread_members[user_id] = utcnow()
                self.events.thread_members_update(channel, added=[user_id])
        world.store_message(message)
        self.events.message_create(message)
        await asyncio.sleep(0)
        return message.view()

    async def edit_user_message(self, message_id: int, content: str) -> dict[str, Any]:
        """A person edits their own message (MESSAGE_UPDATE)."""
        message = self.world.message(message_id)
        self.messages.apply_edit(message, {"content": content})
        self.events.message_update(message)
        await asyncio.sleep(0)
        return message.view()

    async def delete_user_message(self, message_id: int) -> None:
        """A person (or a moderator) deletes a message (MESSAGE_DELETE)."""
        message = self.world.message(message_id)
        message.deleted = True
        self.events.message_delete(message)
        await asyncio.sleep(0)


def _path(subcommand: str | Sequence[str] | None) -> str | list[str] | None:
    if subcommand is None or isinstance(subcommand, str):
        return subcommand
    return list(subcommand)
