"""The language each member last used Discord in, for the messages Tend sends them later."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class MemberLocale(Base):
    """One row per person: Discord's locale code from their last interaction with Tend.

    Per user, not per server: it is their Discord client's language. Kept as Discord sent it
    (``es-ES``, ``ja``); which catalogue answers is decided when a message is written, so a
    language Tend learns later is used without anyone acting again.
    """

    __tablename__ = "member_locales"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    locale: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
