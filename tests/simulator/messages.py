"""Building and editing stored messages from request bodies (bot) or test calls (people)."""

from __future__ import annotations

import mimetypes
import struct
from collections.abc import Sequence
from typing import Any

from .ids import iso, utcnow
from .payloads import member_payload, resolve_mentions, user_payload
from .routing import ApiError, UploadedFile
from .state import Channel, StoredFile, StoredMessage, World

EPHEMERAL = 1 << 6
LOADING = 1 << 7
#: Flags a bot may set or clear when editing (SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS, IS_COMPONENTS_V2).
_EDITABLE_FLAGS = (1 << 2) | (1 << 12) | (1 << 15)


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width/height of a PNG (from its IHDR chunk), as Discord reports for images."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    return None


def _content_type(filename: str, declared: str) -> str:
    if declared and declared != "application/octet-stream":
        return declared
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"


class MessageFactory:
    """Makes Discord-shaped messages; ``files_url`` serves attachment bytes back (``/attachments``)."""

    def __init__(self, world: World, files_url: str) -> None:
        self.world = world
        self.files_url = files_url

    # --------------------------------------------------------------- pieces
    def _attachment(
        self, channel_id: int, upload: UploadedFile, meta: dict[str, Any]
    ) -> tuple[dict, StoredFile]:
        att_id = self.world.ids.next()
        filename = str(meta.get("filename") or upload.filename)
        content_type = _content_type(filename, upload.content_type)
        url = f"{self.files_url}/{channel_id}/{att_id}/{filename}"
        data: dict[str, Any] = {
            "id": str(att_id),
            "filename": filename,
            "size": len(upload.data),
            "url": url,
            "proxy_url": url,
            "content_type": content_type,
            "flags": 0,
        }
        if meta.get("description"):
            data["description"] = meta["description"]
        size = _image_size(upload.data)
        if size is not None:
            data["width"], data["height"] = size
        return data, StoredFile(att_id, filename, content_type, upload.data)

    def _attachments(
        self,
        channel_id: int,
        body: dict[str, Any],
        files: Sequence[UploadedFile],
        existing: StoredMessage | None,
    ) -> tuple[list[dict[str, Any]], dict[int, StoredFile]]:
        """Match ``attachments`` metadata to ``files[n]`` parts; keep listed existing ones on edit."""
        by_index = {}
        for upload in files:
            index = upload.field[len("files[") : -1] if upload.field.startswith("files[") else upload.field
            by_index[index] = upload
        listed = body.get("attachments")
        out: list[dict[str, Any]] = []
        stored: dict[int, StoredFile] = {}
        used: set[str] = set()
        old = {a["id"]: a for a in (existing.payload.get("attachments", []) if existing else [])}
        if listed is None:
            listed = [{"id": a} for a in old] + [{"id": k} for k in by_index]
        for meta in listed:
            key = str(meta.get("id"))
            if key in by_index and key not in used:
                used.add(key)
                att, file = self._attachment(channel_id, by_index[key], meta)
                out.append(att)
                stored[file.attachment_id] = file
            elif key in old and existing is not None:
                out.append(old[key])
                if int(key) in existing.files:
                    stored[int(key)] = existing.files[int(key)]
            else:
                raise ApiError(
                    400,
                    50035,
                    "Invalid Form Body",
                    {
                        "attachments": {
                            "_errors": [
                                {"code": "ATTACHMENT_NOT_FOUND", "message": f"unknown attachment {key}"}
                            ]
                        }
                    },
                )
        for key, upload in by_index.items():
            if key not in used:
                att, file = self._attachment(channel_id, upload, {})
                out.append(att)
                stored[file.attachment_id] = file
        return out, stored

    # --------------------------------------------------------------- create
    def build(
        self,
        channel: Channel,
        author_id: int,
        body: dict[str, Any],
        files: Sequence[UploadedFile] = (),
        *,
        message_type: int = 0,
        webhook: bool = False,
        interaction: dict[str, Any] | None = None,
        interaction_id: int | None = None,
        message_id: int | None = None,
    ) -> StoredMessage:
        """A message as Discord would store it. ``body`` is a create-message JSON body."""
        world = self.world
        mid = message_id if message_id is not None else world.ids.next()
        content = body.get("content") or ""
        allowed = body.get("allowed_mentions")
        mentions, mention_roles, everyone = resolve_mentions(world, channel.guild_id, content, allowed)
        attachments, stored = self._attachments(channel.id, body, files, None)
        flags = int(body.get("flags") or 0)
        payload: dict[str, Any] = {
            "id": str(mid),
            "channel_id": str(channel.id),
            "type": message_type,
            "content": content,
            "author": user_payload(world.users[author_id]),
            "timestamp": iso(utcnow()),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": everyone,
            "mentions": mentions,
            "mention_roles": mention_roles,
            "attachments": attachments,
            "embeds": [dict(e, type=e.get("type", "rich")) for e in body.get("embeds") or []],
            "pinned": False,
            "flags": flags,
            "components": list(body.get("components") or []),
        }
        if channel.guild_id is not None:
            payload["guild_id"] = str(channel.guild_id)
            member = world.guilds[channel.guild_id].members.get(author_id)
            if member is not None and not webhook:
                payload["member"] = member_payload(world, member, with_user=False)
        if "nonce" in body and body["nonce"] is not None:
            payload["nonce"] = body["nonce"]
        if webhook:
            payload["webhook_id"] = str(world.application_id)
            payload["application_id"] = str(world.application_id)
        if interaction is not None:
            payload["interaction_metadata"] = interaction["metadata"]
            if "legacy" in interaction:
                payload["interaction"] = interaction["legacy"]
        if channel.is_thread:
            payload["position"] = channel.total_message_sent
        ref = body.get("message_reference")
        if ref and ref.get("message_id"):
            target = world.messages.get(int(ref["message_id"]))
            if target is None or target.deleted:
                if ref.get("fail_if_not_exists", True):
                    raise ApiError(
                        400,
                        50035,
                        "Invalid Form Body",
                        {
                            "message_reference": {
                                "_errors": [{"code": "REPLIES_UNKNOWN_MESSAGE", "message": "Unknown message"}]
                            }
                        },
                    )
            else:
                payload["type"] = 19 if message_type == 0 else message_type
                payload["message_reference"] = {
                    "type": 0,
                    "message_id": str(target.id),
                    "channel_id": str(target.channel_id),
                    "guild_id": target.payload.get("guild_id"),
                }
                payload["referenced_message"] = dict(target.payload)
        return StoredMessage(
            id=mid,
            channel_id=channel.id,
            payload=payload,
            allowed_mentions=allowed,
            files=stored,
            ephemeral=bool(flags & EPHEMERAL),
            interaction_id=interaction_id,
        )

    # ----------------------------------------------------------------- edit
    def apply_edit(
        self, message: StoredMessage, body: dict[str, Any], files: Sequence[UploadedFile] = ()
    ) -> None:
        """PATCH semantics: only keys present in ``body`` change."""
        payload = message.payload
        guild_id = int(payload["guild_id"]) if payload.get("guild_id") else None
        if "allowed_mentions" in body:
            message.allowed_mentions = body["allowed_mentions"]
        if "content" in body:
            payload["content"] = body["content"] or ""
        if "content" in body or "allowed_mentions" in body:
            mentions, roles, everyone = resolve_mentions(
                self.world, guild_id, payload["content"], message.allowed_mentions
            )
            payload.update(mentions=mentions, mention_roles=roles, mention_everyone=everyone)
        if "embeds" in body:
            payload["embeds"] = [dict(e, type=e.get("type", "rich")) for e in body["embeds"] or []]
        if "components" in body:
            payload["components"] = list(body["components"] or [])
        if body.get("flags") is not None:
            keep = payload["flags"] & ~_EDITABLE_FLAGS & ~LOADING
            payload["flags"] = keep | (int(body["flags"]) & _EDITABLE_FLAGS)
        else:
            payload["flags"] = payload["flags"] & ~LOADING
        if "attachments" in body or files:
            attachments, stored = self._attachments(message.channel_id, body, files, message)
            payload["attachments"] = attachments
            message.files = stored
        payload["edited_timestamp"] = iso(utcnow())
