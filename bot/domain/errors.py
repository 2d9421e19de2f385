"""Errors meant for the person at the keyboard. Each carries the kind sentence they will read.

Services raise these; the one error handler on the command tree (and on components)
turns them into an ephemeral reply. Anything else is our fault, and the person gets an
apology with a reference id that also appears in the log line.
"""

from __future__ import annotations

import secrets

from bot.domain.i18n import Text, _


class TendError(Exception):
    """Base for errors whose message is written for the member or moderator who caused them."""

    def __init__(self, message: str | Text):
        super().__init__(str(message))
        # A Text is written in the language of whoever reads the reply.
        self.message = message


class NotAllowed(TendError):
    """The person may not do this (e.g. a member pressing a moderator's button)."""


class NotConfigured(TendError):
    """The server's config doesn't allow this yet: no such guild, feature off, channel missing."""


class NotFound(TendError):
    """An id, case, rule or topic that doesn't exist (or no longer does)."""


class InvalidInput(TendError):
    """Input that can't be used as given; the message says how to fix it."""


class TryLater(TendError):
    """A cooldown or rate limit; ``retry_after`` is in seconds when known."""

    def __init__(self, message: str | Text, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def new_reference() -> str:
    """A short id to quote in an apology and in the matching log line."""
    return "T-" + secrets.token_hex(3).upper()


MODERATORS_ONLY = _(
    "This is for this server's moderators, so I can't do it for you. "
    "If something is wrong, `/support` reaches them privately."
)
