"""The tests' clock: a fixed start, real speed after it, and jumps only forward."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from .clock import DEFAULT_EPOCH, EPOCH_VARIABLE, TestClock, configured_epoch


def test_starts_at_the_documented_thursday_morning_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(EPOCH_VARIABLE, raising=False)
    assert DEFAULT_EPOCH.weekday() == 3 and DEFAULT_EPOCH.hour == 10 and configured_epoch() == DEFAULT_EPOCH
    monkeypatch.setenv(EPOCH_VARIABLE, "2026-11-22T23:30")  # no offset: UTC
    assert configured_epoch() == datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    monkeypatch.setenv(EPOCH_VARIABLE, "2026-11-23T08:00+09:00")
    assert configured_epoch() == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    assert TestClock()() - datetime(2026, 11, 22, 23, 0, tzinfo=UTC) < timedelta(seconds=1)
    monkeypatch.setenv(EPOCH_VARIABLE, "next tuesday")
    with pytest.raises(ValueError, match=EPOCH_VARIABLE):
        configured_epoch()


def test_runs_at_real_speed_and_jumps_only_forward() -> None:
    start = datetime(2026, 11, 19, 10, 0, tzinfo=UTC)
    clock = TestClock(start)
    first = clock()
    assert timedelta(0) <= first - start < timedelta(seconds=1)
    time.sleep(0.02)
    assert clock() - first >= timedelta(seconds=0.02)
    after = clock.advance(days=3, hours=1)
    assert timedelta(days=3, hours=1) <= after - first < timedelta(days=3, hours=1, seconds=1)
    assert clock.advance(timedelta(minutes=5)) - after >= timedelta(minutes=5)
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert timedelta(0) <= clock.set(monday) - monday < timedelta(seconds=1)
    with pytest.raises(ValueError, match="only runs forward"):
        clock.set(start)
    with pytest.raises(ValueError, match="only runs forward"):
        clock.advance(hours=-1)
    with pytest.raises(ValueError):
        TestClock(datetime(2026, 11, 19, 10, 0))  # naive
