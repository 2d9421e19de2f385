"""Tend's SQLAlchemy models. Import from here so Alembic sees every table."""

from .audit import AuditEvent
from .base import Base, UTCDateTime, utcnow
from .cases import CASE_KINDS, OPEN_STATUSES, Case, CaseCounter
from .drafts import ReportDraft
from .followups import FOLLOWUP_KINDS, CheckinOptOut, FollowUp
from .jobs import JOB_STATUSES, ScheduledItem
from .keys import KEY_CHECK_ID, KEY_CHECK_VALUE, KeyCheck
from .locales import MemberLocale
from .reflections import Reflection
from .sealed import (
    Retention,
    Seal,
    SealedColumn,
    SealedJSON,
    SealedText,
    TextCipher,
    UnsealedDatabase,
    bind_cipher,
    sealed,
    sealed_columns,
    sealed_tables,
)
from .sync import CommandSync

__all__ = [
    "CASE_KINDS",
    "FOLLOWUP_KINDS",
    "JOB_STATUSES",
    "KEY_CHECK_ID",
    "KEY_CHECK_VALUE",
    "OPEN_STATUSES",
    "AuditEvent",
    "Base",
    "Case",
    "CaseCounter",
    "CheckinOptOut",
    "CommandSync",
    "FollowUp",
    "KeyCheck",
    "MemberLocale",
    "Reflection",
    "ReportDraft",
    "Retention",
    "ScheduledItem",
    "Seal",
    "SealedColumn",
    "SealedJSON",
    "SealedText",
    "TextCipher",
    "UTCDateTime",
    "UnsealedDatabase",
    "bind_cipher",
    "sealed",
    "sealed_columns",
    "sealed_tables",
    "utcnow",
]
