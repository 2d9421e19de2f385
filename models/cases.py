"""Cases: support requests, conduct reports and distress notices share one table and one loop.

Words people wrote (the /support topic, intake, report text, the reported message, notes)
are sealed columns (models/sealed.py): encrypted at rest, plain text in Python.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow
from .sealed import Retention, sealed

CASE_KINDS = ("support", "report", "distress", "appeal")
# support: open → claimed → closed; report: new → acknowledged → resolved | dismissed;
# distress: new → acknowledged → closed | dismissed ("not needed");
# appeal: new → acknowledged → upheld | shortened | lifted (the outcome says which).
OPEN_STATUSES = ("open", "claimed", "new", "acknowledged")


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("guild_id", "kind", "number"),
        Index("ix_cases_guild_member", "guild_id", "member_id"),
        Index("ix_cases_guild_subject", "guild_id", "subject_id"),
        Index("ix_cases_guild_status", "guild_id", "status"),
        Index("ix_cases_source_channel", "source_channel_id", "opened_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    # The person the case is for: who asked for support, who reported (None once purged or
    # deleted), whose message raised a distress notice.
    member_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # The reported member, for reports.
    subject_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # Appeals: the moderator who took the action appealed (they never decide the appeal).
    acted_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    # Routed to the escalation channel (e.g. a report about a moderator).
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    # Support: the member's /support topic (free text); distress: the signal's category.
    topic: Mapped[str | None] = sealed(
        author="member_id", erasable=lambda: Case.kind == "support", column_name="topic_enc"
    )
    rule_id: Mapped[str | None] = mapped_column(String(40), default=None)
    # What the member wrote: support intake, or the text of a report. Their /privacy delete
    # clears intake; a report stays for moderation (it may protect others) and is unlinked instead.
    body: Mapped[str | None] = sealed(
        author="member_id", erasable=lambda: Case.kind != "report", column_name="body_enc"
    )
    # Reports: a copy of the reported message (someone else's words, nobody's to export);
    # distress: only where the message is.
    snapshot: Mapped[dict[str, Any] | None] = sealed(
        author=None, erasable=False, column_name="snapshot_enc", json=True
    )
    # Distress: the channel the message was in (its per-channel hourly cap counts these).
    source_channel_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    holder_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    thread_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    staff_thread_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # Reports: the private conversation with the reported member (thread_id is the reporter's).
    subject_thread_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    card_channel_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    card_message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    first_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    member_active_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    outcome: Mapped[str | None] = mapped_column(String(40), default=None)
    # The closing moderator's note: moderation's record, so their /privacy delete keeps it.
    note: Mapped[str | None] = sealed(author="closed_by", erasable=False, column_name="note_enc")
    followup_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    survey_answer: Mapped[str | None] = mapped_column(String(16), default=None)
    member_left_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Why a Discord side effect hasn't happened yet (shown on the card; cleared when it does).
    problem: Mapped[str | None] = mapped_column(String(200), default=None)

    # Closed cases past the retention period lose their words and the member they were for;
    # the reported member (subject_id) stays: a pattern of conduct is moderation's to see.
    retention: ClassVar[Retention] = Retention.clear(
        after="closed_at", when=lambda: Case.status.not_in(OPEN_STATUSES), also_clear=("member_id",)
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseCounter(Base):
    """The last number handed out per guild and kind; bumped atomically with UPDATE … RETURNING."""

    __tablename__ = "case_counters"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)
