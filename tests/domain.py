"""The domain without Discord, for service tests: two servers in the config, actors, services."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.domain.authority import Actor, Authority
from bot.domain.cases import CaseService
from bot.domain.cases.reports import ReportService
from bot.domain.config import parse_settings
from bot.domain.followups import (
    FollowUpService,
)
from bot.infra.db import Database
from bot.infra.jobs import Job, JobEngine

from .clock import TestClock

# The smallest config that works: a server, a moderator role, a queue and a support channel.
MINIMAL = {
    "guilds": [
        {
            "id": 111111111111111111,
            "moderator_roles": [222222222222222222],
            "channels": {"queue": 333333333333333333, "support": 444444444444444444},
        }
    ]
}

GUILD, OTHER_GUILD = 1 << 41, 1 << 42
MOD, MOD2 = 1 << 43, 1 << 44
MOD_ROLE, OTHER_MOD_ROLE = 1 << 45, 1 << 46


def _guild(guild_id: int, role: int) -> dict[str, object]:
    return {"id": guild_id, "moderator_roles": [role], "channels": {"queue": 1 << 47, "support": 1 << 48}}


SETTINGS = parse_settings(
    {"guilds": [_guild(GUILD, MOD_ROLE), _guild(OTHER_GUILD, OTHER_MOD_ROLE)]}, {"DISCORD_TOKEN": "x"}
)


def mod(user: int = MOD, guild: int = GUILD, role: int = MOD_ROLE) -> Actor:
    return Actor.of(user, guild, [role])


def member(user: int, guild: int = GUILD) -> Actor:
    return Actor.of(user, guild)


async def _noop(job: Job) -> None:
    return None


def case_service(db: Database) -> CaseService:
    """Cases on a job engine with no handlers: the items they add are what these tests check."""
    clock = TestClock()
    engine = JobEngine(db, AsyncIOScheduler(timezone="UTC"), clock=clock)
    return CaseService(db, engine, Authority(SETTINGS), clock)


def report_service(cases: CaseService) -> ReportService:
    return ReportService(cases)


def followup_service(cases: CaseService) -> FollowUpService:
    return FollowUpService(cases.db, cases.jobs, cases, SETTINGS, cases.clock)
