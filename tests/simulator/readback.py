"""Reading back what the bot did: messages, threads, DMs, requests, and a polling helper.

Message dicts are the wire payloads (string snowflakes) plus ``allowed_mentions`` as the bot
sent it, ``deleted``, and each attachment's ``data`` (bytes).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .actions import iter_components
from .payloads import channel_payload
from .permissions import VIEW_CHANNEL, channel_permissions

if TYPE_CHECKING:
    from .interactions import InteractionManager
    from .rest import RestServer
    from .routing import RecordedRequest
    from .state import World


class ReadbackMixin:
    world: World
    rest: RestServer
    interactions: InteractionManager

    def channel_messages(self, channel_id: int, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Messages in a channel/thread/DM, oldest first (ephemeral ones are never in a channel)."""
        ids = self.world.channel_message_ids.get(channel_id, [])
        msgs = [self.world.messages[i] for i in ids]
        return [m.view() for m in msgs if include_deleted or not m.deleted]

    def message(self, message_id: int) -> dict[str, Any]:
        """Any message by id, including ephemeral and deleted ones."""
        return self.world.messages[message_id].view()

    def ephemeral_messages(self, user_id: int | None = None) -> list[dict[str, Any]]:
        out = []
        for msg in self.world.messages.values():
            if not msg.ephemeral:
                continue
            handle = self.interactions.by_id.get(msg.interaction_id or 0)
            if user_id is None or (handle is not None and handle.user_id == user_id):
                out.append(msg.view())
        return out

    def dm_messages(self, user_id: int) -> list[dict[str, Any]]:
        """Messages in the DM channel between the bot and ``user_id`` (empty if none exists)."""
        channel_id = self.world.dm_channel_by_user.get(user_id)
        return [] if channel_id is None else self.channel_messages(channel_id)

    def threads(self, parent_id: int | None = None, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Thread channel payloads plus ``member_ids`` (list of str ids) and ``deleted``."""
        pools = [(c, False) for c in self.world.channels.values()]
        if include_deleted:
            pools += [(c, True) for c in self.world.deleted_channels.values()]
        out = []
        for channel, deleted in pools:
            if not channel.is_thread or (parent_id is not None and channel.parent_id != parent_id):
                continue
            data = channel_payload(self.world, channel)
            data.update(
                member_ids=[str(u) for u in channel.thread_members],
                invitable=channel.invitable,
                archived=channel.archived,
                locked=channel.locked,
                deleted=deleted,
            )
            out.append(data)
        return sorted(out, key=lambda t: int(t["id"]))

    def thread_members(self, thread_id: int) -> list[int]:
        return list(self.world.channel(thread_id).thread_members)

    def channel(self, channel_id: int) -> dict[str, Any]:
        return channel_payload(self.world, self.world.channel(channel_id))

    def can_view(self, channel_id: int, user_id: int) -> bool:
        """Whether ``user_id`` sees the channel, by the server's roles and the channel's overwrites."""
        return bool(channel_permissions(self.world, channel_id, user_id) & VIEW_CHANNEL)

    def channel_named(self, guild_id: int, name: str) -> dict[str, Any]:
        """The guild channel called ``name`` (not a thread); raises if there is none or several."""
        [found] = [
            c
            for c in self.world.channels.values()
            if c.guild_id == guild_id and c.name == name and not c.is_thread
        ]
        return channel_payload(self.world, found)

    def member(self, guild_id: int, user_id: int) -> dict[str, Any]:
        from .payloads import member_payload

        return member_payload(self.world, self.world.member(guild_id, user_id))

    def synced_commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        return [dict(c.payload, id=str(c.id)) for c in self.world.commands_for(guild_id)]

    def requests_for(self, method: str, route_template: str) -> list[RecordedRequest]:
        """Recorded REST requests by method and route template (placeholder names don't matter)."""
        return self.rest.requests_for(method, route_template)

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.01
    ) -> Any:
        """Poll ``predicate`` (sync or async) until it returns something truthy; returns it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return result
            if loop.time() >= deadline:
                raise TimeoutError(
                    f"condition not met within {timeout}s: {getattr(predicate, '__name__', predicate)}"
                )
            await asyncio.sleep(interval)

    def all_visible_text(self, *, include_custom_ids: bool = False) -> Iterator[str]:
        """Every piece of text a person could see anywhere in the sim: message contents,
        embeds, component labels/options/placeholders, attachment names, thread and channel
        names, modal titles/labels and autocomplete choices. ``include_custom_ids`` adds
        the (hidden) custom_ids too, for checks that no id leaks into component state."""
        for msg in self.world.messages.values():
            yield from _message_text(msg.payload, include_custom_ids)
        for channel in [*self.world.channels.values(), *self.world.deleted_channels.values()]:
            if channel.name:
                yield channel.name
            if channel.topic:
                yield channel.topic
        for handle in self.interactions.by_id.values():
            for body in handle.callbacks:
                data = body.get("data") or {}
                if body.get("type") == 9:
                    yield str(data.get("title", ""))
                    yield from _components_text(data.get("components") or [], include_custom_ids)
                elif body.get("type") == 8:
                    for choice in data.get("choices") or []:
                        yield str(choice.get("name", ""))


def _message_text(payload: dict[str, Any], include_custom_ids: bool) -> Iterator[str]:
    if payload.get("content"):
        yield payload["content"]
    for embed in payload.get("embeds") or []:
        for key in ("title", "description", "url"):
            if embed.get(key):
                yield str(embed[key])
        for key in ("author", "footer"):
            part = embed.get(key) or {}
            for sub in ("name", "text"):
                if part.get(sub):
                    yield str(part[sub])
        for field in embed.get("fields") or []:
            yield str(field.get("name", ""))
            yield str(field.get("value", ""))
    for att in payload.get("attachments") or []:
        yield str(att.get("filename", ""))
        if att.get("description"):
            yield str(att["description"])
    yield from _components_text(payload.get("components") or [], include_custom_ids)


def _components_text(components: list[dict[str, Any]], include_custom_ids: bool) -> Iterator[str]:
    for comp in iter_components(components):
        for key in ("label", "placeholder", "content", "value", "description", "title"):
            if isinstance(comp.get(key), str) and comp[key]:
                yield comp[key]
        for option in comp.get("options") or []:
            yield str(option.get("label", ""))
            if option.get("description"):
                yield str(option["description"])
        if include_custom_ids and comp.get("custom_id"):
            yield str(comp["custom_id"])
