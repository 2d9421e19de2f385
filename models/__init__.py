"""Tend's SQLAlchemy models. Import from here so Alembic sees every table."""

from .audit import AuditEvent
from .base import Base, UTCDateTime, utcnow
from .sync import CommandSync

__all__ = ["AuditEvent", "Base", "CommandSync", "UTCDateTime", "utcnow"]
