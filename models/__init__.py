"""Tend's SQLAlchemy models. Import from here so Alembic sees every table."""

from .audit import AuditEvent
from .base import Base, UTCDateTime, utcnow
from .jobs import JOB_STATUSES, ScheduledItem
from .sync import CommandSync

__all__ = ["JOB_STATUSES", "AuditEvent", "Base", "CommandSync", "ScheduledItem", "UTCDateTime", "utcnow"]
