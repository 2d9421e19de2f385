"""Follow-ups, reminders, member check-ins, escalation and quiet hours (no Discord in here)."""

from bot.domain.followups.base import (
    FOLLOWUP_CHECKIN,
    FOLLOWUP_DUE,
    FOLLOWUP_NOTICE,
    ChannelNotice,
    FollowUpRef,
)
from bot.domain.followups.checkins import CHECKIN_ANSWERS, CheckinAnswer
from bot.domain.followups.escalation import CASE_ESCALATE, EscalationStep, crisis_case
from bot.domain.followups.reopening import CASE_REOPENED, Reopened
from bot.domain.followups.service import Delivery, FollowUpService
from bot.domain.followups.timing import after_quiet_hours, in_quiet_hours, next_daily, next_weekly, parse_when

__all__ = [
    "CASE_ESCALATE",
    "CASE_REOPENED",
    "CHECKIN_ANSWERS",
    "FOLLOWUP_CHECKIN",
    "FOLLOWUP_DUE",
    "FOLLOWUP_NOTICE",
    "ChannelNotice",
    "CheckinAnswer",
    "Delivery",
    "EscalationStep",
    "FollowUpRef",
    "FollowUpService",
    "Reopened",
    "after_quiet_hours",
    "crisis_case",
    "in_quiet_hours",
    "next_daily",
    "next_weekly",
    "parse_when",
]
