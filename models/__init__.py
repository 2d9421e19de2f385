"""Tend's SQLAlchemy models. Import from here so Alembic sees every table."""

from .audit import AuditEvent
from .base import Base, UTCDateTime, utcnow
from .cases import CASE_KINDS, OPEN_STATUSES, Case, CaseCounter
from .dms import DM_STATUSES, DirectMessage, DmRelay
from .drafts import ReportDraft
from .followups import FOLLOWUP_KINDS, CheckinOptOut, FollowUp
from .jobs import JOB_STATUSES, ScheduledItem
from .keys import KEY_CHECK_ID, KEY_CHECK_VALUE, KeyCheck
from .locales import MemberLocale
from .moderation import ACTION_KINDS, PAUSE_REASONS, MemberPause, ModerationAction
from .records import CaseMessage, TranscriptPost
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
    "ACTION_KINDS",
    "CASE_KINDS",
    "DM_STATUSES",
    "FOLLOWUP_KINDS",
    "JOB_STATUSES",
    "KEY_CHECK_ID",
    "KEY_CHECK_VALUE",
    "OPEN_STATUSES",
    "PAUSE_REASONS",
    "AuditEvent",
    "Base",
    "Case",
    "CaseCounter",
    "CaseMessage",
    "CheckinOptOut",
    "CommandSync",
    "DirectMessage",
    "DmRelay",
    "FollowUp",
    "KeyCheck",
    "MemberLocale",
    "MemberPause",
    "ModerationAction",
    "Reflection",
    "ReportDraft",
    "Retention",
    "ScheduledItem",
    "Seal",
    "SealedColumn",
    "SealedJSON",
    "SealedText",
    "TextCipher",
    "TranscriptPost",
    "UTCDateTime",
    "UnsealedDatabase",
    "bind_cipher",
    "sealed",
    "sealed_columns",
    "sealed_tables",
    "utcnow",
]
