"""Interaction lifecycle: handles for tests, the callback endpoint and the interaction webhooks.

Rules enforced, as Discord does:

* the first callback must arrive within ``sim.interaction_deadline`` seconds of the
  INTERACTION_CREATE dispatch, else 404 10062 "Unknown interaction" (kept in
  ``sim.deadline_misses``); a second initial callback gets 400 40060;
* callback types must suit the interaction (8 only for autocomplete, 6/7 only when there
  is a message to update, 9 not in answer to a modal submit or an autocomplete);
* webhook calls (followups, ``@original``) need the interaction to be acknowledged first
  (else 404 10015 "Unknown Webhook"); the first followup after a "thinking" defer
  replaces the loading message, like Discord;
* none of this is permission-checked (Discord doesn't check interaction responses).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .messages import EPHEMERAL, LOADING
from .routing import ApiError, ApiRequest, ApiResponse, unknown_error
from .state import StoredMessage

if TYPE_CHECKING:
    from .server import DiscordSimulator

PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
_ALLOWED_CALLBACKS = {
    PING: {1},
    APPLICATION_COMMAND: {4, 5, 9},
    MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
    AUTOCOMPLETE: {8},
    MODAL_SUBMIT: {4, 5, 6, 7},
}


@dataclass
class DeadlineMiss:
    interaction_id: int
    interaction_type: int
    elapsed: float
    callback_type: int | None


class InteractionHandle:
    """What a test holds after acting as a person: the interaction and the bot's answers."""

    def __init__(
        self,
        sim: DiscordSimulator,
        *,
        interaction_id: int,
        token: str,
        type: int,
        user_id: int,
        guild_id: int | None,
        channel_id: int,
        payload: dict[str, Any],
        source_message_id: int | None = None,
    ) -> None:
        self._sim = sim
        self.id = interaction_id
        self.token = token
        self.type = type
        self.user_id = user_id
        self.guild_id = guild_id
        self.channel_id = channel_id
        self.payload = payload
        self.source_message_id = source_message_id
        self.callbacks: list[dict[str, Any]] = []
        self.rejected_callbacks: list[tuple[dict[str, Any], int]] = []
        self.original_message_id: int | None = None
        self.followup_ids: list[int] = []
        self.deadline_missed = False
        self.dispatched_at = 0.0
        self._changed = asyncio.Event()

    # ------------------------------------------------------------- reading
    def __repr__(self) -> str:
        return f"<InteractionHandle id={self.id} type={self.type} response_type={self.response_type}>"

    @property
    def acknowledged(self) -> bool:
        return bool(self.callbacks)

    @property
    def response_type(self) -> int | None:
        return int(self.callbacks[0]["type"]) if self.callbacks else None

    @property
    def is_ephemeral(self) -> bool:
        if not self.callbacks:
            return False
        data = self.callbacks[0].get("data") or {}
        return bool(int(data.get("flags") or 0) & EPHEMERAL)

    @property
    def modal(self) -> dict[str, Any] | None:
        if self.callbacks and self.callbacks[0]["type"] == 9:
            return self.callbacks[0].get("data")
        return None

    @property
    def followups(self) -> list[dict[str, Any]]:
        return [self._sim.world.messages[m].view() for m in self.followup_ids]

    def messages(self) -> list[dict[str, Any]]:
        """Every message this interaction produced: the original response, then followups."""
        ids = ([self.original_message_id] if self.original_message_id else []) + [
            m for m in self.followup_ids if m != self.original_message_id
        ]
        return [self._sim.world.messages[m].view() for m in ids]

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait(self, predicate: Any, timeout: float, what: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"interaction {self.id}: timed out after {timeout}s waiting for {what}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def response(self, timeout: float = 5.0) -> dict[str, Any]:
        """The first callback body the bot sent (waits for it)."""
        await self._wait(lambda: self.callbacks, timeout, "the interaction response")
        return self.callbacks[0]

    async def original(self, timeout: float = 5.0) -> dict[str, Any]:
        """The original response message; after a "thinking" defer, waits for the edit."""
        await self.response(timeout)

        def ready() -> bool:
            mid = self.original_message_id
            if mid is None:
                return False
            return not self._sim.world.messages[mid].payload["flags"] & LOADING

        if self.response_type in (6, 7) and self.original_message_id is None:
            self.original_message_id = self.source_message_id
        if self.response_type not in (4, 5, 6, 7):
            raise AssertionError(
                f"interaction {self.id} was answered with type {self.response_type}, no message"
            )
        await self._wait(ready, timeout, "the original response message")
        return self._sim.world.messages[self.original_message_id or 0].view()

    async def answer(self, timeout: float = 5.0) -> dict[str, Any]:
        """What the person reads first: the message sent as the response, or after a defer the
        first followup (or the original, once edited); a modal's data for type 9."""
        body = await self.response(timeout)
        kind = int(body["type"])
        if kind in (4, 9):
            return dict(body.get("data") or {})
        if kind in (5, 6):
            await self._wait(
                lambda: self.followup_ids or (self.original_message_id and kind == 5 and self._edited()),
                timeout,
                "the answer after a defer",
            )
            if self.followup_ids:
                return self._sim.world.messages[self.followup_ids[0]].view()
            return await self.original(timeout)
        return await self.original(timeout)

    def _edited(self) -> bool:
        mid = self.original_message_id
        return mid is not None and not self._sim.world.messages[mid].payload["flags"] & LOADING

    async def wait_followup(self, n: int = 1, timeout: float = 5.0) -> dict[str, Any]:
        """The n-th followup message (1-based), waiting until it exists."""
        await self._wait(lambda: len(self.followup_ids) >= n, timeout, f"followup #{n}")
        return self._sim.world.messages[self.followup_ids[n - 1]].view()


class InteractionManager:
    def __init__(self, sim: DiscordSimulator) -> None:
        self.sim = sim
        self.by_id: dict[int, InteractionHandle] = {}
        self.by_token: dict[str, InteractionHandle] = {}
        self.deadline_misses: list[DeadlineMiss] = []

    def track(self, handle: InteractionHandle) -> None:
        self.by_id[handle.id] = handle
        self.by_token[handle.token] = handle

    # ------------------------------------------------------------ callback
    async def callback(self, req: ApiRequest) -> Any:
        handle = self.by_id.get(req.snowflake("interaction_id", "interaction"))
        if handle is None or handle.token != req.params["interaction_token"]:
            raise unknown_error("interaction")
        body = req.body()
        cb_type = int(body.get("type", 0))
        loop = asyncio.get_running_loop()
        if handle.acknowledged:
            handle.rejected_callbacks.append((body, 40060))
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        elapsed = loop.time() - handle.dispatched_at
        if elapsed > self.sim.interaction_deadline:
            handle.deadline_missed = True
            handle.rejected_callbacks.append((body, 10062))
            self.deadline_misses.append(DeadlineMiss(handle.id, handle.type, elapsed, cb_type))
            handle._notify()
            raise unknown_error("interaction")
        allowed = set(_ALLOWED_CALLBACKS[handle.type])
        if handle.source_message_id is None:
            allowed -= {6, 7}
        if cb_type not in allowed:
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "type": {
                        "_errors": [
                            {
                                "code": "INTERACTION_RESPONSE_TYPE_INVALID",
                                "message": f"callback type {cb_type} is not valid for interaction type {handle.type}",
                            }
                        ]
                    }
                },
            )
        data = body.get("data") or {}
        message: StoredMessage | None = None
        if cb_type in (4, 5):
            message = self._create_response_message(
                handle, data if cb_type == 4 else {"flags": data.get("flags")}, req, loading=cb_type == 5
            )
        elif cb_type == 7:
            message = self.sim.world.message(handle.source_message_id or 0)
            self.sim.messages.apply_edit(message, data, req.files)
            self.sim.events.message_update(message)
            handle.original_message_id = message.id
        elif cb_type == 6:
            handle.original_message_id = handle.source_message_id
        handle.callbacks.append(body)
        handle._notify()
        if not req.flag("with_response"):
            return None
        info: dict[str, Any] = {"id": str(handle.id), "type": handle.type}
        resource: dict[str, Any] = {"type": cb_type}
        if message is not None:
            info.update(
                response_message_id=str(message.id),
                response_message_loading=bool(message.payload["flags"] & LOADING),
                response_message_ephemeral=message.ephemeral,
            )
            resource["message"] = dict(message.payload)
        return ApiResponse(200, {"interaction": info, "resource": resource})

    def _create_response_message(
        self, handle: InteractionHandle, data: dict[str, Any], req: ApiRequest, *, loading: bool
    ) -> StoredMessage:
        sim = self.sim
        channel = sim.world.channel(handle.channel_id)
        body = dict(data)
        if loading:
            body["flags"] = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
        message_type = 0
        if handle.type == APPLICATION_COMMAND:
            message_type = 20 if handle.payload["data"].get("type", 1) == 1 else 23
        message = sim.messages.build(
            channel,
            sim.world.bot_user_id,
            body,
            [] if loading else req.files,
            message_type=message_type,
            webhook=True,
            interaction=self._metadata(handle),
            interaction_id=handle.id,
        )
        sim.world.store_message(message)
        sim.events.message_create(message)
        handle.original_message_id = message.id
        return message

    def _metadata(self, handle: InteractionHandle) -> dict[str, Any]:
        user = self.sim.payload_user(handle.user_id)
        owners = {"0": str(handle.guild_id)} if handle.guild_id else {"1": str(handle.user_id)}
        meta: dict[str, Any] = {
            "id": str(handle.id),
            "type": handle.type,
            "user": user,
            "authorizing_integration_owners": owners,
        }
        legacy: dict[str, Any] = {"id": str(handle.id), "type": handle.type, "name": "", "user": user}
        if handle.type == APPLICATION_COMMAND:
            data = handle.payload["data"]
            legacy["name"] = data["name"]
            if data.get("type", 1) == 2:
                meta["target_user"] = self.sim.payload_user(int(data["target_id"]))
            elif data.get("type", 1) == 3:
                meta["target_message_id"] = data["target_id"]
        elif handle.type == MESSAGE_COMPONENT and handle.source_message_id:
            meta["interacted_message_id"] = str(handle.source_message_id)
        return {"metadata": meta, "legacy": legacy}

    # ------------------------------------------------------------ webhooks
    def _handle_for_webhook(self, req: ApiRequest) -> InteractionHandle:
        if req.params["webhook_id"] != str(self.sim.world.application_id):
            raise unknown_error("webhook")
        handle = self.by_token.get(req.params["webhook_token"])
        if handle is None or not handle.acknowledged:
            raise unknown_error("webhook")
        return handle

    def _owned_message(self, handle: InteractionHandle, raw_id: str) -> StoredMessage:
        if raw_id == "@original":
            mid = handle.original_message_id
            if mid is None and handle.response_type == 6:
                mid = handle.source_message_id
        else:
            mid = int(raw_id) if raw_id.isdigit() else None
            if mid not in handle.followup_ids and mid != handle.original_message_id:
                mid = None
        if mid is None:
            raise unknown_error("message")
        return self.sim.world.message(mid)

    async def get_message(self, req: ApiRequest) -> Any:
        handle = self._handle_for_webhook(req)
        return dict(self._owned_message(handle, req.params.get("message_id", "@original")).payload)

    async def edit_message(self, req: ApiRequest) -> Any:
        handle = self._handle_for_webhook(req)
        message = self._owned_message(handle, req.params.get("message_id", "@original"))
        self.sim.messages.apply_edit(message, req.body(), req.files)
        self.sim.events.message_update(message)
        handle._notify()
        return dict(message.payload)

    async def delete_message(self, req: ApiRequest) -> Any:
        handle = self._handle_for_webhook(req)
        message = self._owned_message(handle, req.params.get("message_id", "@original"))
        message.deleted = True
        self.sim.events.message_delete(message)
        handle._notify()
        return None

    async def followup(self, req: ApiRequest) -> Any:
        handle = self._handle_for_webhook(req)
        body = req.body()
        original = self.sim.world.messages.get(handle.original_message_id or 0)
        if original is not None and original.payload["flags"] & LOADING and not original.deleted:
            # Discord turns the first followup after a "thinking" defer into the original response.
            self.sim.messages.apply_edit(original, {**body, "flags": None}, req.files)
            self.sim.events.message_update(original)
            message = original
        else:
            channel = self.sim.world.channel(handle.channel_id)
            message = self.sim.messages.build(
                channel,
                self.sim.world.bot_user_id,
                body,
                req.files,
                webhook=True,
                interaction=self._metadata(handle),
                interaction_id=handle.id,
            )
            self.sim.world.store_message(message)
            self.sim.events.message_create(message)
        handle.followup_ids.append(message.id)
        handle._notify()
        if req.flag("wait"):
            return dict(message.payload)
        return None

    def register(self) -> None:
        add = self.sim.rest.router.add
        add("POST", "/interactions/{interaction_id}/{interaction_token}/callback", self.callback, auth=False)
        base = "/webhooks/{webhook_id}/{webhook_token}"
        add("POST", base, self.followup, auth=False)
        for target in ("/messages/@original", "/messages/{message_id}"):
            add("GET", base + target, self.get_message, auth=False)
            add("PATCH", base + target, self.edit_message, auth=False)
            add("DELETE", base + target, self.delete_message, auth=False)
