"""Running the real Tend against the Discord simulator: a standard world, settings, restarts."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.domain.authority import Actor
from bot.domain.config import Settings, parse_settings
from bot.domain.services import Services, build_services
from bot.infra.crypto import Cipher
from bot.infra.db import Database
from bot.runtime.connection import ready_client
from bot.runtime.core import TendBot
from cogs import EXTENSIONS

from .clock import TestClock
from .simulator import DiscordSimulator, InteractionHandle

VIEW_CHANNEL, MANAGE_MESSAGES, MANAGE_THREADS, MODERATE_MEMBERS = 1 << 10, 1 << 13, 1 << 34, 1 << 40
MODERATOR_PERMISSIONS = MANAGE_MESSAGES | MANAGE_THREADS | MODERATE_MEMBERS


@dataclass
class World:
    """The people and places of a test server."""

    guild: int
    owner: int
    mod_role: int
    queue: int
    support: int
    escalation: int
    general: int
    member: int
    member2: int
    moderator: int
    moderator2: int
    extra: dict[str, int] = field(default_factory=dict)


def build_world(sim: DiscordSimulator, *, with_tend: bool = True) -> World:
    """Haven: its owner, moderators, members and channels; Tend in it unless ``with_tend`` is False
    (then ``sim.invite_bot(world.guild)`` is the owner following the invite link)."""
    owner = sim.add_user("owner")
    guild = sim.add_guild("Haven", owner_id=owner, with_bot=with_tend)
    mod_role = sim.add_role(guild, "Moderators", permissions=MODERATOR_PERMISSIONS)
    # The queue is for moderators only, as the README asks (@everyone's role id is the guild's).
    moderators_only = [
        {"id": str(guild), "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)},
        {"id": str(mod_role), "type": 0, "allow": str(VIEW_CHANNEL), "deny": "0"},
        {"id": str(sim.world.bot_user_id), "type": 1, "allow": str(VIEW_CHANNEL), "deny": "0"},
    ]
    ids = {
        "queue": sim.add_channel(guild, "mod-queue", overwrites=moderators_only),
        "support": sim.add_channel(guild, "support"),
        "escalation": sim.add_channel(guild, "admin-escalations", overwrites=moderators_only),
        "general": sim.add_channel(guild, "general"),
    }
    year_ago = datetime.now(UTC) - timedelta(days=365)
    people = {
        "member": sim.add_user("river", created_at=year_ago),
        "member2": sim.add_user("sky", created_at=datetime.now(UTC) - timedelta(days=3)),
        "moderator": sim.add_user("mod-ash"),
        "moderator2": sim.add_user("mod-birch"),
    }
    sim.add_member(guild, owner)
    for name, user in people.items():
        sim.add_member(
            guild, user, roles=[mod_role] if name.startswith("moderator") else [], joined_at=year_ago
        )
    return World(guild=guild, owner=owner, mod_role=mod_role, **ids, **people)


def guild_table(world: World, **overrides: Any) -> dict[str, Any]:
    table: dict[str, Any] = {
        "id": world.guild,
        "name": "Haven",
        "moderator_roles": [world.mod_role],
        "channels": {"queue": world.queue, "support": world.support, "escalation": world.escalation},
        "rules": [
            {
                "id": "respect",
                "title": "Treat people with respect",
                "text": "No insults or attacks.",
                "category": "harassment",
            },
            {
                "id": "inclusion",
                "title": "Everyone belongs",
                "text": "Impact over intent.",
                "category": "microaggression",
            },
            {"id": "spam", "title": "No spam", "text": "Don't flood channels.", "category": "spam"},
        ],
        "resources": [
            {
                "topic": "crisis",
                "name": "Crisis lines",
                "description": "Call someone now.",
                "url": "https://findahelpline.com",
            },
            {"topic": "wellbeing", "name": "Looking after yourself", "description": "Rest and water."},
        ],
    }
    table.update(overrides)
    return table


def tend_settings(
    sim: DiscordSimulator,
    world: World,
    database_url: str,
    data_dir: Path,
    *,
    bot: dict[str, Any] | None = None,
    extra_guilds: list[dict[str, Any]] | None = None,
    **guild: Any,
) -> Settings:
    data = {
        "bot": {
            "database_url": database_url,
            "data_dir": str(data_dir),
            "api_base_url": sim.api_base_url,
            "gateway_url": sim.gateway_url,
            "shard_count": 1,
            **(bot or {}),
        },
        "guilds": [guild_table(world, **guild), *(extra_guilds or [])],
    }
    return parse_settings(data, {"DISCORD_TOKEN": sim.token})


class Tend:
    """One running Tend process (in this event loop) against the simulator; restartable.

    ``clock`` is Tend's time (a new :class:`TestClock` unless given): it survives restarts,
    so a restart never rewinds time, and a second process sharing the database shares it.
    """

    def __init__(
        self,
        sim: DiscordSimulator,
        world: World,
        settings: Settings,
        db: Database,
        cipher: Cipher,
        *,
        clock: TestClock | None = None,
    ):
        self.sim, self.world, self.settings, self.db, self.cipher = sim, world, settings, db, cipher
        self.clock = clock or TestClock()
        sim.world.clock = self.clock  # Discord's checks of times Tend sends use the same clock
        self._stack: contextlib.AsyncExitStack | None = None
        self.bot: TendBot | None = None
        self.services: Services | None = None

    async def start(self) -> TendBot:
        stack = contextlib.AsyncExitStack()
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.start()
        stack.callback(scheduler.shutdown, wait=False)
        self.services = build_services(
            self.settings, self.db, scheduler, cipher=self.cipher, clock=self.clock
        )
        # TendBot points discord.py at api_base_url and gateway_url from its own settings.
        bot = TendBot(
            settings=self.settings, services=self.services, extensions=EXTENSIONS, guild_ready_timeout=0.05
        )
        await stack.enter_async_context(ready_client(bot, self.sim.token, timeout=10.0))
        self._stack, self.bot = stack, bot
        await asyncio.wait_for(bot.jobs.ready.wait(), timeout=5)
        return bot

    async def stop(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
        self._stack, self.bot = None, None

    async def restart(self) -> TendBot:
        await self.stop()
        return await self.start()

    async def settle(self) -> None:
        """Wait for the jobs this process has in flight (cards, threads, notices)."""
        assert self.bot is not None
        await self.bot.jobs.wait_idle()

    # -- acting as people ---------------------------------------------------------------

    def actor(self, user: int, guild: int | None = None) -> Actor:
        """``user`` acting in ``guild`` (default: the test server) with their roles there, as an
        interaction from Discord would describe them (for calling services directly)."""
        guild = self.world.guild if guild is None else guild
        roles = self.sim.world.member(guild, user).roles
        owner = self.sim.world.guild(guild).owner_id == user
        return Actor.of(user, guild, roles, owner=owner)

    async def slash(
        self, user: int, name: str, channel: int | None = None, **options: Any
    ) -> InteractionHandle:
        sub = options.pop("subcommand", None)
        return await self.sim.invoke_slash(
            self.world.guild, channel or self.world.general, user, name, options=options, subcommand=sub
        )


@contextlib.asynccontextmanager
async def running_tend(
    sim: DiscordSimulator,
    database_url: str,
    tmp_path: Path,
    *,
    world: World | None = None,
    clock: TestClock | None = None,
    **settings: Any,
) -> AsyncIterator[Tend]:
    """Tend on a migrated database, running until the block ends; ``tend.clock`` is its time."""
    world = world or build_world(sim)
    config = tend_settings(sim, world, database_url, tmp_path, **settings)
    from bot.infra.migrate import upgrade

    async with Database.open(config.database_url) as db:
        await upgrade(db.engine)
        tend = Tend(sim, world, config, db, Cipher([Cipher.generate_key()]), clock=clock)
        await tend.start()
        try:
            yield tend
        finally:
            await tend.stop()
