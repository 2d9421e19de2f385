"""What Tend holds about a member, their export, their deletion, and the retention purge.

Rules: a person sees and exports only what is theirs (every sealed value they wrote, never
someone else's words, never a reporter's name); deletion removes what moderation doesn't
need and unlinks them from what it does; the retention purge applies each sealed model's
declared rule (old closed cases lose their words and member ids) but keeps the audit trail,
which never holds anyone's words. Which columns hold words, and whose, is declared once on
the models (models/sealed.py); bot/sealing.py turns that into queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.cases.kinds import REPORT_NOTIFY, TRANSCRIPT_UNPOST, UnpostPayload
from bot.domain.cases.store import audit, reference
from bot.domain.config import Settings
from bot.infra.db import Database
from bot.infra.jobs import Clock, JobEngine, JobKind, NoPayload
from bot.infra.sealing import WordsKey, authored, erase_authored, purge_sealed
from models import (
    OPEN_STATUSES,
    AuditEvent,
    Case,
    CaseMessage,
    CheckinOptOut,
    FollowUp,
    MemberPause,
    Reflection,
    ScheduledItem,
    TranscriptPost,
    utcnow,
)

# The daily purge of what is past the retention period: recurring, one pending per guild.
RETENTION = JobKind("tend.retention", NoPayload)

# Pending work that would name or message the member about a report they filed.
_REPORTER_JOBS = (REPORT_NOTIFY.name,)
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
    # Anything else they wrote that Tend keeps (a moderator's notes and reflections).
    other_words: int = 0
    # Messages of their own case threads (their support threads, their report conversations).
    thread_messages: int = 0

    @property
    def empty(self) -> bool:
        return (
            not (
                self.support_cases
                or self.reports_filed
                or self.distress_notices
                or self.reminders
                or self.checkins
                or self.other_words
                or self.thread_messages
            )
            and not self.checkins_stopped
        )


@dataclass(frozen=True)
class Deleted:
    intake_texts: int = 0
    reports_unlinked: int = 0
    reminders: int = 0
    other_texts: int = 0
    # Messages of their support threads (their transcripts).
    thread_messages: int = 0


@dataclass(frozen=True)
class Purged:
    cases: int = 0
    followups: int = 0
    reflections: int = 0
    jobs: int = 0
    case_ids: list[int] = field(default_factory=list)
    thread_messages: int = 0


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


_CASES, _FOLLOW_UPS, _MESSAGES = Case.__tablename__, FollowUp.__tablename__, CaseMessage.__tablename__
# The words a support case's /privacy delete counts as "what you wrote when asking for support".
_INTAKE = ((_CASES, "body"), (_CASES, "topic"))


def _sections(
    cases: list[Case], followups: list[FollowUp], words: dict[WordsKey, Any]
) -> dict[str, list[dict[str, Any]]]:
    """The export's sections, each taking its words out of ``words`` (what the person wrote);
    whatever no section takes is left in ``words`` for the catch-all section."""

    def own(table: str, field: str, row: int) -> Any:
        return words.pop((table, field, row), None)

    return {
        "support_requests": [
            {
                "reference": reference(c.kind, c.number),
                "topic": own(_CASES, "topic", c.id),
                "status": c.status,
                "opened_at": _iso(c.opened_at),
                "closed_at": _iso(c.closed_at),
                "what_you_wrote": own(_CASES, "body", c.id),
                "your_survey_answer": c.survey_answer,
            }
            for c in cases
            if c.kind == "support"
        ],
        "reports_you_filed": [
            {
                "reference": reference(c.kind, c.number),
                "rule": c.rule_id,
                "anonymous": c.anonymous,
                "status": c.status,
                "filed_at": _iso(c.opened_at),
                "closed_at": _iso(c.closed_at),
                "outcome": c.outcome,
                "what_you_wrote": own(_CASES, "body", c.id),
            }
            for c in cases
            if c.kind == "report"
        ],
        "distress_notices": [
            {
                "reference": reference(c.kind, c.number),
                "category": own(_CASES, "topic", c.id),
                "noticed_at": _iso(c.opened_at),
                "status": c.status,
                "note": "Tend keeps no copy of the message, only a link to it.",
            }
            for c in cases
            if c.kind == "distress"
        ],
        "appeals": [
            {
                "reference": reference(c.kind, c.number),
                "about": (c.snapshot or {}).get("action"),
                "asked_at": _iso(c.opened_at),
                "status": c.status,
                "outcome": c.outcome,
                "what_you_wrote": own(_CASES, "body", c.id),
            }
            for c in cases
            if c.kind == "appeal"
        ],
        "reminders": [
            {
                "text": own(_FOLLOW_UPS, "note", f.id),
                "due_at": _iso(f.due_at),
                "status": f.status,
                "by_dm": f.by_dm,
            }
            for f in followups
            if f.kind == "reminder"
        ],
    }


async def own_threads(session: AsyncSession, guild_id: int, member_id: int) -> dict[int, Case]:
    """The case threads that are the member's own, by thread id: their support threads, the
    conversation about a report they filed, the conversation with them about a report on them.
    Never a thread they weren't in (the reporter's, for the reported member)."""
    cases = (
        await session.scalars(
            select(Case).where(
                Case.guild_id == guild_id, or_(Case.member_id == member_id, Case.subject_id == member_id)
            )
        )
    ).all()
    threads: dict[int, Case] = {}
    for case in cases:
        if case.member_id == member_id and case.thread_id is not None:
            threads[case.thread_id] = case
        if case.kind == "report" and case.subject_id == member_id and case.subject_thread_id is not None:
            threads[case.subject_thread_id] = case
    return threads


def _conversations(
    threads: dict[int, Case], rows: list[CaseMessage], member_id: int, words: dict[WordsKey, Any]
) -> list[dict[str, Any]]:
    """The member's own threads, message by message (what they wrote, and what was said to
    them there: they read it at the time). Their own words leave ``words``."""
    out: dict[int, dict[str, Any]] = {}
    for row in rows:
        case = threads[row.thread_id]
        words.pop((_MESSAGES, "record", row.id), None)
        thread = out.setdefault(
            row.thread_id,
            {"reference": reference(case.kind, case.number), "messages": []},
        )
        record = row.record or {}
        thread["messages"].append(
            {
                "at": _iso(row.created_at),
                "from": "you" if row.author_id == member_id else record.get("name") or "someone",
                "text": record.get("text") if row.record is not None else None,
                "earlier_versions": record.get("edits") or [],
                "attachments": record.get("attachments") or [],
                "edited_at": _iso(row.edited_at),
                "deleted_at": _iso(row.deleted_at),
            }
        )
    return list(out.values())


async def _thread_rows(session: AsyncSession, threads: dict[int, Case]) -> list[CaseMessage]:
    if not threads:
        return []
    return list(
        (
            await session.scalars(
                select(CaseMessage)
                .where(
                    CaseMessage.thread_id.in_(list(threads)),
                    CaseMessage.case_id.in_({c.id for c in threads.values()}),
                )
                .order_by(CaseMessage.created_at, CaseMessage.message_id)
            )
        ).all()
    )


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

    async def unpost(self, session: AsyncSession, guild_id: int, case_ids: Any) -> int:
        """Delete the posted copies of these cases' transcripts from Discord (durable jobs) and
        forget where they were. ``case_ids``: a list, or a query of ids."""
        posts = (
            await session.scalars(
                select(TranscriptPost).where(
                    TranscriptPost.guild_id == guild_id, TranscriptPost.case_id.in_(case_ids)
                )
            )
        ).all()
        for post in posts:
            await self.jobs.add(
                session,
                guild_id=guild_id,
                kind=TRANSCRIPT_UNPOST,
                due_at=self.clock(),
                case_id=post.case_id,
                payload=UnpostPayload(channel_id=post.channel_id, message_id=post.message_id),
            )
            await session.delete(post)
        return len(posts)

    async def held(self, guild_id: int, member_id: int) -> HeldData:
        """What Tend holds about the member (their cases, reminders, check-ins, other words they
        wrote): counts and dates."""
        async with self.db.read() as session:
            cases = await self._cases(session, guild_id, member_id)
            followups = await self._followups(session, guild_id, member_id)
            stopped = await session.get(CheckinOptOut, (guild_id, member_id)) is not None
            words = await authored(session, guild_id, member_id, with_text=False)
            threads = await own_threads(session, guild_id, member_id)
            rows = await _thread_rows(session, threads)
        _sections(cases, followups, words)  # what's left in ``words`` is listed as "other"
        _conversations(threads, rows, member_id, words)
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
            other_words=len(words),
            thread_messages=len(rows),
        )

    async def export(self, guild_id: int, member_id: int) -> dict[str, Any]:
        """Everything that is the member's own, every word they wrote included, as JSON-ready data.

        The words come from the sealed-column declarations: one a section doesn't place is
        still exported, under ``other_words_you_wrote``.
        """
        async with self.db.read() as session:
            cases = await self._cases(session, guild_id, member_id)
            followups = await self._followups(session, guild_id, member_id)
            stopped = await session.get(CheckinOptOut, (guild_id, member_id))
            words = await authored(session, guild_id, member_id)
            pauses = (
                await session.scalars(
                    select(MemberPause)
                    .where(MemberPause.guild_id == guild_id, MemberPause.member_id == member_id)
                    .order_by(MemberPause.starts_at)
                )
            ).all()
            threads = await own_threads(session, guild_id, member_id)
            rows = await _thread_rows(session, threads)
        sections = _sections(cases, followups, words)
        conversations = _conversations(threads, rows, member_id, words)
        checkins = [
            {"due_at": _iso(f.first_due_at), "check_in": f.checkin}
            for f in followups
            if f.kind == "followup" and f.checkin not in (None, "skipped")
        ]
        other = [
            {"where": f"{table}.{field}", "id": row, "text": text}
            for (table, field, row), text in words.items()
        ]
        return {
            "server_id": str(guild_id),
            "member_id": str(member_id),
            "exported_at": _iso(self.clock()),
            **sections,
            # Their own case threads only, as recorded for the case's transcript.
            "your_conversations": conversations,
            "check_ins": checkins,
            "check_ins_stopped_at": _iso(stopped.created_at) if stopped else None,
            # When the moderators paused your use of /support, /report and /remind.
            "pauses": [
                {"from": _iso(p.starts_at), "until": _iso(p.ends_at), "ended_at": _iso(p.ended_at)}
                for p in pauses
            ],
            # e.g. a moderator's notes on cases they closed, their reflections.
            "other_words_you_wrote": other,
            "not_included": (
                "Anything other people wrote (other moderators' notes and reflections, a reported "
                "message) is not yours to export."
            ),
        }

    async def delete_mine(self, guild_id: int, member_id: int) -> Deleted:
        """Delete what can be deleted: every erasable word they wrote (support topics and intake,
        reminders, reflections...), the reporter link on reports, own reminders.

        Reports stay for moderation (they may protect others) but no longer name the member.
        A "please stop checking in" choice is kept, so deleting doesn't restart check-ins.
        """
        now = self.clock()

        async def work(session: AsyncSession) -> Deleted:
            cases = await self._cases(session, guild_id, member_id)
            unlinked: list[int] = []
            for case in cases:
                if case.kind == "report":
                    case.member_id = None
                    unlinked.append(case.id)
            support = [c.id for c in cases if c.kind == "support"]
            # Their support threads' transcripts go whole (moderation doesn't need them); in a
            # report's conversation their words stay for moderation but no longer name them.
            threads = 0
            if support:
                gone = await session.execute(
                    delete(CaseMessage).where(CaseMessage.case_id.in_(support)).returning(CaseMessage.id)
                )
                threads = len(gone.scalars().all())
                await self.unpost(session, guild_id, support)
            if unlinked:
                said = await session.scalars(
                    select(CaseMessage).where(
                        CaseMessage.case_id.in_(unlinked), CaseMessage.author_id == member_id
                    )
                )
                for row in said.all():
                    row.author_id = None
                    if row.record is not None:
                        row.record = {**row.record, "name": "the reporter", "locale": None}
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
            # Every other word they wrote that moderation doesn't need, as the models declare it.
            erased = await erase_authored(session, guild_id, member_id)
            intake = {row for key in _INTAKE for row in erased.get(key, [])}
            other = sum(len(rows) for key, rows in erased.items() if key not in _INTAKE)
            result = Deleted(
                intake_texts=len(intake),
                reports_unlinked=len(unlinked),
                reminders=len(reminders),
                other_texts=other,
                thread_messages=threads,
            )
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
                other_texts=result.other_texts,
                thread_messages=result.thread_messages,
            )
            return result

        return await self.jobs.write(work)

    async def purge_expired(self, guild_id: int) -> Purged:
        """The retention purge for one guild: every model with sealed columns applies its declared
        rule to rows past ``privacy.retention_days`` (closed cases lose their words and the member
        they were for; finished follow-ups and reflections are deleted); finished jobs past it are
        deleted too. Audit events stay (they never hold anyone's words)."""
        guild = self.settings.guild(guild_id)
        if guild is None:
            return Purged()
        cutoff = self.clock() - timedelta(days=guild.privacy.retention_days)

        async def work(session: AsyncSession) -> Purged:
            # The posted copies of expired cases' transcripts go with their record.
            await self.unpost(
                session,
                guild_id,
                select(Case.id).where(
                    Case.guild_id == guild_id, Case.closed_at < cutoff, Case.status.not_in(OPEN_STATUSES)
                ),
            )
            expired = await purge_sealed(session, guild_id, cutoff)
            case_ids = expired.cleared.get(_CASES, [])
            if case_ids:
                for case in (await session.scalars(select(Case).where(Case.id.in_(case_ids)))).all():
                    audit(session, case, "purged", None, retention_days=guild.privacy.retention_days)
            jobs = await session.execute(
                delete(ScheduledItem).where(
                    ScheduledItem.guild_id == guild_id,
                    ScheduledItem.status.in_(_FINISHED_JOBS),
                    ScheduledItem.finished_at < cutoff,
                )
            )
            return Purged(
                cases=len(case_ids),
                followups=len(expired.deleted.get(_FOLLOW_UPS, [])),
                reflections=len(expired.deleted.get(Reflection.__tablename__, [])),
                jobs=int(getattr(jobs, "rowcount", 0) or 0),
                case_ids=sorted(case_ids),
                thread_messages=len(expired.deleted.get(_MESSAGES, [])),
            )

        return await self.jobs.write(work)
