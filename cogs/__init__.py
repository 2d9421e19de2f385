"""Tend's features, one package each. The bot loads every extension listed here."""

EXTENSIONS = (
    "cogs.cases",
    "cogs.conduct",
    "cogs.followups",
    "cogs.learning",
    "cogs.listening",
    "cogs.privacy",
    "cogs.reports",
    "cogs.support",
    "cogs.meta",
)
