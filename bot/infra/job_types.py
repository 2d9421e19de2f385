"""What the job engine and its users share: job kinds and their payloads, a claimed job, how a
handler says "not now" or "never", and which guilds' items a process runs."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

P = TypeVar("P")
Clock = Callable[[], datetime]


class Retry(Exception):
    """Raised by a handler: not now (Discord busy, rate-limited). Retried without limit."""

    def __init__(self, reason: str, after: float | None = None):
        super().__init__(reason)
        self.after = after


class GiveUp(Exception):
    """Raised by a handler: this can never succeed (the channel is gone for good)."""


@dataclass(frozen=True)
class NoPayload:
    """A job kind that needs nothing but its case, guild and target."""


@dataclass(frozen=True)
class JobKind(Generic[P]):
    """A kind of scheduled item, declared once beside the service that schedules it.

    ``payload`` is a frozen dataclass of what the item carries (ids, labels, Tend's own words;
    never a member's): adding an item takes one, its handler reads one back, typed. Adding never
    depends on a handler being registered (that is the features' business, at load)."""

    name: str
    payload: type[P]

    def dump(self, payload: P) -> dict[str, Any]:
        if not isinstance(payload, self.payload):
            raise TypeError(f"{self.name} carries a {self.payload.__name__}, not {type(payload).__name__}")
        return {k: v for k, v in dataclasses.asdict(payload).items() if v is not None}  # type: ignore[call-overload]

    def load(self, data: Mapping[str, Any]) -> P:
        """The payload of a stored item (keys an older version wrote and this one doesn't know drop out)."""
        known = {f.name for f in dataclasses.fields(self.payload)}  # type: ignore[arg-type]
        renamed: Mapping[str, str] = getattr(self.payload, "legacy_keys", {})
        data = {renamed.get(k, k): v for k, v in data.items()}
        return self.payload(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Job(Generic[P]):
    id: int
    guild_id: int
    kind: str
    case_id: int | None
    target_id: int | None
    due_at: datetime
    attempts: int
    late: bool
    created_by: int | None
    payload: P
    # As stored, for recurring kinds that carry it to their next run.
    raw_payload: dict[str, Any] = field(default_factory=dict)


# What a handler may hand back: more to write in the transaction that marks its item done
# (e.g. "the thread exists now"), so a side effect and its record take one write, not two.
Finish = Callable[[AsyncSession], Awaitable[None]]
Handler = Callable[[Job[Any]], Awaitable[Finish | None]]
# When a recurring kind's item finishes: the time of the next one (None: stop recurring).
Recurrence = Callable[[Job[Any]], datetime | None]


@dataclass(frozen=True)
class Ownership:
    """Which guilds' items this process runs: Discord's shard formula over the configured shards."""

    shard_count: int = 1
    shard_ids: frozenset[int] | None = None

    def owns(self, guild_id: int) -> bool:
        return self.shard_ids is None or (guild_id >> 22) % self.shard_count in self.shard_ids
