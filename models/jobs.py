"""Durable scheduled work: the database is the truth, APScheduler only the clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow

# pending → running → done | cancelled | failed; a running item whose lease ran out goes back to pending.
JOB_STATUSES = ("pending", "running", "done", "cancelled", "failed")


class ScheduledItem(Base):
    __tablename__ = "scheduled_items"
    __table_args__ = (
        Index("ix_scheduled_items_status_due", "status", "due_at"),
        Index("ix_scheduled_items_case", "case_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    target_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Set when a process claims the item; a claim older than the lease is presumed crashed.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Fired after Tend was down past its due time: people see a short apology.
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(String(300), default=None)
    # At most one pending item per key (e.g. "card:42"): scheduling twice is a no-op.
    dedupe_key: Mapped[str | None] = mapped_column(String(80), default=None, unique=True)
