"""Tend's features, one package each. The composition root (bot/process) loads these.

queue        the moderator queue: cards, Claim, Hand off, /cases (kinds plug in)
support      /support, the panel, private threads; the support card; reach_out
dms          DMs to Tend: the way to the moderators, and the relay through DMs
reports      /report, Report message; the report card and its actions
distress     the distress watch and its quiet card
listening    the Listening prompt
reflections  reflection after a case, /reflections; offer_reflection
followups    /followup, /remind, reminders, check-ins, on-call escalation
privacy      /privacy and the retention purge
pauses       /pause, Lift pause, a pause ending on time
appeals      Ask for a review after a timeout, /appeal after a ban; the appeal card
records      case transcripts (recorded as they happen, posted on close), /case
conduct      /conduct, /resources
learning     /learn
meta         /tend about, doctor, stats, sync; the weekly digest
"""

EXTENSIONS = (
    "cogs.queue",
    "cogs.support",
    "cogs.dms",
    "cogs.reports",
    "cogs.distress",
    "cogs.listening",
    "cogs.reflections",
    "cogs.followups",
    "cogs.privacy",
    "cogs.pauses",
    "cogs.appeals",
    "cogs.records",
    "cogs.conduct",
    "cogs.learning",
    "cogs.meta",
)
