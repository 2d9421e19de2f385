"""Words people wrote, sealed at rest: declared once on the column, handled everywhere from that.

A column made with ``sealed()`` holds words a person wrote (a /support topic, intake, a
report, a note, a reminder, a reflection) or a copy of them (a reported message). The ORM
stores it encrypted and reads it back as plain ``str`` (``dict`` for ``SealedJSON``) with the
cipher bound to the engine (``Database.seal_with``), so services never encrypt by hand and a
column can't be forgotten. The same declaration drives key rotation (``tend rotate-keys``),
/privacy export and delete, and the retention purge (each model with a sealed column declares
its ``retention``): they walk ``sealed_columns()``, so a new sealed column is covered by all of
them without anyone remembering to.

Models don't import ``bot``: the cipher is anything with ``encrypt``/``decrypt`` (``TextCipher``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from sqlalchemy import Column, ColumnElement, LargeBinary, MetaData, Table, true
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, MappedColumn, mapped_column
from sqlalchemy.types import TypeDecorator

CIPHER_ATTRIBUTE = "tend_cipher"


class TextCipher(Protocol):
    """What a sealed column needs of a cipher (``bot.crypto.Cipher`` is one)."""

    def encrypt(self, text: str | None) -> bytes | None: ...

    def decrypt(self, token: bytes | None) -> str | None: ...


class UnsealedDatabase(RuntimeError):
    """A sealed column was written or read through an engine no cipher was bound to."""


def bind_cipher(dialect: Dialect, cipher: TextCipher) -> None:
    """Make every sealed column read and written through this engine use ``cipher``."""
    setattr(dialect, CIPHER_ATTRIBUTE, cipher)


def bound_cipher(dialect: Dialect) -> TextCipher:
    cipher: TextCipher | None = getattr(dialect, CIPHER_ATTRIBUTE, None)
    if cipher is None:
        # Fail loudly and always (even for NULL): storing words unencrypted, or reading them
        # back as tokens, must never depend on which rows happen to hold text.
        raise UnsealedDatabase(
            "a sealed (encrypted) column was used on a database with no encryption key bound; "
            "call Database.seal_with(cipher) when opening it"
        )
    return cipher


class SealedText(TypeDecorator[str]):
    """Text encrypted at rest with the engine's cipher; plain ``str`` in Python."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        cipher = bound_cipher(dialect)
        if value is None:
            return None
        if not isinstance(value, str):
            raise TypeError(f"a sealed text column takes str, not {type(value).__name__}")
        return cipher.encrypt(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        cipher = bound_cipher(dialect)
        return None if value is None else cipher.decrypt(bytes(value))


class SealedJSON(TypeDecorator[dict[str, Any]]):
    """A JSON object encrypted at rest (e.g. the snapshot of a reported message)."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Dialect) -> bytes | None:
        cipher = bound_cipher(dialect)
        return None if value is None else cipher.encrypt(json.dumps(value, ensure_ascii=False))

    def process_result_value(self, value: Any, dialect: Dialect) -> dict[str, Any] | None:
        cipher = bound_cipher(dialect)
        text = None if value is None else cipher.decrypt(bytes(value))
        return None if text is None else dict(json.loads(text))


# True: the author's /privacy delete clears it; a callable: only on rows matching the SQL
# condition it returns (e.g. support intake, not the text of a report moderation still needs).
Erasable = bool | Callable[[], ColumnElement[bool]]


@dataclass(frozen=True)
class Seal:
    """What a sealed column holds, for /privacy.

    ``author``: the column on the same row holding the id of the person who wrote the words
    (their export includes them); None when the words are nobody's own to export (a copy of
    a reported message). ``erasable``: whether that author's /privacy delete clears them. A
    sealed column that can't be NULL holds the whole point of its row, so erasing deletes the row.
    """

    author: str | None
    erasable: Erasable


def sealed(
    *,
    author: str | None,
    erasable: Erasable,
    column_name: str | None = None,
    json: bool = False,
    nullable: bool | None = None,
) -> MappedColumn[Any]:
    """A column holding words a person wrote: encrypted at rest, covered by rotation, /privacy
    and the retention purge. ``column_name`` keeps an older database column name."""
    type_: SealedText | SealedJSON = SealedJSON() if json else SealedText()
    info = {"sealed": Seal(author=author, erasable=erasable)}
    kwargs: dict[str, Any] = {"info": info}
    if nullable is not None:
        kwargs["nullable"] = nullable
    if column_name is not None:
        return mapped_column(column_name, type_, **kwargs)
    return mapped_column(type_, **kwargs)


@dataclass(frozen=True)
class SealedColumn:
    table: Table
    column: Column[Any]
    seal: Seal

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column.name}"

    def author_column(self) -> Column[Any] | None:
        return None if self.seal.author is None else self.table.c[self.seal.author]

    def erasable_where(self) -> ColumnElement[bool] | None:
        """The SQL condition on rows whose words the author may erase (None: never)."""
        erasable = self.seal.erasable
        if erasable is False or self.seal.author is None:
            return None
        return true() if erasable is True else erasable()


def sealed_columns(metadata: MetaData) -> list[SealedColumn]:
    """Every sealed column of every table, in table order."""
    found = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            seal = column.info.get("sealed")
            if isinstance(seal, Seal):
                found.append(SealedColumn(table, column, seal))
    return found


@dataclass(frozen=True)
class Retention:
    """How rows of a model with sealed columns expire after the guild's ``privacy.retention_days``.

    ``clear``: the row stays (moderation's record) but loses its sealed words and ``also_clear``
    columns; ``delete``: the row goes; ``keep``: nothing expires (``reason`` says why); ``follow``:
    the row belongs to a row of ``parent`` (whose id ``after`` names) and is deleted when the
    parent's own rule expires it (a case's messages go with the case). Otherwise ``after`` names
    the timestamp column compared with the cutoff and ``when`` narrows to finished rows (an open
    case is never purged). Rows are matched by their ``guild_id``.
    """

    action: Literal["clear", "delete", "keep", "follow"]
    after: str | None = None
    when: Callable[[], ColumnElement[bool]] | None = None
    also_clear: tuple[str, ...] = ()
    reason: str = ""
    parent: Callable[[], type[Any]] | None = None

    @classmethod
    def clear(
        cls,
        *,
        after: str,
        when: Callable[[], ColumnElement[bool]] | None = None,
        also_clear: tuple[str, ...] = (),
    ) -> Retention:
        return cls("clear", after, when, also_clear)

    @classmethod
    def delete(cls, *, after: str, when: Callable[[], ColumnElement[bool]] | None = None) -> Retention:
        return cls("delete", after, when)

    @classmethod
    def keep(cls, reason: str) -> Retention:
        return cls("keep", reason=reason)

    @classmethod
    def follow(cls, *, key: str, parent: Callable[[], type[Any]]) -> Retention:
        """Rows that go when the ``parent`` row ``key`` names is expired by the parent's rule."""
        return cls("follow", key, parent=parent)


def retention_of(base: type[DeclarativeBase], table: Table) -> Retention | None:
    """The retention rule the model mapped to ``table`` declares (its ``retention`` attribute)."""
    for mapper in base.registry.mappers:
        if mapper.local_table is table:
            rule = getattr(mapper.class_, "retention", None)
            return rule if isinstance(rule, Retention) else None
    return None


def sealed_tables(base: type[DeclarativeBase]) -> list[tuple[Table, Retention | None, list[SealedColumn]]]:
    """Each table with sealed columns, its retention rule and its sealed columns."""
    by_table: dict[str, list[SealedColumn]] = {}
    tables: dict[str, Table] = {}
    for sealed_column in sealed_columns(base.metadata):
        by_table.setdefault(sealed_column.table.name, []).append(sealed_column)
        tables[sealed_column.table.name] = sealed_column.table
    return [(tables[name], retention_of(base, tables[name]), columns) for name, columns in by_table.items()]
