"""Tend's clock in tests: a fixed, documented instant that then runs at real speed.

Tend reads the time only through its injected clock (``build_services(clock=...)``; the
job engine, the case, follow-up and privacy services and the cogs through them). Tests
give it a :class:`TestClock`, so what Tend decides (the next digest, quiet hours, what
"friday" means, retention) is the same on any weekday and at any hour the suite runs.

The clock starts at :data:`DEFAULT_EPOCH`, Thursday 19 November 2026, 10:00 UTC: not a
Monday or Tuesday (where a weekly Monday slot would be close), and away from midnight in
the zones people use (11:00 Berlin, 05:00 New York, 02:00 Los Angeles, 19:00 Tokyo,
21:00 Sydney), with no daylight-saving change within a week either way.

From there it runs with real elapsed time, so an item due "in two seconds" still fires
through APScheduler two seconds later. ``advance(...)`` and ``set(...)`` jump it forward
(never back); after a jump, ``await tend.bot.jobs.sweep()`` and ``await tend.settle()``
fire what became due. Elapsed time is measured on the wall clock, not ``time.monotonic``,
because APScheduler schedules on the wall clock: in lockstep, an item APScheduler fires is
always due by Tend's clock too.

To run the suite as if it were another moment, set ``TEND_TEST_EPOCH`` to an ISO 8601
instant (without an offset it means UTC), e.g. a Sunday just before midnight::

    TEND_TEST_EPOCH=2026-11-22T23:30 bash scripts/test
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

DEFAULT_EPOCH = datetime(2026, 11, 19, 10, 0, tzinfo=UTC)  # a Thursday
EPOCH_VARIABLE = "TEND_TEST_EPOCH"


def configured_epoch() -> datetime:
    """Where a new :class:`TestClock` starts: ``TEND_TEST_EPOCH`` if set, else the default."""
    raw = os.environ.get(EPOCH_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_EPOCH
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{EPOCH_VARIABLE}={raw!r} is not an ISO 8601 time like 2026-11-22T23:30") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class TestClock:
    """A ``Callable[[], datetime]`` for Tend's ``clock``: starts at ``start`` (default:
    :func:`configured_epoch`), runs at real speed, and jumps forward on request."""

    __test__ = False  # not a test class, though pytest would collect the name where imported

    def __init__(self, start: datetime | None = None) -> None:
        start = start if start is not None else configured_epoch()
        if start.tzinfo is None:
            raise ValueError("a TestClock starts at a timezone-aware instant")
        self._base = start.astimezone(UTC)
        self._since = datetime.now(UTC)
        self._last = self._base

    def __call__(self) -> datetime:
        now = self._base + (datetime.now(UTC) - self._since)
        # Never backwards, even if the machine's clock is stepped back under us.
        self._last = max(self._last, now)
        return self._last

    def advance(self, delta: timedelta | None = None, /, **parts: float) -> datetime:
        """Jump forward by ``delta`` and/or ``timedelta(**parts)`` (``advance(days=7)``); the new now."""
        step = (delta or timedelta(0)) + timedelta(**parts)
        if step < timedelta(0):
            raise ValueError("Tend's clock only runs forward")
        self._base += step
        return self()

    def set(self, when: datetime) -> datetime:
        """Jump forward to ``when`` (an instant not in the clock's past) and run on from there."""
        if when.tzinfo is None:
            raise ValueError("set the clock to a timezone-aware instant")
        now = self()
        if when < now:
            raise ValueError(
                f"Tend's clock only runs forward: it is {now.isoformat()}, not {when.isoformat()}"
            )
        return self.advance(when - now)

    def __repr__(self) -> str:
        return f"TestClock({self().isoformat()})"
