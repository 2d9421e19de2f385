"""What every sealed column (models/sealed.py) gets, driven by the declarations alone.

Key rotation, the start-up key check, a person's own words for /privacy export and delete,
and the retention purge all walk ``sealed_columns()``: a new sealed column is covered by each
of them without anyone editing this file. Nothing here commits except ``rotate_keys`` and
``verify_keys``, which own their transactions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    LargeBinary,
    Table,
    bindparam,
    delete,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.infra.crypto import EncryptionKeyError
from bot.infra.db import Database
from models import (
    KEY_CHECK_ID,
    KEY_CHECK_VALUE,
    Base,
    KeyCheck,
    Retention,
    SealedColumn,
    sealed_columns,
    sealed_tables,
)

ROTATE_BATCH = 500
# (table, model attribute, primary key): where one sealed value lives.
WordsKey = tuple[str, str, Any]


def primary_key(table: Table) -> Column[Any]:
    """The one-column primary key every table with sealed columns has (a test checks)."""
    (column,) = table.primary_key.columns
    return column


def attribute(sealed: SealedColumn) -> str:
    """The model attribute behind a sealed column (``body`` for ``cases.body_enc``)."""
    for mapper in Base.registry.mappers:
        if mapper.local_table is sealed.table:
            return str(mapper.get_property_by_column(sealed.column).key)
    return sealed.column.name


# -- key rotation --------------------------------------------------------------------------


async def rotate_keys(
    db: Database, rotate: Callable[[bytes], bytes], *, batch: int = ROTATE_BATCH
) -> dict[str, int]:
    """Re-encrypt every sealed value of every table with the newest key, a batch per
    transaction (rotating twice is harmless, so an interrupted run can simply be repeated).
    Returns how many values changed per table."""
    return {
        table.name: await _rotate_table(db, table, columns, rotate, batch)
        for table, _rule, columns in sealed_tables(Base)
    }


async def _rotate_table(
    db: Database, table: Table, columns: list[SealedColumn], rotate: Callable[[bytes], bytes], batch: int
) -> int:
    pk = primary_key(table)
    # Read and write the stored tokens as they are: no decrypting, no encrypting twice.
    raw = [type_coerce(c.column, LargeBinary).label(c.column.name) for c in columns]
    write = (
        update(table)
        .where(pk == bindparam("_row"))
        .values({c.column.name: bindparam(f"_new_{c.column.name}", type_=LargeBinary) for c in columns})
    )
    any_words = or_(*(c.column.is_not(None) for c in columns))

    async def next_batch(session: AsyncSession, after: Any) -> tuple[Any, int]:
        query = select(pk, *raw).where(any_words)
        if after is not None:
            query = query.where(pk > after)
        rows = (await session.execute(query.order_by(pk).limit(batch))).all()
        changes, changed = [], 0
        for row in rows:
            values: dict[str, Any] = {"_row": row[0]}
            for c, token in zip(columns, row[1:], strict=True):
                values[f"_new_{c.column.name}"] = None if token is None else rotate(bytes(token))
                changed += token is not None
            changes.append(values)
        if changes:
            await session.execute(write, changes)
        return (rows[-1][0] if rows else None), changed

    total, last = 0, None
    while True:
        last, changed = await db.write(functools.partial(next_batch, after=last))
        total += changed
        if last is None:
            return total


# -- the start-up key check ------------------------------------------------------------------


class KeysCantRead(Exception):
    """The configured keys can't read what is stored (another key wrote it)."""


async def verify_keys(db: Database) -> None:
    """Prove the database's keys read what is stored, or raise KeysCantRead.

    Reads the key check and the oldest and newest value of every sealed column (a value left
    under a removed key is most likely among the oldest), then writes the key check if there
    is none yet, so the next start with other keys is refused even on an empty database.
    """
    async with db.read() as session:
        for sealed in sealed_columns(Base.metadata):
            pk = primary_key(sealed.table)
            for order in (pk.asc(), pk.desc()):
                query = select(sealed.column).where(sealed.column.is_not(None)).order_by(order).limit(1)
                try:
                    value = await session.scalar(query)
                except EncryptionKeyError:
                    raise KeysCantRead(sealed.name) from None
                if sealed.table is KeyCheck.__table__ and value not in (None, KEY_CHECK_VALUE):
                    raise KeysCantRead(sealed.name)
        if await session.get(KeyCheck, KEY_CHECK_ID) is not None:
            return
    try:
        async with db.transaction() as session:
            session.add(KeyCheck(id=KEY_CHECK_ID, value=KEY_CHECK_VALUE))
    except IntegrityError:
        # Another process wrote it first: read theirs.
        await verify_keys(db)


# -- a person's own words ----------------------------------------------------------------------


async def authored(
    session: AsyncSession, guild_id: int, person_id: int, *, with_text: bool = True
) -> dict[WordsKey, Any]:
    """Every sealed value in the guild whose author is ``person_id`` (values None unless ``with_text``)."""
    found: dict[WordsKey, Any] = {}
    for sealed in sealed_columns(Base.metadata):
        author = sealed.author_column()
        if author is None:
            continue
        table, pk = sealed.table, primary_key(sealed.table)
        columns = [pk, sealed.column] if with_text else [pk]
        rows = await session.execute(
            select(*columns)
            .where(table.c.guild_id == guild_id, author == person_id, sealed.column.is_not(None))
            .order_by(pk)
        )
        name = attribute(sealed)
        for row in rows:
            found[(table.name, name, row[0])] = row[1] if with_text else None
    return found


async def erase_authored(
    session: AsyncSession, guild_id: int, person_id: int
) -> dict[tuple[str, str], list[Any]]:
    """Clear every erasable sealed value ``person_id`` wrote in the guild; a row whose sealed
    column can't be empty (its words are the row) is deleted. Returns the rows per (table, attribute)."""
    erased: dict[tuple[str, str], list[Any]] = {}
    for sealed in sealed_columns(Base.metadata):
        erasable = sealed.erasable_where()
        author = sealed.author_column()
        if erasable is None or author is None:
            continue
        table, pk = sealed.table, primary_key(sealed.table)
        where = (table.c.guild_id == guild_id, author == person_id, sealed.column.is_not(None), erasable)
        if sealed.column.nullable:
            statement: Any = update(table).where(*where).values({sealed.column: None}).returning(pk)
        else:
            statement = delete(table).where(*where).returning(pk)
        rows = list((await session.execute(statement)).scalars().all())
        if rows:
            erased[(table.name, attribute(sealed))] = rows
    return erased


# -- retention ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expired:
    """Rows the retention rules touched, per table: ``cleared`` kept their row, ``deleted`` didn't."""

    cleared: dict[str, list[Any]]
    deleted: dict[str, list[Any]]


def _expired(rule: Retention, guild_id: int, cutoff: datetime) -> Any:
    """The ids of the parent rows a ``follow`` rule's rows go with: those the parent's own rule
    expires at ``cutoff`` (whether or not their words were cleared already)."""
    assert rule.parent is not None
    parent = rule.parent()
    parent_rule: Retention = parent.retention
    table: Table = parent.__table__
    if parent_rule.after is None or parent_rule.action not in ("clear", "delete"):
        raise LookupError(f"{table.name}'s retention rule expires nothing for others to follow")
    where = [table.c.guild_id == guild_id, table.c[parent_rule.after] < cutoff]
    if parent_rule.when is not None:
        where.append(parent_rule.when())
    return select(primary_key(table)).where(*where)


async def purge_sealed(session: AsyncSession, guild_id: int, cutoff: datetime) -> Expired:
    """Apply every sealed table's declared retention rule to the guild's rows older than ``cutoff``."""
    cleared: dict[str, list[Any]] = {}
    deleted: dict[str, list[Any]] = {}
    for table, rule, columns in sealed_tables(Base):
        if rule is None:
            raise LookupError(f"{table.name} has sealed columns but declares no retention rule")
        if rule.action == "keep" or rule.after is None:
            continue
        pk = primary_key(table)
        if rule.action == "follow":
            gone = await session.execute(
                delete(table)
                .where(
                    table.c.guild_id == guild_id, table.c[rule.after].in_(_expired(rule, guild_id, cutoff))
                )
                .returning(pk)
            )
            deleted[table.name] = list(gone.scalars().all())
            continue
        where = [table.c.guild_id == guild_id, table.c[rule.after] < cutoff]
        if rule.when is not None:
            where.append(rule.when())
        if rule.action == "delete":
            gone = await session.execute(delete(table).where(*where).returning(pk))
            deleted[table.name] = list(gone.scalars().all())
            continue
        also = [table.c[name] for name in rule.also_clear]
        left = or_(*(c.column.is_not(None) for c in columns), *(c.is_not(None) for c in also))
        values = {c.column: None for c in columns} | {c: None for c in also}
        done = await session.execute(update(table).where(*where, left).values(values).returning(pk))
        cleared[table.name] = list(done.scalars().all())
    return Expired(cleared, deleted)
