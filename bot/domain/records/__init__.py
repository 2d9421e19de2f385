"""Case records: the messages of a case's threads as they happened, the card's timeline, and
the transcript made of them (a self-contained HTML file that reads like Discord)."""

from bot.domain.records.html import render_history, render_transcript
from bot.domain.records.service import RecordService, parse_reference
from bot.domain.records.transcript import Moment, Said, Transcript

__all__ = [
    "Moment",
    "RecordService",
    "Said",
    "Transcript",
    "parse_reference",
    "render_history",
    "render_transcript",
]
