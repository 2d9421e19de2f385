"""The case lifecycle shared by support requests, conduct reports and distress notices."""

from bot.domain.cases.service import CLOSE_REASONS, SURVEY_ANSWERS, CaseService, CooldownActive, Opened
from bot.domain.cases.store import reference

__all__ = [
    "CLOSE_REASONS",
    "SURVEY_ANSWERS",
    "CaseService",
    "CooldownActive",
    "Opened",
    "reference",
]
