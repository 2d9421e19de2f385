"""The facade: :class:`DiscordSimulator` owns the loopback server and every part of the sim.

Point discord.py at it with::

    discord.http.Route.BASE = sim.api_base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sim.gateway_url)

(:func:`tests.simulator.point_discord_at` does both and undoes them.)
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import warnings
from pathlib import Path
from typing import Any

from aiohttp import web

from . import routes_channels, routes_core, routes_moderation
from .actions import Actions
from .events import Events
from .faults import FailureRule
from .gateway import GatewayHub
from .interactions import DeadlineMiss, InteractionManager
from .messages import MessageFactory
from .payloads import user_payload
from .people import PeopleMixin
from .readback import ReadbackMixin
from .rest import API_PREFIX, ATTACHMENTS_PREFIX, RestServer
from .routing import RecordedRequest
from .spec import OpenApiSpec, SpecViolation, load_spec
from .state import StoredFile, World
from .world_api import WorldBuildingMixin

log = logging.getLogger(__name__)

#: ``<repo>/../shared/discord-api-spec/openapi.json`` (the repo root is two levels up).
DEFAULT_SPEC_PATH = (
    Path(__file__).resolve().parents[2].parent / "shared" / "discord-api-spec" / "openapi.json"
)
_DEFAULT: Any = object()


class DiscordSimulator(WorldBuildingMixin, PeopleMixin, ReadbackMixin):
    """A loopback Discord (REST v10 + gateway) for the real discord.py client."""

    def __init__(
        self,
        spec_path: Path | str | None = _DEFAULT,
        *,
        token: str | None = None,
        bot_name: str = "Tend",
        heartbeat_interval_ms: int = 41250,
        interaction_deadline: float = 3.0,
    ) -> None:
        self.token: str = token or f"sim.{secrets.token_urlsafe(24)}"
        self.world = World(bot_name=bot_name)
        self.spec: OpenApiSpec | None = self._load_spec(spec_path)
        self.interaction_deadline = interaction_deadline
        self.loose_files: dict[int, StoredFile] = {}
        self._port: int | None = None
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

        self.rest = RestServer(self, self.spec)
        self.gateway = GatewayHub(self.world, self.token, lambda: self.gateway_url)
        self.gateway.heartbeat_interval_ms = heartbeat_interval_ms
        self.events = Events(self.world, self.gateway)
        self.messages = MessageFactory(self.world, "http://127.0.0.1:0" + ATTACHMENTS_PREFIX)
        self.interactions = InteractionManager(self)
        self.actions = Actions(self)
        routes_core.register(self)
        routes_channels.register(self)
        routes_moderation.register(self)
        self.interactions.register()

    @staticmethod
    def _load_spec(spec_path: Path | str | None) -> OpenApiSpec | None:
        explicit = spec_path is not _DEFAULT
        path = (
            Path(spec_path)
            if spec_path not in (None, _DEFAULT)
            else (DEFAULT_SPEC_PATH if not explicit else None)
        )
        if path is None:
            return None
        if not path.is_file():
            warnings.warn(
                f"Discord OpenAPI spec not found at {path}; request bodies will not be validated",
                stacklevel=3,
            )
            return None
        return load_spec(path)

    # -------------------------------------------------------------- lifecycle
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind the server (a free port by default)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._entry)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, host, port)
        await self._site.start()
        server = self._site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.messages.files_url = f"http://127.0.0.1:{self._port}{ATTACHMENTS_PREFIX}"

    async def stop(self) -> None:
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DiscordSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _entry(self, request: web.Request) -> web.StreamResponse:
        if request.path == "/" and request.headers.get("Upgrade", "").lower() == "websocket":
            return await self.gateway.handle(request)
        return await self.rest.handle(request)

    # ------------------------------------------------------------- addresses
    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the simulator is not started")
        return self._port

    @property
    def api_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    @property
    def application_id(self) -> int:
        return self.world.application_id

    @property
    def bot_user_id(self) -> int:
        return self.world.bot_user_id

    @property
    def spec_enabled(self) -> bool:
        return self.spec is not None

    @property
    def heartbeat_interval_ms(self) -> int:
        return self.gateway.heartbeat_interval_ms

    @heartbeat_interval_ms.setter
    def heartbeat_interval_ms(self, value: int) -> None:
        self.gateway.heartbeat_interval_ms = value

    # -------------------------------------------------------------- records
    @property
    def requests(self) -> list[RecordedRequest]:
        return self.rest.requests

    @property
    def unhandled_routes(self) -> list[RecordedRequest]:
        return self.rest.unhandled

    @property
    def spec_violations(self) -> list[SpecViolation]:
        return self.rest.spec_violations

    @property
    def internal_errors(self) -> list[str]:
        """Exceptions inside the simulator itself (REST handlers, gateway frames)."""
        return self.rest.internal_errors + self.gateway.internal_errors

    @property
    def deadline_misses(self) -> list[DeadlineMiss]:
        return self.interactions.deadline_misses

    @property
    def gateway_events_sent(self) -> dict[int, list[dict[str, Any]]]:
        """Dispatch frames (op 0) sent, per shard id, in order."""
        return self.gateway.events_sent

    def loop_time(self) -> float:
        return asyncio.get_running_loop().time()

    def payload_user(self, user_id: int) -> dict[str, Any]:
        return user_payload(self.world.user(user_id))

    # ------------------------------------------------------------- faults
    def inject_failure(
        self,
        method: str,
        route: str | re.Pattern[str],
        status: int = 500,
        times: int = 1,
        retry_after: float = 0.05,
        code: int | None = None,
        global_: bool = False,
        message: str | None = None,
    ) -> FailureRule:
        """Answer the next ``times`` matching requests with an error.

        ``route`` is a route template (``"/channels/{channel_id}/messages"``), a regex
        string or compiled pattern matched against the path after ``/api/v10``; ``method``
        may be ``"*"``. 429s carry ``retry_after``/``global`` and rate-limit headers.
        """
        return self.rest.faults.add(
            FailureRule(method.upper(), route, status, times, retry_after, code, global_, message)
        )

    def clear_failures(self) -> None:
        self.rest.faults.clear()

    def enable_rate_limits(self, per_route: int = 5, per_seconds: float = 1.0) -> None:
        """Fixed-window buckets per (route, major parameter) with X-RateLimit headers and 429s."""
        self.rest.rate_limits.per_route = per_route
        self.rest.rate_limits.per_seconds = per_seconds
        self.rest.rate_limits.windows.clear()

    def disable_rate_limits(self) -> None:
        self.rest.rate_limits.per_route = None

    async def drop_gateway(self, shard_id: int | None = None, code: int = 4000) -> int:
        """Close the websocket(s) with ``code``; the session stays resumable."""
        return await self.gateway.drop(shard_id, code)

    async def invalidate_session(self, shard_id: int | None = None, resumable: bool = False) -> int:
        """Send op 9 (INVALID_SESSION); unless resumable, the client must IDENTIFY again."""
        return await self.gateway.invalidate(shard_id, resumable)

    def gateway_connected(self, shard_id: int | None = None) -> bool:
        return self.gateway.connected(shard_id)

    async def wait_ready(self, shard_ids: list[int] | None = None, timeout: float = 10.0) -> None:
        """Wait until every expected shard (all of ``shard_count``, or ``shard_ids``) has
        identified and been sent its guilds."""

        def ready() -> bool:
            wanted = set(shard_ids) if shard_ids is not None else self.gateway.expected_shards()
            return bool(wanted) and wanted <= self.gateway.ready_shards()

        await self.wait_for(ready, timeout)
