"""Tend's features, one package each. The bot loads every extension listed here."""

EXTENSIONS = (
    "cogs.conduct",
    "cogs.meta",
)
