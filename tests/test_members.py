"""The bounded memory of members Tend met (bot/runtime/members.py), as a unit."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from bot.runtime.members import RecentMembers


def member(guild_id: int, user_id: int) -> Any:
    return SimpleNamespace(guild=SimpleNamespace(id=guild_id), id=user_id)


def test_it_keeps_at_most_its_size_and_drops_the_least_recently_met() -> None:
    recent = RecentMembers(size=3)
    for user in (1, 2, 3):
        recent.remember(member(10, user))
    recent.remember(member(10, 1))  # met again: now the most recent
    recent.remember(member(10, 4))
    assert len(recent) == 3
    assert recent.get(10, 2) is None and recent.get(10, 1) is not None and recent.get(10, 4) is not None


def test_an_entry_goes_stale_and_is_forgotten_when_the_member_leaves() -> None:
    now = [0.0]
    recent = RecentMembers(size=10, fresh_for=60, clock=lambda: now[0])
    recent.remember(member(10, 1))
    recent.remember(member(20, 1))  # the same person in another server is another entry
    now[0] = 30
    assert recent.get(10, 1) is not None
    recent.forget(20, 1)
    assert recent.get(20, 1) is None
    now[0] = 61
    assert recent.get(10, 1) is None and len(recent) == 0
