from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.infra.db import Database

from .databases import database_url_for, migrated_database
from .simulator import DiscordSimulator
from .tend import Tend, running_tend

pytest_plugins = ["tests.simulator.pytest_plugin"]

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test that uses the database runs once on SQLite and once on PostgreSQL."""
    return await database_url_for(request.param, tmp_path)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    async for database in migrated_database(database_url):
        yield database


@pytest.fixture
async def tend(discord_sim: DiscordSimulator, database_url: str, tmp_path: Path) -> AsyncIterator[Tend]:
    """The real Tend against the simulator, in the standard world, on both databases."""
    async with running_tend(discord_sim, database_url, tmp_path) as running:
        yield running
