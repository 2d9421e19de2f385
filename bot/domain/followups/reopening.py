"""Reopening a closed case: from a reminder's button (a moderator of the case's server), or
when a member asks to talk again after a check-in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.authority import Actor
from bot.domain.cases import CaseService, reference
from bot.domain.cases.kinds import SUPPORT_SILENCE
from bot.domain.cases.store import audit, lock_counter, open_case_of
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.followups.base import GONE, FollowUpBase
from bot.domain.i18n import _
from bot.infra.jobs import JobKind
from models import Case, FollowUp


@dataclass(frozen=True)
class Reopened:
    why: str = "followup"


# Declared beside the service that schedules it: tell the member and the team it reopened.
CASE_REOPENED = JobKind("case.reopened", Reopened)


class Reopening(FollowUpBase):
    async def reopen_case(self, guild_id: int, case_id: int, actor_id: int, *, why: str) -> Case:
        """Put a closed case back in the queue for Tend's own reasons (a member asked to talk)."""

        async def work(session: AsyncSession) -> Case:
            case = await CaseService.get_in(session, guild_id, case_id)
            return await self._reopen(session, case, actor_id, why)

        case = await self.jobs.write(work)
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
                raise NotFound(_("This reminder isn't about a case, so there's nothing to reopen."))
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

        case = await self.jobs.write(work)
        return case

    async def _reopen(self, session: AsyncSession, case: Case, actor_id: int, why: str) -> Case:
        """Put a closed case back in the queue (open, or with its holder), card refreshed."""
        now = self.clock()
        guild_id = case.guild_id
        if case.is_open:
            raise InvalidInput(_("{reference} is already open.", reference=reference(case.kind, case.number)))
        if case.kind == "support" and case.member_id is not None:
            # One open support case per member: reopening must not make a second.
            await lock_counter(session, guild_id, "support")
            other = await open_case_of(session, guild_id, case.member_id, "support")
            if other is not None:
                raise InvalidInput(
                    _(
                        "The member already has {open_case} open, so I didn't reopen {this_case}; please carry on in that one.",
                        open_case=reference(other.kind, other.number),
                        this_case=reference(case.kind, case.number),
                    )
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
