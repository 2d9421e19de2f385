"""A moderator's private reflection after a case: theirs alone to read and delete."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import BigInteger, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow
from .sealed import Retention, sealed


class Reflection(Base):
    __tablename__ = "reflections"
    __table_args__ = (Index("ix_reflections_guild_author", "guild_id", "author_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    author_id: Mapped[int] = mapped_column(BigInteger)
    case_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    text: Mapped[str] = sealed(author="author_id", erasable=True, column_name="text_enc", nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # A reflection is for learning soon after a case, not an archive: it goes after the retention period.
    retention: ClassVar[Retention] = Retention.delete(after="created_at")
