"""What Tend holds about a member, their export, their deletion, and the retention purge.

Rules: a member sees and exports only what is theirs (their own words, read back for
them; never someone else's, never a reporter's name, never moderators' notes); deletion
removes what moderation doesn't need and unlinks them from what it does; the retention
purge strips text and member ids from old closed cases but keeps the audit trail, which
never held member text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import OPEN_STATUSES, AuditEvent, Case, CheckinOptOut, FollowUp, ScheduledItem, utcnow

from .cases.store import audit, reference
from .config import Settings
from .db import Database
from .jobs import Clock, JobEngine

# Pending work that would name or message the member about a report they filed.
_REPORTER_JOBS = ("report.notify",)
_FINISHED_JOBS = ("done", "cancelled", "failed")


@dataclass(frozen=True)
class HeldData:
    """Counts and dates of what Tend holds about one member in one guild."""

    support_cases: int
    reports_filed: int
    distress_notices: int
    reminders: int
    checkins: int
    checkins_stopped: bool
    first_at: datetime | None
    last_at: datetime | None

    @property
    def empty(self) -> bool:
        return (
            not (
                self.support_cases
                or self.reports_filed
                or self.distress_notices
                or self.reminders
                or self.checkins
            )
            and not self.checkins_stopped
        )


@dataclass(frozen=True)
class Deleted:
    intake_texts: int = 0
    reports_unlinked: int = 0
    reminders: int = 0


@dataclass(frozen=True)
class Purged:
    cases: int = 0
    followups: int = 0
    jobs: int = 0
    case_ids: list[int] = field(default_factory=list)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class PrivacyService:
    def __init__(self, db: Database, jobs: JobEngine, settings: Settings, clock: Clock = utcnow):
        self.db = db
        self.jobs = jobs
        self.settings = settings
        self.clock = clock

    async def _cases(self, session: AsyncSession, guild_id: int, member_id: int) -> list[Case]:
        return list(
            (
                await session.scalars(
                    select(Case)
                    .where(Case.guild_id == guild_id, Case.member_id == member_id)
                    .order_by(Case.opened_at)
                )
            ).all()
        )

    async def _followups(self, session: AsyncSession, guild_id: int, member_id: int) -> list[FollowUp]:
        return list(
            (
                await session.scalars(
                    select(FollowUp)
                    .where(
                        FollowUp.guild_id == guild_id,
                        or_(
                            (FollowUp.kind == "reminder") & (FollowUp.owner_id == member_id),
                            (FollowUp.kind == "followup") & (FollowUp.member_id == member_id),
                        ),
                    )
                    .order_by(FollowUp.created_at)
                )
            ).all()
        )

    async def held(self, guild_id: int, member_id: int) -> HeldData:
        """What Tend holds about the member (their cases, reminders, check-ins): counts and dates."""
        async with self.db.read() as session:
            cases = await self._cases(session, guild_id, member_id)
            followups = await self._followups(session, guild_id, member_id)
            stopped = await session.get(CheckinOptOut, (guild_id, member_id)) is not None
        dates = [c.opened_at for c in cases] + [f.created_at for f in followups]
        return HeldData(
            support_cases=sum(c.kind == "support" for c in cases),
            reports_filed=sum(c.kind == "report" for c in cases),
            distress_notices=sum(c.kind == "distress" for c in cases),
            reminders=sum(f.kind == "reminder" for f in followups),
            checkins=sum(f.kind == "followup" and f.checkin not in (None, "skipped") for f in followups),
            checkins_stopped=stopped,
            first_at=min(dates) if dates else None,
            last_at=max(dates) if dates else None,
        )

    async def export(self, guild_id: int, member_id: int) -> dict[str, Any]:
        """Everything that is the member's own, their words decrypted, as JSON-ready data."""
        async with self.db.read() as session:
            cases = await self._cases(session, guild_id, member_id)
            followups = await self._followups(session, guild_id, member_id)
            stopped = await session.get(CheckinOptOut, (guild_id, member_id))
        support = [
            {
                "reference": reference(c.kind, c.number),
                "topic": c.topic,
                "status": c.status,
                "opened_at": _iso(c.opened_at),
                "closed_at": _iso(c.closed_at),
                "what_you_wrote": c.body,
                "your_survey_answer": c.survey_answer,
            }
            for c in cases
            if c.kind == "support"
        ]
        reports = [
            {
                "reference": reference(c.kind, c.number),
                "rule": c.rule_id,
                "anonymous": c.anonymous,
                "status": c.status,
                "filed_at": _iso(c.opened_at),
                "closed_at": _iso(c.closed_at),
                "outcome": c.outcome,
                "what_you_wrote": c.body,
            }
            for c in cases
            if c.kind == "report"
        ]
        distress = [
            {
                "reference": reference(c.kind, c.number),
                "category": c.topic,
                "noticed_at": _iso(c.opened_at),
                "status": c.status,
                "note": "Tend keeps no copy of the message, only a link to it.",
            }
            for c in cases
            if c.kind == "distress"
        ]
        reminders = [
            {
                "text": f.note,
                "due_at": _iso(f.due_at),
                "status": f.status,
                "by_dm": f.by_dm,
            }
            for f in followups
            if f.kind == "reminder"
        ]
        checkins = [
            {"due_at": _iso(f.first_due_at), "check_in": f.checkin}
            for f in followups
            if f.kind == "followup" and f.checkin not in (None, "skipped")
        ]
        return {
            "server_id": str(guild_id),
            "member_id": str(member_id),
            "exported_at": _iso(self.clock()),
            "support_requests": support,
            "reports_you_filed": reports,
            "distress_notices": distress,
            "reminders": reminders,
            "check_ins": checkins,
            "check_ins_stopped_at": _iso(stopped.created_at) if stopped else None,
            "not_included": (
                "Moderators' own notes and reflections, and anything other people wrote, "
                "are not yours to export."
            ),
        }

    async def delete_mine(self, guild_id: int, member_id: int) -> Deleted:
        """Delete what can be deleted: intake text, the reporter link on reports, own reminders.

        Reports stay for moderation (they may protect others) but no longer name the member.
        A "please stop checking in" choice is kept, so deleting doesn't restart check-ins.
        """
        now = self.clock()

        async def work(session: AsyncSession) -> Deleted:
            cases = await self._cases(session, guild_id, member_id)
            intake = 0
            unlinked: list[int] = []
            for case in cases:
                if case.kind == "support" and case.body is not None:
                    case.body = None
                    intake += 1
                elif case.kind == "report":
                    case.member_id = None
                    unlinked.append(case.id)
            if unlinked:
                await session.execute(
                    update(AuditEvent)
                    .where(AuditEvent.case_id.in_(unlinked), AuditEvent.actor_id == member_id)
                    .values(actor_id=None)
                )
                await session.execute(
                    update(ScheduledItem)
                    .where(
                        ScheduledItem.case_id.in_(unlinked),
                        ScheduledItem.kind.in_(_REPORTER_JOBS),
                        ScheduledItem.status == "pending",
                    )
                    .values(status="cancelled", finished_at=now, dedupe_key=None)
                )
            reminders = (
                await session.scalars(
                    select(FollowUp.id).where(
                        FollowUp.guild_id == guild_id,
                        FollowUp.kind == "reminder",
                        FollowUp.owner_id == member_id,
                    )
                )
            ).all()
            if reminders:
                await session.execute(
                    update(ScheduledItem)
                    .where(
                        ScheduledItem.dedupe_key.in_([f"followup:{i}" for i in reminders]),
                        ScheduledItem.status == "pending",
                    )
                    .values(status="cancelled", finished_at=now, dedupe_key=None)
                )
                await session.execute(delete(FollowUp).where(FollowUp.id.in_(list(reminders))))
            result = Deleted(intake_texts=intake, reports_unlinked=len(unlinked), reminders=len(reminders))
            # The audit trail records that a deletion happened, not who asked for it.
            audit(
                session,
                None,
                "privacy_deleted",
                None,
                guild_id=guild_id,
                intake_texts=result.intake_texts,
                reports_unlinked=result.reports_unlinked,
                reminders=result.reminders,
            )
            return result

        return await self.db.write(work)

    async def purge_expired(self, guild_id: int) -> Purged:
        """The retention purge for one guild: closed cases past ``privacy.retention_days`` lose
        their text (and the member ids moderation doesn't need); finished reminders and jobs
        past it are deleted. Audit events stay (they never held member text)."""
        guild = self.settings.guild(guild_id)
        if guild is None:
            return Purged()
        cutoff = self.clock() - timedelta(days=guild.privacy.retention_days)

        async def work(session: AsyncSession) -> Purged:
            cases = (
                await session.scalars(
                    select(Case).where(
                        Case.guild_id == guild_id,
                        Case.status.not_in(OPEN_STATUSES),
                        Case.closed_at.is_not(None),
                        Case.closed_at < cutoff,
                        or_(
                            Case.body.is_not(None),
                            Case.snapshot.is_not(None),
                            Case.note.is_not(None),
                            Case.member_id.is_not(None),
                        ),
                    )
                )
            ).all()
            for case in cases:
                case.body = case.snapshot = case.note = None
                # The reported member (subject_id) stays: a pattern of conduct is moderation's to see.
                case.member_id = None
                if case.kind == "support":
                    case.topic = None  # /support's topic is free text; a distress category isn't
                audit(session, case, "purged", None, retention_days=guild.privacy.retention_days)
            followups = await session.execute(
                delete(FollowUp).where(
                    FollowUp.guild_id == guild_id,
                    FollowUp.status.in_(("done", "cancelled")),
                    FollowUp.due_at < cutoff,
                )
            )
            jobs = await session.execute(
                delete(ScheduledItem).where(
                    ScheduledItem.guild_id == guild_id,
                    ScheduledItem.status.in_(_FINISHED_JOBS),
                    ScheduledItem.finished_at < cutoff,
                )
            )
            return Purged(
                cases=len(cases),
                followups=int(getattr(followups, "rowcount", 0) or 0),
                jobs=int(getattr(jobs, "rowcount", 0) or 0),
                case_ids=[c.id for c in cases],
            )

        return await self.db.write(work)
