"""Pausing a member's access to Tend: /support, /report and Report message, /remind (and DMs
to Tend) for a set time, for abuse. Crisis resources are never paused.

A pause is decided against the moderator's own server (a moderator of another server can't
pause anyone here, nor anyone themselves), audited with labels only, ended by a durable item
on the clock (so it ends on time across a restart), and lifted early with one click. Other
features ask :func:`active_pause` before letting a member in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.authority import Actor, Authority
from bot.domain.cases.kinds import schedule_card_sync
from bot.domain.cases.store import audit
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.i18n import P_, _
from bot.infra.db import Database
from bot.infra.jobs import Clock, Finish, JobEngine, JobKind
from models import OPEN_STATUSES, PAUSE_REASONS, Case, MemberPause, utcnow

# /pause's choices (context "command": the command translator finds them) and the notice's reason.
REASON_LABELS = {
    "abuse": P_("command", "Abusive messages to the team"),
    "report_spam": P_("command", "Report spam (against one person)"),
    "harassing_moderators": P_("command", "Harassing moderators"),
    "other": P_("command", "Another reason (see the note)"),
}
assert set(REASON_LABELS) == set(PAUSE_REASONS)
MIN_PAUSE = timedelta(minutes=5)
NOTE_LIMIT = 500
PAUSE_GONE = _("I can't find that pause any more.")


@dataclass(frozen=True)
class PausePayload:
    pause: int = 0


# Declared beside the service that schedules them: the end on the clock, the team's notice
# (with its Lift button), and telling the member it is over.
PAUSE_END = JobKind("pause.end", PausePayload)
PAUSE_NOTICE = JobKind("pause.notice", PausePayload)
PAUSE_ENDED_DM = JobKind("pause.ended", PausePayload)


async def active_pause(
    session: AsyncSession, guild_id: int, user_id: int, *, now: datetime
) -> MemberPause | None:
    """The member's pause in ``guild_id`` that holds at ``now``, or None. For every door a
    paused member must not pass (DMs to Tend too): refuse kindly with ``ends_at``, resources first."""
    return await session.scalar(
        select(MemberPause)
        .where(
            MemberPause.guild_id == guild_id,
            MemberPause.member_id == user_id,
            MemberPause.ended_at.is_(None),
            MemberPause.ends_at > now,
        )
        .order_by(MemberPause.ends_at.desc())
        .limit(1)
    )


_LATEST = (
    select(MemberPause)
    .where(MemberPause.guild_id == bindparam("guild_id"), MemberPause.member_id == bindparam("user_id"))
    .order_by(MemberPause.starts_at.desc(), MemberPause.id.desc())
    .limit(1)
)  # built once: every card asks it


async def latest_pause(session: AsyncSession, guild_id: int, user_id: int) -> MemberPause | None:
    """The member's most recent pause in ``guild_id`` (for the team: shown on their next card)."""
    return await session.scalar(_LATEST, {"guild_id": guild_id, "user_id": user_id})


class PauseService:
    def __init__(self, db: Database, jobs: JobEngine, authority: Authority, clock: Clock = utcnow):
        self.db = db
        self.jobs = jobs
        self.authority = authority
        self.clock = clock
        # Per server, everyone who may hold a pause: a superset (a pause that ended or was lifted
        # stays until restart and costs one read), so the doors skip the database for everyone
        # else. Read once per server; every pause this process makes is added before it commits.
        self._holding: dict[int, set[int]] = {}
        self._loaded: set[int] = set()

    async def _may_be_paused(self, guild_id: int, user_id: int) -> bool:
        if guild_id not in self._loaded:
            async with self.db.read() as session:
                members = (
                    await session.scalars(
                        select(MemberPause.member_id).where(
                            MemberPause.guild_id == guild_id,
                            MemberPause.ended_at.is_(None),
                            MemberPause.ends_at > self.clock(),
                        )
                    )
                ).all()
            self._holding.setdefault(guild_id, set()).update(members)
            self._loaded.add(guild_id)
        return user_id in self._holding.get(guild_id, ())

    async def active(self, guild_id: int, user_id: int) -> MemberPause | None:
        """The member's pause that holds now, or None (no read for someone never paused here)."""
        if not await self._may_be_paused(guild_id, user_id):
            return None
        async with self.db.read() as session:
            return await active_pause(session, guild_id, user_id, now=self.clock())

    async def get(self, pause_id: int) -> MemberPause | None:
        if not pause_id:
            return None
        async with self.db.read() as session:
            return await session.get(MemberPause, pause_id)

    async def pause(
        self,
        actor: Actor,
        member_id: int,
        *,
        span: timedelta,
        reason: str,
        note: str | None = None,
        member_moderates: bool = False,
    ) -> MemberPause:
        """Pause ``member_id``'s access in the actor's own server for ``span`` (a new pause
        replaces one that holds). ``member_moderates``: whether Discord says they moderate here."""
        guild = self.authority.guild_moderator(actor, actor.guild_id or 0)
        if member_id == actor.user_id:
            raise InvalidInput(
                _("You can't pause yourself. If you need a break, the team can take your cases.")
            )
        if member_moderates:
            raise InvalidInput(
                _(
                    "They're one of this server's moderators, so a pause isn't the tool here. "
                    "Talk it through with the team, or with the server owner."
                )
            )
        if reason not in PAUSE_REASONS:
            raise InvalidInput(_("Please pick one of the listed reasons."))
        if note is not None and len(note) > NOTE_LIMIT:
            raise InvalidInput(
                _(
                    "Please keep the note to {limit} characters; the team can say more in the queue.",
                    limit=NOTE_LIMIT,
                )
            )
        longest = timedelta(days=guild.pauses.max_days)
        if span < MIN_PAUSE or span > longest:
            raise InvalidInput(
                _(
                    "A pause can last from {minutes} minutes to {days} days on this server.",
                    minutes=int(MIN_PAUSE.total_seconds() // 60),
                    days=guild.pauses.max_days,
                )
            )
        now = self.clock()

        async def work(session: AsyncSession) -> MemberPause:
            held = await active_pause(session, guild.id, member_id, now=now)
            if held is not None:
                held.ended_at = now
                audit(session, None, "pause_replaced", actor.user_id, guild_id=guild.id, pause=held.id)
                await self._notice(session, held, now)
            pause = MemberPause(
                guild_id=guild.id,
                member_id=member_id,
                paused_by=actor.user_id,
                reason=reason,
                note=(note or "").strip() or None,
                starts_at=now,
                ends_at=now + span,
            )
            session.add(pause)
            await session.flush()
            audit(
                session,
                None,
                "paused",
                actor.user_id,
                guild_id=guild.id,
                pause=pause.id,
                member=member_id,
                reason=reason,
                minutes=int(span.total_seconds() // 60),
            )
            await self.jobs.add(
                session,
                guild_id=guild.id,
                kind=PAUSE_END,
                due_at=pause.ends_at,
                target_id=member_id,
                payload=PausePayload(pause.id),
            )
            await self._notice(session, pause, now)
            await self._refresh_cards(session, guild.id, member_id, now)
            return pause

        self._holding.setdefault(guild.id, set()).add(member_id)  # before it commits: a superset
        return await self.jobs.write(work)

    async def lift(self, actor: Actor, pause_id: int) -> MemberPause:
        """End a pause early: a moderator of the pause's own server, from inside it."""
        now = self.clock()

        async def work(session: AsyncSession) -> MemberPause:
            pause = await session.get(MemberPause, pause_id) if pause_id else None
            # A pause of another server looks exactly like one that doesn't exist.
            if pause is None or actor.guild_id != pause.guild_id:
                raise NotFound(PAUSE_GONE)
            self.authority.guild_moderator(actor, pause.guild_id)
            if pause.ended_at is not None or pause.ends_at <= now:
                raise InvalidInput(_("That pause has already ended."))
            pause.ended_at, pause.lifted_by = now, actor.user_id
            audit(session, None, "pause_lifted", actor.user_id, guild_id=pause.guild_id, pause=pause.id)
            await self._ended(session, pause, now)
            return pause

        return await self.jobs.write(work)

    async def end_due(self, pause_id: int) -> MemberPause | None:
        """The end item came due: end the pause if it still holds (not lifted or replaced)."""
        now = self.clock()

        async def work(session: AsyncSession) -> MemberPause | None:
            pause = await session.get(MemberPause, pause_id) if pause_id else None
            if pause is None or pause.ended_at is not None:
                return None
            if pause.ends_at > now:
                return pause  # not yet (the caller retries at ends_at)
            pause.ended_at = now
            audit(session, None, "pause_ended", None, guild_id=pause.guild_id, pause=pause.id)
            await self._ended(session, pause, now)
            return pause

        return await self.jobs.write(work)

    def notice_posted(self, pause_id: int, channel_id: int, message_id: int) -> Finish:
        async def record(session: AsyncSession) -> None:
            await session.execute(
                update(MemberPause)
                .where(MemberPause.id == pause_id)
                .values(notice_channel_id=channel_id, notice_message_id=message_id)
            )

        return record

    # -- internals --------------------------------------------------------------------------

    async def _ended(self, session: AsyncSession, pause: MemberPause, now: datetime) -> None:
        """Tell the member kindly that it is over, update the team's notice and their cards."""
        await self.jobs.add(
            session,
            guild_id=pause.guild_id,
            kind=PAUSE_ENDED_DM,
            due_at=now,
            target_id=pause.member_id,
            payload=PausePayload(pause.id),
            dedupe_key=f"pause-ended:{pause.id}",
        )
        await self._notice(session, pause, now)
        await self._refresh_cards(session, pause.guild_id, pause.member_id, now)

    async def _notice(self, session: AsyncSession, pause: MemberPause, now: datetime) -> None:
        await self.jobs.add(
            session,
            guild_id=pause.guild_id,
            kind=PAUSE_NOTICE,
            due_at=now,
            target_id=pause.member_id,
            payload=PausePayload(pause.id),
            dedupe_key=f"pause-notice:{pause.id}",
        )

    async def _refresh_cards(
        self, session: AsyncSession, guild_id: int, member_id: int, now: datetime
    ) -> None:
        """The member's open cases show the pause: redraw their cards."""
        ids = (
            await session.scalars(
                select(Case.id).where(
                    Case.guild_id == guild_id,
                    Case.status.in_(OPEN_STATUSES),
                    ((Case.member_id == member_id) & (Case.kind != "report"))
                    | (Case.subject_id == member_id),
                    Case.card_message_id.is_not(None),
                )
            )
        ).all()
        for case_id in ids:
            await schedule_card_sync(self.jobs, session, guild_id, case_id, now)
