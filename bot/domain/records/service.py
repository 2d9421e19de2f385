"""Recording a case's thread messages as they happen, and reading its transcript and history.

Each message costs one small write when it arrives (an edit or a deletion one more), and no
REST call: the record survives the thread being deleted, and reading history back from
Discord at close (a call per hundred messages) is only a fallback for what arrived while Tend
was away. What was said is sealed; a case keeps at most ``MAX_MESSAGES_PER_CASE`` messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.authority import CASE_GONE, Actor, Authority
from bot.domain.cases.store import REFERENCE_PREFIX
from bot.domain.errors import InvalidInput, NotAllowed, NotFound
from bot.domain.records.transcript import Transcript, build
from bot.infra.db import Database
from bot.infra.jobs import Finish
from models import AuditEvent, Case, CaseMessage, TranscriptPost
from models.records import MAX_ATTACHMENTS, MAX_EDITS_KEPT, MAX_MESSAGES_PER_CASE, MAX_NAME, MAX_TEXT

HISTORY_LIMIT = 25
# Every kind's reference (support-0001, R-0002, D-0003, A-0004), as on its card.
_REFERENCE = re.compile(
    r"\s*(" + "|".join(re.escape(p) for p in REFERENCE_PREFIX.values()) + r")0*([0-9]{1,9})\s*", re.IGNORECASE
)
# A case thread's name starts with its reference ("support-0001", "R-0002 · conversation").
_THREAD_NAME = re.compile(r"(support-|R-)([0-9]{1,9})(?: · (report|conversation))?")
_KIND_OF_PREFIX = {prefix.lower(): kind for kind, prefix in REFERENCE_PREFIX.items()}


def parse_reference(text: str) -> tuple[str, int]:
    """``support-0042`` / ``R-7`` as (kind, number); a kind InvalidInput otherwise."""
    match = _REFERENCE.fullmatch(text or "")
    if match is None:
        raise InvalidInput(
            "Please give the case's reference as it appears on its card, e.g. `support-0001` or `R-0003`."
        )
    return _KIND_OF_PREFIX[match[1].lower()], int(match[2])


def _clip(text: str | None, limit: int) -> str:
    text = (text or "").replace("\x00", "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Heard:
    """A message as Tend heard it on the gateway (ids, the author's name then, what it says)."""

    guild_id: int
    thread_id: int
    message_id: int
    author_id: int
    name: str
    bot: bool
    at: datetime
    text: str
    attachments: Sequence[str] = ()
    # The author's Discord language, when Tend knows it from an interaction.
    locale: str | None = None
    # The thread's name: a case's thread is found by it before Tend has stored its id.
    thread_name: str | None = None


def _row(case_id: int, heard: Heard) -> dict[str, Any]:
    record: dict[str, Any] = {
        "name": _clip(heard.name, MAX_NAME),
        "bot": heard.bot,
        "text": _clip(heard.text, MAX_TEXT),
        "attachments": [_clip(a, MAX_NAME) for a in list(heard.attachments)[:MAX_ATTACHMENTS]],
    }
    if heard.locale:
        record["locale"] = _clip(heard.locale, 16)
    return {
        "guild_id": heard.guild_id,
        "case_id": case_id,
        "thread_id": heard.thread_id,
        "message_id": heard.message_id,
        "author_id": heard.author_id,
        "created_at": heard.at,
        "record": record,
    }


# Asked for every message heard in a case thread: built once (building a statement costs as much
# as running it).
_BY_THREAD = (
    select(Case)
    .where(Case.guild_id == bindparam("guild_id"))
    .where(or_(Case.thread_id == bindparam("thread_id"), Case.subject_thread_id == bindparam("thread_id")))
    .limit(1)
)
_KEPT = select(func.count()).select_from(CaseMessage).where(CaseMessage.case_id == bindparam("case_id"))


async def _insert(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Messages in, ones already kept skipped (the live copy and the read-back at close meet)."""
    if rows:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        statement = insert(CaseMessage).on_conflict_do_nothing(index_elements=[CaseMessage.message_id])
        await session.execute(statement, rows)


@dataclass(frozen=True)
class PastCase:
    case: Case
    transcript: Transcript


class RecordService:
    def __init__(self, db: Database, authority: Authority):
        self.db = db
        self.authority = authority

    # -- recording ---------------------------------------------------------------------------

    @staticmethod
    async def case_of_thread(
        session: AsyncSession, guild_id: int, thread_id: int, thread_name: str | None = None
    ) -> Case | None:
        """The case whose thread this is: by the stored id, else (a thread just made, not yet
        stored) by the reference its name starts with."""
        case = await session.scalar(_BY_THREAD, {"guild_id": guild_id, "thread_id": thread_id})
        if case is not None or not thread_name:
            return case
        match = _THREAD_NAME.fullmatch(thread_name)
        if match is None:
            return None
        kind = _KIND_OF_PREFIX[match[1].lower()]
        if (kind == "report") != (match[3] is not None):
            return None
        found = await session.scalar(
            select(Case).where(Case.guild_id == guild_id, Case.kind == kind, Case.number == int(match[2]))
        )
        # Only while the case has no thread of that kind yet: a stored one is the truth.
        if found is None:
            return None
        stored = found.subject_thread_id if match[3] == "conversation" else found.thread_id
        return found if stored is None else None

    async def record(self, heard: Heard) -> bool:
        """Keep a message of a case thread (sealed). Returns whether it belongs to a case."""
        return bool(await self.record_many([heard]))

    async def record_many(self, heard: Sequence[Heard]) -> int:
        """Keep messages of one case thread (heard live, or read back at close), in one write;
        ones already kept are skipped. Returns how many belong to a case."""
        if not heard:
            return 0
        first = heard[0]

        async def work(session: AsyncSession) -> int:
            case = await self.case_of_thread(session, first.guild_id, first.thread_id, first.thread_name)
            if case is None:
                return 0
            count = await session.scalar(_KEPT, {"case_id": case.id})
            room = MAX_MESSAGES_PER_CASE - int(count or 0)
            rows = [_row(case.id, one) for one in heard if one.thread_id == first.thread_id][: max(room, 0)]
            await _insert(session, rows)
            return len(heard)  # past the bound, the transcript says it was cut (html.py)

        return await self.db.write(work)

    @staticmethod
    def keep(case_id: int, heard: Heard) -> Finish:
        """Keep a message Tend sent in a case's thread, in the transaction that finishes the job
        that sent it (its gateway copy is then skipped: ``kept_by_sender``)."""

        async def record(session: AsyncSession) -> None:
            await _insert(session, [_row(case_id, heard)])

        return record

    async def edited(
        self, message_id: int, text: str | None, attachments: Sequence[str] | None, at: datetime
    ) -> bool:
        """A recorded message was edited: keep the earlier version, show the new one."""

        async def work(session: AsyncSession) -> bool:
            row = await session.scalar(select(CaseMessage).where(CaseMessage.message_id == message_id))
            if row is None or row.record is None:
                return False
            record = dict(row.record)
            changed = False
            if text is not None and _clip(text, MAX_TEXT) != record.get("text"):
                edits = [*list(record.get("edits") or []), record.get("text") or ""][-MAX_EDITS_KEPT:]
                record["edits"], record["text"] = edits, _clip(text, MAX_TEXT)
                changed = True
            if attachments is not None:
                names = [_clip(a, MAX_NAME) for a in list(attachments)[:MAX_ATTACHMENTS]]
                if names != record.get("attachments"):
                    record["attachments"], changed = names, True
            if changed:
                row.record, row.edited_at = record, at
            return changed

        return await self.db.write(work)

    async def deleted(self, message_ids: Iterable[int], at: datetime) -> int:
        """Recorded messages were deleted on Discord: the transcript shows them as deleted."""
        ids = list(message_ids)
        if not ids:
            return 0

        async def work(session: AsyncSession) -> int:
            result = await session.execute(
                update(CaseMessage)
                .where(CaseMessage.message_id.in_(ids), CaseMessage.deleted_at.is_(None))
                .values(deleted_at=at)
            )
            return int(getattr(result, "rowcount", 0) or 0)

        return await self.db.write(work)

    def posted(self, guild_id: int, case_id: int, channel_id: int, message_id: int, at: datetime) -> Finish:
        """What a posted transcript records, with its job's end: where the file is, so the copy
        goes when the record does."""

        async def record(session: AsyncSession) -> None:
            known = await session.scalar(
                select(TranscriptPost.id).where(
                    TranscriptPost.case_id == case_id, TranscriptPost.message_id == message_id
                )
            )
            if known is None:
                session.add(
                    TranscriptPost(
                        guild_id=guild_id,
                        case_id=case_id,
                        channel_id=channel_id,
                        message_id=message_id,
                        posted_at=at,
                    )
                )

        return record

    # -- reading -----------------------------------------------------------------------------

    @staticmethod
    async def transcript_in(session: AsyncSession, case: Case) -> Transcript:
        rows = (
            await session.scalars(
                select(CaseMessage)
                .where(CaseMessage.case_id == case.id)
                .order_by(CaseMessage.created_at, CaseMessage.message_id)
            )
        ).all()
        events = (
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.guild_id == case.guild_id, AuditEvent.case_id == case.id)
                .order_by(AuditEvent.created_at, AuditEvent.id)
            )
        ).all()
        return build(case, list(rows), list(events))

    async def transcript(self, guild_id: int, case_id: int) -> Transcript:
        """A case's transcript for Tend's own work (posting it on close)."""
        async with self.db.read() as session:
            case = await session.get(Case, case_id) if case_id else None
            if case is None or case.guild_id != guild_id:
                raise NotFound(CASE_GONE)
            return await self.transcript_in(session, case)

    async def transcript_for(self, actor: Actor, reference_text: str) -> Transcript:
        """``/case transcript``: the case named by its reference in the server the moderator acts
        in, if the authority rule lets them act on it."""
        if actor.guild_id is None:
            raise NotAllowed("Transcripts are read inside the server, by its moderators.")
        guild = self.authority.guild_moderator(actor, actor.guild_id)
        kind, number = parse_reference(reference_text)
        async with self.db.read() as session:
            case = await session.scalar(
                select(Case).where(Case.guild_id == guild.id, Case.kind == kind, Case.number == number)
            )
            if case is None:
                raise NotFound(f"I can't find {reference_text.strip()[:20]} in this server.")
            self.authority.case_moderator(actor, case)
            return await self.transcript_in(session, case)

    async def history(self, actor: Actor, member_id: int) -> list[PastCase]:
        """``/case history``: a member's cases in this server, newest first, each with its
        transcript. Their support requests and distress notices, and reports *about* them; never
        reports they filed (that would name an anonymous reporter). Cases the moderator may not
        act on (a report about themselves, an escalated one) are left out."""
        if actor.guild_id is None:
            raise NotAllowed("A member's history is read inside the server, by its moderators.")
        guild = self.authority.guild_moderator(actor, actor.guild_id)
        async with self.db.read() as session:
            cases = (
                await session.scalars(
                    select(Case)
                    .where(
                        Case.guild_id == guild.id,
                        ((Case.kind != "report") & (Case.member_id == member_id))
                        | ((Case.kind == "report") & (Case.subject_id == member_id)),
                    )
                    .order_by(Case.opened_at.desc(), Case.id.desc())
                    .limit(HISTORY_LIMIT)
                )
            ).all()
            found = []
            for case in cases:
                try:
                    self.authority.case_moderator(actor, case)
                except (NotAllowed, NotFound):
                    continue
                found.append(PastCase(case, await self.transcript_in(session, case)))
        return found

    async def cases_for_autocomplete(self, guild_id: int, typed: str) -> list[Case]:
        """Recent cases of the server whose reference starts like ``typed`` (moderators only)."""
        async with self.db.read() as session:
            return list(
                (
                    await session.scalars(
                        select(Case).where(Case.guild_id == guild_id).order_by(Case.id.desc()).limit(200)
                    )
                ).all()
            )
