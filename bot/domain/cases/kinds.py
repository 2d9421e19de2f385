"""The case lifecycle's scheduled work: each kind declared once, with the payload it carries.

The services in this package schedule these; the features register handlers at load.
Payloads hold ids, labels and Tend's own words, never a member's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.infra.jobs import JobEngine, JobKind, NoPayload


@dataclass(frozen=True)
class SetupPayload:
    # A moderator reached out: they hold the case and the welcome says so.
    reached_out_by: int | None = None
    # The member talks through DMs (the relay): the thread is the team's side, without them.
    relay: bool = False


@dataclass(frozen=True)
class ClosePayload:
    survey: bool = False
    by_member: bool = False


@dataclass(frozen=True)
class CaseFollowUpPayload:
    # Reports say whom to check in with (the reporter or the reported member); otherwise the
    # case's member.
    member: int | None = None
    follow_with: str | None = None
    # Older versions carried the closing note here; it moves onto the follow-up, sealed.
    note: str | None = None

    legacy_keys: ClassVar[dict[str, str]] = {"with": "follow_with"}


@dataclass(frozen=True)
class NoticePayload:
    # Tend's own words about the case (ids and labels, never a member's).
    text: str = ""


@dataclass(frozen=True)
class MessagePayload:
    # Which of the library's messages to send the member.
    message: str = ""


@dataclass(frozen=True)
class TalkPayload:
    which: str = "reporter"


@dataclass(frozen=True)
class UnpostPayload:
    # A transcript file Tend posted (its message), to delete with the record.
    channel_id: int = 0
    message_id: int = 0


CARD_SYNC = JobKind("case.card", NoPayload)
SUPPORT_SETUP = JobKind("support.setup", SetupPayload)
SUPPORT_NUDGE = JobKind("support.nudge", NoPayload)
SUPPORT_SILENCE = JobKind("support.silence", NoPayload)
SUPPORT_CLOSE = JobKind("support.close", ClosePayload)
CASE_FOLLOWUP = JobKind("case.followup", CaseFollowUpPayload)
CASE_NOTICE = JobKind("case.notice", NoticePayload)
REPORT_NOTIFY = JobKind("report.notify", MessagePayload)
REPORT_TALK = JobKind("report.talk", TalkPayload)
# A closed case's transcript, posted once to its notes thread (cogs/records).
CASE_TRANSCRIPT = JobKind("case.transcript", NoPayload)
# ...and deleted from Discord when the record goes (retention, a member's /privacy delete).
TRANSCRIPT_UNPOST = JobKind("case.transcript_unpost", UnpostPayload)


async def schedule_card_sync(
    jobs: JobEngine, session: AsyncSession, guild_id: int, case_id: int, now: datetime
) -> None:
    """Schedule a refresh of the case's queue card (one pending refresh at a time is enough)."""
    await jobs.add(
        session, guild_id=guild_id, kind=CARD_SYNC, due_at=now, case_id=case_id, dedupe_key=f"card:{case_id}"
    )
