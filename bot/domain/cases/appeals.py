"""Appeals: a member asks the team to look again at a timeout or a ban.

Opt-in per server. A timeout Tend notices (a gateway member update) is recorded as a
:class:`ModerationAction` and the member is told by DM, with **Ask for a review**; asking opens
an ``appeal`` case in the same queue. A ban is appealed from the server's appeals server
(``/appeal``), after Tend has checked with Discord that the ban exists. The moderator who took
the action (``Case.acted_by``) never decides the appeal (the authority rule). Outcomes: upheld,
shortened (timeouts), lifted; Tend changes the timeout or lifts the ban itself, then tells the
member, each step a durable job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.authority import Actor
from bot.domain.cases.base import NewCase
from bot.domain.cases.service import CaseService
from bot.domain.cases.store import audit, claim_number, lock_counter, reference
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.i18n import _
from bot.infra.jobs import Finish, JobKind
from models import Case, ModerationAction

APPEAL_OUTCOMES = ("upheld", "shortened", "lifted")
ACTION_GONE = _(
    "I can't find that decision any more. If you'd like to talk with the moderators, `/support` is open."
)
# After a ban appeal is decided, a new one waits this long (no one has to re-decide it daily).
BAN_APPEAL_COOLDOWN = timedelta(days=30)
# Discord says when a timeout ends to the millisecond; an update within this of a known end is the same one.
SAME_TIMEOUT = timedelta(seconds=2)


@dataclass(frozen=True)
class ActionPayload:
    action: int = 0


@dataclass(frozen=True)
class DecisionPayload:
    outcome: str = "upheld"
    # A shortened timeout's new end (ISO 8601, UTC).
    until: str | None = None


# Declared beside the service that schedules them.
APPEAL_OFFER = JobKind("appeal.offer", ActionPayload)  # DM the member: what happened, Ask for a review
APPEAL_APPLY = JobKind("appeal.apply", DecisionPayload)  # change the timeout / lift the ban on Discord
APPEAL_TELL = JobKind("appeal.tell", DecisionPayload)  # tell the member the outcome


class AppealService:
    def __init__(self, cases: CaseService):
        self.cases = cases
        self.db = cases.db
        self.jobs = cases.jobs
        self.settings = cases.authority.settings

    async def get_action(self, action_id: int) -> ModerationAction | None:
        if not action_id:
            return None
        async with self.db.read() as session:
            return await session.get(ModerationAction, action_id)

    # -- a timeout is noticed --------------------------------------------------------------

    async def timed_out(
        self, guild_id: int, member_id: int, until: datetime | None
    ) -> ModerationAction | None:
        """A member update set (or changed) a timeout: record it and offer a review by DM, once
        per timeout. None when the server doesn't offer appeals, the timeout is over, or Tend
        knows it already (one it set itself when shortening)."""
        guild = self.settings.guild(guild_id)
        now = self.cases.clock()
        if guild is None or not guild.appeals.timeouts or until is None or until <= now:
            return None

        async def work(session: AsyncSession) -> ModerationAction | None:
            # One at a time per server: two updates about one timeout (a role change alongside)
            # must not both offer a review.
            await lock_counter(session, guild_id, "appeal")
            known = (
                await session.scalars(
                    select(ModerationAction).where(
                        ModerationAction.guild_id == guild_id,
                        ModerationAction.member_id == member_id,
                        ModerationAction.action == "timeout",
                        ModerationAction.until.is_not(None),
                    )
                )
            ).all()
            if any(a.until is not None and abs(a.until - until) <= SAME_TIMEOUT for a in known):
                return None
            action = ModerationAction(
                guild_id=guild_id, member_id=member_id, action="timeout", acted_at=now, until=until
            )
            session.add(action)
            await session.flush()
            audit(
                session,
                None,
                "timeout_noticed",
                None,
                guild_id=guild_id,
                moderation=action.id,
                member=member_id,
            )
            await self.jobs.add(
                session,
                guild_id=guild_id,
                kind=APPEAL_OFFER,
                due_at=now,
                target_id=member_id,
                payload=ActionPayload(action.id),
            )
            return action

        return await self.jobs.write(work)

    def who_acted(self, action_id: int, acted_by: int | None, reason: str | None) -> Finish:
        """What the audit log said (recorded with the offer's end): who acted, and the reason
        where the server shows it."""

        async def record(session: AsyncSession) -> None:
            await session.execute(
                update(ModerationAction)
                .where(ModerationAction.id == action_id)
                .values(acted_by=acted_by, reason=reason)
            )

        return record

    # -- the member asks -------------------------------------------------------------------

    async def ask(self, actor: Actor, action_id: int, words: str | None) -> Case:
        """The member asks for a review of a timeout they were told about (from their DMs)."""
        now = self.cases.clock()

        async def work(session: AsyncSession) -> NewCase:
            action = await session.get(ModerationAction, action_id) if action_id else None
            if action is None or action.member_id != actor.user_id:
                raise NotFound(ACTION_GONE)
            if actor.guild_id is not None and actor.guild_id != action.guild_id:
                raise NotFound(ACTION_GONE)
            if action.case_id is not None:
                existing = await session.get(Case, action.case_id)
                if existing is None:
                    raise InvalidInput(
                        _("You've already asked for a review of this. You'll hear back by DM.")
                    )
                raise InvalidInput(
                    _(
                        "You've already asked for a review of this ({reference}). You'll hear back by DM.",
                        reference=reference("appeal", existing.number),
                    )
                )
            if action.action == "timeout" and (action.until is None or action.until <= now):
                raise InvalidInput(
                    _(
                        "That timeout has already ended. If you'd still like to talk about it, `/support` is open."
                    )
                )
            return await self._open(session, action, words, now)

        made = await self.jobs.write(work)
        self.jobs.spawn_claimed(made.card)
        return made.case

    async def ask_ban(
        self, *, guild_id: int, member_id: int, words: str | None, acted_by: int | None, reason: str | None
    ) -> Case:
        """A ban appeal from the appeals server; the caller has checked with Discord that the ban exists."""
        guild = self.settings.guild(guild_id)
        if guild is None:
            raise NotFound(_("That server doesn't use Tend any more."))
        now = self.cases.clock()

        async def work(session: AsyncSession) -> NewCase:
            pending = await session.scalar(
                select(Case).where(
                    Case.guild_id == guild_id,
                    Case.kind == "appeal",
                    Case.member_id == member_id,
                    Case.closed_at.is_(None),
                )
            )
            if pending is not None:
                raise InvalidInput(
                    _(
                        "You've already asked for a review ({reference}). You'll hear back by DM.",
                        reference=reference("appeal", pending.number),
                    )
                )
            decided = await session.scalar(
                select(Case)
                .join(ModerationAction, ModerationAction.case_id == Case.id)
                .where(
                    Case.guild_id == guild_id,
                    Case.member_id == member_id,
                    Case.outcome == "upheld",
                    Case.closed_at > now - BAN_APPEAL_COOLDOWN,
                    ModerationAction.action == "ban",
                )
                .order_by(Case.closed_at.desc())
                .limit(1)
            )
            if decided is not None and decided.closed_at is not None:
                again = decided.closed_at + BAN_APPEAL_COOLDOWN
                raise InvalidInput(
                    _(
                        "The moderators reviewed this recently ({reference}) and the decision stands. "
                        "You can ask again from {when}.",
                        reference=reference("appeal", decided.number),
                        when=f"<t:{int(again.timestamp())}:D>",
                    )
                )
            action = ModerationAction(
                guild_id=guild_id,
                member_id=member_id,
                action="ban",
                acted_by=acted_by,
                acted_at=now,
                reason=reason if guild.appeals.show_reason else None,
            )
            session.add(action)
            await session.flush()
            return await self._open(session, action, words, now)

        made = await self.jobs.write(work)
        self.jobs.spawn_claimed(made.card)
        return made.case

    async def _open(
        self, session: AsyncSession, action: ModerationAction, words: str | None, now: datetime
    ) -> NewCase:
        number = await claim_number(session, action.guild_id, "appeal")
        made = await self.cases.open_case(
            session,
            kind="appeal",
            guild_id=action.guild_id,
            number=number,
            status="new",
            now=now,
            audited=(
                "appeal_opened",
                action.member_id,
                {"kind": action.action, "acted_by": action.acted_by},
            ),
            member_id=action.member_id,
            acted_by=action.acted_by,
            body=(words or "").strip() or None,
            snapshot={
                "action_id": action.id,
                "action": action.action,
                "acted_at": action.acted_at.isoformat(),
                "until": action.until.isoformat() if action.until else None,
                "reason": action.reason,
            },
        )
        action.case_id = made.case.id
        return made

    # -- a moderator decides ---------------------------------------------------------------

    async def decide(
        self, actor: Actor, case_id: int, outcome: str, *, until: datetime | None = None
    ) -> Case:
        """Uphold, shorten (a timeout, to end at ``until``) or lift. Never by the moderator who acted."""
        if outcome not in APPEAL_OUTCOMES:
            raise InvalidInput(_("Please pick one of the listed outcomes."))
        now = self.cases.clock()

        async def work(session: AsyncSession) -> Case:
            case = await self.cases.moderated(session, actor, case_id)
            if case.kind != "appeal":
                raise InvalidInput(_("That isn't an appeal."))
            self.cases.require_open(case)
            facts = case.snapshot or {}
            action = await session.get(ModerationAction, int(facts.get("action_id") or 0))
            kind = facts.get("action")
            payload = DecisionPayload(outcome)
            if outcome == "shortened":
                current = datetime.fromisoformat(facts["until"]) if facts.get("until") else None
                if kind != "timeout" or current is None:
                    raise InvalidInput(_("Only a timeout can be shortened; a ban is upheld or lifted."))
                if until is None or until <= now or until >= current:
                    shown = int(current.timestamp())
                    raise InvalidInput(
                        _(
                            "Please pick a time after now and before it ends now ({until}).",
                            until=f"<t:{shown}:f>",
                        )
                    )
                payload = DecisionPayload(outcome, until.isoformat())
            if action is not None and kind == "timeout" and outcome != "upheld":
                # Known before Discord says so, so Tend's own change isn't taken for a new timeout.
                action.until = until if outcome == "shortened" else None
            self.cases.mark_closed(case, status="closed", outcome=outcome, actor_id=actor.user_id)
            audit(session, case, "appeal_decided", actor.user_id, outcome=outcome)
            job = APPEAL_TELL if outcome == "upheld" else APPEAL_APPLY
            await self.jobs.add(
                session,
                guild_id=case.guild_id,
                kind=job,
                due_at=now,
                case_id=case.id,
                target_id=case.member_id,
                payload=payload,
            )
            await self.cases.refresh_card(session, case)
            return case

        return await self.jobs.write(work)

    def applied(self, case_id: int, guild_id: int, member_id: int | None, payload: DecisionPayload) -> Finish:
        """The change is made on Discord: clear any problem and tell the member (same write)."""

        async def record(session: AsyncSession) -> None:
            case = await session.get(Case, case_id)
            if case is None:
                return
            if case.problem is not None:
                case.problem = None
                await self.cases.refresh_card(session, case)
            audit(session, case, "appeal_applied", None, outcome=payload.outcome)
            await self.jobs.add(
                session,
                guild_id=guild_id,
                kind=APPEAL_TELL,
                due_at=self.cases.clock(),
                case_id=case_id,
                target_id=member_id,
                payload=payload,
                dedupe_key=f"appeal-tell:{case_id}",
            )

        return record
