"""On-call escalation: a case nobody acknowledges pings the on-call role, twice at most.

The waits count team hours only (``[guilds.hours]``): a case opened at night is escalated
after the team's morning has begun, not before. Crisis-category cases (a distress notice of
a possible crisis, a report under a safety rule) don't wait: they escalate at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.cases.store import audit
from bot.domain.config import GuildConfig
from bot.domain.followups.base import FollowUpBase
from bot.domain.hours import team_time_after
from bot.infra.jobs import Job, JobKind
from models import Case, ScheduledItem


@dataclass(frozen=True)
class EscalationStep:
    step: int = 1


# Declared beside the service that schedules it.
CASE_ESCALATE = JobKind("case.escalate", EscalationStep)


def crisis_case(case: Case, guild: GuildConfig) -> bool:
    """A case that may be about someone's safety: it never waits for team hours."""
    if case.kind == "distress":
        return case.topic == "crisis"
    if case.kind == "report":
        rule = guild.rule(case.rule_id or "")
        return rule is not None and rule.category == "safety"
    return False


class Escalation(FollowUpBase):
    async def schedule_escalation(self, session: AsyncSession, case: Case) -> None:
        """On a new case (inside its transaction): ping on-call if nobody acknowledges it in time."""
        guild = self.settings.guild(case.guild_id)
        if guild is None or guild.oncall.role is None or case.acknowledged_at is not None:
            return
        crisis = crisis_case(case, guild)
        if case.kind == "distress" and not crisis:
            return  # a distress notice stays quiet unless it may be a crisis
        wait = timedelta(minutes=guild.oncall.after_minutes)
        await self.jobs.add(
            session,
            guild_id=case.guild_id,
            kind=CASE_ESCALATE,
            due_at=case.opened_at if crisis else team_time_after(guild, case.opened_at, wait),
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
                wait = timedelta(minutes=guild.oncall.again_after_minutes - guild.oncall.after_minutes)
                now = self.clock()
                later.append(
                    await self.jobs.add(
                        session,
                        guild_id=job.guild_id,
                        kind=CASE_ESCALATE,
                        due_at=now + wait if crisis_case(case, guild) else team_time_after(guild, now, wait),
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
