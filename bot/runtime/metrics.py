"""Prometheus metrics for one bot: interactions, their first-response latency, Discord's REST
answers, and (read from the database at scrape time) scheduled work and open cases.

Each bot has its own :class:`CollectorRegistry`, so two bots in one process don't collide.
Labels never carry member text, tokens or ids: commands go by name, components and modals
by the shape of their ``custom_id`` (digits become ``#``, anything else unusual ``*``),
REST calls by route template.

How an interaction is measured, and why there:

* **start**: when discord.py parses INTERACTION_CREATE (a wrapper around its parser), so
  everything Tend does before answering is inside the measurement;
* **first response**: when Discord answers the ``…/callback`` request, seen through an
  aiohttp ``TraceConfig`` on discord.py's own HTTP session (``http_trace=``), so every
  way of answering (reply, defer, modal, autocomplete) is covered by one hook;
* **outcome**: ``refused`` or ``error`` when the one error handler (``report_error``)
  answers it, otherwise ``ok`` once the task that sent the first response has finished;
  ``unanswered`` when nothing answered within :data:`UNANSWERED_AFTER` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
import discord
from discord import app_commands
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from sqlalchemy import case, func, select

from bot.domain.errors import TendError
from models import OPEN_STATUSES, Case, ScheduledItem

if TYPE_CHECKING:
    from bot.infra.db import Database

log = logging.getLogger(__name__)

#: Seconds after which an interaction nobody answered is counted as ``unanswered``
#: (Discord gives up after 3).
UNANSWERED_AFTER = 10.0
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
INTERACTION_KINDS = {2: "command", 3: "component", 4: "autocomplete", 5: "modal"}
_CALLBACK = re.compile(r"/interactions/(?P<id>[0-9]+)/[^/]+/callback$")
_WORD = re.compile(r"@?[a-z][a-z-]{0,23}")


def custom_id_shape(custom_id: str) -> str:
    """A bounded, text-free label for a component or modal: ``case:42:claim`` → ``case:#:claim``."""
    parts = []
    for segment in custom_id.split(":")[:4]:
        if segment.isdigit():
            parts.append("#")
        elif _WORD.fullmatch(segment):
            parts.append(segment)
        else:
            parts.append("*")
    return ":".join(parts) or "*"


def interaction_label(payload: dict[str, Any]) -> tuple[str, str]:
    """(kind, name) of a raw INTERACTION_CREATE payload: ``("command", "/tend doctor")``."""
    kind = INTERACTION_KINDS.get(int(payload.get("type") or 0), "other")
    data = payload.get("data") or {}
    if kind in ("command", "autocomplete"):
        parts = [str(data.get("name", "?"))]
        options = data.get("options") or []
        while options and options[0].get("type") in (1, 2):  # subcommand (group)
            parts.append(str(options[0].get("name")))
            options = options[0].get("options") or []
        name = " ".join(parts)
        return kind, (f"/{name}" if int(data.get("type") or 1) == 1 else name)[:80]
    return kind, custom_id_shape(str(data.get("custom_id", "")))


def route_template(path: str, base_path: str) -> str | None:
    """``/api/v10/channels/123/messages`` → ``/channels/{id}/messages``; None outside the API.

    Interaction and webhook tokens, emoji and anything else that isn't a plain word become ``*``.
    """
    if not path.startswith(base_path + "/"):
        return None
    out = []
    for segment in path[len(base_path) + 1 :].split("/"):
        if segment.isdigit():
            out.append("{id}")
        elif _WORD.fullmatch(segment):
            out.append(segment)
        else:
            out.append("*")
    return "/" + "/".join(out)


def outcome_of(error: BaseException) -> str:
    """``refused`` when Tend said no on purpose (a rule, a check, a cooldown); ``error`` otherwise."""
    original = error
    while isinstance(original, app_commands.CommandInvokeError | app_commands.TransformerError):
        if original.__cause__ is None:
            break
        original = original.__cause__
    refusals = (TendError, app_commands.CheckFailure, app_commands.CommandOnCooldown)
    return "refused" if isinstance(original, refusals) else "error"


@dataclass
class _Pending:
    started: float
    kind: str
    name: str
    answered: bool = False
    outcome: str | None = None


class BotMetrics:
    """The metrics of one bot. Wire it with :meth:`instrument` and :meth:`http_trace`."""

    def __init__(self, *, version: str = "", clock: Callable[[], float] = time.perf_counter):
        self.registry = CollectorRegistry()
        self._clock = clock
        # In memory, safe to lose: timings of interactions not yet answered, for metrics only.
        self._pending: dict[int, _Pending] = {}
        self._received = 0
        self._api_base_path = ""
        r = self.registry
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        self.interactions = Counter(
            "tend_interactions",
            "Interactions handled, by kind (command, component, modal, autocomplete), name and outcome "
            "(ok, refused, error, unanswered).",
            ["kind", "name", "outcome"],
            registry=r,
        )
        self.response_seconds = Histogram(
            "tend_interaction_response_seconds",
            "From receiving an interaction to Discord accepting its first response (reply, defer or modal).",
            ["kind", "name"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.discord_requests = Counter(
            "tend_discord_requests",
            "Discord REST requests answered, by method, route template and HTTP status.",
            ["method", "route", "status"],
            registry=r,
        )
        self.discord_errors = Counter(
            "tend_discord_errors",
            "Discord REST requests that failed: rate_limited (429), client_error (4xx), "
            "server_error (5xx) or connection (no answer).",
            ["method", "route", "kind"],
            registry=r,
        )
        self.scheduled_pending = Gauge(
            "tend_scheduled_items_pending", "Scheduled items waiting to run, by kind.", ["kind"], registry=r
        )
        self.scheduled_late = Gauge(
            "tend_scheduled_items_late",
            "Pending scheduled items already past their due time (beyond the engine's lateness margin).",
            ["kind"],
            registry=r,
        )
        self.scheduled_failed = Gauge(
            "tend_scheduled_items_failed",
            "Scheduled items that failed for good, by kind.",
            ["kind"],
            registry=r,
        )
        self.cases_open = Gauge("tend_cases_open", "Open cases, by kind.", ["kind"], registry=r)
        self.database_up = Gauge(
            "tend_database_up", "1 when the database answered the last scrape.", registry=r
        )
        self.gateway_connected = Gauge(
            "tend_gateway_connected", "1 when this shard's gateway connection is open.", ["shard"], registry=r
        )
        info = Gauge("tend_build_info", "Tend's version.", ["version"], registry=r)
        info.labels(version=version or "unknown").set(1)

    # -- wiring ---------------------------------------------------------------------------

    def http_trace(self) -> aiohttp.TraceConfig:
        """An aiohttp trace for discord.py's HTTP session: REST answers and first responses."""
        trace = aiohttp.TraceConfig()
        trace.on_request_start.append(self._on_request_start)
        trace.on_request_end.append(self._on_request_end)
        trace.on_request_exception.append(self._on_request_exception)
        return trace

    def instrument(self, client: discord.Client) -> None:
        """Start the clock for each interaction as discord.py parses it.

        discord.py has no public hook before it dispatches an interaction to the command tree
        or a view, so this wraps its INTERACTION_CREATE parser (a private detail; discord.py is
        pinned to 2.7.x and tests/test_ops_e2e.py covers it).
        """
        parsers: dict[str, Callable[[Any], None]] = client._connection.parsers
        original = parsers["INTERACTION_CREATE"]

        def parse_interaction_create(data: Any) -> None:
            self.interaction_received(data)
            original(data)

        parsers["INTERACTION_CREATE"] = parse_interaction_create

    # -- interactions ---------------------------------------------------------------------

    def interaction_received(self, payload: dict[str, Any]) -> None:
        kind, name = interaction_label(payload)
        self._pending[int(payload["id"])] = _Pending(self._clock(), kind, name)
        self._received += 1
        if self._received % 256 == 0:
            self.prune()

    def interaction_failed(self, interaction_id: int, error: BaseException) -> None:
        """Called by the one error handler: the interaction ends refused or in error."""
        pending = self._pending.get(interaction_id)
        if pending is not None and pending.outcome is None:
            pending.outcome = outcome_of(error)

    def _answered(self, interaction_id: int) -> None:
        pending = self._pending.get(interaction_id)
        if pending is None or pending.answered:
            return
        pending.answered = True
        elapsed = self._clock() - pending.started
        self.response_seconds.labels(kind=pending.kind, name=pending.name).observe(elapsed)

    def _finish(self, interaction_id: int) -> None:
        pending = self._pending.pop(interaction_id, None)
        if pending is not None:
            outcome = pending.outcome or ("ok" if pending.answered else "unanswered")
            self.interactions.labels(kind=pending.kind, name=pending.name, outcome=outcome).inc()

    def prune(self) -> None:
        """Count interactions nobody answered in time (and forget them)."""
        cutoff = self._clock() - UNANSWERED_AFTER
        for interaction_id in [i for i, p in self._pending.items() if not p.answered and p.started < cutoff]:
            self._finish(interaction_id)

    # -- REST -----------------------------------------------------------------------------

    def _route(self, url: Any) -> str | None:
        if not self._api_base_path:
            self._api_base_path = urlsplit(discord.http.Route.BASE).path.rstrip("/")
        return route_template(url.path, self._api_base_path)

    async def _on_request_start(
        self, _session: aiohttp.ClientSession, _ctx: SimpleNamespace, params: aiohttp.TraceRequestStartParams
    ) -> None:
        match = _CALLBACK.search(params.url.path)
        if match is None:
            return
        interaction_id = int(match["id"])
        task = asyncio.current_task()
        if interaction_id in self._pending and task is not None:
            # The outcome is known once the task that answers has finished (errors included).
            task.add_done_callback(lambda _t: self._finish(interaction_id))

    async def _on_request_end(
        self, _session: aiohttp.ClientSession, _ctx: SimpleNamespace, params: aiohttp.TraceRequestEndParams
    ) -> None:
        route = self._route(params.url)
        if route is None:
            return
        status = params.response.status
        self.discord_requests.labels(method=params.method, route=route, status=str(status)).inc()
        if status >= 400:
            kind = "rate_limited" if status == 429 else "server_error" if status >= 500 else "client_error"
            self.discord_errors.labels(method=params.method, route=route, kind=kind).inc()
        elif route.endswith("/callback"):
            match = _CALLBACK.search(params.url.path)
            if match is not None:
                self._answered(int(match["id"]))

    async def _on_request_exception(
        self,
        _session: aiohttp.ClientSession,
        _ctx: SimpleNamespace,
        params: aiohttp.TraceRequestExceptionParams,
    ) -> None:
        route = self._route(params.url)
        if route is not None:
            self.discord_errors.labels(method=params.method, route=route, kind="connection").inc()

    # -- scrape ---------------------------------------------------------------------------

    async def refresh_from_database(
        self,
        db: Database,
        owns: Callable[[int], bool],
        *,
        now: datetime,
        late_after: timedelta,
        timeout: float = 2.0,
    ) -> bool:
        """Recompute the database gauges (scheduled items, open cases); False if the DB didn't answer.

        An item counts as late once it is ``late_after`` past due at ``now`` (the job engine's time).
        """
        try:
            async with asyncio.timeout(timeout):
                scheduled, cases = await _database_counts(db, now - late_after)
        except Exception as exc:  # the page still serves the other metrics
            log.warning("metrics: the database did not answer (%s)", type(exc).__name__)
            self.database_up.set(0)
            return False
        self.database_up.set(1)
        for gauge in (self.scheduled_pending, self.scheduled_late, self.scheduled_failed, self.cases_open):
            gauge.clear()
        for guild_id, kind, status, count, late in scheduled:
            if not owns(guild_id):
                continue
            if status == "pending":
                self.scheduled_pending.labels(kind=kind).inc(count)
                self.scheduled_late.labels(kind=kind).inc(late or 0)
            else:
                self.scheduled_failed.labels(kind=kind).inc(count)
        for guild_id, kind, count in cases:
            if owns(guild_id):
                self.cases_open.labels(kind=kind).inc(count)
        return True

    def render(self) -> bytes:
        self.prune()
        return generate_latest(self.registry)


async def _database_counts(db: Database, cutoff: datetime) -> tuple[list[Any], list[Any]]:
    async with db.read() as session:
        scheduled = (
            await session.execute(
                select(
                    ScheduledItem.guild_id,
                    ScheduledItem.kind,
                    ScheduledItem.status,
                    func.count(),
                    func.sum(case((ScheduledItem.due_at < cutoff, 1), else_=0)),
                )
                .where(ScheduledItem.status.in_(("pending", "failed")))
                .group_by(ScheduledItem.guild_id, ScheduledItem.kind, ScheduledItem.status)
            )
        ).all()
        cases = (
            await session.execute(
                select(Case.guild_id, Case.kind, func.count())
                .where(Case.status.in_(OPEN_STATUSES))
                .group_by(Case.guild_id, Case.kind)
            )
        ).all()
    return list(scheduled), list(cases)
