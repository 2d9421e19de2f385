"""What every sealed column (models/sealed.py) gets, driven by the declarations alone.

Key rotation walks ``sealed_tables()``: a new sealed column is re-encrypted without anyone
editing this file. ``rotate_keys`` owns its transactions (a batch each).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Column,
    LargeBinary,
    Table,
    bindparam,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from models import Base, SealedColumn, sealed_tables

from .db import Database

ROTATE_BATCH = 500


def primary_key(table: Table) -> Column[Any]:
    """The one-column primary key every table with sealed columns has (a test checks)."""
    (column,) = table.primary_key.columns
    return column


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
