"""The case lifecycle: what happens to a case, committed before anything reaches Discord.

Every Discord side effect (the queue card, the private thread, a nudge) is a durable job
added in the same transaction as the state change it follows, so a crash or a Discord
outage delays it but never loses it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.authority import Actor, may_hold
from bot.domain.cases.base import CaseBase
from bot.domain.cases.kinds import (
    CASE_FOLLOWUP,
    CASE_NOTICE,
    REPORT_NOTIFY,
    SUPPORT_CLOSE,
    SUPPORT_NUDGE,
    SUPPORT_SETUP,
    SUPPORT_SILENCE,
    ClosePayload,
    MessagePayload,
    NoticePayload,
    SetupPayload,
)
from bot.domain.cases.store import audit, claim_number, open_or_latest, reference
from bot.domain.errors import InvalidInput, TryLater
from bot.domain.hours import team_time_after
from bot.domain.i18n import _
from bot.infra.jobs import Finish
from models import Case, ScheduledItem

CLOSE_REASONS = {
    "resolved": _("Talked it through"),
    "referred": _("Pointed to other help"),
    "no_response": _("No reply from the member"),
    "member_closed": _("Closed by the member"),
    "duplicate": _("Duplicate"),
    "other": _("Other"),
}
SURVEY_ANSWERS = ("yes", "somewhat", "no")


# What every new case's thread and card record as they finish, built once (building a statement
# costs as much as running it).
_THREAD_OK = (
    update(Case)
    .where(Case.id == bindparam("case_id"))
    .values(problem=None)
    .returning(Case.guild_id, Case.card_message_id)
    .execution_options(synchronize_session=False)
)
_THREAD_MADE = _THREAD_OK.values(thread_id=bindparam("thread"))
_CASE_OF_THREAD = select(Case).where(Case.thread_id == bindparam("thread_id"))
_CARD_POSTED = (
    update(Case)
    .where(Case.id == bindparam("case_id"))
    .values(card_channel_id=bindparam("channel"), card_message_id=bindparam("message"))
    .returning(Case.guild_id, Case.thread_id, Case.problem)
    .execution_options(synchronize_session=False)
)


class CooldownActive(TryLater):
    """The member opened a case a moment ago; the cog words the reply from the prompt library."""

    def __init__(self, remaining: timedelta):
        self.minutes = max(1, int(remaining.total_seconds() // 60) + 1)
        super().__init__(
            f"Please wait about {self.minutes} minute(s) before asking again.", remaining.total_seconds()
        )


@dataclass(frozen=True)
class Opened:
    case: Case
    created: bool
    # Claimed by this process: the opener runs them (the thread inline, then the card).
    setup_job: ScheduledItem | None = None
    card_job: ScheduledItem | None = None


class _AlreadyOpen(Exception):
    """The member has an open support case: roll back (the number taken goes back) and point to it."""

    def __init__(self, case: Case):
        super().__init__(case.id)
        self.case = case


class CaseService(CaseBase):
    """What happens to a case: opening a support case, moderators' actions, the member's side."""

    # -- support ----------------------------------------------------------------------------

    async def open_support(
        self,
        *,
        guild_id: int,
        member_id: int,
        topic: str | None,
        text: str | None,
        cooldown: timedelta,
        nudge_after: timedelta,
        silence_after: timedelta = timedelta(days=3),
        reached_out_by: int | None = None,
        relay: bool = False,
        within: Callable[[AsyncSession, Case], Awaitable[None]] | None = None,
    ) -> Opened:
        """Open a support case, or return the member's open one. Raises TryLater inside the cooldown.

        ``relay``: the member talks through DMs, so the thread is made without them. ``within``
        runs in the transaction that opens the case (e.g. the DM feature adopting the words it
        kept), so the case and what comes with it commit together."""
        now = self.clock()

        async def work(session: AsyncSession) -> Opened:
            # Taking the number locks the guild's counter: concurrent submissions by one member (or
            # on several processes) queue here, so the check below sees each other's cases.
            number = await claim_number(session, guild_id, "support")
            latest = await open_or_latest(session, guild_id, member_id, "support")
            if latest is not None and latest.is_open:
                session.expunge(latest)  # kept as read: the rollback would expire it
                raise _AlreadyOpen(latest)  # rolls the number back
            if latest is not None and cooldown and latest.opened_at > now - cooldown:
                raise CooldownActive(latest.opened_at + cooldown - now)
            made = await self.open_case(
                session,
                kind="support",
                guild_id=guild_id,
                number=number,
                # A moderator reaching out holds the case from the start.
                status="open" if reached_out_by is None else "claimed",
                now=now,
                audited=("opened", reached_out_by or member_id, {"reached_out": reached_out_by is not None}),
                member_id=member_id,
                topic=topic,
                body=text or None,
                member_active_at=now,
                holder_id=reached_out_by,
                acknowledged_at=now if reached_out_by is not None else None,
            )
            case = made.case
            # The thread is made now, inline, by the one who opened it (run_claimed).
            setup = await self.jobs.add(
                session,
                guild_id=guild_id,
                kind=SUPPORT_SETUP,
                due_at=now,
                case_id=case.id,
                payload=SetupPayload(reached_out_by=reached_out_by, relay=relay),
                claimed=True,
            )
            # The nudge counts team hours only: nobody is "late" while the team is asleep.
            guild = self.authority.settings.guild(guild_id)
            nudge_at = team_time_after(guild, now, nudge_after) if guild is not None else now + nudge_after
            await self.jobs.add(
                session, guild_id=guild_id, kind=SUPPORT_NUDGE, due_at=nudge_at, case_id=case.id
            )
            await self.jobs.add(
                session, guild_id=guild_id, kind=SUPPORT_SILENCE, due_at=now + silence_after, case_id=case.id
            )
            if within is not None:
                await within(session, case)
            return Opened(case, created=True, setup_job=setup, card_job=made.card)

        try:
            return await self.jobs.write(work)
        except _AlreadyOpen as already:
            return Opened(already.case, created=False)

    async def set_thread(self, case_id: int, thread_id: int) -> None:
        """The member's thread exists: store it, take any note about it off the card, show it there."""
        await self.jobs.write(self.thread_ready(case_id, thread_id))

    def thread_ready(self, case_id: int, thread_id: int | None) -> Finish:
        """What a finished thread setup records, in the transaction that ends its item: the thread
        (``None``: stored already), no problem any more, and a fresh card if one is posted (a new
        case's card is drawn after its thread, so it shows it from the start)."""

        async def record(session: AsyncSession) -> None:
            # One statement: the new values in, what decides the rest out.
            if thread_id is None:
                row = (await session.execute(_THREAD_OK, {"case_id": case_id})).first()
            else:
                row = (await session.execute(_THREAD_MADE, {"case_id": case_id, "thread": thread_id})).first()
            if row is None:
                return  # erased meanwhile: nothing to record
            if thread_id is not None:
                audit(session, None, "thread_created", None, guild_id=row.guild_id, case_id=case_id)
            if row.card_message_id is not None:
                await self._card_of(session, row.guild_id, case_id, self.clock())

        return record

    async def set_problem(self, case_id: int, problem: str | None, *, thread_id: int | None = None) -> None:
        """Note (or clear) why a Discord side effect of this case is stuck; the card shows it. A
        thread the failed try did make is stored with it (``thread_id``)."""

        async def work(session: AsyncSession) -> None:
            case = await session.get(Case, case_id)
            if case is None:
                return
            if thread_id is not None and case.thread_id is None:
                case.thread_id = thread_id
                audit(session, case, "thread_created", None)
            if case.problem != problem:
                case.problem = problem
                await self._card(session, case, self.clock())

        await self.jobs.write(work)

    def card_posted(self, case_id: int, channel_id: int, message_id: int, drawn: Case) -> Finish:
        """What a finished card refresh records, in the transaction that ends its item: where the
        card is, and another refresh if the case changed in a way the card didn't see (a thread
        stored by a setup that ran alongside it)."""

        async def record(session: AsyncSession) -> None:
            row = (
                await session.execute(
                    _CARD_POSTED, {"case_id": case_id, "channel": channel_id, "message": message_id}
                )
            ).first()
            if row is not None and (row.thread_id, row.problem) != (drawn.thread_id, drawn.problem):
                await self._card_of(session, row.guild_id, case_id, self.clock())

        return record

    async def set_notes_thread(self, case_id: int, thread_id: int) -> None:
        """The team's notes thread on the case's card, made when first needed."""
        await self._update(case_id, None, None, staff_thread_id=thread_id)

    # -- moderator actions ------------------------------------------------------------------

    async def claim(self, actor: Actor, case_id: int) -> Case:
        now = self.clock()
        moderator_id = actor.user_id

        async def work(session: AsyncSession) -> Case:
            case = await self.moderated(session, actor, case_id)
            self._require_open(case)
            if case.holder_id not in (None, moderator_id):
                raise InvalidInput(
                    _(
                        "{holder} already holds {reference}. If they want to pass it on, they can use **Hand off**.",
                        holder=f"<@{case.holder_id}>",
                        reference=reference(case.kind, case.number),
                    )
                )
            first_claim = case.holder_id is None
            case.holder_id = moderator_id
            case.status = "claimed" if case.kind == "support" else "acknowledged"
            case.acknowledged_at = case.acknowledged_at or now
            if first_claim:
                audit(session, case, "claimed", moderator_id)
                await self._card(session, case, now)
                if case.kind == "report" and case.member_id is not None:
                    # Tell the reporter, without names, that someone is looking at it.
                    await self.notify_member(session, case, "report_acknowledged")
            return case

        case = await self.jobs.write(work)
        return case

    async def record_helper(self, actor: Actor, case_id: int) -> Case:
        async def work(session: AsyncSession) -> Case:
            case = await self.moderated(session, actor, case_id)
            self._require_open(case)
            audit(session, case, "moderator_added", actor.user_id)
            return case

        return await self.db.write(work)

    async def hand_off(
        self, actor: Actor, case_id: int, to_id: int, to_roles: frozenset[int], *, to_owner: bool = False
    ) -> Case:
        """Give the case to another moderator of its server (roles as Discord resolved them)."""
        now = self.clock()

        async def work(session: AsyncSession) -> Case:
            case = await self.moderated(session, actor, case_id)
            self._require_open(case)
            guild = self.authority.settings.guild(case.guild_id)
            assert guild is not None  # moderated() found it
            if to_id == case.member_id or to_id in (case.subject_id,):
                raise InvalidInput(_("A case can't be handed to someone it is about."))
            if not may_hold(case, guild, to_id, to_roles, owner=to_owner):
                raise InvalidInput(
                    _(
                        "{holder} can't take {reference}: they aren't one of the moderators who may act on it here.",
                        holder=f"<@{to_id}>",
                        reference=reference(case.kind, case.number),
                    )
                )
            case.holder_id = to_id
            case.status = "claimed" if case.kind == "support" else "acknowledged"
            case.acknowledged_at = case.acknowledged_at or now
            audit(session, case, "handed_off", actor.user_id, to=to_id)
            await self._card(session, case, now)
            return case

        case = await self.jobs.write(work)
        return case

    async def close_support(
        self,
        actor: Actor,
        case_id: int,
        *,
        reason: str,
        note: str | None = None,
        followup_at: datetime | None = None,
        survey: bool = False,
        by_member: bool = False,
    ) -> Case:
        """Close a support case: by a moderator of its server, or (``by_member``) by its member."""
        if reason not in CLOSE_REASONS:
            raise InvalidInput(_("Please pick one of the listed reasons."))
        now = self.clock()
        actor_id = actor.user_id

        async def work(session: AsyncSession) -> Case:
            if by_member:
                case = await self.for_member(session, actor, case_id)
            else:
                case = await self.moderated(session, actor, case_id)
            if case.kind != "support":
                raise InvalidInput(_("That isn't a support case."))
            guild_id = case.guild_id
            self._require_open(case)
            # A member closing an unclaimed case hasn't been acknowledged by anyone.
            self.mark_closed(case, status="closed", outcome=reason, actor_id=actor_id, acknowledge=False)
            case.note = note or None
            case.followup_at = followup_at
            await self.jobs.cancel(session, case_id=case.id, kinds=[SUPPORT_NUDGE, SUPPORT_SILENCE])
            audit(session, case, "closed", actor_id, reason=reason, by_member=by_member, survey=survey)
            for hook in self.on_close:  # e.g. the DM relay ends, and the member is told
                await hook(session, case)
            await self.jobs.add(
                session,
                guild_id=guild_id,
                kind=SUPPORT_CLOSE,
                due_at=now,
                case_id=case.id,
                payload=ClosePayload(survey=survey, by_member=by_member),
                dedupe_key=f"close:{case.id}",
            )
            await self.keep_transcript(session, case)
            if followup_at is not None:
                await self.jobs.add(
                    session,
                    guild_id=guild_id,
                    kind=CASE_FOLLOWUP,
                    due_at=followup_at,
                    case_id=case.id,
                    target_id=case.holder_id or actor_id,
                    created_by=actor_id,
                )
            await self._card(session, case, now)
            return case

        case = await self.jobs.write(work)
        return case

    async def record_survey(self, actor: Actor, case_id: int, answer: str) -> Case:
        if answer not in SURVEY_ANSWERS:
            raise InvalidInput(_("That answer isn't one I know."))

        async def work(session: AsyncSession) -> Case:
            case = await self.for_member(session, actor, case_id)
            first = case.survey_answer is None
            case.survey_answer = answer
            if first:
                audit(session, case, "survey_answered", actor.user_id, answer=answer)
            await self._card(session, case, self.clock())
            return case

        case = await self.jobs.write(work)
        return case

    async def notify_member(self, session: AsyncSession, case: Case, message: str) -> None:
        """Send the case's member one of the library's messages by DM, reliably (inside a transaction)."""
        await self.jobs.add(
            session,
            guild_id=case.guild_id,
            kind=REPORT_NOTIFY,
            due_at=self.clock(),
            case_id=case.id,
            target_id=case.member_id,
            payload=MessagePayload(message),
        )

    async def notify_team(self, case: Case, text: str, *, ping: int | None = None) -> None:
        """Tell the team something about a case (in its staff thread), reliably.

        ``text`` is written by Tend from ids and labels, never from member text.
        """

        async def work(session: AsyncSession) -> None:
            await self.jobs.add(
                session,
                guild_id=case.guild_id,
                kind=CASE_NOTICE,
                due_at=self.clock(),
                case_id=case.id,
                target_id=ping,
                payload=NoticePayload(text),
            )

        await self.jobs.write(work)

    # -- what happens in the thread ---------------------------------------------------------

    async def record_thread_message(
        self, thread_id: int, author_id: int, *, is_moderator: bool
    ) -> Case | None:
        """A message in a support thread: the first moderator reply, or the member being active."""
        now = self.clock()
        # Most messages change nothing (a moderator after the first reply, someone else): a read
        # tells, and only the member's words and a first reply take a write.
        async with self.db.read() as session:
            seen = await session.scalar(_CASE_OF_THREAD, {"thread_id": thread_id})
        if seen is None or not seen.is_open:
            return None
        if author_id != seen.member_id and not (is_moderator and seen.first_reply_at is None):
            return seen

        async def work(session: AsyncSession) -> Case | None:
            case = await session.scalar(_CASE_OF_THREAD, {"thread_id": thread_id})
            if case is None or not case.is_open:
                return None
            if author_id == case.member_id:
                case.member_active_at = now
            elif is_moderator and case.first_reply_at is None:
                case.first_reply_at = now
                audit(session, case, "first_reply", author_id)
                await self._card(session, case, now)
            return case

        case = await self.jobs.write(work)
        return case

    async def keep_open(self, actor: Actor, case_id: int, silence_after: timedelta) -> Case:
        """The member answered the silence question: they want the thread kept open."""
        now = self.clock()

        async def work(session: AsyncSession) -> Case:
            case = await self.for_member(session, actor, case_id)
            self._require_open(case)
            case.member_active_at = now
            audit(session, case, "kept_open", actor.user_id)
            await self.jobs.add(
                session,
                guild_id=case.guild_id,
                kind=SUPPORT_SILENCE,
                due_at=now + silence_after,
                case_id=case.id,
            )
            return case

        case = await self.jobs.write(work)
        return case

    async def member_left(self, guild_id: int, member_id: int) -> list[Case]:
        """Mark the member's open cases; returns them so their holders can be told."""
        now = self.clock()

        async def work(session: AsyncSession) -> list[Case]:
            cases = (
                await session.scalars(
                    select(Case).where(
                        Case.guild_id == guild_id, Case.member_id == member_id, Case.closed_at.is_(None)
                    )
                )
            ).all()
            for case in cases:
                case.member_left_at = now
                audit(session, case, "member_left", None)
                await self._card(session, case, now)
            return list(cases)

        cases = await self.jobs.write(work)
        return cases
