"""Follow-ups and reminders: what someone asked Tend to remind them of, and how it went.

A follow-up is the domain record (who, about whom, kept or missed); the job engine's
``scheduled_items`` row is only what makes it fire on time. Snoozing moves the follow-up
and schedules a new item; the record stays one row, so "kept vs missed" counts once.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import BigInteger, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow
from .sealed import Retention, sealed

# "followup": a moderator checking in on a member (/followup, a closed case, the listening
# prompt); "reminder": anyone's /remind.
FOLLOWUP_KINDS = ("followup", "reminder")
# scheduled → due (delivered, waiting for Done) → done | cancelled; snoozing goes back to scheduled.
FOLLOWUP_STATUSES = ("scheduled", "due", "done", "cancelled")
# The member check-in: scheduled → sent → ok | talk | stop; or dms_closed / skipped.
CHECKIN_STATES = ("scheduled", "sent", "dms_closed", "skipped", "ok", "talk", "stop")


class FollowUp(Base):
    __tablename__ = "follow_ups"
    __table_args__ = (
        Index("ix_follow_ups_guild_status", "guild_id", "status"),
        Index("ix_follow_ups_guild_member", "guild_id", "member_id"),
        Index("ix_follow_ups_guild_owner", "guild_id", "owner_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    # Who is reminded (the moderator, or whoever used /remind).
    owner_id: Mapped[int] = mapped_column(BigInteger)
    # The member to check in on (None for a plain reminder, or once purged/deleted).
    member_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    case_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # What the reminder says, written by created_by (the /remind text, a moderator's note).
    note: Mapped[str | None] = sealed(author="created_by", erasable=True, column_name="note_enc")
    # Where a /remind was asked (delivered there unless by_dm).
    channel_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    by_dm: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    snoozes: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    done_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # The reminder message last posted, so Done/Snooze can update it.
    message_channel_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    checkin: Mapped[str | None] = mapped_column(String(16), default=None)
    # A CASE_FOLLOWUP item this follow-up was made from (closing a case), so a retry finds it.
    origin_item_id: Mapped[int | None] = mapped_column(BigInteger, default=None, unique=True)

    # Finished follow-ups and reminders go once their due time is past the retention period.
    retention: ClassVar[Retention] = Retention.delete(
        after="due_at", when=lambda: FollowUp.status.in_(("done", "cancelled"))
    )


class CheckinOptOut(Base):
    """A member asked for no more check-ins in this guild ("Please stop checking in")."""

    __tablename__ = "checkin_opt_outs"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    member_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
