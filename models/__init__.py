"""Tend's SQLAlchemy models. Import from here so Alembic sees every table."""

from .audit import AuditEvent
from .base import Base, UTCDateTime, utcnow
from .cases import CASE_KINDS, OPEN_STATUSES, Case, CaseCounter
from .jobs import JOB_STATUSES, ScheduledItem
from .reflections import Reflection
from .sync import CommandSync

__all__ = [
    "CASE_KINDS",
    "JOB_STATUSES",
    "OPEN_STATUSES",
    "AuditEvent",
    "Base",
    "Case",
    "CaseCounter",
    "CommandSync",
    "Reflection",
    "ScheduledItem",
    "UTCDateTime",
    "utcnow",
]
