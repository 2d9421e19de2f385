"""Follow-ups, reminders, member check-ins and escalations: stored first, delivered by jobs.

Every change here is one transaction that also adds the durable job that delivers it,
so a crash or a Discord outage delays a reminder but never loses or doubles it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.authority import Actor, conflicted
from bot.domain.cases import CaseService, reference
from bot.domain.cases.service import SUPPORT_SILENCE, CaseFollowUpPayload
from bot.domain.cases.store import audit, lock_counter, open_case_of
from bot.domain.config import GuildConfig, Settings
from bot.domain.disclosure import tend_checks_in_for
from bot.domain.errors import InvalidInput, NotAllowed, NotFound
from bot.domain.followups.timing import after_quiet_hours
from bot.infra.db import Database
from bot.infra.jobs import Clock, Job, JobEngine, JobKind
from models import Case, CheckinOptOut, FollowUp, ScheduledItem, utcnow


@dataclass(frozen=True)
class FollowUpRef:
    followup: int = 0


@dataclass(frozen=True)
class ChannelNotice:
    # Tend's own words (ids and labels only), and where they go.
    channel: int = 0
    text: str = ""


@dataclass(frozen=True)
class EscalationStep:
    step: int = 1


@dataclass(frozen=True)
class Reopened:
    why: str = "followup"


# Follow-ups' scheduled work, declared beside the service that schedules it.
FOLLOWUP_DUE = JobKind("followup.due", FollowUpRef)
FOLLOWUP_CHECKIN = JobKind("followup.checkin", FollowUpRef)
FOLLOWUP_NOTICE = JobKind("followup.notice", ChannelNotice)
CASE_ESCALATE = JobKind("case.escalate", EscalationStep)
CASE_REOPENED = JobKind("case.reopened", Reopened)

NOTE_LIMIT = 1000
CHECKIN_ANSWERS = ("ok", "talk", "stop")
TALK_AGAIN_TOPIC = "Asked to talk again after a check-in"
GONE = "I can't find that reminder any more. It may have been deleted."


@dataclass(frozen=True)
class Delivery:
    """A follow-up that is due now, with its note, for the cog to render."""

    followup: FollowUp
    note: str | None
    case: Case | None


@dataclass(frozen=True)
class CheckinAnswer:
    followup: FollowUp
    answer: str
    # "talk": the support case that was reopened or opened for the member.
    case: Case | None = None
    # Tend checked in on an anonymous reporter's behalf: "talk" points them to /support instead.
    for_anonymous_reporter: bool = False


class FollowUpService:
    def __init__(
        self,
        db: Database,
        jobs: JobEngine,
        cases: CaseService,
        settings: Settings,
        clock: Clock = utcnow,
    ):
        self.db = db
        self.jobs = jobs
        self.cases = cases
        self.settings = settings
        self.clock = clock

    # -- scheduling -----------------------------------------------------------------------

    async def remind_moderator(
        self,
        *,
        guild_id: int,
        moderator_id: int,
        member_id: int | None,
        due_at: datetime,
        note: str | None,
        case_id: int | None = None,
        created_by: int | None = None,
    ) -> ScheduledItem:
        """Remind a moderator at ``due_at`` to check in on a member (and, if the guild opted in,
        DM the member a gentle check-in then). Returns the delivering job."""
        return await self._create(
            None,
            FollowUp(
                guild_id=guild_id,
                kind="followup",
                owner_id=moderator_id,
                member_id=member_id,
                case_id=case_id,
                note=self._note(note),
                created_by=created_by or moderator_id,
            ),
            due_at,
        )

    async def remind(
        self,
        *,
        guild_id: int,
        user_id: int,
        due_at: datetime,
        text: str,
        channel_id: int | None,
        by_dm: bool,
    ) -> ScheduledItem:
        """Anyone's /remind: delivered in ``channel_id`` or by DM."""
        if not text.strip():
            raise InvalidInput("What should I remind you of? Please write a few words.")
        guild = self.settings.guild(guild_id)
        cap = guild.followups.max_pending_reminders if guild else 25

        async def within_cap(session: AsyncSession) -> None:
            await lock_counter(session, guild_id, "reminder")  # concurrent /reminds count each other
            waiting = await session.scalar(
                select(func.count())
                .select_from(FollowUp)
                .where(
                    FollowUp.guild_id == guild_id,
                    FollowUp.kind == "reminder",
                    FollowUp.owner_id == user_id,
                    FollowUp.status.in_(("scheduled", "due")),
                )
            )
            if int(waiting or 0) >= cap:
                raise InvalidInput(
                    f"You already have {cap} reminders waiting here, which is as many as I keep for one "
                    "person. Mark one done (its **Done** button) or let one pass, then ask again."
                )

        return await self._create(
            within_cap,
            FollowUp(
                guild_id=guild_id,
                kind="reminder",
                owner_id=user_id,
                note=self._note(text),
                channel_id=channel_id,
                by_dm=by_dm,
                created_by=user_id,
            ),
            due_at,
        )

    def _note(self, note: str | None) -> str | None:
        note = (note or "").strip()
        if len(note) > NOTE_LIMIT:
            raise InvalidInput(f"Please keep the note under {NOTE_LIMIT} characters (it has {len(note)}).")
        return note or None

    async def _create(
        self,
        check: Callable[[AsyncSession], Awaitable[None]] | None,
        followup: FollowUp,
        due_at: datetime,
    ) -> ScheduledItem:
        if due_at.tzinfo is None:
            raise ValueError("due_at must be timezone-aware")
        due_at = due_at.astimezone(UTC)
        followup.due_at = followup.first_due_at = due_at
        followup.created_at = self.clock()

        async def work(session: AsyncSession) -> ScheduledItem:
            if check is not None:
                await check(session)  # a limit, checked in the same transaction as the insert
            session.add(followup)
            await session.flush()
            audit(
                session,
                None,
                f"{followup.kind}_scheduled",
                followup.created_by,
                guild_id=followup.guild_id,
                followup=followup.id,
                case_id=followup.case_id,
            )
            return await self._schedule(session, followup)

        item = await self.db.write(work)
        self.jobs.arm(item)
        return item

    async def _schedule(self, session: AsyncSession, followup: FollowUp) -> ScheduledItem:
        key = f"followup:{followup.id}"
        pending = await session.scalar(select(ScheduledItem).where(ScheduledItem.dedupe_key == key))
        if pending is not None:  # snoozed again before it fired: move the one pending item
            pending.due_at = followup.due_at
            return pending
        return await self.jobs.add(
            session,
            guild_id=followup.guild_id,
            kind=FOLLOWUP_DUE,
            due_at=followup.due_at,
            case_id=followup.case_id,
            target_id=followup.owner_id,
            payload=FollowUpRef(followup.id),
            created_by=followup.created_by,
            dedupe_key=key,
        )

    async def from_case_job(self, job: Job[CaseFollowUpPayload]) -> int:
        """The follow-up behind a ``case.followup`` item (a follow-up set when closing a case),
        recorded once as a follow-up; returns its id."""

        async def work(session: AsyncSession) -> int:
            found = await session.scalar(select(FollowUp.id).where(FollowUp.origin_item_id == job.id))
            if found is not None:
                return int(found)
            case = await session.get(Case, job.case_id) if job.case_id is not None else None
            about = job.payload
            if about.follow_with is not None or about.member is not None:  # a report says whom
                member = about.member
            else:
                member = case.member_id if case is not None else None
            note = about.note
            followup = FollowUp(
                guild_id=job.guild_id,
                kind="followup",
                owner_id=job.target_id or (case.closed_by or case.holder_id if case else None) or 0,
                member_id=int(member) if member else None,
                case_id=case.id if case is not None else None,
                note=self._note(str(note)[:NOTE_LIMIT]) if note else None,
                due_at=job.due_at,
                first_due_at=job.due_at,
                created_by=job.created_by,
                origin_item_id=job.id,
                created_at=self.clock(),
            )
            session.add(followup)
            await session.flush()
            if note:  # the note now lives sealed on the follow-up, not in the job's payload
                payload = {k: v for k, v in job.raw_payload.items() if k != "note"}
                await session.execute(
                    update(ScheduledItem).where(ScheduledItem.id == job.id).values(payload=payload)
                )
            return followup.id

        return await self.db.write(work)

    # -- delivery -------------------------------------------------------------------------

    async def begin_delivery(self, followup_id: int) -> Delivery | None:
        """Mark a follow-up due and, where the guild opted in, schedule the member's check-in
        (moved out of quiet hours). None if it was done or cancelled meanwhile. Idempotent."""
        now = self.clock()
        checkin: list[ScheduledItem] = []

        async def work(session: AsyncSession) -> Delivery | None:
            followup = await session.get(FollowUp, followup_id)
            if followup is None or followup.status in ("done", "cancelled"):
                return None
            followup.status = "due"
            followup.delivered_at = now
            guild = self.settings.guild(followup.guild_id)
            case = await session.get(Case, followup.case_id) if followup.case_id else None
            wanted = guild is not None and (
                guild.followups.member_checkins or tend_checks_in_for(case, followup.member_id)
            )
            if (
                guild is not None
                and wanted
                and followup.kind == "followup"
                and followup.member_id is not None
                and followup.checkin is None
            ):
                if await self._opted_out(session, followup.guild_id, followup.member_id):
                    followup.checkin = "skipped"
                else:
                    followup.checkin = "scheduled"
                    checkin.append(
                        await self.jobs.add(
                            session,
                            guild_id=followup.guild_id,
                            kind=FOLLOWUP_CHECKIN,
                            due_at=self.member_time(guild, now),
                            target_id=followup.member_id,
                            payload=FollowUpRef(followup.id),
                            dedupe_key=f"checkin:{followup.id}",
                        )
                    )
            return Delivery(followup, followup.note, case)

        delivery = await self.db.write(work)
        for item in checkin:
            self.jobs.arm(item)
        return delivery

    @staticmethod
    def member_time(guild: GuildConfig, when: datetime) -> datetime:
        """When a DM to a member may go: ``when``, or the end of the guild's quiet hours."""
        settings = guild.followups
        return after_quiet_hours(when, guild.zone, settings.quiet_hours_start, settings.quiet_hours_end)

    async def set_message(self, followup_id: int, channel_id: int, message_id: int) -> None:
        async def work(session: AsyncSession) -> None:
            await session.execute(
                update(FollowUp)
                .where(FollowUp.id == followup_id)
                .values(message_channel_id=channel_id, message_id=message_id)
            )

        await self.db.write(work)

    async def get(self, followup_id: int) -> FollowUp:
        async with self.db.read() as session:
            followup = await session.get(FollowUp, followup_id)
        if followup is None:
            raise NotFound(GONE)
        return followup

    # -- the reminder's buttons --------------------------------------------------------------

    async def for_actor(self, actor: Actor, followup_id: int) -> FollowUp:
        """The follow-up, if ``actor`` may use its buttons (see :meth:`require_can_act`)."""
        async with self.db.read() as session:
            return await self._for_actor(session, actor, followup_id)

    async def _for_actor(self, session: AsyncSession, actor: Actor, followup_id: int) -> FollowUp:
        followup = await session.get(FollowUp, followup_id) if followup_id else None
        if followup is None:
            raise NotFound(GONE)
        case = await session.get(Case, followup.case_id) if followup.case_id else None
        self.require_can_act(actor, followup, case)
        return followup

    def require_can_act(self, actor: Actor, followup: FollowUp, case: Case | None) -> None:
        """The person it's for, anywhere; for a moderator follow-up, any moderator of *its* server
        too, acting there, unless its case is about them."""
        if actor.user_id == followup.owner_id:
            return
        guild = self.settings.guild(followup.guild_id)
        if (
            followup.kind == "followup"
            and guild is not None
            and actor.moderates(guild)
            and (case is None or actor.user_id not in conflicted(case))
        ):
            return
        if actor.guild_id is not None and actor.guild_id != followup.guild_id:
            raise NotFound(GONE)  # another server's reminder looks like one that doesn't exist
        if followup.kind == "followup":
            raise NotAllowed("This follow-up is for the moderators, so only they can use its buttons.")
        raise NotAllowed(
            f"This reminder belongs to <@{followup.owner_id}>, so only they can use its buttons."
        )

    async def done(self, actor: Actor, followup_id: int) -> FollowUp:
        now = self.clock()
        actor_id = actor.user_id

        async def work(session: AsyncSession) -> FollowUp:
            followup = await self._for_actor(session, actor, followup_id)
            if followup.status == "done":
                return followup
            followup.status, followup.done_at, followup.done_by = "done", now, actor_id
            await self._cancel_pending(session, followup.id)
            audit(
                session,
                None,
                f"{followup.kind}_done",
                actor_id,
                guild_id=followup.guild_id,
                followup=followup.id,
            )
            return followup

        return await self.db.write(work)

    async def snooze(self, actor: Actor, followup_id: int, until: datetime) -> FollowUp:
        now = self.clock()
        if until <= now:
            raise InvalidInput("Please pick a time in the future to snooze until.")
        items: list[ScheduledItem] = []
        actor_id = actor.user_id

        async def work(session: AsyncSession) -> FollowUp:
            followup = await self._for_actor(session, actor, followup_id)
            guild_id = followup.guild_id
            if followup.status in ("done", "cancelled"):
                raise InvalidInput("That one is already done, so there's nothing to snooze.")
            followup.status, followup.due_at = "scheduled", until.astimezone(UTC)
            followup.snoozes += 1
            items.append(await self._schedule(session, followup))
            audit(
                session, None, f"{followup.kind}_snoozed", actor_id, guild_id=guild_id, followup=followup.id
            )
            return followup

        followup = await self.db.write(work)
        for item in items:
            self.jobs.arm(item)
        return followup

    async def _cancel_pending(self, session: AsyncSession, followup_id: int) -> None:
        await session.execute(
            update(ScheduledItem)
            .where(ScheduledItem.dedupe_key == f"followup:{followup_id}", ScheduledItem.status == "pending")
            .values(status="cancelled", finished_at=self.clock(), dedupe_key=None)
        )

    # -- member check-ins ---------------------------------------------------------------------

    async def checkin_delivered(self, followup_id: int, *, dms_closed: bool) -> FollowUp:
        """Record that the check-in DM went out, or that the member's DMs are closed."""

        async def work(session: AsyncSession) -> FollowUp:
            followup = await session.get(FollowUp, followup_id)
            if followup is None:
                raise NotFound(GONE)
            followup.checkin = "dms_closed" if dms_closed else "sent"
            audit(
                session,
                None,
                "checkin_dms_closed" if dms_closed else "checkin_sent",
                None,
                guild_id=followup.guild_id,
                followup=followup.id,
            )
            return followup

        return await self.db.write(work)

    async def answer_checkin(self, followup_id: int, member_id: int, answer: str) -> CheckinAnswer:
        """The member pressed I'm OK / I'd like to talk again / Please stop checking in."""
        if answer not in CHECKIN_ANSWERS:
            raise InvalidInput("That answer isn't one I know.")
        followup = await self.get(followup_id)
        if followup.member_id != member_id:
            raise NotAllowed("This check-in was for someone else.")
        case: Case | None = None
        about = await self.cases.find(followup.case_id)
        on_behalf = tend_checks_in_for(about, member_id)
        if answer == "talk" and followup.checkin != "talk" and not on_behalf:
            # (An anonymous reporter is pointed to /support instead: a case opened for them here
            # would tie them to their report.)
            case = await self._talk_again(followup)

        async def work(session: AsyncSession) -> FollowUp:
            row = await session.get(FollowUp, followup_id)
            if row is None:
                raise NotFound(GONE)
            first = row.checkin != answer
            row.checkin = answer
            if answer == "stop":
                await self._opt_out(session, row.guild_id, member_id)
            if first:
                audit(session, None, f"checkin_{answer}", None, guild_id=row.guild_id, followup=row.id)
            return row

        followup = await self.db.write(work)
        return CheckinAnswer(followup, answer, case, for_anonymous_reporter=on_behalf)

    async def _talk_again(self, followup: FollowUp) -> Case:
        """Reopen the member's support case, or open a new one through the support flow."""
        assert followup.member_id is not None
        guild = self.settings.guild(followup.guild_id)
        if guild is None:
            raise NotFound("This server no longer uses Tend.")
        async with self.db.read() as session:
            already = await open_case_of(session, followup.guild_id, followup.member_id, "support")
        if already is not None:
            return already  # they have an open thread: that's where to talk
        if followup.case_id is not None:
            case = await self.cases.get(followup.guild_id, followup.case_id)
            if case.kind == "support" and case.member_id == followup.member_id:
                if case.is_open:
                    return case
                return await self.reopen_case(
                    followup.guild_id, case.id, followup.member_id, why="member_asked_to_talk"
                )
        opened = await self.cases.open_support(
            guild_id=followup.guild_id,
            member_id=followup.member_id,
            topic=TALK_AGAIN_TOPIC,
            text=None,
            cooldown=timedelta(0),
            nudge_after=timedelta(minutes=guild.support.nudge_after_minutes),
            silence_after=timedelta(days=guild.support.silence_after_days),
        )
        if opened.setup_job is not None:
            self.jobs.arm(opened.setup_job)
        return opened.case

    async def opted_out(self, guild_id: int, member_id: int) -> bool:
        async with self.db.read() as session:
            return await self._opted_out(session, guild_id, member_id)

    @staticmethod
    async def _opted_out(session: AsyncSession, guild_id: int, member_id: int) -> bool:
        return await session.get(CheckinOptOut, (guild_id, member_id)) is not None

    async def _opt_out(self, session: AsyncSession, guild_id: int, member_id: int) -> None:
        if not await self._opted_out(session, guild_id, member_id):
            session.add(CheckinOptOut(guild_id=guild_id, member_id=member_id, created_at=self.clock()))
            # Check-ins already waiting for this member are dropped too.
            await session.execute(
                update(ScheduledItem)
                .where(
                    ScheduledItem.guild_id == guild_id,
                    ScheduledItem.kind == FOLLOWUP_CHECKIN.name,
                    ScheduledItem.target_id == member_id,
                    ScheduledItem.status == "pending",
                )
                .values(status="cancelled", finished_at=self.clock(), dedupe_key=None)
            )

    async def notify(self, guild_id: int, channel_id: int, text: str, *, ping: int | None = None) -> None:
        """Post a short notice written by Tend (ids and labels only) in a channel, reliably."""

        async def work(session: AsyncSession) -> ScheduledItem:
            return await self.jobs.add(
                session,
                guild_id=guild_id,
                kind=FOLLOWUP_NOTICE,
                due_at=self.clock(),
                target_id=ping,
                payload=ChannelNotice(channel_id, text),
            )

        self.jobs.arm(await self.db.write(work))

    def notice_channel(self, followup: FollowUp, case: Case | None) -> int | None:
        """Where news about a follow-up goes: beside its reminder, else the case's notes, else the queue."""
        if followup.message_channel_id and not followup.by_dm:
            return followup.message_channel_id
        if case is not None and case.staff_thread_id:
            return case.staff_thread_id
        guild = self.settings.guild(followup.guild_id)
        return guild.channels.queue if guild else None

    # -- reopening a case -------------------------------------------------------------------

    async def reopen_case(self, guild_id: int, case_id: int, actor_id: int, *, why: str) -> Case:
        """Put a closed case back in the queue for Tend's own reasons (a member asked to talk)."""

        async def work(session: AsyncSession) -> Case:
            case = await CaseService.get_in(session, guild_id, case_id)
            return await self._reopen(session, case, actor_id, why)

        case = await self.db.write(work)
        await self.cases.arm(case.id)
        return case

    async def reopen_from_followup(self, actor: Actor, followup_id: int) -> Case:
        """A reminder's **Reopen case**: a moderator's step on *the case's* server, whoever the
        reminder was for. The follow-up is marked done in the same transaction."""
        now = self.clock()

        async def work(session: AsyncSession) -> Case:
            followup = await session.get(FollowUp, followup_id) if followup_id else None
            if followup is None:
                raise NotFound(GONE)
            if followup.case_id is None:
                raise NotFound("This reminder isn't about a case, so there's nothing to reopen.")
            case = await self.cases.moderated(session, actor, followup.case_id)
            case = await self._reopen(session, case, actor.user_id, "followup")
            if followup.status != "done":
                followup.status, followup.done_at, followup.done_by = "done", now, actor.user_id
                await self._cancel_pending(session, followup.id)
                audit(
                    session,
                    None,
                    "followup_done",
                    actor.user_id,
                    guild_id=case.guild_id,
                    followup=followup.id,
                )
            return case

        case = await self.db.write(work)
        await self.cases.arm(case.id)
        return case

    async def _reopen(self, session: AsyncSession, case: Case, actor_id: int, why: str) -> Case:
        """Put a closed case back in the queue (open, or with its holder), card refreshed."""
        now = self.clock()
        guild_id = case.guild_id
        if case.is_open:
            raise InvalidInput(f"{reference(case.kind, case.number)} is already open.")
        if case.kind == "support" and case.member_id is not None:
            # One open support case per member: reopening must not make a second.
            await lock_counter(session, guild_id, "support")
            other = await open_case_of(session, guild_id, case.member_id, "support")
            if other is not None:
                raise InvalidInput(
                    f"The member already has {reference(other.kind, other.number)} open, so I didn't reopen "
                    f"{reference(case.kind, case.number)}; please carry on in that one."
                )
        if case.kind == "support":
            case.status = "claimed" if case.holder_id else "open"
        else:
            case.status = "acknowledged" if case.holder_id else "new"
        case.closed_at = case.closed_by = case.outcome = case.followup_at = None
        audit(session, case, "reopened", actor_id, why=why)
        await self.cases.refresh_card(session, case)
        await self.jobs.add(
            session,
            guild_id=guild_id,
            kind=CASE_REOPENED,
            due_at=now,
            case_id=case.id,
            target_id=actor_id,
            payload=Reopened(why),
        )
        if case.kind == "support":
            guild = self.settings.guild(guild_id)
            days = guild.support.silence_after_days if guild else 3
            case.member_active_at = now
            await self.jobs.add(
                session,
                guild_id=guild_id,
                kind=SUPPORT_SILENCE,
                due_at=now + timedelta(days=days),
                case_id=case.id,
            )
        return case

    # -- escalation ------------------------------------------------------------------------------

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
