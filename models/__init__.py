"""Tend's SQLAlchemy models. Import from here so Alembic sees every table."""

from .audit import AuditEvent
from .base import Base, UTCDateTime, utcnow
from .cases import CASE_KINDS, OPEN_STATUSES, Case, CaseCounter
from .followups import FOLLOWUP_KINDS, CheckinOptOut, FollowUp
from .jobs import JOB_STATUSES, ScheduledItem
from .reflections import Reflection
from .sync import CommandSync

__all__ = [
    "CASE_KINDS",
    "FOLLOWUP_KINDS",
    "JOB_STATUSES",
    "OPEN_STATUSES",
    "AuditEvent",
    "Base",
    "Case",
    "CaseCounter",
    "CheckinOptOut",
    "CommandSync",
    "FollowUp",
    "Reflection",
    "ScheduledItem",
    "UTCDateTime",
    "utcnow",
]
