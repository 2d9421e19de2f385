"""Snowflake ids and timestamps shaped like Discord's.

A snowflake is ``(ms_since_discord_epoch << 22) | (worker << 17) | (process << 12) | counter``.
The shard of a guild is ``(guild_id >> 22) % shard_count``, so the millisecond part decides it.
"""

from __future__ import annotations

import datetime as dt
import time

DISCORD_EPOCH_MS = 1420070400000
_WORKER_BITS = 1 << 17  # worker 1, process 0: looks like a real id, never collides with 0


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime | None) -> str | None:
    """ISO-8601 with an explicit UTC offset, as Discord sends timestamps."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat()


def snowflake_time(snowflake: int) -> dt.datetime:
    ms = (snowflake >> 22) + DISCORD_EPOCH_MS
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


class SnowflakeFactory:
    """Makes strictly increasing snowflakes for "now", and plausible ones for past moments."""

    def __init__(self) -> None:
        self._last_ms = 0
        self._counter = 0

    def next(self, at: dt.datetime | None = None) -> int:
        if at is not None:
            ms = int(at.timestamp() * 1000) - DISCORD_EPOCH_MS
            self._counter = (self._counter + 1) & 0xFFF
            return (max(ms, 0) << 22) | _WORKER_BITS | self._counter
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        if ms <= self._last_ms:
            ms = self._last_ms
            self._counter += 1
            if self._counter > 0xFFF:
                ms += 1
                self._counter = 0
        else:
            self._counter = 0
        self._last_ms = ms
        return (ms << 22) | _WORKER_BITS | self._counter

    def next_on_shard(self, shard_id: int, shard_count: int) -> int:
        """A fresh id whose shard (``(id >> 22) % shard_count``) is ``shard_id``."""
        if not 0 <= shard_id < shard_count:
            raise ValueError(f"shard {shard_id} is not in 0..{shard_count - 1}")
        ms = max(int(time.time() * 1000) - DISCORD_EPOCH_MS, self._last_ms + 1)
        ms += (shard_id - ms) % shard_count
        self._last_ms = ms
        self._counter = 0
        return (ms << 22) | _WORKER_BITS
