"""Follow-ups, reminders, member check-ins and escalations: stored first, delivered by jobs.

Every change here is one transaction that also adds the durable job that delivers it,
so a crash or a Discord outage delays a reminder but never loses or doubles it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.authority import Actor, conflicted
from bot.domain.cases import CaseService
from bot.domain.cases.kinds import CaseFollowUpPayload
from bot.domain.cases.store import audit, lock_counter
from bot.domain.config import GuildConfig, Settings
from bot.domain.disclosure import tend_checks_in_for
from bot.domain.errors import InvalidInput, NotAllowed, NotFound
from bot.domain.followups.base import (
    FOLLOWUP_CHECKIN,
    FOLLOWUP_DUE,
    FOLLOWUP_NOTICE,
    GONE,
    ChannelNotice,
    FollowUpRef,
)
from bot.domain.followups.checkins import CheckIns
from bot.domain.followups.escalation import Escalation
from bot.domain.followups.timing import after_quiet_hours
from bot.domain.i18n import _
from bot.infra.db import Database
from bot.infra.jobs import Clock, Finish, Job, JobEngine
from models import Case, FollowUp, ScheduledItem, utcnow

NOTE_LIMIT = 1000


@dataclass(frozen=True)
class Delivery:
    """A follow-up that is due now, with its note, for the cog to render."""

    followup: FollowUp
    note: str | None
    case: Case | None
    # The member's check-in with this reminder: "scheduled", "skipped" (they opted out), or None.
    checkin: str | None = None


class FollowUpService(CheckIns, Escalation):
    """Follow-ups and reminders (here), member check-ins (checkins.py), reopening a case
    (reopening.py) and on-call escalation (escalation.py): one service, split by meaning."""

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
            raise InvalidInput(_("What should I remind you of? Please write a few words."))
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
                    _(
                        "You already have {count} reminders waiting here, which is as many as I keep for one person. Mark one done (its **Done** button) or let one pass, then ask again.",
                        count=cap,
                    )
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
            raise InvalidInput(
                _(
                    "Please keep the note under {limit} characters (it has {count}).",
                    limit=NOTE_LIMIT,
                    count=len(note),
                )
            )
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
        """What a due follow-up's reminder needs (None if it was done or cancelled meanwhile),
        with the member's check-in decided. A read: :meth:`delivered` writes it all, with the
        item's end, once the reminder is posted."""
        async with self.db.read() as session:
            followup = await session.get(FollowUp, followup_id)
            if followup is None or followup.status in ("done", "cancelled"):
                return None
            case = await session.get(Case, followup.case_id) if followup.case_id else None
            checkin = followup.checkin
            if checkin is None and self._checks_in(followup, case):
                opted_out = await self._opted_out(session, followup.guild_id, followup.member_id or 0)
                checkin = "skipped" if opted_out else "scheduled"
            return Delivery(followup, followup.note, case, checkin)

    def _checks_in(self, followup: FollowUp, case: Case | None) -> bool:
        """Whether this follow-up comes with a check-in DM to its member (opt-outs aside)."""
        guild = self.settings.guild(followup.guild_id)
        return (
            guild is not None
            and followup.kind == "followup"
            and followup.member_id is not None
            and (guild.followups.member_checkins or tend_checks_in_for(case, followup.member_id))
        )

    def delivered(self, delivery: Delivery, channel_id: int, message_id: int) -> Finish:
        """The reminder is posted: mark the follow-up due, remember where its buttons are and
        record (and schedule) the check-in decided by :meth:`begin_delivery`, out of quiet hours.
        Written in the transaction that ends the reminder's item; idempotent."""
        now = self.clock()
        followup_id = delivery.followup.id

        async def record(session: AsyncSession) -> None:
            followup = await session.get(FollowUp, followup_id)
            if followup is None or followup.status in ("done", "cancelled"):
                return
            followup.status, followup.delivered_at = "due", now
            followup.message_channel_id, followup.message_id = channel_id, message_id
            guild = self.settings.guild(followup.guild_id)
            if followup.checkin is not None or delivery.checkin is None or guild is None:
                return
            followup.checkin = delivery.checkin
            if delivery.checkin == "scheduled":
                await self.jobs.add(
                    session,
                    guild_id=followup.guild_id,
                    kind=FOLLOWUP_CHECKIN,
                    due_at=self.member_time(guild, now),
                    target_id=followup.member_id,
                    payload=FollowUpRef(followup.id),
                    dedupe_key=f"checkin:{followup.id}",
                )

        return record

    @staticmethod
    def member_time(guild: GuildConfig, when: datetime) -> datetime:
        """When a DM to a member may go: ``when``, or the end of the guild's quiet hours."""
        settings = guild.followups
        return after_quiet_hours(when, guild.zone, settings.quiet_hours_start, settings.quiet_hours_end)

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
            raise NotAllowed(_("This follow-up is for the moderators, so only they can use its buttons."))
        raise NotAllowed(
            _(
                "This reminder belongs to {owner}, so only they can use its buttons.",
                owner=f"<@{followup.owner_id}>",
            )
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
            raise InvalidInput(_("Please pick a time in the future to snooze until."))
        items: list[ScheduledItem] = []
        actor_id = actor.user_id

        async def work(session: AsyncSession) -> FollowUp:
            followup = await self._for_actor(session, actor, followup_id)
            guild_id = followup.guild_id
            if followup.status in ("done", "cancelled"):
                raise InvalidInput(_("That one is already done, so there's nothing to snooze."))
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
