"""What command set was last synced to each guild, so a restart doesn't re-sync for nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class CommandSync(Base):
    __tablename__ = "command_syncs"

    # 0 stands for the global command set.
    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload_hash: Mapped[str] = mapped_column(String(64))
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
