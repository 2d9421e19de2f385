"""The REST pipeline every request goes through.

parse body (JSON or multipart ``payload_json`` + ``files[n]``) -> record -> validate against
the OpenAPI spec -> match a route (unmatched: Discord's 404, remembered as unhandled) ->
check the bot token -> injected faults -> rate-limit mode -> handler -> JSON answer.
Every answer carries ``Via`` (discord.py treats a 429 without it as a Cloudflare ban).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .faults import FaultInjector, RateLimiter, major_parameter
from .routing import (
    ApiError,
    ApiRequest,
    ApiResponse,
    RecordedRequest,
    Router,
    UploadedFile,
    error_from_unknown,
    normalize_template,
)
from .spec import OpenApiSpec, SpecViolation
from .state import UnknownEntity

if TYPE_CHECKING:
    from .server import DiscordSimulator

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
ATTACHMENTS_PREFIX = "/attachments"


class RestServer:
    def __init__(self, sim: DiscordSimulator, spec: OpenApiSpec | None) -> None:
        self.sim = sim
        self.router = Router()
        self.spec = spec
        self.requests: list[RecordedRequest] = []
        self.unhandled: list[RecordedRequest] = []
        self.spec_violations: list[SpecViolation] = []
        self.internal_errors: list[str] = []
        self.faults = FaultInjector()
        self.rate_limits = RateLimiter()

    # ---------------------------------------------------------------- intake
    async def _read_body(self, request: web.Request) -> tuple[Any, list[UploadedFile]]:
        if not request.can_read_body:
            return None, []
        if request.content_type.startswith("multipart/"):
            payload: Any = None
            files: list[UploadedFile] = []
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                data = await part.read(decode=False)  # type: ignore[union-attr]
                name = part.name or ""  # type: ignore[union-attr]
                if name == "payload_json":
                    payload = json.loads(data)
                else:
                    content_type = part.headers.get("Content-Type", "application/octet-stream")
                    files.append(UploadedFile(name, part.filename or name, content_type, bytes(data)))  # type: ignore[union-attr]
            return payload, files
        raw = await request.read()
        if not raw:
            return None, []
        return json.loads(raw), []

    def _reply(self, record: RecordedRequest, response: ApiResponse) -> web.Response:
        record.status = response.status
        record.response = response.body
        headers = {"Via": "1.1 google", **response.headers}
        if response.status == 204 or response.body is None:
            record.status = 204 if response.status < 300 else response.status
            return web.Response(status=record.status, headers=headers)
        # Exactly "application/json": discord.py compares the header verbatim (no charset).
        headers["Content-Type"] = "application/json"
        return web.Response(body=json.dumps(response.body).encode(), status=response.status, headers=headers)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.path.startswith(ATTACHMENTS_PREFIX + "/"):
            return self._serve_attachment(request)
        if not request.path.startswith(API_PREFIX + "/"):
            return web.json_response({"message": "404: Not Found", "code": 0}, status=404)
        path = request.path[len(API_PREFIX) :]
        method = request.method.upper()
        record = RecordedRequest(method, None, path, dict(request.query), None, [])
        self.requests.append(record)
        try:
            record.json, record.files = await self._read_body(request)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return self._reply(
                record,
                ApiResponse(400, {"message": "The request body contains invalid JSON.", "code": 50109}),
            )

        if self.spec is not None and record.json is not None:
            violation = self.spec.validate(method, path, record.json)
            if violation is not None:
                log.warning("OpenAPI violation: %s", violation)
                self.spec_violations.append(violation)

        matched = self.router.match(method, path)
        if matched is None:
            self.unhandled.append(record)
            return self._reply(record, ApiResponse(404, {"message": "404: Not Found", "code": 0}))
        route, params = matched
        record.route = route.template

        if route.auth and request.headers.get("Authorization") != f"Bot {self.sim.token}":
            return self._reply(record, ApiResponse(401, {"message": "401: Unauthorized", "code": 0}))

        injected = self.faults.take(method, route.template, path)
        if injected is not None:
            return self._reply(record, injected)

        extra_headers: dict[str, str] = {}
        if self.rate_limits.enabled:
            extra_headers, limited = self.rate_limits.check(method, route.template, major_parameter(params))
            if limited is not None:
                return self._reply(record, limited)

        api_request = ApiRequest(
            method=method,
            path=path,
            route=route.template,
            params=params,
            query=dict(request.query),
            json=record.json,
            files=record.files,
            headers=dict(request.headers),
        )
        try:
            result = await route.handler(api_request)
        except ApiError as exc:
            result = ApiResponse(exc.status, exc.body())
        except UnknownEntity as exc:
            err = error_from_unknown(exc)
            result = ApiResponse(err.status, err.body())
        except Exception as exc:
            # A bug in the simulator: answer 400 (a 5xx would make discord.py retry for ~25 s)
            # and let the fixture fail the test with the traceback's summary.
            log.exception("simulator error handling %s %s", method, path)
            self.internal_errors.append(f"{method} {path}: {exc!r}")
            result = ApiResponse(400, {"message": f"simulator error: {exc!r}", "code": 0})
        if not isinstance(result, ApiResponse):
            result = ApiResponse(200 if result is not None else 204, result)
        result.headers = {**extra_headers, **result.headers}
        return self._reply(record, result)

    def _serve_attachment(self, request: web.Request) -> web.Response:
        parts = request.path[len(ATTACHMENTS_PREFIX) + 1 :].split("/")
        if len(parts) >= 2 and parts[1].isdigit():
            att_id = int(parts[1])
            loose = self.sim.loose_files.get(att_id)
            if loose is not None:
                return web.Response(body=loose.data, content_type=loose.content_type)
            for msg in self.sim.world.messages.values():
                stored = msg.files.get(att_id)
                if stored is not None:
                    return web.Response(body=stored.data, content_type=stored.content_type)
        return web.Response(status=404, text="not found")

    # -------------------------------------------------------------- queries
    def requests_for(self, method: str, route: str) -> list[RecordedRequest]:
        wanted = normalize_template(route)
        return [
            r
            for r in self.requests
            if r.method == method.upper()
            and ((r.route is not None and normalize_template(r.route) == wanted) or r.path == route)
        ]
