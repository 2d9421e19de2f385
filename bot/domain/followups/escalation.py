"""On-call escalation: a case nobody acknowledges pings the on-call role, twice at most."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.cases.store import audit
from bot.domain.followups.base import FollowUpBase
from bot.infra.jobs import Job, JobKind
from models import Case, ScheduledItem


@dataclass(frozen=True)
class EscalationStep:
    step: int = 1


# Declared beside the service that schedules it.
CASE_ESCALATE = JobKind("case.escalate", EscalationStep)


class Escalation(FollowUpBase):
    async def schedule_escalation(self, session: AsyncSession, case: Case) -> None:
        """On a new case (inside its transaction): ping on-call if nobody acknowledges it in time."""
        guild = self.settings.guild(case.guild_id)
        if guild is None or guild.oncall.role is None or case.acknowledged_at is not None:
            return
        if case.kind == "distress":
            return  # a distress notice stays quiet: no one is paged about a member's words
        await self.jobs.add(
            session,
            guild_id=case.guild_id,
            kind=CASE_ESCALATE,
            due_at=case.opened_at + timedelta(minutes=guild.oncall.after_minutes),
            case_id=case.id,
            payload=EscalationStep(1),
            dedupe_key=f"escalate:{case.id}:1",
        )

    async def escalation_due(self, job: Job[EscalationStep]) -> Case | None:
        """The case if it still waits for someone (then the next ping is scheduled); else None."""
        guild = self.settings.guild(job.guild_id)
        step = job.payload.step
        later: list[ScheduledItem] = []

        async def work(session: AsyncSession) -> Case | None:
            case = await session.get(Case, job.case_id or 0)
            if guild is None or guild.oncall.role is None or case is None:
                return None
            if not case.is_open or case.acknowledged_at is not None:
                return None
            if step == 1:
                wait = guild.oncall.again_after_minutes - guild.oncall.after_minutes
                later.append(
                    await self.jobs.add(
                        session,
                        guild_id=job.guild_id,
                        kind=CASE_ESCALATE,
                        due_at=self.clock() + timedelta(minutes=wait),
                        case_id=case.id,
                        payload=EscalationStep(2),
                        dedupe_key=f"escalate:{case.id}:2",
                    )
                )
            audit(session, case, "escalated", None, step=step)
            return case

        case = await self.db.write(work)
        for item in later:
            self.jobs.arm(item)
        return case
