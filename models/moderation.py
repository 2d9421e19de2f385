"""Moderation that Tend keeps track of: pauses of a member's access to Tend, and the timeouts
and bans a member may ask a review of (an appeal is a case; these rows are what it is about)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow
from .sealed import Retention, sealed

# Why a member's access was paused: labels only (the audit trail holds them); words go in ``note``.
PAUSE_REASONS = ("abuse", "report_spam", "harassing_moderators", "other")
# What a moderator did that a member can ask a review of.
ACTION_KINDS = ("timeout", "ban")


class MemberPause(Base):
    """A moderator paused a member's use of /support, /report, /remind (and DMs to Tend) until
    ``ends_at``. Crisis resources stay open to them. Ended by time (``ended_at``) or lifted early."""

    __tablename__ = "member_pauses"
    __table_args__ = (Index("ix_member_pauses_guild_member", "guild_id", "member_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    member_id: Mapped[int] = mapped_column(BigInteger)
    paused_by: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(32))
    # The moderator's own words about why (moderation's record: their /privacy delete keeps it).
    note: Mapped[str | None] = sealed(author="paused_by", erasable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when it stopped: by time (the end job) or lifted early (lifted_by).
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    lifted_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # The team's notice in the queue (its Lift button), once posted.
    notice_channel_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    notice_message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)

    # Pauses that are over go once past the retention period.
    retention: ClassVar[Retention] = Retention.delete(
        after="ends_at", when=lambda: MemberPause.ended_at.is_not(None)
    )


class ModerationAction(Base):
    """A timeout or ban Tend noticed (or verified), which the member may ask a review of."""

    __tablename__ = "moderation_actions"
    __table_args__ = (Index("ix_moderation_actions_guild_member", "guild_id", "member_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    member_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(16))
    # Who took it (from the audit log; None when Discord didn't say).
    acted_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    acted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A timeout's end, as Discord said it.
    until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The reason the moderator gave Discord (the audit log), kept only where the server shows it.
    reason: Mapped[str | None] = sealed(author="acted_by", erasable=False)
    # The appeal opened about it, once asked.
    case_id: Mapped[int | None] = mapped_column(BigInteger, default=None)

    retention: ClassVar[Retention] = Retention.delete(after="acted_at")
