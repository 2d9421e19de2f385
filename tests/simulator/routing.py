"""Small REST routing layer: route templates, parsed requests, Discord-shaped errors.

Route templates use discord.py's own spelling (``/channels/{channel_id}/messages``), so a
test can say ``sim.requests_for("POST", "/channels/{channel_id}/messages")``. When two
templates match a path, the one with fewer placeholders wins (``/users/@me`` over
``/users/{user_id}``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .state import UnknownEntity

_PLACEHOLDER = re.compile(r"\{[^}]+\}")


def normalize_template(template: str) -> str:
    """``/channels/{channel_id}/messages`` and ``/channels/{id}/messages`` compare equal."""
    return _PLACEHOLDER.sub("{}", template.rstrip("/") or "/")


class ApiError(Exception):
    """A Discord JSON error: ``{"message": ..., "code": ...}`` with an HTTP status."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            data["errors"] = self.errors
        return data


_UNKNOWN = {
    "channel": (10003, "Unknown Channel"),
    "guild": (10004, "Unknown Guild"),
    "member": (10007, "Unknown Member"),
    "message": (10008, "Unknown Message"),
    "role": (10011, "Unknown Role"),
    "user": (10013, "Unknown User"),
    "webhook": (10015, "Unknown Webhook"),
    "interaction": (10062, "Unknown interaction"),
    "command": (10063, "Unknown application command"),
}


def unknown_error(kind: str) -> ApiError:
    code, message = _UNKNOWN.get(kind, (0, "404: Not Found"))
    return ApiError(404, code, message)


def error_from_unknown(exc: UnknownEntity) -> ApiError:
    return unknown_error(exc.kind)


def missing_permissions() -> ApiError:
    return ApiError(403, 50013, "Missing Permissions")


def missing_access() -> ApiError:
    return ApiError(403, 50001, "Missing Access")


def invalid_body(field_name: str, message: str) -> ApiError:
    return ApiError(
        400,
        50035,
        "Invalid Form Body",
        {field_name: {"_errors": [{"code": "BASE_TYPE_INVALID", "message": message}]}},
    )


@dataclass
class UploadedFile:
    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class ApiRequest:
    method: str
    path: str
    route: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    files: list[UploadedFile]
    headers: dict[str, str]

    def snowflake(self, name: str, kind: str) -> int:
        """A path parameter as an int; a malformed snowflake is reported like an unknown id."""
        raw = self.params[name]
        if not raw.isdigit():
            raise unknown_error(kind)
        return int(raw)

    def body(self) -> dict[str, Any]:
        if self.json is None:
            return {}
        if not isinstance(self.json, dict):
            raise ApiError(400, 50109, "The request body contains invalid JSON.")
        return self.json

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() in ("1", "true")


@dataclass
class ApiResponse:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RecordedRequest:
    """One REST request the bot made, as the sim saw it."""

    method: str
    route: str | None
    path: str
    query: dict[str, str]
    json: Any
    files: list[UploadedFile]
    status: int = 0
    response: Any = None
    at: float = field(default_factory=time.monotonic)


Handler = Callable[[ApiRequest], Awaitable[Any]]


@dataclass
class Route:
    method: str
    template: str
    handler: Handler
    auth: bool
    regex: re.Pattern[str]
    placeholders: int


class Router:
    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler, *, auth: bool = True) -> None:
        pattern = (
            "^"
            + _PLACEHOLDER.sub(lambda m: f"(?P<{m.group(0)[1:-1]}>[^/]+)", _escape_template(template))
            + "$"
        )
        route = Route(method, template, handler, auth, re.compile(pattern), template.count("{"))
        self._routes.append(route)
        self._routes.sort(key=lambda r: r.placeholders)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        path = path.rstrip("/") or "/"
        for route in self._routes:
            if route.method != method:
                continue
            found = route.regex.match(path)
            if found:
                return route, found.groupdict()
        return None

    @property
    def routes(self) -> list[tuple[str, str]]:
        return sorted((r.method, r.template) for r in self._routes)


def _escape_template(template: str) -> str:
    """Escape regex metacharacters outside ``{placeholders}``."""
    out, last = [], 0
    for m in _PLACEHOLDER.finditer(template):
        out.append(re.escape(template[last : m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(re.escape(template[last:]))
    return "".join(out)
