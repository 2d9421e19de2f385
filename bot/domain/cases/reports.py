"""Conduct reports: filed safely, rate-limited, acted on, and closed with a notice to the reporter."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.authority import Actor, require_reveal
from bot.domain.cases.base import NewCase
from bot.domain.cases.kinds import CASE_FOLLOWUP, REPORT_TALK, CaseFollowUpPayload, TalkPayload
from bot.domain.cases.service import CaseService
from bot.domain.cases.store import audit, claim_number, reference
from bot.domain.errors import InvalidInput, NotFound, TryLater
from bot.domain.i18n import _
from models import Case, ReportDraft, ScheduledItem

FOLLOW_WITH = ("reporter", "reported")
DRAFT_LOOKS = 6
DRAFT_GONE = _(
    "I've lost track of which message that form was about, so I can't file it. "
    "Here is what you wrote; please use **Report message** on it again."
)


@dataclass(frozen=True)
class ReportLimits:
    burst: int
    burst_window: timedelta
    daily: int


class ReportLimited(TryLater):
    """Too many reports in a short time; the message says when the member can report again."""


# Built once: every report asks it (building a statement costs as much as running it).
_RECENT = (
    select(
        func.count().filter(Case.opened_at > bindparam("burst_since")),
        func.count().filter(Case.opened_at > bindparam("day_since")),
    )
    .select_from(Case)
    .where(
        Case.guild_id == bindparam("guild_id"),
        Case.kind == "report",
        Case.member_id == bindparam("reporter"),
        Case.opened_at > bindparam("since"),
    )
)


class ReportService:
    def __init__(self, cases: CaseService):
        self.cases = cases
        self.db = cases.db
        self.jobs = cases.jobs

    async def check_limits(
        self, session: AsyncSession, guild_id: int, reporter_id: int, limits: ReportLimits
    ) -> None:
        now = self.cases.clock()
        burst_since, day_since = now - limits.burst_window, now - timedelta(days=1)
        # Both windows in one look at the reporter's recent reports.
        burst, day = (
            await session.execute(
                _RECENT,
                {
                    "guild_id": guild_id,
                    "reporter": reporter_id,
                    "burst_since": burst_since,
                    "day_since": day_since,
                    "since": min(burst_since, day_since),
                },
            )
        ).one()
        if int(burst or 0) >= limits.burst:
            minutes = int(limits.burst_window.total_seconds() // 60)
            raise ReportLimited(
                f"You've sent {limits.burst} reports in the last {minutes} minutes, so I've paused new ones for a "
                "little while. Nothing you sent is lost. If someone is in danger right now, please message a "
                "moderator directly.",
                retry_after=limits.burst_window.total_seconds(),
            )
        if int(day or 0) >= limits.daily:
            raise ReportLimited(
                f"You've reached today's limit of {limits.daily} reports. The moderators have every one you sent. "
                "If something urgent happens, please message a moderator directly.",
                retry_after=86400,
            )

    async def file(
        self,
        *,
        guild_id: int,
        reporter_id: int,
        subject_id: int,
        rule_id: str,
        text: str,
        snapshot: dict[str, Any] | None,
        anonymous: bool,
        escalated: bool,
        limits: ReportLimits,
        draft_id: int | None = None,
    ) -> Case:
        """Store a report (committed before anything reaches Discord) and schedule its card;
        the Report message draft it came from goes in the same transaction."""
        if subject_id == reporter_id:
            raise InvalidInput(
                _("You can't report yourself. If something is weighing on you, `/support` is here.")
            )
        now = self.cases.clock()

        async def work(session: AsyncSession) -> NewCase:
            # Taking the number locks the guild's counter: simultaneous reports wait for each
            # other here, so the limits count every one (a refusal gives the number back).
            number = await claim_number(session, guild_id, "report")
            await self.check_limits(session, guild_id, reporter_id, limits)
            if draft_id is not None:
                await session.execute(delete(ReportDraft).where(ReportDraft.id == draft_id))
            # The audit trail never names an anonymous reporter.
            return await self.cases.open_case(
                session,
                kind="report",
                guild_id=guild_id,
                number=number,
                status="new",
                now=now,
                audited=(
                    "reported",
                    None if anonymous else reporter_id,
                    {"rule": rule_id, "escalated": escalated},
                ),
                member_id=reporter_id,
                subject_id=subject_id,
                rule_id=rule_id,
                anonymous=anonymous,
                escalated=escalated,
                body=text,
                snapshot=snapshot,
            )

        made = await self.jobs.write(work)
        self.jobs.spawn_claimed(made.card)
        return made.case

    # -- Report message: the message as Discord resolved it, kept between form and submit ---

    async def save_draft(
        self,
        *,
        draft_id: int,
        guild_id: int,
        reporter_id: int,
        channel_id: int,
        message_id: int,
        author_id: int,
        snapshot: dict[str, Any],
    ) -> None:
        """Keep what Discord told us about the reported message, under the interaction's id."""

        async def work(session: AsyncSession) -> None:
            session.add(
                ReportDraft(
                    id=draft_id,
                    guild_id=guild_id,
                    reporter_id=reporter_id,
                    channel_id=channel_id,
                    message_id=message_id,
                    author_id=author_id,
                    snapshot=snapshot,
                    created_at=self.cases.clock(),
                )
            )

        await self.db.write(work)

    async def draft_for(self, actor: Actor, draft_id: int) -> ReportDraft:
        """The draft ``actor`` opened in this server (the form's id is all the submit carries).

        A submit can beat the draft's write by a moment, so a missing one is looked for again
        briefly; anyone else's draft, or another server's, is treated as missing."""
        for attempt in range(DRAFT_LOOKS):
            async with self.db.read() as session:
                draft = await session.get(ReportDraft, draft_id) if draft_id else None
            if draft is not None:
                if draft.reporter_id != actor.user_id or draft.guild_id != actor.guild_id:
                    break
                return draft
            if attempt + 1 < DRAFT_LOOKS:
                await asyncio.sleep(0.25)
        raise NotFound(DRAFT_GONE)

    async def start_conversation(self, actor: Actor, case_id: int, which: str) -> ScheduledItem | None:
        """A moderator wants a private conversation with the reporter or the reported member:
        the thread is a durable job (retried on Discord failures, shown on the card meanwhile).
        None when that conversation is already open."""
        if which not in FOLLOW_WITH:
            raise InvalidInput(_("Please pick who to talk with from the card."))

        async def work(session: AsyncSession) -> ScheduledItem | None:
            case = await self.cases.moderated(session, actor, case_id)
            if case.kind != "report":
                raise InvalidInput(_("That isn't a report."))
            self.cases.require_open(case)
            if which == "reporter" and (case.anonymous or case.member_id is None):
                raise InvalidInput(
                    _("The reporter chose to stay anonymous, so I can't open a thread with them.")
                )
            if which == "reported" and case.subject_id is None:
                raise InvalidInput(_("I no longer know who this report is about."))
            if (case.thread_id if which == "reporter" else case.subject_thread_id) is not None:
                return None
            return await self.jobs.add(
                session,
                guild_id=case.guild_id,
                kind=REPORT_TALK,
                due_at=self.cases.clock(),
                case_id=case.id,
                target_id=actor.user_id,
                payload=TalkPayload(which),
                dedupe_key=f"talk:{case.id}:{which}",
            )

        return await self.db.write(work)

    async def set_conversation(self, case_id: int, which: str, thread_id: int, moderator_id: int) -> None:
        """The conversation's thread exists: store it, take any note off the card, show it there."""

        async def work(session: AsyncSession) -> None:
            case = await session.get(Case, case_id)
            if case is None:
                return
            if which == "reporter":
                case.thread_id = thread_id
            else:
                case.subject_thread_id = thread_id
            case.problem = None
            audit(session, case, f"talk_{which}", moderator_id)
            await self.cases.refresh_card(session, case)

        await self.jobs.write(work)

    async def resolve(
        self,
        actor: Actor,
        case_id: int,
        *,
        outcome: str,
        note: str | None,
        follow_with: str | None = None,
        follow_after: timedelta | None = None,
    ) -> Case:
        return await self._close(actor, case_id, "resolved", outcome, note, follow_with, follow_after)

    async def dismiss(self, actor: Actor, case_id: int, *, reason: str) -> Case:
        if not reason.strip():
            raise InvalidInput(_("Please say why the report is dismissed; the team will need it later."))
        return await self._close(actor, case_id, "dismissed", "dismissed", reason, None, None)

    async def _close(
        self,
        actor: Actor,
        case_id: int,
        status: str,
        outcome: str,
        note: str | None,
        follow_with: str | None,
        follow_after: timedelta | None,
    ) -> Case:
        if follow_with is not None and follow_with not in FOLLOW_WITH:
            raise InvalidInput(_("Please pick who to follow up with from the list."))
        now = self.cases.clock()
        moderator_id = actor.user_id

        async def work(session: AsyncSession) -> Case:
            case = await self.cases.moderated(session, actor, case_id)
            if case.kind != "report":
                raise InvalidInput(_("That isn't a report."))
            guild_id = case.guild_id
            guild = self.cases.authority.settings.guild(guild_id)
            if status == "resolved" and (guild is None or outcome not in guild.reports.outcomes):
                raise InvalidInput(_("Please pick one of the listed outcomes."))
            self.cases.require_open(case)
            self.cases.mark_closed(case, status=status, outcome=outcome, actor_id=moderator_id)
            case.holder_id = case.holder_id or moderator_id
            case.note = note or None
            audit(session, case, status, moderator_id, outcome=outcome)
            await self.cases.keep_transcript(session, case)
            if case.member_id is not None:
                await self.cases.notify_member(session, case, f"outcome.{outcome}")
            if follow_with and follow_after:
                case.followup_at = now + follow_after
                target = case.member_id if follow_with == "reporter" else case.subject_id
                await self.jobs.add(
                    session,
                    guild_id=guild_id,
                    kind=CASE_FOLLOWUP,
                    due_at=case.followup_at,
                    case_id=case.id,
                    target_id=moderator_id,
                    created_by=moderator_id,
                    payload=CaseFollowUpPayload(member=target, follow_with=follow_with),
                )
            await self.cases.refresh_card(session, case)
            return case

        case = await self.jobs.write(work)
        return case

    async def reveal(self, actor: Actor, case_id: int) -> Case:
        """Who filed an anonymous report: only for the role the owner chose, and audited."""

        async def work(session: AsyncSession) -> Case:
            case = await self.cases.moderated(session, actor, case_id)
            guild = self.cases.authority.settings.guild(case.guild_id)
            assert guild is not None
            require_reveal(actor, guild)
            if case.kind != "report":
                raise InvalidInput(_("That isn't a report."))
            audit(session, case, "reporter_revealed", actor.user_id)
            return case

        return await self.db.write(work)


__all__ = ["FOLLOW_WITH", "ReportLimited", "ReportLimits", "ReportService", "reference"]
