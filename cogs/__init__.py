"""Tend's features, one package each. The composition root (bot/process) loads these.

queue        the moderator queue: cards, Claim, Hand off, /cases (kinds plug in)
support      /support, the panel, private threads; the support card; reach_out
reports      /report, Report message; the report card and its actions
distress     the distress watch and its quiet card
listening    the Listening prompt
reflections  reflection after a case, /reflections; offer_reflection
followups    /followup, /remind, reminders, check-ins, on-call escalation
privacy      /privacy and the retention purge
records      case transcripts (recorded as they happen, posted on close), /case
conduct      /conduct, /resources
learning     /learn
meta         /tend about, doctor, stats, sync; the weekly digest
"""

EXTENSIONS = (
    "cogs.queue",
    "cogs.support",
    "cogs.reports",
    "cogs.distress",
    "cogs.listening",
    "cogs.reflections",
    "cogs.followups",
    "cogs.privacy",
    "cogs.records",
    "cogs.conduct",
    "cogs.learning",
    "cogs.meta",
)
