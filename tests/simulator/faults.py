"""REST fault injection and an optional rate-limit mode.

Injected failures answer the next N matching requests with an error shaped like Discord's
(429s carry the JSON body and headers discord.py's HTTPClient reads: ``retry_after``,
``global``, ``Retry-After``, ``X-RateLimit-*`` and ``Via``, without which discord.py
treats a 429 as a Cloudflare ban). Rate-limit mode keeps a fixed window per
(route template, major parameter) bucket and sends X-RateLimit headers on every answer.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from typing import Any

from .routing import ApiResponse, normalize_template

_DEFAULT_MESSAGES = {
    400: "400: Bad Request",
    401: "401: Unauthorized",
    403: "Missing Permissions",
    404: "404: Not Found",
    429: "You are being rate limited.",
    500: "500: Internal Server Error",
    502: "502: Bad Gateway",
    503: "503: Service Unavailable",
    504: "504: Gateway Timeout",
}


def _bucket_hash(template: str) -> str:
    return hashlib.sha1(template.encode()).hexdigest()[:16]


def rate_limited_response(
    retry_after: float, *, global_: bool = False, template: str = "", limit: int = 1
) -> ApiResponse:
    headers = {
        "Retry-After": str(max(1, round(retry_after + 0.4999))),
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
        "X-RateLimit-Reset-After": f"{retry_after:.3f}",
        "X-RateLimit-Bucket": _bucket_hash(template),
        "X-RateLimit-Scope": "global" if global_ else "user",
    }
    if global_:
        headers["X-RateLimit-Global"] = "true"
    body = {"message": _DEFAULT_MESSAGES[429], "retry_after": retry_after, "global": global_, "code": 0}
    return ApiResponse(429, body, headers)


@dataclass
class FailureRule:
    method: str
    route: str | re.Pattern[str]
    status: int
    times: int
    retry_after: float = 0.05
    code: int | None = None
    global_: bool = False
    message: str | None = None
    hits: int = 0

    def matches(self, method: str, template: str | None, path: str) -> bool:
        if self.method not in ("*", method):
            return False
        if isinstance(self.route, re.Pattern):
            return self.route.search(path) is not None
        if template is not None and normalize_template(self.route) == normalize_template(template):
            return True
        try:
            return re.fullmatch(self.route, path) is not None
        except re.error:
            return False

    def response(self, template: str) -> ApiResponse:
        if self.status == 429:
            return rate_limited_response(self.retry_after, global_=self.global_, template=template)
        default_code = 50013 if self.status == 403 else 0
        code = self.code if self.code is not None else default_code
        message = self.message or _DEFAULT_MESSAGES.get(self.status, f"{self.status}: Error")
        return ApiResponse(self.status, {"message": message, "code": code})


class FaultInjector:
    def __init__(self) -> None:
        self.rules: list[FailureRule] = []
        self.injected: list[tuple[str, str, int]] = []

    def add(self, rule: FailureRule) -> FailureRule:
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        self.rules.clear()

    def take(self, method: str, template: str | None, path: str) -> ApiResponse | None:
        for rule in self.rules:
            if rule.times > 0 and rule.matches(method, template, path):
                rule.times -= 1
                rule.hits += 1
                self.injected.append((method, path, rule.status))
                return rule.response(template or path)
        return None


@dataclass
class _Window:
    started: float
    used: int = 0


@dataclass
class RateLimiter:
    """Fixed-window buckets; ``None`` limit means the mode is off."""

    per_route: int | None = None
    per_seconds: float = 1.0
    windows: dict[str, _Window] = field(default_factory=dict)
    limited: list[tuple[str, str]] = field(default_factory=list)

    @property
    def enabled(self) -> bool:
        return self.per_route is not None

    def check(self, method: str, template: str, major: str) -> tuple[dict[str, str], ApiResponse | None]:
        """Count one request; returns the headers to add and a 429 when the bucket is spent."""
        assert self.per_route is not None
        key = f"{method} {template}:{major}"
        now = time.monotonic()
        window = self.windows.get(key)
        if window is None or now - window.started >= self.per_seconds:
            window = self.windows[key] = _Window(now)
        reset_after = max(self.per_seconds - (now - window.started), 0.001)
        if window.used >= self.per_route:
            self.limited.append((method, template))
            return {}, rate_limited_response(
                reset_after, template=f"{method} {template}", limit=self.per_route
            )
        window.used += 1
        headers = {
            "X-RateLimit-Limit": str(self.per_route),
            "X-RateLimit-Remaining": str(self.per_route - window.used),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": _bucket_hash(f"{method} {template}"),
        }
        return headers, None


def major_parameter(params: dict[str, Any]) -> str:
    for name in ("channel_id", "guild_id", "webhook_id", "interaction_id"):
        if name in params:
            return str(params[name])
    return ""
