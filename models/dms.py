"""Direct messages between a member and Tend: kept from the moment they arrive, and the relay.

A member who DMs Tend may not have picked a server yet, or may share several servers that use
Tend: what they wrote is kept once per server it could go to (``guild_id``), so /privacy and the
retention purge of each server see it, until they choose one; the other copies then go. Once a
case is opened the story lives on the case (``body``) and the waiting rows keep no words.

While a case is relayed through DMs (``DmRelay``), each message either way is a row here
(``direction`` ``in``: the member to the case thread; ``out``: the moderators to the member),
sealed, with a durable job that delivers it; ``delivered_id`` is the message it became on the
other side, so an edit is shown as an edit.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import BigInteger, Index, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow
from .cases import OPEN_STATUSES, Case
from .sealed import Retention, sealed

# waiting: kept, no case yet; story: taken into a case as its story (words now on the case);
# pending: a relay to deliver; relayed: delivered; undeliverable: the other side refused it.
DM_STATUSES = ("waiting", "story", "pending", "relayed", "undeliverable")


class DirectMessage(Base):
    __tablename__ = "direct_messages"
    __table_args__ = (
        Index("ix_direct_messages_member", "member_id", "status"),
        Index("ix_direct_messages_source", "source_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    # The member of the conversation, whichever way the message goes.
    member_id: Mapped[int] = mapped_column(BigInteger)
    # Who wrote it: the member (in), or the moderator who wrote in the case thread (out).
    author_id: Mapped[int] = mapped_column(BigInteger)
    direction: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # The Discord message it came from (the DM, or the message in the case thread).
    source_id: Mapped[int] = mapped_column(BigInteger)
    # The message it became on the other side, once delivered.
    delivered_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # What they wrote (attachments as links). None once the words moved onto a case.
    body: Mapped[str | None] = sealed(author="author_id", erasable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    # Purged with the case: rows of a closed case (or of none) past the retention period go.
    retention: ClassVar[Retention] = Retention.delete(
        after="created_at",
        when=lambda: (
            DirectMessage.case_id.is_(None)
            | DirectMessage.case_id.not_in(select(Case.id).where(Case.status.in_(OPEN_STATUSES)))
        ),
    )


class DmRelay(Base):
    """A support case the member talks to through DMs instead of its private thread."""

    __tablename__ = "dm_relays"
    __table_args__ = (Index("ix_dm_relays_member", "member_id", "ended_at"),)

    case_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    member_id: Mapped[int] = mapped_column(BigInteger)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Why it ended: member (they pressed Stop), closed (the case closed), left.
    ended_by: Mapped[str | None] = mapped_column(String(16), default=None)
    # Discord answered 50007 (cannot send messages to this user) since the last delivery: the
    # team was told once; the next message still tries, and a delivery clears it.
    dms_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
