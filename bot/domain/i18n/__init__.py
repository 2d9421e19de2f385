"""Every member in their own language: catalogues, locale choice and text rendered per reader."""

from bot.domain.i18n.catalogues import ENGLISH, Language, catalogue, catalogue_file, language, translated
from bot.domain.i18n.locales import DISCORD_LOCALES, SOURCE, SUPPORTED, choose, language_name, supported
from bot.domain.i18n.text import N_, P_, Text, _

__all__ = [
    "DISCORD_LOCALES",
    "ENGLISH",
    "N_",
    "P_",
    "SOURCE",
    "SUPPORTED",
    "Language",
    "Text",
    "_",
    "catalogue",
    "catalogue_file",
    "choose",
    "language",
    "language_for",
    "language_name",
    "supported",
    "translated",
]


def language_for(member_locale: str | None, *fallbacks: str | None) -> Language:
    """The reader's :class:`Language`: the first Tend speaks of the member's locale, then the
    ``fallbacks`` (the server's), else English. The member's own locale is kept to name it."""
    return Language(
        choose(member_locale, *fallbacks), discord_locale=str(member_locale) if member_locale else None
    )
