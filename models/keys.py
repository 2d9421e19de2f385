"""The key check: one sealed value that proves, at start-up, that Tend's keys can read what is stored."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow
from .sealed import Retention, sealed

KEY_CHECK_ID = 1
KEY_CHECK_VALUE = "Tend can read this"


class KeyCheck(Base):
    """Written once with the key Tend first ran with, re-encrypted by ``tend rotate-keys``.

    ``tend run`` reads it before connecting to Discord: a process whose keys can't would
    otherwise fail every job touching text another process wrote.
    """

    __tablename__ = "key_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[str] = sealed(author=None, erasable=False, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    retention: ClassVar[Retention] = Retention.keep("a fixed value Tend wrote; no one's words")
