"""pytest integration: the ``discord_sim`` fixture.

Register from ``tests/conftest.py``::

    pytest_plugins = ["tests.simulator.pytest_plugin"]

The fixture starts a fresh simulator per test and, at teardown, fails the test if the bot
hit a route the simulator doesn't implement or sent a body that breaks Discord's OpenAPI
spec. A test that provokes those on purpose clears ``sim.unhandled_routes`` /
``sim.spec_violations`` before it ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from .server import DiscordSimulator


def _problems(sim: DiscordSimulator) -> list[str]:
    problems = []
    if sim.unhandled_routes:
        lines = "\n".join(f"  {r.method} {r.path}" for r in sim.unhandled_routes)
        problems.append(f"the bot called REST routes the simulator does not implement:\n{lines}")
    if sim.spec_violations:
        lines = "\n".join(f"  {v}" for v in sim.spec_violations)
        problems.append(f"request bodies that violate Discord's OpenAPI spec:\n{lines}")
    if sim.internal_errors:
        lines = "\n".join(f"  {e}" for e in sim.internal_errors)
        problems.append(f"the simulator itself failed (a simulator bug, see the log):\n{lines}")
    return problems


@pytest_asyncio.fixture
async def discord_sim() -> AsyncIterator[DiscordSimulator]:
    """A started :class:`DiscordSimulator`; checks for unhandled routes and spec violations."""
    sim = DiscordSimulator()
    await sim.start()
    try:
        yield sim
        problems = _problems(sim)
        assert not problems, "\n".join(problems)
    finally:
        await sim.stop()
