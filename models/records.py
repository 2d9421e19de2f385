"""Case records: every message of a case's threads, kept as it happened, for its transcript.

Tend records the messages of a case's private threads as they arrive (and their edits and
deletions), so a case's story survives its thread being deleted, or a member deleting their
messages, without reading the thread's history back from Discord at close. What was said is
sealed (one JSON value per message: the author's name then, the text, earlier versions, the
attachments' names); the row itself holds only ids and times. Rows go with their case: the
retention purge deletes them when it purges the case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import BigInteger, Index, Integer, select
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow
from .cases import Case
from .sealed import Retention, sealed

# Bounds, so a flood in one thread can't grow the database without limit.
MAX_MESSAGES_PER_CASE = 5000
MAX_TEXT = 4000  # Discord's own limit for a message (Nitro), and the longest Tend keeps
MAX_EDITS_KEPT = 10  # earlier versions of one message
MAX_ATTACHMENTS = 10
MAX_NAME = 100


def _members_own_support_words() -> Any:
    # A support case's member may erase what they wrote there; a report's conversations stay
    # for moderation, and a moderator's replies are the team's record.
    return CaseMessage.case_id.in_(
        select(Case.id).where(Case.kind == "support", Case.member_id == CaseMessage.author_id)
    )


class CaseMessage(Base):
    __tablename__ = "case_messages"
    __table_args__ = (
        Index("ix_case_messages_case", "case_id", "created_at"),
        Index("ix_case_messages_message", "message_id", unique=True),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    case_id: Mapped[int] = mapped_column(BigInteger)
    # Which of the case's threads (a report has one with each person).
    thread_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    # None once the author is unlinked (a reporter's /privacy delete).
    author_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # {"name", "bot", "text", "edits": [earlier texts], "attachments": [names], "locale"}.
    record: Mapped[dict[str, Any] | None] = sealed(
        author="author_id", erasable=_members_own_support_words, column_name="record_enc", json=True
    )

    # Purged with the case it belongs to (its closed_at and rule decide).
    retention: ClassVar[Retention] = Retention.follow(key="case_id", parent=lambda: Case)


class TranscriptPost(Base):
    """Where a case's transcript file was posted on Discord (the notes thread), so the copy goes
    when the record does: at the retention purge, or the member's /privacy delete."""

    __tablename__ = "transcript_posts"
    __table_args__ = (Index("ix_transcript_posts_case", "case_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    case_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
