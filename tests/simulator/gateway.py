"""The gateway: websocket sessions, IDENTIFY/RESUME, heartbeats, sequenced dispatches.

One :class:`GatewaySession` per successful IDENTIFY (it survives socket drops so the
client can RESUME); one :class:`GatewayConnection` per websocket. Frames are JSON text,
never compressed (discord.py accepts text frames even when it asked for zlib-stream).
Dispatches go only to sessions whose shard owns the guild (DMs go to shard 0) and whose
intents include the event's intent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .payloads import gateway_guild_payload, member_payload, user_payload

if TYPE_CHECKING:
    from .state import World

log = logging.getLogger(__name__)

# Intent bits (https://discord.com/developers/docs/events/gateway#gateway-intents)
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15

# Close codes
UNKNOWN_ERROR = 4000
NOT_AUTHENTICATED = 4003
AUTHENTICATION_FAILED = 4004
ALREADY_AUTHENTICATED = 4005
INVALID_SHARD = 4010
INVALID_INTENTS = 4013
DISALLOWED_INTENTS = 4014

Transform = Callable[["GatewaySession", dict[str, Any]], dict[str, Any] | None]


@dataclass
class GatewaySession:
    session_id: str
    shard_id: int
    shard_count: int
    intents: int
    seq: int = 0
    buffer: list[dict[str, Any]] = field(default_factory=list)
    connection: GatewayConnection | None = None
    ready: bool = False
    invalidated: bool = False

    def owns_guild(self, guild_id: int | None) -> bool:
        if guild_id is None:
            return self.shard_id == 0
        return (guild_id >> 22) % self.shard_count == self.shard_id


class GatewayConnection:
    """One websocket; a writer task sends queued frames in order."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.session: GatewaySession | None = None
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write_loop(), name="sim-gateway-writer")

    def send(self, frame: dict[str, Any]) -> None:
        self._queue.put_nowait(json.dumps(frame))

    async def _write_loop(self) -> None:
        while True:
            text = await self._queue.get()
            if text is None or self.ws.closed:
                return
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return

    async def close(self, code: int) -> None:
        self._writer.cancel()
        if not self.ws.closed:
            await self.ws.close(code=code)

    def stop_writer(self) -> None:
        self._writer.cancel()


class GatewayHub:
    """Accepts gateway websockets and routes dispatches to the right sessions."""

    def __init__(self, world: World, token: str, url: Callable[[], str]) -> None:
        self.world = world
        self.token = token
        self._url = url
        self.heartbeat_interval_ms = 41250
        self.granted_intents = GUILD_MEMBERS | MESSAGE_CONTENT
        self.sessions: dict[str, GatewaySession] = {}
        self.connections: set[GatewayConnection] = set()
        self.events_sent: dict[int, list[dict[str, Any]]] = {}
        self.identify_count = 0
        self.resume_count = 0
        self.close_codes_sent: list[int] = []
        self._background: set[asyncio.Task[None]] = set()
        self.internal_errors: list[str] = []

    # ------------------------------------------------------------ websocket
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False, max_msg_size=0)
        await ws.prepare(request)
        conn = GatewayConnection(ws)
        self.connections.add(conn)
        conn.send({"op": 10, "s": None, "t": None, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    try:
                        await self._on_frame(conn, json.loads(msg.data))
                    except Exception as exc:
                        log.exception("simulator gateway error")
                        self.internal_errors.append(f"gateway frame {msg.data[:200]!r}: {exc!r}")
                elif msg.type is WSMsgType.BINARY:
                    await self._close(conn, 4002)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            conn.stop_writer()
            self.connections.discard(conn)
            if conn.session is not None and conn.session.connection is conn:
                conn.session.connection = None
        return ws

    async def _close(self, conn: GatewayConnection, code: int) -> None:
        self.close_codes_sent.append(code)
        await conn.close(code)

    async def _on_frame(self, conn: GatewayConnection, frame: dict[str, Any]) -> None:
        op, data = frame.get("op"), frame.get("d")
        if op == 1:
            conn.send({"op": 11, "s": None, "t": None, "d": None})
        elif op == 2:
            await self._identify(conn, data or {})
        elif op == 6:
            await self._resume(conn, data or {})
        elif op == 8:
            if conn.session is None:
                await self._close(conn, NOT_AUTHENTICATED)
            else:
                self._request_members(conn.session, data or {})
        elif op in (3, 4):
            pass  # presence / voice state updates: accepted and ignored
        else:
            log.debug("sim gateway ignoring op %s", op)

    async def _identify(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        if data.get("token") != self.token:
            await self._close(conn, AUTHENTICATION_FAILED)
            return
        if conn.session is not None:
            await self._close(conn, ALREADY_AUTHENTICATED)
            return
        shard_id, shard_count = data.get("shard") or [0, 1]
        if not (isinstance(shard_count, int) and shard_count >= 1 and 0 <= shard_id < shard_count):
            await self._close(conn, INVALID_SHARD)
            return
        intents = data.get("intents")
        if not isinstance(intents, int) or intents < 0:
            await self._close(conn, INVALID_INTENTS)
            return
        privileged = intents & (GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT)
        if privileged & ~self.granted_intents:
            await self._close(conn, DISALLOWED_INTENTS)
            return
        self.identify_count += 1
        session = GatewaySession(uuid.uuid4().hex, shard_id, shard_count, intents, connection=conn)
        conn.session = session
        self.sessions[session.session_id] = session
        guilds = [
            g
            for gid, g in self.world.guilds.items()
            if session.owns_guild(gid) and self.world.bot_user_id in g.members
        ]
        self._send_dispatch(
            session,
            "READY",
            {
                "v": 10,
                "user": user_payload(self.world.users[self.world.bot_user_id]),
                "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
                "session_id": session.session_id,
                "resume_gateway_url": self._url(),
                "shard": [shard_id, shard_count],
                "application": {"id": str(self.world.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "user_settings": {},
                "presences": [],
                "geo_ordered_rtc_regions": [],
                "guild_join_requests": [],
                "session_type": "normal",
                "auth_session_id_hash": session.session_id,
                "_trace": ["tend-discord-simulator"],
            },
        )
        for guild in guilds:
            if guild.members.get(self.world.bot_user_id) is not None:
                self._send_dispatch(
                    session, "GUILD_CREATE", gateway_guild_payload(self.world, guild, intents)
                )
        session.ready = True

    async def _resume(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        if data.get("token") != self.token:
            await self._close(conn, AUTHENTICATION_FAILED)
            return
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or session.invalidated:
            conn.send({"op": 9, "s": None, "t": None, "d": False})
            return
        old = session.connection
        if old is not None and old is not conn:
            old.session = None
            task = asyncio.create_task(old.close(UNKNOWN_ERROR))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        self.resume_count += 1
        session.connection = conn
        conn.session = session
        after = int(data.get("seq") or 0)
        for frame in session.buffer:
            if frame["s"] > after:
                conn.send(frame)
        self._send_dispatch(session, "RESUMED", {"_trace": ["tend-discord-simulator"]})

    def _request_members(self, session: GatewaySession, data: dict[str, Any]) -> None:
        guild = self.world.guilds.get(int(data.get("guild_id", 0)))
        if guild is None:
            return
        members = list(guild.members.values())
        user_ids = data.get("user_ids")
        if user_ids:
            wanted = {int(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])}
            members = [m for m in members if m.user_id in wanted]
        else:
            query = (data.get("query") or "").lower()
            members = [
                m
                for m in members
                if self.world.users[m.user_id].username.lower().startswith(query)
                or (m.nick or "").lower().startswith(query)
            ]
            limit = int(data.get("limit") or 0)
            if limit:
                members = members[:limit]
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [member_payload(self.world, m) for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("presences"):
            chunk["presences"] = []
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        self._send_dispatch(session, "GUILD_MEMBERS_CHUNK", chunk)

    # ------------------------------------------------------------- dispatch
    def _send_dispatch(self, session: GatewaySession, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.buffer.append(frame)
        if len(session.buffer) > 5000:
            del session.buffer[:1000]
        self.events_sent.setdefault(session.shard_id, []).append(frame)
        if session.connection is not None:
            session.connection.send(frame)

    def target_sessions(self, guild_id: int | None) -> list[GatewaySession]:
        guild = self.world.guilds.get(guild_id) if guild_id is not None else None
        if guild is not None and self.world.bot_user_id not in guild.members:
            return []  # a server the bot hasn't joined (yet): it hears nothing from it
        return [s for s in self.sessions.values() if not s.invalidated and s.ready and s.owns_guild(guild_id)]

    def dispatch(
        self,
        event: str,
        data: dict[str, Any],
        *,
        guild_id: int | None = None,
        intents: int = 0,
        transform: Transform | None = None,
    ) -> int:
        """Send ``event`` to every session of the guild's shard that has any of ``intents``.

        ``intents=0`` means no intent is needed. ``transform`` may reshape (or drop, by
        returning None) the payload per session, e.g. to blank message content.
        Returns how many sessions got it.
        """
        count = 0
        for session in self.target_sessions(guild_id):
            if intents and not session.intents & intents:
                continue
            payload = transform(session, data) if transform is not None else data
            if payload is None:
                continue
            self._send_dispatch(session, event, payload)
            count += 1
        return count

    def send_guild_create(self, guild_id: int) -> None:
        """The bot joined a guild while connected: a full GUILD_CREATE to the guild's shard."""
        guild = self.world.guilds[guild_id]
        for session in self.target_sessions(guild_id):
            payload = gateway_guild_payload(self.world, guild, session.intents)
            # A guild joined (not one coming back from an outage) carries no "unavailable", as on
            # Discord; that is how clients tell on_guild_join from on_guild_available.
            payload.pop("unavailable", None)
            self._send_dispatch(session, "GUILD_CREATE", payload)

    # ------------------------------------------------------------- faults
    def _live(self, shard_id: int | None) -> Iterable[GatewaySession]:
        return [
            s
            for s in self.sessions.values()
            if s.connection is not None and not s.invalidated and (shard_id is None or s.shard_id == shard_id)
        ]

    async def drop(self, shard_id: int | None = None, code: int = UNKNOWN_ERROR) -> int:
        sessions = list(self._live(shard_id))
        for session in sessions:
            conn = session.connection
            session.connection = None
            if conn is not None:
                conn.session = None
                await self._close(conn, code)
        return len(sessions)

    async def invalidate(self, shard_id: int | None = None, resumable: bool = False) -> int:
        sessions = list(self._live(shard_id))
        for session in sessions:
            if not resumable:
                session.invalidated = True
            if session.connection is not None:
                session.connection.send({"op": 9, "s": None, "t": None, "d": resumable})
        return len(sessions)

    def connected(self, shard_id: int | None = None) -> bool:
        return any(s.ready for s in self._live(shard_id))

    def ready_shards(self) -> set[int]:
        return {s.shard_id for s in self._live(None) if s.ready}

    def expected_shards(self) -> set[int]:
        counts = {s.shard_count for s in self.sessions.values()}
        return set(range(max(counts))) if counts else set()

    async def close_all(self) -> None:
        for conn in list(self.connections):
            await conn.close(1001)
