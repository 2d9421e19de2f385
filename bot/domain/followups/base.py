"""What the follow-up services share: their dependencies, and reading a follow-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.cases import CaseService
from bot.domain.config import Settings
from bot.domain.errors import NotFound
from bot.domain.i18n import _
from bot.infra.db import Database
from bot.infra.jobs import Clock, JobEngine, JobKind
from models import FollowUp, ScheduledItem

GONE = _("I can't find that reminder any more. It may have been deleted.")


@dataclass(frozen=True)
class FollowUpRef:
    followup: int = 0


@dataclass(frozen=True)
class ChannelNotice:
    # Tend's own words (ids and labels only), and where they go.
    channel: int = 0
    text: str = ""


# Follow-ups' scheduled work, declared beside the service that schedules it.
FOLLOWUP_DUE = JobKind("followup.due", FollowUpRef)
FOLLOWUP_CHECKIN = JobKind("followup.checkin", FollowUpRef)
FOLLOWUP_NOTICE = JobKind("followup.notice", ChannelNotice)


class FollowUpBase:
    """The dependencies every part of the follow-up service uses (see service.py)."""

    db: Database
    jobs: JobEngine
    cases: CaseService
    settings: Settings
    clock: Clock

    async def get(self, followup_id: int) -> FollowUp:
        async with self.db.read() as session:
            followup = await session.get(FollowUp, followup_id)
        if followup is None:
            raise NotFound(GONE)
        return followup

    async def _cancel_pending(self, session: AsyncSession, followup_id: int) -> None:
        await session.execute(
            update(ScheduledItem)
            .where(ScheduledItem.dedupe_key == f"followup:{followup_id}", ScheduledItem.status == "pending")
            .values(status="cancelled", finished_at=self.clock(), dedupe_key=None)
        )

    def now(self) -> datetime:
        return self.clock()
