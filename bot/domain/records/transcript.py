"""A case's transcript as data: who said what in which of its threads, and what happened to the case.

Built from the recorded messages (models/records.py) and the audit trail; rendered by html.py.
Nothing here decides who may read it: the services and the disclosure rule do, before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.domain.cases.store import reference
from models import AuditEvent, Case, CaseMessage


@dataclass(frozen=True)
class Said:
    """One message of a case thread, with everything that happened to it."""

    message_id: int
    thread_id: int
    author_id: int | None
    name: str
    bot: bool
    at: datetime
    text: str
    attachments: tuple[str, ...] = ()
    # Earlier versions, oldest first; ``edited_at`` is the latest edit.
    edits: tuple[str, ...] = ()
    edited_at: datetime | None = None
    deleted_at: datetime | None = None
    # The words were removed at the author's request (/privacy delete).
    erased: bool = False


@dataclass(frozen=True)
class Moment:
    """One line of the card's timeline (from the audit trail: ids and labels only)."""

    at: datetime
    action: str
    actor_id: int | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Thread:
    thread_id: int
    label: str


@dataclass(frozen=True)
class Transcript:
    guild_id: int
    case_id: int
    reference: str
    kind: str
    status: str
    outcome: str | None
    opened_at: datetime
    closed_at: datetime | None
    member_id: int | None
    subject_id: int | None
    holder_id: int | None
    closed_by: int | None
    anonymous: bool
    threads: tuple[Thread, ...]
    messages: tuple[Said, ...]
    timeline: tuple[Moment, ...]
    # The member's Discord language, as their latest interaction with Tend reported it.
    locale: str | None = None

    def in_thread(self, thread_id: int) -> list[Said]:
        return [m for m in self.messages if m.thread_id == thread_id]


THREAD_LABELS = {
    "support": "Support thread",
    "reporter": "Conversation with the reporter",
    "reported": "Conversation with the reported member",
}


def case_threads(case: Case) -> tuple[Thread, ...]:
    """The case's threads in the order a reader meets them."""
    if case.kind == "report":
        found = [
            Thread(case.thread_id, THREAD_LABELS["reporter"]) if case.thread_id else None,
            Thread(case.subject_thread_id, THREAD_LABELS["reported"]) if case.subject_thread_id else None,
        ]
        return tuple(t for t in found if t is not None)
    return (Thread(case.thread_id, THREAD_LABELS["support"]),) if case.thread_id else ()


def said_of(row: CaseMessage) -> Said:
    record = row.record or {}
    return Said(
        message_id=row.message_id,
        thread_id=row.thread_id,
        author_id=row.author_id,
        name=str(record.get("name") or ("the reporter" if row.author_id is None else "")),
        bot=bool(record.get("bot")),
        at=row.created_at,
        text=str(record.get("text") or ""),
        attachments=tuple(str(a) for a in record.get("attachments") or ()),
        edits=tuple(str(e) for e in record.get("edits") or ()),
        edited_at=row.edited_at,
        deleted_at=row.deleted_at,
        erased=row.record is None,
    )


# Moments that happen once per case, whatever a race recorded twice.
_ONCE = {"first_reply", "thread_created", "opened", "reported", "noticed"}


def _timeline(events: list[AuditEvent]) -> tuple[Moment, ...]:
    seen: set[str] = set()
    moments = []
    for e in events:
        if e.action in _ONCE and e.action in seen:
            continue
        seen.add(e.action)
        moments.append(Moment(e.created_at, e.action, e.actor_id, dict(e.detail or {})))
    return tuple(moments)


def build(case: Case, rows: list[CaseMessage], events: list[AuditEvent]) -> Transcript:
    threads = case_threads(case)
    known = {t.thread_id for t in threads}
    # Messages of a thread the case no longer names (a conversation reopened elsewhere) still count.
    extra = sorted({r.thread_id for r in rows} - known)
    threads += tuple(Thread(t, "Earlier thread") for t in extra)
    locale = next(
        (
            str(r.record["locale"])
            for r in reversed(rows)
            if r.record and r.record.get("locale") and r.author_id == case.member_id
        ),
        None,
    )
    return Transcript(
        guild_id=case.guild_id,
        case_id=case.id,
        reference=reference(case.kind, case.number),
        kind=case.kind,
        status=case.status,
        outcome=case.outcome,
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        member_id=case.member_id,
        subject_id=case.subject_id,
        holder_id=case.holder_id,
        closed_by=case.closed_by,
        anonymous=case.anonymous,
        threads=threads,
        messages=tuple(said_of(r) for r in rows),
        timeline=_timeline(events),
        locale=locale,
    )
