"""A report about a message, between the form opening and its submit.

The Report message menu gives Tend the message as Discord resolved it (its channel, its
author, its words). Tend keeps that here, keyed by the interaction's id, and the form's
custom_id carries only that id: the submit can't point Tend at another message, channel or
author (a custom_id is untrusted), and the evidence survives the message being deleted, or
Tend restarting, while the member writes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow
from .sealed import Retention, sealed


class ReportDraft(Base):
    __tablename__ = "report_drafts"

    # The Report message interaction's id (a snowflake, unique), so the form can name it at once.
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    reporter_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    author_id: Mapped[int] = mapped_column(BigInteger)
    # A copy of the reported message: someone else's words, nobody's own to export.
    snapshot: Mapped[dict[str, Any]] = sealed(author=None, erasable=False, json=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # A form left unsent: its copy goes with the retention period (a sent one is deleted at once).
    retention: ClassVar[Retention] = Retention.delete(after="created_at")
