"""Small database helpers for cases: numbering, lookups, the audit trail. Nothing here commits."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from models import OPEN_STATUSES, AuditEvent, Case, CaseCounter

REFERENCE_PREFIX = {"support": "support-", "report": "R-", "distress": "D-", "appeal": "A-"}


def reference(kind: str, number: int) -> str:
    """The opaque name people see: ``support-0042``, ``R-0042``. Never a member's name."""
    return f"{REFERENCE_PREFIX[kind]}{number:04d}"


async def lock_counter(session: AsyncSession, guild_id: int, kind: str) -> None:
    """Serialize "check a limit, then add a case" per guild and kind, on every backend.

    Takes the counter row's lock for the rest of the transaction (PostgreSQL ``FOR UPDATE``;
    SQLite's single writer already serializes). A concurrent submission waits here, and under
    READ COMMITTED its checks then see the case this one added. Cheaper and simpler than an
    advisory lock, and the counter row is the one the insert bumps anyway.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(CaseCounter).values(guild_id=guild_id, kind=kind, last_number=0).on_conflict_do_nothing()
    )
    await session.execute(
        select(CaseCounter.last_number)
        .where(CaseCounter.guild_id == guild_id, CaseCounter.kind == kind)
        .with_for_update()
    )


def _bump(dialect: str) -> Any:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(CaseCounter)
        .values(guild_id=bindparam("guild_id"), kind=bindparam("kind"), last_number=1)
        .on_conflict_do_update(
            index_elements=[CaseCounter.guild_id, CaseCounter.kind],
            set_={"last_number": CaseCounter.last_number + 1},
        )
        .returning(CaseCounter.last_number)
    )


# The statements of every case flow, built once: building one and working out its cache key
# cost as much as running it (a look-up by key: 1.1 ms built per call, 0.55 ms built once).
_BUMP = {dialect: _bump(dialect) for dialect in ("postgresql", "sqlite")}


async def claim_number(session: AsyncSession, guild_id: int, kind: str) -> int:
    """Take the next case number for a guild and kind, in one statement (an upsert that returns
    it). The counter row stays locked until the transaction ends, so it also serializes "check a
    limit, then add a case": call it first, check, and raise to give the number back."""
    bump = _BUMP["postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"]
    return int((await session.execute(bump, {"guild_id": guild_id, "kind": kind})).scalar_one())


# What an audit detail may hold: ids, numbers, flags and short labels (a rule id, an outcome key).
_LABEL = re.compile(r"[A-Za-z0-9_.:-]{0,64}")


def audit(
    session: AsyncSession,
    case: Case | None,
    action: str,
    actor_id: int | None,
    *,
    guild_id: int | None = None,
    case_id: int | None = None,
    **detail: Any,
) -> None:
    """Record who did what to which case (``case``, or ``guild_id`` and ``case_id`` when the
    caller has the ids only).

    ``detail`` holds ids and labels only, never anyone's words: audit events outlive the
    retention purge and /privacy delete, and aren't encrypted. A string that isn't a short
    label (spaces, punctuation, length) is refused, so free text can't slip in unnoticed.
    """
    for key, value in detail.items():
        if isinstance(value, str) and not _LABEL.fullmatch(value):
            raise ValueError(f"audit detail {key!r} looks like free text; record ids and labels only")
        if not isinstance(value, str | int | float | bool | None):
            raise ValueError(f"audit detail {key!r} must be an id, a number, a flag or a label")
    session.add(
        AuditEvent(
            guild_id=guild_id if case is None else case.guild_id,
            case_id=case_id if case is None else case.id,
            actor_id=actor_id,
            action=action,
            detail=detail,
        )
    )


_MEMBERS_CASES = (
    Case.guild_id == bindparam("guild_id"),
    Case.member_id == bindparam("member_id"),
    Case.kind == bindparam("kind"),
)
_OPEN_OR_LATEST = (
    select(Case)
    .where(*_MEMBERS_CASES)
    .order_by(sql_case((Case.status.in_(OPEN_STATUSES), 0), else_=1), Case.opened_at.desc())
    .limit(1)
)
_OPEN_CASE_OF = (
    select(Case)
    .where(*_MEMBERS_CASES, Case.status.in_(OPEN_STATUSES))
    .order_by(Case.opened_at.desc())
    .limit(1)
)


async def open_or_latest(session: AsyncSession, guild_id: int, member_id: int, kind: str) -> Case | None:
    """The member's open case of ``kind`` if there is one, else their latest (one query)."""
    return await session.scalar(_OPEN_OR_LATEST, {"guild_id": guild_id, "member_id": member_id, "kind": kind})


async def open_case_of(session: AsyncSession, guild_id: int, member_id: int, kind: str) -> Case | None:
    return await session.scalar(_OPEN_CASE_OF, {"guild_id": guild_id, "member_id": member_id, "kind": kind})


# Two counts, each answered from an index (an OR across both columns would scan the guild).
_OWN = (
    select(func.count())
    .select_from(Case)
    .where(
        Case.guild_id == bindparam("guild_id"),
        Case.member_id == bindparam("user_id"),
        Case.kind != "report",
        Case.id != bindparam("case_id"),
    )
    .scalar_subquery()
)
_ABOUT = (
    select(func.count())
    .select_from(Case)
    .where(
        Case.guild_id == bindparam("guild_id"),
        Case.subject_id == bindparam("user_id"),
        (Case.kind == "report") | (Case.member_id != bindparam("user_id")) | Case.member_id.is_(None),
        Case.id != bindparam("case_id"),
    )
    .scalar_subquery()
)
_PAST = select(_OWN + _ABOUT)


async def past_case_count(session: AsyncSession, case: Case, user_id: int) -> int:
    """How many other cases name this person in the guild (shown to moderators only).

    A person's earlier support requests and reports about them count; reports they filed don't.
    """
    count = await session.scalar(_PAST, {"guild_id": case.guild_id, "user_id": user_id, "case_id": case.id})
    return int(count or 0)


_LOAD = (
    select(Case.holder_id, func.count())
    .where(
        Case.guild_id == bindparam("guild_id"), Case.status.in_(OPEN_STATUSES), Case.holder_id.is_not(None)
    )
    .group_by(Case.holder_id)
)


async def open_load(session: AsyncSession, guild_id: int) -> dict[int, int]:
    """Open cases per holder in a guild."""
    rows = await session.execute(_LOAD, {"guild_id": guild_id})
    return {int(holder): int(count) for holder, count in rows.all() if holder is not None}
